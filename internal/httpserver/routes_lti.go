package httpserver

import (
	"net/http"
	"strings"

	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/lti/ltiweb"
)

// ltiRoutes is the LMS integration's URL space (DESIGN §6): the LTI 1.3
// login, launch (also deep-linking) and key set, the LTI 1.1 launch, the
// video picker, the course page and the platform registry. Without
// Deps.LTI none of it is served.
func (s *server) ltiRoutes(mux *http.ServeMux) {
	if s.deps.LTI == nil {
		return
	}
	h := ltiweb.New(ltiweb.Config{LTI: s.deps.LTI, Identity: s.deps.Identity, Settings: s.deps.Settings,
		SecureCookies: s.deps.SecureCookies, Logger: s.log})
	s.lti = h

	// What the LMS calls (cross-site; see ltiExempt).
	mux.Handle("GET "+lti.PathLogin, s.page(public, h.Login))
	mux.Handle("POST "+lti.PathLogin, s.page(public, h.Login))
	mux.Handle("POST "+lti.PathLaunch, s.page(public, h.Launch))
	mux.Handle("POST "+lti.PathDeepLink, s.page(public, h.Launch))
	mux.Handle("POST "+lti.PathLaunch11, s.page(public, h.Launch11))
	mux.Handle("GET "+lti.PathJWKS, s.page(public, h.JWKS))
	mux.Handle("GET /lti/autosubmit.js", s.page(public, h.AutosubmitJS))

	// Pages inside the LMS frame.
	mux.Handle("GET /lti/pick/{token}", s.page(public, h.Picker))
	mux.Handle("POST /lti/pick/{token}", s.page(public, h.Pick))
	mux.Handle("GET /lti/courses/{id}", s.page(signedIn, h.Course))
	mux.Handle("POST /lti/courses/{id}/sync", s.page(signedIn, h.SyncRoster))
	mux.Handle("POST /lti/links/{id}/unbind", s.page(signedIn, h.Unbind))

	// The platform registry.
	mux.Handle("GET /admin/lti", s.page(admin, h.AdminHome))
	mux.Handle("GET /admin/lti/new", s.page(admin, h.AdminNew))
	mux.Handle("POST /admin/lti/platforms", s.page(admin, h.AdminCreate))
	mux.Handle("GET /admin/lti/platforms/{id}", s.page(admin, h.AdminEdit))
	mux.Handle("POST /admin/lti/platforms/{id}", s.page(admin, h.AdminUpdate))
	mux.Handle("POST /admin/lti/platforms/{id}/delete", s.page(admin, h.AdminDelete))
	mux.Handle("POST /admin/lti/keys", s.page(admin, h.AdminRotateKey))
	mux.Handle("POST /admin/lti/settings", s.page(admin, h.AdminSettings))
	mux.Handle("GET /admin/lti/links", s.page(admin, h.AdminLinks))
}

// ltiExempt reports whether r is a form post an LMS (or the picker inside
// its frame, which may not get Lectern's cookies) sends across sites, to
// be let past the CSRF layer. Each has its own proof in place of CSRF
// protection: the login's state cookie, nonce and the platform's signature
// (/lti/launch, /lti/deep-link), the OAuth signature, timestamp and nonce
// (/lti/1.1/launch), nothing to protect (/lti/login only starts a login),
// and the unguessable picker token (/lti/pick/{token}, which returns the
// deep-linking answer).
func (s *server) ltiExempt(r *http.Request) bool {
	if s.lti == nil || r.Method != http.MethodPost {
		return false
	}
	switch p := r.URL.Path; p {
	case lti.PathLogin, lti.PathLaunch, lti.PathDeepLink, lti.PathLaunch11:
		return true
	default:
		token, ok := strings.CutPrefix(p, "/lti/pick/")
		return ok && token != "" && !strings.Contains(token, "/")
	}
}

// allowLMSFraming lets the registered LMSs show Lectern in a frame: it
// adds their origins to the CSP frame-ancestors set by securityHeaders
// (X-Frame-Options cannot name other sites, so it goes when there are
// any). The list is cached by the LTI service.
func (s *server) allowLMSFraming(w http.ResponseWriter, r *http.Request) {
	if s.lti == nil || isAPI(r) {
		return
	}
	origins := s.lti.FrameOrigins(r.Context())
	if len(origins) == 0 {
		return
	}
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'self'") {
		return
	}
	h.Set("Content-Security-Policy", strings.Replace(csp, "frame-ancestors 'self'", "frame-ancestors 'self' "+strings.Join(origins, " "), 1))
	h.Del("X-Frame-Options")
}
