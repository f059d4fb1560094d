// Package web serves Lectern's server-rendered pages. Each page action has
// its own file; every page is a typed view rendered into the one layout.
// Templates and assets are embedded and parsed when the server starts, so
// a broken template stops start-up instead of a request.
//
// Handlers return an error instead of writing one: httpserver owns the one
// error renderer and calls RenderError for the HTML body.
package web

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
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sitesettings"
)

//go:embed templates/*.html
var templateFS embed.FS

// Config is what the pages need. Every field is required except Logger
// and Now, which default to slog.Default and time.Now.
type Config struct {
	Identity *identity.Service
	Outbox   *notify.Outbox
	Settings *sitesettings.Service
	Access   *access.Service
	Catalog  *catalog.Service
	// Playback (the player, viewing statistics) and Processing (pipeline
	// progress) are optional: without them the session page has no player
	// or progress bar, and the statistics page is not served.
	Playback      *playback.Service
	Processing    playback.ProgressSource
	BaseURL       string
	SecureCookies bool
	Now           func() time.Time
	Logger        *slog.Logger
}

// Pages holds the parsed templates and the services the pages call.
type Pages struct {
	cfg    Config
	log    *slog.Logger
	pages  map[string]*template.Template
	assets *assets
}

// New parses every template and hashes every asset. An error here is a bug
// in the templates and should stop the server from starting.
func New(cfg Config) (*Pages, error) {
	if cfg.Identity == nil || cfg.Outbox == nil || cfg.Settings == nil || cfg.Access == nil || cfg.Catalog == nil {
		return nil, fmt.Errorf("web: Identity, Outbox, Settings, Access and Catalog are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p := &Pages{cfg: cfg, log: cfg.Logger, assets: a}
	if p.pages, err = parsePages(a); err != nil {
		return nil, err
	}
	return p, nil
}

func parsePages(a *assets) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"static":   a.url,
		"datetime": formatTime,
		"date":     formatDate,
		"duration": formatDuration,
		"label":    stateLabel,
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template)
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", f, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("web: %s does not define \"content\"", f)
		}
		pages[name] = t
	}
	return pages, nil
}

func formatTime(t time.Time) template.HTML {
	if t.IsZero() {
		return "–"
	}
	t = t.UTC()
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `">` +
		template.HTMLEscapeString(t.Format("2 Jan 2006 15:04 UTC")) + `</time>`)
}

// Layout is what every page shows around its content. Handlers set Title
// and Section; render fills in the rest.
type Layout struct {
	Title string // the page's own title; the site name is appended
	// Section is which main navigation link is current: "videos",
	// "folders", "approvals", "audit", "recycle-bin" or "admin".
	Section      string
	SiteName     string
	SupportEmail string
	User         *lectern.User // nil when nobody is signed in
	CSRFToken    string
}

func (l *Layout) layout() *Layout { return l }

// view is a typed page view: a struct embedding Layout.
type view interface{ layout() *Layout }

// render executes page into a buffer and only then writes status and body,
// so that a failing template never sends half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	t, ok := p.pages[page]
	if !ok {
		return fmt.Errorf("web: no page template %q", page)
	}
	l := v.layout()
	site := p.site(r.Context())
	l.SiteName, l.SupportEmail = site.SiteName, site.SupportEmail
	if u, ok := request.User(r.Context()); ok {
		l.User = &u
	}
	l.CSRFToken = request.CSRFToken(r.Context())
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// site returns the site settings, or the defaults when they cannot be read:
// an error page must still render while the database is down.
func (p *Pages) site(ctx context.Context) sitesettings.Settings {
	s, err := p.cfg.Settings.Get(ctx)
	if err != nil {
		p.log.WarnContext(ctx, "site settings unavailable; using defaults", "err", err)
		return sitesettings.Defaults()
	}
	return s
}

// seeOther redirects after a form post or to a canonical page.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// currentUser returns the signed-in user. Routes that need one are wrapped
// by httpserver so that this never fails for them.
func currentUser(r *http.Request) (lectern.User, error) {
	u, ok := request.User(r.Context())
	if !ok {
		return lectern.User{}, lectern.Errorf(lectern.EUnauthorized, "Sign in to see this page.")
	}
	return u, nil
}
