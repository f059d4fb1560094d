package lectern

import "time"

// LinkState is where a share link stands. A suspended link can be resumed
// by its owner; a revoked one is over for good.
type LinkState string

const (
	LinkActive    LinkState = "active"
	LinkSuspended LinkState = "suspended"
	LinkRevoked   LinkState = "revoked"
)

// SpikeAction is what the spike rule does when a link seems to have
// spread beyond its recipients.
type SpikeAction string

const (
	SpikeOff     SpikeAction = "off"     // nothing
	SpikeNotify  SpikeAction = "notify"  // email the owner (once per window)
	SpikeSuspend SpikeAction = "suspend" // suspend the link and email the owner
)

// Valid reports whether a is one of the spike actions.
func (a SpikeAction) Valid() bool { return a == SpikeOff || a == SpikeNotify || a == SpikeSuspend }

// SpikeRule: more than MaxDistinct distinct devices, or more than
// MaxDistinct distinct networks, opening a link within Window → Action.
type SpikeRule struct {
	MaxDistinct int
	Window      time.Duration
	Action      SpikeAction
}

// Suspension reasons of a share link.
const (
	SuspendedByOwner = "owner"
	SuspendedBySpike = "spike"
)

// ShareLink is a secret URL, /s/{token}, through which people without
// access of their own may watch one session (DESIGN §2). Only the token's
// SHA-256 is stored.
type ShareLink struct {
	ID        string
	SessionID string
	Label     string // the owner's note: whom the link is for
	CreatedBy string
	// PasswordHash is an argon2id PHC string; empty: no password.
	PasswordHash string
	ExpiresAt    time.Time // zero: never
	// MaxOpens limits opens in total and MaxViewsPerViewer opens per
	// viewer; zero means no limit.
	MaxOpens          int
	MaxViewsPerViewer int
	// Opens counts the playback tokens issued through the link.
	Opens           int
	State           LinkState
	SuspendedReason string // SuspendedByOwner or SuspendedBySpike
	Spike           SpikeRule
	SpikeNotifiedAt time.Time
	// SpikeSince: opens before it do not count for the spike rule (the
	// owner resumed the link then).
	SpikeSince time.Time
	// Named are the email addresses of people who, signed in, are not
	// asked for the password.
	Named     []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HasPassword reports whether the link asks for a password.
func (l ShareLink) HasPassword() bool { return l.PasswordHash != "" }

// Expired reports whether the link has expired at now.
func (l ShareLink) Expired(now time.Time) bool {
	return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt)
}

// ShareViewer is one viewer of a link: a signed-in user, or an anonymous
// browser known by its long-lived viewer cookie.
type ShareViewer struct {
	LinkID    string
	ViewerID  string // "u-" + user id, or "b-" + a hash of the browser's cookie
	UserID    string // empty for an anonymous browser
	UserEmail string // filled in by listings
	Opens     int
	// ExtraOpens is what the owner added on top of the link's per-viewer
	// limit.
	ExtraOpens int
	FirstAt    time.Time
	LastAt     time.Time
	// Networks and Devices count the distinct networks and devices this
	// viewer opened the link from (listings only).
	Networks int
	Devices  int
}

// Allowance is how many opens the viewer has under l's per-viewer limit,
// or 0 when the link has none.
func (v ShareViewer) Allowance(l ShareLink) int {
	if l.MaxViewsPerViewer <= 0 {
		return 0
	}
	return l.MaxViewsPerViewer + v.ExtraOpens
}

// GuestInvitation invites an email address to a folder or a session. The
// guest account and its grant exist from the invitation on; the emailed
// one-time link sets the account's password.
type GuestInvitation struct {
	ID              string
	Email           string
	UserID          string
	Resource        Resource
	Role            Role
	AccessExpiresAt time.Time // zero: the access does not end
	GrantID         string
	InvitedBy       string
	CreatedAt       time.Time
	LinkExpiresAt   time.Time
	AcceptedAt      time.Time
	RevokedAt       time.Time
}
