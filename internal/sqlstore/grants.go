package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// Grants are read for decisions only through the queries in access.go;
// the functions here manage them.

const grantColumns = `g.id, g.principal_type, g.principal_id, g.resource_type, g.resource_id, g.role,
	g.expires_at, g.source, g.created_by, g.created_at`

func scanGrant(scan func(...any) error, extra ...any) (lectern.Grant, error) {
	var g lectern.Grant
	var exp, created sql.NullInt64
	var by sql.NullString
	dest := []any{&g.ID, &g.PrincipalType, &g.PrincipalID, &g.Resource.Type, &g.Resource.ID, &g.Role,
		&exp, &g.Source, &by, &created}
	if err := scan(append(dest, extra...)...); err != nil {
		return lectern.Grant{}, NotFound(err, "grant")
	}
	g.ExpiresAt, g.CreatedAt, g.CreatedBy = Time(exp), Time(created), by.String
	return g, nil
}

// UpsertGrant stores g, or updates the role and expiry of the grant the
// same source already gave the same principal on the same resource. It
// returns the stored grant and, when one was replaced, the previous one.
func (t *Tx) UpsertGrant(ctx context.Context, g lectern.Grant, now time.Time) (stored lectern.Grant, previous *lectern.Grant, err error) {
	old, err := scanGrant(t.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants g
		WHERE g.resource_id = ? AND g.resource_type = ? AND g.principal_type = ? AND g.principal_id = ? AND g.source = ?`,
		g.Resource.ID, string(g.Resource.Type), string(g.PrincipalType), g.PrincipalID, string(g.Source)).Scan)
	switch {
	case err == nil:
		if _, err := t.Exec(ctx, `UPDATE grants SET role = ?, expires_at = ?, updated_at = ? WHERE id = ?`,
			string(g.Role), Millis(g.ExpiresAt), Millis(now), old.ID); err != nil {
			return lectern.Grant{}, nil, fmt.Errorf("update grant %s: %w", old.ID, err)
		}
		stored = old
		stored.Role, stored.ExpiresAt = g.Role, g.ExpiresAt.UTC().Truncate(time.Millisecond)
		if g.ExpiresAt.IsZero() {
			stored.ExpiresAt = time.Time{}
		}
		return stored, &old, nil
	case lectern.ErrorCodeOf(err) != lectern.ENotFound:
		return lectern.Grant{}, nil, err
	}
	g.ID = NewID()
	g.CreatedAt = now.UTC().Truncate(time.Millisecond)
	if !g.ExpiresAt.IsZero() {
		g.ExpiresAt = g.ExpiresAt.UTC().Truncate(time.Millisecond)
	}
	if _, err := t.Exec(ctx, `INSERT INTO grants (id, principal_type, principal_id, resource_type, resource_id, role,
			expires_at, source, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, string(g.PrincipalType), g.PrincipalID, string(g.Resource.Type), g.Resource.ID, string(g.Role),
		Millis(g.ExpiresAt), string(g.Source), nullString(g.CreatedBy), Millis(now), Millis(now)); err != nil {
		return lectern.Grant{}, nil, fmt.Errorf("insert grant: %w", err)
	}
	return g, nil, nil
}

// GrantByID returns one grant, or ENotFound.
func (db *DB) GrantByID(ctx context.Context, id string) (lectern.Grant, error) {
	return scanGrant(db.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants g WHERE g.id = ?`, id).Scan)
}

// DeleteGrant removes one grant; ENotFound when there is none.
func (t *Tx) DeleteGrant(ctx context.Context, id string) error {
	res, err := t.Exec(ctx, `DELETE FROM grants WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete grant %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.ENotFound, "grant not found")
	}
	return nil
}

// DeleteGrantsOn removes every grant on a resource (when it is purged).
func (t *Tx) DeleteGrantsOn(ctx context.Context, r lectern.Resource) (int64, error) {
	res, err := t.Exec(ctx, `DELETE FROM grants WHERE resource_id = ? AND resource_type = ?`, r.ID, string(r.Type))
	if err != nil {
		return 0, fmt.Errorf("delete grants on %s %s: %w", r.Type, r.ID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// GrantsOn lists the grants given directly on a resource, expired ones not
// yet swept included, with the principal's display name: highest role
// first, then by name.
func (db *DB) GrantsOn(ctx context.Context, r lectern.Resource) ([]lectern.Grant, error) {
	rows, err := db.Query(ctx, `SELECT `+grantColumns+`,
			COALESCE(CASE g.principal_type WHEN 'user' THEN
				(SELECT CASE WHEN u.name <> '' THEN u.name ELSE u.email END FROM users u WHERE u.id = g.principal_id)
			ELSE (SELECT gr.name FROM groups gr WHERE gr.id = g.principal_id) END, '')
		FROM grants g WHERE g.resource_id = ? AND g.resource_type = ?
		ORDER BY CASE g.role WHEN 'publisher' THEN 0 WHEN 'creator' THEN 1 ELSE 2 END, g.created_at, g.id`,
		r.ID, string(r.Type))
	if err != nil {
		return nil, fmt.Errorf("grants on %s %s: %w", r.Type, r.ID, err)
	}
	defer rows.Close()
	var out []lectern.Grant
	for rows.Next() {
		var name string
		g, err := scanGrant(rows.Scan, &name)
		if err != nil {
			return nil, err
		}
		g.PrincipalName = name
		out = append(out, g)
	}
	return out, rows.Err()
}

// GrantsOf lists the grants given directly to a user or group, newest
// first.
func (db *DB) GrantsOf(ctx context.Context, pt lectern.PrincipalType, id string) ([]lectern.Grant, error) {
	rows, err := db.Query(ctx, `SELECT `+grantColumns+` FROM grants g
		WHERE g.principal_id = ? AND g.principal_type = ? ORDER BY g.created_at DESC, g.id DESC`, id, string(pt))
	if err != nil {
		return nil, fmt.Errorf("grants of %s %s: %w", pt, id, err)
	}
	defer rows.Close()
	var out []lectern.Grant
	for rows.Next() {
		g, err := scanGrant(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SweepExpired deletes up to batch grants and batch memberships whose
// expiry is at or before now, and reports how many of each went. It is
// bookkeeping only: every access query already ignores expired rows.
func (db *DB) SweepExpired(ctx context.Context, now time.Time, batch int) (grants, memberships int64, err error) {
	res, err := db.Exec(ctx, `DELETE FROM grants WHERE id IN
		(SELECT id FROM grants WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`, Millis(now), batch)
	if err != nil {
		return 0, 0, fmt.Errorf("sweep expired grants: %w", err)
	}
	grants, _ = res.RowsAffected()
	res, err = db.Exec(ctx, `DELETE FROM group_members WHERE (group_id, user_id) IN
		(SELECT group_id, user_id FROM group_members WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`, Millis(now), batch)
	if err != nil {
		return grants, 0, fmt.Errorf("sweep expired memberships: %w", err)
	}
	memberships, _ = res.RowsAffected()
	return grants, memberships, nil
}
