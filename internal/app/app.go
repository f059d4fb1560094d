// Package app is the composition root: it builds every service from one
// Config, starts them in order and stops them in reverse (HTTP first, then
// the workers, then the database).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/config"
	"github.com/lectern-edu/lectern/internal/demo"
	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/jobs"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/pipeline"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sitesettings"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/internal/upload"
)

// Core is every service, built but not started.
type Core struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *sqlstore.DB
	Blobs    blob.Store
	Queue    *jobs.Queue
	Identity *identity.Service
	Outbox   *notify.Outbox
	Access   *access.Service
	Catalog  *catalog.Service
	Settings *sitesettings.Service
	Pipeline *pipeline.Service
	Uploads  *upload.Service
	Playback *playback.Service
	LTI      *lti.Service
	Sharing  *sharing.Service
}

// Open connects to the database and blob store, applies migrations and
// builds the services. runWorkers decides whether Queue.Start will work
// jobs or only insert them.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, runWorkers bool) (*Core, error) {
	now := func() time.Time { return time.Now().UTC() }
	if cfg.DatabaseURL == "" || strings.HasPrefix(cfg.DatabaseURL, "sqlite:") {
		if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", cfg.Data, err)
		}
	}
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL, cfg.Data)
	if err != nil {
		return nil, err
	}
	c := &Core{Config: cfg, Log: log, DB: db}
	if err := db.WithMigrationLock(ctx, func() error {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		return jobs.Migrate(ctx, db)
	}); err != nil {
		db.Close()
		return nil, err
	}
	c.Blobs, err = blob.Open(ctx, cfg.BlobURL, cfg.Data)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("blob store %s: %w", blob.Redact(cfg.BlobURL), err)
	}

	enq := &lateQueue{}
	c.Outbox = notify.NewOutbox(db, enq, notify.SMTPConfig{
		Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password,
		TLS: cfg.SMTP.TLS, From: cfg.SMTP.From,
	}, now, log.With("component", "mail"))
	c.Identity = identity.New(db, c.Outbox, identity.Options{
		Params: identity.DefaultParams, BaseURL: cfg.EffectiveBaseURL(), Now: now,
	})
	c.Access = access.New(db, c.Outbox, access.Options{Now: now, BaseURL: cfg.EffectiveBaseURL()})
	c.Catalog = catalog.New(db, now, catalog.WithAccess(c.Access), catalog.WithMailer(c.Outbox),
		catalog.WithBaseURL(cfg.EffectiveBaseURL()))
	c.Settings = sitesettings.New(db, now)
	if err := c.openMedia(ctx, enq); err != nil {
		db.Close()
		return nil, err
	}
	if err := c.openLTI(ctx, enq); err != nil {
		db.Close()
		return nil, err
	}
	if err := c.openSharing(ctx); err != nil {
		db.Close()
		return nil, err
	}

	workers := river.NewWorkers()
	c.Outbox.Register(workers)
	river.AddWorker(workers, &sweepWorker{identity: c.Identity})
	c.Access.Register(workers)
	c.LTI.Register(workers)
	c.Pipeline.Register(workers)
	c.Uploads.Register(workers)
	c.Sharing.Register(workers)
	periodic := append(c.Outbox.Periodic(), jobs.Periodic{Every: 15 * time.Minute, Args: sweepArgs{}, RunOnStart: true})
	periodic = append(periodic, c.Access.Periodic()...)
	periodic = append(periodic, c.LTI.Periodic()...)
	periodic = append(periodic, c.Uploads.Periodic()...)
	periodic = append(periodic, c.Sharing.Periodic()...)
	c.Queue, err = jobs.New(db, workers, jobs.Options{RunWorkers: runWorkers, Logger: log.With("component", "jobs"), Periodic: periodic})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	enq.q = c.Queue
	return c, nil
}

// openMedia builds the media pipeline, the tus upload endpoint and
// playback. The pipeline's work files go under Data/work; hls_url is a
// path, so that it works whatever name the browser used for the site.
func (c *Core) openMedia(ctx context.Context, enq *lateQueue) error {
	cfg, log := c.Config, c.Log
	c.Pipeline = pipeline.New(c.DB, c.Blobs, c.Catalog, upload.NewSources(c.Blobs), enq, pipeline.Options{
		WorkDir: filepath.Join(cfg.Data, "work"), Logger: log.With("component", "pipeline"),
	})
	// A configured public URL makes upload Locations right behind a
	// reverse proxy; without one they follow the Host the browser used.
	tusBase := "/api/v1/uploads/"
	if cfg.BaseURL != "" {
		tusBase = strings.TrimRight(cfg.BaseURL, "/") + tusBase
	}
	var err error
	c.Uploads, err = upload.New(c.DB, c.Blobs, c.Catalog, c.Pipeline, upload.Options{
		BasePath: tusBase, Logger: log.With("component", "upload"),
	})
	if err != nil {
		return err
	}
	c.Playback, err = playback.New(ctx, c.DB, c.Blobs, c.Access, playback.Options{
		TokenTTL: cfg.PlaybackTokenTTL, Logger: log.With("component", "playback"),
	})
	return err
}

// Close releases the database.
func (c *Core) Close() error { return c.DB.Close() }

// lateQueue lets the outbox be built before the queue that needs its
// worker registered.
type lateQueue struct{ q *jobs.Queue }

func (l *lateQueue) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if l.q == nil {
		return errors.New("job queue not started")
	}
	return l.q.Enqueue(ctx, args, opts)
}

// sweepArgs is the periodic clean-up of expired login sessions, reset
// tokens and rate-limit events. Correctness never depends on it: expired
// rows are ignored by every query; this only keeps tables small.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "identity.sweep_expired" }

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	identity *identity.Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	return w.identity.SweepExpired(ctx)
}

// ServeOptions are the serve-only switches.
type ServeOptions struct {
	Demo   bool      // seed demo accounts and a course on an empty site
	Out    io.Writer // where the demo passwords are printed
	Listen net.Listener
}

// Serve runs the web server (and, with cfg.Workers, the background
// workers) until ctx is cancelled, then shuts down in order: stop taking
// requests and finish those in flight, stop the workers, close the database.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger, opts ServeOptions) error {
	started := time.Now()
	c, err := Open(ctx, cfg, log, cfg.Workers)
	if err != nil {
		return err
	}
	defer c.Close()

	if opts.Demo {
		out := opts.Out
		if out == nil {
			out = os.Stdout
		}
		if _, err := demo.Seed(ctx, demo.Services{
			Identity: c.Identity, Catalog: c.Catalog, Access: c.Access, Uploads: c.Uploads,
			Logger: log.With("component", "demo"), TempDir: filepath.Join(cfg.Data, "work"),
		}, out); err != nil {
			return err
		}
	} else if n, err := c.Identity.CountUsers(ctx); err == nil && n == 0 {
		log.Warn("this site has no accounts yet; create an admin with: lectern admin create-user --email you@example.ac.uk --password-file FILE --admin")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler, err := httpserver.New(httpserver.Deps{
		Logger:     log.With("component", "http"),
		Identity:   c.Identity,
		Outbox:     c.Outbox,
		Settings:   c.Settings,
		Access:     c.Access,
		Catalog:    c.Catalog,
		Uploads:    c.Uploads,
		Playback:   c.Playback,
		Processing: c.Pipeline,
		LTI:        c.LTI,
		Sharing:    c.Sharing,
		Ready: []httpserver.ReadyCheck{
			{Name: "database", Check: c.DB.Ping},
			{Name: "blob store", Check: c.Blobs.Ping},
		},
		JobCounts:     c.Queue.CountByState,
		Registry:      reg,
		BaseURL:       cfg.EffectiveBaseURL(),
		SecureCookies: strings.HasPrefix(cfg.EffectiveBaseURL(), "https://"),
		Now:           func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return fmt.Errorf("web server: %w", err)
	}

	ln := opts.Listen
	if ln == nil {
		ln, err = net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (is another program using that port? choose another with --listen)", cfg.Listen, err)
		}
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if err := c.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("lectern is serving", "url", cfg.EffectiveBaseURL(), "listen", ln.Addr().String(),
		"database", c.DB.Where, "blobs", blobLocation(cfg), "workers", cfg.Workers,
		"startup", time.Since(started).Round(time.Millisecond).String())

	select {
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(stopCtx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	if err := c.Queue.Stop(stopCtx); err != nil {
		errs = append(errs, fmt.Errorf("stop workers: %w", err))
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

// Work runs only the background workers against the shared database until
// ctx is cancelled: the `lectern worker` scale-out node.
func Work(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	c, err := Open(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	log.Info("lectern worker is running", "database", c.DB.Where)
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	log.Info("shutting down: finishing running jobs", "timeout", cfg.ShutdownTimeout.String())
	return c.Queue.Stop(stopCtx)
}

// NewLogger builds the process logger from the configuration.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func blobLocation(cfg config.Config) string {
	if cfg.BlobURL == "" {
		return "local directory " + filepath.Join(cfg.Data, "blobs")
	}
	return blob.Redact(cfg.BlobURL)
}
