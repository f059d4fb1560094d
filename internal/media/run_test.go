package media_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/media"
	"github.com/lectern-edu/lectern/testkit"
)

func TestRunCancelKillsFFmpeg(t *testing.T) {
	t.Parallel()
	testkit.RequireFFmpeg(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "endless.mp4")
	// An endless source: only cancelling ends it.
	argv := []string{"ffmpeg", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
		"-c:v", "libx264", "-preset", "ultrafast", "-progress", "pipe:1", "-nostats", marker}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var fractions []float64
	start := time.Now()
	err := media.Run(ctx, argv, 3600, func(f float64) {
		fractions = append(fractions, f)
		cancel() // as soon as ffmpeg is known to be working
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	var runErr *media.RunError
	if !errors.As(err, &runErr) || runErr.Program != "ffmpeg" {
		t.Errorf("err = %#v, want a *media.RunError for ffmpeg", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Run took %v to return after cancelling", took)
	}
	if len(fractions) == 0 || fractions[len(fractions)-1] >= 1 {
		t.Errorf("progress = %v, want some and never 1", fractions)
	}
	if pids := processesMentioning(t, marker); len(pids) > 0 {
		t.Errorf("processes still running with %s in their command line: %v", marker, pids)
	}
}

func TestRunFailureKeepsStderrTail(t *testing.T) {
	t.Parallel()
	testkit.RequireFFmpeg(t)
	missing := filepath.Join(t.TempDir(), "missing.mp4")
	var called bool
	err := media.Run(t.Context(), []string{"ffmpeg", "-nostdin", "-i", missing, "-f", "null", "-"}, 10,
		func(float64) { called = true })
	var runErr *media.RunError
	if !errors.As(err, &runErr) {
		t.Fatalf("Run = %v, want a *media.RunError", err)
	}
	if !strings.Contains(runErr.Stderr, "No such file or directory") || len(runErr.Stderr) > 4096 {
		t.Errorf("Stderr = %q", runErr.Stderr)
	}
	if !strings.Contains(err.Error(), "exit status") {
		t.Errorf("Error() = %q, want the exit status in it", err)
	}
	if called {
		t.Error("progress was reported for a failed run")
	}
}

func TestRunMissingProgram(t *testing.T) {
	t.Parallel()
	err := media.Run(t.Context(), []string{"lectern-no-such-program"}, 1, nil)
	if err == nil {
		t.Fatal("Run = nil, want an error")
	}
	if err := media.Run(t.Context(), nil, 1, nil); err == nil {
		t.Fatal("Run(nil) = nil, want an error")
	}
}

// processesMentioning lists the processes whose command line contains s.
func processesMentioning(t *testing.T, s string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to check for leftover processes: %v", err)
	}
	var pids []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), s) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
