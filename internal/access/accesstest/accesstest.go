// Package accesstest holds fixtures for the tests and benchmarks of the
// access and catalog packages: a settable clock, a mailer that records
// what it is asked to send, direct-insert users, and the large generated
// world the benchmarks run on.
package accesstest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Epoch is where every test clock starts.
var Epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at Epoch.
func NewClock() *Clock { return &Clock{t: Epoch} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Mail is one message a Mailbox was asked to send.
type Mail struct {
	To, Subject, Text string
}

// Mailbox is a Mailer that keeps what it is given, for tests to read. It
// stands in for the outbox, which has its own tests against a real SMTP
// server.
type Mailbox struct {
	mu   sync.Mutex
	msgs []Mail
}

// Send records a message.
func (m *Mailbox) Send(_ context.Context, to, subject, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, Mail{To: to, Subject: subject, Text: text})
	return nil
}

// Messages returns what was sent so far.
func (m *Mailbox) Messages() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.msgs...)
}

// To returns what was sent to one address.
func (m *Mailbox) To(addr string) []Mail {
	var out []Mail
	for _, msg := range m.Messages() {
		if msg.To == addr {
			out = append(out, msg)
		}
	}
	return out
}

// User inserts an account named name (email name@example.edu) straight
// into the users table and returns it. It is a fixture: no password, no
// validation; package identity owns real accounts.
func User(t testing.TB, db *sqlstore.DB, name string, admin bool) lectern.User {
	t.Helper()
	u := lectern.User{ID: sqlstore.NewID(), Email: strings.ToLower(name) + "@example.edu", Name: name,
		Kind: lectern.UserLocal, IsAdmin: admin, CreatedAt: Epoch}
	if _, err := db.Exec(context.Background(), `INSERT INTO users (id, email, name, kind, is_admin, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Email, u.Name, string(u.Kind), u.IsAdmin, Epoch.UnixMilli(), Epoch.UnixMilli()); err != nil {
		t.Fatalf("insert user %s: %v", name, err)
	}
	return u
}

// Folder inserts a folder through the store (ancestry included).
func Folder(t testing.TB, db *sqlstore.DB, name, parentID, ownerID string, approval bool) lectern.Folder {
	t.Helper()
	f, err := db.CreateFolder(context.Background(), lectern.Folder{Name: name, ParentID: parentID, OwnerID: ownerID,
		RequiresApproval: approval}, Epoch)
	if err != nil {
		t.Fatalf("create folder %s: %v", name, err)
	}
	return f
}

// Session inserts a ready session with the given publication and
// lifecycle, created at Epoch plus offset (so tests control list order).
func Session(t testing.TB, db *sqlstore.DB, title, folderID, ownerID string, pub lectern.Publication, lc lectern.Lifecycle, offset time.Duration) lectern.Session {
	t.Helper()
	var s lectern.Session
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		s, err = tx.InsertSession(context.Background(), lectern.Session{FolderID: folderID, OwnerID: ownerID, Title: title,
			Processing: lectern.ProcessingReady, Publication: pub, Lifecycle: lc}, Epoch.Add(offset))
		return err
	})
	if err != nil {
		t.Fatalf("insert session %s: %v", title, err)
	}
	return s
}

// Grant stores a grant straight through the store: unlike the service, it
// accepts expiry times in the past.
func Grant(t testing.TB, db *sqlstore.DB, pt lectern.PrincipalType, principalID string, r lectern.Resource, role lectern.Role, expiresAt time.Time) lectern.Grant {
	t.Helper()
	var g lectern.Grant
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		g, _, err = tx.UpsertGrant(context.Background(), lectern.Grant{PrincipalType: pt, PrincipalID: principalID,
			Resource: r, Role: role, ExpiresAt: expiresAt, Source: lectern.SourceManual}, Epoch)
		return err
	})
	if err != nil {
		t.Fatalf("grant %s on %s: %v", role, r.ID, err)
	}
	return g
}

// Group inserts a manual group.
func Group(t testing.TB, db *sqlstore.DB, name string) lectern.Group {
	t.Helper()
	var g lectern.Group
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		g, err = tx.InsertGroup(context.Background(), lectern.Group{Kind: lectern.GroupManual, Name: name}, Epoch)
		return err
	})
	if err != nil {
		t.Fatalf("group %s: %v", name, err)
	}
	return g
}

// Member stores a membership, expiry in the past allowed.
func Member(t testing.TB, db *sqlstore.DB, groupID, userID string, expiresAt time.Time) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		_, err := tx.UpsertMember(context.Background(), groupID, userID, expiresAt, "", Epoch)
		return err
	})
	if err != nil {
		t.Fatalf("member %s of %s: %v", userID, groupID, err)
	}
}
