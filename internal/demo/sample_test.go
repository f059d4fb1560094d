package demo

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/testkit"
)

// The sample lecture is a valid recording for the pipeline: 20 s of
// 640×360 H.264 with AAC audio.
func TestMakeSampleIsAValidRecording(t *testing.T) {
	t.Parallel()
	testkit.RequireFFmpeg(t)
	ctx := context.Background()
	path, err := MakeSample(ctx, t.TempDir())
	testkit.Must(t, err, "make sample")
	info, err := media.Probe(ctx, path)
	testkit.Must(t, err, "probe")
	testkit.Must(t, media.Validate(info), "validate")
	if math.Abs(info.DurationSeconds-SampleSeconds) > 0.5 {
		t.Errorf("duration %.2f s, want %d", info.DurationSeconds, SampleSeconds)
	}
	if info.Video == nil || info.Video.Codec != "h264" || info.Video.Width != 640 || info.Video.Height != 360 {
		t.Errorf("video %+v, want 640×360 H.264", info.Video)
	}
	if info.Audio == nil || info.Audio.Codec != "aac" {
		t.Errorf("audio %+v, want AAC", info.Audio)
	}
}

func TestSlideFilterShowsEachSlideInTurn(t *testing.T) {
	t.Parallel()
	f := slideFilter("/fonts/Sans.ttf")
	for i, s := range slides {
		if !strings.Contains(f, "text='"+s.title+"'") || !strings.Contains(f, "text='"+s.line+"'") {
			t.Errorf("slide %d is missing from the filter:\n%s", i+1, f)
		}
		if strings.ContainsAny(s.title+s.line, `':,\%`) {
			t.Errorf("slide %d has a character the filter graph would misread", i+1)
		}
	}
	for _, want := range []string{"enable='gte(t,0)*lt(t,5)'", "enable='gte(t,15)*lt(t,20)'", "fontfile=/fonts/Sans.ttf"} {
		if !strings.Contains(f, want) {
			t.Errorf("filter lacks %q:\n%s", want, f)
		}
	}
}
