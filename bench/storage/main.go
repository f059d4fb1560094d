// Command storage measures what stored hours cost: the bytes per hour of
// Lectern's HLS ladder for a lecture-like recording, against PeerTube's
// default transcoding of the same recording, with the quality (SSIM
// against the near-lossless source) and CPU time of each rendition.
//
//	go run ./bench/storage [-seconds 300] [-keep DIR]
//
// PeerTube's defaults, from its source: x264 -preset veryfast, CRF 23
// capped by -maxrate T -bufsize 2T with T = width×height×fps×bpp (bpp 0.11
// at 720p, 0.12 at 480p, 0.15 at 360p), -b_strategy 1 -bf 16, keyframes
// every 2 s, 4 s fMP4 segments, the source audio copied into every
// rendition, lower renditions made from the 720p output.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern/bench/lecture"
	"github.com/lectern-edu/lectern/internal/media"
)

func main() {
	seconds := flag.Int("seconds", 300, "length of the generated lecture (slides change every seconds/10)")
	keep := flag.String("keep", "", "keep the work files in this directory")
	flag.Parse()
	ctx := context.Background()

	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "lectern-bench-storage-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	src := filepath.Join(dir, "lecture.mp4")
	if _, err := os.Stat(src); err != nil {
		log.Printf("generating a %d s lecture-like recording ...", *seconds)
		if err := lecture.Make(ctx, dir, src, lecture.Spec{Seconds: *seconds, Width: 1280, Height: 720, FPS: 30}); err != nil {
			log.Fatal(err)
		}
	}
	info, err := media.Probe(ctx, src)
	if err != nil {
		log.Fatal(err)
	}
	hours := info.DurationSeconds / 3600

	// Lectern: the production argv, settings kept in package media.
	lout := filepath.Join(dir, "lectern")
	os.RemoveAll(lout)
	ladder := media.Ladder(info)
	for _, r := range ladder {
		os.MkdirAll(filepath.Join(lout, r.Name), 0o755)
	}
	argv := media.TranscodeArgs(media.Transcode{Input: src, Info: info, Ladder: ladder, OutDir: lout})
	log.Printf("Lectern ladder ...")
	lcpu, lwall := measure(ctx, argv)
	lectern := map[string]int64{}
	for _, r := range ladder {
		lectern[r.Name] = dirBytes(filepath.Join(lout, r.Name))
	}

	// PeerTube: 720p from the source, lower rungs from the 720p output.
	pout := filepath.Join(dir, "peertube")
	os.RemoveAll(pout)
	peertube := map[string]int64{}
	var pcpu, pwall time.Duration
	type rung struct {
		name string
		w, h int
		bpp  float64
	}
	rungs := []rung{{"720p", 1280, 720, 0.11}, {"480p", 854, 480, 0.12}, {"360p", 640, 360, 0.15}}
	top := filepath.Join(pout, "720p.mp4")
	for i, r := range rungs {
		in := src
		if i > 0 {
			in = top
		}
		os.MkdirAll(filepath.Join(pout, r.name), 0o755)
		t := int(float64(r.w*r.h*30) * r.bpp)
		enc := []string{"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", in,
			"-vf", fmt.Sprintf("scale=%d:%d", r.w, r.h), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
			"-maxrate", strconv.Itoa(t), "-bufsize", strconv.Itoa(2 * t), "-b_strategy", "1", "-bf", "16",
			"-g", "60", "-keyint_min", "60", "-pix_fmt", "yuv420p", "-c:a", "copy"}
		out := filepath.Join(pout, r.name+".mp4")
		log.Printf("PeerTube %s ...", r.name)
		c, w := measure(ctx, append(enc, out))
		pcpu += c
		pwall += w
		// Packaging into 4 s fMP4 HLS segments is a remux.
		c, w = measure(ctx, []string{"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", out, "-c", "copy",
			"-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
			"-hls_segment_filename", filepath.Join(pout, r.name, "seg_%05d.m4s"), filepath.Join(pout, r.name, "index.m3u8")})
		pcpu += c
		pwall += w
		peertube[r.name] = dirBytes(filepath.Join(pout, r.name))
	}

	fmt.Printf("\nStorage: %.0f s lecture-like clip, 1280x720 30 fps (bytes per hour of recording)\n\n", info.DurationSeconds)
	fmt.Printf("%-10s %16s %8s %16s %8s\n", "rendition", "Lectern B/h", "SSIM", "PeerTube B/h", "SSIM")
	var ltotal, ptotal int64
	for _, name := range []string{"1080p", "720p", "540p", "480p", "360p", "audio"} {
		lb, lok := lectern[name]
		pb, pok := peertube[name]
		if !lok && !pok {
			continue
		}
		row := fmt.Sprintf("%-10s", name)
		if lok {
			ltotal += lb
			row += fmt.Sprintf(" %16s %8s", perHour(lb, hours), ssimOf(ctx, filepath.Join(lout, name, media.VariantPlaylist), src, name))
		} else {
			row += fmt.Sprintf(" %16s %8s", "-", "")
		}
		if pok {
			ptotal += pb
			row += fmt.Sprintf(" %16s %8s", perHour(pb, hours), ssimOf(ctx, filepath.Join(pout, name, "index.m3u8"), src, name))
		} else {
			row += fmt.Sprintf(" %16s %8s", "-", "")
		}
		fmt.Println(row)
	}
	fmt.Printf("%-10s %16s %8s %16s\n", "total", perHour(ltotal, hours), "", perHour(ptotal, hours))
	fmt.Printf("\nbytes: Lectern/PeerTube = %.2fx (target <= 0.45x)\n", float64(ltotal)/float64(ptotal))
	fmt.Printf("CPU time: Lectern %.1f s, PeerTube %.1f s, ratio %.2fx (target <= 1.2x)\n", lcpu.Seconds(), pcpu.Seconds(), lcpu.Seconds()/pcpu.Seconds())
	fmt.Printf("wall time: Lectern %.1f s, PeerTube %.1f s\n", lwall.Seconds(), pwall.Seconds())
}

// measure runs argv and returns its CPU time (user+system) and wall time.
func measure(ctx context.Context, argv []string) (cpu, wall time.Duration) {
	start := time.Now()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		log.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), time.Since(start)
}

var ssimAll = regexp.MustCompile(`All:([0-9.]+)`)

// ssimOf compares a rendition with the source scaled to the rendition's
// size by the same scaler; audio has no SSIM.
func ssimOf(ctx context.Context, playlist, src, name string) string {
	if name == "audio" {
		return ""
	}
	h, err := strconv.Atoi(strings.TrimSuffix(name, "p"))
	if err != nil {
		return "?"
	}
	w := h * 16 / 9
	w -= w % 2
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-allowed_extensions", "ALL", "-i", playlist, "-i", src,
		"-lavfi", fmt.Sprintf("[0:v]scale=%d:%d,setpts=PTS-STARTPTS[d];[1:v]fps=30,scale=%d:%d,setpts=PTS-STARTPTS[r];[d][r]ssim", w, h, w, h),
		"-f", "null", "-")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "err"
	}
	m := ssimAll.FindAllSubmatch(out, -1)
	if m == nil {
		return "?"
	}
	return string(m[len(m)-1][1])
}

func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func perHour(b int64, hours float64) string {
	return fmt.Sprintf("%.1f MB", float64(b)/hours/1e6)
}
