package sharing_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// world is a sharing service on a real database with real identity,
// access and catalog services, a settable clock, a recording mailbox and
// a playback-token issuer that counts what it issues.
type world struct {
	t        *testing.T
	db       *sqlstore.DB
	clock    *accesstest.Clock
	mail     *accesstest.Mailbox
	issuer   *fakeIssuer
	identity *identity.Service
	access   *access.Service
	catalog  *catalog.Service
	svc      *sharing.Service
	owner    lectern.User // a lecturer who owns the session
	session  lectern.Session
}

type worldOption func(*sharing.Options)

func newWorld(t *testing.T, db *sqlstore.DB, opts ...worldOption) *world {
	t.Helper()
	w := &world{t: t, db: db, clock: accesstest.NewClock(), mail: &accesstest.Mailbox{}, issuer: &fakeIssuer{}}
	w.identity = identity.New(db, w.mail, identity.Options{Params: identity.TestParams, BaseURL: "https://lectern.test", Now: w.clock.Now})
	w.access = access.New(db, w.mail, access.Options{Now: w.clock.Now, BaseURL: "https://lectern.test"})
	w.catalog = catalog.New(db, w.clock.Now, catalog.WithAccess(w.access), catalog.WithMailer(w.mail))
	o := sharing.Options{BaseURL: "https://lectern.test", Now: w.clock.Now, Params: identity.TestParams}
	for _, f := range opts {
		f(&o)
	}
	w.svc = sharing.New(db, w.access, w.identity, w.mail, w.issuer, o)
	w.owner = accesstest.User(t, db, "Lecturer", false)
	f := accesstest.Folder(t, db, "Course", "", w.owner.ID, false)
	w.session = accesstest.Session(t, db, "Lecture 1", f.ID, w.owner.ID, lectern.PublicationPublished, lectern.LifecycleActive, 0)
	return w
}

func (w *world) ctx() context.Context { return context.Background() }

func (w *world) ownerP() lectern.Principal { return lectern.PrincipalOf(w.owner) }

// link creates a link on the world's session.
func (w *world) link(in sharing.LinkInput) (lectern.ShareLink, string) {
	w.t.Helper()
	l, token, err := w.svc.CreateLink(w.ctx(), w.ownerP(), "192.0.2.1", w.session.ID, in)
	if err != nil {
		w.t.Fatalf("create link: %v", err)
	}
	return l, token
}

// browser is an anonymous visitor with its own viewer cookie, on a
// network of its own unless told otherwise.
func browser(addr string) sharing.Visitor {
	return sharing.Visitor{Browser: sharing.NewSecret(), ClientAddr: addr, UserAgent: "Mozilla/5.0 (test)"}
}

func signedIn(u lectern.User, addr string) sharing.Visitor {
	v := browser(addr)
	v.User = &u
	return v
}

func (w *world) open(token, password string, v sharing.Visitor) (sharing.Opened, error) {
	return w.svc.Open(w.ctx(), token, sharing.OpenForm{Password: password}, v)
}

func (w *world) mustOpen(token, password string, v sharing.Visitor) sharing.Opened {
	w.t.Helper()
	o, err := w.open(token, password, v)
	if err != nil {
		w.t.Fatalf("open: %v", err)
	}
	if o.HLSURL == "" {
		w.t.Fatalf("open gave no playback URL: %+v", o)
	}
	return o
}

func wantRefusal(t *testing.T, err error, want sharing.Refusal) {
	t.Helper()
	if got := sharing.ReasonOf(err); got != want {
		t.Fatalf("refusal = %q (%v), want %q", got, err, want)
	}
}

func ptr[T any](v T) *T { return &v }

// fakeIssuer stands in for the playback service: it issues a URL naming
// the principal, counts what it issued, and can be told to fail.
type fakeIssuer struct {
	issued atomic.Int64
	mu     sync.Mutex
	fail   error
}

func (f *fakeIssuer) Issue(_ context.Context, sessionID, principalID string) (string, time.Time, error) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		return "", time.Time{}, fail
	}
	if !strings.HasPrefix(principalID, "link:") {
		return "", time.Time{}, errors.New("fake issuer: not a link principal: " + principalID)
	}
	f.issued.Add(1)
	return "/hls/" + sessionID + "/tok-" + principalID + "/master.m3u8", accesstest.Epoch.Add(2 * time.Hour), nil
}

func (f *fakeIssuer) failWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}
