package testkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// MediaSpec describes a generated test video: a moving test pattern with
// a slide-like caption ("Slide 1", "Slide 2", ... changing every two
// seconds) when ffmpeg can draw text, and a sine tone.
type MediaSpec struct {
	Seconds       float64
	Width, Height int
	FPS           int  // 0 means 25
	Audio         bool // a stereo 440 Hz tone
	// Rotation, when not zero, is stored as display-rotation metadata
	// (degrees clockwise, a multiple of 90), as phones do.
	Rotation int
	// FastStart puts the MP4 index before the media, as web exports do.
	FastStart bool
}

// RequireFFmpeg skips the test when ffmpeg or ffprobe is not installed,
// except under CI=true, where it fails.
func RequireFFmpeg(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is not installed; install it with: apt-get install -y ffmpeg"
			if InCI() {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// MakeVideo writes an H.264 MP4 matching spec into dir and returns its
// path. Keep clips short and small: every test pays for encoding them.
func MakeVideo(t testing.TB, dir string, spec MediaSpec) string {
	t.Helper()
	RequireFFmpeg(t)
	fps := spec.FPS
	if fps == 0 {
		fps = 25
	}
	secs := strconv.FormatFloat(spec.Seconds, 'f', -1, 64)
	video := fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%s", spec.Width, spec.Height, fps, secs)
	if canDrawText() {
		video += "," + slideText
	}
	args := []string{"-f", "lavfi", "-i", video}
	if spec.Audio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+secs)
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	if spec.Audio {
		args = append(args, "-c:a", "aac", "-b:a", "64k", "-ac", "2")
	}
	if spec.FastStart {
		args = append(args, "-movflags", "+faststart")
	}
	out := newMediaPath(t, dir, fmt.Sprintf("video-%dx%d-*.mp4", spec.Width, spec.Height))
	runFFmpeg(t, append(args, out)...)
	if spec.Rotation != 0 {
		// ffmpeg 5 drops this tag when encoding but, when copying, turns it
		// into the display matrix; the angle it stores there is the
		// counter-clockwise one, so negate for clockwise.
		rotated := newMediaPath(t, dir, "rotated-*.mp4")
		copyArgs := []string{"-i", out, "-map", "0", "-c", "copy",
			"-metadata:s:v:0", "rotate=" + strconv.Itoa((360-spec.Rotation)%360)}
		if spec.FastStart {
			copyArgs = append(copyArgs, "-movflags", "+faststart")
		}
		runFFmpeg(t, append(copyArgs, rotated)...)
		if err := os.Rename(rotated, out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// MakeAudio writes a mono AAC (.m4a) recording of a tone into dir and
// returns its path.
func MakeAudio(t testing.TB, dir string, seconds float64) string {
	t.Helper()
	RequireFFmpeg(t)
	out := newMediaPath(t, dir, "audio-*.m4a")
	runFFmpeg(t, "-f", "lavfi", "-i",
		"sine=frequency=330:sample_rate=48000:duration="+strconv.FormatFloat(seconds, 'f', -1, 64),
		"-c:a", "aac", "-b:a", "64k", "-ac", "1", out)
	return out
}

// MakeTruncated copies the first half of src next to it, as an upload cut
// short would leave it, and returns the copy's path.
func MakeTruncated(t testing.TB, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	ext := filepath.Ext(src)
	out := newMediaPath(t, filepath.Dir(src), "truncated-*"+ext)
	if err := os.WriteFile(out, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// MakeNotMedia writes a text file named like a video into dir and returns
// its path.
func MakeNotMedia(t testing.TB, dir string) string {
	t.Helper()
	out := newMediaPath(t, dir, "notes-*.mp4")
	text := "Lecture 3 notes\n\nThis is a text file that someone renamed to .mp4.\n"
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// MakeEmpty writes a zero-byte file named like a video into dir and
// returns its path.
func MakeEmpty(t testing.TB, dir string) string {
	t.Helper()
	return newMediaPath(t, dir, "empty-*.mp4")
}

// MakeSubtitlesOnly writes an MP4 whose only stream is a subtitle track:
// a real media file with nothing to play.
func MakeSubtitlesOnly(t testing.TB, dir string) string {
	t.Helper()
	RequireFFmpeg(t)
	srt := newMediaPath(t, dir, "subs-*.srt")
	text := "1\n00:00:00,000 --> 00:00:02,000\nWelcome to the lecture.\n"
	if err := os.WriteFile(srt, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := newMediaPath(t, dir, "subtitles-only-*.mp4")
	runFFmpeg(t, "-i", srt, "-c:s", "mov_text", out)
	return out
}

// slideText draws a lecture-slide-like caption that changes every two
// seconds, so that thumbnails and sprite tiles differ visibly.
const slideText = `drawtext=text='Slide %{eif\:trunc(t/2)+1\:d}':fontsize=h/8:fontcolor=white:` +
	`box=1:boxcolor=black@0.6:x=(w-text_w)/2:y=h/8`

var (
	drawTextOnce sync.Once
	drawTextOK   bool
)

// canDrawText reports whether this ffmpeg has drawtext and a font to draw
// with; the generators leave the caption out when it has not.
func canDrawText() bool {
	drawTextOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
			"-i", "color=size=64x64:duration=0.1,"+slideText, "-frames:v", "1", "-f", "null", "-")
		drawTextOK = cmd.Run() == nil
	})
	return drawTextOK
}

// newMediaPath reserves a new file name in dir from pattern (with one *).
func newMediaPath(t testing.TB, dir, pattern string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func runFFmpeg(t testing.TB, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", argv...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", argv, err, stderr.String())
	}
}
