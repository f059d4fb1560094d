package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// state is what the outer middleware learns from the inner layers: the
// route pattern the mux chose and the authenticated user. Handlers further
// in see copies of the request, so it travels as a pointer in the context.
type state struct {
	id      string // request id, in logs and on 500 pages
	pattern string // the mux pattern, e.g. "GET /admin/outbox/{id}"
	userID  string
	rec     *recorder
}

type stateKey struct{}

// stateFrom returns the request's state; a detached one if there is none
// (a handler called directly in a test).
func stateFrom(ctx context.Context) *state {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		return st
	}
	return &state{rec: &recorder{}}
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (rw *recorder) WriteHeader(code int) {
	if !rw.wroteHeader && code >= 200 {
		rw.status, rw.wroteHeader = code, true
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom passes io.Copy through to net/http's own ReadFrom, which sends
// an *os.File with sendfile: without it every media segment would be
// copied through a 32 KiB buffer in user space.
func (rw *recorder) ReadFrom(src io.Reader) (int64, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	var n int64
	var err error
	if rf, ok := rw.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{rw.ResponseWriter}, src)
	}
	rw.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// Flush supports streaming responses.
func (rw *recorder) Flush() {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe is the outermost layer: it gives the request an id, recovers
// from panics with a 500 page, then logs the request and counts it in the
// metrics by route pattern. Neither the log nor the metrics see the URL's
// path or query, which can hold tokens.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &state{id: newRequestID(), rec: &recorder{ResponseWriter: w}}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		st.rec.Header().Set("X-Request-Id", st.id)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
				if st.rec.wroteHeader {
					s.log.ErrorContext(r.Context(), "panic after the response started", "request_id", st.id, "route", st.pattern, "err", err)
				} else {
					s.renderError(st.rec, r, err)
				}
			}
			s.logRequest(r, st, time.Since(start))
		}()
		next.ServeHTTP(st.rec, r)
	})
}

func (s *server) logRequest(r *http.Request, st *state, d time.Duration) {
	status := st.rec.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	route := st.pattern
	if route == "" || route == catchAll {
		route = "unmatched"
	}
	s.metrics.observe(r.Method, route, status, d)

	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics":
		level = slog.LevelDebug // probes every few seconds would drown the log
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("bytes", st.rec.bytes),
		slog.String("request_id", st.id),
	}
	if st.userID != "" {
		attrs = append(attrs, slog.String("user_id", st.userID))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// contentSecurityPolicy allows only this site's own scripts, styles and
// images (there are no inline scripts or styles anywhere), and framing by
// this site only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'self'"

// securityHeaders sets the headers every response carries.
func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.deps.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// isAPI reports whether a request is for the JSON API, which gets JSON
// errors and accepts Bearer tokens.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
