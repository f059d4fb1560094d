package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// userColumns lists the users columns scanUser reads, in order; prefix
// names the table alias when a query joins users to another table.
func userColumns(prefix string) string {
	return prefix + "id, " + prefix + "email, " + prefix + "name, " + prefix + "kind, " +
		prefix + "is_admin, " + prefix + "disabled, " + prefix + "password_hash, " + prefix + "created_at"
}

func userScanTargets(u *lectern.User, created *sql.NullInt64) []any {
	return []any{&u.ID, &u.Email, &u.Name, &u.Kind, &u.IsAdmin, &u.Disabled, &u.PasswordHash, created}
}

func scanUser(r interface{ Scan(dest ...any) error }) (lectern.User, error) {
	var u lectern.User
	var created sql.NullInt64
	if err := r.Scan(userScanTargets(&u, &created)...); err != nil {
		return lectern.User{}, err
	}
	u.CreatedAt = Time(created)
	return u, nil
}

// InsertUser stores a new account. The caller sets ID, CreatedAt and an
// already normalised (lower-case) Email. An email that another account
// already has is EConflict.
func (db *DB) InsertUser(ctx context.Context, u lectern.User) error {
	_, err := db.Exec(ctx, `INSERT INTO users (id, email, name, kind, is_admin, disabled, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, string(u.Kind), u.IsAdmin, u.Disabled, u.PasswordHash,
		u.CreatedAt.UnixMilli(), u.CreatedAt.UnixMilli())
	if IsUniqueViolation(err) {
		return &lectern.Error{Code: lectern.EConflict, Message: "An account with this email address already exists.", Err: err}
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// UserByID returns one account, or ENotFound.
func (db *DB) UserByID(ctx context.Context, id string) (lectern.User, error) {
	u, err := scanUser(db.QueryRow(ctx, "SELECT "+userColumns("")+" FROM users WHERE id = ?", id))
	if err != nil {
		return lectern.User{}, NotFound(err, "user")
	}
	return u, nil
}

// UserByEmail returns the account with this normalised email, or
// ENotFound. The empty email matches nothing, although several accounts
// (some LTI users) may have none.
func (db *DB) UserByEmail(ctx context.Context, email string) (lectern.User, error) {
	if email == "" {
		return lectern.User{}, NotFound(sql.ErrNoRows, "user")
	}
	u, err := scanUser(db.QueryRow(ctx, "SELECT "+userColumns("")+" FROM users WHERE email = ?", email))
	if err != nil {
		return lectern.User{}, NotFound(err, "user")
	}
	return u, nil
}

// ListUsers returns accounts oldest first.
func (db *DB) ListUsers(ctx context.Context, limit, offset int) ([]lectern.User, error) {
	rows, err := db.Query(ctx, "SELECT "+userColumns("")+" FROM users ORDER BY created_at, id LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []lectern.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// CountUsers counts every account, disabled ones included.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// SetUserAdmin grants or removes the site admin role. Removing it from the
// last enabled admin is EConflict: a site needs someone to run it. A
// missing user is ENotFound.
func (db *DB) SetUserAdmin(ctx context.Context, id string, admin bool, now time.Time) error {
	var res sql.Result
	var err error
	if admin {
		res, err = db.Exec(ctx, "UPDATE users SET is_admin = TRUE, updated_at = ? WHERE id = ?", now.UnixMilli(), id)
	} else {
		res, err = db.Exec(ctx, `UPDATE users SET is_admin = FALSE, updated_at = ?
			WHERE id = ? AND (NOT is_admin OR EXISTS (
				SELECT 1 FROM users o WHERE o.is_admin AND NOT o.disabled AND o.id <> ?))`,
			now.UnixMilli(), id, id)
	}
	if err != nil {
		return fmt.Errorf("set admin for user %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set admin for user %s: %w", id, err)
	} else if n == 1 {
		return nil
	}
	if _, err := db.UserByID(ctx, id); err != nil {
		return err
	}
	return lectern.Errorf(lectern.EConflict, "This is the last administrator of the site. Make someone else an administrator first.")
}

// SetUserDisabled disables or re-enables an account. Disabling also ends
// the account's login sessions. A missing user is ENotFound.
func (db *DB) SetUserDisabled(ctx context.Context, id string, disabled bool, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if err := updateOneUser(ctx, tx, id, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", disabled, now.UnixMilli(), id); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.Exec(ctx, "DELETE FROM login_sessions WHERE user_id = ?", id); err != nil {
				return fmt.Errorf("end sessions of user %s: %w", id, err)
			}
		}
		return nil
	})
}

// SetUserPassword stores a new password hash, ends every login session of
// the account and voids its unused password-reset links, all in one
// transaction. A missing user is ENotFound.
func (db *DB) SetUserPassword(ctx context.Context, id, hash string, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if err := updateOneUser(ctx, tx, id, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, now.UnixMilli(), id); err != nil {
			return err
		}
		return afterPasswordChange(ctx, tx, id, now)
	})
}

// ReplacePasswordHash swaps oldHash for newHash (a re-hash with new cost
// parameters) unless the password changed meanwhile; it reports whether
// it did. Sessions are left alone: the password is the same.
func (db *DB) ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string, now time.Time) (bool, error) {
	res, err := db.Exec(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?",
		newHash, now.UnixMilli(), id, oldHash)
	if err != nil {
		return false, fmt.Errorf("re-hash password of user %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("re-hash password of user %s: %w", id, err)
	}
	return n == 1, nil
}

func updateOneUser(ctx context.Context, q Querier, id, query string, args ...any) error {
	res, err := q.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update user %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update user %s: %w", id, err)
	}
	if n == 0 {
		return NotFound(sql.ErrNoRows, "user")
	}
	return nil
}

// afterPasswordChange ends the user's login sessions and voids unused
// reset links: whoever knew the old password, or holds an old link, is out.
func afterPasswordChange(ctx context.Context, q Querier, userID string, now time.Time) error {
	if _, err := q.Exec(ctx, "DELETE FROM login_sessions WHERE user_id = ?", userID); err != nil {
		return fmt.Errorf("end sessions of user %s: %w", userID, err)
	}
	if _, err := q.Exec(ctx, "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", now.UnixMilli(), userID); err != nil {
		return fmt.Errorf("void reset links of user %s: %w", userID, err)
	}
	return nil
}
