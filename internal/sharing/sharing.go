// Package sharing is secure sharing outside the institution (DESIGN §2,
// §4; seed 003): share links to one session, with an optional password,
// expiry, total-open and per-viewer limits, named viewers who skip the
// password, open counting and a spike rule; and guest invitations, which
// make an account bound to the invited address that sees only what was
// shared with it.
//
// Where each promise is kept:
//   - limits are exact under concurrency: sqlstore.OpenShareLink counts an
//     open in one transaction that holds the link (see its comment); an
//     open is counted when the playback token is issued, never per
//     segment, and given back if the token cannot be issued;
//   - wrong link passwords are rate-limited per link and per client
//     address in the database (package ratelimit), checked before the
//     password is, so that a locked-out guesser learns nothing even with
//     the right password;
//   - a revoked, expired or unknown token gets one and the same refusal;
//   - guests see only what was shared with them: the access decision
//     limits a guest principal to viewing (access.evaluate), and
//     access.MemberOnly refuses them folder, upload and group creation.
//
// Errors are *lectern.Error with a safe message; the /s/{token} flow
// returns *RefusedError (ReasonOf tells the page to show).
package sharing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/ratelimit"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Mailer sends one plain-text email; notify.Outbox is the production one.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// TokenIssuer issues the short-lived playback token of one open, for a
// principal that is not an account ("link:{link id}:{viewer id}"): the
// link's own checks have already been made. The composition root adapts
// a playback service built with LinkAuthorizer.
type TokenIssuer interface {
	Issue(ctx context.Context, sessionID, principalID string) (hlsURL string, expiresAt time.Time, err error)
}

// Limit allows Max events per sliding Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// Options configures a Service. Zero fields take the defaults.
type Options struct {
	BaseURL string           // for the links in emails and the url of a new link
	Now     func() time.Time // clock; default time.Now
	// Params is the argon2id cost of link passwords; default
	// identity.DefaultParams.
	Params identity.Params
	// LinkPasswordLimit bounds wrong passwords per link (default 20 per
	// 15 minutes) and AddrPasswordLimit per client address, over all
	// links (default 10 per 15 minutes).
	LinkPasswordLimit Limit
	AddrPasswordLimit Limit
	// InvitationTTL is how long an emailed invitation link works; default
	// 14 days.
	InvitationTTL time.Duration
}

// Defaults for Options.
var (
	DefaultLinkPasswordLimit = Limit{Max: 20, Window: 15 * time.Minute}
	DefaultAddrPasswordLimit = Limit{Max: 10, Window: 15 * time.Minute}
)

// DefaultInvitationTTL is the default Options.InvitationTTL.
const DefaultInvitationTTL = 14 * 24 * time.Hour

// Audit actions written by sharing.
const (
	AuditLinkCreate  = "share.link.create"
	AuditLinkChange  = "share.link.change"
	AuditLinkSuspend = "share.link.suspend"
	AuditLinkResume  = "share.link.resume"
	AuditLinkRevoke  = "share.link.revoke"
	AuditLinkExtend  = "share.link.extend"
	AuditInvite      = "share.invite"
	AuditGuestRevoke = "share.guest.revoke"
	AuditPolicy      = "share.policy"
)

// Rate-limit buckets, under one prefix so that Sweep clears only these.
const (
	bucketPrefix   = "sharing:"
	bucketLinkPass = bucketPrefix + "pw:link:"
	bucketAddrPass = bucketPrefix + "pw:addr:"
)

// Service is sharing. It is safe for concurrent use.
type Service struct {
	db       *sqlstore.DB
	access   *access.Service
	identity *identity.Service
	mail     Mailer
	issuer   TokenIssuer
	limits   *ratelimit.Limiter
	opts     Options
	base     string
}

// New returns the sharing service. issuer issues playback tokens for
// opens; mail sends invitations and spike notices.
func New(db *sqlstore.DB, acc *access.Service, ident *identity.Service, mail Mailer, issuer TokenIssuer, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Params == (identity.Params{}) {
		opts.Params = identity.DefaultParams
	}
	if opts.LinkPasswordLimit.Max <= 0 || opts.LinkPasswordLimit.Window <= 0 {
		opts.LinkPasswordLimit = DefaultLinkPasswordLimit
	}
	if opts.AddrPasswordLimit.Max <= 0 || opts.AddrPasswordLimit.Window <= 0 {
		opts.AddrPasswordLimit = DefaultAddrPasswordLimit
	}
	if opts.InvitationTTL <= 0 {
		opts.InvitationTTL = DefaultInvitationTTL
	}
	s := &Service{db: db, access: acc, identity: ident, mail: mail, issuer: issuer, opts: opts,
		base: strings.TrimRight(opts.BaseURL, "/")}
	s.limits = ratelimit.New(db, s.now)
	return s
}

// now is the clock at the database's resolution (milliseconds, UTC).
func (s *Service) now() time.Time { return time.UnixMilli(s.opts.Now().UnixMilli()).UTC() }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// LinkURL is the address of a link with this token.
func (s *Service) LinkURL(token string) string { return s.base + "/s/" + token }

// Sweep deletes sharing's rate-limit events older than its longest
// window. A periodic job calls it; correctness never depends on it.
func (s *Service) Sweep(ctx context.Context) error {
	longest := max(s.opts.LinkPasswordLimit.Window, s.opts.AddrPasswordLimit.Window)
	if _, err := s.limits.SweepPrefix(ctx, bucketPrefix, longest); err != nil {
		return fmt.Errorf("sharing sweep: %w", err)
	}
	return nil
}

// audit writes an event in tx, at the service's clock.
func (s *Service) audit(ctx context.Context, q sqlstore.Querier, e lectern.AuditEvent) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err := sqlstore.InsertAuditEvent(ctx, q, e)
	return err
}

// contact is someone to email: their address, and a name to greet.
func (s *Service) contact(ctx context.Context, userID string) (sqlstore.Contact, error) {
	return s.db.ContactOf(ctx, userID)
}

func greeting(c sqlstore.Contact) string {
	if c.Name != "" {
		return "Hello " + c.Name + ",\n\n"
	}
	return "Hello,\n\n"
}

func nameOr(c sqlstore.Contact, def string) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	}
	return def
}
