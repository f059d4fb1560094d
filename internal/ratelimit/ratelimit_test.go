package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/ratelimit"
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

func countEvents(t *testing.T, db *sqlstore.DB, bucket string) int {
	t.Helper()
	var n int
	testkit.Must(t, db.QueryRow(context.Background(), "SELECT count(*) FROM rate_events WHERE bucket = ?", bucket).Scan(&n), "count events")
	return n
}

func TestCheckBlocksAtLimitUntilOldestEventLeavesWindow(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clk := newClock()
		l := ratelimit.New(db, clk.Now)
		const limit, window = 3, 10 * time.Minute
		for i := 0; i < limit; i++ {
			wait, err := l.Check(ctx, "b", limit, window)
			testkit.Must(t, err, "check %d", i)
			if wait != 0 {
				t.Fatalf("check %d: want room, got wait %v", i, wait)
			}
			testkit.Must(t, l.Hit(ctx, "b"), "hit %d", i)
			clk.Advance(time.Minute)
		}
		// Events at 0, 1, 2 minutes; now 3 minutes: the first leaves at 10.
		wait, err := l.Check(ctx, "b", limit, window)
		testkit.Must(t, err, "check full")
		if wait != 7*time.Minute {
			t.Fatalf("wait = %v, want 7m", wait)
		}
		if wait, _ := l.Check(ctx, "other", limit, window); wait != 0 {
			t.Fatalf("another bucket is blocked: %v", wait)
		}
		clk.Advance(7*time.Minute - time.Millisecond)
		if wait, _ := l.Check(ctx, "b", limit, window); wait != time.Millisecond {
			t.Fatalf("just before the window passes: wait = %v, want 1ms", wait)
		}
		clk.Advance(time.Millisecond)
		if wait, _ := l.Check(ctx, "b", limit, window); wait != 0 {
			t.Fatalf("after the window passes: wait = %v, want 0", wait)
		}
	})
}

func TestTakeRecordsOnlyWhenThereIsRoom(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clk := newClock()
		l := ratelimit.New(db, clk.Now)
		for i := 0; i < 2; i++ {
			wait, err := l.Take(ctx, "b", 2, time.Minute)
			testkit.Must(t, err, "take %d", i)
			if wait != 0 {
				t.Fatalf("take %d: wait %v", i, wait)
			}
		}
		clk.Advance(10 * time.Second)
		wait, err := l.Take(ctx, "b", 2, time.Minute)
		testkit.Must(t, err, "take full")
		if wait != 50*time.Second {
			t.Fatalf("wait = %v, want 50s", wait)
		}
		if n := countEvents(t, db, "b"); n != 2 {
			t.Fatalf("a refused take was recorded: %d events", n)
		}
	})
}

func TestTakeNeverLetsMoreThanLimitThroughConcurrently(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := ratelimit.New(db, newClock().Now)
		const limit, callers = 5, 24
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for range callers {
			wg.Go(func() {
				wait, err := l.Take(ctx, "burst", limit, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if wait == 0 {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if allowed != limit {
			t.Fatalf("%d of %d concurrent takes allowed, want exactly %d", allowed, callers, limit)
		}
		if n := countEvents(t, db, "burst"); n != limit {
			t.Fatalf("%d events recorded, want %d", n, limit)
		}
	})
}

func TestResetEmptiesOnlyItsBucket(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := ratelimit.New(db, newClock().Now)
		for _, b := range []string{"a", "a", "b"} {
			testkit.Must(t, l.Hit(ctx, b), "hit %s", b)
		}
		testkit.Must(t, l.Reset(ctx, "a"), "reset")
		if n := countEvents(t, db, "a"); n != 0 {
			t.Fatalf("bucket a has %d events after reset", n)
		}
		if n := countEvents(t, db, "b"); n != 1 {
			t.Fatalf("bucket b has %d events, want 1", n)
		}
	})
}

func TestSweepDeletesOnlyOldEvents(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		clk := newClock()
		l := ratelimit.New(db, clk.Now)
		for _, b := range []string{"feat:x", "other:x", "feat;x"} {
			testkit.Must(t, l.Hit(ctx, b), "hit")
		}
		clk.Advance(2 * time.Hour)
		testkit.Must(t, l.Hit(ctx, "feat:x"), "hit recent")

		n, err := l.SweepPrefix(ctx, "feat:", time.Hour)
		testkit.Must(t, err, "sweep prefix")
		if n != 1 {
			t.Fatalf("prefix sweep deleted %d, want 1", n)
		}
		if got := countEvents(t, db, "feat:x"); got != 1 {
			t.Fatalf("feat:x has %d events, want the recent one", got)
		}
		n, err = l.Sweep(ctx, time.Hour)
		testkit.Must(t, err, "sweep")
		if n != 2 {
			t.Fatalf("sweep deleted %d, want 2", n)
		}
	})
}

func TestZeroLimitNeverBlocks(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := ratelimit.New(db, newClock().Now)
		for i := 0; i < 3; i++ {
			if wait, err := l.Take(ctx, "b", 0, time.Minute); err != nil || wait != 0 {
				t.Fatalf("take with zero limit: wait %v err %v", wait, err)
			}
		}
		if wait, err := l.Check(ctx, "b", 0, time.Minute); err != nil || wait != 0 {
			t.Fatalf("check with zero limit: wait %v err %v", wait, err)
		}
	})
}
