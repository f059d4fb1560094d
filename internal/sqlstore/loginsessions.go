package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// InsertLoginSession stores a new login session; s.ID is the hex SHA-256
// of the cookie token, never the token itself.
func (db *DB) InsertLoginSession(ctx context.Context, s lectern.LoginSession) error {
	_, err := db.Exec(ctx, `INSERT INTO login_sessions (id, user_id, created_at, expires_at, last_seen_at, client_addr, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.CreatedAt.UnixMilli(), s.ExpiresAt.UnixMilli(), s.LastSeenAt.UnixMilli(), s.ClientAddr, s.UserAgent)
	if err != nil {
		return fmt.Errorf("insert login session: %w", err)
	}
	return nil
}

// LoginSessionWithUser returns a login session and its account, expired or
// not (the caller compares with its clock), or ENotFound.
func (db *DB) LoginSessionWithUser(ctx context.Context, id string) (lectern.LoginSession, lectern.User, error) {
	var s lectern.LoginSession
	var created, expires, seen sql.NullInt64
	var u lectern.User
	var userCreated sql.NullInt64
	dest := append([]any{&s.ID, &s.UserID, &created, &expires, &seen, &s.ClientAddr, &s.UserAgent},
		userScanTargets(&u, &userCreated)...)
	err := db.QueryRow(ctx, `SELECT s.id, s.user_id, s.created_at, s.expires_at, s.last_seen_at, s.client_addr, s.user_agent, `+
		userColumns("u.")+` FROM login_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, id).Scan(dest...)
	if err != nil {
		return lectern.LoginSession{}, lectern.User{}, NotFound(err, "login session")
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = Time(created), Time(expires), Time(seen)
	u.CreatedAt = Time(userCreated)
	return s, u, nil
}

// TouchLoginSession records activity: it sets last_seen_at and a new
// expiry, but only when the stored last_seen_at is not after staleBefore,
// so that many nodes serving one browser write at most once per interval.
// It reports whether it wrote.
func (db *DB) TouchLoginSession(ctx context.Context, id string, seen, expires, staleBefore time.Time) (bool, error) {
	res, err := db.Exec(ctx, "UPDATE login_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ? AND last_seen_at <= ?",
		seen.UnixMilli(), expires.UnixMilli(), id, staleBefore.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("touch login session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("touch login session: %w", err)
	}
	return n == 1, nil
}

// DeleteLoginSession ends one login session; ending an unknown one is not
// an error.
func (db *DB) DeleteLoginSession(ctx context.Context, id string) error {
	if _, err := db.Exec(ctx, "DELETE FROM login_sessions WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete login session: %w", err)
	}
	return nil
}

// DeleteUserLoginSessions ends every login session of one account and
// returns how many there were.
func (db *DB) DeleteUserLoginSessions(ctx context.Context, userID string) (int64, error) {
	res, err := db.Exec(ctx, "DELETE FROM login_sessions WHERE user_id = ?", userID)
	if err != nil {
		return 0, fmt.Errorf("delete login sessions of user %s: %w", userID, err)
	}
	return res.RowsAffected()
}

// DeleteExpiredLoginSessions removes sessions whose expiry is not after
// now and returns how many it removed.
func (db *DB) DeleteExpiredLoginSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.Exec(ctx, "DELETE FROM login_sessions WHERE expires_at <= ?", now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete expired login sessions: %w", err)
	}
	return res.RowsAffected()
}
