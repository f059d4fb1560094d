package lti_test

import (
	"crypto/rand"
	"crypto/rsa"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// TestLaunchRefusals: every id_token and state check fails on its own,
// with its own message on the page and its check named in the log.
func TestLaunchRefusals(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		testkit.Must(t, err, "key")
		const claim = "https://purl.imsglobal.org/spec/lti/claim/"
		tamper := func(f func(c map[string]any)) testkit.LTIMessage {
			m := learner("student-x")
			m.Tamper = f
			return m
		}
		cases := []struct {
			name   string
			msg    testkit.LTIMessage
			form   func(b *testkit.Browser, ap *testkit.AutoPost) // change the browser or the post
			status int
			check  lti.Check
			says   string
		}{
			{name: "bad signature", msg: func() testkit.LTIMessage { m := learner("student-x"); m.SignWith = other; return m }(),
				status: 403, check: lti.CheckSignature, says: "signature does not verify"},
			{name: "wrong issuer", msg: tamper(func(c map[string]any) { c["iss"] = "https://evil.example" }),
				status: 403, check: lti.CheckIssuer, says: "wrong issuer"},
			{name: "wrong audience", msg: tamper(func(c map[string]any) { c["aud"] = "someone-else" }),
				status: 403, check: lti.CheckAudience, says: "wrong audience"},
			{name: "azp mismatch", msg: tamper(func(c map[string]any) {
				c["aud"] = []string{s.lms.ClientID, "other-tool"}
				c["azp"] = "other-tool"
			}), status: 403, check: lti.CheckAZP, says: "authorized party"},
			{name: "several audiences without azp", msg: tamper(func(c map[string]any) { c["aud"] = []string{s.lms.ClientID, "other-tool"} }),
				status: 403, check: lti.CheckAZP, says: "authorized party"},
			{name: "expired", msg: tamper(func(c map[string]any) {
				c["exp"] = s.clock.Now().Add(-10 * time.Minute).Unix()
				c["iat"] = s.clock.Now().Add(-20 * time.Minute).Unix()
			}), status: 403, check: lti.CheckExpired, says: "The launch expired"},
			{name: "issued in the future", msg: tamper(func(c map[string]any) {
				c["iat"] = s.clock.Now().Add(10 * time.Minute).Unix()
				c["exp"] = s.clock.Now().Add(20 * time.Minute).Unix()
			}), status: 403, check: lti.CheckIssuedAt, says: "in the future"},
			{name: "nonce not the login's", msg: tamper(func(c map[string]any) { c["nonce"] = "another-nonce" }),
				status: 403, check: lti.CheckNonce, says: "nonce is not the one"},
			{name: "unknown deployment", msg: tamper(func(c map[string]any) { c[claim+"deployment_id"] = "dep-unknown" }),
				status: 403, check: lti.CheckDeployment, says: `deployment "dep-unknown" is not registered`},
			{name: "wrong message type", msg: tamper(func(c map[string]any) { c[claim+"message_type"] = "LtiSubmissionReviewRequest" }),
				status: 403, check: lti.CheckMessageType, says: `messages of type "LtiSubmissionReviewRequest"`},
			{name: "wrong version", msg: tamper(func(c map[string]any) { c[claim+"version"] = "1.2.0" }),
				status: 403, check: lti.CheckVersion, says: `LTI version "1.2.0"`},
			{name: "no subject", msg: tamper(func(c map[string]any) { delete(c, "sub") }),
				status: 403, check: lti.CheckClaims, says: "anonymous launches"},
			{name: "state cookie missing", msg: learner("student-x"),
				form: func(b *testkit.Browser, _ *testkit.AutoPost) {
					b.DropCookies(s.srv.URL+"/lti/launch", lti.StateCookiePrefix)
				},
				status: 403, check: lti.CheckStateCookie, says: "did not send back the cookie"},
			{name: "state mismatch", msg: learner("student-x"),
				form: func(_ *testkit.Browser, ap *testkit.AutoPost) {
					id, _, _ := strings.Cut(ap.Fields.Get("state"), ".")
					ap.Fields.Set("state", id+".forged-state-value")
				},
				status: 403, check: lti.CheckStateMatch, says: "state is not the one this browser began with"},
			{name: "no id_token", msg: learner("student-x"),
				form:   func(_ *testkit.Browser, ap *testkit.AutoPost) { ap.Fields.Del("id_token") },
				status: 400, check: lti.CheckRequest, says: "complete launch"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b := testkit.NewBrowser(t)
				ap := b.StartLaunch(s.lms.LoginURL(tc.msg))
				if tc.form != nil {
					tc.form(b, &ap)
				}
				r := b.Submit(ap)
				wantStatus(t, r, tc.status)
				checkPage(t, "refused page", r.Body)
				if !strings.Contains(html.UnescapeString(r.Body), tc.says) {
					t.Errorf("page does not say %q:\n%s", tc.says, r.Body)
				}
				if !strings.Contains(r.Body, "<code>"+string(tc.check)+"</code>") {
					t.Errorf("page does not name the check %q", tc.check)
				}
				if !strings.Contains(s.logs.String(), "check="+string(tc.check)) {
					t.Errorf("log does not name the check %q", tc.check)
				}
			})
		}

		t.Run("replayed nonce", func(t *testing.T) {
			b := testkit.NewBrowser(t)
			ap := b.StartLaunch(s.lms.LoginURL(learner("student-y")))
			first := b.Submit(ap)
			if first.Status != http.StatusOK && first.Status != http.StatusSeeOther {
				t.Fatalf("first launch: %d\n%s", first.Status, first.Body)
			}
			// The tool clears the state cookie; an attacker replaying a
			// captured launch brings it along.
			b.SetCookie(s.srv.URL+"/lti/", &http.Cookie{Name: lti.StateCookieName(ap.Fields.Get("state")), Value: ap.Fields.Get("state"), Path: "/lti/"})
			again := b.Submit(ap)
			wantStatus(t, again, http.StatusForbidden)
			if !strings.Contains(again.Body, "used already") || !strings.Contains(s.logs.String(), "check="+string(lti.CheckReplay)) {
				t.Errorf("a replayed launch should be refused as a replay:\n%s", again.Body)
			}
		})

		t.Run("state expired", func(t *testing.T) {
			b := testkit.NewBrowser(t)
			ap := b.StartLaunch(s.lms.LoginURL(learner("student-z")))
			s.clock.Advance(lti.LoginStateTTL + time.Minute)
			defer s.clock.Advance(-(lti.LoginStateTTL + time.Minute))
			r := b.Submit(ap)
			wantStatus(t, r, http.StatusForbidden)
			if !strings.Contains(r.Body, "has expired") {
				t.Errorf("want the expired-state message:\n%s", r.Body)
			}
		})

		t.Run("unknown platform at login", func(t *testing.T) {
			r := testkit.NewBrowser(t).Get(s.srv.URL + "/lti/login?iss=https%3A%2F%2Fnobody.example&login_hint=x&target_link_uri=" + s.srv.URL + "/lti/launch")
			wantStatus(t, r, http.StatusForbidden)
			if !strings.Contains(r.Body, "not registered in Lectern") {
				t.Errorf("want the unknown-platform message:\n%s", r.Body)
			}
		})
	})
}

// TestPlatformKeyRotation: after the platform rolls its key over, the
// first launch names a key id Lectern has not seen; Lectern fetches the
// platform's key set again and the launch passes.
func TestPlatformKeyRotation(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		_, r := s.launch(instructor("teacher-1"))
		wantRedirect(t, r, "/lti/courses/")
		fetches := s.lms.JWKSRequests()
		_, r = s.launch(instructor("teacher-1"))
		wantRedirect(t, r, "/lti/courses/")
		if got := s.lms.JWKSRequests(); got != fetches {
			t.Errorf("a known key id fetched the key set again (%d → %d fetches)", fetches, got)
		}
		s.lms.RotateKey()
		_, r = s.launch(instructor("teacher-1"))
		wantRedirect(t, r, "/lti/courses/")
		if got := s.lms.JWKSRequests(); got != fetches+1 {
			t.Errorf("an unknown key id should fetch the key set once more: %d → %d fetches", fetches, got)
		}
	})
}
