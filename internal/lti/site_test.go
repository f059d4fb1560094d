package lti_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/sitesettings"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// clock is the injected clock every service and the platform share.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// inlineJobs runs queued LTI jobs at once (tests of the job on a real
// queue are in jobs_test.go).
type inlineJobs struct{ s atomic.Pointer[lti.Service] }

func (q *inlineJobs) Enqueue(ctx context.Context, args river.JobArgs, _ *river.InsertOpts) error {
	_, err := q.s.Load().RunJob(ctx, args)
	return err
}

// site is a running Lectern (the real httpserver handler with the LTI
// service) on a real database, and an emulated LMS registered with it.
type site struct {
	t        *testing.T
	db       *sqlstore.DB
	clock    *clock
	srv      *httptest.Server
	logs     *logBuffer
	identity *identity.Service
	access   *access.Service
	catalog  *catalog.Service
	lti      *lti.Service
	lms      *testkit.LTIPlatform
	reg      lectern.LTIPlatform
}

type siteOption func(*lti.Options)

func withJobs(q lti.Enqueuer) siteOption { return func(o *lti.Options) { o.Jobs = q } }

func newSite(t *testing.T, db *sqlstore.DB, opts ...siteOption) *site {
	t.Helper()
	ctx := context.Background()
	c := &clock{now: time.Now().UTC().Truncate(time.Second)}
	late := &lateHandler{}
	srv := httptest.NewServer(late)
	t.Cleanup(srv.Close)
	s := &site{t: t, db: db, clock: c, srv: srv, logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	outbox := notify.NewOutbox(db, nil, notify.SMTPConfig{}, c.Now, nil)
	settings := sitesettings.New(db, c.Now)
	s.identity = identity.New(db, outbox, identity.Options{Params: identity.TestParams, BaseURL: srv.URL, Now: c.Now})
	s.access = access.New(db, outbox, access.Options{Now: c.Now, BaseURL: srv.URL})
	s.catalog = catalog.New(db, c.Now, catalog.WithAccess(s.access), catalog.WithMailer(outbox), catalog.WithBaseURL(srv.URL))
	key := make([]byte, lti.SiteKeySize)
	_, _ = rand.Read(key)
	sealer, err := lti.NewSealer(key)
	testkit.Must(t, err, "sealer")
	jobs := &inlineJobs{}
	o := lti.Options{DB: db, Identity: s.identity, Access: s.access, Catalog: s.catalog, Sealer: sealer, BaseURL: srv.URL,
		Now: c.Now, Logger: log, Jobs: jobs}
	for _, f := range opts {
		f(&o)
	}
	s.lti, err = lti.New(ctx, o)
	testkit.Must(t, err, "lti.New")
	jobs.s.Store(s.lti)

	h, err := httpserver.New(httpserver.Deps{
		Logger: log, Identity: s.identity, Outbox: outbox, Settings: settings, Access: s.access, Catalog: s.catalog,
		LTI: s.lti, BaseURL: srv.URL, Now: c.Now,
	})
	testkit.Must(t, err, "httpserver.New")
	late.h.Store(&h)

	s.lms = testkit.NewLTIPlatform(t, c.Now)
	s.lms.SetTool(srv.URL+lti.PathLogin, srv.URL+lti.PathJWKS, srv.URL+lti.PathLaunch, srv.URL+lti.PathDeepLink)
	s.reg, _, err = s.lti.CreatePlatform(ctx, lti.PlatformInput{Version: lectern.LTI13, Name: "Emulated LMS",
		Issuer: s.lms.Issuer(), ClientID: s.lms.ClientID, DeploymentIDs: []string{s.lms.DeploymentID},
		AuthURL: s.lms.AuthURL(), TokenURL: s.lms.TokenURL(), JWKSURL: s.lms.JWKSURL()}, "")
	testkit.Must(t, err, "register the LMS")
	return s
}

type lateHandler struct{ h atomic.Pointer[http.Handler] }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*l.h.Load()).ServeHTTP(w, r)
}

// Launch messages for tests.
func instructor(sub string) testkit.LTIMessage {
	return testkit.LTIMessage{Subject: sub, Name: "Teacher " + sub, Email: sub + "@uni.example", Roles: []string{testkit.RoleInstructor},
		ContextID: "course-1", ContextTitle: "Algebra", ResourceLink: "nav-1", LinkTitle: "Lecture videos"}
}

func learner(sub string) testkit.LTIMessage {
	return testkit.LTIMessage{Subject: sub, Name: "Student " + sub, Email: sub + "@uni.example", Roles: []string{testkit.RoleLearner},
		ContextID: "course-1", ContextTitle: "Algebra", ResourceLink: "nav-1", LinkTitle: "Lecture videos"}
}

// launch runs an LTI 1.3 launch of msg in a fresh browser.
func (s *site) launch(msg testkit.LTIMessage) (*testkit.Browser, *testkit.Response) {
	s.t.Helper()
	b := testkit.NewBrowser(s.t)
	return b, b.Launch(s.lms.LoginURL(msg))
}

// userOf returns the Lectern account of an LMS subject.
func (s *site) userOf(sub string) lectern.User {
	s.t.Helper()
	id, err := s.db.LTIUserID(context.Background(), s.lms.Issuer(), sub)
	testkit.Must(s.t, err, "lti user %s", sub)
	u, err := s.identity.UserByID(context.Background(), id)
	testkit.Must(s.t, err, "user %s", id)
	return u
}

func (s *site) course(contextID string) lectern.LTIContext {
	s.t.Helper()
	c, err := s.db.LTIContextByKey(context.Background(), s.reg.ID, contextID)
	testkit.Must(s.t, err, "course %s", contextID)
	return c
}

// may reports whether u may do a to r now.
func (s *site) may(u lectern.User, a lectern.Action, r lectern.Resource) bool {
	s.t.Helper()
	d, err := s.access.Decide(context.Background(), lectern.PrincipalOf(u), a, r)
	testkit.Must(s.t, err, "decide")
	return d.Allowed
}

// publishedSession makes a ready, published session owned by u, filed in
// folderID ("" for none).
func (s *site) publishedSession(u lectern.User, folderID, title string) lectern.Session {
	s.t.Helper()
	ctx := context.Background()
	sess, err := s.catalog.CreateSession(ctx, lectern.PrincipalOf(u), catalog.NewSession{FolderID: folderID, Title: title}, "")
	testkit.Must(s.t, err, "create session")
	for _, st := range []lectern.Processing{lectern.ProcessingQueued, lectern.ProcessingRunning, lectern.ProcessingReady} {
		sess, err = s.catalog.SetProcessing(ctx, sess.ID, st, "")
		testkit.Must(s.t, err, "processing %s", st)
	}
	if sess.Publication != lectern.PublicationPublished {
		s.t.Fatalf("session %q is %s, want published", title, sess.Publication)
	}
	return sess
}

func (s *site) localUser(email string) lectern.User {
	s.t.Helper()
	u, err := s.identity.CreateUser(context.Background(), identity.NewUser{Email: email, Name: email, Password: "long-enough-password"})
	testkit.Must(s.t, err, "create %s", email)
	return u
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// postSameOrigin submits a form on one of Lectern's pages as the browser
// would: with the CSRF token from page.
func (s *site) postSameOrigin(b *testkit.Browser, page *testkit.Response, action string, form url.Values) *testkit.Response {
	s.t.Helper()
	m := csrfField.FindStringSubmatch(page.Body)
	if m == nil {
		s.t.Fatalf("no CSRF token on %s", page.URL)
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", m[1])
	return b.Post(s.srv.URL+action, s.srv.URL, form)
}

func wantStatus(t *testing.T, r *testkit.Response, status int) {
	t.Helper()
	if r.Status != status {
		body := r.Body
		if len(body) > 1500 {
			body = body[:1500]
		}
		t.Fatalf("%s: status %d, want %d; location %q\n%s", r.URL, r.Status, status, r.Location, body)
	}
}

// wantRedirect checks a 303 to a path (prefix).
func wantRedirect(t *testing.T, r *testkit.Response, pathPrefix string) string {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	u, err := url.Parse(r.Location)
	if err != nil || !strings.HasPrefix(u.RequestURI(), pathPrefix) {
		t.Fatalf("redirect to %q, want %s…", r.Location, pathPrefix)
	}
	return u.RequestURI()
}

var regexpPick = regexp.MustCompile(`href="(/lti/pick/[^"]+)"`)

func catalogFolder(name string) catalog.NewFolder { return catalog.NewFolder{Name: name} }
