// Package pipeline turns an uploaded recording into what Lectern plays
// (DESIGN §4), as a chain of idempotent River jobs that each carry the
// session id:
//
//	media.ingest     assemble the upload, probe and validate it; a file that
//	                 is not a usable recording fails its own session with a
//	                 plain message and the job ends successfully
//	media.transcode  one ffmpeg process for the HLS ladder, then poster,
//	                 thumbnails and the scrub sprite, into a local work
//	                 directory; upload everything under a fresh versioned
//	                 prefix, and only then point the session at it
//	media.cleanup    delete older rendition versions (and what an attempt
//	                 that was killed half-way left behind)
//
// A job that is cancelled or crashes is retried and starts its step again:
// each attempt writes under a new version, and the served version changes
// only after a complete upload, so a half-written rendition is never
// served. Progress (0..1, with a stage name) is stored, at most about once
// a second, for the API.
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Catalog is what the pipeline needs from the catalog service.
type Catalog interface {
	SessionByID(ctx context.Context, id string) (lectern.Session, error)
	SetProcessing(ctx context.Context, id string, to lectern.Processing, message string) (lectern.Session, error)
	SetDuration(ctx context.Context, id string, d time.Duration) error
}

// Sources assembles an upload into its source object (upload.Sources).
type Sources interface {
	Assemble(ctx context.Context, sessionID string) (key string, size int64, err error)
}

// Enqueuer inserts jobs (jobs.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// Options configures a Service; zero fields take defaults.
type Options struct {
	// Runner runs ffmpeg; default media.ExecRunner.
	Runner media.Runner
	// WorkDir holds each job's temporary files; default
	// $TMPDIR/lectern-work. Each job removes its own.
	WorkDir string
	// MaxTranscodes is how many ffmpeg processes this node runs at once;
	// default 1 (encoding uses every core).
	MaxTranscodes int
	// BusyWait is how long a transcode job waits for a free encoder on
	// this node before it gives its worker slot back and tries again
	// after as long again; default 15 s.
	BusyWait time.Duration
	// SegmentSeconds is the HLS segment length; default media's.
	SegmentSeconds int
	// ProgressEvery throttles progress writes; default one second.
	ProgressEvery time.Duration
	// MaxAttempts is how often a step is tried before its session fails;
	// default 5.
	MaxAttempts int
	Logger      *slog.Logger
	Now         func() time.Time
}

// Service runs the media pipeline. It is safe for concurrent use.
type Service struct {
	db       *sqlstore.DB
	blobs    blob.Store
	catalog  Catalog
	sources  Sources
	queue    Enqueuer
	runner   media.Runner
	workDir  string
	sem      chan struct{}
	busyWait time.Duration
	segment  int
	every    time.Duration
	attempts int
	log      *slog.Logger
	now      func() time.Time
}

// New builds the pipeline. queue may be filled in later (the composition
// root builds the queue after registering the workers) but must be set
// before jobs run.
func New(db *sqlstore.DB, blobs blob.Store, cat Catalog, sources Sources, queue Enqueuer, opts Options) *Service {
	if opts.Runner == nil {
		opts.Runner = media.ExecRunner{}
	}
	if opts.WorkDir == "" {
		opts.WorkDir = filepath.Join(os.TempDir(), "lectern-work")
	}
	if opts.MaxTranscodes <= 0 {
		opts.MaxTranscodes = 1
	}
	if opts.BusyWait <= 0 {
		opts.BusyWait = 15 * time.Second
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, blobs: blobs, catalog: cat, sources: sources, queue: queue, runner: opts.Runner,
		workDir: opts.WorkDir, sem: make(chan struct{}, opts.MaxTranscodes), busyWait: opts.BusyWait, segment: opts.SegmentSeconds,
		every: opts.ProgressEvery, attempts: opts.MaxAttempts, log: opts.Logger, now: opts.Now}
}

// Register adds the pipeline's workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &ingestWorker{s: s})
	river.AddWorker(workers, &transcodeWorker{s: s})
	river.AddWorker(workers, &cleanupWorker{s: s})
}

// Start begins processing a queued session. Starting a session whose
// ingest job is already waiting or running does nothing.
func (s *Service) Start(ctx context.Context, sessionID string) error {
	return s.enqueue(ctx, IngestArgs{SessionID: sessionID})
}

// uniqueStates are the job states in which a second job for the same
// session is not inserted. Completed jobs are left out, so that a session
// can be processed again later.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

func (s *Service) enqueue(ctx context.Context, args river.JobArgs) error {
	if s.queue == nil {
		return fmt.Errorf("pipeline: no job queue")
	}
	return s.queue.Enqueue(ctx, args, &river.InsertOpts{
		MaxAttempts: s.attempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	})
}

// Progress is how far a session's processing has come.
type Progress struct {
	State    lectern.Processing
	Fraction float64 // 0..1; 1 once ready
	Stage    string  // "", "probing", "transcoding", "stills", "publishing", "done"
	Message  string  // why it failed, for a failed session
}

// ProgressOf returns a session's processing progress, for Lectern's own
// callers (the API checks access first).
func (s *Service) ProgressOf(ctx context.Context, sessionID string) (Progress, error) {
	sess, err := s.catalog.SessionByID(ctx, sessionID)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{State: sess.Processing, Message: sess.ProcessingError}
	m, err := s.db.SessionMedia(ctx, sessionID)
	switch {
	case lectern.ErrorCodeOf(err) == lectern.ENotFound:
	case err != nil:
		return Progress{}, err
	default:
		p.Fraction, p.Stage = m.Progress, m.Stage
	}
	switch sess.Processing {
	case lectern.ProcessingReady:
		p.Fraction, p.Stage = 1, "done"
	case lectern.ProcessingUploading, lectern.ProcessingQueued:
		p.Fraction, p.Stage = 0, ""
	}
	return p, nil
}

// Manifest describes one rendition version: what the player and the
// playback service find under its prefix.
type Manifest struct {
	Version    int                 `json:"version"`
	Duration   float64             `json:"duration_seconds"`
	HasVideo   bool                `json:"has_video"`
	Renditions []ManifestRendition `json:"renditions"`
	Master     string              `json:"master"`           // media.MasterPlaylist
	Poster     string              `json:"poster,omitempty"` // file name under the prefix
	Thumbnails []string            `json:"thumbnails,omitempty"`
	SpriteVTT  string              `json:"sprite_vtt,omitempty"`
	Sprites    []string            `json:"sprites,omitempty"`
}

// ManifestRendition is one HLS variant.
type ManifestRendition struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
	Bitrate int    `json:"bitrate"`
}

// RenditionPrefix is where version v of a session's renditions is kept:
// sessions/{id}/hls/v{v}/.
func RenditionPrefix(sessionID string, v int) string {
	return renditionsRoot(sessionID) + "v" + strconv.Itoa(v) + "/"
}

func renditionsRoot(sessionID string) string { return "sessions/" + sessionID + "/hls/" }

// versionOf reads the version from a key under renditionsRoot; 0 if none.
func versionOf(root, key string) int {
	rest, ok := strings.CutPrefix(key, root+"v")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, '/'), 0)])
	if err != nil {
		return 0
	}
	return n
}

// CurrentManifest returns the manifest of the rendition a session serves;
// ENotFound when it has none yet.
func (s *Service) CurrentManifest(ctx context.Context, sessionID string) (Manifest, error) {
	m, err := s.db.SessionMedia(ctx, sessionID)
	if err != nil {
		return Manifest{}, err
	}
	return DecodeManifest(m)
}

// DecodeManifest reads the served manifest from a media row; ENotFound
// when no rendition is served yet.
func DecodeManifest(m sqlstore.SessionMedia) (Manifest, error) {
	if m.RenditionVersion == 0 || m.Manifest == "" {
		return Manifest{}, lectern.Errorf(lectern.ENotFound, "The recording has no playable version yet.")
	}
	var out Manifest
	if err := json.Unmarshal([]byte(m.Manifest), &out); err != nil {
		return Manifest{}, fmt.Errorf("manifest of session %s: %w", m.SessionID, err)
	}
	out.Version = m.RenditionVersion
	return out, nil
}
