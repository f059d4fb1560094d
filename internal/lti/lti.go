// Package lti lets an LMS decide who sees which video (seeds 000 and 002),
// over LTI 1.3 (OIDC third-party login, platform-signed id_tokens, deep
// linking, names and role provisioning) and LTI 1.1 (OAuth 1.0a-signed
// form posts).
//
// A launch is checked first (ValidateLaunch, ValidateLaunch11) and then
// acted on (Provision): the LMS user becomes an lti account keyed by
// (issuer, subject); the course (context) maps to one folder, created when
// an instructor first launches, whose members group has viewer and whose
// instructors group has creator rights; a resource link bound to a session
// puts the launching user into the link's lti-link group until the site's
// grant window passes, refreshed by each launch (expiry is evaluated at
// decision time by package access; its sweeper removes what has expired).
//
// Every refusal of a launch is a *lectern.Error (EForbidden, or EInvalid
// for a malformed request) wrapping a *Rejection that names the check that
// failed, in words for the page and in a short code for the log.
//
// Nothing here keeps state another node would need: login states, nonces,
// picker sessions and keys live in the database. The platform key cache
// is per node and only saves fetches.
package lti

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/riverqueue/river"
)

// Enqueuer queues a background job; jobs.Queue implements it.
type Enqueuer interface {
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// Options configures a Service. DB, Identity, Access, Catalog, Sealer and
// BaseURL are required; the rest have defaults.
type Options struct {
	DB       *sqlstore.DB
	Identity *identity.Service
	Access   *access.Service
	Catalog  *catalog.Service
	Sealer   *Sealer
	// BaseURL is Lectern's public URL: the tool URLs given to LMSs, and the
	// URL LTI 1.1 signatures are computed over (never the Host header).
	BaseURL string
	Jobs    Enqueuer // where roster syncs are queued; nil: they run at once
	Now     func() time.Time
	Logger  *slog.Logger
	// HTTPClient fetches platform keys and talks to token and NRPS
	// endpoints; default a client with a 15-second timeout.
	HTTPClient *http.Client
	// Skew is the clock difference tolerated on exp, iat and LTI 1.1
	// timestamps' future side; default 60 s.
	Skew time.Duration
	// KeysTTL is how long a platform's key set is trusted before it is
	// fetched again; default 1 hour. KeysRefetchEvery limits refetches on
	// an unknown key id, per key set; default 10 s.
	KeysTTL          time.Duration
	KeysRefetchEvery time.Duration
}

// Defaults.
const (
	DefaultGrantWindow = 4 * time.Hour
	// LoginStateTTL is how long a login may take between initiation and
	// launch.
	LoginStateTTL = 10 * time.Minute
	// PickTTL is how long a teacher has to choose videos.
	PickTTL = 2 * time.Hour
	// KeyGrace is how long a rotated-out key stays in /lti/jwks.
	KeyGrace = 7 * 24 * time.Hour
	// TimestampWindow bounds how old an LTI 1.1 launch may be.
	TimestampWindow = 5 * time.Minute
)

// Service is the LTI tool. It is safe for concurrent use.
type Service struct {
	db       *sqlstore.DB
	identity *identity.Service
	access   *access.Service
	catalog  *catalog.Service
	sealer   *Sealer
	base     string
	jobs     Enqueuer
	now      func() time.Time
	log      *slog.Logger
	http     *http.Client
	skew     time.Duration
	keys     *keyCache
	tokens   *tokenCache

	signMu  sync.Mutex
	signers map[string]*signingKey // kid → decrypted key

	framesMu  sync.Mutex
	frames    []string
	framesAt  time.Time
	framesGen int // bumped by registry changes
}

// Settings keys in the shared settings table.
const (
	settingGrantWindow = "lti_grant_window"
	settingSystemUser  = "lti_system_user"
	settingKeyCheck    = "lti_site_key_check"
)

// New returns the LTI service. Once secrets have been sealed, it checks
// that the site key is the one they were sealed with, so that a node
// started with another key stops at once with a clear message.
func New(ctx context.Context, opts Options) (*Service, error) {
	if opts.DB == nil || opts.Identity == nil || opts.Access == nil || opts.Catalog == nil || opts.Sealer == nil || opts.BaseURL == "" {
		return nil, fmt.Errorf("lti: DB, Identity, Access, Catalog, Sealer and BaseURL are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if opts.Skew <= 0 {
		opts.Skew = 60 * time.Second
	}
	if opts.KeysTTL <= 0 {
		opts.KeysTTL = time.Hour
	}
	if opts.KeysRefetchEvery <= 0 {
		opts.KeysRefetchEvery = 10 * time.Second
	}
	s := &Service{
		db: opts.DB, identity: opts.Identity, access: opts.Access, catalog: opts.Catalog, sealer: opts.Sealer,
		base: strings.TrimRight(opts.BaseURL, "/"), jobs: opts.Jobs, now: opts.Now, log: opts.Logger,
		http: opts.HTTPClient, skew: opts.Skew, signers: map[string]*signingKey{},
	}
	s.keys = newKeyCache(s.http, s.clock, opts.KeysTTL, opts.KeysRefetchEvery)
	s.tokens = &tokenCache{tokens: map[string]cachedToken{}}
	if err := s.checkSiteKey(ctx, false); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) clock() time.Time { return time.UnixMilli(s.now().UnixMilli()).UTC() }

// BaseURL is Lectern's public URL, without a trailing slash.
func (s *Service) BaseURL() string { return s.base }

// Catalog is the catalog the service files courses and links in.
func (s *Service) Catalog() *catalog.Service { return s.catalog }

// Access is the access service the service grants with.
func (s *Service) Access() *access.Service { return s.access }

// checkSiteKey compares the site key's fingerprint with the one recorded
// when the first secret was sealed; record (before sealing) records it
// when there is none. A site that never seals anything never records one,
// so nodes of a cluster without LTI need not share a key.
func (s *Service) checkSiteKey(ctx context.Context, record bool) error {
	values, err := s.db.Settings(ctx)
	if err != nil {
		return err
	}
	switch stored := values[settingKeyCheck]; stored {
	case "":
		if !record {
			return nil
		}
		return s.db.PutSettings(ctx, map[string]string{settingKeyCheck: s.sealer.Check()}, s.clock(), "")
	case s.sealer.Check():
		return nil
	default:
		return fmt.Errorf("lti: the site key (site_key_file) is not the one this database's secrets were sealed with " +
			"(fingerprint differs): every node must use the same site key file; copy it from the node that first started")
	}
}

// GrantWindow is how long a resource-link launch gives access (seed 000).
func (s *Service) GrantWindow(ctx context.Context) (time.Duration, error) {
	values, err := s.db.Settings(ctx)
	if err != nil {
		return 0, err
	}
	if v := values[settingGrantWindow]; v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d, nil
		}
	}
	return DefaultGrantWindow, nil
}

// Grant window bounds.
const (
	MinGrantWindow = 5 * time.Minute
	MaxGrantWindow = 30 * 24 * time.Hour
)

// SetGrantWindow changes the grant window; admins only (the caller checks).
func (s *Service) SetGrantWindow(ctx context.Context, d time.Duration, byUserID string) error {
	if d < MinGrantWindow || d > MaxGrantWindow {
		return lectern.Errorf(lectern.EInvalid, "grant_window: must be between %s and %s", MinGrantWindow, "30 days (720h)")
	}
	if err := s.db.PutSettings(ctx, map[string]string{settingGrantWindow: d.String()}, s.clock(), byUserID); err != nil {
		return err
	}
	return s.audit(ctx, byUserID, "lti.settings", "", "", "grant window "+d.String())
}

// systemUser returns the account that owns course folders: an lti account
// that cannot sign in, so that no person gains owner rights over a course
// folder that their LMS role may later take away.
func (s *Service) systemUser(ctx context.Context) (string, error) {
	values, err := s.db.Settings(ctx)
	if err != nil {
		return "", err
	}
	if id := values[settingSystemUser]; id != "" {
		if _, err := s.identity.UserByID(ctx, id); err == nil {
			return id, nil
		}
	}
	u, err := s.identity.CreateUser(ctx, identity.NewUser{Name: "LMS integration", Kind: lectern.UserLTI})
	if err != nil {
		return "", fmt.Errorf("lti: create system account: %w", err)
	}
	if err := s.identity.SetDisabled(ctx, u.ID, true); err != nil {
		return "", err
	}
	if err := s.db.PutSettings(ctx, map[string]string{settingSystemUser: u.ID}, s.clock(), ""); err != nil {
		return "", err
	}
	return u.ID, nil
}

// audit writes one event; resourceType may be empty.
func (s *Service) audit(ctx context.Context, actorID, action string, rt lectern.ResourceType, resourceID, detail string) error {
	_, err := sqlstore.InsertAuditEvent(ctx, s.db, lectern.AuditEvent{
		At: s.clock(), ActorID: actorID, Action: action, ResourceType: rt, ResourceID: resourceID, Reason: "lti", Detail: detail,
	})
	return err
}

// FrameOrigins lists the LMS origins allowed to frame Lectern (CSP
// frame-ancestors), from every registration. It is cached for a minute,
// so that a page view does not read the database.
func (s *Service) FrameOrigins(ctx context.Context) []string {
	s.framesMu.Lock()
	cached, at, gen := s.frames, s.framesAt, s.framesGen
	s.framesMu.Unlock()
	if !at.IsZero() && time.Since(at) < time.Minute {
		return cached
	}
	ps, err := s.db.ListLTIPlatforms(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "lti: list platforms for frame-ancestors", "err", err)
		return cached
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		for _, o := range p.FrameOrigins {
			if !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	s.framesMu.Lock()
	if s.framesGen == gen { // no registry change meanwhile
		s.frames, s.framesAt = out, time.Now()
	}
	s.framesMu.Unlock()
	return out
}

func (s *Service) forgetFrameOrigins() {
	s.framesMu.Lock()
	s.framesAt = time.Time{}
	s.framesGen++
	s.framesMu.Unlock()
}
