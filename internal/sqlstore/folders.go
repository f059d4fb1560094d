package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// CreateFolder inserts f with a new id and returns it.
func (db *DB) CreateFolder(ctx context.Context, f lectern.Folder, now time.Time) (lectern.Folder, error) {
	f.ID = NewID()
	f.CreatedAt = now.UTC().Truncate(time.Millisecond)
	var parent any
	if f.ParentID != "" {
		parent = f.ParentID
	}
	_, err := db.Exec(ctx, `INSERT INTO folders (id, parent_id, name, owner_id, requires_approval, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, f.ID, parent, f.Name, f.OwnerID, f.RequiresApproval, Millis(now), Millis(now))
	if err != nil {
		return lectern.Folder{}, fmt.Errorf("create folder %q: %w", f.Name, err)
	}
	return f, nil
}

// FolderByID returns one folder.
func (db *DB) FolderByID(ctx context.Context, id string) (lectern.Folder, error) {
	row := db.QueryRow(ctx, `SELECT id, parent_id, name, owner_id, requires_approval, created_at FROM folders WHERE id = ?`, id)
	return scanFolder(row.Scan)
}

// FoldersOwnedBy lists the folders a user owns, by name.
func (db *DB) FoldersOwnedBy(ctx context.Context, ownerID string) ([]lectern.Folder, error) {
	rows, err := db.Query(ctx, `SELECT id, parent_id, name, owner_id, requires_approval, created_at
		FROM folders WHERE owner_id = ? ORDER BY name, id`, ownerID)
	if err != nil {
		return nil, fmt.Errorf("list folders of %s: %w", ownerID, err)
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

func scanFolder(scan func(...any) error) (lectern.Folder, error) {
	var f lectern.Folder
	var parent sql.NullString
	var created sql.NullInt64
	if err := scan(&f.ID, &parent, &f.Name, &f.OwnerID, &f.RequiresApproval, &created); err != nil {
		return lectern.Folder{}, NotFound(err, "folder")
	}
	f.ParentID = parent.String
	f.CreatedAt = Time(created)
	return f, nil
}
