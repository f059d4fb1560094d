package lectern

import "time"

// Folder is a node in the catalog tree. Grants on a folder reach its whole
// subtree; RequiresApproval on a folder or any ancestor makes a creator's
// publish wait for a publisher.
type Folder struct {
	ID               string
	ParentID         string // empty for a top-level folder
	Name             string
	OwnerID          string
	RequiresApproval bool
	CreatedAt        time.Time
	// RecycledAt is when the folder (or an ancestor it went with) was
	// deleted to the recycle bin; zero for a live folder.
	RecycledAt time.Time
}
