package media

import (
	"fmt"
	"math"
)

// Kind says what a rendition carries.
type Kind string

const (
	KindVideo Kind = "video"
	KindAudio Kind = "audio"
)

// Rendition is one HLS variant: a video size or the shared audio.
type Rendition struct {
	// Name is unique in a ladder and names the rendition's folder:
	// "1080p", "720p", "360p", a source's own size such as "540p", or
	// "audio".
	Name string
	Kind Kind
	// Width and Height are even, in square pixels, never above the
	// source's display size. Zero for audio.
	Width, Height int
	// Bitrate in bits per second: for video the cap (x264 maxrate) on a
	// constant-quality encode, for audio the AAC bit rate.
	Bitrate int
	// Channels is 1 or 2 for audio, zero for video.
	Channels int
}

// box is a standard rung: the frame a rendition must fit in, as long side
// by short side so that portrait sources get the same pixel budget.
type box struct{ long, short int }

var boxes = []box{{1920, 1080}, {1280, 720}, {640, 360}}

// AudioBitrate is the one shared AAC rendition's bit rate, mono. Lecture
// audio is speech, which AAC-LC carries transparently at 64 kb/s mono;
// stereo would double the audio for nothing a lecture needs, and audio is
// a large share of the bytes at the lower rungs.
const AudioBitrate = 64_000

// Ladder picks the renditions for a recording: video renditions largest
// first, then one audio rendition that every video variant shares.
//
// Video rungs are 1080p, 720p and 360p, taken to mean boxes of 1920×1080,
// 1280×720 and 640×360 turned to the source's orientation: the source is
// scaled to fit inside each box with its aspect kept, so a 1080×1920 phone
// video gets a 1080×1920 "1080p" and a 4:3 capture a 1440×1080 one. A box
// the source already fits inside would mean upscaling, so it is skipped:
// a 640×360 source gets only 360p.
//
// A source that falls between rungs (960×540, 854×480, 1600×900) also gets
// its own size as the top rung when it has at least 1.5 times the pixels
// of the next rung down. Otherwise a 540p lecture would play at 360p at
// best, and slide text would lose legibility for no gain; below the 1.5
// mark (1280×800 against 720p) the extra rung would cost an encode and
// storage for a difference nobody sees. A source smaller than 360p gets its
// own size as its only rung.
//
// The video bit rate scales with pixel count to the power 0.75 from
// 3.5 Mb/s at 1920×1080 (1.9 Mb/s at 720p, 650 kb/s at 360p), rounded to
// 50 kb/s. Lecture content (slides, a speaker) is easy to compress, and the
// encode is constant-quality under that cap, so static slides cost far
// less than the cap.
//
// Audio is one AAC rendition at AudioBitrate, mono. An audio-only source gets no video renditions; a silent video gets no audio
// rendition. Ladder expects an Info that passed Validate.
func Ladder(info Info) []Rendition {
	var ladder []Rendition
	if v := info.Video; v != nil {
		ladder = videoRungs(v.DisplaySize())
	}
	if info.Audio != nil {
		ladder = append(ladder, Rendition{Name: "audio", Kind: KindAudio, Channels: 1, Bitrate: AudioBitrate})
	}
	return ladder
}

func videoRungs(w, h int) []Rendition {
	if w < 2 || h < 2 {
		return nil
	}
	var rungs []Rendition
	for _, b := range boxes {
		rw, rh, fits := fitBox(w, h, b)
		if fits || (len(rungs) > 0 && min(rw, rh) >= min(rungs[len(rungs)-1].Width, rungs[len(rungs)-1].Height)) {
			continue // upscaling, or no smaller than the rung above
		}
		rungs = append(rungs, videoRendition(rw, rh))
	}
	own := videoRendition(evenFloor(w), evenFloor(h))
	switch {
	case len(rungs) == 0:
		return []Rendition{own}
	case len(rungs) < len(boxes) && // the source is below the top box
		float64(own.Width*own.Height) >= 1.5*float64(rungs[0].Width*rungs[0].Height):
		return append([]Rendition{own}, rungs...)
	}
	return rungs
}

// fitBox scales w×h to fit inside b (turned to the source's orientation)
// with the aspect kept. fits reports that the source is already strictly
// inside the box, where fitting would mean upscaling.
func fitBox(w, h int, b box) (fw, fh int, fits bool) {
	bw, bh := b.long, b.short
	if h > w {
		bw, bh = bh, bw
	}
	s := math.Min(float64(bw)/float64(w), float64(bh)/float64(h))
	if s > 1 {
		return w, h, true
	}
	return evenRound(float64(w)*s, w), evenRound(float64(h)*s, h), false
}

// fitWithin scales w×h down (never up) to fit inside long×short turned to
// its orientation, keeping the aspect; results are even.
func fitWithin(w, h, long, short int) (int, int) {
	fw, fh, fits := fitBox(w, h, box{long, short})
	if fits {
		return evenFloor(w), evenFloor(h)
	}
	return fw, fh
}

func videoRendition(w, h int) Rendition {
	return Rendition{
		Name:    fmt.Sprintf("%dp", min(w, h)),
		Kind:    KindVideo,
		Width:   w,
		Height:  h,
		Bitrate: videoBitrate(w, h),
	}
}

// videoBitrate is 3.5 Mb/s × (pixels / 1080p pixels)^0.75, rounded to
// 50 kb/s, at least 100 kb/s.
func videoBitrate(w, h int) int {
	r := 3_500_000 * math.Pow(float64(w*h)/(1920*1080), 0.75)
	return max(100_000, int(math.Round(r/50_000))*50_000)
}

// evenRound rounds x to the nearest even number, at least 2 and not above
// limit (rounded down to even).
func evenRound(x float64, limit int) int {
	n := int(math.Round(x/2)) * 2
	return max(2, min(n, evenFloor(limit)))
}

func evenFloor(n int) int { return max(2, n-n%2) }
