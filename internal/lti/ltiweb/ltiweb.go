// Package ltiweb is the HTTP side of Lectern's LMS integration: the LTI
// 1.3 login, launch and key set endpoints, the LTI 1.1 launch, the video
// picker teachers use from the LMS, the course page, and the admin pages
// of the platform registry. Handlers return errors for httpserver's one
// error renderer, except launch refusals, which get their own page naming
// the check that failed.
//
// Pages shown inside an LMS frame cannot count on Lectern's cookies (the
// browser may block them there), so the picker is reached by a token in
// its URL, and cookies set by a launch are SameSite=None (on https).
package ltiweb

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sitesettings"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are parsed once, when the program starts: a broken template stops
// start-up (and the tests), never a request.
var pages = parsePages()

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
		"duration": func(d time.Duration) string { return d.Round(time.Second).String() },
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, f))
		if t.Lookup("content") == nil {
			panic(fmt.Sprintf("ltiweb: %s does not define \"content\"", f))
		}
		out[name] = t
	}
	return out
}

// Config is what the handlers need; Logger defaults to slog.Default.
type Config struct {
	LTI           *lti.Service
	Identity      *identity.Service
	Settings      *sitesettings.Service
	SecureCookies bool
	Logger        *slog.Logger
}

// Handlers serves the LTI endpoints and pages.
type Handlers struct {
	cfg Config
	lti *lti.Service
	log *slog.Logger
}

// New returns the handlers.
func New(cfg Config) *Handlers {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handlers{cfg: cfg, lti: cfg.LTI, log: cfg.Logger}
}

// FrameOrigins lists the registered LMS origins that may show Lectern in
// a frame.
func (h *Handlers) FrameOrigins(ctx context.Context) []string { return h.lti.FrameOrigins(ctx) }

// Layout is what every LTI page shows around its content.
type Layout struct {
	Title        string
	SiteName     string
	SupportEmail string
	User         *lectern.User
	CSRFToken    string
	AdminNav     string // the current admin section, for admin pages
}

func (l *Layout) layout() *Layout { return l }

type view interface{ layout() *Layout }

// render executes a page into a buffer, then writes it.
func (h *Handlers) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	t, ok := pages[page]
	if !ok {
		return fmt.Errorf("ltiweb: no page %q", page)
	}
	l := v.layout()
	site, err := h.cfg.Settings.Get(r.Context())
	if err != nil {
		site = sitesettings.Defaults()
	}
	l.SiteName, l.SupportEmail = site.SiteName, site.SupportEmail
	if u, ok := request.User(r.Context()); ok && l.User == nil {
		l.User = &u
	}
	l.CSRFToken = request.CSRFToken(r.Context())
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// sameSite is the SameSite mode of cookies a launch sets: None on https,
// so that the browser sends them inside the LMS's frame (a cross-site
// context); Lax on plain http, where browsers refuse None.
func (h *Handlers) sameSite() http.SameSite {
	if h.cfg.SecureCookies {
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}

// signIn starts a login session for the launched user and sets its cookie
// (and the CSRF cookie) so that they work inside the LMS's frame.
func (h *Handlers) signIn(w http.ResponseWriter, r *http.Request, u lectern.User) error {
	token, sess, err := h.cfg.Identity.StartSession(r.Context(), u.ID, request.ClientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: request.SessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: h.cfg.SecureCookies, SameSite: h.sameSite(), Partitioned: h.cfg.SecureCookies})
	if h.cfg.SecureCookies {
		http.SetCookie(w, &http.Cookie{Name: request.CSRFCookie, Value: request.CSRFToken(r.Context()), Path: "/",
			HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
	}
	return nil
}

// parseForm reads a form post of at most 1 MiB (the LTI endpoints are
// exempt from the CSRF layer, which would otherwise have parsed it).
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return &lectern.Error{Code: lectern.EInvalid, Message: "The form could not be read.", Err: err}
	}
	return nil
}

// currentUser is the signed-in user; routes that need one are wrapped so
// that this never fails for them.
func currentUser(r *http.Request) (lectern.User, error) {
	u, ok := request.User(r.Context())
	if !ok {
		return lectern.User{}, lectern.Errorf(lectern.EUnauthorized, "Sign in to see this page.")
	}
	return u, nil
}

func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
