// Package ratelimit is a sliding-window rate limiter kept in the database,
// so that every node of a deployment sees the same counts (DESIGN §5).
//
// A bucket is a name chosen by the caller ("identity:login:account:ann@
// example.org"); an event is one counted attempt in it. A bucket is over
// its limit when it holds limit or more events younger than window. Give
// buckets a feature prefix so that each feature can sweep its own.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Limiter counts events in the rate_events table. It keeps no state of
// its own and is safe for concurrent use.
type Limiter struct {
	db  *sqlstore.DB
	now func() time.Time
}

// New returns a limiter over db; now is its clock (nil: time.Now).
func New(db *sqlstore.DB, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{db: db, now: now}
}

// Check reports how long the caller must wait before bucket has room
// for another event under limit events per window: zero means it has
// room now. It records nothing. A limit of zero or less, or a window of
// zero or less, never blocks. err is only for database failures; the
// caller turns a positive wait into its own ETooMany message.
func (l *Limiter) Check(ctx context.Context, bucket string, limit int, window time.Duration) (time.Duration, error) {
	if limit <= 0 || window <= 0 {
		return 0, nil
	}
	now := l.now()
	at, full, err := l.db.NthRecentRateEvent(ctx, bucket, now.Add(-window), limit)
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", bucket, err)
	}
	if !full {
		return 0, nil
	}
	return waitFor(at, window, now), nil
}

// Take is Check and Hit in one atomic step: if bucket has room it records
// an event and returns zero; otherwise it records nothing and returns the
// wait. Unlike Check followed by Hit, concurrent callers (on any node)
// can never get more than limit events through per window. A limit or
// window of zero or less never blocks, and still records the event.
func (l *Limiter) Take(ctx context.Context, bucket string, limit int, window time.Duration) (time.Duration, error) {
	now := l.now()
	if limit <= 0 || window <= 0 {
		return 0, l.Hit(ctx, bucket)
	}
	taken, at, err := l.db.TakeRateEvent(ctx, bucket, limit, now.Add(-window), now)
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", bucket, err)
	}
	if taken {
		return 0, nil
	}
	return waitFor(at, window, now), nil
}

// Hit records one event in bucket, now.
func (l *Limiter) Hit(ctx context.Context, bucket string) error {
	if err := l.db.InsertRateEvent(ctx, bucket, l.now()); err != nil {
		return fmt.Errorf("rate limit %s: %w", bucket, err)
	}
	return nil
}

// Reset forgets every event in bucket (after a successful sign-in, say).
func (l *Limiter) Reset(ctx context.Context, bucket string) error {
	if err := l.db.DeleteRateEvents(ctx, bucket); err != nil {
		return fmt.Errorf("rate limit %s: %w", bucket, err)
	}
	return nil
}

// Sweep deletes events older than olderThan in every bucket and returns
// how many it deleted; a periodic job calls it with the longest window
// any feature uses. Events older than a bucket's window no longer count,
// so sweeping only saves space.
func (l *Limiter) Sweep(ctx context.Context, olderThan time.Duration) (int64, error) {
	return l.db.DeleteRateEventsBefore(ctx, l.now().Add(-olderThan))
}

// SweepPrefix is Sweep limited to the buckets whose names start with
// prefix, for a feature that knows its own longest window.
func (l *Limiter) SweepPrefix(ctx context.Context, prefix string, olderThan time.Duration) (int64, error) {
	return l.db.DeleteRateEventsWithPrefixBefore(ctx, prefix, l.now().Add(-olderThan))
}

// waitFor is how long until the event at leaves a window ending now;
// never less than a millisecond, the resolution events are stored at.
func waitFor(at time.Time, window time.Duration, now time.Time) time.Duration {
	if d := at.Add(window).Sub(now); d >= time.Millisecond {
		return d
	}
	return time.Millisecond
}
