package media_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/testkit"
)

// TestTranscode runs the real command line on a 4 s 640x360 clip. The
// ladder Lectern picks for it is 360p and audio; a 180p rung is added so
// that the split into several variants is exercised too, and segments are
// 2 s so that a 4 s clip has more than one.
func TestTranscode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := testkit.MakeVideo(t, dir, testkit.MediaSpec{Seconds: 4, Width: 640, Height: 360, Audio: true})
	info, err := media.Probe(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if err := media.Validate(info); err != nil {
		t.Fatal(err)
	}
	ladder := media.Ladder(info)
	if got := ladderString(ladder); got != "360p 640x360 650k, audio 1ch 64k" {
		t.Fatalf("Ladder = %s", got)
	}
	ladder = []media.Rendition{ladder[0],
		{Name: "180p", Kind: media.KindVideo, Width: 320, Height: 180, Bitrate: 300_000},
		ladder[1]}
	const segSeconds = 2
	out := filepath.Join(dir, "hls")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	sprite := media.Sprite{Duration: info.DurationSeconds, Interval: 1, Frames: 4, Columns: 2, Rows: 2, TileWidth: 160, TileHeight: 90}
	argv := media.TranscodeArgs(media.Transcode{Input: src, Info: info, Ladder: ladder, OutDir: out, SegmentSeconds: segSeconds, Sprite: &sprite})

	var fractions []float64
	start := time.Now()
	err = media.Run(t.Context(), argv, info.DurationSeconds, func(f float64) { fractions = append(fractions, f) })
	t.Logf("transcode of a 4 s 640x360 clip to 360p+180p+audio took %v; progress %v",
		time.Since(start).Round(time.Millisecond), fractions)
	if err != nil {
		t.Fatal(err)
	}
	assertProgress(t, fractions)

	// The sprite sheet comes out of the same process: 2x2 tiles of 160x90.
	sheet, err := media.Probe(t.Context(), filepath.Join(out, sprite.SheetName(1)))
	if err != nil {
		t.Fatalf("sprite sheet from the transcode: %v", err)
	}
	if sheet.Video == nil || sheet.Video.Width != 320 || sheet.Video.Height != 180 {
		t.Fatalf("sprite sheet = %+v, want 320x180", sheet.Video)
	}

	master := readPlaylist(t, filepath.Join(out, media.MasterPlaylist))
	if len(master.media) != 1 {
		t.Fatalf("master has %d EXT-X-MEDIA, want the one audio rendition", len(master.media))
	}
	audio := master.media[0]
	if audio["TYPE"] != "AUDIO" || audio["DEFAULT"] != "YES" || audio["URI"] != "audio/index.m3u8" {
		t.Errorf("audio rendition = %v", audio)
	}
	if len(master.variants) != 2 {
		t.Fatalf("master has %d variants, want 2", len(master.variants))
	}
	for i, v := range master.variants {
		r := ladder[i]
		t.Run(r.Name, func(t *testing.T) {
			if got, want := v.uri, r.Name+"/index.m3u8"; got != want {
				t.Errorf("URI = %q, want %q", got, want)
			}
			if got, want := v.attrs["RESOLUTION"], fmt.Sprintf("%dx%d", r.Width, r.Height); got != want {
				t.Errorf("RESOLUTION = %q, want %q", got, want)
			}
			if v.attrs["AUDIO"] != audio["GROUP-ID"] {
				t.Errorf("AUDIO = %q, want the audio group %q", v.attrs["AUDIO"], audio["GROUP-ID"])
			}
			if c := v.attrs["CODECS"]; !strings.Contains(c, "avc1.") || !strings.Contains(c, "mp4a.40.2") {
				t.Errorf("CODECS = %q", c)
			}
			path := filepath.Join(out, v.uri)
			pl := checkMediaPlaylist(t, path, info.DurationSeconds)
			for _, s := range pl.segments[:len(pl.segments)-1] {
				if math.Abs(s.duration-segSeconds) > 0.01 {
					t.Errorf("segment %s lasts %v s, want %d", s.uri, s.duration, segSeconds)
				}
			}
			got, err := media.Probe(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Video == nil || got.Video.Width != r.Width || got.Video.Height != r.Height || got.Video.Codec != "h264" {
				t.Errorf("variant video = %+v, want h264 %dx%d", got.Video, r.Width, r.Height)
			}
			if math.Abs(got.DurationSeconds-info.DurationSeconds) > 0.25 {
				t.Errorf("variant lasts %v s, source %v s", got.DurationSeconds, info.DurationSeconds)
			}
			// Keyframes sit exactly on segment boundaries: one per segment.
			keys := keyframeTimes(t, path)
			if len(keys) != len(pl.segments) {
				t.Errorf("keyframes at %v, want one per segment (%d)", keys, len(pl.segments))
			}
			for k, at := range keys {
				if math.Abs(at-keys[0]-float64(k*segSeconds)) > 0.05 {
					t.Errorf("keyframe %d at %v s, want %d s after the first", k, at, k*segSeconds)
				}
			}
		})
	}
	t.Run("audio", func(t *testing.T) {
		path := filepath.Join(out, audio["URI"])
		checkMediaPlaylist(t, path, info.DurationSeconds)
		got, err := media.Probe(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Video != nil || got.Audio == nil || got.Audio.Codec != "aac" || got.Audio.Channels != 1 || got.Audio.SampleRate != 48000 {
			t.Errorf("audio rendition = video %+v, audio %+v; want AAC stereo 48 kHz only", got.Video, got.Audio)
		}
	})
}

func TestTranscodeAudioOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := testkit.MakeAudio(t, dir, 3)
	info, err := media.Probe(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hls")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	argv := media.TranscodeArgs(media.Transcode{Input: src, Info: info, Ladder: media.Ladder(info), OutDir: out})
	var fractions []float64
	if err := media.Run(t.Context(), argv, info.DurationSeconds, func(f float64) { fractions = append(fractions, f) }); err != nil {
		t.Fatal(err)
	}
	assertProgress(t, fractions)
	master := readPlaylist(t, filepath.Join(out, media.MasterPlaylist))
	if len(master.variants) != 1 || master.variants[0].uri != "audio/index.m3u8" {
		t.Fatalf("variants = %+v, want audio/index.m3u8 alone", master.variants)
	}
	if c := master.variants[0].attrs["CODECS"]; c != "mp4a.40.2" {
		t.Errorf("CODECS = %q, want mp4a.40.2", c)
	}
	checkMediaPlaylist(t, filepath.Join(out, "audio", "index.m3u8"), info.DurationSeconds)

	poster := filepath.Join(dir, media.PosterFile)
	if err := media.Run(t.Context(), media.PosterArgs(src, info, poster), 0, nil); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, poster, 1280, 720)
}

// TestStills makes the poster, thumbnails and sprite of a short clip.
func TestStills(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := testkit.MakeVideo(t, dir, testkit.MediaSpec{Seconds: 5, Width: 320, Height: 180})
	info, err := media.Probe(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	poster := filepath.Join(dir, media.PosterFile)
	if err := media.Run(t.Context(), media.PosterArgs(src, info, poster), 0, nil); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, poster, 320, 180) // never upscaled

	argv, stills := media.ThumbnailArgs(src, info, dir)
	if err := media.Run(t.Context(), argv, 0, nil); err != nil {
		t.Fatal(err)
	}
	if len(stills) != len(media.ThumbnailPoints) {
		t.Fatalf("%d stills", len(stills))
	}
	for _, s := range stills {
		assertPicture(t, s.Path, 320, 180)
	}

	sp := media.PlanSprite(info)
	if sp.Interval != 2 || sp.Frames != 3 || sp.Columns != 3 || sp.Rows != 1 || sp.Sheets() != 1 {
		t.Fatalf("sprite plan = %+v", sp)
	}
	spriteDir := filepath.Join(dir, "sprite")
	if err := os.Mkdir(spriteDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := media.Run(t.Context(), media.SpriteArgs(src, sp, spriteDir), 0, nil); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(spriteDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != sp.SheetName(1) {
		t.Errorf("sprite folder holds %v, want only %s", entries, sp.SheetName(1))
	}
	assertPicture(t, filepath.Join(spriteDir, sp.SheetName(1)), 3*160, 90)
	vtt := sp.VTT()
	if n := strings.Count(vtt, "#xywh="); n != 3 || !strings.Contains(vtt, "00:00:04.000 --> 00:00:05.000\nsprite_001.jpg#xywh=320,0,160,90\n") {
		t.Errorf("VTT has %d cues:\n%s", n, vtt)
	}
}

// checkMediaPlaylist checks a finished VOD playlist whose init segment and
// media segments exist and add up to about want seconds.
func checkMediaPlaylist(t *testing.T, path string, want float64) playlist {
	t.Helper()
	pl := readPlaylist(t, path)
	if !pl.ended {
		t.Errorf("%s has no #EXT-X-ENDLIST", path)
	}
	if pl.mapURI == "" || len(pl.segments) == 0 {
		t.Fatalf("%s: init %q, %d segments", path, pl.mapURI, len(pl.segments))
	}
	dir := filepath.Dir(path)
	mustExist(t, filepath.Join(dir, pl.mapURI))
	for _, s := range pl.segments {
		mustExist(t, filepath.Join(dir, s.uri))
	}
	if math.Abs(pl.duration()-want) > 0.25 {
		t.Errorf("%s lasts %v s, want about %v", path, pl.duration(), want)
	}
	return pl
}

// assertProgress checks that progress rose strictly and ended at 1.
func assertProgress(t *testing.T, fractions []float64) {
	t.Helper()
	if len(fractions) == 0 || fractions[len(fractions)-1] != 1 {
		t.Fatalf("progress = %v, want it to end at 1", fractions)
	}
	for i, f := range fractions {
		if f <= 0 || f > 1 || (i > 0 && f <= fractions[i-1]) {
			t.Fatalf("progress = %v, want strictly increasing fractions in (0, 1]", fractions)
		}
	}
}

// keyframeTimes lists the presentation times of the video keyframes.
func keyframeTimes(t *testing.T, path string) []float64 {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", "file:"+path).Output()
	if err != nil {
		t.Fatalf("ffprobe packets: %v", err)
	}
	var keys []float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		at, flags, _ := strings.Cut(line, ",")
		if strings.HasPrefix(flags, "K") {
			f, err := strconv.ParseFloat(at, 64)
			if err != nil {
				t.Fatalf("ffprobe packet line %q", line)
			}
			keys = append(keys, f)
		}
	}
	return keys
}
