package lti_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// TestLTI11 checks OAuth 1.0a-signed launches (good, bad signature,
// timestamp too old, nonce replay) and that they map to the same users,
// roles, course folders and link grants as LTI 1.3.
func TestLTI11(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		const secret = "a-shared-secret-of-some-length"
		reg, generated, err := s.lti.CreatePlatform(ctx, lti.PlatformInput{Version: lectern.LTI11, Name: "Old LMS",
			ConsumerKey: "old-lms", Secret: secret}, "")
		testkit.Must(t, err, "register the consumer")
		if generated != "" || strings.Contains(reg.SecretSealed, secret) {
			t.Fatal("the secret must be stored sealed")
		}
		launchURL := s.srv.URL + lti.PathLaunch11
		consumer := testkit.LTI11Consumer{Key: "old-lms", Secret: secret, Now: s.clock.Now}
		params := func(user, roles string) url.Values {
			return url.Values{
				"lti_message_type": {"basic-lti-launch-request"}, "lti_version": {"LTI-1p0"},
				"resource_link_id": {"rl-11"}, "resource_link_title": {"Week 1 ~ videos"},
				"user_id": {user}, "roles": {roles}, "context_id": {"c-11"}, "context_title": {"Statistics & Data"},
				"context_label": {"STAT101"}, "lis_person_name_full": {"Person " + user},
				"lis_person_contact_email_primary": {user + "@old.example"},
			}
		}
		post := func(form url.Values) *testkit.Response {
			return testkit.NewBrowser(t).Post(launchURL, "https://old-lms.example", form)
		}

		// Good signature: the instructor's launch makes the course folder.
		r := post(consumer.Sign(launchURL, params("t-1", "Instructor"), ""))
		wantRedirect(t, r, "/lti/courses/")
		c, err := db.LTIContextByKey(ctx, reg.ID, "c-11")
		testkit.Must(t, err, "course")
		if c.FolderID == "" {
			t.Fatal("an LTI 1.1 instructor launch made no folder")
		}
		tid, err := db.LTIUserID(ctx, "lti11:"+reg.ID, "t-1")
		testkit.Must(t, err, "user")
		teacher, _ := s.identity.UserByID(ctx, tid)
		if teacher.Name != "Person t-1" || !s.may(teacher, lectern.ActionEdit, lectern.FolderResource(c.FolderID)) {
			t.Errorf("the LTI 1.1 instructor %+v should be a creator of the course folder", teacher)
		}

		// A learner (URN role) becomes a viewer.
		r = post(consumer.Sign(launchURL, params("s-1", "urn:lti:role:ims/lis/Learner"), ""))
		wantRedirect(t, r, "/folders/"+c.FolderID)
		sid, _ := db.LTIUserID(ctx, "lti11:"+reg.ID, "s-1")
		student, _ := s.identity.UserByID(ctx, sid)
		if !s.may(student, lectern.ActionView, lectern.FolderResource(c.FolderID)) {
			t.Error("the LTI 1.1 learner should view the course folder")
		}

		refused := func(name string, r *testkit.Response, check lti.Check, says string) {
			t.Helper()
			wantStatus(t, r, http.StatusForbidden)
			if !strings.Contains(html.UnescapeString(r.Body), says) || !strings.Contains(r.Body, "<code>"+string(check)+"</code>") {
				t.Errorf("%s: want check %s saying %q:\n%s", name, check, says, r.Body)
			}
		}
		// Bad signature.
		bad := testkit.LTI11Consumer{Key: "old-lms", Secret: "not-the-secret-at-all", Now: s.clock.Now}
		refused("bad signature", post(bad.Sign(launchURL, params("s-1", "Learner"), "")), lti.CheckSignature, "signature does not match")
		// A tampered field breaks the signature too.
		tampered := consumer.Sign(launchURL, params("s-1", "Learner"), "")
		tampered.Set("roles", "Instructor")
		refused("tampered", post(tampered), lti.CheckSignature, "signature does not match")
		// Timestamp too old.
		old := testkit.LTI11Consumer{Key: "old-lms", Secret: secret, Now: func() time.Time { return s.clock.Now().Add(-10 * time.Minute) }}
		refused("old", post(old.Sign(launchURL, params("s-1", "Learner"), "")), lti.CheckTimestamp, "too old")
		// Nonce replay.
		form := consumer.Sign(launchURL, params("s-1", "Learner"), "nonce-once")
		wantRedirect(t, post(form), "/folders/")
		refused("replay", post(form), lti.CheckReplay, "used already")
		// Unknown consumer key.
		stranger := testkit.LTI11Consumer{Key: "who", Secret: secret, Now: s.clock.Now}
		refused("consumer", post(stranger.Sign(launchURL, params("s-1", "Learner"), "")), lti.CheckRegistration, "not registered")

		// Link grants: a link carrying a deep-linking item of this consumer.
		sess := s.publishedSession(teacher, "", "Regression")
		_, r = s.launch(instructor("teacher-13"))
		wantRedirect(t, r, "/lti/courses/")
		// Bind the 1.1 link through the course page picker, as a 1.1 teacher would.
		tb := testkit.NewBrowser(t)
		p := params("t-1", "Instructor")
		p.Set("resource_link_id", "rl-bind")
		r = tb.Post(launchURL, "https://old-lms.example", consumer.Sign(launchURL, p, ""))
		course := tb.Follow(r)
		m := regexpPick.FindStringSubmatch(course.Body)
		if m == nil {
			t.Fatalf("no picker on the course page:\n%s", course.Body)
		}
		wantRedirect(t, tb.Post(s.srv.URL+m[1], s.srv.URL, url.Values{"session": {sess.ID}}), "/lti/courses/")
		p = params("s-2", "Learner")
		p.Set("resource_link_id", "rl-bind")
		r = post(consumer.Sign(launchURL, p, ""))
		wantRedirect(t, r, "/sessions/"+sess.ID)
		link, err := db.LTILinkByResource(ctx, reg.ID, "rl-bind")
		testkit.Must(t, err, "link")
		s2, _ := db.LTIUserID(ctx, "lti11:"+reg.ID, "s-2")
		mem, err := db.Membership(ctx, link.GroupID, s2)
		testkit.Must(t, err, "membership")
		if !mem.ExpiresAt.Equal(s.clock.Now().Add(lti.DefaultGrantWindow)) {
			t.Errorf("LTI 1.1 link membership until %s", mem.ExpiresAt)
		}
	})
}

// TestOAuthSignerAgreement: the test consumer, written separately from
// Lectern's checker, signs an awkward URL and awkward parameters the way
// Lectern checks them (the RFC 5849 vectors are in oauth_internal_test.go).
func TestOAuthSignerAgreement(t *testing.T) {
	t.Parallel()
	signed := testkit.LTI11Consumer{Key: "k", Secret: "s ~&=", Now: func() time.Time { return time.Unix(1700000000, 0) }}.
		Sign("HTTPS://Lectern.Example:443/lti/1.1/launch", url.Values{"x y": {"a+b", "~é"}, "custom_q": {"1&2"}, "a": {""}, "a-": {"z"}}, "n")
	want := lti.OAuthSignature("POST", "https://lectern.example/lti/1.1/launch", signed, "s ~&=")
	if signed.Get("oauth_signature") != want {
		t.Errorf("signatures differ: consumer %s, Lectern %s", signed.Get("oauth_signature"), want)
	}
}
