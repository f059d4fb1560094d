package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestSweepExpiredRemovesOnlyExpiredRows(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		count := func(query string, args ...any) int {
			t.Helper()
			var n int
			testkit.Must(t, db.QueryRow(ctx, query, args...).Scan(&n), "count")
			return n
		}

		_, _, err := f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "old session")
		requestReset(t, f, u.Email)
		_, _ = f.svc.Authenticate(ctx, "nobody@example.org", "guess", "192.0.2.1")
		testkit.Must(t, db.InsertRateEvent(ctx, "sharing:link:x", f.clock.Now()), "foreign rate event")

		f.clock.Advance(14*24*time.Hour + time.Second)
		_, _, err = f.svc.StartSession(ctx, u.ID, "", "")
		testkit.Must(t, err, "fresh session")
		requestReset(t, f, u.Email)
		_, _ = f.svc.Authenticate(ctx, "nobody@example.org", "guess", "192.0.2.1")

		testkit.Must(t, f.svc.SweepExpired(ctx), "sweep")
		if n := count("SELECT count(*) FROM login_sessions"); n != 1 {
			t.Errorf("%d login sessions, want the fresh one", n)
		}
		if n := count("SELECT count(*) FROM password_resets"); n != 1 {
			t.Errorf("%d reset links, want the fresh one", n)
		}
		if n := count("SELECT count(*) FROM rate_events WHERE bucket <> ?", "sharing:link:x"); n != 4 {
			// The fresh reset request (address and email) and sign-in
			// failure (account and address).
			t.Errorf("%d identity rate events, want the 4 fresh ones", n)
		}
		if n := count("SELECT count(*) FROM rate_events WHERE bucket = ?", "sharing:link:x"); n != 1 {
			t.Errorf("another feature's rate event was swept")
		}
	})
}
