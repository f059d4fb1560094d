// Package catalog owns folders and sessions (recordings): creating,
// renaming, moving and deleting them to the recycle bin, and their
// publication (with publisher approval) and lifecycle transitions.
//
// Every method that acts for a person takes the acting lectern.Principal
// and the client address, and asks the access service first (so admin use
// of others' content is audited and announced there); methods without a
// principal are for Lectern's own machinery (the media pipeline, the
// demo, LTI course provisioning) and check nothing. Lists filter by the
// access rules inside their SQL.
//
// Errors are *lectern.Error with a message safe to show: EInvalid names the
// field at fault; ENotFound means missing or not visible to the caller;
// EForbidden means visible but not allowed; EConflict means the state has
// moved on (already published, not waiting for approval, ...).
package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Mailer sends one plain-text email; notify.Outbox implements it.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// Service is the catalog. It is safe for concurrent use.
type Service struct {
	db     *sqlstore.DB
	access *access.Service
	mail   Mailer
	now    func() time.Time
	base   string
}

// Option configures a Service.
type Option func(*Service)

// WithAccess shares an access service (and so its mailer and clock for
// admin-access notices) with the catalog. Without it the catalog builds
// its own from its database, clock, mailer and base URL.
func WithAccess(a *access.Service) Option { return func(s *Service) { s.access = a } }

// WithMailer sets where approval and return notices go. Without a mailer
// those notices are not sent (and admin access fails, see access.New): the
// composition root passes the outbox.
func WithMailer(m Mailer) Option { return func(s *Service) { s.mail = m } }

// WithBaseURL sets the site URL used for links in emails.
func WithBaseURL(u string) Option { return func(s *Service) { s.base = strings.TrimRight(u, "/") } }

// New returns a catalog over db; now is the clock.
func New(db *sqlstore.DB, now func() time.Time, opts ...Option) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{db: db, now: now}
	for _, o := range opts {
		o(s)
	}
	if s.access == nil {
		var m access.Mailer
		if s.mail != nil {
			m = s.mail
		}
		s.access = access.New(db, m, access.Options{Now: now, BaseURL: s.base})
	}
	return s
}

// Access is the access service the catalog decides with.
func (s *Service) Access() *access.Service { return s.access }

func (s *Service) clock() time.Time { return s.now().UTC() }

// Page is one page of a newest-first listing and the cursor of the next
// page ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}

func pageRequest(limit int, cursor string) (sqlstore.Page, int, error) {
	switch {
	case limit <= 0:
		limit = access.DefaultPageSize
	case limit > access.MaxPageSize:
		limit = access.MaxPageSize
	}
	at, id, err := access.DecodeCursor(cursor)
	if err != nil {
		return sqlstore.Page{}, 0, err
	}
	return sqlstore.Page{Limit: limit + 1, BeforeAt: at, BeforeID: id}, limit, nil
}

func sessionPage(items []lectern.Session, limit int, at func(lectern.Session) time.Time) Page[lectern.Session] {
	p := Page[lectern.Session]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		last := p.Items[limit-1]
		p.Next = access.EncodeCursor(at(last), last.ID)
	}
	return p
}

func checkName(field, value string, max int) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" || utf8.RuneCountInString(value) > max {
		return "", lectern.Errorf(lectern.EInvalid, "%s: must be 1 to %d characters", field, max)
	}
	return value, nil
}

// audit writes one event in tx.
func audit(ctx context.Context, tx *sqlstore.Tx, e lectern.AuditEvent) error {
	_, err := sqlstore.InsertAuditEvent(ctx, tx, e)
	return err
}

// notify emails a user when a mailer is set and the user has an address.
func (s *Service) notify(ctx context.Context, userID, subject, text string) error {
	if s.mail == nil || userID == "" {
		return nil
	}
	c, err := s.db.ContactOf(ctx, userID)
	if err != nil {
		return err
	}
	if c.Email == "" {
		return nil
	}
	if err := s.mail.Send(ctx, c.Email, subject, text); err != nil {
		return fmt.Errorf("email %s: %w", userID, err)
	}
	return nil
}

func (s *Service) link(r lectern.Resource) string {
	return s.base + "/" + string(r.Type) + "s/" + r.ID
}
