package identity_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestAuthenticateFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		got, err := f.svc.Authenticate(ctx, " ANN@example.org ", password, "192.0.2.1")
		testkit.Must(t, err, "right password")
		if got.ID != u.ID {
			t.Fatalf("signed in as %s, want %s", got.ID, u.ID)
		}

		disabled := f.user(t, "gone@example.org")
		testkit.Must(t, f.svc.SetDisabled(ctx, disabled.ID, true), "disable")
		noPassword, err := f.svc.CreateUser(ctx, identity.NewUser{Email: "sso@example.org", Kind: lectern.UserSSO})
		testkit.Must(t, err, "create sso user")

		cases := []struct{ name, email, password string }{
			{"wrong password", "ann@example.org", "wrong password!"},
			{"unknown email", "nobody@example.org", password},
			{"disabled account", disabled.Email, password},
			{"account without password", noPassword.Email, ""},
			{"empty email", "", password},
		}
		var first string
		for _, c := range cases {
			_, err := f.svc.Authenticate(ctx, c.email, c.password, "192.0.2.1")
			e := wantCode(t, err, lectern.EUnauthorized)
			if e.Message != "Incorrect email or password." || e.Err != nil {
				t.Errorf("%s: %#v", c.name, e)
			}
			if first == "" {
				first = err.Error()
			} else if err.Error() != first {
				t.Errorf("%s: error %q differs from %q", c.name, err.Error(), first)
			}
		}
	})
}

func TestAuthenticateLocksAccountAfterFiveFailures(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		for i := range 5 {
			// From different addresses, so only the account limit applies.
			_, err := f.svc.Authenticate(ctx, u.Email, "wrong password!", fmt.Sprintf("192.0.2.%d", i+1))
			wantCode(t, err, lectern.EUnauthorized)
		}
		f.clock.Advance(time.Minute)
		_, err := f.svc.Authenticate(ctx, u.Email, password, "198.51.100.7")
		e := wantCode(t, err, lectern.ETooMany)
		if e.RetryAfter != 14*60 {
			t.Fatalf("RetryAfter = %d, want %d", e.RetryAfter, 14*60)
		}
		if e.Message != "Too many failed sign-in attempts. Please wait 14 minutes and try again." {
			t.Fatalf("message %q", e.Message)
		}
		// Refused attempts do not extend the lock.
		f.clock.Advance(14*time.Minute - time.Second)
		e = wantCode(t, err2(f.svc.Authenticate(ctx, u.Email, password, "198.51.100.7")), lectern.ETooMany)
		if e.RetryAfter != 1 || !strings.Contains(e.Message, "wait 1 second ") {
			t.Fatalf("near the end: RetryAfter %d, message %q", e.RetryAfter, e.Message)
		}
		f.clock.Advance(time.Second)
		if _, err := f.svc.Authenticate(ctx, u.Email, password, "198.51.100.7"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestAuthenticateSuccessClearsAccountFailures(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		for round := range 3 {
			for range 4 {
				wantCode(t, err2(f.svc.Authenticate(ctx, u.Email, "wrong password!", "")), lectern.EUnauthorized)
			}
			if _, err := f.svc.Authenticate(ctx, u.Email, password, ""); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	})
}

func TestAuthenticateLimitsOneAddressAcrossAccounts(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		victim := f.user(t, "victim@example.org")
		// 20 failures spread over 10 accounts (2 each, well under the
		// account limit) from one IPv6 /64, using different addresses in it.
		for i := range 20 {
			email := fmt.Sprintf("user%d@example.org", i%10)
			addr := fmt.Sprintf("[2001:db8:1:2::%x]:%d", i+1, 40000+i)
			wantCode(t, err2(f.svc.Authenticate(ctx, email, "guess", addr)), lectern.EUnauthorized)
		}
		e := wantCode(t, err2(f.svc.Authenticate(ctx, victim.Email, password, "2001:db8:1:2:ffff::1")), lectern.ETooMany)
		if e.RetryAfter != 15*60 {
			t.Fatalf("RetryAfter = %d, want 900", e.RetryAfter)
		}
		// Another network is not affected.
		if _, err := f.svc.Authenticate(ctx, victim.Email, password, "2001:db8:1:3::1"); err != nil {
			t.Fatalf("other network: %v", err)
		}
		f.clock.Advance(15 * time.Minute)
		if _, err := f.svc.Authenticate(ctx, victim.Email, password, "2001:db8:1:2::1"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestAuthenticateUpgradesOldHashes(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		stronger := identity.Params{Time: 2, MemoryKiB: 2048, Threads: 1}
		svc := identity.New(db, f.mail, identity.Options{Params: stronger, Now: f.clock.Now})
		got, err := svc.Authenticate(ctx, u.Email, password, "")
		testkit.Must(t, err, "sign in")
		if !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$m=2048,t=2,p=1$") {
			t.Fatalf("returned hash not upgraded: %s", got.PasswordHash)
		}
		stored, _ := svc.UserByID(ctx, u.ID)
		if stored.PasswordHash != got.PasswordHash {
			t.Fatal("upgraded hash not stored")
		}
		if _, err := svc.Authenticate(ctx, u.Email, password, ""); err != nil {
			t.Fatalf("sign in with upgraded hash: %v", err)
		}
	})
}
