// Package lecture generates a lecture-like recording for benchmarks: ten
// slides with text and bar charts changing every ~30 s, a small moving
// speaker inset with camera grain, a laser pointer, and speech from
// espeak-ng. Everything is made on the spot with ffmpeg; nothing is
// downloaded.
package lecture

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Spec is the recording to make.
type Spec struct {
	Seconds       int // total length; slides change every Seconds/10
	Width, Height int // e.g. 1280×720
	FPS           int
}

var titles = []string{
	"Week 3: Thermodynamics", "The First Law", "Internal energy", "Work and heat",
	"Enthalpy", "Heat capacity", "Adiabatic processes", "Carnot cycle", "Entropy", "Summary",
}

const speech = `Good morning everyone. Today we continue with thermodynamics.
Last week we met the zeroth law and the idea of temperature. Now we turn to the first law,
which is a statement about the conservation of energy. The change in internal energy of a
closed system equals the heat added to the system minus the work done by the system.
Let us look at a piston and a cylinder. As the gas expands it pushes the piston and does work.
If we hold the volume fixed, all the heat goes into internal energy. Please note the sign
convention on this slide, because the exam will use it. Enthalpy is useful at constant pressure.
Heat capacity tells us how much energy raises the temperature by one kelvin.`

// Make writes the recording to path as H.264 at near-lossless quality
// (CRF 4) with AAC audio: the reference that quality is measured against.
func Make(ctx context.Context, dir, path string, s Spec) error {
	font := "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	if _, err := os.Stat(font); err != nil {
		return fmt.Errorf("font %s missing: apt-get install fonts-dejavu-core", font)
	}
	wav := filepath.Join(dir, "speech.wav")
	if err := run(ctx, "espeak-ng", "-s", "150", "-w", wav, strings.ReplaceAll(speech, "\n", " ")); err != nil {
		return fmt.Errorf("espeak-ng: %w", err)
	}
	per := float64(s.Seconds) / float64(len(titles))
	var slides []string
	for i, title := range titles {
		png := filepath.Join(dir, fmt.Sprintf("slide%02d.png", i))
		if err := run(ctx, "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
			"-i", fmt.Sprintf("color=c=white:s=%dx%d", s.Width, s.Height), "-frames:v", "1",
			"-vf", slideFilter(font, title, i, s.Width, s.Height), png); err != nil {
			return fmt.Errorf("slide %d: %w", i, err)
		}
		slides = append(slides, png)
	}
	args := []string{"-nostdin", "-loglevel", "error", "-y"}
	for _, png := range slides {
		args = append(args, "-loop", "1", "-framerate", fmt.Sprint(s.FPS), "-t", fmt.Sprintf("%.3f", per), "-i", png)
	}
	inset := fmt.Sprintf("testsrc2=s=%dx%d:r=%d", s.Width/5, s.Height/5, s.FPS)
	args = append(args,
		"-f", "lavfi", "-i", inset,
		"-f", "lavfi", "-i", fmt.Sprintf("color=c=red:s=14x14:r=%d", s.FPS),
		"-stream_loop", "-1", "-i", wav)
	n := len(slides)
	var g strings.Builder
	for i := range slides {
		fmt.Fprintf(&g, "[%d:v]", i)
	}
	fmt.Fprintf(&g, "concat=n=%d:v=1:a=0,format=yuv420p[deck];", n)
	// The speaker: a moving picture with temporal camera grain.
	fmt.Fprintf(&g, "[%d:v]noise=alls=18:allf=t+u,hue=s=0.6[cam];", n)
	fmt.Fprintf(&g, "[deck][cam]overlay=x=W-w-24:y=H-h-24:shortest=1[withcam];")
	fmt.Fprintf(&g, "[withcam][%d:v]overlay=x='W/2+W/4*sin(t/3)':y='H/2+H/5*cos(t/4)':shortest=1,format=yuv420p[v]", n+1)
	args = append(args, "-filter_complex", g.String(), "-map", "[v]", "-map", fmt.Sprintf("%d:a", n+2),
		"-t", fmt.Sprint(s.Seconds), "-r", fmt.Sprint(s.FPS),
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "4", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000", "-movflags", "+faststart", path)
	return run(ctx, "ffmpeg", args...)
}

// slideFilter draws a title, bullet lines and a bar chart.
func slideFilter(font, title string, i, w, h int) string {
	esc := func(s string) string { return strings.NewReplacer(":", `\:`, "'", "").Replace(s) }
	var f []string
	f = append(f, fmt.Sprintf("drawbox=x=0:y=0:w=iw:h=%d:color=0x1f3a93:t=fill", h/7))
	f = append(f, fmt.Sprintf("drawtext=fontfile=%s:text='%s':fontcolor=white:fontsize=%d:x=%d:y=%d", font, esc(title), h/16, w/24, h/28))
	for j := 0; j < 5; j++ {
		line := fmt.Sprintf("- Point %d.%d: energy balance, sign conventions, worked example %d", i+1, j+1, (i*5+j)%7+1)
		f = append(f, fmt.Sprintf("drawtext=fontfile=%s:text='%s':fontcolor=0x222222:fontsize=%d:x=%d:y=%d", font, esc(line), h/30, w/20, h/5+j*h/14))
	}
	for j := 0; j < 6; j++ {
		bh := (h / 4) * ((i+j)%5 + 1) / 5
		f = append(f, fmt.Sprintf("drawbox=x=%d:y=%d:w=%d:h=%d:color=0x%02x8040:t=fill", w/20+j*w/16, h*9/10-bh, w/24, bh, 40+j*30))
	}
	return strings.Join(f, ",")
}

func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, tail(out))
	}
	return nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
