package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestAdminPagesAreForAdminsOnly(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		testkit.Must(t, s.outbox.Send(context.Background(), "someone@uni.example", "Hello", "Body"), "send")
		mails, err := s.outbox.List(context.Background(), 1)
		testkit.Must(t, err, "list outbox")
		anonymous, member, admin := s.browser(), s.browser(), s.browser()
		member.signIn(userEmail, userPassword)
		admin.signIn(adminEmail, adminPassword)

		for _, path := range []string{"/admin/settings", "/admin/users", "/admin/outbox", "/admin/outbox/" + mails[0].ID} {
			t.Run(path, func(t *testing.T) {
				r := anonymous.get(path)
				if r.status != http.StatusSeeOther || r.location() != "/login?next="+url.QueryEscape(path) {
					t.Errorf("anonymous: %d → %q, want 303 → /login?next=…", r.status, r.location())
				}
				r = member.get(path)
				wantStatus(t, "non-admin", r, http.StatusForbidden)
				wantContains(t, "non-admin", r.body, "Only site admins may see this page.")
				r = admin.get(path)
				wantStatus(t, "admin", r, http.StatusOK)
			})
		}
		r := member.submit("/videos", "/admin/settings", url.Values{"site_name": {"Pwned"}})
		wantStatus(t, "non-admin POST /admin/settings", r, http.StatusForbidden)
		if got, _ := s.settings.Get(context.Background()); got.SiteName != "Lectern" {
			t.Errorf("a non-admin changed the site name to %q", got.SiteName)
		}
		if r := admin.get("/videos"); !strings.Contains(r.body, `<a href="/admin/settings">Admin</a>`) {
			t.Error("an admin has no Admin link in the navigation")
		}
	})
}

func TestAdminSettingsSavesAndValidates(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		b.signIn(adminEmail, adminPassword)
		page := b.get("/admin/settings")
		wantContains(t, "settings page", page.body, `value="Lectern"`, s.srv.URL, "Accounts", "<dd>2</dd>")

		r := b.submit("/admin/settings", "/admin/settings", url.Values{"site_name": {"Cambridge Lecture Capture"}, "support_email": {"help@cam.example"}})
		if r.status != http.StatusSeeOther || r.location() != "/admin/settings?saved=1" {
			t.Fatalf("save: %d → %q", r.status, r.location())
		}
		saved := b.get(r.location())
		wantContains(t, "after saving", saved.body, "Settings saved.", "<title>Site settings – Cambridge Lecture Capture</title>",
			`<a class="brand" href="/">Cambridge Lecture Capture</a>`, `href="mailto:help@cam.example"`)

		r = b.submit("/admin/settings", "/admin/settings", url.Values{"site_name": {""}, "support_email": {"not an address"}})
		wantStatus(t, "invalid settings", r, http.StatusBadRequest)
		wantContains(t, "invalid settings", r.body, "Site name is required.", `value="not an address"`, "<title>Error: Site settings")
		got, err := s.settings.Get(context.Background())
		testkit.Must(t, err, "get settings")
		if got.SiteName != "Cambridge Lecture Capture" {
			t.Errorf("site name %q after an invalid save", got.SiteName)
		}
	})
}

func TestAdminUsersListsAccountsInPages(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		for i := range 55 {
			_, err := s.identity.CreateUser(context.Background(), identity.NewUser{
				Email: fmt.Sprintf("student%02d@uni.example", i), Name: fmt.Sprintf("Student %02d", i), Password: "long-enough-password"})
			testkit.Must(t, err, "create student")
		}
		b := s.browser()
		b.signIn(adminEmail, adminPassword)
		first := b.get("/admin/users")
		wantContains(t, "page 1", first.body, "57 accounts, page 1 of 2", adminEmail, userEmail, `href="/admin/users?page=2"`)
		second := b.get("/admin/users?page=2")
		wantContains(t, "page 2", second.body, "page 2 of 2", "student54@uni.example", `href="/admin/users?page=1"`)
		if strings.Contains(second.body, adminEmail) {
			t.Error("page 2 repeats page 1")
		}
		wantStatus(t, "bad page number", b.get("/admin/users?page=zero"), http.StatusBadRequest)
	})
}

func TestAdminOutboxShowsHeldMail(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		testkit.Must(t, s.outbox.Send(ctx, "lecturer@uni.example", "Your recording is <ready>", "Line one\nhttps://example/x?a=1&b=2"), "send")
		b := s.browser()
		b.signIn(adminEmail, adminPassword)
		list := b.get("/admin/outbox")
		wantContains(t, "outbox", list.body, "lecturer@uni.example", "Your recording is &lt;ready&gt;", "held")
		mails, err := s.outbox.List(ctx, 10)
		testkit.Must(t, err, "list")
		one := b.get("/admin/outbox/" + mails[0].ID)
		wantStatus(t, "one mail", one, http.StatusOK)
		wantContains(t, "one mail", one.body, "Line one\nhttps://example/x?a=1&amp;b=2")
		missing := b.get("/admin/outbox/no-such-message")
		wantStatus(t, "unknown message", missing, http.StatusNotFound)
	})
}
