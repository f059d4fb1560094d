package httpserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestFormPostsWithoutTheCSRFTokenAreRefused(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		b.signIn(userEmail, userPassword)
		b.get("/videos") // the browser holds a CSRF cookie

		cases := []struct {
			name  string
			token string
		}{
			{"no token", ""},
			{"wrong token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				form := url.Values{}
				if tc.token != "" {
					form.Set("csrf_token", tc.token)
				}
				r := b.post("/logout", form)
				wantStatus(t, "POST /logout", r, http.StatusForbidden)
				wantContains(t, "refused form", r.body, "This form has expired. Reload the page and try again.")
				if got := b.get("/videos"); got.status != http.StatusOK {
					t.Fatalf("the refused logout signed the user out (GET /videos: %d)", got.status)
				}
			})
		}
	})
}

func TestSignInWithoutACSRFCookieIsRefused(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser() // never loaded a page: no CSRF cookie
		r := b.post("/login", url.Values{"email": {userEmail}, "password": {userPassword}, "csrf_token": {"x"}})
		wantStatus(t, "POST /login", r, http.StatusForbidden)
		if b.cookie("lectern_session") != "" {
			t.Error("signed in without a CSRF cookie")
		}
	})
}

func TestCrossOriginPostsAreRefusedEvenWithTheToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		headers []string
	}{
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://other.127.0.0.1.example"}},
		{"old browser: Origin of another host", []string{"Sec-Fetch-Site", "", "Origin", "http://evil.example"}},
	}
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		b.get("/login")
		token := csrfField.FindStringSubmatch(b.last.body)[1]
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := b.post("/login", url.Values{"email": {userEmail}, "password": {userPassword}, "csrf_token": {token}}, tc.headers...)
				wantStatus(t, "cross-origin POST /login", r, http.StatusForbidden)
				wantContains(t, "cross-origin", r.body, "This form has expired.")
			})
		}
		// The same post from the site itself goes through.
		r := b.post("/login", url.Values{"email": {userEmail}, "password": {userPassword}, "csrf_token": {token}})
		wantStatus(t, "same-origin POST /login", r, http.StatusSeeOther)
		if !strings.Contains(s.logs.String(), "possible request forgery refused") {
			t.Error("refusals are not logged")
		}
	})
}

func TestCSRFCookieIsHttpOnlyLaxAndOnlySetForPages(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		r := b.get("/login")
		var set string
		for _, c := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "lectern_csrf=") {
				set = c
			}
		}
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(set, want) {
				t.Errorf("CSRF cookie %q lacks %s", set, want)
			}
		}
		// A second page reuses the cookie instead of replacing it.
		if again := b.get("/password/forgot"); len(again.header.Values("Set-Cookie")) != 0 {
			t.Errorf("second page sets cookies again: %v", again.header.Values("Set-Cookie"))
		}
		for _, path := range []string{"/healthz", "/api/v1/openapi.json"} {
			if got := s.browser().get(path); len(got.header.Values("Set-Cookie")) != 0 {
				t.Errorf("GET %s sets cookies: %v", path, got.header.Values("Set-Cookie"))
			}
		}
	})
}
