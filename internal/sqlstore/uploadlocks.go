package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Upload locks are leases: a row names its holder and when the lease
// ends. The holder renews it while it works; a holder that dies simply
// stops renewing and the lease runs out. Package upload builds tusd's
// Locker on these.

// TryUploadLock takes the lock on id for owner until until, if nobody
// holds it or the holder's lease ended before now. It reports whether the
// lock is now owner's.
func (db *DB) TryUploadLock(ctx context.Context, id, owner string, now, until time.Time) (bool, error) {
	res, err := db.Exec(ctx, `INSERT INTO upload_locks (id, owner, expires_at, unlock_requested) VALUES (?, ?, ?, FALSE)
		ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, unlock_requested = FALSE
		WHERE upload_locks.expires_at < ?`, id, owner, Millis(until), Millis(now))
	if err != nil {
		return false, fmt.Errorf("lock upload %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lock upload %s: %w", id, err)
	}
	return n == 1, nil
}

// RenewUploadLock extends owner's lease on id to until. held is false
// when owner no longer holds the lock (its lease ran out and another took
// it); unlockRequested tells the holder that another request is waiting.
func (db *DB) RenewUploadLock(ctx context.Context, id, owner string, until time.Time) (held, unlockRequested bool, err error) {
	err = db.QueryRow(ctx, `UPDATE upload_locks SET expires_at = ? WHERE id = ? AND owner = ? RETURNING unlock_requested`,
		Millis(until), id, owner).Scan(&unlockRequested)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("renew lock on upload %s: %w", id, err)
	}
	return true, unlockRequested, nil
}

// RequestUploadUnlock asks whoever holds the lock on id, other than
// waiter, to release it.
func (db *DB) RequestUploadUnlock(ctx context.Context, id, waiter string) error {
	if _, err := db.Exec(ctx, `UPDATE upload_locks SET unlock_requested = TRUE WHERE id = ? AND owner <> ? AND NOT unlock_requested`,
		id, waiter); err != nil {
		return fmt.Errorf("request unlock of upload %s: %w", id, err)
	}
	return nil
}

// ReleaseUploadLock gives up owner's lock on id; releasing a lock that is
// no longer owner's does nothing.
func (db *DB) ReleaseUploadLock(ctx context.Context, id, owner string) error {
	if _, err := db.Exec(ctx, `DELETE FROM upload_locks WHERE id = ? AND owner = ?`, id, owner); err != nil {
		return fmt.Errorf("unlock upload %s: %w", id, err)
	}
	return nil
}

// DeleteExpiredUploadLocks removes leases that ended before cutoff.
func (db *DB) DeleteExpiredUploadLocks(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.Exec(ctx, `DELETE FROM upload_locks WHERE expires_at < ?`, Millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete expired upload locks: %w", err)
	}
	return res.RowsAffected()
}
