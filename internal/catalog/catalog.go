// Package catalog owns folders and sessions (recordings) and their
// publication and lifecycle transitions. The foundation only needs folder
// creation for the demo course; access checks arrive with the access
// package and are applied by callers before these methods.
package catalog

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Service is the catalog.
type Service struct {
	db  *sqlstore.DB
	now func() time.Time
}

// New returns a catalog over db; now is the clock.
func New(db *sqlstore.DB, now func() time.Time) *Service {
	return &Service{db: db, now: now}
}

// NewFolder is what a caller supplies to create a folder.
type NewFolder struct {
	Name             string
	ParentID         string
	OwnerID          string
	RequiresApproval bool
}

// CreateFolder validates and stores a folder. Errors: EInvalid naming
// "name" or "parent_id"; ENotFound when the parent does not exist.
func (s *Service) CreateFolder(ctx context.Context, nf NewFolder) (lectern.Folder, error) {
	name := strings.TrimSpace(nf.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return lectern.Folder{}, lectern.Errorf(lectern.EInvalid, "name: a folder needs a name of 1 to 200 characters")
	}
	if nf.ParentID != "" {
		if _, err := s.db.FolderByID(ctx, nf.ParentID); err != nil {
			if lectern.ErrorCodeOf(err) == lectern.ENotFound {
				return lectern.Folder{}, lectern.Errorf(lectern.EInvalid, "parent_id: no such folder")
			}
			return lectern.Folder{}, err
		}
	}
	return s.db.CreateFolder(ctx, lectern.Folder{
		Name: name, ParentID: nf.ParentID, OwnerID: nf.OwnerID, RequiresApproval: nf.RequiresApproval,
	}, s.now())
}

// FoldersOwnedBy lists a user's own folders.
func (s *Service) FoldersOwnedBy(ctx context.Context, userID string) ([]lectern.Folder, error) {
	return s.db.FoldersOwnedBy(ctx, userID)
}
