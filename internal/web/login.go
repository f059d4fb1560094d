package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// LoginView is the sign-in form.
type LoginView struct {
	Layout
	Email string // kept when the form is shown again
	Next  string // a local path to go to after signing in, or ""
	Error string // plain, safe message; empty when there is none
}

// Home serves GET /: signed-in users go to their videos, others to sign in.
func (p *Pages) Home(w http.ResponseWriter, r *http.Request) error {
	if _, ok := request.User(r.Context()); ok {
		return seeOther(w, r, "/videos")
	}
	return seeOther(w, r, "/login")
}

// LoginForm serves GET /login.
func (p *Pages) LoginForm(w http.ResponseWriter, r *http.Request) error {
	next := LocalPath(r.URL.Query().Get("next"))
	if _, ok := request.User(r.Context()); ok {
		return seeOther(w, r, orDefault(next, "/videos"))
	}
	return p.render(w, r, http.StatusOK, "login", &LoginView{Layout: Layout{Title: "Sign in"}, Next: next})
}

// Login serves POST /login. A wrong password shows the form again with
// status 401; too many failures show it with status 429, Retry-After and
// the wait in words. Success starts a session and redirects (303) to next
// when it is a local path, else to /videos.
func (p *Pages) Login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := LocalPath(r.PostFormValue("next"))
	v := &LoginView{Layout: Layout{Title: "Sign in"}, Email: email, Next: next}

	user, err := p.cfg.Identity.Authenticate(ctx, email, r.PostFormValue("password"), request.ClientAddr(r))
	if err != nil {
		status := 0
		switch lectern.ErrorCodeOf(err) {
		case lectern.ETooMany:
			wait := lectern.RetryAfterOf(err)
			w.Header().Set("Retry-After", fmt.Sprint(max(wait, 1)))
			v.Error = "Too many failed sign-in attempts. Wait " + waitWords(wait) + ", then try again."
			status = http.StatusTooManyRequests
		case lectern.EUnauthorized, lectern.ENotFound:
			status = http.StatusUnauthorized
		case lectern.EForbidden:
			status = http.StatusForbidden
		case lectern.EInvalid:
			status = http.StatusBadRequest
		default:
			return err
		}
		if v.Error == "" {
			v.Error = lectern.ErrorMessage(err)
		}
		v.Title = "Error: " + v.Title
		return p.render(w, r, status, "login", v)
	}

	token, session, err := p.cfg.Identity.StartSession(ctx, user.ID, request.ClientAddr(r), r.UserAgent())
	if err != nil {
		return fmt.Errorf("start session for user %s: %w", user.ID, err)
	}
	request.SetSessionCookie(w, token, session.ExpiresAt, p.cfg.SecureCookies)
	return seeOther(w, r, orDefault(next, "/videos"))
}

// LocalPath returns next when it is a path on this site ("/videos?x=1"),
// and "" for anything a browser could read as another site: absolute URLs,
// scheme-relative "//host", back-slashes (which browsers treat as slashes)
// and control characters (which browsers strip).
func LocalPath(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2048 {
		return ""
	}
	if strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return ""
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// waitWords turns a Retry-After in seconds into words: "30 seconds",
// "1 minute", "15 minutes", "2 hours".
func waitWords(seconds int) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case seconds < 60:
		return plural(max(seconds, 1), "second")
	case seconds < 2*3600:
		return plural((seconds+59)/60, "minute")
	default:
		return plural((seconds+3599)/3600, "hour")
	}
}
