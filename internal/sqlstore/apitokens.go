package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

const apiTokenColumns = "t.id, t.user_id, t.name, t.created_at, t.last_used_at, t.expires_at"

func apiTokenScanTargets(t *lectern.APIToken, times *[3]sql.NullInt64) []any {
	return []any{&t.ID, &t.UserID, &t.Name, &times[0], &times[1], &times[2]}
}

func setAPITokenTimes(t *lectern.APIToken, times [3]sql.NullInt64) {
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt = Time(times[0]), Time(times[1]), Time(times[2])
}

// InsertAPIToken stores a personal API token under the hex SHA-256 of its
// secret. A zero ExpiresAt means the token does not expire.
func (db *DB) InsertAPIToken(ctx context.Context, t lectern.APIToken, tokenHash string) error {
	_, err := db.Exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, last_used_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, tokenHash, t.CreatedAt.UnixMilli(), Millis(t.LastUsedAt), Millis(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert API token: %w", err)
	}
	return nil
}

// APITokenByHash returns the token whose secret hashes to tokenHash, with
// its account, expired or not, or ENotFound.
func (db *DB) APITokenByHash(ctx context.Context, tokenHash string) (lectern.APIToken, lectern.User, error) {
	var t lectern.APIToken
	var times [3]sql.NullInt64
	var u lectern.User
	var userCreated sql.NullInt64
	dest := append(apiTokenScanTargets(&t, &times), userScanTargets(&u, &userCreated)...)
	err := db.QueryRow(ctx, "SELECT "+apiTokenColumns+", "+userColumns("u.")+
		" FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?", tokenHash).Scan(dest...)
	if err != nil {
		return lectern.APIToken{}, lectern.User{}, NotFound(err, "API token")
	}
	setAPITokenTimes(&t, times)
	u.CreatedAt = Time(userCreated)
	return t, u, nil
}

// TouchAPIToken sets last_used_at to at when it is unset or not after
// staleBefore, so that a busy script causes at most one write per
// interval across all nodes.
func (db *DB) TouchAPIToken(ctx context.Context, id string, at, staleBefore time.Time) error {
	_, err := db.Exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
		at.UnixMilli(), id, staleBefore.UnixMilli())
	if err != nil {
		return fmt.Errorf("touch API token: %w", err)
	}
	return nil
}

// ListAPITokens returns one account's tokens, newest first.
func (db *DB) ListAPITokens(ctx context.Context, userID string) ([]lectern.APIToken, error) {
	rows, err := db.Query(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens t WHERE t.user_id = ? ORDER BY t.created_at DESC, t.id DESC", userID)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var toks []lectern.APIToken
	for rows.Next() {
		var t lectern.APIToken
		var times [3]sql.NullInt64
		if err := rows.Scan(apiTokenScanTargets(&t, &times)...); err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		setAPITokenTimes(&t, times)
		toks = append(toks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return toks, nil
}

// DeleteAPIToken revokes one of userID's tokens. A token that does not
// exist or belongs to someone else is ENotFound.
func (db *DB) DeleteAPIToken(ctx context.Context, userID, id string) error {
	res, err := db.Exec(ctx, "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", id, userID)
	if err != nil {
		return fmt.Errorf("delete API token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete API token: %w", err)
	}
	if n == 0 {
		return NotFound(sql.ErrNoRows, "API token")
	}
	return nil
}
