package access

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

func groupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", lectern.Errorf(lectern.EInvalid, "name: a group needs a name of 1 to 200 characters")
	}
	return name, nil
}

// CreateGroup makes a manual group managed by actor.
func (s *Service) CreateGroup(ctx context.Context, actor lectern.Principal, name string) (lectern.Group, error) {
	name, err := groupName(name)
	if err != nil {
		return lectern.Group{}, err
	}
	if actor.UserID == "" {
		return lectern.Group{}, lectern.Errorf(lectern.EUnauthorized, "Sign in to create a group.")
	}
	if err := MemberOnly(actor, "create groups"); err != nil {
		return lectern.Group{}, err
	}
	var g lectern.Group
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		g, err = tx.InsertGroup(ctx, lectern.Group{Kind: lectern.GroupManual, Name: name, OwnerID: actor.UserID}, s.Now())
		return err
	})
	return g, err
}

// EnsureGroup returns the system group of this kind mirroring externalKey
// (an LTI context or resource link, an SSO claim value), creating it, or
// renaming it when name has changed. For integrations; nothing is checked.
func (s *Service) EnsureGroup(ctx context.Context, kind lectern.GroupKind, externalKey, name string) (lectern.Group, error) {
	if !kind.Valid() || kind == lectern.GroupManual {
		return lectern.Group{}, lectern.Errorf(lectern.EInvalid, "kind: must be sso, lti-context or lti-link")
	}
	if externalKey == "" {
		return lectern.Group{}, lectern.Errorf(lectern.EInvalid, "external_key: required")
	}
	name, err := groupName(name)
	if err != nil {
		return lectern.Group{}, err
	}
	var g lectern.Group
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.Now()
		g, err = tx.GroupByExternalKey(ctx, kind, externalKey)
		switch {
		case err == nil:
			if g.Name != name {
				g.Name = name
				return tx.RenameGroup(ctx, g.ID, name, now)
			}
			return nil
		case lectern.ErrorCodeOf(err) == lectern.ENotFound:
			g, err = tx.InsertGroup(ctx, lectern.Group{Kind: kind, Name: name, ExternalKey: externalKey}, now)
			return err
		}
		return err
	})
	return g, err
}

// Group returns a group to its manager, its members, or an admin.
func (s *Service) Group(ctx context.Context, actor lectern.Principal, id string) (lectern.Group, error) {
	g, err := s.db.GroupByID(ctx, id)
	if err != nil {
		return lectern.Group{}, err
	}
	if actor.IsAdmin || (actor.UserID != "" && g.OwnerID == actor.UserID) {
		return g, nil
	}
	mine, err := s.db.GroupsOfUser(ctx, actor.UserID, s.Now())
	if err != nil {
		return lectern.Group{}, err
	}
	for _, m := range mine {
		if m.ID == id {
			return g, nil
		}
	}
	return lectern.Group{}, lectern.Errorf(lectern.ENotFound, "group not found")
}

// GroupsOf lists the groups a user belongs to now; expired memberships do
// not count.
func (s *Service) GroupsOf(ctx context.Context, userID string) ([]lectern.Group, error) {
	return s.db.GroupsOfUser(ctx, userID, s.Now())
}

// ManagedGroups lists the manual groups actor manages.
func (s *Service) ManagedGroups(ctx context.Context, actor lectern.Principal) ([]lectern.Group, error) {
	return s.db.GroupsOwnedBy(ctx, actor.UserID)
}

// manage authorizes actor to change a group: the manager of a manual
// group, or an admin (for any group; system groups are otherwise changed
// only by their integration).
func (s *Service) manage(ctx context.Context, actor lectern.Principal, groupID string) (lectern.Group, error) {
	g, err := s.Group(ctx, actor, groupID)
	if err != nil {
		return lectern.Group{}, err
	}
	if actor.IsAdmin || (g.Kind == lectern.GroupManual && g.OwnerID == actor.UserID) {
		return g, nil
	}
	return lectern.Group{}, lectern.Errorf(lectern.EForbidden, "Only the group's manager or an admin can change it.")
}

// Members lists a group's members (with expired memberships not yet swept,
// which count for nothing). Visible to whoever may see the group.
func (s *Service) Members(ctx context.Context, actor lectern.Principal, groupID string) ([]lectern.GroupMember, error) {
	if _, err := s.Group(ctx, actor, groupID); err != nil {
		return nil, err
	}
	return s.db.GroupMembers(ctx, groupID)
}

// AddMember puts a user in a group, until expiresAt when it is set, or
// changes the expiry of an existing membership. The actor must manage the
// group. The change is audited.
func (s *Service) AddMember(ctx context.Context, actor lectern.Principal, groupID, userID string, expiresAt time.Time, clientAddr string) error {
	g, err := s.manage(ctx, actor, groupID)
	if err != nil {
		return err
	}
	return s.addMember(ctx, g, userID, expiresAt, actor.UserID, clientAddr, "manager")
}

// SystemAddMember puts a user in a group on behalf of an integration (an
// LTI launch refreshes its lti-link membership this way) or refreshes the
// membership's expiry. Only new memberships are audited, so that repeated
// launches do not flood the log.
func (s *Service) SystemAddMember(ctx context.Context, groupID, userID string, expiresAt time.Time, reason string) error {
	g, err := s.db.GroupByID(ctx, groupID)
	if err != nil {
		return err
	}
	return s.addMember(ctx, g, userID, expiresAt, "", "", reason)
}

func (s *Service) addMember(ctx context.Context, g lectern.Group, userID string, expiresAt time.Time, by, clientAddr, reason string) error {
	now := s.Now()
	if !expiresAt.IsZero() && !expiresAt.After(now) {
		return lectern.Errorf(lectern.EInvalid, "expires_at: must be in the future")
	}
	u, err := s.db.UserByID(ctx, userID)
	if err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return lectern.Errorf(lectern.EInvalid, "user_id: no such user")
		}
		return err
	}
	if u.Kind == lectern.UserGuest {
		// A group's lists and grants would reach a guest past what was
		// shared with it; invitations share with guests directly.
		return lectern.Errorf(lectern.EInvalid, "user_id: %s is a guest account, and guests cannot join groups", u.Email)
	}
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		created, err := tx.UpsertMember(ctx, g.ID, userID, expiresAt, by, now)
		if err != nil {
			return err
		}
		if !created && by == "" {
			return nil
		}
		detail := "user " + userID
		if !expiresAt.IsZero() {
			detail += " until " + expiresAt.UTC().Format(time.RFC3339)
		}
		_, err = sqlstore.InsertAuditEvent(ctx, tx, lectern.AuditEvent{
			At: now, ActorID: by, Action: lectern.AuditMemberAdd, ResourceType: lectern.ResourceGroup, ResourceID: g.ID, OwnerID: g.OwnerID,
			ClientAddr: clientAddr, Reason: reason, Detail: detail,
		})
		return err
	})
}

// RemoveMember takes a user out of a group. The actor must manage the
// group. The change is audited.
func (s *Service) RemoveMember(ctx context.Context, actor lectern.Principal, groupID, userID, clientAddr string) error {
	g, err := s.manage(ctx, actor, groupID)
	if err != nil {
		return err
	}
	return s.removeMember(ctx, g, userID, actor.UserID, clientAddr, "manager")
}

// SystemRemoveMember takes a user out of a group for an integration.
func (s *Service) SystemRemoveMember(ctx context.Context, groupID, userID, reason string) error {
	g, err := s.db.GroupByID(ctx, groupID)
	if err != nil {
		return err
	}
	return s.removeMember(ctx, g, userID, "", "", reason)
}

func (s *Service) removeMember(ctx context.Context, g lectern.Group, userID, by, clientAddr, reason string) error {
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.RemoveMember(ctx, g.ID, userID); err != nil {
			return err
		}
		_, err := sqlstore.InsertAuditEvent(ctx, tx, lectern.AuditEvent{
			At: s.Now(), ActorID: by, Action: lectern.AuditMemberRemove, ResourceType: lectern.ResourceGroup, ResourceID: g.ID, OwnerID: g.OwnerID,
			ClientAddr: clientAddr, Reason: reason, Detail: "user " + userID,
		})
		return err
	})
}

// DeleteGroup removes a group, its memberships and its grants. The actor
// must manage the group. Audited.
func (s *Service) DeleteGroup(ctx context.Context, actor lectern.Principal, groupID, clientAddr string) error {
	g, err := s.manage(ctx, actor, groupID)
	if err != nil {
		return err
	}
	return s.deleteGroup(ctx, g, actor.UserID, clientAddr, "manager")
}

// SystemDeleteGroup removes a group for an integration (deleting an LTI
// link's binding deletes its group).
func (s *Service) SystemDeleteGroup(ctx context.Context, groupID, reason string) error {
	g, err := s.db.GroupByID(ctx, groupID)
	if err != nil {
		return err
	}
	return s.deleteGroup(ctx, g, "", "", reason)
}

func (s *Service) deleteGroup(ctx context.Context, g lectern.Group, by, clientAddr, reason string) error {
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.DeleteGroup(ctx, g.ID); err != nil {
			return err
		}
		_, err := sqlstore.InsertAuditEvent(ctx, tx, lectern.AuditEvent{
			At: s.Now(), ActorID: by, Action: lectern.AuditGroupDelete, ResourceType: lectern.ResourceGroup, ResourceID: g.ID, OwnerID: g.OwnerID,
			ClientAddr: clientAddr, Reason: reason, Detail: string(g.Kind) + " group " + g.Name,
		})
		return err
	})
}
