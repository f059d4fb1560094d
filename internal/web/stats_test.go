package web

import (
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/playback"
)

func TestClockAndParts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		secs float64
		want string
	}{{0, "0:00"}, {9.9, "0:09"}, {75, "1:15"}, {3600, "1:00:00"}, {3725, "1:02:05"}, {-3, "0:00"}} {
		if got := clock(tc.secs); got != tc.want {
			t.Errorf("clock(%v) = %q, want %q", tc.secs, got, tc.want)
		}
	}
	if got := parts(nil); got != "Nothing yet" {
		t.Errorf("parts(nil) = %q", got)
	}
	if got := parts([][2]int{{0, 70}, {150, 180}}); got != "0:00–1:10, 2:30–3:00" {
		t.Errorf("parts = %q", got)
	}
	many := make([][2]int, 12)
	for i := range many {
		many[i] = [2]int{i * 10, i*10 + 5}
	}
	if got := parts(many); !strings.HasSuffix(got, "1:30–1:35 and 2 more") {
		t.Errorf("parts of 12 stretches = %q, want ten and a count", got)
	}
}

func TestDropOffChart(t *testing.T) {
	t.Parallel()
	buckets := make([]playback.Bucket, 20)
	for i := range buckets {
		buckets[i] = playback.Bucket{StartPercent: i * 5}
	}
	empty := dropOffChart(buckets, 200, 0)
	if !empty.Empty || !strings.HasPrefix(empty.Summary, "Nobody has watched") || len(empty.Bars) != 20 {
		t.Fatalf("chart of nobody = %+v", empty)
	}
	for _, b := range empty.Bars {
		if b.H != 0 {
			t.Fatalf("a bar of nobody has height %d", b.H)
		}
	}
	buckets[0] = playback.Bucket{StartPercent: 0, Viewers: 4, Share: 1}
	buckets[1] = playback.Bucket{StartPercent: 5, Viewers: 2, Share: 0.5}
	buckets[19] = playback.Bucket{StartPercent: 95, Viewers: 1, Share: 0.25}
	c := dropOffChart(buckets, 200, 4)
	first, second, last := c.Bars[0], c.Bars[1], c.Bars[19]
	if first.H != 2*second.H || first.Y+first.H != second.Y+second.H || first.Percent != 100 || second.Percent != 50 {
		t.Errorf("bars do not share a baseline or scale: %+v %+v", first, second)
	}
	if first.Span != "0:00–0:10" || last.Span != "3:10–3:20" || last.Part != "95–100 %" {
		t.Errorf("spans = %q, %q (%s)", first.Span, last.Span, last.Part)
	}
	if last.X+last.W > c.PlotRight || first.X < c.PlotLeft {
		t.Errorf("bars outside the plot: first x %d, last ends %d, plot %d..%d", first.X, last.X+last.W, c.PlotLeft, c.PlotRight)
	}
	want := "Of 4 viewers, 100 % watched the opening (0:00–0:10) and 25 % the last part (3:10–3:20). The fewest, 0 %, watched 10–15 % (0:20–0:30)."
	if !strings.HasPrefix(c.Summary, want) {
		t.Errorf("summary = %q\nwant prefix %q", c.Summary, want)
	}
}
