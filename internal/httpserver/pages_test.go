package httpserver_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// Every page template is rendered at least once (and so checked for
// accessibility by the browser helper). A new template fails this test
// until it is added here.
func TestEveryPageTemplateRenders(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, withMedia(t, db))
		testkit.Must(t, s.outbox.Send(context.Background(), "x@uni.example", "Subject", "Text"), "send")
		mails, err := s.outbox.List(context.Background(), 1)
		testkit.Must(t, err, "list")
		anon, admin := s.browser(), s.browser()
		admin.signIn(adminEmail, adminPassword)

		visits := map[string]func() response{
			"login":          func() response { return anon.get("/login") },
			"forgot":         func() response { return anon.get("/password/forgot") },
			"reset":          func() response { return anon.get("/password/reset?token=abc") },
			"videos":         func() response { return admin.get("/videos") },
			"admin_settings": func() response { return admin.get("/admin/settings") },
			"admin_users":    func() response { return admin.get("/admin/users") },
			"admin_outbox":   func() response { return admin.get("/admin/outbox") },
			"admin_mail":     func() response { return admin.get("/admin/outbox/" + mails[0].ID) },
			"error":          func() response { return admin.get("/no/such/page") },
		}
		for name, visit := range catalogVisits(s, admin) {
			visits[name] = visit
		}
		for name, visit := range mediaVisits(s, admin) {
			visits[name] = visit
		}
		for name, visit := range sharingVisits(t, db) {
			visits[name] = visit
		}
		entries, err := os.ReadDir("../web/templates")
		testkit.Must(t, err, "read templates")
		var templates []string
		for _, e := range entries {
			if name := strings.TrimSuffix(e.Name(), ".html"); name != "layout" {
				templates = append(templates, name)
			}
		}
		var visited []string
		for name := range visits {
			visited = append(visited, name)
		}
		sort.Strings(visited)
		if strings.Join(templates, ",") != strings.Join(visited, ",") {
			t.Fatalf("templates %v, test visits %v", templates, visited)
		}
		for name, visit := range visits {
			r := visit()
			if r.status != http.StatusOK && name != "error" {
				t.Errorf("%s: status %d", name, r.status)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: Content-Type %q", name, r.header.Get("Content-Type"))
			}
		}
	})
}

func TestUnknownPagesAre404InTheLayout(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		b.signIn(userEmail, userPassword)
		r := b.get("/no/such/page")
		wantStatus(t, "unknown page", r, http.StatusNotFound)
		wantContains(t, "404 page", r.body, "<h1>Page not found</h1>", ">Sign out</button>", "<title>Page not found – Lectern</title>")
		r = b.post("/videos", url.Values{"csrf_token": {b.cookie("lectern_csrf")}})
		if r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
			t.Errorf("POST /videos: %d", r.status)
		}
	})
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		for _, path := range []string{"/login", "/api/v1/me", "/no/such/page", "/healthz"} {
			r := s.browser().get(path)
			csp := r.header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'self'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s: CSP %q lacks %s", path, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("%s: CSP allows inline code", path)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
				t.Errorf("%s: headers %v", path, r.header)
			}
		}
		if r := s.browser().get("/login"); r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("login page Cache-Control %q", r.header.Get("Cache-Control"))
		}
	})
}

func TestStaticFilesHaveChecksummedURLsAndLongCaching(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		page := b.get("/login")
		m := regexp.MustCompile(`href="(/static/lectern\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("no checksummed stylesheet link in:\n%s", page.body)
		}
		css := b.get(m[1])
		wantStatus(t, "stylesheet", css, http.StatusOK)
		if ct := css.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := css.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("Cache-Control %q", cc)
		}
		wantContains(t, "stylesheet", css.body, ":focus-visible", ".skip-link")
		if len(css.header.Values("Set-Cookie")) > 0 {
			t.Error("a static file sets cookies")
		}
		wantStatus(t, "unknown static file", b.get("/static/nope.css"), http.StatusNotFound)
	})
}

func TestServerErrorsNeverShowInternalText(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		secret, _, err := s.identity.CreateAPIToken(context.Background(), s.user.ID, "script")
		testkit.Must(t, err, "create token")
		b := s.browser()
		b.signIn(userEmail, userPassword)
		s.db.Close() // every query now fails with a driver error

		page := b.get("/videos")
		wantStatus(t, "page while the database is down", page, http.StatusInternalServerError)
		wantContains(t, "500 page", page.body, "Something went wrong on our side.", "quote reference")
		apiResp := s.apiGet("/api/v1/me", secret)
		wantStatus(t, "API while the database is down", apiResp, http.StatusInternalServerError)
		if e := decodeError(t, apiResp); e.Error.Code != "internal" || !strings.HasPrefix(e.Error.Message, "Something went wrong on our side.") {
			t.Errorf("API error %+v", e)
		}
		for _, body := range []string{page.body, apiResp.body} {
			for _, leak := range []string{"sql", "closed", "pool", "sqlite", "postgres", "database"} {
				if strings.Contains(strings.ToLower(body), leak) {
					t.Errorf("error response mentions %q:\n%s", leak, body)
				}
			}
		}
		ref := regexp.MustCompile(`<code>([0-9a-f]+)</code>`).FindStringSubmatch(page.body)
		if ref == nil || !strings.Contains(s.logs.String(), "request_id="+ref[1]) {
			t.Errorf("the reference on the page is not in the log")
		}
		if !strings.Contains(s.logs.String(), "closed") {
			t.Errorf("the log lacks the internal error:\n%s", s.logs.String())
		}
	})
}
