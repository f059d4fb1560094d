package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/media"
)

// TranscodeArgs is the second step: HLS ladder, stills, publish.
type TranscodeArgs struct {
	SessionID string `json:"session_id"`
}

// Kind names the job in river_job.
func (TranscodeArgs) Kind() string { return "media.transcode" }

type transcodeWorker struct {
	river.WorkerDefaults[TranscodeArgs]
	s *Service
}

// Timeout allows for the longest recording Lectern accepts (24 h) at
// about realtime on a small server.
func (w *transcodeWorker) Timeout(*river.Job[TranscodeArgs]) time.Duration { return 30 * time.Hour }

func (w *transcodeWorker) Work(ctx context.Context, job *river.Job[TranscodeArgs]) error {
	err := w.s.transcode(ctx, job.Args.SessionID)
	return w.s.finishAttempt(ctx, job.Args.SessionID, job.JobRow, err)
}

func (s *Service) transcode(ctx context.Context, id string) error {
	sess, err := s.catalog.SessionByID(ctx, id)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if sess.Processing != lectern.ProcessingRunning {
		return nil // failed, ready, or queued again (its ingest comes first)
	}
	row, err := s.db.SessionMedia(ctx, id)
	if err != nil {
		return err
	}
	if row.Probe == "" {
		return fmt.Errorf("transcode session %s: not probed yet", id)
	}
	var info media.Info
	if err := json.Unmarshal([]byte(row.Probe), &info); err != nil {
		return fmt.Errorf("transcode session %s: probe: %w", id, err)
	}

	// At most MaxTranscodes encodes at a time on this node. A job that
	// finds them all busy waits a while, then steps out of the queue's
	// worker slot (snoozed, not counted as an attempt), so that mail and
	// other jobs are not held up behind a backlog of encodes.
	wait := time.NewTimer(s.busyWait)
	defer wait.Stop()
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-wait.C:
		return river.JobSnooze(s.busyWait)
	case <-ctx.Done():
		return ctx.Err()
	}

	// A fresh version for this attempt: nothing else ever writes there.
	version, err := s.db.NextRenditionVersion(ctx, id, s.now())
	if err != nil {
		return err
	}
	dir, err := s.jobDir(id, fmt.Sprintf("v%d", version))
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "source")
	if err := s.download(ctx, sourceKey(id), src); err != nil {
		return err
	}
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}

	prog := s.newProgress(id)
	prog.set(ctx, stageTranscoding, 0)
	ladder := media.Ladder(info)
	// The scrub sprite is another output of the ladder's one decode.
	var sprite *media.Sprite
	if sp := media.PlanSprite(info); info.Video != nil && sp.Frames > 0 {
		sprite = &sp
	}
	argv := media.TranscodeArgs(media.Transcode{Input: src, Info: info, Ladder: ladder, OutDir: out, SegmentSeconds: s.segment, Sprite: sprite})
	if err := s.runner.Run(ctx, argv, info.DurationSeconds, func(f float64) { prog.set(ctx, stageTranscoding, f) }); err != nil {
		return fmt.Errorf("transcode session %s: %w", id, err)
	}
	manifest, err := s.stills(ctx, src, info, out, sprite, prog)
	if err != nil {
		return fmt.Errorf("transcode session %s: %w", id, err)
	}
	manifest.Version, manifest.Duration, manifest.HasVideo = version, info.DurationSeconds, info.Video != nil
	manifest.Master = media.MasterPlaylist
	for _, r := range ladder {
		manifest.Renditions = append(manifest.Renditions, ManifestRendition{Name: r.Name, Kind: string(r.Kind),
			Width: r.Width, Height: r.Height, Bitrate: r.Bitrate})
	}

	prog.set(ctx, stagePublishing, 0)
	if err := s.uploadDir(ctx, out, RenditionPrefix(id, version), func(f float64) { prog.set(ctx, stagePublishing, f) }); err != nil {
		return fmt.Errorf("transcode session %s: %w", id, err)
	}
	doc, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	// Only now, with every file in place, does the session serve it.
	published, err := s.db.PublishRendition(ctx, id, version, string(doc), s.now())
	if err != nil {
		return err
	}
	if !published {
		s.log.InfoContext(ctx, "a newer rendition is already served; this one will be removed", "session", id, "version", version)
	}
	if _, err := s.catalog.SetProcessing(ctx, id, lectern.ProcessingReady, ""); err != nil && lectern.ErrorCodeOf(err) != lectern.EConflict {
		return err
	}
	return s.enqueue(ctx, CleanupArgs{SessionID: id})
}

// stills writes the poster and thumbnails into out (the transcode already
// wrote the sprite's sheets there) and returns a manifest naming them.
func (s *Service) stills(ctx context.Context, src string, info media.Info, out string, sprite *media.Sprite, prog *progress) (Manifest, error) {
	var m Manifest
	prog.set(ctx, stageStills, 0)
	if err := s.runner.Run(ctx, media.PosterArgs(src, info, filepath.Join(out, media.PosterFile)), 0, nil); err != nil {
		return m, fmt.Errorf("poster: %w", err)
	}
	m.Poster = media.PosterFile
	if info.Video == nil {
		prog.set(ctx, stageStills, 1)
		return m, nil
	}
	argv, stills := media.ThumbnailArgs(src, info, out)
	if err := s.runner.Run(ctx, argv, 0, nil); err != nil {
		return m, fmt.Errorf("thumbnails: %w", err)
	}
	for _, st := range stills {
		m.Thumbnails = append(m.Thumbnails, filepath.Base(st.Path))
	}
	prog.set(ctx, stageStills, 0.4)
	if sp := sprite; sp != nil {
		if err := os.WriteFile(filepath.Join(out, SpriteVTT), []byte(sp.VTT()), 0o640); err != nil {
			return m, fmt.Errorf("sprite: %w", err)
		}
		m.SpriteVTT = SpriteVTT
		for n := 1; n <= sp.Sheets(); n++ {
			m.Sprites = append(m.Sprites, sp.SheetName(n))
		}
	}
	prog.set(ctx, stageStills, 1)
	return m, nil
}

// SpriteVTT is the scrub sprite's WebVTT track, next to its sheets.
const SpriteVTT = "sprite.vtt"

// uploadDir puts every file under dir into the blob store under prefix,
// keeping relative paths; the master playlist goes last.
func (s *Service) uploadDir(ctx context.Context, dir, prefix string, progress func(float64)) error {
	type file struct {
		rel  string
		size int64
	}
	var files []file
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files = append(files, file{rel: filepath.ToSlash(rel), size: fi.Size()})
		total += fi.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("list outputs: %w", err)
	}
	if len(files) == 0 {
		return errors.New("ffmpeg wrote nothing")
	}
	sort.Slice(files, func(i, j int) bool {
		mi, mj := files[i].rel == media.MasterPlaylist, files[j].rel == media.MasterPlaylist
		if mi != mj {
			return mj
		}
		return files[i].rel < files[j].rel
	})
	var done int64
	for _, f := range files {
		if err := s.putFile(ctx, filepath.Join(dir, filepath.FromSlash(f.rel)), prefix+f.rel); err != nil {
			return err
		}
		done += f.size
		if total > 0 {
			progress(float64(done) / float64(total))
		}
	}
	return nil
}

func (s *Service) putFile(ctx context.Context, path, key string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := s.blobs.Put(ctx, key, f); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// CleanupArgs deletes rendition versions older than the served one.
type CleanupArgs struct {
	SessionID string `json:"session_id"`
}

// Kind names the job in river_job.
func (CleanupArgs) Kind() string { return "media.cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	s *Service
}

func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[CleanupArgs]) error {
	return w.s.Cleanup(ctx, job.Args.SessionID)
}

// Cleanup deletes every rendition version of a session older than the one
// it serves: earlier renditions, and what killed attempts left half
// written. Newer versions are left alone: an attempt may be writing them.
func (s *Service) Cleanup(ctx context.Context, id string) error {
	row, err := s.db.SessionMedia(ctx, id)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	root := renditionsRoot(id)
	infos, err := s.blobs.List(ctx, root)
	if err != nil {
		return err
	}
	for _, in := range infos {
		if v := versionOf(root, in.Key); v > 0 && v < row.RenditionVersion && strings.HasPrefix(in.Key, root) {
			if err := s.blobs.Delete(ctx, in.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
