package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// InsertPasswordReset stores a reset link under the hex SHA-256 of its
// token.
func (db *DB) InsertPasswordReset(ctx context.Context, tokenHash, userID string, createdAt, expiresAt time.Time) error {
	_, err := db.Exec(ctx, "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
		tokenHash, userID, createdAt.UnixMilli(), expiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert password reset: %w", err)
	}
	return nil
}

// PasswordResetUser returns the account a reset link belongs to while the
// link is usable (not used, expiring after now); otherwise ENotFound. It
// changes nothing: UsePasswordReset is what consumes a link.
func (db *DB) PasswordResetUser(ctx context.Context, tokenHash string, now time.Time) (string, error) {
	var userID string
	err := db.QueryRow(ctx, "SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
		tokenHash, now.UnixMilli()).Scan(&userID)
	if err != nil {
		return "", NotFound(err, "password reset")
	}
	return userID, nil
}

// UsePasswordReset consumes a usable reset link and, in the same
// transaction, stores the new password hash, ends every login session of
// the account and voids its other reset links. It returns the account's
// id. A link that is unknown, used or expired is ENotFound; of two
// concurrent uses of one link exactly one succeeds.
func (db *DB) UsePasswordReset(ctx context.Context, tokenHash, newHash string, now time.Time) (string, error) {
	var userID string
	err := db.InTx(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, `UPDATE password_resets SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
			now.UnixMilli(), tokenHash, now.UnixMilli()).Scan(&userID)
		if err != nil {
			return NotFound(err, "password reset")
		}
		if err := updateOneUser(ctx, tx, userID, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
			newHash, now.UnixMilli(), userID); err != nil {
			return err
		}
		return afterPasswordChange(ctx, tx, userID, now)
	})
	if err != nil {
		return "", err
	}
	return userID, nil
}

// DeleteExpiredPasswordResets removes reset links whose expiry is not
// after now, used or not, and returns how many it removed.
func (db *DB) DeleteExpiredPasswordResets(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.Exec(ctx, "DELETE FROM password_resets WHERE expires_at <= ?", now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete expired password resets: %w", err)
	}
	return res.RowsAffected()
}
