package lectern

import "time"

// Processing is where a session's media stands (DESIGN §2):
// uploading → queued → processing → ready | failed.
type Processing string

const (
	ProcessingUploading Processing = "uploading"
	ProcessingQueued    Processing = "queued"
	ProcessingRunning   Processing = "processing"
	ProcessingReady     Processing = "ready"
	ProcessingFailed    Processing = "failed"
)

// Valid reports whether p is one of the processing states.
func (p Processing) Valid() bool {
	switch p {
	case ProcessingUploading, ProcessingQueued, ProcessingRunning, ProcessingReady, ProcessingFailed:
		return true
	}
	return false
}

// CanBecome reports whether the pipeline may move a session from p to
// next. A failed session may be queued again (a retry); a ready one may be
// re-processed (new captions, a replaced source).
func (p Processing) CanBecome(next Processing) bool {
	switch p {
	case ProcessingUploading:
		return next == ProcessingQueued || next == ProcessingFailed
	case ProcessingQueued:
		return next == ProcessingRunning || next == ProcessingFailed
	case ProcessingRunning:
		return next == ProcessingReady || next == ProcessingFailed || next == ProcessingQueued
	case ProcessingReady, ProcessingFailed:
		return next == ProcessingQueued
	}
	return false
}

// Publication says who may see a session: viewers see only published ones.
type Publication string

const (
	PublicationDraft           Publication = "draft"
	PublicationPendingApproval Publication = "pending-approval"
	PublicationPublished       Publication = "published"
)

// Valid reports whether p is one of the publication states.
func (p Publication) Valid() bool {
	switch p {
	case PublicationDraft, PublicationPendingApproval, PublicationPublished:
		return true
	}
	return false
}

// Lifecycle is a session's place in the retention workflow:
// active → pending-review → archived → recycled → purged.
type Lifecycle string

const (
	LifecycleActive        Lifecycle = "active"
	LifecyclePendingReview Lifecycle = "pending-review"
	LifecycleArchived      Lifecycle = "archived"
	LifecycleRecycled      Lifecycle = "recycled"
	LifecyclePurged        Lifecycle = "purged"
)

// Valid reports whether l is one of the lifecycle states.
func (l Lifecycle) Valid() bool {
	switch l {
	case LifecycleActive, LifecyclePendingReview, LifecycleArchived, LifecycleRecycled, LifecyclePurged:
		return true
	}
	return false
}

// ViewerLifecycles are the lifecycle states in which a published session
// is visible to viewers. Pending review is a retention question for the
// owner, not a visibility change; archived content is not playable until
// restored. Both the access decision and the SQL list filter are built
// from this list.
var ViewerLifecycles = []Lifecycle{LifecycleActive, LifecyclePendingReview}

// VisibleToViewers reports whether a viewer-role grant is enough to see a
// session in these states.
func VisibleToViewers(pub Publication, lc Lifecycle) bool {
	if pub != PublicationPublished {
		return false
	}
	for _, l := range ViewerLifecycles {
		if l == lc {
			return true
		}
	}
	return false
}

// Session is one recording.
type Session struct {
	ID          string
	FolderID    string // empty: not filed in a folder (only its owner and admins reach it)
	OwnerID     string
	Title       string
	Description string
	Duration    time.Duration
	Processing  Processing
	// ProcessingError is a plain message for a failed session.
	ProcessingError string
	Publication     Publication
	// KeepDraft records that the creator chose not to publish when ready.
	KeepDraft bool
	Lifecycle Lifecycle
	CreatedAt time.Time
	UpdatedAt time.Time
	// PublishedAt is when the session last became published; zero if never.
	PublishedAt time.Time
	// RecycledAt is when it went to the recycle bin; zero unless recycled.
	RecycledAt time.Time
}

// ApprovalState is where a request to publish in an approval folder stands.
type ApprovalState string

const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalReturned ApprovalState = "returned"
)

// Approval is one request to publish a session in a folder that requires
// publisher approval, with the publisher's answer.
type Approval struct {
	ID          string
	SessionID   string
	RequestedBy string
	RequestedAt time.Time
	State       ApprovalState
	DecidedBy   string
	DecidedAt   time.Time
	Comment     string // the publisher's comment, mostly on a return
}
