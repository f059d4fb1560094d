package media

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
)

// Sizes of the pictures made from a recording, as boxes (long × short
// side) turned to the recording's orientation; never upscaled.
const (
	posterLong, posterShort = 1280, 720
	thumbLong, thumbShort   = 320, 180
	tileLong, tileShort     = 160, 90
)

// PosterFile is the poster's conventional file name.
const PosterFile = "poster.jpg"

// posterAt is where, as a fraction of the duration, the poster frame is
// taken: past the title slide, usually into the first content.
const posterAt = 0.10

// ThumbnailPoints are where thumbnails are taken, as fractions of the
// duration.
var ThumbnailPoints = []float64{0.1, 0.3, 0.5, 0.7, 0.9}

// jpegArgs are the image2 output options for one JPEG.
var jpegArgs = []string{"-frames:v", "1", "-q:v", "3", "-update", "1"}

// PosterArgs returns the argv of an ffmpeg run that writes the poster JPEG
// to out: for video, the frame at 10 % of the duration fitted in 1280×720;
// for audio alone, a picture of the whole waveform at 1280×720.
func PosterArgs(in string, info Info, out string) []string {
	args := []string{"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
	if v := info.Video; v != nil {
		dw, dh := v.DisplaySize()
		w, h := fitWithin(dw, dh, posterLong, posterShort)
		args = append(args, "-ss", seconds(info.DurationSeconds*posterAt), "-i", inputURL(in),
			"-map", "0:v:0", "-vf", fmt.Sprintf("scale=%d:%d,setsar=1", w, h))
	} else {
		args = append(args, "-i", inputURL(in), "-filter_complex",
			fmt.Sprintf("[0:a:0]showwavespic=s=%dx%d:split_channels=0:colors=0x5B8DEF[p]", posterLong, posterShort),
			"-map", "[p]")
	}
	args = append(args, jpegArgs...)
	return append(args, out)
}

// Still is a picture taken At seconds into a recording, written to Path.
type Still struct {
	At   float64
	Path string
}

// ThumbnailArgs returns the argv of one ffmpeg run that writes a JPEG,
// fitted in 320×180, at each of ThumbnailPoints into outDir as
// thumb_1.jpg, thumb_2.jpg, ...; and those stills. Each point is its own
// seeked input, so the run decodes a few frames, not the recording. A
// recording without video has no thumbnails: nil, nil.
func ThumbnailArgs(in string, info Info, outDir string) ([]string, []Still) {
	v := info.Video
	if v == nil {
		return nil, nil
	}
	dw, dh := v.DisplaySize()
	w, h := fitWithin(dw, dh, thumbLong, thumbShort)
	args := []string{"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
	stills := make([]Still, len(ThumbnailPoints))
	for i, p := range ThumbnailPoints {
		stills[i] = Still{
			At:   math.Round(info.DurationSeconds*p*1000) / 1000,
			Path: filepath.Join(outDir, fmt.Sprintf("thumb_%d.jpg", i+1)),
		}
		args = append(args, "-ss", seconds(stills[i].At), "-i", inputURL(in))
	}
	for i, s := range stills {
		args = append(args, "-map", fmt.Sprintf("%d:v:0", i),
			"-vf", fmt.Sprintf("scale=%d:%d,setsar=1", w, h))
		args = append(args, jpegArgs...)
		args = append(args, s.Path)
	}
	return args, stills
}

// Sprite plans the scrub-preview sprite: one frame every Interval seconds,
// fitted in 160×90, laid out in sheets of Columns × Rows tiles, left to
// right then top to bottom, sheet after sheet.
type Sprite struct {
	Duration              float64 // of the recording, seconds
	Interval              int     // seconds between frames
	Frames                int     // frames in all sheets
	Columns, Rows         int     // tiles per sheet
	TileWidth, TileHeight int
}

// Sprite sheet limits: at most 10 × 10 tiles a sheet, a frame at most
// every two seconds, and no more than 500 frames in all: a one-hour
// lecture gets a frame every 8 s on five sheets.
const (
	spriteMaxColumns  = 10
	spriteMaxRows     = 10
	spriteMinInterval = 2
	spriteMaxFrames   = 500
)

// PlanSprite picks the sprite layout for a recording with video; it
// returns the zero Sprite for audio alone.
func PlanSprite(info Info) Sprite {
	v := info.Video
	if v == nil || info.DurationSeconds <= 0 {
		return Sprite{}
	}
	d := info.DurationSeconds
	interval := max(spriteMinInterval, int(math.Ceil(d/spriteMaxFrames)))
	frames := max(1, int(math.Ceil(d/float64(interval))))
	cols := min(spriteMaxColumns, frames)
	rows := min(spriteMaxRows, (frames+cols-1)/cols)
	dw, dh := v.DisplaySize()
	tw, th := fitWithin(dw, dh, tileLong, tileShort)
	return Sprite{Duration: d, Interval: interval, Frames: frames,
		Columns: cols, Rows: rows, TileWidth: tw, TileHeight: th}
}

// Sheets is how many sheet images the sprite has.
func (s Sprite) Sheets() int {
	per := s.Columns * s.Rows
	if per == 0 {
		return 0
	}
	return (s.Frames + per - 1) / per
}

// SheetName is the file name of sheet n, counting from 1.
func (s Sprite) SheetName(n int) string { return fmt.Sprintf("sprite_%03d.jpg", n) }

// SpriteArgs returns the argv of an ffmpeg run that writes the sprite
// sheets into outDir (which must exist) under SheetName; s comes from
// PlanSprite and has Frames > 0. The last frame is held to the end so
// that every planned tile exists even when the video stream stops a little
// before the recording does, and the frame count is exact.
func SpriteArgs(in string, s Sprite, outDir string) []string {
	return []string{"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-i", inputURL(in), "-map", "0:v:0", "-vf", s.filter(), "-q:v", "5",
		filepath.Join(outDir, "sprite_%03d.jpg")}
}

// filter samples a frame every Interval seconds (holding the last frame
// to the end, so the count matches the VTT) and tiles them into sheets.
func (s Sprite) filter() string {
	return fmt.Sprintf("tpad=stop=-1:stop_mode=clone,fps=1/%d,trim=end_frame=%d,scale=%d:%d,setsar=1,tile=%dx%d",
		s.Interval, s.Frames, s.TileWidth, s.TileHeight, s.Columns, s.Rows)
}

// VTT returns the WebVTT track that maps each interval of the recording to
// its tile: cues of the form "sprite_001.jpg#xywh=160,0,160,90". Sheet
// names are relative, so the track belongs next to the sheets.
func (s Sprite) VTT() string {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	per := s.Columns * s.Rows
	for k := 0; k < s.Frames && per > 0; k++ {
		start := float64(k * s.Interval)
		end := math.Min(float64((k+1)*s.Interval), s.Duration)
		if end <= start {
			break
		}
		i := k % per
		x, y := (i%s.Columns)*s.TileWidth, (i/s.Columns)*s.TileHeight
		fmt.Fprintf(&b, "\n%s --> %s\n%s#xywh=%d,%d,%d,%d\n",
			vttTime(start), vttTime(end), s.SheetName(k/per+1), x, y, s.TileWidth, s.TileHeight)
	}
	return b.String()
}

// vttTime writes seconds as WebVTT's hh:mm:ss.ttt.
func vttTime(secs float64) string {
	ms := int64(math.Round(secs * 1000))
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}
