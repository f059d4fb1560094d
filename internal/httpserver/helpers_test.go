package httpserver_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/sitesettings"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

const (
	adminEmail    = "ada@uni.example"
	adminPassword = "analytical-engine-1843"
	userEmail     = "grace@uni.example"
	userPassword  = "compiler-cobol-1959"
)

// site is a running Lectern web server on a real database, with the real
// identity service and outbox (no SMTP, so mail is held for admins).
type site struct {
	t        *testing.T
	srv      *httptest.Server
	db       *sqlstore.DB
	identity *identity.Service
	outbox   *notify.Outbox
	settings *sitesettings.Service
	access   *access.Service
	catalog  *catalog.Service
	mail     *recordingMailer
	registry *prometheus.Registry
	logs     *syncBuffer
	admin    lectern.User
	user     lectern.User
	deps     httpserver.Deps // as the server was built, for tests that read its route table
}

// siteOption adjusts the identity options or the server's Deps.
type siteOption func(*identity.Options, *httpserver.Deps)

func withLoginLimit(max int) siteOption {
	return func(o *identity.Options, _ *httpserver.Deps) {
		o.LoginLimit = identity.Limit{Max: max, Window: 15 * time.Minute}
	}
}

func withDeps(f func(*httpserver.Deps)) siteOption {
	return func(_ *identity.Options, d *httpserver.Deps) { f(d) }
}

func newSite(t *testing.T, db *sqlstore.DB, opts ...siteOption) *site {
	t.Helper()
	frozen := time.Now().UTC().Truncate(time.Millisecond)
	now := func() time.Time { return frozen }
	late := &lateHandler{}
	srv := httptest.NewServer(late)
	t.Cleanup(srv.Close)

	s := &site{t: t, srv: srv, db: db, registry: prometheus.NewRegistry(), logs: &syncBuffer{}}
	s.outbox = notify.NewOutbox(db, nil, notify.SMTPConfig{}, now, nil)
	s.mail = &recordingMailer{next: s.outbox}
	s.settings = sitesettings.New(db, now)
	s.access = access.New(db, s.mail, access.Options{Now: now, BaseURL: srv.URL})
	s.catalog = catalog.New(db, now, catalog.WithAccess(s.access), catalog.WithMailer(s.mail), catalog.WithBaseURL(srv.URL))
	idOpts := identity.Options{Params: identity.TestParams, BaseURL: srv.URL, Now: now}
	deps := httpserver.Deps{
		Logger:   slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Outbox:   s.outbox,
		Settings: s.settings,
		Access:   s.access,
		Catalog:  s.catalog,
		Ready:    []httpserver.ReadyCheck{{Name: "database", Check: db.Ping}},
		JobCounts: func(context.Context) (map[string]int64, error) {
			return map[string]int64{"available": 2, "running": 1}, nil
		},
		Registry: s.registry,
		BaseURL:  srv.URL,
		Now:      now,
	}
	for _, o := range opts {
		o(&idOpts, &deps)
	}
	s.identity = identity.New(db, s.mail, idOpts)
	deps.Identity = s.identity
	h, err := httpserver.New(deps)
	testkit.Must(t, err, "httpserver.New")
	s.deps = deps
	late.h.Store(&h)

	s.admin = s.account(identity.NewUser{Email: adminEmail, Name: "Ada Admin", Password: adminPassword, IsAdmin: true})
	s.user = s.account(identity.NewUser{Email: userEmail, Name: "Grace User", Password: userPassword})
	return s
}

// account creates an account, or returns it when an earlier site on the
// same database already did.
func (s *site) account(nu identity.NewUser) lectern.User {
	s.t.Helper()
	ctx := context.Background()
	u, err := s.identity.CreateUser(ctx, nu)
	if lectern.ErrorCodeOf(err) == lectern.EConflict {
		u, err = s.identity.UserByEmail(ctx, nu.Email)
	}
	testkit.Must(s.t, err, "create account %s", nu.Email)
	return u
}

// lateHandler lets the server start (and so have a URL for BaseURL)
// before the handler that needs that URL exists.
type lateHandler struct{ h atomic.Pointer[http.Handler] }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*l.h.Load()).ServeHTTP(w, r)
}

// recordingMailer records what identity sends and passes it to the outbox.
type recordingMailer struct {
	mu   sync.Mutex
	sent []string // recipients
	next identity.Mailer
}

func (m *recordingMailer) Send(ctx context.Context, to, subject, text string) error {
	m.mu.Lock()
	m.sent = append(m.sent, to)
	m.mu.Unlock()
	return m.next.Send(ctx, to, subject, text)
}

func (m *recordingMailer) Sent() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.sent...)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each 303. Every HTML page it receives is checked
// for accessibility basics.
type browser struct {
	t    *testing.T
	site *site
	c    *http.Client
	last response
}

type response struct {
	status int
	header http.Header
	body   string
}

// location is the redirect target, relative to the site.
func (r response) location() string { return r.header.Get("Location") }

func (s *site) browser() *browser {
	jar, err := cookiejar.New(nil)
	testkit.Must(s.t, err, "cookie jar")
	return &browser{t: s.t, site: s, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	testkit.Must(b.t, err, "%s %s", req.Method, req.URL)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	testkit.Must(b.t, err, "read body")
	r := response{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && (r.status < 300 || r.status >= 400) {
		checkAccessible(b.t, req.Method+" "+req.URL.Path, r.body)
		b.last = r
	}
	return r
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.site.srv.URL+path, nil)
	testkit.Must(b.t, err, "new request")
	return b.do(req)
}

// post sends a form as a same-origin browser would (Origin and
// Sec-Fetch-Site set), plus any extra headers given as name, value pairs.
func (b *browser) post(path string, form url.Values, headers ...string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.site.srv.URL+path, strings.NewReader(form.Encode()))
	testkit.Must(b.t, err, "new request")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.site.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// submit loads page, takes the CSRF token from its form, as a browser
// would, and posts values with it to action.
func (b *browser) submit(page, action string, values url.Values) response {
	b.t.Helper()
	got := b.get(page)
	m := csrfField.FindStringSubmatch(got.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d) has no csrf_token field:\n%s", page, got.status, got.body)
	}
	values.Set("csrf_token", m[1])
	return b.post(action, values)
}

// signIn signs in through the login form and fails the test otherwise.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	r := b.submit("/login", "/login", url.Values{"email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: status %d, want 303:\n%s", email, r.status, r.body)
	}
}

// cookie returns the value of a cookie the browser holds for the site.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.site.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// apiGet calls the API with an optional Bearer token, without cookies.
func (s *site) apiGet(path, token string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	testkit.Must(s.t, err, "new request")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	testkit.Must(s.t, err, "GET %s", path)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	testkit.Must(s.t, err, "read body")
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d\nheaders: %v\nbody:\n%s", what, r.status, want, r.header, r.body)
	}
}

func wantContains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: body lacks %q:\n%s", what, w, body)
		}
	}
}
