package identity_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// clock is a settable fake clock, safe for concurrent readers.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// message is one email the fake mailer was asked to send.
type message struct{ To, Subject, Text string }

// mailer records messages instead of sending them: the Mailer interface
// is internal to the process, so a fake is fine here.
type mailer struct {
	mu   sync.Mutex
	sent []message
	err  error
}

func (m *mailer) Send(_ context.Context, to, subject, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.sent = append(m.sent, message{to, subject, text})
	return nil
}

func (m *mailer) Sent() []message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]message(nil), m.sent...)
}

// fixture is a service on a fresh database with a fake clock and mailer.
type fixture struct {
	svc   *identity.Service
	db    *sqlstore.DB
	clock *clock
	mail  *mailer
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: newClock(), mail: &mailer{}}
	f.svc = identity.New(db, f.mail, identity.Options{
		Params:  identity.TestParams,
		BaseURL: "https://lectern.example.edu/",
		Now:     f.clock.Now,
	})
	return f
}

const password = "correct horse battery"

// user creates a local account with the standard test password.
func (f *fixture) user(t *testing.T, email string) lectern.User {
	t.Helper()
	u, err := f.svc.CreateUser(context.Background(), identity.NewUser{Email: email, Name: "Test User", Password: password})
	testkit.Must(t, err, "create user %s", email)
	return u
}

// wantCode fails unless err carries code; it returns the *lectern.Error.
func wantCode(t *testing.T, err error, code lectern.ErrorCode) *lectern.Error {
	t.Helper()
	var e *lectern.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("want %s error, got %v", code, err)
	}
	return e
}

// wantMessageNames fails unless err is EInvalid with a message naming field.
func wantMessageNames(t *testing.T, err error, field string) {
	t.Helper()
	e := wantCode(t, err, lectern.EInvalid)
	if !strings.Contains(strings.ToLower(e.Message), field) {
		t.Fatalf("message %q does not name %q", e.Message, field)
	}
}
