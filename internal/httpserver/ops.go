package httpserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// healthz answers 200 "ok" while the process serves HTTP. It touches
// nothing else, so a slow database never makes a load balancer kill a
// healthy process.
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writePlain(w, http.StatusOK, "ok")
}

// readyz runs every readiness check concurrently, each bounded by
// readyTimeout. All pass: 200 "ok". Otherwise 503 with one line per check,
// "name: ok" or "name: failed: why".
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	results := make([]error, len(s.deps.Ready))
	var wg sync.WaitGroup
	for i, c := range s.deps.Ready {
		wg.Go(func() { results[i] = runCheck(r.Context(), c) })
	}
	wg.Wait()

	var b strings.Builder
	failed := false
	for i, c := range s.deps.Ready {
		if err := results[i]; err != nil {
			failed = true
			fmt.Fprintf(&b, "%s: failed: %v\n", c.Name, err)
			s.log.WarnContext(r.Context(), "readiness check failed", "check", c.Name, "err", err)
		} else {
			fmt.Fprintf(&b, "%s: ok\n", c.Name)
		}
	}
	if failed {
		writePlain(w, http.StatusServiceUnavailable, b.String())
		return
	}
	writePlain(w, http.StatusOK, "ok")
}

// runCheck runs one check with its own timeout, and gives up waiting even
// if the check ignores its context.
func runCheck(ctx context.Context, c ReadyCheck) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("check panicked: %v", v)
			}
		}()
		done <- c.Check(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %s", readyTimeout)
	}
}

func writePlain(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
