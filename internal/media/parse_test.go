package media_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lectern-edu/lectern/internal/media"
)

// The JSON files in testdata/probe are real ffprobe 5.1 output for small
// generated files.
func TestParseProbe(t *testing.T) {
	t.Parallel()
	const mp4 = "mov,mp4,m4a,3gp,3g2,mj2"
	tests := []struct {
		file string
		want media.Info
	}{
		{"video-640x360.json", media.Info{DurationSeconds: 4, Container: mp4, SizeBytes: 948045,
			Video: &media.VideoStream{Codec: "h264", Width: 640, Height: 360, FPS: 25, PixelAspect: 1, BitRate: 1823578},
			Audio: &media.AudioStream{Codec: "aac", Channels: 1, SampleRate: 48000, BitRate: 64818}}},
		{"video-rotated.json", media.Info{DurationSeconds: 4, Container: mp4, SizeBytes: 948045,
			Video: &media.VideoStream{Codec: "h264", Width: 640, Height: 360, FPS: 25, Rotation: 270, PixelAspect: 1, BitRate: 1823578},
			Audio: &media.AudioStream{Codec: "aac", Channels: 1, SampleRate: 48000, BitRate: 64818}}},
		{"audio-mono.json", media.Info{DurationSeconds: 2, Container: mp4, SizeBytes: 18779,
			Audio: &media.AudioStream{Codec: "aac", Channels: 1, SampleRate: 44100, BitRate: 69671}}},
		{"mp3-with-cover-art.json", media.Info{DurationSeconds: 3.030204, Container: "mp3", SizeBytes: 26684,
			Audio: &media.AudioStream{Codec: "mp3", Channels: 2, SampleRate: 44100, BitRate: 64000}}},
		{"interlaced-mkv.json", media.Info{DurationSeconds: 1, Container: "matroska,webm", SizeBytes: 135220,
			Video: &media.VideoStream{Codec: "h264", Width: 320, Height: 240, FPS: 25, PixelAspect: 1, Interlaced: true}}},
		{"still-image.json", media.Info{DurationSeconds: 0.04, Container: "image2", SizeBytes: 2166,
			Video: &media.VideoStream{Codec: "mjpeg", Width: 64, Height: 64, FPS: 25, PixelAspect: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "probe", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := media.ParseProbe(data)
			if err != nil {
				t.Fatal(err)
			}
			assertInfo(t, got, tt.want)
		})
	}
}

func TestParseProbeEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json string
		want       media.Info
	}{
		{"numbers may be strings or numbers, N/A reads as zero",
			`{"streams":[{"codec_type":"video","codec_name":"h264","width":"1280","height":720,"avg_frame_rate":"0/0","r_frame_rate":"30000/1001","bit_rate":"N/A"}],"format":{"duration":"N/A","size":12}}`,
			media.Info{SizeBytes: 12, Video: &media.VideoStream{Codec: "h264", Width: 1280, Height: 720, FPS: 30000.0 / 1001, PixelAspect: 1}}},
		{"duration falls back to the longest stream",
			`{"streams":[{"codec_type":"audio","duration":"12.5"},{"codec_type":"audio","duration":"30"}],"format":{}}`,
			media.Info{DurationSeconds: 30, Audio: &media.AudioStream{}}},
		{"legacy rotate tag is clockwise",
			`{"streams":[{"codec_type":"video","width":1920,"height":1080,"tags":{"rotate":"90"}}]}`,
			media.Info{Video: &media.VideoStream{Width: 1920, Height: 1080, Rotation: 90, PixelAspect: 1}}},
		{"display matrix rotation is counter-clockwise and wins over the tag",
			`{"streams":[{"codec_type":"video","width":16,"height":16,"tags":{"rotate":"180"},"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]}]}`,
			media.Info{Video: &media.VideoStream{Width: 16, Height: 16, Rotation: 90, PixelAspect: 1}}},
		{"anamorphic pixels widen the display size",
			`{"streams":[{"codec_type":"video","width":720,"height":576,"sample_aspect_ratio":"64:45"}]}`,
			media.Info{Video: &media.VideoStream{Width: 720, Height: 576, PixelAspect: 64.0 / 45}}},
		{"an absurd pixel aspect reads as square",
			`{"streams":[{"codec_type":"video","width":720,"height":576,"sample_aspect_ratio":"1000/1"}]}`,
			media.Info{Video: &media.VideoStream{Width: 720, Height: 576, PixelAspect: 1}}},
		{"negative and non-finite values read as zero",
			`{"streams":[{"codec_type":"video","width":-5,"height":1e400,"avg_frame_rate":"-25/1"}],"format":{"duration":"-3","size":"NaN"}}`,
			media.Info{Video: &media.VideoStream{PixelAspect: 1}}},
		{"empty object", `{}`, media.Info{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := media.ParseProbe([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			assertInfo(t, got, tt.want)
		})
	}
	t.Run("malformed JSON is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := media.ParseProbe([]byte(`{"streams":`)); err == nil {
			t.Error("want an error")
		}
	})
}

func assertInfo(t *testing.T, got, want media.Info) {
	t.Helper()
	gv, wv, ga, wa := got.Video, want.Video, got.Audio, want.Audio
	got.Video, want.Video, got.Audio, want.Audio = nil, nil, nil, nil
	if got != want {
		t.Errorf("Info = %+v, want %+v", got, want)
	}
	switch {
	case (gv == nil) != (wv == nil):
		t.Errorf("Video = %+v, want %+v", gv, wv)
	case gv != nil && *gv != *wv:
		t.Errorf("Video = %+v, want %+v", *gv, *wv)
	}
	switch {
	case (ga == nil) != (wa == nil):
		t.Errorf("Audio = %+v, want %+v", ga, wa)
	case ga != nil && *ga != *wa:
		t.Errorf("Audio = %+v, want %+v", *ga, *wa)
	}
}
