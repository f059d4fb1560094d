// Package access decides who may do what (DESIGN §3) and keeps what that
// decision reads: groups and their memberships, grants, and the audit log.
//
// Decide is the one decision: pure (it reads, never writes), so that lists
// and benchmarks can call it freely. Authorize wraps it for callers acting
// on behalf of a person: it turns a denial into an error and, when only
// the principal's site-admin role allowed the action, writes an audit
// event and tells the owner by email. Every service method that acts for
// a person goes through Authorize.
//
// Errors are *lectern.Error with a message safe to show: EInvalid names the
// field at fault; ENotFound means missing or not visible to the caller;
// EForbidden means visible but not allowed; EConflict means what it says.
// Anything else is an internal failure, wrapped with context.
package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Mailer sends one plain-text email. notify.Outbox is the production
// implementation: it queues durably and returns quickly.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// Options configures a Service. Zero fields take the documented defaults.
type Options struct {
	Now     func() time.Time // clock; default time.Now
	BaseURL string           // site URL for links in emails, e.g. https://lectern.example.edu
	// AdminNoticeWindow: every admin use of someone else's content is
	// audited, but its owner is emailed at most once per admin, resource
	// and window (one page view makes several calls). Default
	// DefaultAdminNoticeWindow; negative: email every time.
	AdminNoticeWindow time.Duration
}

// DefaultAdminNoticeWindow is the default Options.AdminNoticeWindow.
const DefaultAdminNoticeWindow = time.Hour

// Service is the access decision and the grants, groups and audit log
// behind it. It is safe for concurrent use.
type Service struct {
	db     *sqlstore.DB
	mail   Mailer
	now    func() time.Time
	base   string
	window time.Duration
}

// New returns the access service. mail tells owners about admin access;
// when it is nil, admin access to others' content fails with EUnavailable
// rather than go unannounced.
func New(db *sqlstore.DB, mail Mailer, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AdminNoticeWindow == 0 {
		opts.AdminNoticeWindow = DefaultAdminNoticeWindow
	}
	return &Service{db: db, mail: mail, now: opts.Now, base: strings.TrimRight(opts.BaseURL, "/"), window: opts.AdminNoticeWindow}
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Decide answers whether p may do a to r, and why. It has no side
// effects. A resource that does not exist is ENotFound; an unknown action
// is EInvalid. A denial is not an error: Decision.Allowed is false and
// Decision.Reason says why.
func (s *Service) Decide(ctx context.Context, p lectern.Principal, a lectern.Action, r lectern.Resource) (lectern.Decision, error) {
	if !a.Valid() {
		return lectern.Decision{}, lectern.Errorf(lectern.EInvalid, "action: %q is not an action", a)
	}
	facts, err := s.db.AccessFacts(ctx, p.UserID, r)
	if err != nil {
		return lectern.Decision{}, err
	}
	return evaluate(p, a, facts, s.Now()), nil
}

// Authorize is Decide for a caller acting on behalf of p from clientAddr.
// A denial is an error: ENotFound when p may not even view the resource
// (so that its existence does not leak), EForbidden otherwise. When only
// p's admin role allows it, Authorize first records an admin.access audit
// event and emails the owner (at most once per admin, resource and
// Options.AdminNoticeWindow); if the owner cannot be told, the access is
// refused (EUnavailable).
func (s *Service) Authorize(ctx context.Context, p lectern.Principal, a lectern.Action, r lectern.Resource, clientAddr string) (lectern.Decision, error) {
	d, err := s.Decide(ctx, p, a, r)
	if err != nil {
		return d, err
	}
	if !d.Allowed {
		return d, s.denial(ctx, p, a, r)
	}
	if d.AdminOverride {
		if err := s.recordAdminAccess(ctx, p, a, r, d, clientAddr); err != nil {
			return lectern.Decision{}, err
		}
	}
	return d, nil
}

// denial is the error for a refused action: not found unless p may view r.
func (s *Service) denial(ctx context.Context, p lectern.Principal, a lectern.Action, r lectern.Resource) error {
	if a != lectern.ActionView {
		v, err := s.Decide(ctx, p, lectern.ActionView, r)
		if err != nil {
			return err
		}
		if v.Allowed {
			return lectern.Errorf(lectern.EForbidden, "You are not allowed to %s this %s.", actionWords(a), r.Type)
		}
	}
	return lectern.Errorf(lectern.ENotFound, "%s not found", r.Type)
}

func actionWords(a lectern.Action) string {
	switch a {
	case lectern.ActionManageAccess:
		return "manage access to"
	case lectern.ActionApprove:
		return "approve or return"
	}
	return string(a)
}

// recordAdminAccess audits an admin's use of content they do not
// otherwise reach and emails the owner, unless this admin's use of this
// resource was announced within the notice window. The email goes first,
// so that an event saying the owner was told is true; when it cannot be
// sent the use is still audited, and refused.
func (s *Service) recordAdminAccess(ctx context.Context, p lectern.Principal, a lectern.Action, r lectern.Resource, d lectern.Decision, clientAddr string) error {
	now := s.Now()
	event := lectern.AuditEvent{At: now, ActorID: p.UserID, Action: lectern.AuditAdminAccess,
		ResourceType: r.Type, ResourceID: r.ID, OwnerID: d.OwnerID, ClientAddr: clientAddr,
		Reason: string(lectern.ReasonAdmin), Detail: string(a)}
	record := func(note string) error {
		e := event
		e.Detail += note
		_, err := sqlstore.InsertAuditEvent(ctx, s.db, e)
		return err
	}
	if d.OwnerID == "" || d.OwnerID == p.UserID {
		return record("")
	}
	if s.window > 0 {
		recent, err := s.db.AuditEvents(ctx, sqlstore.AuditFilter{ActorID: p.UserID, Action: lectern.AuditAdminAccess,
			ResourceID: r.ID, DetailSuffix: ownerTold, Since: now.Add(-s.window), Limit: 1})
		if err != nil {
			return err
		}
		if len(recent) > 0 {
			return record("; owner told earlier")
		}
	}
	if err := s.tellOwner(ctx, p, a, r, d, clientAddr, now); err != nil {
		if rerr := record("; telling the owner failed"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return record(ownerTold)
}

func (s *Service) tellOwner(ctx context.Context, p lectern.Principal, a lectern.Action, r lectern.Resource, d lectern.Decision, clientAddr string, now time.Time) error {
	if s.mail == nil {
		return &lectern.Error{Code: lectern.EUnavailable,
			Message: "Admin access to this content needs email, to tell its owner, and email is not set up."}
	}
	owner, err := s.db.ContactOf(ctx, d.OwnerID)
	if err != nil {
		return fmt.Errorf("admin access: owner of %s %s: %w", r.Type, r.ID, err)
	}
	if owner.Email == "" {
		return nil // an account without an address (some LTI users): the audit log is all there is
	}
	admin, err := s.db.ContactOf(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("admin access: admin %s: %w", p.UserID, err)
	}
	title, err := s.resourceTitle(ctx, r)
	if err != nil {
		return err
	}
	subject, text := adminAccessMail(owner, admin, a, r, title, s.link(r), clientAddr, now)
	if err := s.mail.Send(ctx, owner.Email, subject, text); err != nil {
		return fmt.Errorf("admin access: tell owner %s: %w", d.OwnerID, err)
	}
	return nil
}

// ownerTold ends the detail of an admin.access event whose owner was
// emailed; the notice window counts from such events.
const ownerTold = "; owner told"

func (s *Service) resourceTitle(ctx context.Context, r lectern.Resource) (string, error) {
	switch r.Type {
	case lectern.ResourceSession:
		sess, err := s.db.SessionByID(ctx, r.ID)
		if err != nil {
			return "", err
		}
		return sess.Title, nil
	default:
		f, err := s.db.FolderByID(ctx, r.ID)
		if err != nil {
			return "", err
		}
		return f.Name, nil
	}
}

// link is the page of a resource, for emails.
func (s *Service) link(r lectern.Resource) string {
	return s.base + "/" + string(r.Type) + "s/" + r.ID
}

func displayName(c sqlstore.Contact) string {
	switch {
	case c.Name != "" && c.Email != "":
		return c.Name + " <" + c.Email + ">"
	case c.Name != "":
		return c.Name
	}
	return c.Email
}

func adminAccessMail(owner, admin sqlstore.Contact, a lectern.Action, r lectern.Resource, title, link, clientAddr string, at time.Time) (subject, text string) {
	subject = fmt.Sprintf("An administrator opened your %s %q", kindWord(r.Type), title)
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", firstNonEmpty(owner.Name, owner.Email))
	fmt.Fprintf(&b, "A site administrator, %s, used their admin rights to %s your %s %q.\n\n",
		displayName(admin), actionWords(a), kindWord(r.Type), title)
	fmt.Fprintf(&b, "When: %s UTC\n", at.UTC().Format("2006-01-02 15:04:05"))
	if clientAddr != "" {
		fmt.Fprintf(&b, "From: %s\n", clientAddr)
	}
	fmt.Fprintf(&b, "Link: %s\n\n", link)
	b.WriteString("Lectern records every such access in its audit log, and tells the owner each time.\n")
	b.WriteString("If you did not expect this, contact your Lectern site administrators.\n")
	return subject, b.String()
}

func kindWord(t lectern.ResourceType) string {
	if t == lectern.ResourceSession {
		return "recording"
	}
	return string(t)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
