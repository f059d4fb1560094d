package catalog

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// NewSession is what a caller supplies to create a session (an upload
// about to start, an import).
type NewSession struct {
	FolderID    string // empty: unfiled, reachable by its owner and admins only
	Title       string
	Description string
	// KeepDraft keeps the session a draft when it becomes ready instead of
	// publishing it (or submitting it for approval).
	KeepDraft bool
}

// SessionPatch changes a session's text; nil fields stay as they are.
type SessionPatch struct {
	Title       *string
	Description *string
}

const maxDescription = 10000

func checkDescription(d string) error {
	if utf8.RuneCountInString(d) > maxDescription {
		return lectern.Errorf(lectern.EInvalid, "description: at most %d characters", maxDescription)
	}
	return nil
}

// CreateSession creates a session owned by actor in the uploading state,
// filed in nf.FolderID, on which actor needs edit (creators upload into
// folders). It appears in its folder at once, to those who see drafts.
func (s *Service) CreateSession(ctx context.Context, actor lectern.Principal, nf NewSession, clientAddr string) (lectern.Session, error) {
	if actor.UserID == "" {
		return lectern.Session{}, lectern.Errorf(lectern.EUnauthorized, "Sign in to upload.")
	}
	if err := access.MemberOnly(actor, "upload"); err != nil {
		return lectern.Session{}, err
	}
	title, err := checkName("title", nf.Title, 300)
	if err != nil {
		return lectern.Session{}, err
	}
	if err := checkDescription(nf.Description); err != nil {
		return lectern.Session{}, err
	}
	if nf.FolderID != "" {
		if _, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, lectern.FolderResource(nf.FolderID), clientAddr); err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Session{}, lectern.Errorf(lectern.EInvalid, "folder_id: no such folder")
			}
			return lectern.Session{}, err
		}
	}
	var out lectern.Session
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		out, err = tx.InsertSession(ctx, lectern.Session{
			FolderID: nf.FolderID, OwnerID: actor.UserID, Title: title, Description: nf.Description,
			Processing: lectern.ProcessingUploading, Publication: lectern.PublicationDraft,
			KeepDraft: nf.KeepDraft, Lifecycle: lectern.LifecycleActive,
		}, s.clock())
		return err
	})
	return out, err
}

// Session returns a session actor may view.
func (s *Service) Session(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.Session, error) {
	if _, err := s.access.Authorize(ctx, actor, lectern.ActionView, lectern.SessionResource(id), clientAddr); err != nil {
		return lectern.Session{}, err
	}
	return s.db.SessionByID(ctx, id)
}

// SessionByID returns a session for Lectern's own machinery (the media
// pipeline): nothing is checked.
func (s *Service) SessionByID(ctx context.Context, id string) (lectern.Session, error) {
	return s.db.SessionByID(ctx, id)
}

// UpdateSession changes a session's title or description; actor needs
// edit.
func (s *Service) UpdateSession(ctx context.Context, actor lectern.Principal, id string, patch SessionPatch, clientAddr string) (lectern.Session, error) {
	if _, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, lectern.SessionResource(id), clientAddr); err != nil {
		return lectern.Session{}, err
	}
	err := s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		cur, err := tx.SessionByID(ctx, id)
		if err != nil {
			return err
		}
		title, desc := cur.Title, cur.Description
		if patch.Title != nil {
			if title, err = checkName("title", *patch.Title, 300); err != nil {
				return err
			}
		}
		if patch.Description != nil {
			if err := checkDescription(*patch.Description); err != nil {
				return err
			}
			desc = *patch.Description
		}
		return tx.UpdateSessionText(ctx, id, title, desc, s.clock())
	})
	if err != nil {
		return lectern.Session{}, err
	}
	return s.db.SessionByID(ctx, id)
}

// MoveSession files a session in another folder. Grants on the session
// itself go with it; what it inherited from the old folder's tree is
// replaced by what the new one gives. Actor needs edit on the session and
// on the new folder; only the owner (or an admin) may unfile a session
// (folderID empty). A published session moved under a folder that
// requires approval, by someone who is not a publisher there, goes back
// to pending approval. Audited.
func (s *Service) MoveSession(ctx context.Context, actor lectern.Principal, id, folderID, clientAddr string) (lectern.Session, error) {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, lectern.SessionResource(id), clientAddr)
	if err != nil {
		return lectern.Session{}, err
	}
	needsApproval := false
	if folderID != "" {
		dest := lectern.FolderResource(folderID)
		if _, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, dest, clientAddr); err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Session{}, lectern.Errorf(lectern.EInvalid, "folder_id: no such folder")
			}
			return lectern.Session{}, err
		}
		pd, err := s.access.Decide(ctx, actor, lectern.ActionPublish, dest)
		if err != nil {
			return lectern.Session{}, err
		}
		needsApproval = pd.NeedsApproval
	} else if d.OwnerID != actor.UserID && !actor.IsAdmin {
		return lectern.Session{}, lectern.Errorf(lectern.EForbidden, "Only the owner can take a session out of its folders.")
	}
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		cur, err := tx.SessionByID(ctx, id)
		if err != nil {
			return err
		}
		if folderID != "" {
			f, err := tx.FolderByID(ctx, folderID)
			if err != nil {
				return err
			}
			if !f.RecycledAt.IsZero() {
				return lectern.Errorf(lectern.EConflict, "The folder is in the recycle bin.")
			}
		}
		if err := tx.MoveSession(ctx, id, folderID, now); err != nil {
			return err
		}
		if err := audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditSessionMove,
			ResourceType: lectern.ResourceSession, ResourceID: id, OwnerID: cur.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: "folder " + orTop(cur.FolderID) + " -> " + orTop(folderID)}); err != nil {
			return err
		}
		if needsApproval && cur.Publication == lectern.PublicationPublished {
			return submitForApproval(ctx, tx, cur, actor.UserID, clientAddr, "moved into a folder that requires approval", now)
		}
		return nil
	})
	if err != nil {
		return lectern.Session{}, err
	}
	return s.db.SessionByID(ctx, id)
}

// DeleteSession sends a session to its owner's recycle bin. Actor needs
// delete (the owner, folder owners and folder creators). Audited.
func (s *Service) DeleteSession(ctx context.Context, actor lectern.Principal, id, clientAddr string) error {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionDelete, lectern.SessionResource(id), clientAddr)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		cur, err := tx.SessionByID(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.RecycleSession(ctx, id, actor.UserID, now); err != nil {
			return err
		}
		return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditSessionDelete,
			ResourceType: lectern.ResourceSession, ResourceID: id, OwnerID: cur.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: cur.Title})
	})
}

// RestoreSession brings a session back from the recycle bin; its owner
// and admins may. A session that went with a deleted folder comes back
// with the folder (EConflict), as does one whose folder is in the bin.
// Audited.
func (s *Service) RestoreSession(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.Session, error) {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionDelete, lectern.SessionResource(id), clientAddr)
	if err != nil {
		return lectern.Session{}, err
	}
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		cur, err := tx.SessionByID(ctx, id)
		if err != nil {
			return err
		}
		if cur.FolderID != "" {
			f, err := tx.FolderByID(ctx, cur.FolderID)
			if err != nil {
				return err
			}
			if !f.RecycledAt.IsZero() {
				return lectern.Errorf(lectern.EConflict, "The session's folder is in the recycle bin: restore the folder, or move the session first.")
			}
		}
		if err := tx.RestoreSession(ctx, id, now); err != nil {
			return err
		}
		return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditSessionRestore,
			ResourceType: lectern.ResourceSession, ResourceID: id, OwnerID: cur.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: cur.Title})
	})
	if err != nil {
		return lectern.Session{}, err
	}
	return s.db.SessionByID(ctx, id)
}

// RecycleBin lists actor's own deleted sessions and folders, newest first.
func (s *Service) RecycleBin(ctx context.Context, actor lectern.Principal, limit int) ([]lectern.Session, []lectern.Folder, error) {
	_, limit, err := pageRequest(limit, "")
	if err != nil {
		return nil, nil, err
	}
	sessions, err := s.db.RecycledSessionsOwnedBy(ctx, actor.UserID, limit)
	if err != nil {
		return nil, nil, err
	}
	folders, err := s.db.RecycledFoldersOwnedBy(ctx, actor.UserID)
	if err != nil {
		return nil, nil, err
	}
	return sessions, folders, nil
}

// SetDuration records the media duration found by probing; for the media
// pipeline.
func (s *Service) SetDuration(ctx context.Context, id string, d time.Duration) error {
	if d < 0 {
		return lectern.Errorf(lectern.EInvalid, "duration: must not be negative")
	}
	return s.db.InTx(ctx, func(tx *sqlstore.Tx) error { return tx.SetSessionDuration(ctx, id, d, s.clock()) })
}

// ListSessions lists the sessions filed directly in folderID that actor
// may view, newest first; the access rules are applied in the query.
// Sessions in the recycle bin are never listed (see RecycleBin). A folder
// that does not exist is ENotFound.
func (s *Service) ListSessions(ctx context.Context, actor lectern.Principal, folderID string, limit int, cursor string) (Page[lectern.Session], error) {
	pg, limit, err := pageRequest(limit, cursor)
	if err != nil {
		return Page[lectern.Session]{}, err
	}
	if _, err := s.db.FolderByID(ctx, folderID); err != nil {
		return Page[lectern.Session]{}, err
	}
	items, err := s.db.ListFolderSessions(ctx, actor, s.clock(), folderID, pg)
	if err != nil {
		return Page[lectern.Session]{}, err
	}
	return sessionPage(items, limit, createdAt), nil
}

// ListVisibleSessions lists every session actor may view, wherever it is
// filed, newest first; the access rules are applied in the query.
func (s *Service) ListVisibleSessions(ctx context.Context, actor lectern.Principal, limit int, cursor string) (Page[lectern.Session], error) {
	pg, limit, err := pageRequest(limit, cursor)
	if err != nil {
		return Page[lectern.Session]{}, err
	}
	items, err := s.db.ListVisibleSessions(ctx, actor, s.clock(), pg)
	if err != nil {
		return Page[lectern.Session]{}, err
	}
	return sessionPage(items, limit, createdAt), nil
}

func createdAt(s lectern.Session) time.Time { return s.CreatedAt }
