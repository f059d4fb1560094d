package httpserver

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// csrfMessage is what a refused form post says. The usual cause is a page
// left open across a browser restart, so the advice is to reload.
const csrfMessage = "This form has expired. Reload the page and try again."

// maxFormBytes bounds a form post's body; Lectern's forms are small.
const maxFormBytes = 1 << 20

// csrf protects every unsafe request a browser could be tricked into
// sending, in two independent ways:
//
//  1. http.CrossOriginProtection refuses requests that the browser marks as
//     cross-site (Sec-Fetch-Site) or whose Origin is another host;
//  2. a per-browser random token, kept in the lectern_csrf cookie, must come
//     back in the csrf_token form field (or the X-CSRF-Token header) of every
//     form post and every request that carries a session cookie, compared in
//     constant time.
//
// API calls with Authorization: Bearer are exempt: a browser never adds that
// header on its own, so a forged request cannot carry it. So are the LTI
// endpoints an LMS posts to across sites (ltiExempt, routes_lti.go): their
// state, nonce, signature or picker token checks stand in for CSRF there.
func (s *server) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.allowLMSFraming(w, r)
		cookieToken := ""
		if c, err := r.Cookie(request.CSRFCookie); err == nil && request.WellFormedCSRFToken(c.Value) {
			cookieToken = c.Value
		}
		r = r.WithContext(request.WithCSRF(r.Context(), w, cookieToken, s.deps.SecureCookies))
		if safeMethod(r.Method) || (isAPI(r) && bearerToken(r) != "") || s.ltiExempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.cop.Check(r); err != nil {
			s.refuseForgery(w, r, fmt.Errorf("cross-origin request refused (Origin %q, Sec-Fetch-Site %q): %w",
				r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"), err))
			return
		}
		form, err := isForm(r)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if form || request.SessionToken(r) != "" {
			sent := r.Header.Get(request.CSRFHeader)
			if sent == "" && form {
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
				if err := parseForm(r); err != nil {
					s.renderError(w, r, err)
					return
				}
				sent = r.PostFormValue(request.CSRFField)
			}
			switch {
			case cookieToken == "":
				s.refuseForgery(w, r, errors.New("no CSRF cookie"))
				return
			case subtle.ConstantTimeCompare([]byte(sent), []byte(cookieToken)) != 1:
				s.refuseForgery(w, r, errors.New("CSRF token missing or different from the cookie"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) refuseForgery(w http.ResponseWriter, r *http.Request, why error) {
	s.log.WarnContext(r.Context(), "possible request forgery refused", "reason", why.Error(), "request_id", stateFrom(r.Context()).id)
	s.renderError(w, r, &lectern.Error{Code: lectern.EForbidden, Message: csrfMessage, Err: why})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// isForm reports whether the body is a form a browser can send from any
// site without asking: urlencoded, multipart or text/plain.
func isForm(r *http.Request) (bool, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false, lectern.Errorf(lectern.EInvalid, "The Content-Type header is not valid.")
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true, nil
	}
	return false, nil
}

func parseForm(r *http.Request) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		err = r.ParseMultipartForm(maxFormBytes)
	} else {
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &lectern.Error{Code: lectern.ETooLarge, Message: "The form is too large.", Err: err}
	case err != nil:
		return &lectern.Error{Code: lectern.EInvalid, Message: "The form could not be read.", Err: err}
	}
	return nil
}

// bearerToken returns the secret of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) string {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(secret)
}
