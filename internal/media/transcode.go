package media

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultSegmentSeconds is the HLS segment length, and the keyframe
// spacing: every segment starts with a keyframe and holds exactly one.
//
// Lecture content (slides, a speaker, a whiteboard) changes slowly, so a
// long GOP costs nothing in quality and leaves more bits for text: with
// 10 s instead of the usual 2–6 s, bench/storage measured a clearly smaller
// ladder at equal SSIM. The price is seeking to the nearest 10 s boundary
// before playback resumes, which hls.js hides well, and a slightly slower
// start; a one-hour lecture makes 360 segments per rendition.
const DefaultSegmentSeconds = 10

// MaxFPS caps the output frame rate. A 50 or 60 fps screen recording of a
// lecture gains nothing from the extra frames, and on small servers they
// would double the encode time of every rung.
const MaxFPS = 30

// File names inside a transcode's output directory.
const (
	MasterPlaylist  = "master.m3u8"
	VariantPlaylist = "index.m3u8" // in a folder named after the rendition
)

// x264 settings shared by every rung: constant quality (CRF) under each
// rung's bit-rate cap, with a VBV buffer of two seconds at the cap.
//
// These are tuned with bench/storage against PeerTube's defaults on a
// lecture-like clip: preset medium spends CPU (still below PeerTube's
// three separate veryfast encodes) to keep slide text sharp at fewer bits.
const x264Preset = "medium"

// crf is the constant-quality target of a rung. Small rungs are watched on
// small screens, where a slightly higher CRF is not visible.
func crf(r Rendition) int {
	if min(r.Width, r.Height) >= 540 {
		return 23
	}
	return 24
}

// Transcode describes the one ffmpeg process that turns a recording into
// its HLS ladder.
type Transcode struct {
	Input  string      // the source file
	Info   Info        // its probe; it passed Validate
	Ladder []Rendition // usually Ladder(Info)
	// OutDir is an empty directory. It receives MasterPlaylist and one
	// folder per rendition, named after it, holding VariantPlaylist, an
	// fMP4 init segment and the media segments.
	OutDir string
	// Sprite, when set for a recording with video, makes the scrub-preview
	// sheets (Sprite.SheetName) in OutDir as a second output of the same
	// process, so the source is decoded once for the ladder and the sprite.
	Sprite *Sprite
	// SegmentSeconds is the segment length and keyframe interval; zero
	// means DefaultSegmentSeconds.
	SegmentSeconds int
}

// TranscodeArgs returns the argv (program first) of one ffmpeg process
// that decodes the input once, splits and scales it into every video
// rendition, encodes each with libx264, encodes the audio once with the
// native AAC encoder as a rendition that all video variants share, and
// writes HLS with fMP4 segments. Progress goes to stdout in -progress
// form for Run. It is a pure function.
func TranscodeArgs(t Transcode) []string {
	seg := t.SegmentSeconds
	if seg <= 0 {
		seg = DefaultSegmentSeconds
	}
	var videos []Rendition
	var audio *Rendition
	for i, r := range t.Ladder {
		switch {
		case r.Kind == KindVideo && t.Info.Video != nil:
			videos = append(videos, r)
		case r.Kind == KindAudio && t.Info.Audio != nil && audio == nil:
			audio = &t.Ladder[i]
		}
	}

	args := []string{"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-i", inputURL(t.Input)}

	if len(videos) > 0 {
		graph, fps := videoGraph(*t.Info.Video, videos, t.Sprite)
		args = append(args, "-filter_complex", graph)
		for i := range videos {
			args = append(args, "-map", fmt.Sprintf("[v%d]", i))
		}
		if audio != nil {
			args = append(args, "-map", "0:a:0")
		}
		args = append(args, "-c:v", "libx264", "-preset", x264Preset, "-profile:v", "high")
		for i, r := range videos {
			args = append(args,
				fmt.Sprintf("-crf:v:%d", i), strconv.Itoa(crf(r)),
				fmt.Sprintf("-maxrate:v:%d", i), kbps(r.Bitrate),
				fmt.Sprintf("-bufsize:v:%d", i), kbps(2*r.Bitrate))
		}
		args = append(args,
			"-g", strconv.Itoa(int(math.Round(fps*float64(seg)))),
			"-sc_threshold", "0",
			"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%d)", seg))
	} else if audio != nil {
		args = append(args, "-map", "0:a:0")
	}
	if audio != nil {
		args = append(args, "-c:a", "aac", "-b:a", kbps(audio.Bitrate),
			"-ac", strconv.Itoa(audio.Channels), "-ar", "48000")
	}

	args = append(args,
		"-f", "hls",
		"-hls_time", strconv.Itoa(seg),
		"-hls_playlist_type", "vod",
		"-hls_segment_type", "fmp4",
		"-hls_flags", "independent_segments",
		// ffmpeg adds "_<n>" to this name when there are several variants.
		"-hls_fmp4_init_filename", "init.mp4",
		"-hls_segment_filename", filepath.Join(t.OutDir, "%v", "seg_%05d.m4s"),
		"-master_pl_name", MasterPlaylist,
		"-var_stream_map", streamMap(videos, audio),
		"-progress", "pipe:1", "-nostats",
		filepath.Join(t.OutDir, "%v", VariantPlaylist))
	if t.Sprite != nil && len(videos) > 0 {
		args = append(args, "-map", "[sprite]", "-c:v", "mjpeg", "-q:v", "5", "-f", "image2",
			filepath.Join(t.OutDir, "sprite_%03d.jpg"))
	}
	return args
}

// videoGraph returns the -filter_complex graph that decodes the first
// video stream once and feeds one labelled output [v0], [v1], ... per
// rendition, and the output frame rate.
func videoGraph(v VideoStream, videos []Rendition, sprite *Sprite) (graph string, fps float64) {
	var pre []string
	if v.Interlaced {
		pre = append(pre, "bwdif=mode=send_frame")
	}
	fps = v.FPS
	if fps == 0 || fps > MaxFPS+0.5 {
		pre = append(pre, fmt.Sprintf("fps=%d", MaxFPS))
		fps = MaxFPS
	}
	scale := func(r Rendition, label string) string {
		return fmt.Sprintf("scale=%d:%d,setsar=1,format=yuv420p[%s]", r.Width, r.Height, label)
	}
	outputs := len(videos)
	if sprite != nil {
		outputs++
	}
	if outputs == 1 {
		return "[0:v:0]" + joinFilters(append(pre, scale(videos[0], "v0"))), fps
	}
	var b strings.Builder
	b.WriteString("[0:v:0]")
	b.WriteString(joinFilters(append(pre, fmt.Sprintf("split=%d", outputs))))
	for i := 0; i < outputs; i++ {
		fmt.Fprintf(&b, "[s%d]", i)
	}
	for i, r := range videos {
		fmt.Fprintf(&b, ";[s%d]%s", i, scale(r, fmt.Sprintf("v%d", i)))
	}
	if sprite != nil {
		fmt.Fprintf(&b, ";[s%d]%s[sprite]", len(videos), sprite.filter())
	}
	return b.String(), fps
}

func joinFilters(f []string) string { return strings.Join(f, ",") }

// streamMap writes -var_stream_map: one variant per video rendition, each
// naming the audio group, and the audio once as that group's default
// member. Audio alone is a single audio variant.
func streamMap(videos []Rendition, audio *Rendition) string {
	var parts []string
	if audio != nil {
		if len(videos) > 0 {
			parts = append(parts, fmt.Sprintf("a:0,agroup:audio,name:%s,default:yes", audio.Name))
		} else {
			parts = append(parts, fmt.Sprintf("a:0,name:%s", audio.Name))
		}
	}
	for i, r := range videos {
		p := fmt.Sprintf("v:%d,name:%s", i, r.Name)
		if audio != nil {
			p = fmt.Sprintf("v:%d,agroup:audio,name:%s", i, r.Name)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// kbps writes a bit rate the way ffmpeg options take it: "650k".
func kbps(bitsPerSecond int) string { return strconv.Itoa(bitsPerSecond/1000) + "k" }

// seconds writes a time offset for -ss.
func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }
