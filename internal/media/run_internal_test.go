package media

import (
	"slices"
	"strings"
	"testing"
)

func TestReadProgress(t *testing.T) {
	t.Parallel()
	out := strings.Join([]string{
		"frame=0", "out_time_us=N/A", "out_time_ms=N/A", "progress=continue",
		"frame=25", "out_time_us=1000000", "out_time_ms=1000000", "progress=continue",
		"frame=50", "out_time_us=2500000", "progress=continue",
		"frame=50", "out_time_ms=2500000", "progress=continue", // no advance
		"out_time_us=9000000", "progress=end", // past the stated duration
	}, "\n")
	var fractions []float64
	p := newProgress(4, func(f float64) { fractions = append(fractions, f) })
	readProgress(strings.NewReader(out), p.observe)
	p.done()
	if want := []float64{0.25, 0.625, 0.999, 1}; !slices.Equal(fractions, want) {
		t.Errorf("fractions = %v, want %v", fractions, want)
	}
}

func TestProgressWithoutDurationReportsOnlyTheEnd(t *testing.T) {
	t.Parallel()
	var fractions []float64
	p := newProgress(0, func(f float64) { fractions = append(fractions, f) })
	readProgress(strings.NewReader("out_time_us=1000000\nprogress=end\n"), p.observe)
	p.done()
	if !slices.Equal(fractions, []float64{1}) {
		t.Errorf("fractions = %v, want [1]", fractions)
	}
}

func TestTailBufferKeepsTheLastWholeLines(t *testing.T) {
	t.Parallel()
	b := &tailBuffer{max: 64}
	var all strings.Builder
	for i := range 100 {
		line := strings.Repeat("x", i%7) + " line\n"
		all.WriteString(line)
		b.Write([]byte(line))
	}
	all.WriteString("Error opening input: No such file\n")
	b.Write([]byte("Error opening input: No such file\n"))
	got := b.String()
	full := strings.TrimSpace(all.String())
	if len(got) > 64 || !strings.HasSuffix(full, got) || full[len(full)-len(got)-1] != '\n' {
		t.Errorf("tail = %q, want whole last lines within 64 bytes", got)
	}
	short := &tailBuffer{max: 64}
	short.Write([]byte("one\ntwo\n"))
	if got := short.String(); got != "one\ntwo" {
		t.Errorf("tail = %q, want everything", got)
	}
}

func TestSniffMedia(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"mp4", "\x00\x00\x00\x20ftypisom", true},
		{"matroska", "\x1a\x45\xdf\xa3\x01\x00", true},
		{"wav", "RIFF\x24\x08\x00\x00WAVE", true},
		{"avi", "RIFF\x24\x08\x00\x00AVI ", true},
		{"ogg", "OggS\x00\x02", true},
		{"mp3 with ID3", "ID3\x03\x00", true},
		{"text", "Lecture 3 notes\n", false},
		{"pdf", "%PDF-1.7\n", false},
		{"RIFF but not media", "RIFF\x24\x08\x00\x00WEBP", false},
		{"short", "ft", false},
	}
	for _, tt := range tests {
		if got := sniffMedia([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: sniffMedia = %v, want %v", tt.name, got, tt.want)
		}
	}
}
