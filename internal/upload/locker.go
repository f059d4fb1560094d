package upload

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Locker is a tusd Locker whose locks are leases in the database
// (table upload_locks), so that a HEAD on one node and a PATCH on another
// never interleave, whatever the blob store. tusd's memorylocker holds
// locks in one process and its filelocker on one file system; neither is
// enough for several serve nodes in front of S3.
//
// A holder renews its lease every Renew; a node that dies stops renewing
// and its locks lapse after TTL. A request that finds the upload locked
// asks the holder to let go (tusd then ends the holder's PATCH, keeping
// the bytes it stored) and polls until it gets the lock or its context
// ends (handler.ErrLockTimeout).
type Locker struct {
	db    *sqlstore.DB
	now   func() time.Time
	log   *slog.Logger
	ttl   time.Duration
	renew time.Duration
	poll  time.Duration
}

// Lease timings: a lost holder blocks an upload for at most LockTTL; a
// request to let go is noticed within LockRenew.
const (
	LockTTL   = 20 * time.Second
	LockRenew = time.Second
	LockPoll  = 100 * time.Millisecond
)

// NewLocker returns a Locker over db.
func NewLocker(db *sqlstore.DB, now func() time.Time, log *slog.Logger) *Locker {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Locker{db: db, now: now, log: log, ttl: LockTTL, renew: LockRenew, poll: LockPoll}
}

var _ handler.Locker = (*Locker)(nil)

// NewLock returns an unlocked lock on upload id.
func (l *Locker) NewLock(id string) (handler.Lock, error) {
	return &lease{l: l, id: id, owner: sqlstore.NewID()}, nil
}

// lease is one request's lock on one upload.
type lease struct {
	l     *Locker
	id    string
	owner string

	mu   sync.Mutex
	stop chan struct{}
	done chan struct{}
}

// Lock takes the lease, asking the current holder to let go if there is
// one, until ctx ends.
func (k *lease) Lock(ctx context.Context, requestUnlock func()) error {
	for {
		now := k.l.now()
		ok, err := k.l.db.TryUploadLock(ctx, k.id, k.owner, now, now.Add(k.l.ttl))
		if err != nil {
			if ctx.Err() != nil {
				return handler.ErrLockTimeout
			}
			return err
		}
		if ok {
			k.startRenewing(requestUnlock)
			return nil
		}
		if err := k.l.db.RequestUploadUnlock(ctx, k.id, k.owner); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return handler.ErrLockTimeout
		case <-time.After(k.l.poll):
		}
	}
}

// startRenewing keeps the lease alive until Unlock, and passes on a
// waiter's request to let go.
func (k *lease) startRenewing(requestUnlock func()) {
	k.mu.Lock()
	k.stop, k.done = make(chan struct{}), make(chan struct{})
	stop, done := k.stop, k.done
	k.mu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTicker(k.l.renew)
		defer t.Stop()
		asked := false
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), k.l.renew*5)
			held, wanted, err := k.l.db.RenewUploadLock(ctx, k.id, k.owner, k.l.now().Add(k.l.ttl))
			cancel()
			switch {
			case err != nil:
				k.l.log.Warn("could not renew an upload lock", "upload", k.id, "err", err)
			case !held:
				k.l.log.Warn("lost an upload lock: its lease ran out", "upload", k.id)
				requestUnlock()
				return
			case wanted && !asked:
				asked = true
				requestUnlock()
			}
		}
	}()
}

// Unlock stops renewing and releases the lease.
func (k *lease) Unlock() error {
	k.mu.Lock()
	stop, done := k.stop, k.done
	k.stop, k.done = nil, nil
	k.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return k.l.db.ReleaseUploadLock(ctx, k.id, k.owner)
}
