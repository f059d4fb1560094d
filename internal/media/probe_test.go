package media_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/testkit"
)

func TestProbeVideo(t *testing.T) {
	t.Parallel()
	path := testkit.MakeVideo(t, t.TempDir(), testkit.MediaSpec{Seconds: 3, Width: 320, Height: 240, Audio: true})
	info, err := media.Probe(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := media.Validate(info); err != nil {
		t.Errorf("Validate = %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.SizeBytes != fi.Size() {
		t.Errorf("SizeBytes = %d, want %d", info.SizeBytes, fi.Size())
	}
	if math.Abs(info.DurationSeconds-3) > 0.1 {
		t.Errorf("DurationSeconds = %v, want about 3", info.DurationSeconds)
	}
	if !strings.Contains(info.Container, "mp4") {
		t.Errorf("Container = %q", info.Container)
	}
	v := info.Video
	if v == nil || v.Codec != "h264" || v.Width != 320 || v.Height != 240 || v.FPS != 25 || v.Rotation != 0 {
		t.Errorf("Video = %+v, want h264 320x240 at 25 fps", v)
	}
	a := info.Audio
	if a == nil || a.Codec != "aac" || a.Channels != 2 || a.SampleRate != 48000 {
		t.Errorf("Audio = %+v, want aac stereo 48 kHz", a)
	}
}

func TestProbeAudioOnly(t *testing.T) {
	t.Parallel()
	path := testkit.MakeAudio(t, t.TempDir(), 2)
	info, err := media.Probe(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := media.Validate(info); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if info.Video != nil {
		t.Errorf("Video = %+v, want none", info.Video)
	}
	if a := info.Audio; a == nil || a.Codec != "aac" || a.Channels != 1 {
		t.Errorf("Audio = %+v, want aac mono", a)
	}
	if math.Abs(info.DurationSeconds-2) > 0.1 {
		t.Errorf("DurationSeconds = %v, want about 2", info.DurationSeconds)
	}
	if got := ladderString(media.Ladder(info)); got != "audio 1ch 64k" {
		t.Errorf("Ladder = %s", got)
	}
}

// A phone video stored landscape with a rotation flag: Probe reports the
// rotation, and the poster ffmpeg makes from DisplaySize comes out
// portrait, so Lectern and ffmpeg's autorotate agree.
func TestProbeRotatedVideo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := testkit.MakeVideo(t, dir, testkit.MediaSpec{Seconds: 1, Width: 320, Height: 176, Rotation: 90})
	info, err := media.Probe(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Video == nil || info.Video.Rotation != 90 {
		t.Fatalf("Video = %+v, want Rotation 90", info.Video)
	}
	if w, h := info.Video.DisplaySize(); w != 176 || h != 320 {
		t.Errorf("DisplaySize = %dx%d, want 176x320", w, h)
	}
	poster := filepath.Join(dir, media.PosterFile)
	if err := media.Run(t.Context(), media.PosterArgs(path, info, poster), 0, nil); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, poster, 176, 320)
}

func TestProbeFailures(t *testing.T) {
	t.Parallel()
	t.Run("missing file is not a user error", func(t *testing.T) {
		t.Parallel()
		_, err := media.Probe(t.Context(), filepath.Join(t.TempDir(), "nope.mp4"))
		if !os.IsNotExist(errorsUnwrapAll(err)) {
			t.Errorf("err = %v, want a not-exist error", err)
		}
	})
	t.Run("a name that looks like an option is still a file", func(t *testing.T) {
		t.Parallel()
		testkit.RequireFFmpeg(t)
		dir := t.TempDir()
		src := testkit.MakeAudio(t, dir, 1)
		odd := filepath.Join(dir, "-i concat:x.m4a")
		if err := os.Rename(src, odd); err != nil {
			t.Fatal(err)
		}
		if _, err := media.Probe(t.Context(), odd); err != nil {
			t.Errorf("Probe = %v", err)
		}
	})
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// assertPicture checks an image's size with ffprobe.
func assertPicture(t *testing.T, path string, w, h int) {
	t.Helper()
	info, err := media.Probe(t.Context(), path)
	if err != nil {
		t.Fatalf("probe %s: %v", path, err)
	}
	if info.Video == nil || info.Video.Width != w || info.Video.Height != h {
		t.Errorf("%s is %+v, want %dx%d", filepath.Base(path), info.Video, w, h)
	}
}
