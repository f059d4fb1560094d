package identity_test

import (
	"context"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var resetLink = regexp.MustCompile(`https://lectern\.example\.edu/password/reset\?token=([A-Za-z0-9_-]{43})\n`)

// requestReset asks for a reset of email and returns the emailed token.
func requestReset(t *testing.T, f *fixture, email string) string {
	t.Helper()
	before := len(f.mail.Sent())
	testkit.Must(t, f.svc.RequestPasswordReset(context.Background(), email, "192.0.2.1"), "request reset")
	sent := f.mail.Sent()
	if len(sent) != before+1 {
		t.Fatalf("%d emails sent, want 1", len(sent)-before)
	}
	m := resetLink.FindStringSubmatch(sent[len(sent)-1].Text)
	if m == nil {
		t.Fatalf("no reset link in:\n%s", sent[len(sent)-1].Text)
	}
	return m[1]
}

func TestPasswordResetEmailMatchesGolden(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		token := requestReset(t, f, " Ann@Example.org")
		m := f.mail.Sent()[0]
		if m.To != u.Email {
			t.Fatalf("sent to %q", m.To)
		}
		got := "To: " + m.To + "\nSubject: " + m.Subject + "\n\n" + strings.ReplaceAll(m.Text, url.QueryEscape(token), "TOKEN")
		golden := filepath.Join("testdata", "reset_email.golden")
		if *update && db.Dialect == sqlstore.SQLite {
			testkit.Must(t, os.WriteFile(golden, []byte(got), 0o644), "update golden")
		}
		want, err := os.ReadFile(golden)
		testkit.Must(t, err, "read golden (run with -update to create it)")
		if got != string(want) {
			t.Fatalf("reset email differs from %s (run with -update):\n--- got\n%s\n--- want\n%s", golden, got, want)
		}
	})
}

func TestPasswordResetWorksOnceAndEndsSessions(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		session, _, err := f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "start session")
		older := requestReset(t, f, u.Email)
		token := requestReset(t, f, u.Email)

		wantMessageNames(t, f.svc.ResetPassword(ctx, token, "short"), "password")
		testkit.Must(t, f.svc.ResetPassword(ctx, token, "brand new password"), "reset") // the link survived the bad password

		const expired = "This reset link has expired or was already used. Ask for a new one."
		for name, tok := range map[string]string{"second use": token, "older link": older, "malformed": "nope", "unknown": strings.Repeat("A", 43)} {
			e := wantCode(t, f.svc.ResetPassword(ctx, tok, "another new password"), lectern.EInvalid)
			if e.Message != expired {
				t.Errorf("%s: message %q", name, e.Message)
			}
		}
		wantCode(t, err3(f.svc.SessionUser(ctx, session)), lectern.EUnauthorized)
		wantCode(t, err2(f.svc.Authenticate(ctx, u.Email, password, "")), lectern.EUnauthorized)
		testkit.Must(t, err2(f.svc.Authenticate(ctx, u.Email, "brand new password", "")), "sign in with new password")
	})
}

func TestPasswordResetLinkExpires(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		token := requestReset(t, f, u.Email)
		f.clock.Advance(time.Hour)
		wantCode(t, f.svc.ResetPassword(ctx, token, "brand new password"), lectern.EInvalid)
		testkit.Must(t, err2(f.svc.Authenticate(ctx, u.Email, password, "")), "old password still works")
	})
}

func TestPasswordResetRevealsNoAccounts(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		disabled := f.user(t, "gone@example.org")
		testkit.Must(t, f.svc.SetDisabled(ctx, disabled.ID, true), "disable")
		_, err := f.svc.CreateUser(ctx, identity.NewUser{Email: "sso@example.org", Kind: lectern.UserSSO})
		testkit.Must(t, err, "create sso user")
		for _, email := range []string{"nobody@example.org", "not an email", "", disabled.Email, "sso@example.org"} {
			if err := f.svc.RequestPasswordReset(ctx, email, "192.0.2.1"); err != nil {
				t.Errorf("%q: %v", email, err)
			}
		}
		if n := len(f.mail.Sent()); n != 0 {
			t.Fatalf("%d emails sent", n)
		}
	})
}

func TestPasswordResetRequestsAreLimited(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		// Per email, known or unknown alike: five an hour.
		for _, email := range []string{u.Email, "nobody@example.org"} {
			for i := range 5 {
				testkit.Must(t, f.svc.RequestPasswordReset(ctx, email, ""), "request %d for %s", i, email)
			}
			e := wantCode(t, f.svc.RequestPasswordReset(ctx, email, ""), lectern.ETooMany)
			if e.RetryAfter != 3600 || !strings.Contains(e.Message, "password reset") {
				t.Fatalf("%s: %#v", email, e)
			}
		}
		if n := len(f.mail.Sent()); n != 5 {
			t.Fatalf("%d emails sent, want 5", n)
		}
		// Per address: twenty an hour, across emails.
		for i := range 20 {
			testkit.Must(t, f.svc.RequestPasswordReset(ctx, strings.Repeat("x", i+1)+"@example.org", "198.51.100.9"), "request %d", i)
		}
		wantCode(t, f.svc.RequestPasswordReset(ctx, "fresh@example.org", "198.51.100.9"), lectern.ETooMany)
		f.clock.Advance(time.Hour)
		testkit.Must(t, f.svc.RequestPasswordReset(ctx, u.Email, "198.51.100.9"), "after the window")
	})
}

func TestPasswordResetWithoutMailerIsUnavailable(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		svc := identity.New(db, nil, identity.Options{Params: identity.TestParams})
		wantCode(t, svc.RequestPasswordReset(ctx, "nobody@example.org", ""), lectern.EUnavailable)
	})
}

func TestPasswordResetMailFailureIsReported(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		f.mail.err = errors.New("outbox full")
		err := f.svc.RequestPasswordReset(ctx, u.Email, "")
		if err == nil || lectern.ErrorCodeOf(err) != lectern.EInternal {
			t.Fatalf("want an internal error, got %v", err)
		}
	})
}
