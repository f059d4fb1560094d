package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/catalog"
)

// SampleTitle is the demo's sample lecture.
const SampleTitle = "Lecture 1: Welcome to Lectern"

const sampleDescription = "A sample lecture, generated when the demo site started: a test pattern with slides " +
	"and a synthetic voice. Upload your own recordings from the Upload page."

// The sample is SampleSeconds long at 640×360: small enough to make and
// process in well under a minute on a laptop.
const (
	SampleSeconds = 20
	sampleWidth   = 640
	sampleHeight  = 360
	sampleTimeout = 2 * time.Minute
)

// slides are shown for an equal share of the sample each. Their text goes
// into an ffmpeg filter graph, so it holds no quotes, colons, commas,
// backslashes or percent signs.
var slides = []struct{ title, line string }{
	{"Welcome to Lectern", "DEMO101 Introduction to Lecture Capture"},
	{"Uploading", "Drop a recording on the Upload page"},
	{"Watching", "Pick up where you left off"},
	{"Viewing statistics", "See which parts students watch"},
}

const speech = "Welcome to Lectern. This sample lecture was made when the demo site started. " +
	"Lecturers upload recordings, and Lectern turns them into streams that play on any device. " +
	"Students pick up where they left off, and lecturers see which parts were watched."

// fonts are where Debian and other distributions keep a plain sans font.
var fonts = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/TTF/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
	"/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
}

// seedSample makes the sample lecture and ingests it as lecturer into
// the course folder.
func seedSample(ctx context.Context, svc Services, lecturer lectern.User, folderID string) (lectern.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, sampleTimeout)
	defer cancel()
	if svc.TempDir != "" {
		if err := os.MkdirAll(svc.TempDir, 0o750); err != nil {
			return lectern.Session{}, fmt.Errorf("demo sample: %w", err)
		}
	}
	dir, err := os.MkdirTemp(svc.TempDir, "lectern-demo-*")
	if err != nil {
		return lectern.Session{}, fmt.Errorf("demo sample: %w", err)
	}
	defer os.RemoveAll(dir)
	path, err := MakeSample(ctx, dir)
	if err != nil {
		return lectern.Session{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return lectern.Session{}, fmt.Errorf("demo sample: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return lectern.Session{}, fmt.Errorf("demo sample: %w", err)
	}
	sess, err := svc.Uploads.Import(ctx, lecturer, catalog.NewSession{
		FolderID: folderID, Title: SampleTitle, Description: sampleDescription,
	}, "sample-lecture.mp4", f, info.Size())
	if err != nil {
		return lectern.Session{}, fmt.Errorf("demo sample: %w", err)
	}
	return sess, nil
}

// MakeSample writes the sample lecture into dir and returns its path: an
// H.264/AAC MP4 of SampleSeconds at 640×360, ffmpeg's test pattern under
// slide titles (when ffmpeg can draw text with a font found here), with
// speech from espeak-ng, or a quiet tone when espeak-ng is not installed.
// Without ffmpeg it is EUnavailable with a message saying what to install.
func MakeSample(ctx context.Context, dir string) (string, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return "", lectern.Errorf(lectern.EUnavailable, "ffmpeg is not installed (apt-get install ffmpeg espeak-ng).")
	}
	secs := strconv.Itoa(SampleSeconds)
	video := fmt.Sprintf("testsrc2=size=%dx%d:rate=25:duration=%s", sampleWidth, sampleHeight, secs)
	if font := slideFont(ctx); font != "" {
		video += "," + slideFilter(font)
	}
	args := []string{"-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", video}
	var audio string
	if voice, err := speak(ctx, dir); err == nil {
		args = append(args, "-i", voice)
		audio = "apad"
	} else {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+secs)
		audio = "volume=0.15"
	}
	out := filepath.Join(dir, "sample-lecture.mp4")
	args = append(args, "-map", "0:v", "-map", "1:a", "-af", audio,
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k", "-ac", "1", "-t", secs, "-movflags", "+faststart", out)
	if err := run(ctx, "ffmpeg", args...); err != nil {
		return "", err
	}
	return out, nil
}

// slideFilter draws a title bar with each slide's title and line in turn.
func slideFilter(font string) string {
	per := float64(SampleSeconds) / float64(len(slides))
	parts := []string{"drawbox=x=0:y=0:w=iw:h=118:color=0x0b2545@0.85:t=fill"}
	for i, s := range slides {
		from, to := per*float64(i), per*float64(i+1)
		enable := fmt.Sprintf("enable='gte(t,%g)*lt(t,%g)'", from, to)
		parts = append(parts,
			fmt.Sprintf("drawtext=fontfile=%s:text='%s':fontsize=34:fontcolor=white:x=28:y=20:%s", font, s.title, enable),
			fmt.Sprintf("drawtext=fontfile=%s:text='%s':fontsize=20:fontcolor=white:x=28:y=72:%s", font, s.line, enable),
			fmt.Sprintf("drawtext=fontfile=%s:text='%d / %d':fontsize=18:fontcolor=white:box=1:boxcolor=black@0.6:x=w-tw-16:y=h-th-14:%s",
				font, i+1, len(slides), enable))
	}
	return strings.Join(parts, ",")
}

// slideFont returns a font that this ffmpeg's drawtext can use, or "".
func slideFont(ctx context.Context) string {
	for _, f := range fonts {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		probe := fmt.Sprintf("color=size=64x64:duration=0.1,drawtext=fontfile=%s:text='A'", f)
		if run(ctx, "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", probe, "-frames:v", "1", "-f", "null", "-") == nil {
			return f
		}
		return "" // the font is there: drawtext itself is missing
	}
	return ""
}

// speak writes the narration as a WAV file with espeak-ng.
func speak(ctx context.Context, dir string) (string, error) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "speech.wav")
	if err := run(ctx, "espeak-ng", "-s", "165", "-w", out, speech); err != nil {
		return "", err
	}
	return out, nil
}

func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("demo sample: %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
