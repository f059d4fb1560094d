package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// LTI storage: platform registrations, Lectern's signing keys, login
// states, used nonces, users keyed by (issuer, subject), deep-linking
// items and picker sessions. Courses and links are in lti_courses.go.

const ltiPlatformColumns = `id, version, name, issuer, client_id, deployment_ids, auth_url, token_url, jwks_url,
	consumer_key, secret_sealed, frame_origins, course_parent_id, created_at, updated_at`

func scanLTIPlatform(scan func(...any) error) (lectern.LTIPlatform, error) {
	var p lectern.LTIPlatform
	var deployments, origins string
	var created, updated sql.NullInt64
	if err := scan(&p.ID, &p.Version, &p.Name, &p.Issuer, &p.ClientID, &deployments, &p.AuthURL, &p.TokenURL, &p.JWKSURL,
		&p.ConsumerKey, &p.SecretSealed, &origins, &p.CourseParentID, &created, &updated); err != nil {
		return lectern.LTIPlatform{}, NotFound(err, "LMS platform")
	}
	p.DeploymentIDs = splitNonEmpty(deployments, "\n")
	p.FrameOrigins = strings.Fields(origins)
	p.CreatedAt, p.UpdatedAt = Time(created), Time(updated)
	return p, nil
}

func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, v := range strings.Split(s, sep) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func queryLTIPlatforms(ctx context.Context, q Querier, where string, args ...any) ([]lectern.LTIPlatform, error) {
	rows, err := q.Query(ctx, `SELECT `+ltiPlatformColumns+` FROM lti_platforms `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list LMS platforms: %w", err)
	}
	defer rows.Close()
	var out []lectern.LTIPlatform
	for rows.Next() {
		p, err := scanLTIPlatform(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func ltiPlatformConflict(err error) error {
	if IsUniqueViolation(err) {
		return &lectern.Error{Code: lectern.EConflict,
			Message: "Another registration already uses this issuer and client id (LTI 1.3) or this consumer key (LTI 1.1).", Err: err}
	}
	return err
}

// InsertLTIPlatform stores a new registration; p.ID must be set. A second
// registration with the same issuer and client id, or consumer key, is
// EConflict.
func (db *DB) InsertLTIPlatform(ctx context.Context, p lectern.LTIPlatform, now time.Time) error {
	_, err := db.Exec(ctx, `INSERT INTO lti_platforms (`+ltiPlatformColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, string(p.Version), p.Name, p.Issuer, p.ClientID, strings.Join(p.DeploymentIDs, "\n"), p.AuthURL, p.TokenURL, p.JWKSURL,
		p.ConsumerKey, p.SecretSealed, strings.Join(p.FrameOrigins, " "), p.CourseParentID, Millis(now), Millis(now))
	if err != nil {
		return fmt.Errorf("insert LMS platform: %w", ltiPlatformConflict(err))
	}
	return nil
}

// UpdateLTIPlatform replaces a registration's settings (not its version).
func (db *DB) UpdateLTIPlatform(ctx context.Context, p lectern.LTIPlatform, now time.Time) error {
	res, err := db.Exec(ctx, `UPDATE lti_platforms SET name = ?, issuer = ?, client_id = ?, deployment_ids = ?, auth_url = ?,
		token_url = ?, jwks_url = ?, consumer_key = ?, secret_sealed = ?, frame_origins = ?, course_parent_id = ?, updated_at = ?
		WHERE id = ?`,
		p.Name, p.Issuer, p.ClientID, strings.Join(p.DeploymentIDs, "\n"), p.AuthURL, p.TokenURL, p.JWKSURL,
		p.ConsumerKey, p.SecretSealed, strings.Join(p.FrameOrigins, " "), p.CourseParentID, Millis(now), p.ID)
	if err != nil {
		return fmt.Errorf("update LMS platform: %w", ltiPlatformConflict(err))
	}
	return expectOne(res, nil)("LMS platform")
}

// SetLTICourseParent records the folder under which a platform's course
// folders go, unless one is already recorded; it reports whether it did.
func (db *DB) SetLTICourseParent(ctx context.Context, platformID, folderID string, now time.Time) (bool, error) {
	res, err := db.Exec(ctx, `UPDATE lti_platforms SET course_parent_id = ?, updated_at = ? WHERE id = ? AND course_parent_id = ''`,
		folderID, Millis(now), platformID)
	if err != nil {
		return false, fmt.Errorf("set course parent of LMS platform %s: %w", platformID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DeleteLTIPlatform removes a registration and, by cascade, its courses,
// links, states, items and picker sessions (their groups are the caller's
// to delete first).
func (db *DB) DeleteLTIPlatform(ctx context.Context, id string) error {
	res, err := db.Exec(ctx, `DELETE FROM lti_platforms WHERE id = ?`, id)
	return expectOne(res, err)("LMS platform")
}

// LTIPlatformByID returns one registration, or ENotFound.
func (db *DB) LTIPlatformByID(ctx context.Context, id string) (lectern.LTIPlatform, error) {
	return scanLTIPlatform(db.QueryRow(ctx, `SELECT `+ltiPlatformColumns+` FROM lti_platforms WHERE id = ?`, id).Scan)
}

// LTIPlatformsByIssuer lists the LTI 1.3 registrations of an issuer.
func (db *DB) LTIPlatformsByIssuer(ctx context.Context, issuer string) ([]lectern.LTIPlatform, error) {
	return queryLTIPlatforms(ctx, db, `WHERE version = '1.3' AND issuer = ? ORDER BY created_at, id`, issuer)
}

// LTIPlatformByConsumerKey returns the LTI 1.1 registration of a consumer
// key, or ENotFound.
func (db *DB) LTIPlatformByConsumerKey(ctx context.Context, key string) (lectern.LTIPlatform, error) {
	return scanLTIPlatform(db.QueryRow(ctx, `SELECT `+ltiPlatformColumns+` FROM lti_platforms WHERE version = '1.1' AND consumer_key = ?`, key).Scan)
}

// ListLTIPlatforms lists every registration by name.
func (db *DB) ListLTIPlatforms(ctx context.Context) ([]lectern.LTIPlatform, error) {
	return queryLTIPlatforms(ctx, db, `ORDER BY name, id`)
}

// LTIKey is one of Lectern's signing keys, its private half sealed.
type LTIKey struct {
	ID            string
	PrivateSealed string
	CreatedAt     time.Time
	RetiredAt     time.Time // zero: in use
}

// RotateLTIKey stores a new signing key and retires every other key in use.
func (db *DB) RotateLTIKey(ctx context.Context, k LTIKey) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE lti_keys SET retired_at = ? WHERE retired_at IS NULL`, Millis(k.CreatedAt)); err != nil {
			return fmt.Errorf("retire LTI keys: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lti_keys (id, private_sealed, created_at) VALUES (?, ?, ?)`,
			k.ID, k.PrivateSealed, Millis(k.CreatedAt)); err != nil {
			return fmt.Errorf("insert LTI key: %w", err)
		}
		return nil
	})
}

// LTIKeys lists the keys in use and those retired after retiredAfter,
// newest first: the first key without RetiredAt signs.
func (db *DB) LTIKeys(ctx context.Context, retiredAfter time.Time) ([]LTIKey, error) {
	rows, err := db.Query(ctx, `SELECT id, private_sealed, created_at, retired_at FROM lti_keys
		WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC, id DESC`, Millis(retiredAfter))
	if err != nil {
		return nil, fmt.Errorf("list LTI keys: %w", err)
	}
	defer rows.Close()
	var out []LTIKey
	for rows.Next() {
		var k LTIKey
		var created, retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.PrivateSealed, &created, &retired); err != nil {
			return nil, fmt.Errorf("list LTI keys: %w", err)
		}
		k.CreatedAt, k.RetiredAt = Time(created), Time(retired)
		out = append(out, k)
	}
	return out, rows.Err()
}

// LTILoginState is an OIDC login in flight: the hash of the state handed
// to the browser, the nonce the id_token must carry, and where it expires.
type LTILoginState struct {
	ID           string
	PlatformID   string
	Nonce        string
	DeploymentID string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// InsertLTILoginState stores a login in flight.
func (db *DB) InsertLTILoginState(ctx context.Context, s LTILoginState) error {
	_, err := db.Exec(ctx, `INSERT INTO lti_login_states (id, platform_id, nonce, deployment_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.ID, s.PlatformID, s.Nonce, s.DeploymentID, Millis(s.CreatedAt), Millis(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store LTI login state: %w", err)
	}
	return nil
}

// LTILoginStateByID returns a login in flight (expired or not), or ENotFound.
func (db *DB) LTILoginStateByID(ctx context.Context, id string) (LTILoginState, error) {
	var s LTILoginState
	var created, expires sql.NullInt64
	err := db.QueryRow(ctx, `SELECT id, platform_id, nonce, deployment_id, created_at, expires_at FROM lti_login_states WHERE id = ?`, id).
		Scan(&s.ID, &s.PlatformID, &s.Nonce, &s.DeploymentID, &created, &expires)
	if err != nil {
		return LTILoginState{}, NotFound(err, "login state")
	}
	s.CreatedAt, s.ExpiresAt = Time(created), Time(expires)
	return s, nil
}

// UseLTINonce records a nonce as used until expires and reports whether
// it was fresh: false means it had been used before (a replay).
func (db *DB) UseLTINonce(ctx context.Context, id string, expires time.Time) (bool, error) {
	_, err := db.Exec(ctx, `INSERT INTO lti_nonces (id, expires_at) VALUES (?, ?)`, id, Millis(expires))
	switch {
	case IsUniqueViolation(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("record LTI nonce: %w", err)
	}
	return true, nil
}

// SweepLTI deletes expired login states, nonces and picker sessions, and
// keys retired before keysRetiredBefore, and reports how many rows went.
func (db *DB) SweepLTI(ctx context.Context, now, keysRetiredBefore time.Time) (int64, error) {
	var total int64
	for _, q := range []struct {
		sql string
		arg any
	}{
		{`DELETE FROM lti_login_states WHERE expires_at <= ?`, Millis(now)},
		{`DELETE FROM lti_nonces WHERE expires_at <= ?`, Millis(now)},
		{`DELETE FROM lti_picks WHERE expires_at <= ?`, Millis(now)},
		{`DELETE FROM lti_keys WHERE retired_at IS NOT NULL AND retired_at <= ?`, Millis(keysRetiredBefore)},
	} {
		res, err := db.Exec(ctx, q.sql, q.arg)
		if err != nil {
			return total, fmt.Errorf("sweep LTI: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// LTIUserID returns the account of the LMS user (issuer, subject), or
// ENotFound.
func (db *DB) LTIUserID(ctx context.Context, issuer, subject string) (string, error) {
	var id string
	err := db.QueryRow(ctx, `SELECT user_id FROM lti_users WHERE issuer = ? AND subject = ?`, issuer, subject).Scan(&id)
	if err != nil {
		return "", NotFound(err, "LMS user")
	}
	return id, nil
}

// InsertLTIUser links the LMS user (issuer, subject) to an account. A
// second link for the same LMS user is EConflict.
func (db *DB) InsertLTIUser(ctx context.Context, issuer, subject, userID string, now time.Time) error {
	_, err := db.Exec(ctx, `INSERT INTO lti_users (issuer, subject, user_id, created_at, last_launch_at) VALUES (?, ?, ?, ?, ?)`,
		issuer, subject, userID, Millis(now), Millis(now))
	if IsUniqueViolation(err) {
		return &lectern.Error{Code: lectern.EConflict, Message: "This LMS user already has an account.", Err: err}
	}
	if err != nil {
		return fmt.Errorf("link LMS user: %w", err)
	}
	return nil
}

// TouchLTIUser records a launch by the LMS user.
func (db *DB) TouchLTIUser(ctx context.Context, issuer, subject string, now time.Time) error {
	if _, err := db.Exec(ctx, `UPDATE lti_users SET last_launch_at = ? WHERE issuer = ? AND subject = ?`, Millis(now), issuer, subject); err != nil {
		return fmt.Errorf("touch LMS user: %w", err)
	}
	return nil
}

// UpdateLTIUserProfile sets the name and email of an lti account (other
// kinds are left alone). An email another account has is EConflict.
func (db *DB) UpdateLTIUserProfile(ctx context.Context, userID, name, email string, now time.Time) error {
	_, err := db.Exec(ctx, `UPDATE users SET name = ?, email = ?, updated_at = ? WHERE id = ? AND kind = 'lti'`,
		name, email, Millis(now), userID)
	if IsUniqueViolation(err) {
		return &lectern.Error{Code: lectern.EConflict, Message: "An account with this email address already exists.", Err: err}
	}
	if err != nil {
		return fmt.Errorf("update LMS user %s: %w", userID, err)
	}
	return nil
}

// DeleteUnlinkedLTIUser deletes an lti account that no LMS user is linked
// to: the loser of two concurrent first launches by the same person.
func (db *DB) DeleteUnlinkedLTIUser(ctx context.Context, userID string) error {
	_, err := db.Exec(ctx, `DELETE FROM users WHERE id = ? AND kind = 'lti'
		AND NOT EXISTS (SELECT 1 FROM lti_users WHERE user_id = ?)`, userID, userID)
	if err != nil {
		return fmt.Errorf("delete unlinked LMS user %s: %w", userID, err)
	}
	return nil
}

// LTIItem is a deep-linking content item: a chosen session.
type LTIItem struct {
	ID         string
	PlatformID string
	SessionID  string
	CreatedBy  string
	CreatedAt  time.Time
}

// InsertLTIItem stores a content item.
func (db *DB) InsertLTIItem(ctx context.Context, it LTIItem) error {
	_, err := db.Exec(ctx, `INSERT INTO lti_items (id, platform_id, session_id, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
		it.ID, it.PlatformID, it.SessionID, it.CreatedBy, Millis(it.CreatedAt))
	if err != nil {
		return fmt.Errorf("store deep-linking item: %w", err)
	}
	return nil
}

// LTIItemByID returns a content item, or ENotFound.
func (db *DB) LTIItemByID(ctx context.Context, id string) (LTIItem, error) {
	var it LTIItem
	var created sql.NullInt64
	err := db.QueryRow(ctx, `SELECT id, platform_id, session_id, created_by, created_at FROM lti_items WHERE id = ?`, id).
		Scan(&it.ID, &it.PlatformID, &it.SessionID, &it.CreatedBy, &created)
	if err != nil {
		return LTIItem{}, NotFound(err, "deep-linking item")
	}
	it.CreatedAt = Time(created)
	return it, nil
}

// LTIPick is a teacher choosing videos, for a deep-linking response
// (Mode "deep-link") or to bind the resource link they launched ("bind").
type LTIPick struct {
	ID             string // hex SHA-256 of the token in the picker's URL
	PlatformID     string
	UserID         string
	Mode           string
	DeploymentID   string
	ReturnURL      string
	Data           string
	AcceptMultiple bool
	ContextRowID   string
	ResourceLinkID string
	Title          string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	UsedAt         time.Time
}

// InsertLTIPick stores a picker session.
func (db *DB) InsertLTIPick(ctx context.Context, p LTIPick) error {
	_, err := db.Exec(ctx, `INSERT INTO lti_picks (id, platform_id, user_id, mode, deployment_id, return_url, data, accept_multiple,
		context_row_id, resource_link_id, title, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.PlatformID, p.UserID, p.Mode, p.DeploymentID, p.ReturnURL, p.Data, p.AcceptMultiple,
		p.ContextRowID, p.ResourceLinkID, p.Title, Millis(p.CreatedAt), Millis(p.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store picker session: %w", err)
	}
	return nil
}

// LTIPickByID returns a picker session (expired or used or not), or ENotFound.
func (db *DB) LTIPickByID(ctx context.Context, id string) (LTIPick, error) {
	var p LTIPick
	var created, expires, used sql.NullInt64
	err := db.QueryRow(ctx, `SELECT id, platform_id, user_id, mode, deployment_id, return_url, data, accept_multiple,
		context_row_id, resource_link_id, title, created_at, expires_at, used_at FROM lti_picks WHERE id = ?`, id).
		Scan(&p.ID, &p.PlatformID, &p.UserID, &p.Mode, &p.DeploymentID, &p.ReturnURL, &p.Data, &p.AcceptMultiple,
			&p.ContextRowID, &p.ResourceLinkID, &p.Title, &created, &expires, &used)
	if err != nil {
		return LTIPick{}, NotFound(err, "picker session")
	}
	p.CreatedAt, p.ExpiresAt, p.UsedAt = Time(created), Time(expires), Time(used)
	return p, nil
}

// UseLTIPick marks a picker session used and reports whether this call
// did (false: it was used already, or has expired).
func (db *DB) UseLTIPick(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := db.Exec(ctx, `UPDATE lti_picks SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
		Millis(now), id, Millis(now))
	if err != nil {
		return false, fmt.Errorf("use picker session: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
