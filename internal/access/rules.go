package access

import (
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// evaluate applies the rules of DESIGN §3 to the facts read for one
// principal and one resource. It is pure: no clock but now, no I/O.
//
//  1. Purged content: admins only. Recycled content: its owner may view
//     and delete (restore) it; otherwise admins only.
//  2. The principal's role is the best active grant on the session, its
//     folder or an ancestor — directly or through a group membership;
//     a grant or membership past its expiry counts for nothing. Owners of
//     the resource, and owners of its folder or an ancestor, act as
//     creators.
//  3. Viewers see only published sessions (in a viewer lifecycle state);
//     creators and publishers see every state.
//  4. Site admins are allowed what the rules above deny, with reason
//     "admin" and AdminOverride set, for the caller to audit.
//
// Guests (Principal.Guest, invited outsiders) get view at most: every
// grant counts as a viewer grant for them, they are never owners or
// folder owners, and never admins. So whatever page, API call or playback
// path a guest uses, it sees what was shared with it and nothing else.
//
// When a denial would have been an allowance had expired grants and
// memberships still counted, the reason is deny:expired.
func evaluate(p lectern.Principal, a lectern.Action, f sqlstore.AccessFacts, now time.Time) lectern.Decision {
	d := decideWith(p, a, f, func(g sqlstore.GrantFact) bool { return g.Active(now) })
	if !d.Allowed && d.Reason != lectern.DenyRecycled && d.Reason != lectern.DenyPurged {
		if e := decideWith(p, a, f, func(sqlstore.GrantFact) bool { return true }); e.Allowed {
			d.Reason, d.GrantID = lectern.DenyExpired, e.GrantID
		}
	}
	if !d.Allowed && p.IsAdmin && !p.Guest {
		return lectern.Decision{Allowed: true, Reason: lectern.ReasonAdmin, AdminOverride: true, OwnerID: f.OwnerID}
	}
	return d
}

func decideWith(p lectern.Principal, a lectern.Action, f sqlstore.AccessFacts, counts func(sqlstore.GrantFact) bool) lectern.Decision {
	d := lectern.Decision{OwnerID: f.OwnerID}
	allow := func(r lectern.Reason, grantID string) lectern.Decision {
		d.Allowed, d.Reason, d.GrantID = true, r, grantID
		return d
	}
	deny := func(r lectern.Reason) lectern.Decision {
		d.Allowed, d.Reason = false, r
		return d
	}
	signedIn := p.UserID != ""
	// A guest never acts as an owner (it cannot create anything to own).
	owner := signedIn && !p.Guest && p.UserID == f.OwnerID

	// Rule 1: the recycle bin and beyond.
	switch f.Lifecycle {
	case lectern.LifecyclePurged:
		return deny(lectern.DenyPurged)
	case lectern.LifecycleRecycled:
		if owner && (a == lectern.ActionView || a == lectern.ActionDelete) {
			d.Role = lectern.RoleCreator
			return allow(lectern.ReasonOwner, "")
		}
		return deny(lectern.DenyRecycled)
	}

	// Rule 2: the principal's standing on the resource.
	folderOwner, needsApproval := false, false
	for _, fo := range f.Folders {
		if signedIn && !p.Guest && fo.OwnerID == p.UserID {
			folderOwner = true
		}
		if fo.RequiresApproval {
			needsApproval = true
		}
	}
	var best, bestFolder *sqlstore.GrantFact // best grant; best creator-or-more grant on a folder
	for i := range f.Grants {
		g := &f.Grants[i]
		if !counts(*g) || !g.Role.Valid() {
			continue
		}
		if better(g, best) {
			best = g
		}
		if g.On == lectern.ResourceFolder && g.Role.Rank() >= lectern.RoleCreator.Rank() && better(g, bestFolder) {
			bestFolder = g
		}
	}
	if p.Guest {
		// A guest views what was shared with it and does nothing else,
		// whatever role a grant (or a group's grant) names.
		bestFolder = nil
		if best != nil && best.Role.Rank() > lectern.RoleViewer.Rank() {
			capped := *best
			capped.Role = lectern.RoleViewer
			best = &capped
		}
	}
	rank := 0
	if best != nil {
		rank = best.Role.Rank()
	}
	if rank > 0 {
		d.Role = best.Role
	}
	if (owner || folderOwner) && rank < lectern.RoleCreator.Rank() {
		d.Role = lectern.RoleCreator
	}
	byGrant := func() lectern.Decision { return allow(lectern.GrantReason(best.Role, best.On), best.ID) }
	asCreator := func() (lectern.Decision, bool) {
		switch {
		case owner:
			return allow(lectern.ReasonOwner, ""), true
		case folderOwner:
			return allow(lectern.ReasonFolderOwner, ""), true
		case rank >= lectern.RoleCreator.Rank():
			return byGrant(), true
		}
		return lectern.Decision{}, false
	}
	noRole := func() lectern.Decision {
		if rank > 0 || owner || folderOwner {
			return deny(lectern.DenyRole)
		}
		return deny(lectern.DenyNoGrant)
	}

	switch a {
	case lectern.ActionView:
		if dd, ok := asCreator(); ok {
			return dd
		}
		if rank == lectern.RoleViewer.Rank() {
			// Rule 3: viewers see only published sessions.
			if f.Resource.Type == lectern.ResourceFolder || lectern.VisibleToViewers(f.Publication, f.Lifecycle) {
				return byGrant()
			}
			if f.Lifecycle == lectern.LifecycleArchived {
				return deny(lectern.DenyArchived)
			}
			return deny(lectern.DenyNotPublished)
		}
		return deny(lectern.DenyNoGrant)

	case lectern.ActionEdit, lectern.ActionShare:
		if dd, ok := asCreator(); ok {
			return dd
		}
		return noRole()

	case lectern.ActionPublish:
		if dd, ok := asCreator(); ok {
			dd.NeedsApproval = needsApproval && rank < lectern.RolePublisher.Rank()
			return dd
		}
		return noRole()

	case lectern.ActionDelete, lectern.ActionManageAccess:
		// Owners, owners of a folder above, and creators or publishers
		// granted on a folder above ("folder creators"); a creator grant on
		// the session alone is not enough.
		switch {
		case owner:
			return allow(lectern.ReasonOwner, "")
		case folderOwner:
			return allow(lectern.ReasonFolderOwner, "")
		case bestFolder != nil:
			return allow(lectern.GrantReason(bestFolder.Role, bestFolder.On), bestFolder.ID)
		}
		return noRole()

	case lectern.ActionApprove:
		if rank == lectern.RolePublisher.Rank() {
			return byGrant()
		}
		return noRole()
	}
	return deny(lectern.DenyRole)
}

// better reports whether g should explain a decision rather than cur: a
// higher role first; then a grant on the session over one on a folder;
// then the nearest folder; then the grant that lasts longer; then the
// lower id, so that the choice is stable.
func better(g, cur *sqlstore.GrantFact) bool {
	if cur == nil {
		return true
	}
	if g.Role.Rank() != cur.Role.Rank() {
		return g.Role.Rank() > cur.Role.Rank()
	}
	if g.Depth != cur.Depth {
		return g.Depth < cur.Depth // -1, a session grant, is nearest
	}
	ge, ce := effectiveExpiry(g), effectiveExpiry(cur)
	if !ge.Equal(ce) {
		if ge.IsZero() || ce.IsZero() {
			return ge.IsZero()
		}
		return ge.After(ce)
	}
	return g.ID < cur.ID
}

func effectiveExpiry(g *sqlstore.GrantFact) time.Time {
	e := g.ExpiresAt
	if m := g.MembershipExpiresAt; !m.IsZero() && (e.IsZero() || m.Before(e)) {
		e = m
	}
	return e
}
