package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/jobs"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// fastPoll keeps idle workers looking for jobs often, so tests wait for
// work in tens of milliseconds rather than seconds.
const fastPoll = 20 * time.Millisecond

// waitLimit bounds every wait in these tests.
const waitLimit = 20 * time.Second

// fixedRetry retries a failed job after a fixed, short delay.
type fixedRetry struct{ after time.Duration }

func (p fixedRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(p.after) }

// recorder notes which job ran when; each worker below shares one.
type recorder struct {
	mu   sync.Mutex
	runs map[string][]time.Time
}

func newRecorder() *recorder { return &recorder{runs: map[string][]time.Time{}} }

func (r *recorder) record(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[key] = append(r.runs[key], time.Now())
}

func (r *recorder) times(key string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.runs[key]...)
}

// echoArgs always succeeds.
type echoArgs struct{ Key string }

func (echoArgs) Kind() string { return "test_echo" }

type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	rec *recorder
}

func (w *echoWorker) Work(_ context.Context, job *river.Job[echoArgs]) error {
	w.rec.record(job.Args.Key)
	return nil
}

// flakyArgs fails its first Fail attempts, then succeeds.
type flakyArgs struct {
	Key  string
	Fail int
}

func (flakyArgs) Kind() string { return "test_flaky" }

type flakyWorker struct {
	river.WorkerDefaults[flakyArgs]
	rec *recorder
}

func (w *flakyWorker) Work(_ context.Context, job *river.Job[flakyArgs]) error {
	w.rec.record(job.Args.Key)
	if job.Attempt <= job.Args.Fail {
		return fmt.Errorf("planned failure %d of %d", job.Attempt, job.Args.Fail)
	}
	return nil
}

// slowRetryArgs fails once and asks to be retried an hour later, so that
// its retryable state stays visible.
type slowRetryArgs struct{ Key string }

func (slowRetryArgs) Kind() string { return "test_slow_retry" }

type slowRetryWorker struct {
	river.WorkerDefaults[slowRetryArgs]
	rec *recorder
}

func (w *slowRetryWorker) Work(_ context.Context, job *river.Job[slowRetryArgs]) error {
	w.rec.record(job.Args.Key)
	if job.Attempt == 1 {
		return errors.New("first attempt fails")
	}
	return nil
}

func (w *slowRetryWorker) NextRetry(*river.Job[slowRetryArgs]) time.Time {
	return time.Now().Add(time.Hour)
}

// tickArgs is a periodic job.
type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	rec *recorder
}

func (w *tickWorker) Work(context.Context, *river.Job[tickArgs]) error {
	w.rec.record("tick")
	return nil
}

func testWorkers(rec *recorder) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &echoWorker{rec: rec})
	river.AddWorker(w, &flakyWorker{rec: rec})
	river.AddWorker(w, &slowRetryWorker{rec: rec})
	river.AddWorker(w, &tickWorker{rec: rec})
	return w
}

func quietLogger() *slog.Logger {
	if os.Getenv("LECTERN_TEST_RIVER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// migrated returns a fresh database of each engine with River's tables.
func eachQueueDB(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		testkit.Must(t, jobs.Migrate(ctx, db), "migrate river")
		testkit.Must(t, jobs.Migrate(ctx, db), "migrate river a second time")
		fn(t, db)
	})
}

// startQueue builds a Queue, starts it, and stops it when the test ends.
func startQueue(t *testing.T, db *sqlstore.DB, workers *river.Workers, opts jobs.Options) *jobs.Queue {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = fastPoll
	}
	opts.TestOnly = true
	q, err := jobs.New(db, workers, opts)
	testkit.Must(t, err, "new queue")
	testkit.Must(t, q.Start(context.Background()), "start queue")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return q
}

func insert(t *testing.T, q *jobs.Queue, args river.JobArgs, opts *river.InsertOpts) int64 {
	t.Helper()
	res, err := q.Insert(context.Background(), args, opts)
	testkit.Must(t, err, "insert %s", args.Kind())
	return res.Job.ID
}

// waitState polls until job id is in state, and returns the row.
func waitState(t *testing.T, q *jobs.Queue, id int64, state rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last *rivertype.JobRow
	for time.Now().Before(deadline) {
		job, err := q.Job(context.Background(), id)
		testkit.Must(t, err, "get job %d", id)
		if job.State == state {
			return job
		}
		last = job
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %d (%s) is %s after %s; want %s (errors: %v)", id, last.Kind, last.State, waitLimit, state, last.Errors)
	return nil
}

func TestJobRunsToCompletion(t *testing.T) {
	t.Parallel()
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		rec := newRecorder()
		q := startQueue(t, db, testWorkers(rec), jobs.Options{RunWorkers: true})

		id := insert(t, q, echoArgs{Key: "hello"}, nil)
		job := waitState(t, q, id, rivertype.JobStateCompleted)
		if job.Attempt != 1 || len(job.Errors) != 0 {
			t.Errorf("completed job: attempt %d, errors %v; want attempt 1 and no errors", job.Attempt, job.Errors)
		}
		if n := len(rec.times("hello")); n != 1 {
			t.Errorf("worker ran %d times, want 1", n)
		}

		counts, err := q.CountByState(context.Background())
		testkit.Must(t, err, "count by state")
		for _, s := range []string{"available", "running", "retryable", "completed", "discarded", "cancelled", "scheduled", "pending"} {
			if _, ok := counts[s]; !ok {
				t.Errorf("CountByState has no %q entry: %v", s, counts)
			}
		}
		if counts["completed"] != 1 {
			t.Errorf("completed count = %d, want 1 (%v)", counts["completed"], counts)
		}
	})
}

func TestFailingJobIsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	const backoff = 150 * time.Millisecond
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		rec := newRecorder()
		q := startQueue(t, db, testWorkers(rec), jobs.Options{RunWorkers: true, RetryPolicy: fixedRetry{backoff}})

		id := insert(t, q, flakyArgs{Key: "flaky", Fail: 2}, nil)
		job := waitState(t, q, id, rivertype.JobStateCompleted)
		if job.Attempt != 3 {
			t.Errorf("attempt = %d, want 3", job.Attempt)
		}
		if len(job.Errors) != 2 || job.Errors[0].Error != "planned failure 1 of 2" {
			t.Errorf("recorded errors = %+v, want the two planned failures", job.Errors)
		}
		runs := rec.times("flaky")
		if len(runs) != 3 {
			t.Fatalf("worker ran %d times, want 3", len(runs))
		}
		for i := 1; i < len(runs); i++ {
			if gap := runs[i].Sub(runs[i-1]); gap < backoff-10*time.Millisecond {
				t.Errorf("attempt %d ran %s after the previous one, want at least the %s backoff", i+1, gap, backoff)
			}
		}
	})
}

func TestRetryableStateIsVisible(t *testing.T) {
	t.Parallel()
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		rec := newRecorder()
		q := startQueue(t, db, testWorkers(rec), jobs.Options{RunWorkers: true})

		id := insert(t, q, slowRetryArgs{Key: "slow"}, nil)
		job := waitState(t, q, id, rivertype.JobStateRetryable)
		if job.Attempt != 1 || len(job.Errors) != 1 || job.Errors[0].Error != "first attempt fails" {
			t.Errorf("retryable job: attempt %d, errors %+v; want attempt 1 with its error", job.Attempt, job.Errors)
		}
		if wait := time.Until(job.ScheduledAt); wait < 50*time.Minute {
			t.Errorf("next attempt scheduled in %s, want about an hour (the worker's NextRetry)", wait)
		}

		_, err := q.Retry(context.Background(), id)
		testkit.Must(t, err, "retry now")
		job = waitState(t, q, id, rivertype.JobStateCompleted)
		if job.Attempt != 2 {
			t.Errorf("attempt = %d, want 2", job.Attempt)
		}
	})
}

func TestAlwaysFailingJobIsDiscarded(t *testing.T) {
	t.Parallel()
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		rec := newRecorder()
		q := startQueue(t, db, testWorkers(rec), jobs.Options{RunWorkers: true, RetryPolicy: fixedRetry{10 * time.Millisecond}})

		id := insert(t, q, flakyArgs{Key: "doomed", Fail: 1000}, &river.InsertOpts{MaxAttempts: 3})
		job := waitState(t, q, id, rivertype.JobStateDiscarded)
		if job.Attempt != 3 || len(job.Errors) != 3 {
			t.Errorf("discarded job: attempt %d, %d errors; want 3 and 3", job.Attempt, len(job.Errors))
		}
		if n := len(rec.times("doomed")); n != 3 {
			t.Errorf("worker ran %d times, want 3", n)
		}
		counts, err := q.CountByState(context.Background())
		testkit.Must(t, err, "count by state")
		if counts["discarded"] != 1 {
			t.Errorf("discarded count = %d, want 1", counts["discarded"])
		}
	})
}

func TestPeriodicJobRuns(t *testing.T) {
	t.Parallel()
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		rec := newRecorder()
		startQueue(t, db, testWorkers(rec), jobs.Options{
			RunWorkers: true,
			Periodic:   []jobs.Periodic{{Every: 200 * time.Millisecond, Args: tickArgs{}, RunOnStart: true}},
		})
		deadline := time.Now().Add(waitLimit)
		for len(rec.times("tick")) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := len(rec.times("tick")); n < 2 {
			t.Fatalf("periodic job ran %d times in %s, want at least 2", n, waitLimit)
		}
	})
}

func TestInsertOnlyQueueFeedsWorkerQueue(t *testing.T) {
	t.Parallel()
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		// The `serve` node: inserts, runs nothing; Start and Stop are no-ops.
		serve, err := jobs.New(db, nil, jobs.Options{Logger: quietLogger()})
		testkit.Must(t, err, "new insert-only queue")
		testkit.Must(t, serve.Start(ctx), "start insert-only queue")
		defer serve.Stop(ctx)

		id := insert(t, serve, echoArgs{Key: "handed-over"}, nil)
		time.Sleep(100 * time.Millisecond)
		job, err := serve.Job(ctx, id)
		testkit.Must(t, err, "get job")
		if job.State != rivertype.JobStateAvailable {
			t.Fatalf("with no worker node the job is %s, want available", job.State)
		}

		// The `worker` node, on the same database.
		rec := newRecorder()
		worker := startQueue(t, db, testWorkers(rec), jobs.Options{RunWorkers: true})
		waitState(t, worker, id, rivertype.JobStateCompleted)
		if n := len(rec.times("handed-over")); n != 1 {
			t.Errorf("worker ran the job %d times, want 1", n)
		}
		// The serve node sees the same state.
		waitState(t, serve, id, rivertype.JobStateCompleted)
	})
}

func TestUniqueJobIsInsertedOnce(t *testing.T) {
	t.Parallel()
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		q, err := jobs.New(db, nil, jobs.Options{Logger: quietLogger()})
		testkit.Must(t, err, "new insert-only queue")
		opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		first, err := q.Insert(context.Background(), echoArgs{Key: "once"}, opts)
		testkit.Must(t, err, "first insert")
		second, err := q.Insert(context.Background(), echoArgs{Key: "once"}, opts)
		testkit.Must(t, err, "second insert")
		if !second.UniqueSkippedAsDuplicate || second.Job.ID != first.Job.ID {
			t.Errorf("second insert: skipped=%v id=%d; want skipped as a duplicate of %d", second.UniqueSkippedAsDuplicate, second.Job.ID, first.Job.ID)
		}
	})
}

func TestMissingJobIsNotFound(t *testing.T) {
	t.Parallel()
	eachQueueDB(t, func(t *testing.T, db *sqlstore.DB) {
		q, err := jobs.New(db, nil, jobs.Options{Logger: quietLogger()})
		testkit.Must(t, err, "new insert-only queue")
		_, err = q.Job(context.Background(), 424242)
		if code := lectern.ErrorCodeOf(err); code != lectern.ENotFound {
			t.Errorf("Job(missing) error = %v (code %s), want %s", err, code, lectern.ENotFound)
		}
	})
}

func TestRunWorkersNeedsWorkers(t *testing.T) {
	t.Parallel()
	db := testkit.OpenDB(t, sqlstore.SQLite)
	if _, err := jobs.New(db, nil, jobs.Options{RunWorkers: true}); err == nil {
		t.Error("New with RunWorkers and no workers succeeded, want an error")
	}
}
