package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// LTI courses (contexts) and resource links.

const ltiContextColumns = `id, platform_id, context_id, title, label, folder_id, members_group_id, instructors_group_id,
	is_public, nrps_url, last_sync_at, last_sync_note, created_at, updated_at`

func scanLTIContext(scan func(...any) error) (lectern.LTIContext, error) {
	var c lectern.LTIContext
	var synced, created, updated sql.NullInt64
	if err := scan(&c.ID, &c.PlatformID, &c.ContextID, &c.Title, &c.Label, &c.FolderID, &c.MembersGroupID, &c.InstructorsGroupID,
		&c.Public, &c.NRPSURL, &synced, &c.LastSyncNote, &created, &updated); err != nil {
		return lectern.LTIContext{}, NotFound(err, "course")
	}
	c.LastSyncAt, c.CreatedAt, c.UpdatedAt = Time(synced), Time(created), Time(updated)
	return c, nil
}

// LTIContextByKey returns the course a platform calls contextID, or ENotFound.
func (db *DB) LTIContextByKey(ctx context.Context, platformID, contextID string) (lectern.LTIContext, error) {
	return scanLTIContext(db.QueryRow(ctx, `SELECT `+ltiContextColumns+` FROM lti_contexts WHERE platform_id = ? AND context_id = ?`,
		platformID, contextID).Scan)
}

// LTIContextByID returns one course, or ENotFound.
func (db *DB) LTIContextByID(ctx context.Context, id string) (lectern.LTIContext, error) {
	return scanLTIContext(db.QueryRow(ctx, `SELECT `+ltiContextColumns+` FROM lti_contexts WHERE id = ?`, id).Scan)
}

// LTIContextByFolder returns the course whose folder is folderID, or ENotFound.
func (db *DB) LTIContextByFolder(ctx context.Context, folderID string) (lectern.LTIContext, error) {
	return scanLTIContext(db.QueryRow(ctx, `SELECT `+ltiContextColumns+` FROM lti_contexts WHERE folder_id = ? AND folder_id <> ''`, folderID).Scan)
}

// ListLTIContexts lists a platform's courses (every platform's when
// platformID is empty), by title.
func (db *DB) ListLTIContexts(ctx context.Context, platformID string) ([]lectern.LTIContext, error) {
	q, args := `SELECT `+ltiContextColumns+` FROM lti_contexts`, []any{}
	if platformID != "" {
		q, args = q+` WHERE platform_id = ?`, append(args, platformID)
	}
	rows, err := db.Query(ctx, q+` ORDER BY title, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list courses: %w", err)
	}
	defer rows.Close()
	var out []lectern.LTIContext
	for rows.Next() {
		c, err := scanLTIContext(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// InsertLTIContext stores a course with a new id. A second row for the
// same platform and context is EConflict.
func (db *DB) InsertLTIContext(ctx context.Context, c lectern.LTIContext, now time.Time) (lectern.LTIContext, error) {
	c.ID = NewID()
	c.CreatedAt, c.UpdatedAt = now.UTC().Truncate(time.Millisecond), now.UTC().Truncate(time.Millisecond)
	_, err := db.Exec(ctx, `INSERT INTO lti_contexts (`+ltiContextColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.PlatformID, c.ContextID, c.Title, c.Label, c.FolderID, c.MembersGroupID, c.InstructorsGroupID,
		c.Public, c.NRPSURL, Millis(c.LastSyncAt), c.LastSyncNote, Millis(now), Millis(now))
	if IsUniqueViolation(err) {
		return lectern.LTIContext{}, &lectern.Error{Code: lectern.EConflict, Message: "This course is already known.", Err: err}
	}
	if err != nil {
		return lectern.LTIContext{}, fmt.Errorf("store course: %w", err)
	}
	return c, nil
}

// UpdateLTIContextInfo records what the latest launch said about a course.
func (db *DB) UpdateLTIContextInfo(ctx context.Context, id, title, label string, public bool, nrpsURL string, now time.Time) error {
	res, err := db.Exec(ctx, `UPDATE lti_contexts SET title = ?, label = ?, is_public = ?, nrps_url = ?, updated_at = ? WHERE id = ?`,
		title, label, public, nrpsURL, Millis(now), id)
	return expectOne(res, err)("course")
}

// SetLTIContextGroups records a course's member and instructor groups.
func (db *DB) SetLTIContextGroups(ctx context.Context, id, membersGroupID, instructorsGroupID string, now time.Time) error {
	res, err := db.Exec(ctx, `UPDATE lti_contexts SET members_group_id = ?, instructors_group_id = ?, updated_at = ? WHERE id = ?`,
		membersGroupID, instructorsGroupID, Millis(now), id)
	return expectOne(res, err)("course")
}

// SetLTIContextFolder records a course's folder when it has none, or
// replaces the folder expected (one found gone or in the recycle bin). It
// reports whether it changed the row: false means another launch set a
// folder first.
func (db *DB) SetLTIContextFolder(ctx context.Context, id, expected, folderID string, now time.Time) (bool, error) {
	res, err := db.Exec(ctx, `UPDATE lti_contexts SET folder_id = ?, updated_at = ? WHERE id = ? AND folder_id = ?`,
		folderID, Millis(now), id, expected)
	if err != nil {
		return false, fmt.Errorf("set course folder: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecordLTISync notes the outcome of a roster sync.
func (db *DB) RecordLTISync(ctx context.Context, id string, at time.Time, note string) error {
	res, err := db.Exec(ctx, `UPDATE lti_contexts SET last_sync_at = ?, last_sync_note = ?, updated_at = ? WHERE id = ?`,
		Millis(at), note, Millis(at), id)
	return expectOne(res, err)("course")
}

const ltiLinkColumns = `id, platform_id, resource_link_id, context_row_id, item_id, session_id, group_id, title, bound_by,
	bound_at, unbound_at, created_at`

func scanLTILink(scan func(...any) error) (lectern.LTILink, error) {
	var l lectern.LTILink
	var bound, unbound, created sql.NullInt64
	if err := scan(&l.ID, &l.PlatformID, &l.ResourceLinkID, &l.ContextRowID, &l.ItemID, &l.SessionID, &l.GroupID, &l.Title,
		&l.BoundBy, &bound, &unbound, &created); err != nil {
		return lectern.LTILink{}, NotFound(err, "LMS link")
	}
	l.BoundAt, l.UnboundAt, l.CreatedAt = Time(bound), Time(unbound), Time(created)
	return l, nil
}

// LTILinkByResource returns a platform's resource link, or ENotFound.
func (db *DB) LTILinkByResource(ctx context.Context, platformID, resourceLinkID string) (lectern.LTILink, error) {
	return scanLTILink(db.QueryRow(ctx, `SELECT `+ltiLinkColumns+` FROM lti_links WHERE platform_id = ? AND resource_link_id = ?`,
		platformID, resourceLinkID).Scan)
}

// LTILinkByID returns one resource link, or ENotFound.
func (db *DB) LTILinkByID(ctx context.Context, id string) (lectern.LTILink, error) {
	return scanLTILink(db.QueryRow(ctx, `SELECT `+ltiLinkColumns+` FROM lti_links WHERE id = ?`, id).Scan)
}

// LTILinkFilter narrows ListLTILinks; empty fields match everything.
type LTILinkFilter struct {
	PlatformID   string
	ContextRowID string
	SessionID    string
	BoundOnly    bool
	Limit        int // default 500
}

// ListLTILinks lists resource links, newest first.
func (db *DB) ListLTILinks(ctx context.Context, f LTILinkFilter) ([]lectern.LTILink, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	q, args := `SELECT `+ltiLinkColumns+` FROM lti_links WHERE 1 = 1`, []any{}
	for _, c := range []struct{ col, v string }{{"platform_id", f.PlatformID}, {"context_row_id", f.ContextRowID}, {"session_id", f.SessionID}} {
		if c.v != "" {
			q, args = q+` AND `+c.col+` = ?`, append(args, c.v)
		}
	}
	if f.BoundOnly {
		q += ` AND session_id <> '' AND unbound_at IS NULL`
	}
	rows, err := db.Query(ctx, q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list LMS links: %w", err)
	}
	defer rows.Close()
	var out []lectern.LTILink
	for rows.Next() {
		l, err := scanLTILink(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// SaveLTILinkBinding stores a resource link bound to a session: a new row
// (l.ID empty), or a new binding for an existing one. A second row for the
// same platform and resource link is EConflict.
func (db *DB) SaveLTILinkBinding(ctx context.Context, l lectern.LTILink, now time.Time) (lectern.LTILink, error) {
	l.BoundAt = now.UTC().Truncate(time.Millisecond)
	l.UnboundAt = time.Time{}
	if l.ID == "" {
		l.ID, l.CreatedAt = NewID(), l.BoundAt
		_, err := db.Exec(ctx, `INSERT INTO lti_links (`+ltiLinkColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
			l.ID, l.PlatformID, l.ResourceLinkID, l.ContextRowID, l.ItemID, l.SessionID, l.GroupID, l.Title, l.BoundBy,
			Millis(now), Millis(now))
		if IsUniqueViolation(err) {
			return lectern.LTILink{}, &lectern.Error{Code: lectern.EConflict, Message: "This LMS link is already bound.", Err: err}
		}
		if err != nil {
			return lectern.LTILink{}, fmt.Errorf("store LMS link: %w", err)
		}
		return l, nil
	}
	res, err := db.Exec(ctx, `UPDATE lti_links SET context_row_id = ?, item_id = ?, session_id = ?, group_id = ?, title = ?,
		bound_by = ?, bound_at = ?, unbound_at = NULL WHERE id = ?`,
		l.ContextRowID, l.ItemID, l.SessionID, l.GroupID, l.Title, l.BoundBy, Millis(now), l.ID)
	return l, expectOne(res, err)("LMS link")
}

// UnbindLTILink clears a link's session and group and marks it unbound.
func (db *DB) UnbindLTILink(ctx context.Context, id string, now time.Time) error {
	res, err := db.Exec(ctx, `UPDATE lti_links SET session_id = '', group_id = '', unbound_at = ? WHERE id = ?`, Millis(now), id)
	return expectOne(res, err)("LMS link")
}

// Membership returns a user's membership of a group (expired or not), or
// ENotFound.
func (db *DB) Membership(ctx context.Context, groupID, userID string) (lectern.GroupMember, error) {
	m := lectern.GroupMember{GroupID: groupID, UserID: userID}
	var exp, added sql.NullInt64
	err := db.QueryRow(ctx, `SELECT expires_at, added_at FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID).
		Scan(&exp, &added)
	if err != nil {
		return lectern.GroupMember{}, NotFound(err, "membership")
	}
	m.ExpiresAt, m.AddedAt = Time(exp), Time(added)
	return m, nil
}
