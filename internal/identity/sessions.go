package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/lectern-edu/lectern"
)

// Secrets handed to browsers and mailboxes (session cookies, reset links)
// are 32 random bytes in unpadded base64url: 43 characters. Only their
// SHA-256, in hex, is stored.
const (
	tokenBytes = 32
	tokenLen   = 43
)

var tokenEncoding = base64.RawURLEncoding.Strict()

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return tokenEncoding.EncodeToString(b)
}

// parseToken checks that token has the shape newToken produces and
// returns the hex SHA-256 under which it is stored. (The decoder skips CR
// and LF, hence the round-trip check.)
func parseToken(token string) (string, bool) {
	if len(token) != tokenLen {
		return "", false
	}
	b, err := tokenEncoding.DecodeString(token)
	if err != nil || len(b) != tokenBytes || tokenEncoding.EncodeToString(b) != token {
		return "", false
	}
	return hashSecret(token), true
}

// NewSecret returns a fresh secret of the same shape as session and reset
// tokens (32 random bytes, 43 base64url characters), for other features
// that hand out bearer secrets (share links, invitations).
func NewSecret() string { return newToken() }

// ParseSecret is parseToken for other features: the hex SHA-256 under
// which a secret from NewSecret is stored, or false for anything that is
// not exactly such a secret.
func ParseSecret(secret string) (string, bool) { return parseToken(secret) }

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func errSessionEnded() error {
	return &lectern.Error{Code: lectern.EUnauthorized, Message: "Your session has ended. Please sign in again."}
}

// StartSession signs a browser in as userID, after Authenticate or an
// SSO/LTI login. It returns the cookie token (shown once, never stored)
// and the session, which expires SessionTTL after its last use. An
// unknown user is ENotFound; a disabled one EForbidden.
func (s *Service) StartSession(ctx context.Context, userID, clientAddr, userAgent string) (string, lectern.LoginSession, error) {
	u, err := s.db.UserByID(ctx, userID)
	if err != nil {
		return "", lectern.LoginSession{}, err
	}
	if u.Disabled {
		return "", lectern.LoginSession{}, lectern.Errorf(lectern.EForbidden, "This account has been disabled. Please contact the site administrator.")
	}
	token := newToken()
	now := s.now()
	sess := lectern.LoginSession{
		ID:         hashSecret(token),
		UserID:     userID,
		CreatedAt:  now,
		ExpiresAt:  now.Add(s.opts.SessionTTL),
		LastSeenAt: now,
		ClientAddr: truncate(clientAddr, 100),
		UserAgent:  truncate(userAgent, 512),
	}
	if err := s.db.InsertLoginSession(ctx, sess); err != nil {
		return "", lectern.LoginSession{}, fmt.Errorf("start session for user %s: %w", userID, err)
	}
	return token, sess, nil
}

// SessionUser returns the account and session behind a cookie token and
// slides the session's expiry (writing at most once a minute). A token
// that is malformed, unknown or expired, or whose account is disabled, is
// EUnauthorized.
func (s *Service) SessionUser(ctx context.Context, token string) (lectern.User, lectern.LoginSession, error) {
	id, ok := parseToken(token)
	if !ok {
		return lectern.User{}, lectern.LoginSession{}, errSessionEnded()
	}
	sess, u, err := s.db.LoginSessionWithUser(ctx, id)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.User{}, lectern.LoginSession{}, errSessionEnded()
	}
	if err != nil {
		return lectern.User{}, lectern.LoginSession{}, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || u.Disabled {
		return lectern.User{}, lectern.LoginSession{}, errSessionEnded()
	}
	if staleBefore := now.Add(-touchInterval); !sess.LastSeenAt.After(staleBefore) {
		expires := now.Add(s.opts.SessionTTL)
		touched, err := s.db.TouchLoginSession(ctx, id, now, expires, staleBefore)
		if err != nil {
			return lectern.User{}, lectern.LoginSession{}, err
		}
		if touched {
			sess.LastSeenAt, sess.ExpiresAt = now, expires
		}
	}
	return u, sess, nil
}

// EndSession signs a browser out. Ending a session that is unknown,
// expired or malformed is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	id, ok := parseToken(token)
	if !ok {
		return nil
	}
	return s.db.DeleteLoginSession(ctx, id)
}
