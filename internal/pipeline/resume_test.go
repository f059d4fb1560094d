package pipeline_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/internal/pipeline"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// stallingRunner lets the first HLS encode report progress once and then
// hangs until its job is cancelled, as a worker killed mid-transcode.
type stallingRunner struct {
	inner   media.Runner
	runs    atomic.Int32
	stalled chan struct{}
	once    sync.Once
}

func (r *stallingRunner) Run(ctx context.Context, argv []string, duration float64, progress func(float64)) error {
	if !slices.Contains(argv, "hls") || r.runs.Add(1) != 1 {
		return r.inner.Run(ctx, argv, duration, progress)
	}
	return r.inner.Run(ctx, argv, duration, func(f float64) {
		if progress != nil {
			progress(f)
		}
		r.once.Do(func() { close(r.stalled) })
		<-ctx.Done()
	})
}

// stallingStore, when armed, hangs the upload of a master playlist (the
// last file of a rendition) until the job is cancelled: a worker killed
// while publishing, leaving a partial prefix behind.
type stallingStore struct {
	blob.Store
	armed   atomic.Bool
	stalled chan struct{}
}

func (s *stallingStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if strings.HasSuffix(key, "/"+media.MasterPlaylist) && s.armed.CompareAndSwap(true, false) {
		close(s.stalled)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return s.Store.Put(ctx, key, r)
}

// TestKilledTranscodeResumes kills the worker twice, mid-encode and
// mid-publish, and restarts it: the recording still becomes ready, and
// nothing half-written is ever served.
func TestKilledTranscodeResumes(t *testing.T) {
	runner := &stallingRunner{inner: media.ExecRunner{}, stalled: make(chan struct{})}
	store := &stallingStore{stalled: make(chan struct{})}
	h := newHarness(t, harnessOptions{engine: sqlstore.SQLite, runner: runner, wrap: func(b blob.Store) blob.Store {
		store.Store = b
		return store
	}})
	ctx := context.Background()
	video := testkit.MakeVideo(t, t.TempDir(), testkit.MediaSpec{Seconds: 3, Width: 320, Height: 180, Audio: true})
	id := h.upload(video, "Killed twice")

	notPlayable := func(when string) {
		t.Helper()
		if state, _, _ := h.progressOf(id); state != "processing" {
			t.Fatalf("%s: state %s, want processing", when, state)
		}
		if r, _ := h.playback(h.ownerToken, id); r.status != http.StatusConflict {
			t.Fatalf("%s: playback %d %s, want 409 (nothing served yet)", when, r.status, r.body)
		}
	}

	// 1. Killed while ffmpeg runs.
	wait(t, runner.stalled, "the first encode to start")
	h.killQueue()
	notPlayable("after a kill mid-encode")

	// 2. Restarted, and killed again while publishing: the new attempt's
	// files are in the store, but not its master playlist, and the session
	// still serves nothing.
	store.armed.Store(true)
	h.startQueue()
	wait(t, store.stalled, "the second attempt to publish")
	h.killQueue()
	notPlayable("after a kill mid-publish")
	m, err := h.db.SessionMedia(ctx, id)
	testkit.Must(t, err, "session media")
	partial := pipeline.RenditionPrefix(id, m.NextVersion)
	left := h.keys(partial)
	if len(left) == 0 || slices.Contains(left, partial+media.MasterPlaylist) {
		t.Fatalf("the killed publish left %v, want files without a master playlist", left)
	}

	// 3. Restarted for good.
	h.startQueue()
	if state, msg := h.waitDone(id, 60*time.Second); state != "ready" {
		t.Fatalf("after restarts the session ended %s: %s", state, msg)
	}
	r, pb := h.playback(h.ownerToken, id)
	if r.status != http.StatusOK {
		t.Fatalf("playback: %d %s", r.status, r.body)
	}
	c, err := playback.NewSigner(h.key).Verify(pb.Token, time.Now())
	testkit.Must(t, err, "verify issued token")
	t.Logf("killed attempt version %d, served version %d, partial files %d", m.NextVersion, c.Version, len(left))
	if c.Version <= m.NextVersion {
		t.Fatalf("served version %d, want one newer than the killed attempts (%d)", c.Version, m.NextVersion)
	}
	if master := h.get(pb.HLSURL); master.status != http.StatusOK || !strings.Contains(master.body, "#EXTM3U") {
		t.Fatalf("master playlist: %d", master.status)
	}

	// The killed attempts' files are removed, and a token naming one of
	// their versions finds nothing.
	deadline := time.Now().Add(20 * time.Second)
	for len(h.keys(partial)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if k := h.keys(partial); len(k) > 0 {
		t.Fatalf("the partial rendition was not cleaned up: %v", k)
	}
	old := playback.NewSigner(h.key).Sign(playback.Claims{SessionID: id, PrincipalID: h.owner.ID, Version: m.NextVersion, Expires: time.Now().Add(time.Hour)})
	if r := h.get(playback.MediaPath(id, old) + "audio/index.m3u8"); r.status != http.StatusNotFound {
		t.Fatalf("a file of the killed attempt: %d, want 404", r.status)
	}
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
