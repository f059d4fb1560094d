package httpserver_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// The whole reset flow as a site without SMTP runs it: the user asks for a
// link, an admin reads it in the outbox, the user opens it and chooses a
// new password.
func TestPasswordResetEndToEndThroughTheOutbox(t *testing.T) {
	t.Parallel()
	const sent = "If an account exists for that address, we have sent a link"
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		user := s.browser()
		r := user.submit("/password/forgot", "/password/forgot", url.Values{"email": {userEmail}})
		wantStatus(t, "forgot, known address", r, http.StatusOK)
		wantContains(t, "forgot, known address", r.body, sent)
		r = user.submit("/password/forgot", "/password/forgot", url.Values{"email": {"nobody@uni.example"}})
		wantStatus(t, "forgot, unknown address", r, http.StatusOK)
		wantContains(t, "forgot, unknown address", r.body, sent)
		if got := s.mail.Sent(); len(got) != 1 || got[0] != userEmail {
			t.Fatalf("mail sent to %v, want only %s", got, userEmail)
		}

		admin := s.browser()
		admin.signIn(adminEmail, adminPassword)
		outbox := admin.get("/admin/outbox")
		m := regexp.MustCompile(`href="(/admin/outbox/[^"]+)"`).FindStringSubmatch(outbox.body)
		if m == nil {
			t.Fatalf("no message in the outbox:\n%s", outbox.body)
		}
		mail := admin.get(m[1])
		link := regexp.MustCompile(regexp.QuoteMeta(s.srv.URL) + `(/password/reset\?token=[^\s<"]+)`).FindStringSubmatch(mail.body)
		if link == nil {
			t.Fatalf("no reset link in the message:\n%s", mail.body)
		}
		resetPath := strings.ReplaceAll(link[1], "&amp;", "&")

		r = user.submit(resetPath, "/password/reset", url.Values{
			"token": {tokenOf(t, resetPath)}, "password": {"a-brand-new-password"}, "confirm": {"a-different-password"}})
		wantStatus(t, "mismatched confirmation", r, http.StatusBadRequest)
		wantContains(t, "mismatch", r.body, "The two passwords do not match.")

		r = user.submit(resetPath, "/password/reset", url.Values{
			"token": {tokenOf(t, resetPath)}, "password": {"a-brand-new-password"}, "confirm": {"a-brand-new-password"}})
		wantStatus(t, "reset", r, http.StatusOK)
		wantContains(t, "reset", r.body, "Your password has been changed.")

		r = user.submit(resetPath, "/password/reset", url.Values{
			"token": {tokenOf(t, resetPath)}, "password": {"another-new-password"}, "confirm": {"another-new-password"}})
		wantStatus(t, "reusing the link", r, http.StatusBadRequest)
		wantContains(t, "reused link", r.body, "expired or was already used")

		r = user.submit("/login", "/login", url.Values{"email": {userEmail}, "password": {userPassword}})
		wantStatus(t, "old password", r, http.StatusUnauthorized)
		user.signIn(userEmail, "a-brand-new-password")

		if strings.Contains(s.logs.String(), tokenOf(t, resetPath)) {
			t.Error("the reset token is in the log")
		}
	})
}

func TestPasswordResetWithoutTokenExplains(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		r := s.browser().get("/password/reset")
		wantStatus(t, "no token", r, http.StatusOK)
		wantContains(t, "no token", r.body, "This link is incomplete.")
	})
}

func tokenOf(t *testing.T, path string) string {
	t.Helper()
	u, err := url.Parse(path)
	testkit.Must(t, err, "parse %s", path)
	return u.Query().Get("token")
}
