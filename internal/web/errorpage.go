package web

import (
	"net/http"
)

// ErrorView is the page for a failed request. Message is always safe to
// show: httpserver replaces internal errors with a generic text.
type ErrorView struct {
	Layout
	Status    int
	Heading   string
	Message   string
	Reference string // the request id, shown for server errors so a report can be matched to the log
}

// RenderError writes the HTML error page. Only httpserver's error renderer
// calls it; it falls back to plain text if even the page fails to render.
func (p *Pages) RenderError(w http.ResponseWriter, r *http.Request, status int, message, reference string) {
	heading := errorHeading(status)
	v := &ErrorView{Layout: Layout{Title: heading}, Status: status, Heading: heading, Message: message, Reference: reference}
	if err := p.render(w, r, status, "error", v); err != nil {
		p.log.ErrorContext(r.Context(), "render error page", "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(heading + "\n\n" + message + "\n"))
	}
}

func errorHeading(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Something in the request is not right"
	case http.StatusUnauthorized:
		return "Sign in required"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusConflict:
		return "That clashes with something else"
	case http.StatusRequestEntityTooLarge:
		return "Too large"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusServiceUnavailable:
		return "Temporarily unavailable"
	default:
		return "Something went wrong"
	}
}
