package httpserver

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// mediaRoute is the pattern media files are counted under in metrics; it
// is also registered in routes_media.go, which serves the methods and
// shapes the fast path leaves alone.
const mediaRoute = "GET /hls/{session}/{token}/{file...}"

// mediaFastPath serves GET and HEAD of HLS playlists, segments and
// images ahead of the general middleware. These requests carry their
// authority in the URL's playback token, set no cookies, take no form
// input and arrive by the hundred per viewer, so the per-request work
// of the general chain (request ids, context values, labelled metric
// lookups, CSRF and session checks, a log line each) is left out:
// bench/delivery measures this path against nginx. Errors still go
// through the one error renderer, and requests are still counted.
type mediaFastPath struct {
	s       *server
	next    http.Handler
	handler handlerFunc
	count   map[int]prometheus.Counter  // by status class
	latency map[int]prometheus.Observer // by status class
}

func (s *server) withMediaFastPath(next http.Handler, h handlerFunc) http.Handler {
	f := &mediaFastPath{s: s, next: next, handler: h, count: map[int]prometheus.Counter{}, latency: map[int]prometheus.Observer{}}
	for _, class := range []int{2, 3, 4, 5} {
		label := string(rune('0'+class)) + "xx"
		f.count[class] = s.metrics.requests.WithLabelValues(http.MethodGet, mediaRoute, label)
		f.latency[class] = s.metrics.duration.WithLabelValues(http.MethodGet, mediaRoute, label)
	}
	return f
}

func (f *mediaFastPath) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/hls/")
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		f.next.ServeHTTP(w, r)
		return
	}
	session, rest, ok1 := strings.Cut(rest, "/")
	token, file, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || session == "" || token == "" || file == "" {
		f.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	r.SetPathValue("session", session)
	r.SetPathValue("token", token)
	r.SetPathValue("file", file)
	rec := &recorder{ResponseWriter: w}
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy) // error pages are HTML
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	func() {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				f.s.renderError(rec, r, fmt.Errorf("panic serving media: %v\n%s", v, debug.Stack()))
			}
		}()
		if err := f.handler(rec, r); err != nil {
			f.s.renderError(rec, r, err)
		}
	}()
	class := rec.status / 100
	if rec.status == 0 {
		class = 2
	}
	if c, ok := f.count[class]; ok {
		c.Inc()
		f.latency[class].Observe(time.Since(start).Seconds())
	}
}
