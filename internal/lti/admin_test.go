package lti_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// adminBrowser is a browser signed in as a site admin.
func (s *site) adminBrowser() *testkit.Browser {
	s.t.Helper()
	ctx := context.Background()
	u, err := s.identity.CreateUser(ctx, identity.NewUser{Email: "admin@uni.example", Name: "Ada Admin", Password: "long-enough-password", IsAdmin: true})
	testkit.Must(s.t, err, "admin")
	token, _, err := s.identity.StartSession(ctx, u.ID, "127.0.0.1", "test")
	testkit.Must(s.t, err, "session")
	b := testkit.NewBrowser(s.t)
	b.SetCookie(s.srv.URL+"/", &http.Cookie{Name: request.SessionCookie, Value: token, Path: "/"})
	return b
}

// TestAdminPages: the platform registry pages show the tool
// configuration to paste, register platforms (LTI 1.1 secrets shown once
// and stored sealed), rotate Lectern's key and set the grant window.
func TestAdminPages(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.adminBrowser()
		home := b.Get(s.srv.URL + "/admin/lti")
		wantStatus(t, home, http.StatusOK)
		for _, want := range []string{s.srv.URL + "/lti/login", s.srv.URL + "/lti/launch", s.srv.URL + "/lti/deep-link",
			s.srv.URL + "/lti/jwks", "Emulated LMS", s.lms.ClientID, "4h0m0s", `lang="en"`, `<main id="main"`} {
			if !strings.Contains(home.Body, want) {
				t.Errorf("admin page lacks %q", want)
			}
		}
		checkPage(t, "admin page", home.Body)
		// Anonymous visitors are sent to sign in; other users are refused.
		anon := testkit.NewBrowser(t).Get(s.srv.URL + "/admin/lti")
		wantStatus(t, anon, http.StatusSeeOther)

		// An LTI 1.1 consumer without a secret: Lectern makes one, shows it once.
		r := s.postSameOrigin(b, home, "/admin/lti/platforms", url.Values{"version": {"1.1"}, "name": {"Old LMS"}, "consumer_key": {"old-key"}})
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "shown only now") || !strings.Contains(r.Body, "old-key") {
			t.Errorf("the new secret is not shown:\n%s", r.Body)
		}
		// A bad LTI 1.3 registration says which field is wrong.
		r = s.postSameOrigin(b, home, "/admin/lti/platforms", url.Values{"version": {"1.3"}, "name": {"Canvas"}, "issuer": {"not a url"}})
		wantStatus(t, r, http.StatusBadRequest)
		if !strings.Contains(html.UnescapeString(r.Body), "issuer: must be an http(s) URL") {
			t.Errorf("no field error:\n%s", r.Body)
		}
		// A good one.
		r = s.postSameOrigin(b, home, "/admin/lti/platforms", url.Values{"version": {"1.3"}, "name": {"Canvas"},
			"issuer": {"https://canvas.example"}, "client_id": {"10000000000001"}, "deployment_ids": {"1:abc\n2:def"},
			"auth_url": {"https://canvas.example/api/lti/authorize_redirect"}, "token_url": {"https://canvas.example/login/oauth2/token"},
			"jwks_url": {"https://canvas.example/api/lti/security/jwks"}})
		wantRedirect(t, r, "/admin/lti?saved=1")
		ps, err := s.lti.Platforms(context.Background())
		testkit.Must(t, err, "platforms")
		if len(ps) != 3 {
			t.Fatalf("%d platforms registered, want 3", len(ps))
		}
		for _, p := range ps {
			if p.Name == "Canvas" && (len(p.DeploymentIDs) != 2 || strings.Join(p.FrameOrigins, " ") != "https://canvas.example") {
				t.Errorf("Canvas registration %+v", p)
			}
		}
		// The same issuer and client id again is a conflict.
		r = s.postSameOrigin(b, home, "/admin/lti/platforms", url.Values{"version": {"1.3"}, "name": {"Canvas again"},
			"issuer": {"https://canvas.example"}, "client_id": {"10000000000001"}, "deployment_ids": {"1:abc"},
			"auth_url": {"https://canvas.example/a"}, "token_url": {"https://canvas.example/t"}, "jwks_url": {"https://canvas.example/j"}})
		wantStatus(t, r, http.StatusConflict)

		// Rotating the key publishes a second key; the new one signs.
		before := jwksKids(t, b.Get(s.srv.URL+"/lti/jwks").Body)
		r = s.postSameOrigin(b, home, "/admin/lti/keys", nil)
		wantRedirect(t, r, "/admin/lti?rotated=1")
		after := jwksKids(t, b.Get(s.srv.URL+"/lti/jwks").Body)
		if len(before) != 1 || len(after) != 2 {
			t.Errorf("keys before %v, after rotation %v", before, after)
		}

		// The grant window.
		r = s.postSameOrigin(b, home, "/admin/lti/settings", url.Values{"grant_window": {"soon"}})
		wantStatus(t, r, http.StatusBadRequest)
		r = s.postSameOrigin(b, home, "/admin/lti/settings", url.Values{"grant_window": {"90m"}})
		wantRedirect(t, r, "/admin/lti?saved=1")
		if d, _ := s.lti.GrantWindow(context.Background()); d.String() != "1h30m0s" {
			t.Errorf("grant window %s", d)
		}

		// Removing a platform.
		var canvasID string
		for _, p := range ps {
			if p.Name == "Canvas" {
				canvasID = p.ID
			}
		}
		edit := b.Get(s.srv.URL + "/admin/lti/platforms/" + canvasID)
		wantStatus(t, edit, http.StatusOK)
		checkPage(t, "platform page", edit.Body)
		checkPage(t, "new LTI 1.1 page", b.Get(s.srv.URL+"/admin/lti/new?version=1.1").Body)
		r = s.postSameOrigin(b, edit, "/admin/lti/platforms/"+canvasID+"/delete", nil)
		wantRedirect(t, r, "/admin/lti?removed=1")
		links := b.Get(s.srv.URL + "/admin/lti/links")
		wantStatus(t, links, http.StatusOK)
		checkPage(t, "links page", links.Body)
	})
}

func jwksKids(t *testing.T, body string) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	testkit.Must(t, json.Unmarshal([]byte(body), &set), "jwks")
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	return out
}
