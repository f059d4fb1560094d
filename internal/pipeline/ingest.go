package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/media"
)

// IngestArgs is the first step: assemble, probe, validate.
type IngestArgs struct {
	SessionID string `json:"session_id"`
}

// Kind names the job in river_job.
func (IngestArgs) Kind() string { return "media.ingest" }

type ingestWorker struct {
	river.WorkerDefaults[IngestArgs]
	s *Service
}

// Timeout allows for copying a large upload.
func (w *ingestWorker) Timeout(*river.Job[IngestArgs]) time.Duration { return time.Hour }

func (w *ingestWorker) Work(ctx context.Context, job *river.Job[IngestArgs]) error {
	err := w.s.ingest(ctx, job.Args.SessionID)
	return w.s.finishAttempt(ctx, job.Args.SessionID, job.JobRow, err)
}

// Messages for failed sessions that probing does not cover.
const (
	msgMissing     = "The uploaded file could not be found. Please upload it again."
	msgIncomplete  = "The upload is incomplete. Please upload the file again."
	msgUnprocessed = "We could not convert this recording. It may be damaged; please upload the original file again, or contact support if this keeps happening."
)

func (s *Service) ingest(ctx context.Context, id string) error {
	sess, err := s.catalog.SessionByID(ctx, id)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	switch sess.Processing {
	case lectern.ProcessingQueued, lectern.ProcessingRunning:
	case lectern.ProcessingUploading:
		return fmt.Errorf("ingest session %s: the upload has not finished", id)
	default:
		return nil // ready or failed: an earlier run got there
	}
	key, size, err := s.sources.Assemble(ctx, id)
	switch lectern.ErrorCodeOf(err) {
	case lectern.ENotFound:
		info, serr := s.blobs.Stat(ctx, sourceKey(id))
		if serr != nil {
			return s.fail(ctx, id, msgMissing, err)
		}
		key, size, err = info.Key, info.Size, nil
	case lectern.EConflict:
		return s.fail(ctx, id, msgIncomplete, err)
	}
	if err != nil {
		return err
	}
	if sess.Processing == lectern.ProcessingQueued {
		if _, err := s.catalog.SetProcessing(ctx, id, lectern.ProcessingRunning, ""); err != nil {
			return err
		}
	}
	if err := s.db.EnsureSessionMedia(ctx, id, "", s.now()); err != nil {
		return err
	}
	prog := s.newProgress(id)
	prog.set(ctx, stageProbing, 0)

	dir, err := s.jobDir(id, "ingest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, "source")
	if err := s.download(ctx, key, local); err != nil {
		return err
	}
	info, err := media.Probe(ctx, local)
	if err == nil {
		err = media.Validate(info)
	}
	if lectern.ErrorCodeOf(err) == lectern.EInvalid {
		return s.fail(ctx, id, lectern.ErrorMessage(err), err)
	}
	if err != nil {
		return err
	}
	probe, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := s.catalog.SetDuration(ctx, id, time.Duration(info.DurationSeconds*float64(time.Second))); err != nil {
		return err
	}
	if err := s.db.SetMediaProbe(ctx, id, size, string(probe), s.now()); err != nil {
		return err
	}
	prog.set(ctx, stageProbing, 1)
	return s.enqueue(ctx, TranscodeArgs{SessionID: id})
}

// sourceKey matches upload.SourceKey, for sources put there directly
// (imports).
func sourceKey(id string) string { return "sessions/" + id + "/source" }

// fail ends a session's processing with a message for its owner; the job
// itself succeeds, so that the worker goes on with the next one.
func (s *Service) fail(ctx context.Context, id, msg string, cause error) error {
	s.log.InfoContext(ctx, "recording failed processing", "session", id, "reason", msg, "err", cause)
	_, err := s.catalog.SetProcessing(ctx, id, lectern.ProcessingFailed, msg)
	if lectern.ErrorCodeOf(err) == lectern.EConflict {
		return nil // already failed, or moved on
	}
	return err
}

// finishAttempt decides how a step's attempt ends. A step cut off by its
// worker stopping (a restart or deploy) is put back at once without
// counting an attempt, so that restarts never fail a recording. A step
// that failed for the last time fails its session, so that it does not
// stay "processing" for ever.
func (s *Service) finishAttempt(ctx context.Context, id string, job *rivertype.JobRow, err error) error {
	var snooze *rivertype.JobSnoozeError
	switch {
	case err == nil || errors.As(err, &snooze):
		return err
	case errors.Is(ctx.Err(), context.Canceled):
		s.log.InfoContext(ctx, "processing step interrupted; it will start again", "session", id, "job", job.Kind)
		return river.JobSnooze(0)
	case ctx.Err() != nil || job.Attempt < job.MaxAttempts:
		return err
	}
	if ferr := s.fail(context.WithoutCancel(ctx), id, msgUnprocessed, err); ferr != nil {
		s.log.ErrorContext(ctx, "could not mark a recording failed", "session", id, "err", ferr)
	}
	return err
}

// jobDir makes a fresh work directory for one step of one session.
func (s *Service) jobDir(id, step string) (string, error) {
	if err := os.MkdirAll(s.workDir, 0o750); err != nil {
		return "", fmt.Errorf("pipeline work directory: %w", err)
	}
	dir, err := os.MkdirTemp(s.workDir, id+"-"+step+"-*")
	if err != nil {
		return "", fmt.Errorf("pipeline work directory: %w", err)
	}
	return dir, nil
}

// download copies a blob to a local file.
func (s *Service) download(ctx context.Context, key, path string) error {
	rc, err := s.blobs.Open(ctx, key, 0, -1)
	if err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		_ = f.Close()
		return fmt.Errorf("download %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	return nil
}
