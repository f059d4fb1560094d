package media

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Runner runs one ffmpeg command line to completion. The pipeline holds
// one so that its tests can stand in for ffmpeg.
type Runner interface {
	// Run runs argv (program first). duration is the length of the media
	// being written, in seconds, to turn ffmpeg's -progress reports into
	// fractions; progress, if not nil, is called from Run's goroutine with
	// strictly increasing fractions in (0, 1), and with 1 once the command
	// has succeeded. Cancelling ctx kills the process.
	Run(ctx context.Context, argv []string, duration float64, progress func(fraction float64)) error
}

// ExecRunner runs commands as local processes.
type ExecRunner struct{}

var _ Runner = ExecRunner{}

// Run runs argv with an ExecRunner; see Runner.
func Run(ctx context.Context, argv []string, duration float64, progress func(fraction float64)) error {
	return ExecRunner{}.Run(ctx, argv, duration, progress)
}

// tailBytes is how much of a failed command's stderr is kept.
const tailBytes = 4 << 10

// RunError is a command that failed or was cancelled. Stderr holds the
// end of what it wrote there: for the log, never for users.
type RunError struct {
	Program string
	Err     error // the exit status, or the context's error when cancelled
	Stderr  string
}

func (e *RunError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("%s: %v", e.Program, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Program, e.Err, e.Stderr)
}

func (e *RunError) Unwrap() error { return e.Err }

// Run implements Runner. ffmpeg is killed as soon as ctx is done; Run
// returns only once it has exited and been reaped.
func (ExecRunner) Run(ctx context.Context, argv []string, duration float64, progress func(float64)) error {
	if len(argv) == 0 {
		return errors.New("run: empty command line")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// Should anything hold the pipes open after the kill, stop waiting.
	cmd.WaitDelay = 5 * time.Second
	stderr := &tailBuffer{max: tailBytes}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("run %s: %w", argv[0], err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", argv[0], err)
	}
	report := newProgress(duration, progress)
	readProgress(stdout, report.observe)
	err = cmd.Wait()
	if ctx.Err() != nil {
		return &RunError{Program: argv[0], Err: context.Cause(ctx), Stderr: stderr.String()}
	}
	if err != nil {
		return &RunError{Program: argv[0], Err: err, Stderr: stderr.String()}
	}
	report.done()
	return nil
}

// readProgress reads ffmpeg's -progress output (key=value lines, blocks
// ending in progress=continue or progress=end) and hands on each
// position, in microseconds. It reads to EOF so the process never blocks
// on a full pipe.
func readProgress(r io.Reader, observe func(outTimeMicros int64)) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		switch key {
		// out_time_ms is in microseconds too: a long-standing ffmpeg quirk.
		case "out_time_us", "out_time_ms":
			if us, err := strconv.ParseInt(value, 10, 64); err == nil {
				observe(us)
			}
		}
	}
	_, _ = io.Copy(io.Discard, r) // a line too long for the scanner
}

// progressReport turns positions into strictly increasing fractions.
type progressReport struct {
	duration float64
	fn       func(float64)
	last     float64
}

func newProgress(duration float64, fn func(float64)) *progressReport {
	return &progressReport{duration: duration, fn: fn}
}

// observe reports a position; fractions stay below 1 until done, since
// ffmpeg is still writing when it has read everything.
func (p *progressReport) observe(outTimeMicros int64) {
	if p.fn == nil || p.duration <= 0 || outTimeMicros <= 0 {
		return
	}
	f := min(float64(outTimeMicros)/1e6/p.duration, 0.999)
	if f > p.last {
		p.last = f
		p.fn(f)
	}
}

func (p *progressReport) done() {
	if p.fn != nil && p.last < 1 {
		p.last = 1
		p.fn(1)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max     int
	buf     []byte
	dropped bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.dropped = true
	}
	return len(p), nil
}

// String is the kept text, from the first whole line when some was dropped.
func (t *tailBuffer) String() string {
	s := string(t.buf)
	if t.dropped {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return strings.TrimSpace(s)
}

// tail returns at most the last n bytes of s, starting at a line when one
// begins within them.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	return s
}
