package lectern

import "time"

// Principal is who asks for access: a signed-in user. Group memberships
// are not carried here; the access decision resolves them in its query,
// counting only memberships that have not expired.
type Principal struct {
	UserID  string
	IsAdmin bool
	// Guest marks an invited outsider's account: the access decision lets
	// it view what was shared with it and nothing more (no other action,
	// whatever role a grant names), and it is never a site admin.
	Guest bool
}

// PrincipalOf returns the principal for a user account. A guest account
// is never an admin, whatever its row says.
func PrincipalOf(u User) Principal {
	guest := u.Kind == UserGuest
	return Principal{UserID: u.ID, IsAdmin: u.IsAdmin && !guest, Guest: guest}
}

// Role is what a grant gives (DESIGN §2, §3).
type Role string

const (
	// RoleViewer sees published content.
	RoleViewer Role = "viewer"
	// RoleCreator sees every state, edits, uploads into folders, shares and
	// publishes (into pending approval where the folder requires it).
	RoleCreator Role = "creator"
	// RolePublisher has creator rights and approves or returns sessions.
	RolePublisher Role = "publisher"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.Rank() > 0 }

// Rank orders roles: viewer 1 < creator 2 < publisher 3; anything else 0.
func (r Role) Rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleCreator:
		return 2
	case RolePublisher:
		return 3
	}
	return 0
}

// Action is what a principal wants to do to a resource.
type Action string

const (
	ActionView   Action = "view"
	ActionEdit   Action = "edit" // rename, describe, upload into (a folder), move
	ActionDelete Action = "delete"
	ActionShare  Action = "share" // share links, viewer grants on a session
	// ActionPublish publishes a session (or, on a folder, publishes into it).
	ActionPublish Action = "publish"
	// ActionApprove approves or returns a session waiting for approval.
	ActionApprove      Action = "approve"
	ActionManageAccess Action = "manage-access"
)

// Valid reports whether a is one of the actions.
func (a Action) Valid() bool {
	switch a {
	case ActionView, ActionEdit, ActionDelete, ActionShare, ActionPublish, ActionApprove, ActionManageAccess:
		return true
	}
	return false
}

// ResourceType is the kind of thing grants are given on.
type ResourceType string

const (
	ResourceFolder  ResourceType = "folder"
	ResourceSession ResourceType = "session"
	// ResourceGroup appears in audit events only: groups are not granted on.
	ResourceGroup ResourceType = "group"
)

// Resource names one folder or session.
type Resource struct {
	Type ResourceType
	ID   string
}

// SessionResource and FolderResource name resources.
func SessionResource(id string) Resource { return Resource{Type: ResourceSession, ID: id} }
func FolderResource(id string) Resource  { return Resource{Type: ResourceFolder, ID: id} }

// Reason is the machine-readable why of a Decision. Allowing reasons are
// "owner", "folder-owner", "admin" and "grant:<role>:<session|folder>";
// denying reasons start with "deny:".
type Reason string

const (
	ReasonOwner       Reason = "owner"        // the resource's owner
	ReasonFolderOwner Reason = "folder-owner" // owns the folder or an ancestor: acts as creator
	ReasonAdmin       Reason = "admin"        // site admin on content they do not otherwise reach: audited

	DenyNoGrant      Reason = "deny:no-grant"      // nothing gives this principal any access
	DenyExpired      Reason = "deny:expired"       // only expired grants or memberships would have allowed it
	DenyNotPublished Reason = "deny:not-published" // a viewer, and the session is not published
	DenyArchived     Reason = "deny:archived"      // a viewer, and the session is archived
	DenyRecycled     Reason = "deny:recycled"      // in the recycle bin: owner and admins only
	DenyPurged       Reason = "deny:purged"        // purged: admins only
	DenyRole         Reason = "deny:role"          // has access, but the role does not allow this action
)

// GrantReason is the reason for access through a grant of role on a
// resource of type rt.
func GrantReason(role Role, rt ResourceType) Reason {
	return Reason("grant:" + string(role) + ":" + string(rt))
}

// Decision is the outcome of the access decision.
type Decision struct {
	Allowed bool
	Reason  Reason
	// GrantID is the grant that allowed it, when one did.
	GrantID string
	// Role is the principal's effective role on the resource (creator for
	// owners and folder owners); empty when there is none.
	Role Role
	// NeedsApproval is set on an allowed publish that must wait for a
	// publisher: the folder or an ancestor requires approval and the
	// principal is not a publisher there.
	NeedsApproval bool
	// AdminOverride is set when only the principal's site-admin role
	// allowed it; callers audit such uses and tell the owner.
	AdminOverride bool
	// OwnerID is the owner of the resource.
	OwnerID string
}

// PrincipalType says whether a grant is given to a user or a group.
type PrincipalType string

const (
	PrincipalUser  PrincipalType = "user"
	PrincipalGroup PrincipalType = "group"
)

// GrantSource says what created a grant.
type GrantSource string

const (
	SourceManual GrantSource = "manual" // a person in Lectern's pages or API
	SourceLTI    GrantSource = "lti"    // an LMS launch or roster
	SourceShare  GrantSource = "share"  // an invitation to a guest
)

// Valid reports whether s is one of the grant sources.
func (s GrantSource) Valid() bool {
	return s == SourceManual || s == SourceLTI || s == SourceShare
}

// Grant gives a user or a group a role on a folder (and its whole subtree)
// or on one session. A grant past ExpiresAt counts for nothing, whether or
// not the sweeper has removed it yet.
type Grant struct {
	ID            string
	PrincipalType PrincipalType
	PrincipalID   string
	// PrincipalName is the user's or group's display name, filled in by
	// listings.
	PrincipalName string
	Resource      Resource
	Role          Role
	ExpiresAt     time.Time // zero: never
	Source        GrantSource
	CreatedBy     string // user id; empty for the system (LTI, SSO)
	CreatedAt     time.Time
}

// Active reports whether the grant counts at now.
func (g Grant) Active(now time.Time) bool { return g.ExpiresAt.IsZero() || g.ExpiresAt.After(now) }

// GroupKind says where a group's members come from (DESIGN §2).
type GroupKind string

const (
	GroupManual     GroupKind = "manual"      // kept by hand
	GroupSSO        GroupKind = "sso"         // from identity-provider claims
	GroupLTIContext GroupKind = "lti-context" // the members of an LMS course
	GroupLTILink    GroupKind = "lti-link"    // the launchers of one LMS resource link
)

// Valid reports whether k is one of the group kinds.
func (k GroupKind) Valid() bool {
	switch k {
	case GroupManual, GroupSSO, GroupLTIContext, GroupLTILink:
		return true
	}
	return false
}

// Group is a set of users.
type Group struct {
	ID   string
	Kind GroupKind
	Name string
	// ExternalKey identifies the group in the system it mirrors (an LTI
	// context or resource-link id, an SSO claim value); unique per kind.
	ExternalKey string
	OwnerID     string // who manages a manual group; empty for system groups
	CreatedAt   time.Time
}

// GroupMember is one user's membership of a group.
type GroupMember struct {
	GroupID   string
	UserID    string
	UserName  string    // filled in by listings
	UserEmail string    // filled in by listings
	ExpiresAt time.Time // zero: never
	AddedAt   time.Time
}

// AuditEvent is one append-only record: who did what to which resource,
// when, from where and why (DESIGN §2).
type AuditEvent struct {
	ID           string
	At           time.Time
	ActorID      string // empty: the system
	Action       string // e.g. "grant.add", "session.approve", "admin.access"
	ResourceType ResourceType
	ResourceID   string
	// OwnerID is the owner of the resource when the event happened, so
	// that owners can read the events on their own content.
	OwnerID    string
	ClientAddr string
	Reason     string
	Detail     string // short human-readable detail, e.g. "viewer for user x until …"
}

// Audit actions.
const (
	AuditGrantAdd       = "grant.add"
	AuditGrantChange    = "grant.change"
	AuditGrantRevoke    = "grant.revoke"
	AuditMemberAdd      = "group.member.add"
	AuditMemberRemove   = "group.member.remove"
	AuditGroupDelete    = "group.delete"
	AuditApprovalSubmit = "session.submit"
	AuditApprove        = "session.approve"
	AuditReturn         = "session.return"
	AuditSessionDelete  = "session.delete"
	AuditSessionRestore = "session.restore"
	AuditSessionMove    = "session.move"
	AuditFolderDelete   = "folder.delete"
	AuditFolderRestore  = "folder.restore"
	AuditFolderMove     = "folder.move"
	AuditFolderApproval = "folder.approval"
	AuditAdminAccess    = "admin.access"
)
