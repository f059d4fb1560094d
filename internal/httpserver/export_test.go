package httpserver

import "net/http"

// NewRouteMatcher is for tests: it builds the route table of a server made
// from deps and returns a function that says which pattern serves a
// request ("" when only the catch-all does). Routes that depend on an
// optional service are in it only when deps has that service.
func NewRouteMatcher(deps Deps) (func(*http.Request) string, error) {
	deps.Registry = nil // a fresh one: the site's own server has registered its metrics
	s, err := newServer(deps)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	s.routes(mux)
	return func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		if pattern == catchAll {
			return ""
		}
		return pattern
	}, nil
}
