// Package identity is Lectern's accounts service: users and their
// passwords, sign-in with rate limits, browser login sessions, personal API
// tokens and password resets by email. It holds no SQL (package sqlstore
// does) and no state in memory that another node would need: sessions,
// tokens and failed-attempt counts all live in the database.
//
// Errors are *lectern.Error with a message safe to show: EInvalid names the
// field at fault, EUnauthorized is for bad or expired credentials, ETooMany
// carries RetryAfter, ENotFound and EConflict mean what they say. Anything
// else is an internal failure, wrapped with context.
package identity

import (
	"context"
	"time"

	"github.com/lectern-edu/lectern/internal/ratelimit"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Mailer sends one plain-text email. The notify package's outbox is the
// production implementation: it queues durably and returns quickly.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// Limit allows Max events per sliding Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// Options configures a Service. Zero fields take the documented defaults.
type Options struct {
	Params     Params        // argon2id cost; default DefaultParams
	SessionTTL time.Duration // default 14 days, sliding (LastSeen refresh at most once a minute)
	ResetTTL   time.Duration // default 1 hour
	LoginLimit Limit         // failed sign-ins per account (email), default 5 per 15 minutes
	AddrLimit  Limit         // failed sign-ins per client address, default 20 per 15 minutes
	// ResetEmailLimit and ResetAddrLimit bound password-reset requests per
	// email address (known or not) and per client address; defaults 5 and
	// 20 per hour.
	ResetEmailLimit Limit
	ResetAddrLimit  Limit
	BaseURL         string           // site URL for links in emails, e.g. https://lectern.example.edu
	Now             func() time.Time // clock; default time.Now
}

// Default values for Options.
const (
	DefaultSessionTTL = 14 * 24 * time.Hour
	DefaultResetTTL   = time.Hour
)

// Default limits for Options.
var (
	DefaultLoginLimit      = Limit{Max: 5, Window: 15 * time.Minute}
	DefaultAddrLimit       = Limit{Max: 20, Window: 15 * time.Minute}
	DefaultResetEmailLimit = Limit{Max: 5, Window: time.Hour}
	DefaultResetAddrLimit  = Limit{Max: 20, Window: time.Hour}
)

// touchInterval is how stale a session's LastSeenAt or a token's
// LastUsedAt may get before a request writes it again.
const touchInterval = time.Minute

// Service manages accounts and credentials. It is safe for concurrent use.
type Service struct {
	db     *sqlstore.DB
	mail   Mailer
	limits *ratelimit.Limiter
	opts   Options
	dummy  dummyHash
}

// New returns the accounts service. mail may be nil, in which case
// password resets by email are unavailable.
func New(db *sqlstore.DB, mail Mailer, opts Options) *Service {
	if opts.Params == (Params{}) {
		opts.Params = DefaultParams
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.ResetTTL <= 0 {
		opts.ResetTTL = DefaultResetTTL
	}
	opts.LoginLimit = orDefault(opts.LoginLimit, DefaultLoginLimit)
	opts.AddrLimit = orDefault(opts.AddrLimit, DefaultAddrLimit)
	opts.ResetEmailLimit = orDefault(opts.ResetEmailLimit, DefaultResetEmailLimit)
	opts.ResetAddrLimit = orDefault(opts.ResetAddrLimit, DefaultResetAddrLimit)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{db: db, mail: mail, opts: opts}
	s.limits = ratelimit.New(db, s.now)
	return s
}

func orDefault(l, def Limit) Limit {
	if l.Max <= 0 || l.Window <= 0 {
		return def
	}
	return l
}

// now is the service clock at the database's resolution (milliseconds,
// UTC), so that values returned equal values read back.
func (s *Service) now() time.Time {
	return time.UnixMilli(s.opts.Now().UnixMilli()).UTC()
}

// Rate-limit buckets; all under one prefix so SweepExpired can clear its
// own without touching other features' longer windows.
const (
	bucketPrefix       = "identity:"
	bucketLoginAccount = bucketPrefix + "login:account:"
	bucketLoginAddr    = bucketPrefix + "login:addr:"
	bucketResetEmail   = bucketPrefix + "reset:email:"
	bucketResetAddr    = bucketPrefix + "reset:addr:"
)

// SweepExpired deletes expired login sessions, expired password-reset
// links and identity's rate-limit events older than its longest window.
// A periodic job calls it; it is safe to run on several nodes at once.
func (s *Service) SweepExpired(ctx context.Context) error {
	now := s.now()
	if _, err := s.db.DeleteExpiredLoginSessions(ctx, now); err != nil {
		return err
	}
	if _, err := s.db.DeleteExpiredPasswordResets(ctx, now); err != nil {
		return err
	}
	longest := time.Duration(0)
	for _, l := range []Limit{s.opts.LoginLimit, s.opts.AddrLimit, s.opts.ResetEmailLimit, s.opts.ResetAddrLimit} {
		longest = max(longest, l.Window)
	}
	if _, err := s.limits.SweepPrefix(ctx, bucketPrefix, longest); err != nil {
		return err
	}
	return nil
}
