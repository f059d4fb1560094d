package media_test

import (
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/testkit"
)

// wantInvalid checks that err is an EInvalid error showing msg.
func wantInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %q", msg)
	}
	if code := lectern.ErrorCodeOf(err); code != lectern.EInvalid {
		t.Errorf("code = %s, want %s (err: %v)", code, lectern.EInvalid, err)
	}
	if got := lectern.ErrorMessage(err); got != msg {
		t.Errorf("message = %q\nwant      %q", got, msg)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := func(i media.Info) media.Info {
		if i.SizeBytes == 0 {
			i.SizeBytes = 1 << 20
		}
		if i.DurationSeconds == 0 {
			i.DurationSeconds = 60
		}
		if i.Container == "" {
			i.Container = "matroska,webm"
		}
		return i
	}
	rotated8K := video(7680, 4320)
	rotated8K.Rotation = 270
	tests := []struct {
		name string
		info media.Info
		want string // "" means valid
	}{
		{"video with audio is valid", ok(media.Info{Video: video(1280, 720), Audio: stereo}), ""},
		{"audio-only is valid", ok(media.Info{Audio: stereo}), ""},
		{"silent video is valid", ok(media.Info{Video: video(640, 360)}), ""},
		{"8K portrait is valid", ok(media.Info{Video: rotated8K}), ""},
		{"24 hours exactly is valid", ok(media.Info{Audio: stereo, DurationSeconds: 24 * 3600}), ""},
		{"zero-byte file is refused",
			media.Info{Audio: stereo, DurationSeconds: 60},
			"This file is empty (0 bytes). Please check the file on your computer and upload it again."},
		{"still picture is refused",
			ok(media.Info{Container: "image2", Video: video(640, 480), DurationSeconds: 0.04}),
			"This file is a still picture, not a recording. Please upload a video or audio file."},
		{"file without video or audio is refused",
			ok(media.Info{}),
			"This file contains no video or audio that we can play."},
		{"video larger than 8K is refused",
			ok(media.Info{Video: video(15360, 8640), Audio: stereo}),
			"This video is 15360×8640 pixels; the largest we accept is 7680×4320 (8K). Please export it at a smaller size."},
		{"video smaller than 16 pixels is refused",
			ok(media.Info{Video: video(8, 8), Audio: stereo}),
			"This video is only 8×8 pixels, too small to be a recording. Please upload the original file."},
		{"video narrower than 1:8 is refused",
			ok(media.Info{Video: video(4000, 16)}),
			"This video is 4000×16 pixels, a shape too narrow to play. Please upload the original file."},
		{"zero duration is refused",
			media.Info{Container: "mp3", SizeBytes: 100, Audio: stereo},
			"This recording has no length (0 seconds); it may be damaged or still being written. Please upload the finished file again."},
		{"more than 24 hours is refused",
			ok(media.Info{Audio: stereo, DurationSeconds: 25*3600 + 180}),
			"This recording is 25 h 3 min long; the longest we accept is 24 hours. Please split it into parts and upload each one."},
		{"MP4 smaller than its index promises is refused as damaged",
			media.Info{Container: "mov,mp4,m4a,3gp,3g2,mj2", SizeBytes: 474022, DurationSeconds: 4,
				Video: &media.VideoStream{Width: 640, Height: 360, BitRate: 1823578},
				Audio: &media.AudioStream{Channels: 1, BitRate: 64818}},
			"This recording is incomplete or damaged, perhaps because the upload or the recording was cut short. Please upload the original file again."},
		{"complete MP4 passes the size check",
			media.Info{Container: "mov,mp4,m4a,3gp,3g2,mj2", SizeBytes: 948045, DurationSeconds: 4,
				Video: &media.VideoStream{Width: 640, Height: 360, BitRate: 1823578},
				Audio: &media.AudioStream{Channels: 1, BitRate: 64818}},
			""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := media.Validate(tt.info)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			wantInvalid(t, err, tt.want)
		})
	}
}

// TestBadFiles runs real bad files through Probe and Validate, as the
// pipeline does, and checks what the lecturer is told.
func TestBadFiles(t *testing.T) {
	t.Parallel()
	testkit.RequireFFmpeg(t)
	dir := t.TempDir()
	const (
		notMedia = "This file is not a video or audio recording we can read."
		damaged  = "This recording is incomplete or damaged, perhaps because the upload or the recording was cut short. Please upload the original file again."
	)
	clip := testkit.MakeVideo(t, dir, testkit.MediaSpec{Seconds: 2, Width: 160, Height: 120, Audio: true})
	fastStart := testkit.MakeVideo(t, dir, testkit.MediaSpec{Seconds: 2, Width: 160, Height: 120, Audio: true, FastStart: true})
	tests := []struct {
		name string
		path string
		want string
	}{
		{"text file named .mp4 is not media", testkit.MakeNotMedia(t, dir), notMedia},
		{"zero-byte file is empty", testkit.MakeEmpty(t, dir),
			"This file is empty (0 bytes). Please check the file on your computer and upload it again."},
		{"MP4 cut in half before its index is damaged", testkit.MakeTruncated(t, clip), damaged},
		{"MP4 cut in half after its index is damaged", testkit.MakeTruncated(t, fastStart), damaged},
		{"MP4 with only subtitles has nothing to play", testkit.MakeSubtitlesOnly(t, dir),
			"This file contains no video or audio that we can play."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info, err := media.Probe(t.Context(), tt.path)
			if err == nil {
				err = media.Validate(info)
			}
			wantInvalid(t, err, tt.want)
		})
	}
}
