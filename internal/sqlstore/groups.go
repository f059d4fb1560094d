package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

const groupColumns = "g.id, g.kind, g.name, g.external_key, g.owner_id, g.created_at"

func scanGroup(scan func(...any) error) (lectern.Group, error) {
	var g lectern.Group
	var owner sql.NullString
	var created sql.NullInt64
	if err := scan(&g.ID, &g.Kind, &g.Name, &g.ExternalKey, &owner, &created); err != nil {
		return lectern.Group{}, NotFound(err, "group")
	}
	g.OwnerID, g.CreatedAt = owner.String, Time(created)
	return g, nil
}

func scanGroups(rows *sql.Rows, err error) ([]lectern.Group, error) {
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []lectern.Group
	for rows.Next() {
		g, err := scanGroup(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// InsertGroup stores a new group with a new id. A second group of the same
// kind and external key is EConflict.
func (t *Tx) InsertGroup(ctx context.Context, g lectern.Group, now time.Time) (lectern.Group, error) {
	g.ID = NewID()
	g.CreatedAt = now.UTC().Truncate(time.Millisecond)
	_, err := t.Exec(ctx, `INSERT INTO groups (id, kind, name, external_key, owner_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, g.ID, string(g.Kind), g.Name, g.ExternalKey, nullString(g.OwnerID), Millis(now), Millis(now))
	if IsUniqueViolation(err) {
		return lectern.Group{}, &lectern.Error{Code: lectern.EConflict, Message: "A group with this external key already exists.", Err: err}
	}
	if err != nil {
		return lectern.Group{}, fmt.Errorf("insert group %q: %w", g.Name, err)
	}
	return g, nil
}

// GroupByID returns one group, or ENotFound.
func (db *DB) GroupByID(ctx context.Context, id string) (lectern.Group, error) {
	return scanGroup(db.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.id = ?`, id).Scan)
}

// GroupByExternalKey returns the group of this kind mirroring key, or
// ENotFound.
func (t *Tx) GroupByExternalKey(ctx context.Context, kind lectern.GroupKind, key string) (lectern.Group, error) {
	return scanGroup(t.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.kind = ? AND g.external_key = ?`,
		string(kind), key).Scan)
}

// GroupsOwnedBy lists the manual groups a user manages, by name.
func (db *DB) GroupsOwnedBy(ctx context.Context, ownerID string) ([]lectern.Group, error) {
	return scanGroups(db.Query(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.owner_id = ? ORDER BY g.name, g.id`, ownerID))
}

// GroupsOfUser lists the groups a user belongs to at now (expired
// memberships do not count), by name.
func (db *DB) GroupsOfUser(ctx context.Context, userID string, now time.Time) ([]lectern.Group, error) {
	return scanGroups(db.Query(ctx, `SELECT `+groupColumns+` FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id = ? AND (m.expires_at IS NULL OR m.expires_at > ?) ORDER BY g.name, g.id`, userID, Millis(now)))
}

// RenameGroup sets a group's name.
func (t *Tx) RenameGroup(ctx context.Context, id, name string, now time.Time) error {
	return expectOne(t.Exec(ctx, `UPDATE groups SET name = ?, updated_at = ? WHERE id = ?`, name, Millis(now), id))("group")
}

// DeleteGroup removes a group, its memberships and every grant given to it.
func (t *Tx) DeleteGroup(ctx context.Context, id string) error {
	if _, err := t.Exec(ctx, `DELETE FROM grants WHERE principal_type = 'group' AND principal_id = ?`, id); err != nil {
		return fmt.Errorf("delete grants of group %s: %w", id, err)
	}
	if _, err := t.Exec(ctx, `DELETE FROM group_members WHERE group_id = ?`, id); err != nil {
		return fmt.Errorf("delete members of group %s: %w", id, err)
	}
	return expectOne(t.Exec(ctx, `DELETE FROM groups WHERE id = ?`, id))("group")
}

// UpsertMember adds a user to a group or, when already a member, replaces
// the membership's expiry (a repeated LTI launch refreshes it). It reports
// whether the membership is new.
func (t *Tx) UpsertMember(ctx context.Context, groupID, userID string, expiresAt time.Time, by string, now time.Time) (bool, error) {
	res, err := t.Exec(ctx, `UPDATE group_members SET expires_at = ? WHERE group_id = ? AND user_id = ?`,
		Millis(expiresAt), groupID, userID)
	if err != nil {
		return false, fmt.Errorf("update membership: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return false, nil
	}
	_, err = t.Exec(ctx, `INSERT INTO group_members (group_id, user_id, expires_at, added_at, added_by) VALUES (?, ?, ?, ?, ?)`,
		groupID, userID, Millis(expiresAt), Millis(now), nullString(by))
	if err != nil {
		return false, fmt.Errorf("add member: %w", err)
	}
	return true, nil
}

// RemoveMember ends a membership; ENotFound when there was none.
func (t *Tx) RemoveMember(ctx context.Context, groupID, userID string) error {
	res, err := t.Exec(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.ENotFound, "membership not found")
	}
	return nil
}

// GroupMembers lists a group's members with their names, expired
// memberships that the sweeper has not yet removed included (ExpiresAt
// tells), by name.
func (db *DB) GroupMembers(ctx context.Context, groupID string) ([]lectern.GroupMember, error) {
	rows, err := db.Query(ctx, `SELECT m.group_id, m.user_id, u.name, u.email, m.expires_at, m.added_at
		FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.name, u.id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("members of group %s: %w", groupID, err)
	}
	defer rows.Close()
	var out []lectern.GroupMember
	for rows.Next() {
		var m lectern.GroupMember
		var exp, added sql.NullInt64
		if err := rows.Scan(&m.GroupID, &m.UserID, &m.UserName, &m.UserEmail, &exp, &added); err != nil {
			return nil, fmt.Errorf("members of group %s: %w", groupID, err)
		}
		m.ExpiresAt, m.AddedAt = Time(exp), Time(added)
		out = append(out, m)
	}
	return out, rows.Err()
}
