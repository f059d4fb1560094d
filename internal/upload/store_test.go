package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// A PATCH cut short reaches the store as a clean EOF (tusd's body reader
// hides the error): what arrived is kept and the client resumes after it.
func TestStoreKeepsWhatArrivedAndAssembles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	blobs, err := blob.NewLocalStore(t.TempDir())
	testkit.Must(t, err, "local store")
	s := &dataStore{blobs: blobs, partSize: 10, now: time.Now}
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz") // 36 bytes
	id := sqlstore.NewID()

	up, err := s.NewUpload(ctx, handler.FileInfo{ID: id, Size: int64(len(data)), MetaData: handler.MetaData{"filename": "a.mp4"}})
	testkit.Must(t, err, "new upload")
	// The first PATCH is cut short after 23 bytes.
	n, err := up.WriteChunk(ctx, 0, bytes.NewReader(data[:23]))
	if err != nil || n != 23 {
		t.Fatalf("WriteChunk = %d, %v; want 23", n, err)
	}
	if _, err := s.Assemble(ctx, id); lectern.ErrorCodeOf(err) != lectern.EConflict {
		t.Fatalf("Assemble of an incomplete upload = %v, want conflict", err)
	}
	again, err := s.GetUpload(ctx, id)
	testkit.Must(t, err, "get upload")
	info, err := again.GetInfo(ctx)
	testkit.Must(t, err, "get info")
	if info.Offset != 23 || info.Size != 36 || info.MetaData["filename"] != "a.mp4" {
		t.Fatalf("info = %+v, want offset 23 of 36", info)
	}
	n, err = again.WriteChunk(ctx, 23, bytes.NewReader(data[23:]))
	if err != nil || n != 13 {
		t.Fatalf("second WriteChunk = %d, %v", n, err)
	}
	parts, _ := blobs.List(ctx, partPrefix(id))
	if len(parts) != 5 { // 10, 10, 3, 10, 3
		t.Fatalf("%d parts, want 5 (at most partSize each)", len(parts))
	}

	for range 2 { // idempotent
		size, err := s.Assemble(ctx, id)
		if err != nil || size != 36 {
			t.Fatalf("Assemble = %d, %v", size, err)
		}
	}
	rc, err := blobs.Open(ctx, SourceKey(id), 0, -1)
	testkit.Must(t, err, "open source")
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("source = %q, want %q", got, data)
	}
	if parts, _ := blobs.List(ctx, partPrefix(id)); len(parts) != 0 {
		t.Fatalf("%d parts left after assembly", len(parts))
	}
	final, err := s.GetUpload(ctx, id)
	testkit.Must(t, err, "get assembled upload")
	if info, _ := final.GetInfo(ctx); info.Offset != 36 {
		t.Fatalf("offset after assembly = %d, want 36 (HEAD still says complete)", info.Offset)
	}

	if _, err := s.GetUpload(ctx, "no-such-upload"); !errors.Is(err, handler.ErrNotFound) {
		t.Fatalf("GetUpload(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetUpload(ctx, "../../etc"); !errors.Is(err, handler.ErrNotFound) {
		t.Fatalf("GetUpload(../../etc) = %v, want ErrNotFound", err)
	}
}

func TestEmptyUploadAssembles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	blobs, err := blob.NewLocalStore(t.TempDir())
	testkit.Must(t, err, "local store")
	s := &dataStore{blobs: blobs, partSize: DefaultPartSize, now: time.Now}
	id := sqlstore.NewID()
	_, err = s.NewUpload(ctx, handler.FileInfo{ID: id, Size: 0})
	testkit.Must(t, err, "new upload")
	if size, err := s.Assemble(ctx, id); err != nil || size != 0 {
		t.Fatalf("Assemble(empty) = %d, %v", size, err)
	}
	if info, err := blobs.Stat(ctx, SourceKey(id)); err != nil || info.Size != 0 {
		t.Fatalf("source = %+v, %v", info, err)
	}
}

func TestLocker(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		l := NewLocker(db, nil, nil)
		l.renew, l.poll = 20*time.Millisecond, 10*time.Millisecond
		id := sqlstore.NewID()

		first, _ := l.NewLock(id)
		var asked atomic.Int32
		testkit.Must(t, first.Lock(ctx, func() { asked.Add(1) }), "first lock")

		// A second request waits, and asks the holder to let go.
		second, _ := l.NewLock(id)
		short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		err := second.Lock(short, func() {})
		cancel()
		if !errors.Is(err, handler.ErrLockTimeout) {
			t.Fatalf("second Lock while held = %v, want ErrLockTimeout", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for asked.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if asked.Load() != 1 {
			t.Fatalf("holder was asked to unlock %d times, want 1", asked.Load())
		}

		// Once released, the waiter gets it.
		done := make(chan error, 1)
		go func() { done <- second.Lock(ctx, func() {}) }()
		time.Sleep(30 * time.Millisecond)
		testkit.Must(t, first.Unlock(), "unlock")
		select {
		case err := <-done:
			testkit.Must(t, err, "second lock after release")
		case <-time.After(5 * time.Second):
			t.Fatal("second lock not taken after release")
		}
		testkit.Must(t, second.Unlock(), "second unlock")

		// A holder that died (no renewals) loses the lock when its lease ends.
		past := time.Now().Add(-time.Minute)
		ok, err := db.TryUploadLock(ctx, id, "dead-node", past.Add(-time.Minute), past)
		if err != nil || !ok {
			t.Fatalf("stale lock: %v, %v", ok, err)
		}
		third, _ := l.NewLock(id)
		testkit.Must(t, third.Lock(ctx, func() {}), "lock after a lease ran out")
		testkit.Must(t, third.Unlock(), "third unlock")
	})
}
