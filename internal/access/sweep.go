package access

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/lectern-edu/lectern/internal/jobs"
)

// sweepBatch bounds each delete, so that a sweep never holds SQLite's
// write lock for long.
const sweepBatch = 2000

// SweepEvery is how often the sweeper runs.
const SweepEvery = 10 * time.Minute

// SweepReport says what one sweep removed.
type SweepReport struct {
	Grants      int64
	Memberships int64
}

// Sweep deletes grants and group memberships that have expired. It is
// bookkeeping only: every decision and list already ignores them, so
// access is correct whether or not (or however late) it runs.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var r SweepReport
	for {
		g, m, err := s.db.SweepExpired(ctx, s.Now(), sweepBatch)
		r.Grants += g
		r.Memberships += m
		if err != nil {
			return r, err
		}
		if g < sweepBatch && m < sweepBatch {
			return r, nil
		}
		if err := ctx.Err(); err != nil {
			return r, err
		}
	}
}

// SweepExpired is Sweep for a periodic job.
func (s *Service) SweepExpired(ctx context.Context) error {
	_, err := s.Sweep(ctx)
	return err
}

// SweepArgs is the periodic job that runs SweepExpired.
type SweepArgs struct{}

// Kind names the job in river_job.
func (SweepArgs) Kind() string { return "access.sweep_expired" }

// Register adds the sweeper's worker to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &sweepWorker{s: s})
}

// Periodic returns the sweeper's schedule, for jobs.Options.Periodic.
func (s *Service) Periodic() []jobs.Periodic {
	return []jobs.Periodic{{Every: SweepEvery, Args: SweepArgs{}, RunOnStart: true}}
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	s *Service
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	return w.s.SweepExpired(ctx)
}
