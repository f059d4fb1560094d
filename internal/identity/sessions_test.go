package identity_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestSessionStartLookupEnd(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		token, sess, err := f.svc.StartSession(ctx, u.ID, "192.0.2.1", "Firefox")
		testkit.Must(t, err, "start")
		if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
			t.Fatalf("token %q is not 32 bytes of base64url", token)
		}
		if sess.ID == token || len(sess.ID) != 64 {
			t.Fatalf("session id %q must be the hex SHA-256 of the token", sess.ID)
		}
		if !sess.ExpiresAt.Equal(f.clock.Now().Add(14*24*time.Hour)) || sess.ClientAddr != "192.0.2.1" || sess.UserAgent != "Firefox" {
			t.Fatalf("session %+v", sess)
		}
		var stored int
		testkit.Must(t, db.QueryRow(ctx, "SELECT count(*) FROM login_sessions WHERE id = ?", token).Scan(&stored), "count")
		if stored != 0 {
			t.Fatal("the raw token is stored")
		}

		gotU, gotS, err := f.svc.SessionUser(ctx, token)
		testkit.Must(t, err, "lookup")
		if gotU.ID != u.ID || gotS != sess {
			t.Fatalf("lookup: %+v %+v", gotU, gotS)
		}
		testkit.Must(t, f.svc.EndSession(ctx, token), "end")
		testkit.Must(t, f.svc.EndSession(ctx, token), "end twice")
		testkit.Must(t, f.svc.EndSession(ctx, "garbage"), "end malformed")
		wantCode(t, err3(f.svc.SessionUser(ctx, token)), lectern.EUnauthorized)

		wantCode(t, err3(f.svc.StartSession(ctx, "no-such-user", "", "")), lectern.ENotFound)
	})
}

func TestSessionUserRejectsBadTokens(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		token, _, err := f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "start")
		for name, bad := range map[string]string{
			"empty":          "",
			"unknown":        base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
			"truncated":      token[:42],
			"padded":         token + "=",
			"std alphabet":   "+" + token[1:],
			"api token form": "lct_" + token,
		} {
			e := wantCode(t, err3(f.svc.SessionUser(ctx, bad)), lectern.EUnauthorized)
			if e.Message != "Your session has ended. Please sign in again." {
				t.Errorf("%s: message %q", name, e.Message)
			}
		}
	})
}

func TestSessionExpiresUnlessUsed(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		idle, _, err := f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "start idle")
		active, _, err := f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "start active")

		// Used every 10 days, the active session outlives the 14-day TTL.
		for range 3 {
			f.clock.Advance(10 * 24 * time.Hour)
			_, sess, err := f.svc.SessionUser(ctx, active)
			testkit.Must(t, err, "active session at %v", f.clock.Now())
			if want := f.clock.Now().Add(14 * 24 * time.Hour); !sess.ExpiresAt.Equal(want) || !sess.LastSeenAt.Equal(f.clock.Now()) {
				t.Fatalf("not slid: expires %v last seen %v, want %v", sess.ExpiresAt, sess.LastSeenAt, want)
			}
		}
		wantCode(t, err3(f.svc.SessionUser(ctx, idle)), lectern.EUnauthorized)
		f.clock.Advance(14 * 24 * time.Hour)
		wantCode(t, err3(f.svc.SessionUser(ctx, active)), lectern.EUnauthorized)
	})
}

func TestSessionSlidesAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		token, start, err := f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "start")
		f.clock.Advance(59 * time.Second)
		_, sess, err := f.svc.SessionUser(ctx, token)
		testkit.Must(t, err, "lookup at 59s")
		if sess != start {
			t.Fatalf("refreshed within a minute: %+v", sess)
		}
		f.clock.Advance(time.Second)
		_, sess, err = f.svc.SessionUser(ctx, token)
		testkit.Must(t, err, "lookup at 60s")
		if !sess.LastSeenAt.Equal(f.clock.Now()) {
			t.Fatalf("not refreshed after a minute: %+v", sess)
		}
	})
}

func TestSessionOfDisabledUserEnds(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		token, _, err := f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "start")
		testkit.Must(t, f.svc.SetDisabled(ctx, u.ID, true), "disable")
		wantCode(t, err3(f.svc.SessionUser(ctx, token)), lectern.EUnauthorized)
		wantCode(t, err3(f.svc.StartSession(ctx, u.ID, "", "")), lectern.EForbidden)
		testkit.Must(t, f.svc.SetDisabled(ctx, u.ID, false), "enable")
		wantCode(t, err3(f.svc.SessionUser(ctx, token)), lectern.EUnauthorized) // disabling ended it
	})
}

// err3 keeps the error of a three-value call.
func err3[A, B any](_ A, _ B, err error) error { return err }
