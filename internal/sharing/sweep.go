package sharing

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/lectern-edu/lectern/internal/jobs"
)

// SweepEvery is how often sharing's sweeper runs.
const SweepEvery = 15 * time.Minute

// SweepArgs is the periodic job that runs Sweep.
type SweepArgs struct{}

// Kind names the job in river_job.
func (SweepArgs) Kind() string { return "sharing.sweep" }

// Register adds the sweeper's worker to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &sweepWorker{s: s})
}

// Periodic returns the sweeper's schedule, for jobs.Options.Periodic.
func (s *Service) Periodic() []jobs.Periodic {
	return []jobs.Periodic{{Every: SweepEvery, Args: SweepArgs{}}}
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	s *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error { return w.s.Sweep(ctx) }
