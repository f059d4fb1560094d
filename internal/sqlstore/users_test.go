package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestUsersRoundTripAndEmailRules(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.UnixMilli(1_770_000_000_000).UTC()
		u := lectern.User{ID: sqlstore.NewID(), Email: "ann@example.org", Name: "Ann", Kind: lectern.UserGuest,
			IsAdmin: true, Disabled: true, PasswordHash: "h", CreatedAt: now}
		testkit.Must(t, db.InsertUser(ctx, u), "insert")
		got, err := db.UserByEmail(ctx, "ann@example.org")
		testkit.Must(t, err, "by email")
		if got != u {
			t.Fatalf("got %+v, want %+v", got, u)
		}
		dup := lectern.User{ID: sqlstore.NewID(), Email: "ann@example.org", Kind: lectern.UserLocal, CreatedAt: now}
		if err := db.InsertUser(ctx, dup); lectern.ErrorCodeOf(err) != lectern.EConflict {
			t.Fatalf("duplicate email: %v", err)
		}
		for range 2 { // accounts without email do not clash
			testkit.Must(t, db.InsertUser(ctx, lectern.User{ID: sqlstore.NewID(), Kind: lectern.UserLTI, CreatedAt: now}), "insert without email")
		}
		if _, err := db.UserByEmail(ctx, ""); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Fatalf("empty email: %v", err)
		}
		if _, err := db.UserByID(ctx, "missing"); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Fatalf("missing id: %v", err)
		}
	})
}

func TestReplacePasswordHashLosesToAConcurrentChange(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		now := time.UnixMilli(1_770_000_000_000).UTC()
		u := lectern.User{ID: sqlstore.NewID(), Email: "ann@example.org", Kind: lectern.UserLocal, PasswordHash: "old", CreatedAt: now}
		testkit.Must(t, db.InsertUser(ctx, u), "insert")
		testkit.Must(t, db.SetUserPassword(ctx, u.ID, "changed", now), "change password")
		done, err := db.ReplacePasswordHash(ctx, u.ID, "old", "rehashed", now)
		if err != nil || done {
			t.Fatalf("re-hash over a changed password: %v, %v", done, err)
		}
		got, _ := db.UserByID(ctx, u.ID)
		if got.PasswordHash != "changed" {
			t.Fatalf("hash %q", got.PasswordHash)
		}
	})
}
