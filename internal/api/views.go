package api

import (
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
)

// The JSON shapes of the API: snake_case names, RFC 3339 times in UTC,
// null for an absent id or time. Each matches a schema in openapi.json.

// List is a page of a listing. Next is the cursor of the following page,
// absent on the last one.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func listOf[T, S any](items []S, conv func(S) T, next string) List[T] {
	out := List[T]{Items: make([]T, 0, len(items)), Next: next}
	for _, it := range items {
		out.Items = append(out.Items, conv(it))
	}
	return out
}

func utc(t time.Time) time.Time { return t.UTC() }

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func optID(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// Folder is a folder.
type Folder struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	ParentID         *string    `json:"parent_id"`
	OwnerID          string     `json:"owner_id"`
	RequiresApproval bool       `json:"requires_approval"`
	CreatedAt        time.Time  `json:"created_at"`
	RecycledAt       *time.Time `json:"recycled_at"`
}

func folderJSON(f lectern.Folder) Folder {
	return Folder{ID: f.ID, Name: f.Name, ParentID: optID(f.ParentID), OwnerID: f.OwnerID,
		RequiresApproval: f.RequiresApproval, CreatedAt: utc(f.CreatedAt), RecycledAt: optTime(f.RecycledAt)}
}

// Session is a recording. State is the processing state (DESIGN §6);
// publication and lifecycle are separate fields.
type Session struct {
	ID              string              `json:"id"`
	Title           string              `json:"title"`
	Description     string              `json:"description"`
	FolderID        *string             `json:"folder_id"`
	OwnerID         string              `json:"owner_id"`
	State           lectern.Processing  `json:"state"`
	ProcessingError string              `json:"processing_error,omitempty"`
	Publication     lectern.Publication `json:"publication"`
	Lifecycle       lectern.Lifecycle   `json:"lifecycle"`
	KeepDraft       bool                `json:"keep_draft"`
	DurationSeconds float64             `json:"duration_seconds"`
	CreatedAt       time.Time           `json:"created_at"`
	UpdatedAt       time.Time           `json:"updated_at"`
	PublishedAt     *time.Time          `json:"published_at"`
	RecycledAt      *time.Time          `json:"recycled_at"`
}

func sessionJSON(s lectern.Session) Session {
	return Session{ID: s.ID, Title: s.Title, Description: s.Description, FolderID: optID(s.FolderID), OwnerID: s.OwnerID,
		State: s.Processing, ProcessingError: s.ProcessingError, Publication: s.Publication, Lifecycle: s.Lifecycle,
		KeepDraft: s.KeepDraft, DurationSeconds: s.Duration.Seconds(), CreatedAt: utc(s.CreatedAt), UpdatedAt: utc(s.UpdatedAt),
		PublishedAt: optTime(s.PublishedAt), RecycledAt: optTime(s.RecycledAt)}
}

// Approval is one request to publish in a folder that requires approval.
type Approval struct {
	ID          string                `json:"id"`
	SessionID   string                `json:"session_id"`
	RequestedBy string                `json:"requested_by"`
	RequestedAt time.Time             `json:"requested_at"`
	State       lectern.ApprovalState `json:"state"`
	DecidedBy   *string               `json:"decided_by"`
	DecidedAt   *time.Time            `json:"decided_at"`
	Comment     string                `json:"comment"`
}

func approvalJSON(a lectern.Approval) Approval {
	return Approval{ID: a.ID, SessionID: a.SessionID, RequestedBy: a.RequestedBy, RequestedAt: utc(a.RequestedAt),
		State: a.State, DecidedBy: optID(a.DecidedBy), DecidedAt: optTime(a.DecidedAt), Comment: a.Comment}
}

// Grant is a role given to a user or a group on a folder or a session.
// Active is false once ExpiresAt has passed (the sweeper removes it later).
type Grant struct {
	ID            string                `json:"id"`
	ResourceType  lectern.ResourceType  `json:"resource_type"`
	ResourceID    string                `json:"resource_id"`
	PrincipalType lectern.PrincipalType `json:"principal_type"`
	PrincipalID   string                `json:"principal_id"`
	PrincipalName string                `json:"principal_name"`
	Role          lectern.Role          `json:"role"`
	Source        lectern.GrantSource   `json:"source"`
	ExpiresAt     *time.Time            `json:"expires_at"`
	Active        bool                  `json:"active"`
	CreatedBy     *string               `json:"created_by"`
	CreatedAt     time.Time             `json:"created_at"`
}

func grantJSON(now time.Time) func(lectern.Grant) Grant {
	return func(g lectern.Grant) Grant {
		return Grant{ID: g.ID, ResourceType: g.Resource.Type, ResourceID: g.Resource.ID, PrincipalType: g.PrincipalType,
			PrincipalID: g.PrincipalID, PrincipalName: g.PrincipalName, Role: g.Role, Source: g.Source,
			ExpiresAt: optTime(g.ExpiresAt), Active: g.Active(now), CreatedBy: optID(g.CreatedBy), CreatedAt: utc(g.CreatedAt)}
	}
}

// Holder is one way someone reaches a resource, and why.
type Holder struct {
	PrincipalType lectern.PrincipalType `json:"principal_type"`
	PrincipalID   string                `json:"principal_id"`
	Name          string                `json:"name"`
	Role          lectern.Role          `json:"role"`
	// Reason: owner, folder-owner, or grant:<role>:<session|folder>.
	Reason    lectern.Reason `json:"reason"`
	GrantID   *string        `json:"grant_id"`
	Source    *string        `json:"source"`
	ExpiresAt *time.Time     `json:"expires_at"`
	Active    bool           `json:"active"`
	// Folder is where the access comes from when a folder gives it.
	Folder    *FolderRef `json:"folder"`
	Inherited bool       `json:"inherited"`
}

// FolderRef names a folder.
type FolderRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func holderJSON(now time.Time) func(access.Holder) Holder {
	return func(h access.Holder) Holder {
		out := Holder{PrincipalType: h.PrincipalType, PrincipalID: h.PrincipalID, Name: h.Name, Role: h.Role,
			Reason: h.Reason, Active: true, Inherited: h.Inherited}
		if g := h.Grant; g != nil {
			src := string(g.Source)
			out.GrantID, out.Source, out.ExpiresAt, out.Active = optID(g.ID), &src, optTime(g.ExpiresAt), g.Active(now)
		}
		if f := h.Folder; f != nil {
			out.Folder = &FolderRef{ID: f.ID, Name: f.Name}
		}
		return out
	}
}

// Group is a set of users.
type Group struct {
	ID        string            `json:"id"`
	Kind      lectern.GroupKind `json:"kind"`
	Name      string            `json:"name"`
	OwnerID   *string           `json:"owner_id"`
	CreatedAt time.Time         `json:"created_at"`
}

func groupJSON(g lectern.Group) Group {
	return Group{ID: g.ID, Kind: g.Kind, Name: g.Name, OwnerID: optID(g.OwnerID), CreatedAt: utc(g.CreatedAt)}
}

// Member is one user's membership of a group.
type Member struct {
	UserID    string     `json:"user_id"`
	Name      string     `json:"name"`
	Email     string     `json:"email"`
	ExpiresAt *time.Time `json:"expires_at"`
	Active    bool       `json:"active"`
	AddedAt   time.Time  `json:"added_at"`
}

func memberJSON(now time.Time) func(lectern.GroupMember) Member {
	return func(m lectern.GroupMember) Member {
		return Member{UserID: m.UserID, Name: m.UserName, Email: m.UserEmail, ExpiresAt: optTime(m.ExpiresAt),
			Active: m.ExpiresAt.IsZero() || m.ExpiresAt.After(now), AddedAt: utc(m.AddedAt)}
	}
}

// AuditEvent is one record of the audit log.
type AuditEvent struct {
	ID           string               `json:"id"`
	At           time.Time            `json:"at"`
	ActorID      *string              `json:"actor_id"`
	Action       string               `json:"action"`
	ResourceType lectern.ResourceType `json:"resource_type"`
	ResourceID   string               `json:"resource_id"`
	OwnerID      *string              `json:"owner_id"`
	ClientAddr   string               `json:"client_addr"`
	Reason       string               `json:"reason"`
	Detail       string               `json:"detail"`
}

func auditJSON(e lectern.AuditEvent) AuditEvent {
	return AuditEvent{ID: e.ID, At: utc(e.At), ActorID: optID(e.ActorID), Action: e.Action, ResourceType: e.ResourceType,
		ResourceID: e.ResourceID, OwnerID: optID(e.OwnerID), ClientAddr: e.ClientAddr, Reason: e.Reason, Detail: e.Detail}
}
