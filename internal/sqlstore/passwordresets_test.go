package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestPasswordResetIsUsedExactlyOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.UnixMilli(1_770_000_000_000).UTC()
		u := lectern.User{ID: sqlstore.NewID(), Email: "ann@example.org", Kind: lectern.UserLocal, PasswordHash: "old", CreatedAt: now}
		testkit.Must(t, db.InsertUser(ctx, u), "insert user")
		testkit.Must(t, db.InsertLoginSession(ctx, lectern.LoginSession{ID: "s1", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}), "insert session")
		testkit.Must(t, db.InsertPasswordReset(ctx, "h1", u.ID, now, now.Add(time.Hour)), "insert reset 1")
		testkit.Must(t, db.InsertPasswordReset(ctx, "h2", u.ID, now, now.Add(time.Hour)), "insert reset 2")

		const callers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []string
		for i := range callers {
			wg.Go(func() {
				hash := string(rune('a' + i))
				_, err := db.UsePasswordReset(ctx, "h1", hash, now.Add(time.Minute))
				if err != nil {
					if lectern.ErrorCodeOf(err) != lectern.ENotFound {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				won = append(won, hash)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("%d concurrent uses of one link succeeded, want 1", len(won))
		}
		got, err := db.UserByID(ctx, u.ID)
		testkit.Must(t, err, "read user")
		if got.PasswordHash != won[0] {
			t.Fatalf("hash %q, want the winner's %q", got.PasswordHash, won[0])
		}
		if _, _, err := db.LoginSessionWithUser(ctx, "s1"); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Fatalf("session survived the reset: %v", err)
		}
		if _, err := db.PasswordResetUser(ctx, "h2", now.Add(time.Minute)); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Fatalf("the other reset link survived: %v", err)
		}
	})
}

func TestPasswordResetExpiresAndIsSwept(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.UnixMilli(1_770_000_000_000).UTC()
		u := lectern.User{ID: sqlstore.NewID(), Email: "ann@example.org", Kind: lectern.UserLocal, CreatedAt: now}
		testkit.Must(t, db.InsertUser(ctx, u), "insert user")
		testkit.Must(t, db.InsertPasswordReset(ctx, "h", u.ID, now, now.Add(time.Hour)), "insert reset")
		if id, err := db.PasswordResetUser(ctx, "h", now.Add(time.Hour-time.Millisecond)); err != nil || id != u.ID {
			t.Fatalf("just before expiry: %q, %v", id, err)
		}
		if _, err := db.UsePasswordReset(ctx, "h", "new", now.Add(time.Hour)); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Fatalf("at expiry: %v", err)
		}
		n, err := db.DeleteExpiredPasswordResets(ctx, now.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
	})
}
