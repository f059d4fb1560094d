package upload

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/jobs"
)

// Reconciliation catches what a crash or a lost request can leave behind:
// an upload whose last byte arrived but whose session was never queued
// (the node died between the two), a queued session whose job was never
// inserted, an upload abandoned half-way, and expired lock rows.
const (
	ReconcileEvery = 5 * time.Minute
	// finishAfter is how long a session may stay uploading with all its
	// bytes, or queued, before the reconciler finishes or restarts it.
	finishAfter = 2 * time.Minute
	// AbandonAfter is how long an upload may go without a byte before its
	// session fails and its parts are deleted.
	AbandonAfter   = 7 * 24 * time.Hour
	reconcileBatch = 200
)

// msgAbandoned is the failed session's message for an abandoned upload.
const msgAbandoned = "The upload was not finished. Please upload the file again."

// Reconcile runs one pass; see the constants above.
func (s *Service) Reconcile(ctx context.Context) error {
	now := s.now()
	var errs []error
	// Queued first, so that what this pass queues is not started twice.
	queued, err := s.db.SessionsInProcessing(ctx, lectern.ProcessingQueued, now.Add(-finishAfter), reconcileBatch)
	if err != nil {
		return err
	}
	for _, sess := range queued {
		if err := s.pipeline.Start(ctx, sess.ID); err != nil {
			errs = append(errs, err)
		}
	}
	uploading, err := s.db.SessionsInProcessing(ctx, lectern.ProcessingUploading, now.Add(-finishAfter), reconcileBatch)
	if err != nil {
		return err
	}
	for _, sess := range uploading {
		if err := s.reconcileUpload(ctx, sess, now); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := s.db.DeleteExpiredUploadLocks(ctx, time.Now().Add(-time.Hour)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Service) reconcileUpload(ctx context.Context, sess lectern.Session, now time.Time) error {
	rec, err := s.store.readRecord(ctx, sess.ID)
	if errors.Is(err, handler.ErrNotFound) {
		// The session was made but storing the upload failed.
		if sess.CreatedAt.Before(now.Add(-time.Hour)) {
			return s.fail(ctx, sess.ID, msgAbandoned)
		}
		return nil
	}
	if err != nil {
		return err
	}
	ps, end, err := s.store.parts(ctx, sess.ID)
	if err != nil {
		return err
	}
	if rec.Assembled || end == rec.Size {
		return s.Finish(ctx, sess.ID)
	}
	last := rec.CreatedAt
	for _, p := range ps {
		if p.modTime.After(last) {
			last = p.modTime
		}
	}
	if last.After(now.Add(-AbandonAfter)) {
		return nil
	}
	if err := s.fail(ctx, sess.ID, msgAbandoned); err != nil {
		return err
	}
	return (&upload{s: s.store, rec: rec}).Terminate(ctx)
}

func (s *Service) fail(ctx context.Context, id, msg string) error {
	_, err := s.catalog.SetProcessing(ctx, id, lectern.ProcessingFailed, msg)
	if lectern.ErrorCodeOf(err) == lectern.EConflict {
		return nil
	}
	return err
}

// ReconcileArgs is the periodic job that runs Reconcile.
type ReconcileArgs struct{}

// Kind names the job in river_job.
func (ReconcileArgs) Kind() string { return "upload.reconcile" }

type reconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	s *Service
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcileArgs]) error {
	return w.s.Reconcile(ctx)
}

// Register adds the reconciler's worker to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &reconcileWorker{s: s})
}

// Periodic is the reconciler's schedule.
func (s *Service) Periodic() []jobs.Periodic {
	return []jobs.Periodic{{Every: ReconcileEvery, Args: ReconcileArgs{}}}
}
