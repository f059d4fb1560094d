package lti

import (
	"context"
	"fmt"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// A resource link (a course module) bound to a session has its own
// lti-link group with viewer rights on the session (seed 000): the same
// video in two courses is two links and two groups, and access follows the
// session wherever it is filed.

// linkGroupKey is the external key of a link's group.
func linkGroupKey(platformID, resourceLinkID string) string { return platformID + ":" + resourceLinkID }

// bindLink binds a resource link to a session: it replaces the group of a
// previous binding with a fresh one holding viewer on the session.
func (s *Service) bindLink(ctx context.Context, prev *lectern.LTILink, l lectern.LTILink, byUserID string) (lectern.LTILink, error) {
	if prev != nil {
		l.ID = prev.ID
		if prev.GroupID != "" {
			if err := s.access.SystemDeleteGroup(ctx, prev.GroupID, "LMS link bound to another video"); err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
				return lectern.LTILink{}, err
			}
		}
	}
	name := l.Title
	if name == "" {
		name = l.ResourceLinkID
	}
	g, err := s.ensureGroup(ctx, lectern.GroupLTILink, linkGroupKey(l.PlatformID, l.ResourceLinkID), truncate("LMS link: "+name, 200))
	if err != nil {
		return lectern.LTILink{}, err
	}
	if _, err := s.access.SystemGrant(ctx, access.NewGrant{PrincipalType: lectern.PrincipalGroup, PrincipalID: g.ID,
		Resource: lectern.SessionResource(l.SessionID), Role: lectern.RoleViewer, Source: lectern.SourceLTI}, "LMS link"); err != nil {
		return lectern.LTILink{}, err
	}
	l.GroupID, l.BoundBy = g.ID, byUserID
	saved, err := s.db.SaveLTILinkBinding(ctx, l, s.clock())
	if lectern.ErrorCodeOf(err) == lectern.EConflict {
		// A concurrent first launch bound it; theirs stands (same group).
		return s.db.LTILinkByResource(ctx, l.PlatformID, l.ResourceLinkID)
	}
	if err != nil {
		return lectern.LTILink{}, err
	}
	if err := s.audit(ctx, byUserID, "lti.link.bind", lectern.ResourceSession, l.SessionID, "link "+l.ResourceLinkID+" ("+saved.ID+")"); err != nil {
		return lectern.LTILink{}, err
	}
	return saved, nil
}

// linkForLaunch returns the launch's resource link, binding it first when
// the launch carries a deep-linking item (custom lectern_item) that it is
// not yet bound to. The second result reports whether the link is bound.
func (s *Service) linkForLaunch(ctx context.Context, l *Launch, courseRowID, userID string) (lectern.LTILink, bool, error) {
	if l.ResourceLinkID == "" {
		return lectern.LTILink{}, false, nil
	}
	cur, err := s.db.LTILinkByResource(ctx, l.Platform.ID, l.ResourceLinkID)
	found := err == nil
	if err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
		return lectern.LTILink{}, false, err
	}
	itemID := l.Custom[CustomItem]
	if itemID == "" || (found && cur.ItemID == itemID) {
		return cur, found && cur.Bound(), nil
	}
	item, err := s.db.LTIItemByID(ctx, itemID)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound || (err == nil && item.PlatformID != l.Platform.ID) {
		s.log.WarnContext(ctx, "lti: launch names an unknown deep-linking item", "platform", l.Platform.ID, "item", itemID)
		return cur, found && cur.Bound(), nil
	}
	if err != nil {
		return lectern.LTILink{}, false, err
	}
	var prev *lectern.LTILink
	if found {
		prev = &cur
	}
	bound, err := s.bindLink(ctx, prev, lectern.LTILink{PlatformID: l.Platform.ID, ResourceLinkID: l.ResourceLinkID,
		ContextRowID: courseRowID, ItemID: item.ID, SessionID: item.SessionID, Title: l.ResourceLinkTitle}, item.CreatedBy)
	if err != nil {
		return lectern.LTILink{}, false, err
	}
	return bound, bound.Bound(), nil
}

// Link returns one resource link, or ENotFound.
func (s *Service) Link(ctx context.Context, id string) (lectern.LTILink, error) {
	return s.db.LTILinkByID(ctx, id)
}

// Links lists resource links, newest first.
func (s *Service) Links(ctx context.Context, f sqlstore.LTILinkFilter) ([]lectern.LTILink, error) {
	return s.db.ListLTILinks(ctx, f)
}

// UnbindLink takes the video off a resource link and deletes the link's
// group, so that nobody keeps access through it. The link is kept, marked
// unbound, so that launching it again does not bind it again; a teacher
// can choose a video for it anew. actor must be an admin, an instructor
// (creator) of the link's course folder, or allowed to share the session.
func (s *Service) UnbindLink(ctx context.Context, actor lectern.Principal, linkID, clientAddr string) error {
	l, err := s.db.LTILinkByID(ctx, linkID)
	if err != nil {
		return err
	}
	if err := s.mayManageLink(ctx, actor, l, clientAddr); err != nil {
		return err
	}
	if !l.Bound() {
		return lectern.Errorf(lectern.EConflict, "This LMS link shows no video.")
	}
	if l.GroupID != "" {
		if err := s.access.SystemDeleteGroup(ctx, l.GroupID, "LMS link unbound"); err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
			return err
		}
	}
	if err := s.db.UnbindLTILink(ctx, l.ID, s.clock()); err != nil {
		return err
	}
	return s.audit(ctx, actor.UserID, "lti.link.unbind", lectern.ResourceSession, l.SessionID, "link "+l.ResourceLinkID+" ("+l.ID+")")
}

func (s *Service) mayManageLink(ctx context.Context, actor lectern.Principal, l lectern.LTILink, clientAddr string) error {
	if actor.IsAdmin {
		return nil
	}
	if l.ContextRowID != "" {
		if c, err := s.db.LTIContextByID(ctx, l.ContextRowID); err == nil && c.FolderID != "" {
			d, err := s.access.Decide(ctx, actor, lectern.ActionEdit, lectern.FolderResource(c.FolderID))
			if err == nil && d.Allowed {
				return nil
			}
		}
	}
	if l.SessionID != "" {
		if _, err := s.access.Authorize(ctx, actor, lectern.ActionShare, lectern.SessionResource(l.SessionID), clientAddr); err == nil {
			return nil
		}
	}
	return lectern.Errorf(lectern.EForbidden, "Only the course's instructors, whoever may share the video, and admins can change this LMS link.")
}

// DescribeLink is a line about a link, for the command line.
func DescribeLink(l lectern.LTILink) string {
	state := "bound to session " + l.SessionID
	if !l.Bound() {
		state = "unbound"
	}
	return fmt.Sprintf("%s  resource link %q  %s  (group %s)", l.ID, l.ResourceLinkID, state, l.GroupID)
}
