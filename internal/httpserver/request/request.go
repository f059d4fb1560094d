// Package request carries what the HTTP middleware learns about a request
// (the signed-in user, the CSRF token) to the page and API handlers, and
// owns Lectern's cookies. It is shared by httpserver, web and api so that
// none of them has to import another.
package request

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"time"

	"github.com/lectern-edu/lectern"
)

// Cookie and form field names. They are part of what browsers hold, so
// renaming one signs everybody out or breaks open forms.
const (
	SessionCookie = "lectern_session" // login session token (identity.StartSession)
	CSRFCookie    = "lectern_csrf"    // per-browser anti-forgery token
	CSRFField     = "csrf_token"      // hidden form field that must repeat CSRFCookie
	CSRFHeader    = "X-CSRF-Token"    // the same, for cookie-authenticated API calls
)

type ctxKey int

const (
	userKey ctxKey = iota
	csrfKey
)

// WithUser returns a context carrying the authenticated caller.
func WithUser(ctx context.Context, u lectern.User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// User returns the authenticated caller, if any.
func User(ctx context.Context) (lectern.User, bool) {
	u, ok := ctx.Value(userKey).(lectern.User)
	return u, ok
}

// csrfState hands out the browser's CSRF token, issuing a new cookie the
// first time it is needed when the browser had none. Lazily, so that
// static files and probes never carry Set-Cookie.
type csrfState struct {
	w      http.ResponseWriter
	token  string
	secure bool
}

// WithCSRF returns a context whose CSRFToken is existing, or, when
// existing is empty, a new token set as a cookie on w at first use.
func WithCSRF(ctx context.Context, w http.ResponseWriter, existing string, secure bool) context.Context {
	return context.WithValue(ctx, csrfKey, &csrfState{w: w, token: existing, secure: secure})
}

// CSRFToken returns the value every form must send back in CSRFField.
// Call it before writing the response header (pages render into a buffer).
func CSRFToken(ctx context.Context) string {
	s, ok := ctx.Value(csrfKey).(*csrfState)
	if !ok {
		return ""
	}
	if s.token == "" {
		s.token = NewCSRFToken()
		http.SetCookie(s.w, &http.Cookie{
			Name: CSRFCookie, Value: s.token, Path: "/",
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
		})
	}
	return s.token
}

// NewCSRFToken returns 32 random bytes, base64url-encoded.
func NewCSRFToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// WellFormedCSRFToken reports whether v looks like a token NewCSRFToken made.
func WellFormedCSRFToken(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// SessionToken returns the login session token the browser sent, or "".
func SessionToken(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// SetSessionCookie stores a login session token in the browser until expires.
func SetSessionCookie(w http.ResponseWriter, token string, expires time.Time, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// ClearSessionCookie tells the browser to forget its login session.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// ClientAddr is the address of the connecting peer, without the port.
// X-Forwarded-For is deliberately ignored: it is whatever the client says.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Status is the HTTP status of an error kind (DESIGN §6): the one mapping
// that the error renderer and the tus endpoint share.
func Status(code lectern.ErrorCode) int {
	switch code {
	case lectern.EInvalid:
		return http.StatusBadRequest
	case lectern.EUnauthorized:
		return http.StatusUnauthorized
	case lectern.EForbidden:
		return http.StatusForbidden
	case lectern.ENotFound:
		return http.StatusNotFound
	case lectern.EConflict:
		return http.StatusConflict
	case lectern.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case lectern.ETooMany:
		return http.StatusTooManyRequests
	case lectern.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
