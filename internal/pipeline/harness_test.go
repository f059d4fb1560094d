package pipeline_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/jobs"
	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/pipeline"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sitesettings"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/internal/upload"
	"github.com/lectern-edu/lectern/testkit"
)

// harness is a whole Lectern for media: a real database and blob store,
// the real services and job queue, and the real HTTP handler on a
// loopback server.
type harness struct {
	t       *testing.T
	srv     *httptest.Server
	db      *sqlstore.DB
	blobs   blob.Store
	ids     *identity.Service
	acc     *access.Service
	cat     *catalog.Service
	pipe    *pipeline.Service
	workers *river.Workers
	queue   *jobs.Queue
	key     []byte
	logs    *syncBuffer

	owner, stranger           lectern.User
	ownerToken, strangerToken string
	folder                    lectern.Folder
}

type harnessOptions struct {
	engine sqlstore.Dialect
	s3     bool
	runner media.Runner                // default: real ffmpeg
	wrap   func(blob.Store) blob.Store // wraps the blob store the pipeline writes with
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	testkit.RequireFFmpeg(t)
	ctx := context.Background()
	h := &harness{t: t, logs: &syncBuffer{}, key: []byte("test-playback-key-0123456789abcdef")}
	h.db = testkit.OpenDB(t, o.engine)
	testkit.Must(t, jobs.Migrate(ctx, h.db), "migrate jobs")
	var err error
	if o.s3 {
		h.blobs, err = blob.Open(ctx, testkit.StartS3(t), "")
	} else {
		h.blobs, err = blob.Open(ctx, "", t.TempDir())
	}
	testkit.Must(t, err, "blob store")
	pipeBlobs := h.blobs
	if o.wrap != nil {
		pipeBlobs = o.wrap(h.blobs)
	}

	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	outbox := notify.NewOutbox(h.db, nil, notify.SMTPConfig{}, nil, nil)
	h.ids = identity.New(h.db, outbox, identity.Options{Params: identity.TestParams})
	h.acc = access.New(h.db, outbox, access.Options{})
	h.cat = catalog.New(h.db, nil, catalog.WithAccess(h.acc), catalog.WithMailer(outbox))

	late := &lateQueue{}
	h.pipe = pipeline.New(h.db, pipeBlobs, h.cat, upload.NewSources(h.blobs), late, pipeline.Options{
		Runner: o.runner, WorkDir: t.TempDir(), Logger: log, ProgressEvery: 50 * time.Millisecond, SegmentSeconds: 2,
	})
	up, err := upload.New(h.db, h.blobs, h.cat, h.pipe, upload.Options{Logger: log, PartSize: 64 << 10})
	testkit.Must(t, err, "upload.New")
	pb, err := playback.New(ctx, h.db, h.blobs, h.acc, playback.Options{Key: h.key, Logger: log})
	testkit.Must(t, err, "playback.New")

	h.workers = river.NewWorkers()
	h.pipe.Register(h.workers)
	up.Register(h.workers)
	h.startQueue()
	late.q.Store(h.queue)

	handler, err := httpserver.New(httpserver.Deps{
		Logger: log, Identity: h.ids, Outbox: outbox, Settings: sitesettings.New(h.db, nil),
		Access: h.acc, Catalog: h.cat, Uploads: up, Playback: pb, Processing: h.pipe,
	})
	testkit.Must(t, err, "httpserver.New")
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)

	h.owner, h.ownerToken = h.account("lecturer@uni.example")
	h.stranger, h.strangerToken = h.account("stranger@uni.example")
	h.folder, err = h.cat.CreateFolder(ctx, catalog.NewFolder{Name: "Physics 101", OwnerID: h.owner.ID})
	testkit.Must(t, err, "create folder")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", h.logs.String())
		}
	})
	return h
}

func (h *harness) account(email string) (lectern.User, string) {
	h.t.Helper()
	ctx := context.Background()
	u, err := h.ids.CreateUser(ctx, identity.NewUser{Email: email, Name: email, Password: "a-long-test-password-" + email})
	testkit.Must(h.t, err, "create %s", email)
	secret, _, err := h.ids.CreateAPIToken(ctx, u.ID, "test")
	testkit.Must(h.t, err, "token for %s", email)
	return u, secret
}

// startQueue starts a fresh River client on the harness's workers, as a
// restarted worker process would.
func (h *harness) startQueue() {
	h.t.Helper()
	q, err := jobs.New(h.db, h.workers, jobs.Options{
		RunWorkers: true, PollInterval: 50 * time.Millisecond, TestOnly: true, RetryPolicy: quickRetry{},
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	testkit.Must(h.t, err, "jobs.New")
	testkit.Must(h.t, q.Start(context.Background()), "start queue")
	h.queue = q
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
}

// killQueue stops the queue at once, cancelling running jobs, as a
// worker process being killed would (but leaving River's rows tidy).
func (h *harness) killQueue() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = h.queue.Stop(ctx)
}

// quickRetry retries failed jobs almost at once.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(50 * time.Millisecond)
}

type lateQueue struct{ q atomic.Pointer[jobs.Queue] }

func (l *lateQueue) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	q := l.q.Load()
	if q == nil {
		return errors.New("no queue yet")
	}
	return q.Enqueue(ctx, args, opts)
}

// ---- tus client ----

type reply struct {
	status int
	header http.Header
	body   string
}

func (h *harness) do(req *http.Request) reply {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	testkit.Must(h.t, err, "%s %s", req.Method, req.URL.Path)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (h *harness) request(method, path, token string, body io.Reader, headers ...string) *http.Request {
	h.t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = h.srv.URL + path
	}
	req, err := http.NewRequest(method, url, body)
	testkit.Must(h.t, err, "new request")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func tusMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(meta[k])))
	}
	return strings.Join(parts, ",")
}

// create starts an upload; the reply's Location is the upload's URL.
func (h *harness) create(token string, size int64, meta map[string]string, headers ...string) reply {
	h.t.Helper()
	hs := append([]string{"Tus-Resumable", "1.0.0", "Upload-Length", strconv.FormatInt(size, 10),
		"Upload-Metadata", tusMetadata(meta)}, headers...)
	return h.do(h.request(http.MethodPost, "/api/v1/uploads/", token, nil, hs...))
}

func (h *harness) patch(token, location string, offset int64, body []byte, headers ...string) reply {
	h.t.Helper()
	hs := append([]string{"Tus-Resumable", "1.0.0", "Upload-Offset", strconv.FormatInt(offset, 10),
		"Content-Type", "application/offset+octet-stream"}, headers...)
	return h.do(h.request(http.MethodPatch, location, token, bytes.NewReader(body), hs...))
}

func (h *harness) head(token, location string) reply {
	h.t.Helper()
	return h.do(h.request(http.MethodHead, location, token, nil, "Tus-Resumable", "1.0.0"))
}

// upload sends a whole file in one PATCH and returns the session id.
func (h *harness) upload(path, title string) string {
	h.t.Helper()
	data, err := os.ReadFile(path)
	testkit.Must(h.t, err, "read %s", path)
	c := h.create(h.ownerToken, int64(len(data)), map[string]string{"filename": path, "title": title, "folder_id": h.folder.ID})
	if c.status != http.StatusCreated {
		h.t.Fatalf("create upload of %s: %d %s", title, c.status, c.body)
	}
	loc := c.header.Get("Location")
	if len(data) > 0 {
		if p := h.patch(h.ownerToken, loc, 0, data); p.status != http.StatusNoContent {
			h.t.Fatalf("PATCH %s: %d %s", title, p.status, p.body)
		}
	}
	return c.header.Get("Lectern-Session-Id")
}

// progressOf is GET /api/v1/sessions/{id}/progress as the owner.
func (h *harness) progressOf(id string) (state string, fraction float64, message string) {
	h.t.Helper()
	r := h.do(h.request(http.MethodGet, "/api/v1/sessions/"+id+"/progress", h.ownerToken, nil))
	if r.status != http.StatusOK {
		h.t.Fatalf("progress of %s: %d %s", id, r.status, r.body)
	}
	var p struct {
		State    string  `json:"state"`
		Progress float64 `json:"progress"`
		Message  string  `json:"message"`
	}
	testkit.Must(h.t, json.Unmarshal([]byte(r.body), &p), "progress body %s", r.body)
	if p.Progress < 0 || p.Progress > 1 {
		h.t.Fatalf("progress %v is outside 0..1", p.Progress)
	}
	return p.State, p.Progress, p.Message
}

// waitDone waits until the session is ready or failed, and returns which
// with the failure message.
func (h *harness) waitDone(id string, timeout time.Duration) (string, string) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		state, _, msg := h.progressOf(id)
		if state == "ready" || state == "failed" {
			return state, msg
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("session %s still %s after %s", id, state, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// playback is GET /api/v1/sessions/{id}/playback.
type playbackBody struct {
	HLSURL        string    `json:"hls_url"`
	ExpiresAt     time.Time `json:"expires_at"`
	Token         string    `json:"token"`
	PosterURL     string    `json:"poster_url"`
	ThumbnailURLs []string  `json:"thumbnail_urls"`
	SpriteVTTURL  string    `json:"sprite_vtt_url"`
}

func (h *harness) playback(token, id string) (reply, playbackBody) {
	h.t.Helper()
	r := h.do(h.request(http.MethodGet, "/api/v1/sessions/"+id+"/playback", token, nil))
	var b playbackBody
	if r.status == http.StatusOK {
		testkit.Must(h.t, json.Unmarshal([]byte(r.body), &b), "playback body %s", r.body)
	}
	return r, b
}

func (h *harness) get(path string, headers ...string) reply {
	h.t.Helper()
	return h.do(h.request(http.MethodGet, path, "", nil, headers...))
}

func (h *harness) keys(prefix string) []string {
	h.t.Helper()
	infos, err := h.blobs.List(context.Background(), prefix)
	testkit.Must(h.t, err, "list %s", prefix)
	var out []string
	for _, in := range infos {
		out = append(out, in.Key)
	}
	return out
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
