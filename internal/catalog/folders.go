package catalog

import (
	"context"
	"strconv"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// NewFolder is what a caller supplies to create a folder.
type NewFolder struct {
	Name             string
	ParentID         string
	OwnerID          string // CreateFolder only; CreateFolderAs uses the actor
	RequiresApproval bool
}

// CreateFolder stores a folder for Lectern's own machinery (the demo, LTI
// course folders): nothing is checked but the input. Errors: EInvalid
// naming "name" or "parent_id".
func (s *Service) CreateFolder(ctx context.Context, nf NewFolder) (lectern.Folder, error) {
	name, err := checkName("name", nf.Name, 200)
	if err != nil {
		return lectern.Folder{}, lectern.Errorf(lectern.EInvalid, "name: a folder needs a name of 1 to 200 characters")
	}
	if nf.ParentID != "" {
		p, err := s.db.FolderByID(ctx, nf.ParentID)
		if err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Folder{}, lectern.Errorf(lectern.EInvalid, "parent_id: no such folder")
			}
			return lectern.Folder{}, err
		}
		if !p.RecycledAt.IsZero() {
			return lectern.Folder{}, lectern.Errorf(lectern.EConflict, "The parent folder is in the recycle bin.")
		}
	}
	return s.db.CreateFolder(ctx, lectern.Folder{
		Name: name, ParentID: nf.ParentID, OwnerID: nf.OwnerID, RequiresApproval: nf.RequiresApproval,
	}, s.clock())
}

// CreateFolderAs creates a folder owned by actor: at the top level for any
// signed-in user, or under a parent on which actor may edit (creators).
// Turning approval on needs nothing more; the folder is the actor's own.
func (s *Service) CreateFolderAs(ctx context.Context, actor lectern.Principal, nf NewFolder, clientAddr string) (lectern.Folder, error) {
	if actor.UserID == "" {
		return lectern.Folder{}, lectern.Errorf(lectern.EUnauthorized, "Sign in to create a folder.")
	}
	if err := access.MemberOnly(actor, "create folders"); err != nil {
		return lectern.Folder{}, err
	}
	if nf.ParentID != "" {
		if _, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, lectern.FolderResource(nf.ParentID), clientAddr); err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Folder{}, lectern.Errorf(lectern.EInvalid, "parent_id: no such folder")
			}
			return lectern.Folder{}, err
		}
	}
	nf.OwnerID = actor.UserID
	return s.CreateFolder(ctx, nf)
}

// Folder returns a folder actor may view.
func (s *Service) Folder(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.Folder, error) {
	if _, err := s.access.Authorize(ctx, actor, lectern.ActionView, lectern.FolderResource(id), clientAddr); err != nil {
		return lectern.Folder{}, err
	}
	return s.db.FolderByID(ctx, id)
}

// FolderPath returns the breadcrumbs of a folder actor may view: its
// ancestors from the highest one actor may view down to the folder. It
// decides without auditing: it is for pages that also call Folder or
// Session, which authorize (and audit admin use) once.
func (s *Service) FolderPath(ctx context.Context, actor lectern.Principal, id string) ([]lectern.Folder, error) {
	d, err := s.access.Decide(ctx, actor, lectern.ActionView, lectern.FolderResource(id))
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, lectern.Errorf(lectern.ENotFound, "folder not found")
	}
	path, err := s.db.FolderPath(ctx, id)
	if err != nil {
		return nil, err
	}
	if actor.IsAdmin {
		return path, nil
	}
	// Visibility only widens going down the tree, so drop from the top
	// until the first folder actor may see.
	for len(path) > 1 {
		d, err := s.access.Decide(ctx, actor, lectern.ActionView, lectern.FolderResource(path[0].ID))
		if err != nil {
			return nil, err
		}
		if d.Allowed {
			break
		}
		path = path[1:]
	}
	return path, nil
}

// ListFolders lists the live folders actor may view under parentID, by
// name; with parentID empty, the highest folders actor may view (for an
// admin, the top of the tree).
func (s *Service) ListFolders(ctx context.Context, actor lectern.Principal, parentID string) ([]lectern.Folder, error) {
	if parentID == "" {
		return s.db.ListTopFolders(ctx, actor, s.clock())
	}
	if _, err := s.db.FolderByID(ctx, parentID); err != nil {
		return nil, err
	}
	return s.db.ListChildFolders(ctx, actor, s.clock(), parentID)
}

// RenameFolder renames a folder; actor needs edit on it.
func (s *Service) RenameFolder(ctx context.Context, actor lectern.Principal, id, name, clientAddr string) (lectern.Folder, error) {
	name, err := checkName("name", name, 200)
	if err != nil {
		return lectern.Folder{}, err
	}
	if _, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, lectern.FolderResource(id), clientAddr); err != nil {
		return lectern.Folder{}, err
	}
	if err := s.db.InTx(ctx, func(tx *sqlstore.Tx) error { return tx.RenameFolder(ctx, id, name, s.clock()) }); err != nil {
		return lectern.Folder{}, err
	}
	return s.db.FolderByID(ctx, id)
}

// SetFolderApproval turns publisher approval on or off for a folder and
// its subtree. Turning it on needs manage-access; turning it off lets
// creators publish freely, so it needs a publisher (or an admin). Audited.
func (s *Service) SetFolderApproval(ctx context.Context, actor lectern.Principal, id string, required bool, clientAddr string) (lectern.Folder, error) {
	action := lectern.ActionManageAccess
	if !required {
		action = lectern.ActionApprove
	}
	d, err := s.access.Authorize(ctx, actor, action, lectern.FolderResource(id), clientAddr)
	if err != nil {
		return lectern.Folder{}, err
	}
	detail := "approval off"
	if required {
		detail = "approval on"
	}
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		if err := tx.SetFolderApproval(ctx, id, required, now); err != nil {
			return err
		}
		return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditFolderApproval,
			ResourceType: lectern.ResourceFolder, ResourceID: id, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: detail})
	})
	if err != nil {
		return lectern.Folder{}, err
	}
	return s.db.FolderByID(ctx, id)
}

// MoveFolder gives a folder a new parent (empty: the top level). Its
// subtree loses the access its old ancestors gave and gains what the new
// ones give, so actor needs manage-access on the folder, and edit on the
// new parent. Grants on the folder and below stay. Moving a folder into
// its own subtree is EInvalid. Audited.
func (s *Service) MoveFolder(ctx context.Context, actor lectern.Principal, id, newParentID, clientAddr string) (lectern.Folder, error) {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionManageAccess, lectern.FolderResource(id), clientAddr)
	if err != nil {
		return lectern.Folder{}, err
	}
	if newParentID != "" {
		if _, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, lectern.FolderResource(newParentID), clientAddr); err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Folder{}, lectern.Errorf(lectern.EInvalid, "parent_id: no such folder")
			}
			return lectern.Folder{}, err
		}
	}
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		f, err := tx.FolderByID(ctx, id)
		if err != nil {
			return err
		}
		if newParentID != "" {
			p, err := tx.FolderByID(ctx, newParentID)
			if err != nil {
				return err
			}
			if !p.RecycledAt.IsZero() {
				return lectern.Errorf(lectern.EConflict, "The new parent folder is in the recycle bin.")
			}
		}
		if err := tx.MoveFolder(ctx, id, newParentID, now); err != nil {
			return err
		}
		return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditFolderMove,
			ResourceType: lectern.ResourceFolder, ResourceID: id, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: "parent " + orTop(f.ParentID) + " -> " + orTop(newParentID)})
	})
	if err != nil {
		return lectern.Folder{}, err
	}
	return s.db.FolderByID(ctx, id)
}

func orTop(id string) string {
	if id == "" {
		return "(top level)"
	}
	return id
}

// DeleteFolder sends a folder, its subfolders and their sessions to the
// recycle bin. Actor needs delete on the folder. Audited.
func (s *Service) DeleteFolder(ctx context.Context, actor lectern.Principal, id, clientAddr string) error {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionDelete, lectern.FolderResource(id), clientAddr)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		f, err := tx.FolderByID(ctx, id)
		if err != nil {
			return err
		}
		if !f.RecycledAt.IsZero() {
			return lectern.Errorf(lectern.EConflict, "The folder is already in the recycle bin.")
		}
		n, err := tx.RecycleFolder(ctx, id, actor.UserID, now)
		if err != nil {
			return err
		}
		return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditFolderDelete,
			ResourceType: lectern.ResourceFolder, ResourceID: id, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: f.Name + " with " + strconv.FormatInt(n, 10) + " sessions"})
	})
}

// RestoreFolder brings back a folder deleted with DeleteFolder and
// everything that went with it. Its owner and admins may; a folder that
// went with a deleted parent is restored with the parent (EConflict), and
// one whose parent is still in the bin cannot come back alone (EConflict).
// Audited.
func (s *Service) RestoreFolder(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.Folder, error) {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionDelete, lectern.FolderResource(id), clientAddr)
	if err != nil {
		return lectern.Folder{}, err
	}
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		f, err := tx.FolderByID(ctx, id)
		if err != nil {
			return err
		}
		if f.RecycledAt.IsZero() {
			return lectern.Errorf(lectern.EConflict, "The folder is not in the recycle bin.")
		}
		if f.ParentID != "" {
			p, err := tx.FolderByID(ctx, f.ParentID)
			if err != nil {
				return err
			}
			if !p.RecycledAt.IsZero() {
				return lectern.Errorf(lectern.EConflict, "The folder's parent is in the recycle bin: restore the parent first.")
			}
		}
		if err := tx.RestoreFolder(ctx, id, now); err != nil {
			return err
		}
		return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditFolderRestore,
			ResourceType: lectern.ResourceFolder, ResourceID: id, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: f.Name})
	})
	if err != nil {
		return lectern.Folder{}, err
	}
	return s.db.FolderByID(ctx, id)
}

// FoldersOwnedBy lists a user's own live folders, by name.
func (s *Service) FoldersOwnedBy(ctx context.Context, userID string) ([]lectern.Folder, error) {
	return s.db.FoldersOwnedBy(ctx, userID)
}
