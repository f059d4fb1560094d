package media_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/media"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites the file
// under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it; review the diff):\n--- got\n%s\n--- want\n%s",
			path, got, want)
	}
}

// Paths as the pipeline would pass them.
const (
	jobIn  = "/var/lib/lectern/work/job-42/source.mp4"
	jobOut = "/var/lib/lectern/work/job-42"
)

// TestCommandLines keeps the exact ffmpeg argv of every command made for a
// recording, one argument per line, per kind of source.
func TestCommandLines(t *testing.T) {
	t.Parallel()
	mono := &media.AudioStream{Codec: "aac", Channels: 1, SampleRate: 44100}
	withFPS := func(v *media.VideoStream, fps float64) *media.VideoStream { v.FPS = fps; return v }
	portrait := video(1920, 1080)
	portrait.Rotation, portrait.FPS = 90, 60000.0/1001
	interlaced := video(1920, 1080)
	interlaced.Interlaced = true
	tests := []struct {
		name string
		info media.Info
	}{
		{"1080p-source", media.Info{DurationSeconds: 3600, Video: withFPS(video(1920, 1080), 30), Audio: stereo}},
		{"720p-source", media.Info{DurationSeconds: 2700, Video: video(1280, 720), Audio: mono}},
		{"640x360-source", media.Info{DurationSeconds: 600, Video: video(640, 360), Audio: stereo}},
		{"portrait-60fps-phone", media.Info{DurationSeconds: 300, Video: portrait, Audio: stereo}},
		{"odd-dimensions", media.Info{DurationSeconds: 1234.5, Video: withFPS(video(1023, 767), 30000.0/1001), Audio: mono}},
		{"between-rungs-540p", media.Info{DurationSeconds: 95, Video: video(960, 540), Audio: stereo}},
		{"interlaced-camera", media.Info{DurationSeconds: 5400, Video: interlaced, Audio: stereo}},
		{"screen-recording-unknown-fps-no-audio", media.Info{DurationSeconds: 1800, Video: withFPS(video(2560, 1600), 0)}},
		{"audio-only", media.Info{DurationSeconds: 2700, Audio: mono}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			section := func(title string, argv []string) {
				fmt.Fprintf(&b, "## %s\n", title)
				for _, a := range argv {
					b.WriteString(a + "\n")
				}
				b.WriteString("\n")
			}
			ladder := media.Ladder(tt.info)
			fmt.Fprintf(&b, "## ladder\n%s\n\n", strings.ReplaceAll(ladderString(ladder), ", ", "\n"))
			section("transcode", media.TranscodeArgs(media.Transcode{
				Input: jobIn, Info: tt.info, Ladder: ladder, OutDir: filepath.Join(jobOut, "hls")}))
			section("poster", media.PosterArgs(jobIn, tt.info, filepath.Join(jobOut, media.PosterFile)))
			if argv, stills := media.ThumbnailArgs(jobIn, tt.info, jobOut); argv != nil {
				var at []string
				for _, s := range stills {
					at = append(at, fmt.Sprint(s.At))
				}
				section("thumbnails at "+strings.Join(at, ", ")+" s", argv)
			}
			if sp := media.PlanSprite(tt.info); sp.Frames > 0 {
				section(fmt.Sprintf("sprite: a frame every %d s, %d frames, %dx%d tiles of %dx%d, sheets: %d",
					sp.Interval, sp.Frames, sp.Columns, sp.Rows, sp.TileWidth, sp.TileHeight, sp.Sheets()),
					media.SpriteArgs(jobIn, sp, filepath.Join(jobOut, "sprite")))
			}
			golden(t, tt.name+".txt", b.String())
		})
	}
}

func TestSpriteVTT(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info media.Info
	}{
		// 125 frames: a full first sheet and 25 tiles of a second.
		{"sprite-250s-two-sheets.vtt", media.Info{DurationSeconds: 250.5, Video: video(1280, 720)}},
		{"sprite-7s-portrait.vtt", media.Info{DurationSeconds: 7, Video: video(720, 1280)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			golden(t, tt.name, media.PlanSprite(tt.info).VTT())
		})
	}
}
