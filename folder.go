package lectern

import "time"

// Folder is a node in the catalog tree. The catalog issue fills in its
// behaviour; the foundation needs it for the demo course folder.
type Folder struct {
	ID               string
	ParentID         string // empty for a top-level folder
	Name             string
	OwnerID          string
	RequiresApproval bool
	CreatedAt        time.Time
}
