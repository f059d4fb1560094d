package media_test

import (
	"math"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/media"
)

// FuzzParseProbe feeds ParseProbe arbitrary bytes (seeds: real ffprobe
// output in testdata/fuzz/FuzzParseProbe) and checks that it never panics,
// that what it returns is sane, and that whatever passes Validate gets a
// sane ladder and command lines.
func FuzzParseProbe(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := media.ParseProbe(data)
		if err != nil {
			return
		}
		finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && x >= 0 }
		if !finite(info.DurationSeconds) || info.SizeBytes < 0 {
			t.Fatalf("Info = %+v", info)
		}
		if v := info.Video; v != nil {
			if v.Width < 0 || v.Height < 0 || !finite(v.FPS) || v.FPS > 1000 || v.Rotation%90 != 0 ||
				v.Rotation < 0 || v.Rotation >= 360 || v.PixelAspect < 0.25 || v.PixelAspect > 4 || v.BitRate < 0 {
				t.Fatalf("Video = %+v", *v)
			}
		}
		if a := info.Audio; a != nil && (a.Channels < 0 || a.SampleRate < 0 || a.BitRate < 0) {
			t.Fatalf("Audio = %+v", *a)
		}
		if media.Validate(info) != nil {
			return
		}
		ladder := media.Ladder(info)
		checkLadder(t, info, ladder)
		argv := media.TranscodeArgs(media.Transcode{Input: "/in.mp4", Info: info, Ladder: ladder, OutDir: "/out"})
		if len(argv) < 2 || argv[0] != "ffmpeg" || argv[len(argv)-1] != "/out/%v/index.m3u8" {
			t.Fatalf("TranscodeArgs = %q", argv)
		}
		media.PosterArgs("/in.mp4", info, "/out/poster.jpg")
		media.ThumbnailArgs("/in.mp4", info, "/out")
		if sp := media.PlanSprite(info); info.Video != nil {
			if sp.Frames < 1 || sp.Frames > 500 || sp.Sheets() < 1 || sp.TileWidth < 2 || sp.TileHeight < 2 {
				t.Fatalf("PlanSprite = %+v", sp)
			}
			if n := strings.Count(sp.VTT(), "#xywh="); n != sp.Frames {
				t.Fatalf("VTT has %d cues for %d frames", n, sp.Frames)
			}
		}
	})
}

// checkLadder checks the rules every ladder keeps.
func checkLadder(t *testing.T, info media.Info, ladder []media.Rendition) {
	t.Helper()
	names := map[string]bool{}
	var prev *media.Rendition
	var videos int
	for i, r := range ladder {
		if names[r.Name] {
			t.Fatalf("ladder %s repeats %s", ladderString(ladder), r.Name)
		}
		names[r.Name] = true
		if r.Kind == media.KindAudio {
			if i != len(ladder)-1 || info.Audio == nil || (r.Channels != 1 && r.Channels != 2) {
				t.Fatalf("ladder %s: bad audio rendition", ladderString(ladder))
			}
			continue
		}
		videos++
		dw, dh := info.Video.DisplaySize()
		if r.Width%2 != 0 || r.Height%2 != 0 || r.Width < 2 || r.Height < 2 || r.Width > dw || r.Height > dh {
			t.Fatalf("ladder %s for a %dx%d source", ladderString(ladder), dw, dh)
		}
		if r.Width > 1920 && r.Height > 1080 || r.Width > 1080 && r.Height > 1920 {
			t.Fatalf("ladder %s goes beyond 1080p", ladderString(ladder))
		}
		got, want := float64(r.Width)/float64(r.Height), float64(dw)/float64(dh)
		if math.Abs(got/want-1) > 2.0/float64(r.Width)+2.0/float64(r.Height)+1e-9 {
			t.Fatalf("ladder %s changes the aspect of a %dx%d source", ladderString(ladder), dw, dh)
		}
		if prev != nil && (r.Width >= prev.Width || r.Height >= prev.Height || r.Bitrate > prev.Bitrate) {
			t.Fatalf("ladder %s is not strictly decreasing", ladderString(ladder))
		}
		prev = &ladder[i]
	}
	if (videos > 0) != (info.Video != nil) || (len(ladder) > videos) != (info.Audio != nil) {
		t.Fatalf("ladder %s for video %v, audio %v", ladderString(ladder), info.Video != nil, info.Audio != nil)
	}
}
