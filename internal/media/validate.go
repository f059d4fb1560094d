package media

import (
	"fmt"
	"math"
	"strings"

	"github.com/lectern-edu/lectern"
)

// Limits a recording must fall within.
const (
	MaxLongSide     = 7680 // 8K UHD, either orientation
	MaxShortSide    = 4320
	MinSide         = 16
	MaxAspect       = 8 // long side over short side
	MaxDurationSecs = 24 * 60 * 60
)

// Messages shown to the lecturer whose upload failed. They say what is
// wrong with the file in words, and what to do.
const (
	msgNotMedia   = "This file is not a video or audio recording we can read."
	msgEmpty      = "This file is empty (0 bytes). Please check the file on your computer and upload it again."
	msgDamaged    = "This recording is incomplete or damaged, perhaps because the upload or the recording was cut short. Please upload the original file again."
	msgStill      = "This file is a still picture, not a recording. Please upload a video or audio file."
	msgNoStreams  = "This file contains no video or audio that we can play."
	msgNoDuration = "This recording has no length (0 seconds); it may be damaged or still being written. Please upload the finished file again."
)

// Validate reports whether a probed file is a recording Lectern can
// process. It returns nil or an EInvalid *lectern.Error with a message for
// the lecturer. Audio-only recordings are valid.
//
// A cut-short MP4 whose index comes first still probes; Validate catches
// it by comparing the file size with the stream sizes the index promises.
func Validate(info Info) error {
	invalid := func(format string, args ...any) error {
		return lectern.Errorf(lectern.EInvalid, format, args...)
	}
	if info.SizeBytes == 0 {
		return invalid(msgEmpty)
	}
	if isStillImage(info.Container) {
		return invalid(msgStill)
	}
	if info.Video == nil && info.Audio == nil {
		return invalid(msgNoStreams)
	}
	if v := info.Video; v != nil {
		w, h := v.DisplaySize()
		long, short := max(w, h), min(w, h)
		switch {
		case long > MaxLongSide || short > MaxShortSide:
			return invalid("This video is %d×%d pixels; the largest we accept is 7680×4320 (8K). Please export it at a smaller size.", w, h)
		case short < MinSide:
			return invalid("This video is only %d×%d pixels, too small to be a recording. Please upload the original file.", w, h)
		case long > MaxAspect*short:
			return invalid("This video is %d×%d pixels, a shape too narrow to play. Please upload the original file.", w, h)
		}
	}
	d := info.DurationSeconds
	switch {
	case d <= 0 || math.IsNaN(d):
		return invalid(msgNoDuration)
	case d > MaxDurationSecs:
		return invalid("This recording is %s long; the longest we accept is 24 hours. Please split it into parts and upload each one.", humanDuration(d))
	}
	if truncatedMP4(info) {
		return invalid(msgDamaged)
	}
	return nil
}

// isStillImage reports whether ffprobe read the file as a picture.
func isStillImage(container string) bool {
	return container == "image2" || strings.HasSuffix(container, "_pipe")
}

// truncatedMP4 reports whether an MP4 or MOV file is clearly smaller than
// the samples its index lists. For those containers ffprobe derives each
// stream's bit rate from the index, so a complete file is always at least
// that large; 10 % slack absorbs rounding.
func truncatedMP4(info Info) bool {
	if !strings.Contains(info.Container, "mp4") && !strings.Contains(info.Container, "mov") {
		return false
	}
	var bitsPerSecond int64
	if info.Video != nil {
		bitsPerSecond += info.Video.BitRate
	}
	if info.Audio != nil {
		bitsPerSecond += info.Audio.BitRate
	}
	if bitsPerSecond == 0 {
		return false
	}
	promised := float64(bitsPerSecond) / 8 * info.DurationSeconds
	return float64(info.SizeBytes)*1.1 < promised
}

// humanDuration writes seconds as "25 h 3 min".
func humanDuration(secs float64) string {
	m := int64(secs / 60)
	if m >= 1<<40 {
		return "far too"
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}
