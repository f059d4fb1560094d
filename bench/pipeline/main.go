// Command pipeline measures what Lectern's processing adds to the encode
// itself: the wall time from the start of a tus upload of a 60 s 720p
// lecture-like clip to the session being ready, against the bare ffmpeg
// ladder command alone on the same clip; and, for the record, the
// single-decode ladder against one ffmpeg run per rendition.
//
//	go run ./bench/pipeline [-seconds 60]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/lectern-edu/lectern/bench/harness"
	"github.com/lectern-edu/lectern/bench/lecture"
	"github.com/lectern-edu/lectern/internal/media"
)

func main() {
	seconds := flag.Int("seconds", 60, "clip length")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lectern-bench-pipeline-")
	harness.Must(err)
	defer os.RemoveAll(dir)

	src := filepath.Join(dir, "lecture.mp4")
	log.Printf("generating a %d s 1280x720 lecture-like clip ...", *seconds)
	harness.Must(lecture.Make(ctx, dir, src, lecture.Spec{Seconds: *seconds, Width: 1280, Height: 720, FPS: 30}))
	info, err := media.Probe(ctx, src)
	harness.Must(err)
	ladder := media.Ladder(info)

	log.Printf("bare ffmpeg ladder (one decode, split) ...")
	bare := timeIt(func() { encode(ctx, src, info, ladder, filepath.Join(dir, "bare")) })

	log.Printf("one ffmpeg run per rendition ...")
	separate := timeIt(func() {
		for i, r := range ladder {
			encode(ctx, src, info, []media.Rendition{r}, filepath.Join(dir, fmt.Sprintf("sep%d", i)))
		}
	})

	log.Printf("Lectern: tus upload to ready ...")
	site, err := harness.Start(ctx, nil)
	harness.Must(err)
	defer site.Stop()
	start := time.Now()
	id, err := site.Upload(ctx, src, "Pipeline benchmark")
	harness.Must(err)
	uploaded := time.Since(start)
	harness.Must(site.WaitReady(ctx, id))
	pipeline := time.Since(start)

	fmt.Printf("\nPipeline overhead: %d s 1280x720 clip, ladder %s\n\n", *seconds, names(ladder))
	fmt.Printf("%-44s %8.1f s\n", "bare ffmpeg ladder (one decode, split)", bare.Seconds())
	fmt.Printf("%-44s %8.1f s  (upload %.2f s)\n", "Lectern upload -> ready", pipeline.Seconds(), uploaded.Seconds())
	fmt.Printf("%-44s %8.2fx (target <= 1.15x)\n", "ratio", pipeline.Seconds()/bare.Seconds())
	fmt.Printf("\n%-44s %8.1f s\n", "one ffmpeg per rendition", separate.Seconds())
	fmt.Printf("%-44s %8.2fx\n", "single decode / separate runs", bare.Seconds()/separate.Seconds())
}

func encode(ctx context.Context, src string, info media.Info, ladder []media.Rendition, out string) {
	for _, r := range ladder {
		harness.Must(os.MkdirAll(filepath.Join(out, r.Name), 0o755))
	}
	i := info
	if len(ladder) == 1 && ladder[0].Kind == media.KindAudio {
		i.Video = nil
	}
	if len(ladder) == 1 && ladder[0].Kind == media.KindVideo {
		i.Audio = nil
	}
	argv := media.TranscodeArgs(media.Transcode{Input: src, Info: i, Ladder: ladder, OutDir: out})
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if b, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("ffmpeg: %v\n%s", err, b)
	}
}

func timeIt(f func()) time.Duration {
	t := time.Now()
	f()
	return time.Since(t)
}

func names(l []media.Rendition) string {
	s := ""
	for i, r := range l {
		if i > 0 {
			s += " + "
		}
		s += r.Name
	}
	return s
}
