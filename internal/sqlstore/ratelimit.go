package sqlstore

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// Rate events are one row per counted event in a named bucket (a failed
// sign-in for one email, a wrong link password from one network). Package
// ratelimit turns them into sliding-window limits.

// InsertRateEvent records one event in bucket at the given time.
func (db *DB) InsertRateEvent(ctx context.Context, bucket string, at time.Time) error {
	if _, err := db.Exec(ctx, "INSERT INTO rate_events (bucket, at) VALUES (?, ?)", bucket, at.UnixMilli()); err != nil {
		return fmt.Errorf("insert rate event: %w", err)
	}
	return nil
}

// NthRecentRateEvent returns the time of the n-th most recent event in
// bucket that happened after since (n counts from 1), and false when the
// bucket holds fewer than n such events. With n the limit of a sliding
// window starting at since, a true answer means the bucket is full until
// that event leaves the window.
func (db *DB) NthRecentRateEvent(ctx context.Context, bucket string, since time.Time, n int) (time.Time, bool, error) {
	return nthRecentRateEvent(ctx, db, bucket, since, n)
}

func nthRecentRateEvent(ctx context.Context, q Querier, bucket string, since time.Time, n int) (time.Time, bool, error) {
	if n < 1 {
		n = 1
	}
	rows, err := q.Query(ctx, "SELECT at FROM rate_events WHERE bucket = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
		bucket, since.UnixMilli(), n-1)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read rate events: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return time.Time{}, false, fmt.Errorf("read rate events: %w", err)
		}
		return time.Time{}, false, nil
	}
	var at int64
	if err := rows.Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("read rate events: %w", err)
	}
	return time.UnixMilli(at).UTC(), true, rows.Err()
}

// TakeRateEvent records an event at the given time unless bucket already
// holds limit events after since. Check and insert are atomic across
// connections and nodes (SQLite's write transaction; a transaction-scoped
// advisory lock per bucket on PostgreSQL), so a burst of concurrent calls
// never lets more than limit through. When the bucket is full it records
// nothing, returns false and the time of the event whose leaving the
// window frees a place.
func (db *DB) TakeRateEvent(ctx context.Context, bucket string, limit int, since, at time.Time) (bool, time.Time, error) {
	var taken bool
	var blocker time.Time
	err := db.InTx(ctx, func(tx *Tx) error {
		if db.Dialect == Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 7294))", "rate:"+bucket); err != nil {
				return fmt.Errorf("lock rate bucket: %w", err)
			}
		}
		t, full, err := nthRecentRateEvent(ctx, tx, bucket, since, limit)
		if err != nil {
			return err
		}
		if full {
			blocker = t
			return nil
		}
		if _, err := tx.Exec(ctx, "INSERT INTO rate_events (bucket, at) VALUES (?, ?)", bucket, at.UnixMilli()); err != nil {
			return fmt.Errorf("insert rate event: %w", err)
		}
		taken = true
		return nil
	})
	return taken, blocker, err
}

// DeleteRateEvents empties one bucket.
func (db *DB) DeleteRateEvents(ctx context.Context, bucket string) error {
	if _, err := db.Exec(ctx, "DELETE FROM rate_events WHERE bucket = ?", bucket); err != nil {
		return fmt.Errorf("delete rate events: %w", err)
	}
	return nil
}

// DeleteRateEventsBefore removes events older than before, in every
// bucket, and returns how many it removed.
func (db *DB) DeleteRateEventsBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.Exec(ctx, "DELETE FROM rate_events WHERE at < ?", before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete old rate events: %w", err)
	}
	return res.RowsAffected()
}

// DeleteRateEventsWithPrefixBefore removes events older than before in
// the buckets whose names start with prefix (a non-empty prefix), and
// returns how many it removed. Features with different windows sweep
// their own buckets this way.
func (db *DB) DeleteRateEventsWithPrefixBefore(ctx context.Context, prefix string, before time.Time) (int64, error) {
	if prefix == "" {
		return db.DeleteRateEventsBefore(ctx, before)
	}
	// substr rather than LIKE: no wildcards to escape, the same case
	// sensitivity on both engines, and no dependence on PostgreSQL's
	// collation; the at index narrows the scan first.
	res, err := db.Exec(ctx, "DELETE FROM rate_events WHERE at < ? AND substr(bucket, 1, ?) = ?",
		before.UnixMilli(), utf8.RuneCountInString(prefix), prefix)
	if err != nil {
		return 0, fmt.Errorf("delete old rate events: %w", err)
	}
	return res.RowsAffected()
}
