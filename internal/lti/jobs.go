package lti

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lectern-edu/lectern/internal/jobs"
)

// SyncArgs is the job that syncs one course's roster.
type SyncArgs struct {
	CourseID string `json:"course_id"`
}

// Kind names the job in river_job.
func (SyncArgs) Kind() string { return "lti.roster_sync" }

// InsertOpts makes a sync requested while one for the same course waits
// or runs a no-op; a finished sync does not block the next.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	s *Service
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	_, err := w.s.SyncRoster(ctx, job.Args.CourseID)
	return err
}

// Timeout allows large rosters several minutes.
func (w *syncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return 10 * time.Minute }

// SweepArgs is the periodic clean-up of expired login states, nonces,
// picker sessions and rotated-out keys. Correctness never depends on it.
type SweepArgs struct{}

// Kind names the job in river_job.
func (SweepArgs) Kind() string { return "lti.sweep" }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	s *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.s.Sweep(ctx)
	return err
}

// Sweep deletes expired LTI bookkeeping and reports how many rows went.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	now := s.clock()
	return s.db.SweepLTI(ctx, now, now.Add(-KeyGrace))
}

// Register adds the LTI workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &syncWorker{s: s})
	river.AddWorker(workers, &sweepWorker{s: s})
}

// Periodic returns the LTI sweeper's schedule.
func (s *Service) Periodic() []jobs.Periodic {
	return []jobs.Periodic{{Every: 15 * time.Minute, Args: SweepArgs{}, RunOnStart: true}}
}

// RunJob runs an LTI job's work directly, for tests and for an inline
// queue: it returns false for args it does not know.
func (s *Service) RunJob(ctx context.Context, args river.JobArgs) (bool, error) {
	switch a := args.(type) {
	case SyncArgs:
		_, err := s.SyncRoster(ctx, a.CourseID)
		return true, err
	case SweepArgs:
		_, err := s.Sweep(ctx)
		return true, err
	}
	return false, nil
}
