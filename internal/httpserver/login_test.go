package httpserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestLoginSucceedsSetsSessionCookieAndShowsMyVideos(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		r := b.submit("/login", "/login", url.Values{"email": {userEmail}, "password": {userPassword}})
		wantStatus(t, "POST /login", r, http.StatusSeeOther)
		if r.location() != "/videos" {
			t.Fatalf("redirect to %q, want /videos", r.location())
		}
		var session string
		for _, c := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "lectern_session=") {
				session = c
			}
		}
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(session, want) {
				t.Errorf("session cookie %q lacks %s", session, want)
			}
		}
		if strings.Contains(session, "Secure") {
			t.Errorf("session cookie %q is Secure on an http site", session)
		}
		videos := b.get("/videos")
		wantStatus(t, "GET /videos", videos, http.StatusOK)
		wantContains(t, "GET /videos", videos.body, "<h1>My videos</h1>", "You have no videos yet.", "Grace User", ">Sign out</button>")
		if strings.Contains(videos.body, `href="/admin/settings"`) {
			t.Error("a non-admin sees the Admin link")
		}
		home := b.get("/")
		if home.status != http.StatusSeeOther || home.location() != "/videos" {
			t.Errorf("GET / signed in: %d → %q, want 303 → /videos", home.status, home.location())
		}
		if r := b.get("/login"); r.status != http.StatusSeeOther || r.location() != "/videos" {
			t.Errorf("GET /login signed in: %d → %q, want 303 → /videos", r.status, r.location())
		}
	})
}

func TestAnonymousVisitorsAreSentToSignIn(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		if r := b.get("/"); r.status != http.StatusSeeOther || r.location() != "/login" {
			t.Errorf("GET /: %d → %q, want 303 → /login", r.status, r.location())
		}
		r := b.get("/videos")
		if r.status != http.StatusSeeOther || r.location() != "/login?next=%2Fvideos" {
			t.Fatalf("GET /videos: %d → %q, want 303 → /login?next=%%2Fvideos", r.status, r.location())
		}
		form := b.get(r.location())
		wantContains(t, "login form", form.body, `name="next" value="/videos"`)
		r = b.submit(r.location(), "/login", url.Values{"email": {userEmail}, "password": {userPassword}, "next": {"/videos"}})
		if r.status != http.StatusSeeOther || r.location() != "/videos" {
			t.Fatalf("sign in with next: %d → %q", r.status, r.location())
		}
	})
}

func TestLoginWithWrongPasswordShowsPlainMessageWith401(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		r := b.submit("/login", "/login", url.Values{"email": {userEmail}, "password": {"not-the-password"}})
		wantStatus(t, "POST /login", r, http.StatusUnauthorized)
		wantContains(t, "wrong password", r.body,
			`role="alert" class="alert">Incorrect email or password.</div>`,
			`value="`+userEmail+`"`,
			`aria-invalid="true"`)
		if strings.Contains(r.body, "not-the-password") {
			t.Error("the typed password is echoed back")
		}
		if b.cookie("lectern_session") != "" {
			t.Error("a failed sign-in set a session cookie")
		}
	})
}

func TestRepeatedFailedLoginsAre429WithTheWait(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, withLoginLimit(3))
		b := s.browser()
		for i := range 3 {
			r := b.submit("/login", "/login", url.Values{"email": {userEmail}, "password": {"guess-number-" + string(rune('a'+i))}})
			wantStatus(t, "failed attempt", r, http.StatusUnauthorized)
		}
		r := b.submit("/login", "/login", url.Values{"email": {userEmail}, "password": {userPassword}})
		wantStatus(t, "attempt over the limit", r, http.StatusTooManyRequests)
		if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After = %q", ra)
		}
		wantContains(t, "rate limited", r.body, "Too many failed sign-in attempts. Wait ", "minutes, then try again.", `role="alert"`)
	})
}

func TestLoginRefusesRedirectsToOtherSites(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, next, want string }{
		{"local path is kept", "/admin/users?page=1", "/admin/users?page=1"},
		{"scheme-relative URL", "//evil.example", "/videos"},
		{"scheme-relative with path", "//evil.example/videos", "/videos"},
		{"absolute URL", "https://evil.example/", "/videos"},
		{"backslash that browsers read as a slash", `/\evil.example`, "/videos"},
		{"tab that browsers strip", "/\t/evil.example", "/videos"},
		{"javascript URL", "javascript:alert(1)", "/videos"},
		{"relative path", "videos", "/videos"},
	}
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b := s.browser()
				r := b.submit("/login?next="+url.QueryEscape(tc.next), "/login",
					url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {tc.next}})
				if r.status != http.StatusSeeOther || r.location() != tc.want {
					t.Fatalf("next=%q: %d → %q, want 303 → %q", tc.next, r.status, r.location(), tc.want)
				}
				if tc.want == "/videos" && strings.Contains(b.last.body, "evil.example") {
					t.Errorf("login form keeps the foreign next %q", tc.next)
				}
			})
		}
	})
}

func TestLogoutEndsTheSessionEverywhere(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		b.signIn(userEmail, userPassword)
		oldSession := b.cookie("lectern_session")
		if oldSession == "" {
			t.Fatal("no session cookie after signing in")
		}
		r := b.submit("/videos", "/logout", url.Values{})
		if r.status != http.StatusSeeOther || r.location() != "/login" {
			t.Fatalf("POST /logout: %d → %q", r.status, r.location())
		}
		if b.cookie("lectern_session") != "" {
			t.Error("the session cookie was not cleared")
		}
		// A copy of the old cookie, replayed by another client, no longer works.
		thief := s.browser()
		u, _ := url.Parse(s.srv.URL)
		thief.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lectern_session", Value: oldSession}})
		r = thief.get("/videos")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Fatalf("old cookie after logout: %d → %q, want a redirect to /login", r.status, r.location())
		}
	})
}
