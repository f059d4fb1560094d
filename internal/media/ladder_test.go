package media_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/media"
)

func video(w, h int) *media.VideoStream {
	return &media.VideoStream{Codec: "h264", Width: w, Height: h, FPS: 25, PixelAspect: 1}
}

var stereo = &media.AudioStream{Codec: "aac", Channels: 2, SampleRate: 48000}

// ladderString writes a ladder as "1080p 1920x1080 3500k, ..., audio 1ch 64k".
func ladderString(l []media.Rendition) string {
	var parts []string
	for _, r := range l {
		if r.Kind == media.KindAudio {
			parts = append(parts, fmt.Sprintf("%s %dch %dk", r.Name, r.Channels, r.Bitrate/1000))
		} else {
			parts = append(parts, fmt.Sprintf("%s %dx%d %dk", r.Name, r.Width, r.Height, r.Bitrate/1000))
		}
	}
	return strings.Join(parts, ", ")
}

func TestLadder(t *testing.T) {
	t.Parallel()
	rotated := video(1920, 1080)
	rotated.Rotation = 90
	anamorphic := video(720, 576)
	anamorphic.PixelAspect = 64.0 / 45
	tests := []struct {
		name string
		info media.Info
		want string
	}{
		{"1080p source gets all three rungs",
			media.Info{Video: video(1920, 1080), Audio: stereo},
			"1080p 1920x1080 3500k, 720p 1280x720 1900k, 360p 640x360 650k, audio 1ch 64k"},
		{"720p source is never upscaled to 1080p",
			media.Info{Video: video(1280, 720), Audio: stereo},
			"720p 1280x720 1900k, 360p 640x360 650k, audio 1ch 64k"},
		{"640x360 source gets only 360p",
			media.Info{Video: video(640, 360), Audio: stereo},
			"360p 640x360 650k, audio 1ch 64k"},
		{"mono source gets the same 64k mono audio",
			media.Info{Video: video(640, 360), Audio: &media.AudioStream{Channels: 1}},
			"360p 640x360 650k, audio 1ch 64k"},
		{"4K source is capped at 1080p",
			media.Info{Video: video(3840, 2160), Audio: stereo},
			"1080p 1920x1080 3500k, 720p 1280x720 1900k, 360p 640x360 650k, audio 1ch 64k"},
		{"portrait phone video gets the same pixel budget turned",
			media.Info{Video: rotated, Audio: stereo},
			"1080p 1080x1920 3500k, 720p 720x1280 1900k, 360p 360x640 650k, audio 1ch 64k"},
		{"4:3 capture keeps its aspect",
			media.Info{Video: video(1440, 1080), Audio: stereo},
			"1080p 1440x1080 2800k, 720p 960x720 1550k, 360p 480x360 550k, audio 1ch 64k"},
		{"16:10 laptop screen is close enough to 720p to need no rung of its own",
			media.Info{Video: video(1280, 800)},
			"720p 1152x720 1750k, 360p 576x360 600k"},
		{"540p source gets its own size on top",
			media.Info{Video: video(960, 540), Audio: stereo},
			"540p 960x540 1250k, 360p 640x360 650k, audio 1ch 64k"},
		{"odd dimensions come out even",
			media.Info{Video: video(1023, 767), Audio: stereo},
			"720p 960x720 1550k, 360p 480x360 550k, audio 1ch 64k"},
		{"ultra-wide capture fits the boxes by width",
			media.Info{Video: video(3840, 1080)},
			"540p 1920x540 2100k, 360p 1280x360 1150k, 180p 640x180 400k"},
		{"source smaller than 360p gets its own size only",
			media.Info{Video: video(321, 241), Audio: stereo},
			"240p 320x240 300k, audio 1ch 64k"},
		{"anamorphic PAL is widened to square pixels",
			media.Info{Video: anamorphic, Audio: stereo},
			"576p 1024x576 1350k, 360p 640x360 650k, audio 1ch 64k"},
		{"audio-only recording gets no video renditions",
			media.Info{Audio: stereo},
			"audio 1ch 64k"},
		{"silent video gets no audio rendition",
			media.Info{Video: video(640, 360)},
			"360p 640x360 650k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ladderString(media.Ladder(tt.info)); got != tt.want {
				t.Errorf("Ladder =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}
