// Package media turns an uploaded recording into what Lectern plays: it
// probes the file with ffprobe, checks that it is a recording we can
// handle, picks an HLS ladder, builds the ffmpeg command lines (pure
// functions, golden-tested) and runs them with progress reporting.
//
// Nothing here touches the database or blob storage: the pipeline hands in
// local paths and gets local files back.
package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/lectern-edu/lectern"
)

// Info is what Probe learned about a file. Values ffprobe did not report
// are zero.
type Info struct {
	DurationSeconds float64
	// Container is ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
	Container string
	SizeBytes int64
	// Video is the first video stream that is not cover art; nil when none.
	Video *VideoStream
	// Audio is the first audio stream; nil when none.
	Audio *AudioStream
}

// VideoStream describes a video stream as stored. Width and Height are
// the coded picture size; DisplaySize applies pixel aspect and rotation.
type VideoStream struct {
	Codec  string
	Width  int
	Height int
	FPS    float64 // average frame rate; 0 when unknown
	// Rotation is how far, in degrees clockwise (0, 90, 180 or 270), a
	// player turns the picture for display, as ffmpeg's autorotate does.
	Rotation int
	// PixelAspect is the sample aspect ratio as a number; 1 for square
	// pixels or when unknown or implausible.
	PixelAspect float64
	Interlaced  bool
	BitRate     int64 // bits per second; 0 when unknown
}

// AudioStream describes an audio stream.
type AudioStream struct {
	Codec      string
	Channels   int
	SampleRate int
	BitRate    int64 // bits per second; 0 when unknown
}

// DisplaySize is the picture size a viewer sees: the stored size widened
// by the pixel aspect ratio and turned by the rotation.
func (v VideoStream) DisplaySize() (width, height int) {
	w, h := v.Width, v.Height
	if pa := v.PixelAspect; pa > 0 && pa != 1 {
		w = int(math.Round(float64(w) * pa))
	}
	if v.Rotation == 90 || v.Rotation == 270 {
		w, h = h, w
	}
	return w, h
}

// Probe runs ffprobe on the file at path.
//
// A file that ffprobe cannot read gives an EInvalid *lectern.Error whose
// message a lecturer understands (empty, damaged, not a recording); the
// ffprobe output goes into the wrapped error for the log. A missing
// ffprobe, a file that cannot be opened, or a cancelled ctx give an
// ordinary error. Probe does not judge what it found: call Validate.
func Probe(ctx context.Context, path string) (Info, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Info{}, fmt.Errorf("probe: %w", err)
	}
	if fi.Size() == 0 {
		return Info{}, lectern.Errorf(lectern.EInvalid, msgEmpty)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error",
		"-print_format", "json", "-show_format", "-show_streams", inputURL(path))
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Info{}, fmt.Errorf("probe %s: %w", path, context.Cause(ctx))
		}
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return Info{}, fmt.Errorf("probe %s: %w", path, err)
		}
		msg := msgNotMedia
		if looksLikeMedia(path) {
			msg = msgDamaged
		}
		e := lectern.Errorf(lectern.EInvalid, "%s", msg)
		e.Err = fmt.Errorf("ffprobe %s: %w: %s", path, err, strings.TrimSpace(tail(stderr.String(), tailBytes)))
		return Info{}, e
	}
	info, err := ParseProbe(stdout.Bytes())
	if err != nil {
		return Info{}, fmt.Errorf("probe %s: %w", path, err)
	}
	info.SizeBytes = fi.Size()
	return info, nil
}

// inputURL makes a local path safe to hand to ffmpeg or ffprobe as an
// input: the file: protocol keeps a name that starts with "-" or holds a
// "proto:" prefix from being read as an option or another protocol.
func inputURL(path string) string { return "file:" + path }

// looksLikeMedia reports whether the file starts like a common media
// container, so that a failed probe means a damaged or cut-short file
// rather than something that was never a recording.
func looksLikeMedia(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 12)
	n, _ := io.ReadFull(f, head)
	return sniffMedia(head[:n])
}

// sniffMedia reports whether head starts with the signature of a media
// container Lectern is likely to be sent.
func sniffMedia(head []byte) bool {
	switch {
	case len(head) >= 8 && string(head[4:8]) == "ftyp": // MP4, MOV, M4A
		return true
	case bytes.HasPrefix(head, []byte{0x1a, 0x45, 0xdf, 0xa3}): // Matroska, WebM
		return true
	case len(head) >= 12 && string(head[:4]) == "RIFF" &&
		(string(head[8:12]) == "AVI " || string(head[8:12]) == "WAVE"):
		return true
	case bytes.HasPrefix(head, []byte("OggS")), bytes.HasPrefix(head, []byte("fLaC")),
		bytes.HasPrefix(head, []byte("ID3")), bytes.HasPrefix(head, []byte("FLV")),
		bytes.HasPrefix(head, []byte{0x30, 0x26, 0xb2, 0x75}): // ASF, WMV
		return true
	}
	return false
}

// probeJSON mirrors the parts of ffprobe's JSON that Lectern reads.
// ffprobe writes most numbers as strings, and either may appear.
type probeJSON struct {
	Streams []struct {
		CodecType    string                `json:"codec_type"`
		CodecName    string                `json:"codec_name"`
		Width        flexNumber            `json:"width"`
		Height       flexNumber            `json:"height"`
		AvgFrameRate string                `json:"avg_frame_rate"`
		RFrameRate   string                `json:"r_frame_rate"`
		SampleAspect string                `json:"sample_aspect_ratio"`
		FieldOrder   string                `json:"field_order"`
		Channels     flexNumber            `json:"channels"`
		SampleRate   flexNumber            `json:"sample_rate"`
		BitRate      flexNumber            `json:"bit_rate"`
		Duration     flexNumber            `json:"duration"`
		Disposition  map[string]flexNumber `json:"disposition"`
		Tags         map[string]string     `json:"tags"`
		SideDataList []map[string]any      `json:"side_data_list"`
	} `json:"streams"`
	Format struct {
		FormatName string     `json:"format_name"`
		Duration   flexNumber `json:"duration"`
		Size       flexNumber `json:"size"`
	} `json:"format"`
}

// flexNumber accepts a JSON number or a string holding one; anything else
// (including "N/A") reads as zero.
type flexNumber float64

func (n *flexNumber) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		*n = 0
		return nil
	}
	*n = flexNumber(f)
	return nil
}

// maxInt bounds the integers taken from ffprobe so that later arithmetic
// cannot overflow, whatever the file claims.
const maxInt = 1 << 30

func (n flexNumber) int() int {
	f := float64(n)
	if f <= 0 {
		return 0
	}
	return int(math.Min(math.Round(f), maxInt))
}

func (n flexNumber) int64() int64 {
	f := float64(n)
	if f <= 0 {
		return 0
	}
	return int64(math.Min(math.Round(f), 1<<62))
}

func (n flexNumber) seconds() float64 {
	if f := float64(n); f > 0 {
		return f
	}
	return 0
}

// ParseProbe reads the JSON that `ffprobe -print_format json -show_format
// -show_streams` prints. It is pure: every value it returns is finite and
// not negative, whatever the input.
func ParseProbe(data []byte) (Info, error) {
	var p probeJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return Info{}, fmt.Errorf("parse ffprobe output: %w", err)
	}
	info := Info{
		Container:       p.Format.FormatName,
		DurationSeconds: p.Format.Duration.seconds(),
		SizeBytes:       p.Format.Size.int64(),
	}
	var longestStream float64
	for _, s := range p.Streams {
		longestStream = math.Max(longestStream, s.Duration.seconds())
		switch s.CodecType {
		case "video":
			if info.Video != nil || s.Disposition["attached_pic"] == 1 {
				continue // cover art is a picture, not video
			}
			info.Video = &VideoStream{
				Codec:       s.CodecName,
				Width:       s.Width.int(),
				Height:      s.Height.int(),
				FPS:         frameRate(s.AvgFrameRate, s.RFrameRate),
				Rotation:    rotation(s.SideDataList, s.Tags["rotate"]),
				PixelAspect: pixelAspect(s.SampleAspect),
				Interlaced:  interlaced(s.FieldOrder),
				BitRate:     s.BitRate.int64(),
			}
		case "audio":
			if info.Audio != nil {
				continue
			}
			info.Audio = &AudioStream{
				Codec:      s.CodecName,
				Channels:   s.Channels.int(),
				SampleRate: s.SampleRate.int(),
				BitRate:    s.BitRate.int64(),
			}
		}
	}
	if info.DurationSeconds == 0 {
		info.DurationSeconds = longestStream
	}
	return info, nil
}

// ratio parses "num/den", "num:den" or a plain number; it returns 0 for
// anything unparsable, zero, negative or not finite.
func ratio(s string) float64 {
	sep := "/"
	if strings.Contains(s, ":") {
		sep = ":"
	}
	num, den, found := strings.Cut(s, sep)
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0
	}
	d := 1.0
	if found {
		if d, err = strconv.ParseFloat(den, 64); err != nil {
			return 0
		}
	}
	r := n / d
	if d == 0 || r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0
	}
	return r
}

// frameRate prefers the average rate; r_frame_rate is a fallback because
// for variable-rate files it is the timebase, not a frame rate.
func frameRate(avg, r string) float64 {
	f := ratio(avg)
	if f == 0 {
		f = ratio(r)
	}
	if f > 1000 {
		return 0
	}
	return f
}

// pixelAspect keeps plausible sample aspect ratios only; anything outside
// 1:4..4:1 is treated as a broken header and read as square pixels.
func pixelAspect(sar string) float64 {
	r := ratio(sar)
	if r < 0.25 || r > 4 {
		return 1
	}
	return r
}

func interlaced(fieldOrder string) bool {
	switch fieldOrder {
	case "tt", "bb", "tb", "bt":
		return true
	}
	return false
}

// rotation returns the clockwise display rotation, snapped to a multiple
// of 90: from the display matrix side data (ffprobe 5 and later report its
// counter-clockwise angle) or else the legacy "rotate" tag (clockwise).
func rotation(sideData []map[string]any, rotateTag string) int {
	deg, ok := 0.0, false
	for _, sd := range sideData {
		if sd["side_data_type"] != "Display Matrix" {
			continue
		}
		switch v := sd["rotation"].(type) {
		case float64:
			deg, ok = -v, true
		case string:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				deg, ok = -f, true
			}
		}
		break
	}
	if !ok {
		f, err := strconv.ParseFloat(rotateTag, 64)
		if err != nil {
			return 0
		}
		deg = f
	}
	if math.IsNaN(deg) || math.IsInf(deg, 0) || math.Abs(deg) > 1e6 {
		return 0
	}
	r := int(math.Round(deg/90)) * 90 % 360
	if r < 0 {
		r += 360
	}
	return r
}
