package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// The audit log is append-only: this file inserts and reads events and
// has no statement that changes or deletes one.

// InsertAuditEvent appends e, giving it an id; At must be set. It takes a
// Querier so that an event can be written in the same transaction as the
// change it records.
func InsertAuditEvent(ctx context.Context, q Querier, e lectern.AuditEvent) (lectern.AuditEvent, error) {
	if e.At.IsZero() {
		return lectern.AuditEvent{}, fmt.Errorf("audit event %s: no time", e.Action)
	}
	e.ID = NewID()
	e.At = e.At.UTC().Truncate(time.Millisecond)
	if _, err := q.Exec(ctx, `INSERT INTO audit_events (id, at, actor_id, action, resource_type, resource_id, owner_id, client_addr, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, Millis(e.At), e.ActorID, e.Action, string(e.ResourceType), e.ResourceID, e.OwnerID,
		e.ClientAddr, e.Reason, e.Detail); err != nil {
		return lectern.AuditEvent{}, fmt.Errorf("audit event %s: %w", e.Action, err)
	}
	return e, nil
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	ActorID    string
	OwnerID    string
	Action     string // exact, or a prefix ending in "." ("grant.")
	ResourceID string
	// DetailSuffix matches events whose detail ends with it (no wildcards).
	DetailSuffix string
	Since        time.Time // inclusive
	Until        time.Time // exclusive
	// Before continues a listing: only events strictly older than this
	// (at, id) position.
	BeforeAt time.Time
	BeforeID string
	Limit    int
}

// AuditEvents lists events matching f, newest first.
func (db *DB) AuditEvents(ctx context.Context, f AuditFilter) ([]lectern.AuditEvent, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.OwnerID != "" {
		add("owner_id = ?", f.OwnerID)
	}
	if strings.HasSuffix(f.Action, ".") {
		// A prefix: "grant." matches grant.add, grant.change, grant.revoke.
		add("action >= ? AND action < ?", f.Action, f.Action[:len(f.Action)-1]+"/")
	} else if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.ResourceID != "" {
		add("resource_id = ?", f.ResourceID)
	}
	if f.DetailSuffix != "" {
		add("substr(detail, length(detail) - ? + 1) = ?", len(f.DetailSuffix), f.DetailSuffix)
	}
	if !f.Since.IsZero() {
		add("at >= ?", Millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", Millis(f.Until))
	}
	if !f.BeforeAt.IsZero() {
		ms := f.BeforeAt.UnixMilli()
		add("(at < ? OR (at = ? AND id < ?))", ms, ms, f.BeforeID)
	}
	q := `SELECT id, at, actor_id, action, resource_type, resource_id, owner_id, client_addr, reason, detail FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY at DESC, id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []lectern.AuditEvent
	for rows.Next() {
		var e lectern.AuditEvent
		var at sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Action, &e.ResourceType, &e.ResourceID, &e.OwnerID,
			&e.ClientAddr, &e.Reason, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		e.At = Time(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Contact is what a notice needs to reach and name a person.
type Contact struct {
	UserID string
	Email  string
	Name   string
}

// ContactOf returns a user's email and name for a notice, or ENotFound.
func (db *DB) ContactOf(ctx context.Context, userID string) (Contact, error) {
	c := Contact{UserID: userID}
	err := db.QueryRow(ctx, `SELECT email, name FROM users WHERE id = ?`, userID).Scan(&c.Email, &c.Name)
	if err != nil {
		return Contact{}, NotFound(err, "user")
	}
	return c, nil
}
