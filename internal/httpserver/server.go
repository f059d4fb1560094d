// Package httpserver is Lectern's HTTP front: the route table, the
// middleware every request passes through (logging, metrics, panic
// recovery, security headers, CSRF), authentication, and the one error
// renderer that turns an error into an HTML page or a JSON body. Pages
// live in package web, the JSON API in package api.
package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	accesssvc "github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/api"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/lti/ltiweb"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sitesettings"
	"github.com/lectern-edu/lectern/internal/upload"
	"github.com/lectern-edu/lectern/internal/web"
)

// ReadyCheck is one dependency /readyz checks, with a 2-second timeout.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps is everything the HTTP server needs, built by the composition root.
type Deps struct {
	Logger   *slog.Logger
	Identity *identity.Service
	Outbox   *notify.Outbox
	Settings *sitesettings.Service
	// Access is the access decision, grants, groups and audit log; Catalog
	// the folders and sessions. Both are required.
	Access  *accesssvc.Service
	Catalog *catalog.Service
	// Uploads (tus), Playback (tokens, HLS delivery, viewing analytics)
	// and Processing (pipeline progress) serve recordings; when Uploads or
	// Playback is nil its routes are left out.
	Uploads    *upload.Service
	Playback   *playback.Service
	Processing playback.ProgressSource
	// LTI is the LMS integration (LTI 1.3 and 1.1); nil leaves its routes out.
	LTI *lti.Service
	// Sharing is share links and guest invitations; nil leaves their
	// routes out.
	Sharing *sharing.Service
	// Ready are the checks /readyz runs, each with a 2 s timeout: 503 naming
	// the failed checks and why, 200 "ok" when all pass.
	Ready []ReadyCheck
	// JobCounts is exported as the gauge lectern_jobs{state="..."} at
	// scrape time; nil leaves the gauge out.
	JobCounts func(ctx context.Context) (map[string]int64, error)
	// Registry is where the HTTP metrics register and what /metrics serves;
	// nil means a fresh registry.
	Registry      *prometheus.Registry
	BaseURL       string // the public origin, e.g. http://127.0.0.1:8080
	SecureCookies bool   // true when BaseURL is https
	Now           func() time.Time
}

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

type server struct {
	deps    Deps
	log     *slog.Logger
	pages   *web.Pages
	v1      *api.API
	cop     *http.CrossOriginProtection
	metrics *httpMetrics
	lti     *ltiweb.Handlers // set by ltiRoutes when Deps.LTI is set
}

// New builds the HTTP handler. It parses every template and checks the
// OpenAPI document now, so that a mistake in either stops start-up rather
// than failing a request later.
func New(deps Deps) (http.Handler, error) {
	s, err := newServer(deps)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	s.routes(mux)
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { stateFrom(r.Context()).pattern = r.Pattern }() // set by mux.ServeHTTP
		mux.ServeHTTP(w, r)
	})
	full := s.observe(s.securityHeaders(s.csrf(routed)))
	if s.deps.Playback != nil {
		return s.withMediaFastPath(full, s.deps.Playback.ServeMedia), nil
	}
	return full, nil
}

func newServer(deps Deps) (*server, error) {
	if deps.Identity == nil || deps.Outbox == nil || deps.Settings == nil {
		return nil, fmt.Errorf("httpserver: Identity, Outbox and Settings are required")
	}
	if deps.Access == nil || deps.Catalog == nil {
		return nil, fmt.Errorf("httpserver: Access and Catalog are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	s := &server{deps: deps, log: deps.Logger, cop: http.NewCrossOriginProtection()}
	var err error
	s.pages, err = web.New(web.Config{
		Identity: deps.Identity, Outbox: deps.Outbox, Settings: deps.Settings,
		Access: deps.Access, Catalog: deps.Catalog, Playback: deps.Playback, Processing: deps.Processing,
		BaseURL: deps.BaseURL, SecureCookies: deps.SecureCookies, Now: deps.Now, Logger: deps.Logger,
	})
	if err != nil {
		return nil, err
	}
	if s.v1, err = api.New(api.Config{Identity: deps.Identity, Access: deps.Access, Catalog: deps.Catalog, BaseURL: deps.BaseURL}); err != nil {
		return nil, err
	}
	// Behind a reverse proxy the Host header may not be the public name;
	// the configured base URL's origin is always a same-site origin.
	if o := origin(deps.BaseURL); o != "" {
		if err := s.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("httpserver: base URL %q: %w", deps.BaseURL, err)
		}
	}
	if s.metrics, err = newHTTPMetrics(deps.Registry, deps.JobCounts, deps.Logger); err != nil {
		return nil, err
	}
	return s, nil
}

// origin returns scheme://host[:port] of a URL, or "" if it has none.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
