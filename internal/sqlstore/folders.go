package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// The folder tree keeps its ancestry in folder_ancestors (a closure table:
// one row per folder and ancestor, the folder itself at depth 0), written
// here and only here: on create, on move, never anywhere else.

const folderColumns = "f.id, f.parent_id, f.name, f.owner_id, f.requires_approval, f.created_at, f.recycled_at"

func scanFolder(scan func(...any) error) (lectern.Folder, error) {
	var f lectern.Folder
	var parent sql.NullString
	var created, recycled sql.NullInt64
	if err := scan(&f.ID, &parent, &f.Name, &f.OwnerID, &f.RequiresApproval, &created, &recycled); err != nil {
		return lectern.Folder{}, NotFound(err, "folder")
	}
	f.ParentID = parent.String
	f.CreatedAt = Time(created)
	f.RecycledAt = Time(recycled)
	return f, nil
}

func scanFolders(rows *sql.Rows, err error) ([]lectern.Folder, error) {
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	defer rows.Close()
	var out []lectern.Folder
	for rows.Next() {
		f, err := scanFolder(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// CreateFolder inserts f with a new id, and its ancestry, and returns it.
// The caller has checked that the parent exists.
func (db *DB) CreateFolder(ctx context.Context, f lectern.Folder, now time.Time) (lectern.Folder, error) {
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		f, err = tx.CreateFolder(ctx, f, now)
		return err
	})
	return f, err
}

// CreateFolder inserts f with a new id, and its ancestry, in the
// transaction.
func (t *Tx) CreateFolder(ctx context.Context, f lectern.Folder, now time.Time) (lectern.Folder, error) {
	f.ID = NewID()
	f.CreatedAt = now.UTC().Truncate(time.Millisecond)
	f.RecycledAt = time.Time{}
	var parent any
	if f.ParentID != "" {
		parent = f.ParentID
	}
	if _, err := t.Exec(ctx, `INSERT INTO folders (id, parent_id, name, owner_id, requires_approval, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, f.ID, parent, f.Name, f.OwnerID, f.RequiresApproval, Millis(now), Millis(now)); err != nil {
		return lectern.Folder{}, fmt.Errorf("create folder %q: %w", f.Name, err)
	}
	if _, err := t.Exec(ctx, `INSERT INTO folder_ancestors (folder_id, ancestor_id, depth) VALUES (?, ?, 0)`, f.ID, f.ID); err != nil {
		return lectern.Folder{}, fmt.Errorf("create folder %q: ancestry: %w", f.Name, err)
	}
	if f.ParentID != "" {
		if _, err := t.Exec(ctx, `INSERT INTO folder_ancestors (folder_id, ancestor_id, depth)
			SELECT ?, ancestor_id, depth + 1 FROM folder_ancestors WHERE folder_id = ?`, f.ID, f.ParentID); err != nil {
			return lectern.Folder{}, fmt.Errorf("create folder %q: ancestry: %w", f.Name, err)
		}
	}
	return f, nil
}

// FolderByID returns one folder, recycled or not, or ENotFound.
func (db *DB) FolderByID(ctx context.Context, id string) (lectern.Folder, error) {
	return scanFolder(db.QueryRow(ctx, `SELECT `+folderColumns+` FROM folders f WHERE f.id = ?`, id).Scan)
}

// FolderByID returns one folder in the transaction, or ENotFound.
func (t *Tx) FolderByID(ctx context.Context, id string) (lectern.Folder, error) {
	return scanFolder(t.QueryRow(ctx, `SELECT `+folderColumns+` FROM folders f WHERE f.id = ?`, id).Scan)
}

// FoldersOwnedBy lists the live folders a user owns, by name.
func (db *DB) FoldersOwnedBy(ctx context.Context, ownerID string) ([]lectern.Folder, error) {
	return scanFolders(db.Query(ctx, `SELECT `+folderColumns+` FROM folders f
		WHERE f.owner_id = ? AND f.recycled_at IS NULL ORDER BY f.name, f.id`, ownerID))
}

// FolderPath returns the folder's ancestors from the top down to the
// folder itself, for breadcrumbs.
func (db *DB) FolderPath(ctx context.Context, id string) ([]lectern.Folder, error) {
	return scanFolders(db.Query(ctx, `SELECT `+folderColumns+` FROM folder_ancestors fa
		JOIN folders f ON f.id = fa.ancestor_id WHERE fa.folder_id = ? ORDER BY fa.depth DESC`, id))
}

// RecycledFoldersOwnedBy lists the folders a user deleted directly (not
// those that went with a deleted parent), newest first.
func (db *DB) RecycledFoldersOwnedBy(ctx context.Context, ownerID string) ([]lectern.Folder, error) {
	return scanFolders(db.Query(ctx, `SELECT `+folderColumns+` FROM folders f
		WHERE f.owner_id = ? AND f.recycled_root = f.id ORDER BY f.recycled_at DESC, f.id`, ownerID))
}

// RenameFolder sets a folder's name.
func (t *Tx) RenameFolder(ctx context.Context, id, name string, now time.Time) error {
	return expectOne(t.Exec(ctx, `UPDATE folders SET name = ?, updated_at = ? WHERE id = ?`, name, Millis(now), id))("folder")
}

// SetFolderApproval switches publisher approval on or off for a folder
// (and so for its subtree).
func (t *Tx) SetFolderApproval(ctx context.Context, id string, required bool, now time.Time) error {
	return expectOne(t.Exec(ctx, `UPDATE folders SET requires_approval = ?, updated_at = ? WHERE id = ?`, required, Millis(now), id))("folder")
}

// IsInSubtree reports whether folder id is root or lies below it.
func (t *Tx) IsInSubtree(ctx context.Context, id, root string) (bool, error) {
	var n int
	err := t.QueryRow(ctx, `SELECT count(*) FROM folder_ancestors WHERE folder_id = ? AND ancestor_id = ?`, id, root).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("folder ancestry: %w", err)
	}
	return n > 0, nil
}

// MoveFolder gives folder id a new parent (empty: top level) and rewrites
// the ancestry of its whole subtree. Moving a folder into its own subtree
// is EInvalid. Grants stay where they are: the subtree loses what it
// inherited from its old ancestors and gains what the new ones give.
func (t *Tx) MoveFolder(ctx context.Context, id, newParentID string, now time.Time) error {
	if newParentID != "" {
		inside, err := t.IsInSubtree(ctx, newParentID, id)
		if err != nil {
			return err
		}
		if inside {
			return lectern.Errorf(lectern.EInvalid, "parent_id: a folder cannot be moved into itself or one of its subfolders")
		}
	}
	var parent any
	if newParentID != "" {
		parent = newParentID
	}
	if err := expectOne(t.Exec(ctx, `UPDATE folders SET parent_id = ?, updated_at = ? WHERE id = ?`, parent, Millis(now), id))("folder"); err != nil {
		return err
	}
	// Detach: drop every (subtree member, old ancestor above id) pair.
	if _, err := t.Exec(ctx, `DELETE FROM folder_ancestors
		WHERE folder_id IN (SELECT folder_id FROM folder_ancestors WHERE ancestor_id = ?)
		  AND ancestor_id IN (SELECT ancestor_id FROM folder_ancestors WHERE folder_id = ? AND depth > 0)`, id, id); err != nil {
		return fmt.Errorf("move folder %s: detach: %w", id, err)
	}
	if newParentID == "" {
		return nil
	}
	// Attach: every subtree member gets every ancestor of the new parent.
	if _, err := t.Exec(ctx, `INSERT INTO folder_ancestors (folder_id, ancestor_id, depth)
		SELECT sub.folder_id, sup.ancestor_id, sub.depth + sup.depth + 1
		FROM folder_ancestors sub, folder_ancestors sup
		WHERE sub.ancestor_id = ? AND sup.folder_id = ?`, id, newParentID); err != nil {
		return fmt.Errorf("move folder %s: attach: %w", id, err)
	}
	return nil
}

// RecycleFolder sends a folder, its live subfolders and the live sessions
// in them to the recycle bin, all marked with this folder as their
// recycled root so that RestoreFolder brings back exactly these. It
// returns how many sessions went with it.
func (t *Tx) RecycleFolder(ctx context.Context, id, by string, now time.Time) (int64, error) {
	ms := Millis(now)
	if _, err := t.Exec(ctx, `UPDATE folders SET recycled_at = ?, recycled_root = ?, updated_at = ?
		WHERE recycled_at IS NULL AND id IN (SELECT folder_id FROM folder_ancestors WHERE ancestor_id = ?)`, ms, id, ms, id); err != nil {
		return 0, fmt.Errorf("recycle folder %s: %w", id, err)
	}
	res, err := t.Exec(ctx, `UPDATE sessions SET lifecycle_before = lifecycle, lifecycle = 'recycled',
			recycled_at = ?, recycled_by = ?, recycled_root = ?, updated_at = ?
		WHERE lifecycle NOT IN ('recycled', 'purged')
		  AND folder_id IN (SELECT folder_id FROM folder_ancestors WHERE ancestor_id = ?)`, ms, by, id, ms, id)
	if err != nil {
		return 0, fmt.Errorf("recycle sessions in folder %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RestoreFolder brings back what RecycleFolder(id) took.
func (t *Tx) RestoreFolder(ctx context.Context, id string, now time.Time) error {
	ms := Millis(now)
	if _, err := t.Exec(ctx, `UPDATE folders SET recycled_at = NULL, recycled_root = NULL, updated_at = ?
		WHERE recycled_root = ?`, ms, id); err != nil {
		return fmt.Errorf("restore folder %s: %w", id, err)
	}
	if _, err := t.Exec(ctx, `UPDATE sessions SET lifecycle = lifecycle_before, lifecycle_before = '',
			recycled_at = NULL, recycled_by = NULL, recycled_root = NULL, updated_at = ?
		WHERE recycled_root = ? AND lifecycle = 'recycled'`, ms, id); err != nil {
		return fmt.Errorf("restore sessions of folder %s: %w", id, err)
	}
	return nil
}

// expectOne turns an UPDATE's result into ENotFound when no row matched.
func expectOne(res sql.Result, err error) func(what string) error {
	return func(what string) error {
		if err != nil {
			return fmt.Errorf("update %s: %w", what, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lectern.Errorf(lectern.ENotFound, "%s not found", what)
		}
		return nil
	}
}
