package lectern

import "time"

// UserKind says where an account comes from (DESIGN §2).
type UserKind string

const (
	UserLocal UserKind = "local" // password managed by Lectern
	UserSSO   UserKind = "sso"   // signs in through the institution's identity provider
	UserLTI   UserKind = "lti"   // created by an LMS launch
	UserGuest UserKind = "guest" // an invited outsider, bound to one email address
)

// User is an account. PasswordHash is an argon2id PHC string, or empty
// when the account cannot sign in with a password.
type User struct {
	ID           string
	Email        string
	Name         string
	Kind         UserKind
	IsAdmin      bool
	Disabled     bool
	PasswordHash string
	CreatedAt    time.Time
}

// LoginSession is a signed-in browser. Only the SHA-256 of its cookie
// token is stored, so a database leak does not hand out sessions.
type LoginSession struct {
	ID         string // hex SHA-256 of the cookie token
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	ClientAddr string
	UserAgent  string
}

// APIToken is a personal token for scripts (Authorization: Bearer).
type APIToken struct {
	ID         string
	UserID     string
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time // zero: no expiry
}
