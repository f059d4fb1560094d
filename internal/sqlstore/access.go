package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// This file holds every query that reads grants and memberships to decide
// access (DESIGN §3: nothing else reads grant tables):
//
//   - AccessFacts fetches, in one statement, what package access needs to
//     decide one (principal, resource) question;
//   - the "visible to principal" fragments put the same rules, for the view
//     action, into the WHERE clause of list and search queries, so a list
//     never loads rows to filter them in Go.
//
// The two are kept in step by tests that compare, on random fixtures, each
// list with the sessions for which access.Decide allows view.

// FolderFact is one folder on the way from a resource to the top of the
// tree.
type FolderFact struct {
	ID               string
	OwnerID          string
	Depth            int // 0: the session's folder, or the folder asked about
	RequiresApproval bool
	Recycled         bool
}

// GrantFact is one grant that would reach the resource for the principal,
// directly or through a group, whether or not it has expired.
type GrantFact struct {
	ID   string
	Role lectern.Role
	On   lectern.ResourceType // session: on the session itself; folder: inherited
	// Depth of the granted folder above the resource's folder (0: the
	// folder itself); -1 for a grant on the session.
	Depth int
	// GroupID is the group the grant reaches the principal through; empty
	// for a grant to the user.
	GroupID   string
	ExpiresAt time.Time // zero: never
	// MembershipExpiresAt is the expiry of the principal's membership of
	// GroupID; zero: never.
	MembershipExpiresAt time.Time
}

// Active reports whether the grant counts at now: neither the grant nor
// the membership it comes through has expired.
func (g GrantFact) Active(now time.Time) bool {
	return (g.ExpiresAt.IsZero() || g.ExpiresAt.After(now)) &&
		(g.MembershipExpiresAt.IsZero() || g.MembershipExpiresAt.After(now))
}

// AccessFacts is everything the access decision reads about one resource
// and one user.
type AccessFacts struct {
	Resource lectern.Resource
	OwnerID  string
	FolderID string // a session's folder (empty if unfiled); a folder's own id
	// Publication and Lifecycle are a session's; a folder is active or
	// recycled.
	Publication lectern.Publication
	Lifecycle   lectern.Lifecycle
	Folders     []FolderFact // the folder and its ancestors, nearest first
	Grants      []GrantFact
}

// The facts statement returns rows of eight columns: a kind ('S' session,
// 'F' folder on the ancestry, 'G' grant) and seven values whose meaning
// depends on it. One statement, one round trip; every join is an indexed
// equality (folder_ancestors primary key, grants_resource, group_members
// primary key).
const sessionFactsSQL = `WITH anc AS (
	SELECT fa.ancestor_id AS id, fa.depth AS depth
	FROM sessions s JOIN folder_ancestors fa ON fa.folder_id = s.folder_id
	WHERE s.id = ?)
SELECT 'S', s.owner_id, COALESCE(s.folder_id, ''), s.publication, s.lifecycle,
	CAST(0 AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
FROM sessions s WHERE s.id = ?
UNION ALL
SELECT 'G', g.id, g.role, 'session', '', -1, g.expires_at, NULL
FROM grants g
WHERE g.resource_id = ? AND g.resource_type = 'session' AND g.principal_type = 'user' AND g.principal_id = ?
UNION ALL
SELECT 'G', g.id, g.role, 'session', g.principal_id, -1, g.expires_at, m.expires_at
FROM grants g JOIN group_members m ON m.group_id = g.principal_id AND m.user_id = ?
WHERE g.resource_id = ? AND g.resource_type = 'session' AND g.principal_type = 'group'
UNION ALL ` + folderFactsTail

const folderFactsSQL = `WITH anc AS (
	SELECT fa.ancestor_id AS id, fa.depth AS depth FROM folder_ancestors fa WHERE fa.folder_id = ?)
` + folderFactsTail

const folderFactsTail = `SELECT 'F', f.id, f.owner_id,
	CASE WHEN f.requires_approval THEN 'y' ELSE 'n' END, CASE WHEN f.recycled_at IS NULL THEN 'n' ELSE 'y' END,
	CAST(anc.depth AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
FROM anc JOIN folders f ON f.id = anc.id
UNION ALL
SELECT 'G', g.id, g.role, 'folder', '', anc.depth, g.expires_at, NULL
FROM anc JOIN grants g ON g.resource_id = anc.id AND g.resource_type = 'folder'
	AND g.principal_type = 'user' AND g.principal_id = ?
UNION ALL
SELECT 'G', g.id, g.role, 'folder', g.principal_id, anc.depth, g.expires_at, m.expires_at
FROM anc JOIN grants g ON g.resource_id = anc.id AND g.resource_type = 'folder' AND g.principal_type = 'group'
	JOIN group_members m ON m.group_id = g.principal_id AND m.user_id = ?`

// AccessFacts reads what the decision needs about resource r and user
// userID (empty: an anonymous principal, who has no grants). A resource
// that does not exist is ENotFound.
func (db *DB) AccessFacts(ctx context.Context, userID string, r lectern.Resource) (AccessFacts, error) {
	var rows *sql.Rows
	var err error
	switch r.Type {
	case lectern.ResourceSession:
		rows, err = db.queryCached(ctx, sessionFactsSQL, r.ID, r.ID, r.ID, userID, userID, r.ID, userID, userID)
	case lectern.ResourceFolder:
		rows, err = db.queryCached(ctx, folderFactsSQL, r.ID, userID, userID)
	default:
		return AccessFacts{}, lectern.Errorf(lectern.EInvalid, "resource type %q is not folder or session", r.Type)
	}
	if err != nil {
		return AccessFacts{}, fmt.Errorf("access facts for %s %s: %w", r.Type, r.ID, err)
	}
	defer rows.Close()
	f := AccessFacts{Resource: r}
	found := false
	for rows.Next() {
		var kind, c1, c2, c3, c4 string
		var depth int
		var e1, e2 sql.NullInt64
		if err := rows.Scan(&kind, &c1, &c2, &c3, &c4, &depth, &e1, &e2); err != nil {
			return AccessFacts{}, fmt.Errorf("access facts for %s %s: %w", r.Type, r.ID, err)
		}
		switch kind {
		case "S":
			found = true
			f.OwnerID, f.FolderID = c1, c2
			f.Publication, f.Lifecycle = lectern.Publication(c3), lectern.Lifecycle(c4)
		case "F":
			f.Folders = append(f.Folders, FolderFact{ID: c1, OwnerID: c2, Depth: depth, RequiresApproval: c3 == "y", Recycled: c4 == "y"})
			if r.Type == lectern.ResourceFolder && depth == 0 {
				found = true
				f.OwnerID, f.FolderID = c2, c1
				f.Lifecycle = lectern.LifecycleActive
				if c4 == "y" {
					f.Lifecycle = lectern.LifecycleRecycled
				}
			}
		case "G":
			f.Grants = append(f.Grants, GrantFact{ID: c1, Role: lectern.Role(c2), On: lectern.ResourceType(c3),
				GroupID: c4, Depth: depth, ExpiresAt: Time(e1), MembershipExpiresAt: Time(e2)})
		}
	}
	if err := rows.Err(); err != nil {
		return AccessFacts{}, fmt.Errorf("access facts for %s %s: %w", r.Type, r.ID, err)
	}
	if !found {
		return AccessFacts{}, lectern.Errorf(lectern.ENotFound, "%s not found", r.Type)
	}
	// Nearest folder first, whatever order the engine returned.
	sortFolders(f.Folders)
	return f, nil
}

func sortFolders(fs []FolderFact) {
	slices.SortFunc(fs, func(a, b FolderFact) int { return cmp.Compare(a.Depth, b.Depth) })
}

// query is a statement under construction whose arguments are collected
// in the order their placeholders are written.
type query struct {
	b    strings.Builder
	args []any
}

func (q *query) w(sql string, args ...any) *query {
	q.b.WriteString(sql)
	q.args = append(q.args, args...)
	return q
}

func (q *query) String() string { return q.b.String() }

// Role conditions for the fragments; constants only, never user input.
const (
	creatorRoles  = "('creator', 'publisher')" // roles that see every state
	anyRole       = ""
	creatorOrMore = " AND g.role IN " + creatorRoles
	publisherOnly = " AND g.role = 'publisher'"
)

// viewerLifecyclesSQL is lectern.ViewerLifecycles as an SQL list.
var viewerLifecyclesSQL = func() string {
	parts := make([]string, len(lectern.ViewerLifecycles))
	for i, l := range lectern.ViewerLifecycles {
		parts[i] = "'" + string(l) + "'"
	}
	return strings.Join(parts, ", ")
}()

// activeGrantExists writes a condition true when the user holds an active
// grant (not expired, and through a membership that has not expired) with
// a role matching roleCond, on the session sessionExpr (may be empty: no
// session) or on the folder folderExpr or any of its ancestors.
func (q *query) activeGrantExists(sessionExpr, folderExpr, userID string, now int64, roleCond string) {
	q.w("(")
	if sessionExpr != "" {
		q.w(`EXISTS (SELECT 1 FROM grants g WHERE g.resource_id = `+sessionExpr+` AND g.resource_type = 'session'
			AND g.principal_type = 'user' AND g.principal_id = ? AND (g.expires_at IS NULL OR g.expires_at > ?)`+roleCond+`)
		OR EXISTS (SELECT 1 FROM grants g JOIN group_members m ON m.group_id = g.principal_id AND m.user_id = ?
			WHERE g.resource_id = `+sessionExpr+` AND g.resource_type = 'session' AND g.principal_type = 'group'
			AND (g.expires_at IS NULL OR g.expires_at > ?) AND (m.expires_at IS NULL OR m.expires_at > ?)`+roleCond+`)
		OR `, userID, now, userID, now, now)
	}
	q.w(`EXISTS (SELECT 1 FROM folder_ancestors fa JOIN grants g ON g.resource_id = fa.ancestor_id
			AND g.resource_type = 'folder' AND g.principal_type = 'user' AND g.principal_id = ?
		WHERE fa.folder_id = `+folderExpr+` AND (g.expires_at IS NULL OR g.expires_at > ?)`+roleCond+`)
	OR EXISTS (SELECT 1 FROM folder_ancestors fa JOIN grants g ON g.resource_id = fa.ancestor_id
			AND g.resource_type = 'folder' AND g.principal_type = 'group'
		JOIN group_members m ON m.group_id = g.principal_id AND m.user_id = ?
		WHERE fa.folder_id = `+folderExpr+` AND (g.expires_at IS NULL OR g.expires_at > ?)
		AND (m.expires_at IS NULL OR m.expires_at > ?)`+roleCond+`))`, userID, now, userID, now, now)
}

// ownsFolderOrAncestor writes a condition true when the user owns the
// folder folderExpr or one of its ancestors (owners act as creators in
// their whole subtree).
func (q *query) ownsFolderOrAncestor(folderExpr, userID string) {
	q.w(`EXISTS (SELECT 1 FROM folder_ancestors fa JOIN folders fo ON fo.id = fa.ancestor_id
		WHERE fa.folder_id = `+folderExpr+` AND fo.owner_id = ?)`, userID)
}

// sessionListed writes the list filter for sessions aliased s: the
// sessions the principal may view (access.Decide allows view), less those
// in the recycle bin or purged, which lists never show (the recycle bin
// has its own listing).
func (q *query) sessionListed(s string, p lectern.Principal, now time.Time) {
	q.w("(" + s + ".lifecycle NOT IN ('recycled', 'purged')")
	if p.IsAdmin {
		q.w(")")
		return
	}
	ms := now.UnixMilli()
	q.w(" AND ("+s+".owner_id = ? OR ", p.UserID)
	q.ownsFolderOrAncestor(s+".folder_id", p.UserID)
	q.w(" OR ")
	q.activeGrantExists(s+".id", s+".folder_id", p.UserID, ms, creatorOrMore)
	q.w(" OR (" + s + ".publication = 'published' AND " + s + ".lifecycle IN (" + viewerLifecyclesSQL + ") AND ")
	q.activeGrantExists(s+".id", s+".folder_id", p.UserID, ms, anyRole)
	q.w(")))")
}

// folderListed writes the list filter for folders aliased f: live folders
// the principal may view.
func (q *query) folderListed(f string, p lectern.Principal, now time.Time) {
	q.w("(" + f + ".recycled_at IS NULL")
	if p.IsAdmin {
		q.w(")")
		return
	}
	q.w(" AND (")
	q.ownsFolderOrAncestor(f+".id", p.UserID)
	q.w(" OR ")
	q.activeGrantExists("", f+".id", p.UserID, now.UnixMilli(), anyRole)
	q.w("))")
}

// VisibleSessionsFilter returns an SQL condition, and its arguments, that
// is true for the rows of sessions (aliased alias) that p may view at now
// and that are not recycled or purged. Search and other listings put it in
// their WHERE clause so they filter by exactly the rules of the access
// decision. Its placeholders are `?`; pass the query through DB.Query.
func VisibleSessionsFilter(alias string, p lectern.Principal, now time.Time) (string, []any) {
	var q query
	q.sessionListed(alias, p, now)
	return q.String(), q.args
}

// Page asks for one page of a newest-first listing: Limit rows strictly
// older than the (BeforeAt, BeforeID) position when BeforeID is set.
type Page struct {
	Limit    int
	BeforeAt time.Time
	BeforeID string
}

func (q *query) pageAfter(alias, col string, pg Page) {
	if pg.BeforeID == "" {
		return
	}
	ms := pg.BeforeAt.UnixMilli()
	q.w(" AND ("+alias+"."+col+" < ? OR ("+alias+"."+col+" = ? AND "+alias+".id < ?))", ms, ms, pg.BeforeID)
}

func (q *query) pageEnd(alias, col string, pg Page) {
	q.w(" ORDER BY "+alias+"."+col+" DESC, "+alias+".id DESC LIMIT ?", pg.Limit)
}

// ListFolderSessions lists the sessions filed directly in folderID that p
// may view, newest first.
func (db *DB) ListFolderSessions(ctx context.Context, p lectern.Principal, now time.Time, folderID string, pg Page) ([]lectern.Session, error) {
	var q query
	q.w(`SELECT `+sessionColumns+` FROM sessions s WHERE s.folder_id = ? AND `, folderID)
	q.sessionListed("s", p, now)
	q.pageAfter("s", "created_at", pg)
	q.pageEnd("s", "created_at", pg)
	return scanSessions(db.queryCached(ctx, q.String(), q.args...))
}

// principalGrantsCTE writes the CTEs my_grants (resource_type,
// resource_id and role of the user's active grants, directly or through
// active memberships) and roots (folders granted to or owned by the user).
func (q *query) principalGrantsCTE(userID string, now int64) {
	q.w(`WITH my_grants AS (
		SELECT g.resource_type, g.resource_id, g.role FROM grants g
		WHERE g.principal_id = ? AND g.principal_type = 'user' AND (g.expires_at IS NULL OR g.expires_at > ?)
		UNION ALL
		SELECT g.resource_type, g.resource_id, g.role FROM group_members m
		JOIN grants g ON g.principal_id = m.group_id AND g.principal_type = 'group'
		WHERE m.user_id = ? AND (m.expires_at IS NULL OR m.expires_at > ?) AND (g.expires_at IS NULL OR g.expires_at > ?)),
	roots AS (
		SELECT resource_id AS id FROM my_grants WHERE resource_type = 'folder'
		UNION
		SELECT id FROM folders WHERE owner_id = ?)`, userID, now, userID, now, now, userID)
}

// ListVisibleSessions lists every session p may view, newest first.
//
// For an admin it walks the sessions_created index. For a user it works
// forward from what the user holds, so its cost follows what the user can
// reach, not the size of the site: every session the user owns, every
// session in a folder they own (or below), and every session their active
// grants reach, each marked "strong" when that path gives creator rights
// (owner, folder owner, creator or publisher grant). A session is listed
// when some path is strong, or when it is visible to viewers. This is the
// rule of sessionListed read from the principal's side; the catalog's
// tests hold both to access.Decide.
func (db *DB) ListVisibleSessions(ctx context.Context, p lectern.Principal, now time.Time, pg Page) ([]lectern.Session, error) {
	var q query
	if p.IsAdmin {
		q.w(`SELECT ` + sessionColumns + ` FROM sessions s WHERE `)
		q.sessionListed("s", p, now)
	} else {
		q.principalGrantsCTE(p.UserID, now.UnixMilli())
		q.w(`, reach (sid, strong) AS (
			SELECT resource_id, CASE WHEN role IN `+creatorRoles+` THEN 1 ELSE 0 END
			FROM my_grants WHERE resource_type = 'session'
			UNION ALL
			SELECT s.id, CASE WHEN mg.role IN `+creatorRoles+` THEN 1 ELSE 0 END
			FROM my_grants mg JOIN folder_ancestors fa ON fa.ancestor_id = mg.resource_id
			JOIN sessions s ON s.folder_id = fa.folder_id
			WHERE mg.resource_type = 'folder'
			UNION ALL
			SELECT s.id, 1 FROM folders fo JOIN folder_ancestors fa ON fa.ancestor_id = fo.id
			JOIN sessions s ON s.folder_id = fa.folder_id
			WHERE fo.owner_id = ?
			UNION ALL
			SELECT s.id, 1 FROM sessions s WHERE s.owner_id = ?),
		best AS (SELECT sid, max(strong) AS strong FROM reach GROUP BY sid)
		SELECT `+sessionColumns+` FROM best b JOIN sessions s ON s.id = b.sid
		WHERE s.lifecycle NOT IN ('recycled', 'purged')
		  AND (b.strong = 1 OR (s.publication = 'published' AND s.lifecycle IN (`+viewerLifecyclesSQL+`)))`,
			p.UserID, p.UserID)
	}
	q.pageAfter("s", "created_at", pg)
	q.pageEnd("s", "created_at", pg)
	return scanSessions(db.queryCached(ctx, q.String(), q.args...))
}

// ApprovalQueue lists the sessions waiting for approval that p may
// approve (a publisher on the session or its folders; admins: all),
// oldest request last.
func (db *DB) ApprovalQueue(ctx context.Context, p lectern.Principal, now time.Time, pg Page) ([]lectern.Session, error) {
	var q query
	q.w(`SELECT ` + sessionColumns + ` FROM sessions s WHERE s.publication = 'pending-approval'
		AND s.lifecycle NOT IN ('recycled', 'purged')`)
	if !p.IsAdmin {
		q.w(" AND ")
		q.activeGrantExists("s.id", "s.folder_id", p.UserID, now.UnixMilli(), publisherOnly)
	}
	q.pageAfter("s", "created_at", pg)
	q.pageEnd("s", "created_at", pg)
	return scanSessions(db.queryCached(ctx, q.String(), q.args...))
}

// ListChildFolders lists the live subfolders of parentID that p may view,
// by name.
func (db *DB) ListChildFolders(ctx context.Context, p lectern.Principal, now time.Time, parentID string) ([]lectern.Folder, error) {
	var q query
	q.w(`SELECT `+folderColumns+` FROM folders f WHERE f.parent_id = ? AND `, parentID)
	q.folderListed("f", p, now)
	q.w(" ORDER BY f.name, f.id")
	return scanFolders(db.queryCached(ctx, q.String(), q.args...))
}

// ListTopFolders lists the highest live folders p may view: for an admin
// the top of the tree; for a user the folders granted to or owned by them
// that no other such folder contains, by name.
func (db *DB) ListTopFolders(ctx context.Context, p lectern.Principal, now time.Time) ([]lectern.Folder, error) {
	if p.IsAdmin {
		return scanFolders(db.Query(ctx, `SELECT `+folderColumns+` FROM folders f
			WHERE f.parent_id IS NULL AND f.recycled_at IS NULL ORDER BY f.name, f.id`))
	}
	var q query
	q.principalGrantsCTE(p.UserID, now.UnixMilli())
	q.w(` SELECT ` + folderColumns + ` FROM folders f WHERE f.id IN (SELECT id FROM roots) AND f.recycled_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM folder_ancestors fa
			WHERE fa.folder_id = f.id AND fa.depth > 0 AND fa.ancestor_id IN (SELECT id FROM roots))
		ORDER BY f.name, f.id`)
	return scanFolders(db.queryCached(ctx, q.String(), q.args...))
}
