// Package jobs is Lectern's durable job queue: River on the same database
// as everything else (riversqlite on the embedded SQLite file, riverpgxv5 on
// PostgreSQL). It hides River's generic client behind one concrete type so
// that the rest of the program does not care which engine is underneath.
//
// A `serve` node with workers off builds an insert-only Queue; a `worker`
// node (or a single-process install) builds one that runs workers. Both
// share the river_* tables, so any node may insert and any worker node may
// run what was inserted.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// DefaultMaxWorkers is the number of jobs a worker node runs at once when
// Options.MaxWorkers is zero.
const DefaultMaxWorkers = 4

// stopCancelGrace bounds how long Stop waits for jobs to return after their
// contexts were cancelled, once the caller's stop context has ended.
const stopCancelGrace = 5 * time.Second

// Options configures a Queue.
type Options struct {
	// RunWorkers makes this node fetch and run jobs. When false the Queue
	// only inserts (a `serve` node with workers off); Start and Stop are
	// then no-ops and Periodic is ignored.
	RunWorkers bool
	// MaxWorkers is how many jobs run at once; default DefaultMaxWorkers.
	MaxWorkers int
	// Logger receives River's own log lines; nil means slog.Default().
	Logger *slog.Logger
	// Periodic lists jobs inserted on a fixed interval (sweepers). They are
	// scheduled only where RunWorkers is set, and only by the elected leader
	// among the worker nodes, so a cluster inserts each tick once.
	Periodic []Periodic
	// PollInterval is how often an idle worker looks for new jobs when no
	// insert notification arrives; zero means River's default (1s). Tests
	// lower it.
	PollInterval time.Duration
	// RetryPolicy decides when a failed job runs again; nil means River's
	// default exponential backoff (attempt^4 seconds). A worker may override
	// it for its own kind by implementing NextRetry.
	RetryPolicy river.ClientRetryPolicy
	// JobTimeout cancels a job's context after this long; zero means
	// River's default (one minute), -1 means never. Long-running workers
	// (transcoding) should implement Timeout on the worker instead.
	JobTimeout time.Duration
	// TestOnly starts River's maintenance services (the periodic-job
	// scheduler among them) at once instead of after a staggered random
	// sleep of up to a few seconds. For tests only.
	TestOnly bool
}

// Periodic is a job inserted every Every. RunOnStart also inserts one as
// soon as a leader is elected.
type Periodic struct {
	Every      time.Duration
	Args       river.JobArgs
	RunOnStart bool
}

// client is what Queue needs from River's generic client; both
// *river.Client[pgx.Tx] and *river.Client[*sql.Tx] satisfy it.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// Queue is a River client for one database, with the engine hidden.
type Queue struct {
	client     client
	exec       riverdriver.Executor
	runWorkers bool
}

// New builds a Queue on db. Workers must already be registered with
// river.AddWorker; workers may be nil for an insert-only Queue, in which
// case any kind may be inserted. River's tables must exist (see Migrate).
func New(db *sqlstore.DB, workers *river.Workers, opts Options) (*Queue, error) {
	if opts.RunWorkers && workers == nil {
		return nil, errors.New("jobs: a queue that runs workers needs a Workers bundle")
	}
	cfg := config(workers, opts)
	q := &Queue{runWorkers: opts.RunWorkers}
	switch db.Dialect {
	case sqlstore.Postgres:
		if db.Pool == nil {
			return nil, errors.New("jobs: PostgreSQL database has no pgx pool")
		}
		c, err := river.NewClient(riverpgxv5.New(db.Pool), cfg)
		if err != nil {
			return nil, fmt.Errorf("jobs: new client on %s: %w", db.Where, err)
		}
		q.client, q.exec = c, c.Driver().GetExecutor()
	case sqlstore.SQLite:
		if db.JobsDB == nil {
			return nil, errors.New("jobs: SQLite database has no single-connection jobs handle")
		}
		c, err := river.NewClient(riversqlite.New(db.JobsDB), cfg)
		if err != nil {
			return nil, fmt.Errorf("jobs: new client on %s: %w", db.Where, err)
		}
		q.client, q.exec = c, c.Driver().GetExecutor()
	default:
		return nil, fmt.Errorf("jobs: unsupported database engine %q", db.Dialect)
	}
	return q, nil
}

func config(workers *river.Workers, opts Options) *river.Config {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// River reports routine progress at info level every few seconds; keep
	// it for debug logging and otherwise pass on only warnings and errors.
	if !logger.Enabled(context.Background(), slog.LevelDebug) {
		logger = slog.New(minLevel{Handler: logger.Handler(), min: slog.LevelWarn})
	}
	cfg := &river.Config{
		Logger:      logger,
		RetryPolicy: opts.RetryPolicy,
		JobTimeout:  opts.JobTimeout,
		TestOnly:    opts.TestOnly,
	}
	if workers != nil {
		cfg.Workers = workers
	}
	if !opts.RunWorkers {
		return cfg
	}
	maxWorkers := opts.MaxWorkers
	if maxWorkers <= 0 {
		maxWorkers = DefaultMaxWorkers
	}
	cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
	if opts.PollInterval > 0 {
		cfg.FetchPollInterval = opts.PollInterval
		// River requires the cooldown not to exceed the poll interval.
		cfg.FetchCooldown = min(river.FetchCooldownDefault, opts.PollInterval)
	}
	for _, p := range opts.Periodic {
		args := p.Args
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(
			river.PeriodicInterval(p.Every),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{RunOnStart: p.RunOnStart},
		))
	}
	return cfg
}

// Start begins fetching and running jobs, and scheduling periodic ones. On
// an insert-only Queue it does nothing. Cancelling ctx stops the queue
// abruptly (running jobs see their contexts cancelled); use Stop for an
// orderly end.
func (q *Queue) Start(ctx context.Context) error {
	if !q.runWorkers {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching new jobs and waits for running ones to finish. If ctx
// ends first, the running jobs' contexts are cancelled, Stop waits briefly
// for them to return, and the context's error is returned. On an
// insert-only Queue it does nothing.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.runWorkers {
		return nil
	}
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	hardCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopCancelGrace)
	defer cancel()
	if herr := q.client.StopAndCancel(hardCtx); herr != nil {
		return fmt.Errorf("jobs: stop: running jobs did not finish in time and did not return after cancellation: %w", errors.Join(err, herr))
	}
	return fmt.Errorf("jobs: stop: running jobs were cancelled: %w", err)
}

// Enqueue inserts a job. A unique job (opts.UniqueOpts or the args' own
// InsertOpts) that matches one already queued is skipped without error.
func (q *Queue) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := q.Insert(ctx, args, opts)
	return err
}

// Insert is Enqueue returning the job row (the existing one when a unique
// job was skipped as a duplicate), for callers that track a job's state.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// CountByState returns how many jobs are in each River state (available,
// running, retryable, completed, discarded, cancelled, scheduled, pending);
// every state is present, zero when empty.
func (q *Queue) CountByState(ctx context.Context) (map[string]int64, error) {
	counts, err := q.exec.JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		return nil, fmt.Errorf("jobs: count by state: %w", err)
	}
	out := make(map[string]int64, len(rivertype.JobStates()))
	for _, s := range rivertype.JobStates() {
		out[string(s)] = int64(counts[s])
	}
	return out, nil
}

// Job returns one job, for showing its state, attempts and errors. A
// missing job is a lectern.ENotFound error.
func (q *Queue) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	job, err := q.client.JobGet(ctx, id)
	if err != nil {
		return nil, notFound(err, id)
	}
	return job, nil
}

// Retry makes a job that is retryable, discarded, cancelled or completed
// available to run again now (an admin's "retry now"). A running job is
// left alone. A missing job is a lectern.ENotFound error.
func (q *Queue) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	job, err := q.client.JobRetry(ctx, id)
	if err != nil {
		return nil, notFound(err, id)
	}
	return job, nil
}

func notFound(err error, id int64) error {
	if errors.Is(err, river.ErrNotFound) {
		return &lectern.Error{Code: lectern.ENotFound, Message: fmt.Sprintf("job %d not found", id), Err: err}
	}
	return fmt.Errorf("jobs: job %d: %w", id, err)
}

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
