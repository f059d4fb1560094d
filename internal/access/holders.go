package access

import (
	"context"

	"github.com/lectern-edu/lectern"
)

// Holder is one way someone reaches a resource: the answer to "who has
// access, and why" on a Share / permissions page. The same person may
// appear more than once, once per way.
type Holder struct {
	PrincipalType lectern.PrincipalType
	PrincipalID   string
	Name          string // the user's name (or email), or the group's name
	Role          lectern.Role
	// Reason is owner, folder-owner, or grant:<role>:<session|folder>.
	Reason lectern.Reason
	// Grant is the grant behind a grant reason; nil for owners.
	Grant *lectern.Grant
	// Folder is where a folder-owner or folder-grant reason comes from:
	// the resource itself when it is a folder, or a folder above it.
	Folder *lectern.Folder
	// Inherited is set when the reason comes from a folder above the
	// resource, rather than from the resource itself.
	Inherited bool
}

// Holders lists everyone who reaches r and why: its owner, the owners of
// the folders above it, the grants on r itself, and the grants inherited
// from the folders above it (nearest first), with expired grants that the
// sweeper has not removed yet included (Grant.Active tells). Site admins,
// who reach everything, are not listed. The actor needs what Grants needs:
// share on a session, manage-access on a folder.
func (s *Service) Holders(ctx context.Context, actor lectern.Principal, r lectern.Resource, clientAddr string) ([]Holder, error) {
	a := lectern.ActionManageAccess
	if r.Type == lectern.ResourceSession {
		a = lectern.ActionShare
	}
	if _, err := s.Authorize(ctx, actor, a, r, clientAddr); err != nil {
		return nil, err
	}
	var ownerID, folderID string
	switch r.Type {
	case lectern.ResourceSession:
		sess, err := s.db.SessionByID(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		ownerID, folderID = sess.OwnerID, sess.FolderID
	case lectern.ResourceFolder:
		f, err := s.db.FolderByID(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		ownerID, folderID = f.OwnerID, f.ID
	default:
		return nil, lectern.Errorf(lectern.EInvalid, "resource: must be a folder or a session")
	}
	var path []lectern.Folder // from the nearest folder up
	if folderID != "" {
		top, err := s.db.FolderPath(ctx, folderID)
		if err != nil {
			return nil, err
		}
		for i := len(top) - 1; i >= 0; i-- {
			path = append(path, top[i])
		}
	}

	var out []Holder
	owner, err := s.holderName(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	out = append(out, Holder{PrincipalType: lectern.PrincipalUser, PrincipalID: ownerID, Name: owner,
		Role: lectern.RoleCreator, Reason: lectern.ReasonOwner})
	for i := range path {
		f := path[i]
		if f.OwnerID == "" || f.OwnerID == ownerID || (r.Type == lectern.ResourceFolder && f.ID == r.ID) {
			continue
		}
		name, err := s.holderName(ctx, f.OwnerID)
		if err != nil {
			return nil, err
		}
		out = append(out, Holder{PrincipalType: lectern.PrincipalUser, PrincipalID: f.OwnerID, Name: name,
			Role: lectern.RoleCreator, Reason: lectern.ReasonFolderOwner, Folder: &f, Inherited: true})
	}

	direct, err := s.db.GrantsOn(ctx, r)
	if err != nil {
		return nil, err
	}
	var self *lectern.Folder
	if r.Type == lectern.ResourceFolder && len(path) > 0 {
		self = &path[0]
	}
	for i := range direct {
		out = append(out, grantHolder(direct[i], self, false))
	}
	for i := range path {
		f := path[i]
		if r.Type == lectern.ResourceFolder && f.ID == r.ID {
			continue
		}
		gs, err := s.db.GrantsOn(ctx, lectern.FolderResource(f.ID))
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			out = append(out, grantHolder(g, &f, true))
		}
	}
	return out, nil
}

func grantHolder(g lectern.Grant, f *lectern.Folder, inherited bool) Holder {
	return Holder{PrincipalType: g.PrincipalType, PrincipalID: g.PrincipalID, Name: g.PrincipalName, Role: g.Role,
		Reason: lectern.GrantReason(g.Role, g.Resource.Type), Grant: &g, Folder: f, Inherited: inherited}
}

func (s *Service) holderName(ctx context.Context, userID string) (string, error) {
	if userID == "" {
		return "", nil
	}
	c, err := s.db.ContactOf(ctx, userID)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return firstNonEmpty(c.Name, c.Email), nil
}

// Exists reports whether a folder, session or group exists, whoever may
// see it. It is for the JSON API, which answers 403 rather than 404 for a
// resource that exists but that the caller may not see; it reveals
// nothing but existence, which random ids make hard to probe.
func (s *Service) Exists(ctx context.Context, r lectern.Resource) (bool, error) {
	var err error
	switch r.Type {
	case lectern.ResourceSession:
		_, err = s.db.SessionByID(ctx, r.ID)
	case lectern.ResourceFolder:
		_, err = s.db.FolderByID(ctx, r.ID)
	case lectern.ResourceGroup:
		_, err = s.db.GroupByID(ctx, r.ID)
	default:
		return false, lectern.Errorf(lectern.EInvalid, "resource: must be a folder, a session or a group")
	}
	switch {
	case err == nil:
		return true, nil
	case lectern.ErrorCodeOf(err) == lectern.ENotFound:
		return false, nil
	}
	return false, err
}
