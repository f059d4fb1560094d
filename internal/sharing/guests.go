package sharing

import (
	"context"
	"fmt"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Guests lists every guest account with its invitations and grants, for
// site admins (EForbidden for anyone else).
func (s *Service) Guests(ctx context.Context, actor lectern.Principal) ([]sqlstore.GuestAccount, error) {
	if !actor.IsAdmin {
		return nil, lectern.Errorf(lectern.EForbidden, "Only site admins can list guest accounts.")
	}
	return s.db.GuestAccounts(ctx)
}

// RevokeGuest ends a guest account's access for good (site admins only):
// the account is disabled (its sessions end), its invitation links stop
// working, and every grant it holds is removed (each removal audited).
// The revocation is audited. A member account is EConflict: revoke only
// applies to guests.
func (s *Service) RevokeGuest(ctx context.Context, actor lectern.Principal, clientAddr, userID string) error {
	if !actor.IsAdmin {
		return lectern.Errorf(lectern.EForbidden, "Only site admins can revoke guest accounts.")
	}
	u, err := s.identity.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Kind != lectern.UserGuest {
		return lectern.Errorf(lectern.EConflict, "%s is not a guest account.", u.Email)
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.DisableUser(ctx, userID, now); err != nil {
			return err
		}
		if err := tx.DropGuestHold(ctx, userID); err != nil {
			return err
		}
		n, err := tx.RevokeGuestInvitations(ctx, userID, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: AuditGuestRevoke,
			ClientAddr: clientAddr, Reason: string(lectern.ReasonAdmin),
			Detail: fmt.Sprintf("guest %s (%s) revoked; %d invitations voided", u.Email, u.ID, n)})
	})
	if err != nil {
		return err
	}
	grants, err := s.db.GrantsOf(ctx, lectern.PrincipalUser, userID)
	if err != nil {
		return err
	}
	for _, g := range grants {
		if err := s.access.SystemRevoke(ctx, g.ID, "guest "+u.Email+" revoked by a site admin"); err != nil &&
			lectern.ErrorCodeOf(err) != lectern.ENotFound {
			return err
		}
	}
	return nil
}
