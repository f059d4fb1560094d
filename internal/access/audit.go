package access

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Record appends an audit event for another service (catalog, sharing,
// retention). At defaults to the service's clock. Services that change
// state write their event in the same transaction instead, with
// sqlstore.InsertAuditEvent.
func (s *Service) Record(ctx context.Context, e lectern.AuditEvent) (lectern.AuditEvent, error) {
	if e.At.IsZero() {
		e.At = s.Now()
	}
	if e.Action == "" {
		return lectern.AuditEvent{}, lectern.Errorf(lectern.EInvalid, "action: required")
	}
	return sqlstore.InsertAuditEvent(ctx, s.db, e)
}

// AuditQuery filters the audit log; zero fields match everything.
type AuditQuery struct {
	ActorID    string
	OwnerID    string
	Action     string // exact ("grant.add") or a prefix ending in "." ("grant.")
	ResourceID string
	Since      time.Time // inclusive
	Until      time.Time // exclusive
	Limit      int       // default 50, at most 500
	Cursor     string    // from a previous page's next
}

// Default and largest page sizes for listings.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// AuditLog lists audit events, newest first, and the cursor of the next
// page ("" at the end). Admins may filter on anything; anyone else sees
// only the events on content they own (OwnerID is forced to theirs, and
// asking for another owner's is EForbidden).
func (s *Service) AuditLog(ctx context.Context, actor lectern.Principal, q AuditQuery) ([]lectern.AuditEvent, string, error) {
	if actor.UserID == "" {
		return nil, "", lectern.Errorf(lectern.EUnauthorized, "Sign in to read the audit log.")
	}
	if !actor.IsAdmin {
		if q.OwnerID != "" && q.OwnerID != actor.UserID {
			return nil, "", lectern.Errorf(lectern.EForbidden, "You can read the audit log of your own content only.")
		}
		q.OwnerID = actor.UserID
	}
	limit := clampLimit(q.Limit)
	f := sqlstore.AuditFilter{ActorID: q.ActorID, OwnerID: q.OwnerID, Action: q.Action, ResourceID: q.ResourceID,
		Since: q.Since, Until: q.Until, Limit: limit + 1}
	var err error
	if f.BeforeAt, f.BeforeID, err = DecodeCursor(q.Cursor); err != nil {
		return nil, "", err
	}
	events, err := s.db.AuditEvents(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		last := events[limit-1]
		next = EncodeCursor(last.At, last.ID)
	}
	return events, next, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// EncodeCursor makes the opaque cursor of a newest-first listing that
// continues after the row at (at, id).
func EncodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + "." + id))
}

// DecodeCursor reads a cursor made by EncodeCursor; "" is the first page.
// Anything else is EInvalid naming "cursor".
func DecodeCursor(c string) (time.Time, string, error) {
	if c == "" {
		return time.Time{}, "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if ms, id, ok := strings.Cut(string(raw), "."); ok && id != "" {
			if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
				return time.UnixMilli(n).UTC(), id, nil
			}
		}
	}
	return time.Time{}, "", lectern.Errorf(lectern.EInvalid, "cursor: not a cursor from a previous page")
}
