package httpserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/api"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// renderError is the one place an error becomes a response. Under /api/ it
// writes {"error":{"code","message"}}; elsewhere an HTML page in the site's
// layout, except that a page needing a signed-in user redirects to /login.
// Users see only the error's safe message; server errors go to the log in
// full, with the request id that the page shows.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	st := stateFrom(ctx)
	code := lectern.ErrorCodeOf(err)
	status := request.Status(code)
	msg := lectern.ErrorMessage(err)

	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		s.log.InfoContext(ctx, "client went away", "route", r.Pattern, "request_id", st.id)
	case status >= 500:
		s.log.ErrorContext(ctx, "request failed", "route", r.Pattern, "request_id", st.id, "code", string(code), "err", err)
	default:
		s.log.DebugContext(ctx, "request refused", "route", r.Pattern, "request_id", st.id, "code", string(code), "err", err)
	}
	if st.rec.wroteHeader {
		return // the handler already started its answer; nothing more to send
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(max(lectern.RetryAfterOf(err), 1)))
	}

	if isAPI(r) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lectern"`)
		}
		api.WriteError(w, status, code, msg)
		return
	}
	if status == http.StatusUnauthorized {
		next := r.URL.Path
		if r.Method == http.MethodGet && r.URL.RawQuery != "" {
			next += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	reference := ""
	if status >= 500 {
		reference = st.id
	}
	s.pages.RenderError(w, r, status, msg, reference)
}
