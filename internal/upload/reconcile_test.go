package upload

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

type startRecorder struct {
	mu  sync.Mutex
	ids []string
}

func (p *startRecorder) Start(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = append(p.ids, id)
	return nil
}

// TestReconcile: what a crash leaves behind is finished, restarted or
// failed by the periodic reconciler.
func TestReconcile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testkit.OpenDB(t, sqlstore.SQLite)
	blobs, err := blob.NewLocalStore(t.TempDir())
	testkit.Must(t, err, "blobs")
	ids := identity.New(db, nil, identity.Options{Params: identity.TestParams})
	owner, err := ids.CreateUser(ctx, identity.NewUser{Email: "l@uni.example", Name: "L", Password: "a-long-enough-password"})
	testkit.Must(t, err, "user")
	cat := catalog.New(db, nil, catalog.WithAccess(access.New(db, nil, access.Options{})))
	pipe := &startRecorder{}
	later := time.Now().Add(8 * 24 * time.Hour) // the reconciler runs much later
	s, err := New(db, blobs, cat, pipe, Options{Now: func() time.Time { return later }})
	testkit.Must(t, err, "upload.New")

	session := func(title string) string {
		sess, err := cat.CreateSession(ctx, lectern.PrincipalOf(owner), catalog.NewSession{Title: title}, "")
		testkit.Must(t, err, "create %s", title)
		return sess.ID
	}
	store := &dataStore{blobs: blobs, partSize: DefaultPartSize, now: time.Now}
	newUpload := func(id string, size int64, data []byte) {
		u, err := store.NewUpload(ctx, handler.FileInfo{ID: id, Size: size})
		testkit.Must(t, err, "new upload")
		_, err = u.WriteChunk(ctx, 0, bytes.NewReader(data))
		testkit.Must(t, err, "write")
	}
	complete := session("all bytes, never queued")
	newUpload(complete, 5, []byte("hello"))
	abandoned := session("half sent, long ago")
	newUpload(abandoned, 10, []byte("hello"))
	nothing := session("upload never stored")
	queued := session("queued, job lost")
	_, err = cat.SetProcessing(ctx, queued, lectern.ProcessingQueued, "")
	testkit.Must(t, err, "queue")

	testkit.Must(t, s.Reconcile(ctx), "reconcile")

	state := func(id string) lectern.Session {
		sess, err := cat.SessionByID(ctx, id)
		testkit.Must(t, err, "session")
		return sess
	}
	if got := state(complete).Processing; got != lectern.ProcessingQueued {
		t.Errorf("complete upload: %s, want queued", got)
	}
	for _, id := range []string{abandoned, nothing} {
		if got := state(id); got.Processing != lectern.ProcessingFailed || got.ProcessingError != msgAbandoned {
			t.Errorf("%s: %s %q, want failed", got.Title, got.Processing, got.ProcessingError)
		}
	}
	if parts, _ := blobs.List(ctx, "uploads/"+abandoned+"/"); len(parts) != 0 {
		t.Errorf("abandoned upload left %d objects", len(parts))
	}
	slices.Sort(pipe.ids)
	want := []string{complete, queued}
	slices.Sort(want)
	if !slices.Equal(pipe.ids, want) {
		t.Errorf("pipeline started for %v, want %v", pipe.ids, want)
	}
}
