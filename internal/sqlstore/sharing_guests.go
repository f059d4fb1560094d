package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// Guest invitations, and the guest accounts the site policy holds
// disabled.

const invitationColumns = `i.id, i.email, i.user_id, i.resource_type, i.resource_id, i.role, i.access_expires_at,
	i.grant_id, i.invited_by, i.created_at, i.link_expires_at, i.accepted_at, i.revoked_at`

func scanInvitation(scan func(...any) error) (lectern.GuestInvitation, error) {
	var inv lectern.GuestInvitation
	var access, created, linkExp, accepted, revoked sql.NullInt64
	if err := scan(&inv.ID, &inv.Email, &inv.UserID, &inv.Resource.Type, &inv.Resource.ID, &inv.Role, &access,
		&inv.GrantID, &inv.InvitedBy, &created, &linkExp, &accepted, &revoked); err != nil {
		return lectern.GuestInvitation{}, NotFound(err, "invitation")
	}
	inv.AccessExpiresAt, inv.CreatedAt, inv.LinkExpiresAt = Time(access), Time(created), Time(linkExp)
	inv.AcceptedAt, inv.RevokedAt = Time(accepted), Time(revoked)
	return inv, nil
}

// InsertGuestInvitation stores an invitation (ID and times set by the
// caller) under the hex SHA-256 of its emailed token.
func (t *Tx) InsertGuestInvitation(ctx context.Context, inv lectern.GuestInvitation, tokenHash string) error {
	if _, err := t.Exec(ctx, `INSERT INTO guest_invitations (id, token_hash, email, user_id, resource_type, resource_id,
			role, access_expires_at, grant_id, invited_by, created_at, link_expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, tokenHash, inv.Email, inv.UserID, string(inv.Resource.Type), inv.Resource.ID, string(inv.Role),
		Millis(inv.AccessExpiresAt), inv.GrantID, inv.InvitedBy, Millis(inv.CreatedAt), Millis(inv.LinkExpiresAt)); err != nil {
		return fmt.Errorf("insert invitation: %w", err)
	}
	return nil
}

// GuestInvitationByTokenHash returns the invitation whose emailed token
// hashes to hash, or ENotFound.
func (db *DB) GuestInvitationByTokenHash(ctx context.Context, hash string) (lectern.GuestInvitation, error) {
	return scanInvitation(db.QueryRow(ctx, `SELECT `+invitationColumns+` FROM guest_invitations i WHERE i.token_hash = ?`, hash).Scan)
}

// AcceptGuestInvitation marks an invitation used, if it is unused,
// unrevoked and its link has not expired at now; it reports whether it
// did, so that of two racing uses only one succeeds.
func (db *DB) AcceptGuestInvitation(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := db.Exec(ctx, `UPDATE guest_invitations SET accepted_at = ?
		WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND link_expires_at > ?`, Millis(now), id, Millis(now))
	if err != nil {
		return false, fmt.Errorf("accept invitation %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// GuestInvitationsOn lists the invitations to a folder or session, newest
// first.
func (db *DB) GuestInvitationsOn(ctx context.Context, r lectern.Resource) ([]lectern.GuestInvitation, error) {
	return db.invitations(ctx, `WHERE i.resource_id = ? AND i.resource_type = ?`, r.ID, string(r.Type))
}

// GuestInvitationsOf lists the invitations sent to one user, newest first.
func (db *DB) GuestInvitationsOf(ctx context.Context, userID string) ([]lectern.GuestInvitation, error) {
	return db.invitations(ctx, `WHERE i.user_id = ?`, userID)
}

func (db *DB) invitations(ctx context.Context, where string, args ...any) ([]lectern.GuestInvitation, error) {
	rows, err := db.Query(ctx, `SELECT `+invitationColumns+` FROM guest_invitations i `+where+`
		ORDER BY i.created_at DESC, i.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	defer rows.Close()
	var out []lectern.GuestInvitation
	for rows.Next() {
		inv, err := scanInvitation(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// RevokeGuestInvitations marks every unrevoked invitation of a user
// revoked (their links stop working) and returns how many it marked.
func (t *Tx) RevokeGuestInvitations(ctx context.Context, userID string, now time.Time) (int64, error) {
	res, err := t.Exec(ctx, `UPDATE guest_invitations SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
		Millis(now), userID)
	if err != nil {
		return 0, fmt.Errorf("revoke invitations of user %s: %w", userID, err)
	}
	return res.RowsAffected()
}

// GuestAccount is one guest account as the admins' list shows it.
type GuestAccount struct {
	User lectern.User
	// Held is set when the site policy, not an admin, disabled it.
	Held        bool
	Invitations int
	// Grants counts the grants the account holds now (expired ones not
	// yet swept included).
	Grants        int
	LastInvitedAt time.Time
}

// GuestAccounts lists every guest account, newest first.
func (db *DB) GuestAccounts(ctx context.Context) ([]GuestAccount, error) {
	rows, err := db.Query(ctx, `SELECT `+userColumns("u.")+`,
			EXISTS (SELECT 1 FROM guest_policy_holds h WHERE h.user_id = u.id),
			(SELECT COUNT(*) FROM guest_invitations i WHERE i.user_id = u.id),
			(SELECT COUNT(*) FROM grants g WHERE g.principal_type = 'user' AND g.principal_id = u.id),
			(SELECT MAX(i.created_at) FROM guest_invitations i WHERE i.user_id = u.id)
		FROM users u WHERE u.kind = 'guest' ORDER BY u.created_at DESC, u.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list guest accounts: %w", err)
	}
	defer rows.Close()
	var out []GuestAccount
	for rows.Next() {
		var g GuestAccount
		var created, last sql.NullInt64
		dest := append(userScanTargets(&g.User, &created), &g.Held, &g.Invitations, &g.Grants, &last)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("list guest accounts: %w", err)
		}
		g.User.CreatedAt, g.LastInvitedAt = Time(created), Time(last)
		out = append(out, g)
	}
	return out, rows.Err()
}

// HoldGuest disables an enabled guest account for the site policy (ending
// its login sessions) and remembers why; it reports whether it did.
func (db *DB) HoldGuest(ctx context.Context, userID string, now time.Time) (bool, error) {
	held := false
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET disabled = TRUE, updated_at = ? WHERE id = ? AND kind = 'guest' AND NOT disabled`,
			Millis(now), userID)
		if err != nil {
			return fmt.Errorf("hold guest %s: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM login_sessions WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("hold guest %s: %w", userID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO guest_policy_holds (user_id, at) VALUES (?, ?)`, userID, Millis(now)); err != nil {
			return fmt.Errorf("hold guest %s: %w", userID, err)
		}
		held = true
		return nil
	})
	return held, err
}

// ReleaseGuest enables a guest account that the site policy held
// disabled; an account an admin disabled or revoked stays as it is. It
// reports whether it released one.
func (db *DB) ReleaseGuest(ctx context.Context, userID string, now time.Time) (bool, error) {
	released := false
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM guest_policy_holds WHERE user_id = ?`, userID)
		if err != nil {
			return fmt.Errorf("release guest %s: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = FALSE, updated_at = ? WHERE id = ?`, Millis(now), userID); err != nil {
			return fmt.Errorf("release guest %s: %w", userID, err)
		}
		released = true
		return nil
	})
	return released, err
}

// DropGuestHold forgets that the policy held a guest (an admin revoked
// it: it stays disabled whatever the policy says later).
func (t *Tx) DropGuestHold(ctx context.Context, userID string) error {
	if _, err := t.Exec(ctx, `DELETE FROM guest_policy_holds WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("drop hold of guest %s: %w", userID, err)
	}
	return nil
}

// DisableUser disables an account and ends its login sessions inside a
// caller's transaction; a missing user is ENotFound.
func (t *Tx) DisableUser(ctx context.Context, userID string, now time.Time) error {
	if err := updateOneUser(ctx, t, userID, "UPDATE users SET disabled = TRUE, updated_at = ? WHERE id = ?", Millis(now), userID); err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `DELETE FROM login_sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("end sessions of user %s: %w", userID, err)
	}
	return nil
}
