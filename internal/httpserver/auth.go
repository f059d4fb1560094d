package httpserver

import (
	"net/http"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// access is who may use a route.
type access int

const (
	public   access = iota // no credentials are read (static files, the OpenAPI document)
	anyone                 // the caller is identified if signed in, but need not be
	signedIn               // a signed-in user (pages) or valid credentials (API)
	admin                  // a site admin
)

// handlerFunc is a page or API handler: it writes a response, or returns
// an error for the one error renderer to write.
type handlerFunc func(http.ResponseWriter, *http.Request) error

// page wraps a page handler: it identifies the caller from the session
// cookie, enforces a, and renders any error as an HTML page (anonymous
// visitors to a signedIn page are redirected to /login?next=…).
func (s *server) page(a access, h handlerFunc) http.Handler {
	return s.wrap(a, h, s.sessionUser)
}

// api wraps an API handler: the caller is identified by a Bearer token, or
// failing that the session cookie; errors are JSON.
func (s *server) api(a access, h handlerFunc) http.Handler {
	return s.wrap(a, h, s.apiUser)
}

func (s *server) wrap(a access, h handlerFunc, identify func(http.ResponseWriter, *http.Request) (lectern.User, bool, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a != public {
			u, ok, err := identify(w, r)
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			if ok {
				r = r.WithContext(request.WithUser(r.Context(), u))
				stateFrom(r.Context()).userID = u.ID
			}
			switch {
			case a >= signedIn && !ok:
				s.renderError(w, r, lectern.Errorf(lectern.EUnauthorized, "Sign in, or send an API token (Authorization: Bearer <token>)."))
				return
			case a == admin && !u.IsAdmin:
				s.renderError(w, r, lectern.Errorf(lectern.EForbidden, "Only site admins may see this page."))
				return
			}
		}
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// sessionUser returns the user behind the session cookie. A cookie that no
// longer works (expired, signed out) is cleared and the caller treated as
// anonymous; a failure to check it is an error.
func (s *server) sessionUser(w http.ResponseWriter, r *http.Request) (lectern.User, bool, error) {
	token := request.SessionToken(r)
	if token == "" {
		return lectern.User{}, false, nil
	}
	u, _, err := s.deps.Identity.SessionUser(r.Context(), token)
	switch lectern.ErrorCodeOf(err) {
	case lectern.EUnauthorized, lectern.ENotFound:
		request.ClearSessionCookie(w, s.deps.SecureCookies)
		return lectern.User{}, false, nil
	}
	if err != nil {
		return lectern.User{}, false, err
	}
	return u, true, nil
}

// apiUser returns the user behind an Authorization: Bearer token, or else
// behind the session cookie. A bad token is an error (401), never a quiet
// fall-back to the cookie.
func (s *server) apiUser(w http.ResponseWriter, r *http.Request) (lectern.User, bool, error) {
	if r.Header.Get("Authorization") == "" {
		return s.sessionUser(w, r)
	}
	secret := bearerToken(r)
	if secret == "" {
		return lectern.User{}, false, lectern.Errorf(lectern.EUnauthorized, "Only Bearer tokens are accepted: send Authorization: Bearer <token>.")
	}
	u, err := s.deps.Identity.TokenUser(r.Context(), secret)
	if err != nil {
		return lectern.User{}, false, err
	}
	return u, true, nil
}
