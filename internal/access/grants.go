package access

import (
	"context"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// NewGrant is what a caller supplies to give access.
type NewGrant struct {
	PrincipalType lectern.PrincipalType
	PrincipalID   string
	Resource      lectern.Resource
	Role          lectern.Role
	ExpiresAt     time.Time           // zero: never
	Source        lectern.GrantSource // default manual
}

// requiredAction is what the actor must be allowed on the resource to give
// or take away a grant of this role there: a viewer grant on a session is
// sharing; everything else is managing access.
func requiredAction(r lectern.Resource, role lectern.Role) lectern.Action {
	if r.Type == lectern.ResourceSession && role == lectern.RoleViewer {
		return lectern.ActionShare
	}
	return lectern.ActionManageAccess
}

// checkGrantor authorizes actor to give or take a grant of role on r.
// Publisher grants also need the actor to be a publisher there (or an
// admin), so that nobody can lift themselves or others past approval.
func (s *Service) checkGrantor(ctx context.Context, actor lectern.Principal, r lectern.Resource, role lectern.Role, clientAddr string) (lectern.Decision, error) {
	d, err := s.Authorize(ctx, actor, requiredAction(r, role), r, clientAddr)
	if err != nil {
		return d, err
	}
	if role == lectern.RolePublisher && !actor.IsAdmin {
		ap, err := s.Decide(ctx, actor, lectern.ActionApprove, r)
		if err != nil {
			return d, err
		}
		if !ap.Allowed {
			return d, lectern.Errorf(lectern.EForbidden, "Only publishers and admins can make someone a publisher.")
		}
	}
	return d, nil
}

func (s *Service) validateGrant(ctx context.Context, ng *NewGrant) error {
	if ng.Source == "" {
		ng.Source = lectern.SourceManual
	}
	switch {
	case !ng.Role.Valid():
		return lectern.Errorf(lectern.EInvalid, "role: must be viewer, creator or publisher")
	case !ng.Source.Valid():
		return lectern.Errorf(lectern.EInvalid, "source: must be manual, lti or share")
	case ng.Resource.Type != lectern.ResourceFolder && ng.Resource.Type != lectern.ResourceSession:
		return lectern.Errorf(lectern.EInvalid, "resource: must be a folder or a session")
	case !ng.ExpiresAt.IsZero() && !ng.ExpiresAt.After(s.Now()):
		return lectern.Errorf(lectern.EInvalid, "expires_at: must be in the future")
	}
	switch ng.PrincipalType {
	case lectern.PrincipalUser:
		u, err := s.db.UserByID(ctx, ng.PrincipalID)
		if err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Errorf(lectern.EInvalid, "user_id: no such user")
			}
			return err
		}
		if u.Kind == lectern.UserGuest && ng.Role != lectern.RoleViewer {
			return lectern.Errorf(lectern.EInvalid, "role: %s is a guest account, and guests can only be viewers", u.Email)
		}
	case lectern.PrincipalGroup:
		if _, err := s.db.GroupByID(ctx, ng.PrincipalID); err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Errorf(lectern.EInvalid, "group_id: no such group")
			}
			return err
		}
	default:
		return lectern.Errorf(lectern.EInvalid, "principal: must be a user or a group")
	}
	return nil
}

// Grant gives ng's principal ng's role on ng's resource, or changes the
// role and expiry of the grant already given from the same source. The
// actor needs share (a viewer grant on a session) or manage-access
// (anything else) on the resource, and to be a publisher there to make
// someone a publisher. The change is audited.
func (s *Service) Grant(ctx context.Context, actor lectern.Principal, ng NewGrant, clientAddr string) (lectern.Grant, error) {
	if err := s.validateGrant(ctx, &ng); err != nil {
		return lectern.Grant{}, err
	}
	d, err := s.checkGrantor(ctx, actor, ng.Resource, ng.Role, clientAddr)
	if err != nil {
		return lectern.Grant{}, err
	}
	return s.storeGrant(ctx, ng, actor.UserID, d.OwnerID, clientAddr, string(d.Reason))
}

// SystemGrant gives a grant on behalf of Lectern itself (an LTI launch or
// roster, an SSO rule): no actor is checked. reason says why, for the
// audit log.
func (s *Service) SystemGrant(ctx context.Context, ng NewGrant, reason string) (lectern.Grant, error) {
	if err := s.validateGrant(ctx, &ng); err != nil {
		return lectern.Grant{}, err
	}
	owner, err := s.ownerOf(ctx, ng.Resource)
	if err != nil {
		return lectern.Grant{}, err
	}
	return s.storeGrant(ctx, ng, "", owner, "", reason)
}

func (s *Service) storeGrant(ctx context.Context, ng NewGrant, by, ownerID, clientAddr, reason string) (lectern.Grant, error) {
	now := s.Now()
	var stored lectern.Grant
	err := s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		var prev *lectern.Grant
		var err error
		stored, prev, err = tx.UpsertGrant(ctx, lectern.Grant{
			PrincipalType: ng.PrincipalType, PrincipalID: ng.PrincipalID, Resource: ng.Resource,
			Role: ng.Role, ExpiresAt: ng.ExpiresAt, Source: ng.Source, CreatedBy: by,
		}, now)
		if err != nil {
			return err
		}
		action, detail := lectern.AuditGrantAdd, grantDetail(stored)
		if prev != nil {
			action, detail = lectern.AuditGrantChange, grantDetail(*prev)+" -> "+grantDetail(stored)
		}
		_, err = sqlstore.InsertAuditEvent(ctx, tx, lectern.AuditEvent{
			At: now, ActorID: by, Action: action, ResourceType: ng.Resource.Type, ResourceID: ng.Resource.ID,
			OwnerID: ownerID, ClientAddr: clientAddr, Reason: reason, Detail: detail,
		})
		return err
	})
	return stored, err
}

func grantDetail(g lectern.Grant) string {
	s := fmt.Sprintf("%s %s %s (%s, grant %s)", g.Role, g.PrincipalType, g.PrincipalID, g.Source, g.ID)
	if !g.ExpiresAt.IsZero() {
		s += " until " + g.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return s
}

// Revoke removes a grant. The actor needs what giving it would need. The
// change is audited. A grant that does not exist is ENotFound.
func (s *Service) Revoke(ctx context.Context, actor lectern.Principal, grantID, clientAddr string) error {
	g, err := s.db.GrantByID(ctx, grantID)
	if err != nil {
		return err
	}
	d, err := s.checkGrantor(ctx, actor, g.Resource, g.Role, clientAddr)
	if err != nil {
		return err
	}
	return s.deleteGrant(ctx, g, actor.UserID, d.OwnerID, clientAddr, string(d.Reason))
}

// SystemRevoke removes a grant on behalf of Lectern itself; reason says
// why, for the audit log.
func (s *Service) SystemRevoke(ctx context.Context, grantID, reason string) error {
	g, err := s.db.GrantByID(ctx, grantID)
	if err != nil {
		return err
	}
	owner, err := s.ownerOf(ctx, g.Resource)
	if err != nil {
		return err
	}
	return s.deleteGrant(ctx, g, "", owner, "", reason)
}

func (s *Service) deleteGrant(ctx context.Context, g lectern.Grant, by, ownerID, clientAddr, reason string) error {
	now := s.Now()
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.DeleteGrant(ctx, g.ID); err != nil {
			return err
		}
		_, err := sqlstore.InsertAuditEvent(ctx, tx, lectern.AuditEvent{
			At: now, ActorID: by, Action: lectern.AuditGrantRevoke, ResourceType: g.Resource.Type,
			ResourceID: g.Resource.ID, OwnerID: ownerID, ClientAddr: clientAddr, Reason: reason, Detail: grantDetail(g),
		})
		return err
	})
}

// Grants lists the grants given directly on r, expired ones that the
// sweeper has not removed included (Grant.Active tells). The actor needs
// share on a session or manage-access on a folder.
func (s *Service) Grants(ctx context.Context, actor lectern.Principal, r lectern.Resource, clientAddr string) ([]lectern.Grant, error) {
	a := lectern.ActionManageAccess
	if r.Type == lectern.ResourceSession {
		a = lectern.ActionShare
	}
	if _, err := s.Authorize(ctx, actor, a, r, clientAddr); err != nil {
		return nil, err
	}
	return s.db.GrantsOn(ctx, r)
}

// ownerOf returns the owner of a resource, or ENotFound.
func (s *Service) ownerOf(ctx context.Context, r lectern.Resource) (string, error) {
	switch r.Type {
	case lectern.ResourceSession:
		sess, err := s.db.SessionByID(ctx, r.ID)
		return sess.OwnerID, err
	case lectern.ResourceFolder:
		f, err := s.db.FolderByID(ctx, r.ID)
		return f.OwnerID, err
	}
	return "", lectern.Errorf(lectern.EInvalid, "resource: must be a folder or a session")
}
