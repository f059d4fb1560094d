package lectern

import "time"

// LTIVersion says which LTI a platform registration speaks.
type LTIVersion string

const (
	LTI13 LTIVersion = "1.3" // OIDC login, signed id_tokens, deep linking, NRPS
	LTI11 LTIVersion = "1.1" // OAuth 1.0a-signed form posts
)

// LTIPlatform is one LMS registered with Lectern (DESIGN §4, §6). For LTI
// 1.3 it is identified by Issuer and ClientID; for LTI 1.1 by ConsumerKey,
// whose secret is kept sealed with the site key and never leaves the lti
// package in the clear.
type LTIPlatform struct {
	ID      string
	Version LTIVersion
	Name    string

	// LTI 1.3.
	Issuer        string
	ClientID      string
	DeploymentIDs []string
	AuthURL       string // the platform's OIDC authorization endpoint
	TokenURL      string // OAuth 2 token endpoint (for NRPS)
	JWKSURL       string // the platform's public keys

	// LTI 1.1.
	ConsumerKey  string
	SecretSealed string // AES-GCM under the site key; see lti.Sealer

	// FrameOrigins are the LMS web origins allowed to show Lectern in an
	// iframe (CSP frame-ancestors).
	FrameOrigins []string
	// CourseParentID is the folder under which course folders are created;
	// empty until the first course folder of this platform is made, when
	// Lectern creates a top-level folder for the platform.
	CourseParentID string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// LTIContext is one LMS course known to Lectern, with its course folder
// (empty until an instructor first launches) and the two groups that
// carry access to the folder: members (viewer) and instructors (creator).
type LTIContext struct {
	ID                 string
	PlatformID         string
	ContextID          string // the LMS's id for the course
	Title              string
	Label              string
	FolderID           string
	MembersGroupID     string
	InstructorsGroupID string
	Public             bool
	NRPSURL            string // context_memberships_url, when the platform offers NRPS
	LastSyncAt         time.Time
	LastSyncNote       string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// LTILink is one LMS resource link (a course module) bound to one session.
// Its lti-link group holds viewer access to the session; launching the
// link puts the user in the group until the site's grant window passes.
// An unbound link keeps its row (SessionID and GroupID empty, UnboundAt
// set) so that a later launch does not quietly bind it again.
type LTILink struct {
	ID             string
	PlatformID     string
	ResourceLinkID string
	ContextRowID   string // LTIContext.ID; empty for a link outside a course
	ItemID         string // the deep-linking item that bound it, if any
	SessionID      string
	GroupID        string
	Title          string
	BoundBy        string
	BoundAt        time.Time
	UnboundAt      time.Time
	CreatedAt      time.Time
}

// Bound reports whether the link currently shows a session.
func (l LTILink) Bound() bool { return l.SessionID != "" && l.UnboundAt.IsZero() }
