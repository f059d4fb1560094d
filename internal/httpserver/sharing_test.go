package httpserver_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/internal/web"
	"github.com/lectern-edu/lectern/testkit"
)

// linkTokens stands in for the playback service behind share links: it
// issues a URL naming the link principal and counts what it issued.
type linkTokens struct{ issued atomic.Int64 }

func (l *linkTokens) Issue(_ context.Context, sessionID, principalID string) (string, time.Time, error) {
	l.issued.Add(1)
	return "/hls/" + sessionID + "/" + url.PathEscape(principalID) + "/master.m3u8", time.Now().Add(time.Hour), nil
}

// withSharing gives the site a sharing service on the site's own access
// service and outbox (and an identity service of its own on the same
// database: the site makes its own after the options run).
func withSharing(db *sqlstore.DB, tokens sharing.TokenIssuer) siteOption {
	return withDeps(func(d *httpserver.Deps) {
		ident := identity.New(db, d.Outbox, identity.Options{Params: identity.TestParams, BaseURL: d.BaseURL, Now: d.Now})
		d.Sharing = sharing.New(db, d.Access, ident, d.Outbox, tokens,
			sharing.Options{BaseURL: d.BaseURL, Now: d.Now, Params: identity.TestParams})
	})
}

var (
	newLinkURL = regexp.MustCompile(`id="share-new-url" type="text" readonly value="([^"]+)"`)
	playerSrc  = regexp.MustCompile(`data-src="([^"]+)"`)
	inviteURL  = regexp.MustCompile(`/invitations/([A-Za-z0-9_-]{43})`)
)

// watch posts the /s/{token} form as a browser would after loading it.
func (b *browser) watch(path, password string) response {
	b.t.Helper()
	page := b.get(path)
	m := csrfField.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d) has no form:\n%s", path, page.status, page.body)
	}
	form := url.Values{"csrf_token": {m[1]}}
	if password != "" {
		form.Set("password", password)
	}
	return b.post(path, form)
}

// TestShareLinksOverHTTP is seed 003 through the pages: the lecturer makes
// a link with a password and two views per viewer; the examiner watches
// twice and is refused a third time; a third person, given the link by a
// student, is asked for the password; the lecturer extends the examiner's
// allowance; revoked and unknown links look the same; wrong passwords are
// rate-limited with the wait stated.
func TestShareLinksOverHTTP(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	tokens := &linkTokens{}
	s := newSite(t, db, withSharing(db, tokens))
	w := s.newWorld("share")
	owner := s.browser()
	owner.signIn(w.owner.Email, userPassword)

	page := "/sessions/" + w.session.ID + "/links"
	r := owner.submit(page, page, url.Values{"label": {"External examiner"}, "password": {"examiner-2026"},
		"max_views_per_viewer": {"2"}, "spike_action": {""}})
	wantStatus(t, "make a link", r, http.StatusCreated)
	m := newLinkURL.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no new link on the page:\n%s", r.body)
	}
	linkPath := strings.TrimPrefix(m[1], s.srv.URL)
	if !strings.HasPrefix(linkPath, "/s/") {
		t.Fatalf("link %q is not on this site", m[1])
	}
	links, err := db.ShareLinksOf(context.Background(), w.session.ID)
	if err != nil || len(links) != 1 {
		t.Fatalf("links = %+v, %v", links, err)
	}
	linkID := links[0].ID

	examiner := s.browser()
	r = examiner.get(linkPath)
	wantStatus(t, "the examiner opens the link", r, http.StatusOK)
	wantContains(t, "link page", r.body, `name="password"`, "2 more times", "Session share")
	if examiner.cookie(web.ViewerCookie) != "" {
		t.Fatal("the viewer cookie is sent outside /s/")
	}
	r = examiner.watch(linkPath, "wrong-password")
	wantStatus(t, "a wrong password", r, http.StatusUnauthorized)
	wantContains(t, "wrong password", r.body, "not right")
	r = examiner.watch(linkPath, "examiner-2026")
	wantStatus(t, "the right password", r, http.StatusOK)
	if src := playerSrc.FindStringSubmatch(r.body); src == nil || !strings.Contains(src[1], "/hls/"+w.session.ID+"/link") {
		t.Fatalf("no player with the playback URL:\n%s", r.body)
	}

	third := s.browser() // the student forwarded the link
	r = third.get(linkPath)
	wantContains(t, "third person", r.body, `name="password"`)
	r = third.watch(linkPath, "")
	wantStatus(t, "third person without the password", r, http.StatusUnauthorized)

	wantStatus(t, "the examiner's second open", examiner.watch(linkPath, "examiner-2026"), http.StatusOK)
	r = examiner.get(linkPath)
	wantStatus(t, "the examiner comes back a third time", r, http.StatusForbidden)
	wantContains(t, "used up", r.body, "2 times")

	// The lecturer sees the viewer and gives one more open.
	r = owner.get("/links/" + linkID)
	wantStatus(t, "link page", r, http.StatusOK)
	wantContains(t, "link page", r.body, "Anonymous browser", "2 of 2")
	viewers, err := db.ShareViewers(context.Background(), linkID)
	if err != nil || len(viewers) != 1 {
		t.Fatalf("viewers = %+v, %v", viewers, err)
	}
	r = owner.submit("/links/"+linkID, "/links/"+linkID+"/extend", url.Values{"viewer_id": {viewers[0].ViewerID}, "opens": {"1"}})
	wantStatus(t, "extend", r, http.StatusSeeOther)
	wantStatus(t, "the examiner's extended open", examiner.watch(linkPath, "examiner-2026"), http.StatusOK)
	if n := tokens.issued.Load(); n != 3 {
		t.Fatalf("%d playback tokens issued, want 3", n)
	}

	// The lecturer changes the settings; a bad value shows the form again.
	edit := url.Values{"label": {"External examiner"}, "max_opens": {"many"}, "max_views_per_viewer": {"2"}, "spike_action": {"notify"},
		"spike_max": {"5"}, "spike_hours": {"24"}}
	wantStatus(t, "a bad edit", owner.submit("/links/"+linkID, "/links/"+linkID+"/edit", edit), http.StatusBadRequest)
	edit.Set("max_opens", "50")
	wantStatus(t, "an edit", owner.submit("/links/"+linkID, "/links/"+linkID+"/edit", edit), http.StatusSeeOther)
	if l, err := db.ShareLinkByID(context.Background(), linkID); err != nil || l.MaxOpens != 50 || !l.HasPassword() {
		t.Fatalf("after the edit: %+v, %v", l, err)
	}

	// Revoked and unknown links get the same page.
	r = owner.submit("/links/"+linkID, "/links/"+linkID+"/revoke", url.Values{})
	wantStatus(t, "revoke", r, http.StatusSeeOther)
	revoked := examiner.get(linkPath)
	unknown := examiner.get("/s/" + sharing.NewSecret())
	garbage := examiner.get("/s/not-a-token")
	for _, x := range []response{revoked, unknown, garbage} {
		wantStatus(t, "a dead link", x, http.StatusNotFound)
		if x.body != revoked.body {
			t.Fatalf("dead links differ:\n%s\n---\n%s", x.body, revoked.body)
		}
	}
	if strings.Contains(revoked.body, "Session share") {
		t.Fatal("a revoked link's page names the recording")
	}

	// Guessing: after the address's allowed wrong passwords, even the
	// right one is refused, with the wait in words and Retry-After.
	r = owner.submit(page, page, url.Values{"password": {"second-secret"}, "spike_action": {"off"}})
	second := strings.TrimPrefix(newLinkURL.FindStringSubmatch(r.body)[1], s.srv.URL)
	guesser := s.browser()
	for range sharing.DefaultAddrPasswordLimit.Max - 1 { // the examiner typed one wrong password above
		wantStatus(t, "a guess", guesser.watch(second, "guess-guess"), http.StatusUnauthorized)
	}
	r = guesser.watch(second, "second-secret")
	wantStatus(t, "the right password after too many guesses", r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q, want 900", r.header.Get("Retry-After"))
	}
	wantContains(t, "locked out", r.body, "Wait 15 minutes")
}

// TestGuestInvitationOverHTTP: a guest accepts an invitation, chooses a
// password, watches, cannot see or do anything else, signs in again
// later, and is locked out when an admin revokes the account.
func TestGuestInvitationOverHTTP(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	s := newSite(t, db, withSharing(db, &linkTokens{}))
	w := s.newWorld("guest")
	other := s.newWorld("other")
	owner := s.browser()
	owner.signIn(w.owner.Email, userPassword)
	page := "/sessions/" + w.session.ID + "/invitations"
	r := owner.submit(page, page, url.Values{"email": {"Examiner@Partner.example"}})
	wantStatus(t, "invite", r, http.StatusSeeOther)
	r = owner.get(page)
	wantContains(t, "invitations", r.body, "examiner@partner.example", "Has not chosen a password yet")

	mails, err := s.outbox.List(context.Background(), 50)
	testkit.Must(t, err, "outbox")
	token := ""
	for _, m := range mails {
		if m.To == "examiner@partner.example" {
			if x := inviteURL.FindStringSubmatch(m.Text); x != nil {
				token = x[1]
			}
		}
	}
	if token == "" {
		t.Fatalf("no invitation mail in %+v", mails)
	}

	guest := s.browser()
	r = guest.get("/invitations/" + token)
	wantStatus(t, "invitation page", r, http.StatusOK)
	wantContains(t, "invitation page", r.body, "Session guest", "examiner@partner.example")
	r = guest.submit("/invitations/"+token, "/invitations/"+token, url.Values{"password": {"guest-password-1"}, "password_confirm": {"guest-password-2"}})
	wantStatus(t, "different passwords", r, http.StatusBadRequest)
	r = guest.submit("/invitations/"+token, "/invitations/"+token, url.Values{"password": {"guest-password-1"}, "password_confirm": {"guest-password-1"}})
	wantStatus(t, "accept", r, http.StatusSeeOther)
	if r.location() != "/sessions/"+w.session.ID {
		t.Fatalf("after accepting: to %q", r.location())
	}
	wantStatus(t, "the shared session", guest.get("/sessions/"+w.session.ID), http.StatusOK)
	r = guest.get("/videos")
	wantStatus(t, "my videos", r, http.StatusOK)
	wantContains(t, "my videos", r.body, "Session guest")
	for _, secret := range other.secrets() {
		if strings.Contains(r.body, secret) {
			t.Fatalf("the guest's videos show %q", secret)
		}
	}
	for _, path := range []string{"/sessions/" + other.session.ID, "/folders/" + other.folder.ID, "/folders/" + w.folder.ID} {
		if r := guest.get(path); r.status != http.StatusNotFound {
			t.Errorf("the guest got %s: %d, want 404", path, r.status)
		}
	}
	wantStatus(t, "the guest shares", guest.get("/sessions/"+w.session.ID+"/links"), http.StatusForbidden)
	wantStatus(t, "the guest makes a folder", guest.submit("/folders", "/folders", url.Values{"name": {"Mine"}}), http.StatusForbidden)
	wantStatus(t, "the guest at the admin pages", guest.get("/admin/settings"), http.StatusForbidden)
	wantStatus(t, "the link is used", guest.get("/invitations/"+token), http.StatusGone)

	// Later, with email and password.
	again := s.browser()
	again.signIn("examiner@partner.example", "guest-password-1")
	wantStatus(t, "signed in again", again.get("/sessions/"+w.session.ID), http.StatusOK)

	// An admin revokes the account: its sessions end.
	admin := s.browser()
	admin.signIn(adminEmail, adminPassword)
	r = admin.get("/admin/sharing")
	wantContains(t, "admin sharing page", r.body, "examiner@partner.example")
	u, err := s.identity.UserByEmail(context.Background(), "examiner@partner.example")
	testkit.Must(t, err, "guest account")
	if u.Kind != lectern.UserGuest {
		t.Fatalf("kind %s", u.Kind)
	}
	r = admin.submit("/admin/sharing", "/admin/sharing", url.Values{"allow_anonymous": {"1"}, "guests_enabled": {"1"},
		"max_expiry_days": {"90"}, "spike_action": {"suspend"}, "spike_max": {"4"}, "spike_hours": {"12"}})
	wantStatus(t, "save the policy", r, http.StatusSeeOther)
	r = owner.get("/folders/" + w.folder.ID + "/invitations")
	wantStatus(t, "folder invitations", r, http.StatusOK)
	r = owner.get("/sessions/" + w.session.ID + "/links")
	wantContains(t, "links page under the new policy", r.body, "within 90 days", "More than 4 devices or networks within 12 hours")
	r = admin.submit("/admin/sharing", "/admin/guests/"+u.ID+"/revoke", url.Values{})
	wantStatus(t, "revoke the guest", r, http.StatusSeeOther)
	r = again.get("/sessions/" + w.session.ID)
	wantStatus(t, "a revoked guest", r, http.StatusSeeOther)
	if !strings.HasPrefix(r.location(), "/login") {
		t.Fatalf("a revoked guest goes to %q", r.location())
	}
}

// TestShareLinkAPI: the contract of DESIGN §6 and the error shape.
func TestShareLinkAPI(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	s := newSite(t, db, withSharing(db, &linkTokens{}))
	w := s.newWorld("api")
	tok, stranger := s.token(w.owner), s.token(s.user)
	path := "/api/v1/sessions/" + w.session.ID + "/links"

	r := s.apiDo(t, http.MethodPost, path, tok, `{"password":"api-password","expires_at":"2099-01-01T00:00:00Z","max_opens":5,"max_views_per_viewer":2}`)
	wantStatus(t, "create", r, http.StatusCreated)
	var created struct {
		ID, URL string
		Opens   int
	}
	decodeJSON(t, r, &created)
	if created.ID == "" || !strings.HasPrefix(created.URL, s.srv.URL+"/s/") {
		t.Fatalf("created = %+v", created)
	}
	r = s.apiDo(t, http.MethodPost, path, tok, `{"max_opens":0}`)
	wantStatus(t, "bad input", r, http.StatusBadRequest)
	if e := decodeError(t, r); e.Error.Code != "invalid" || !strings.HasPrefix(e.Error.Message, "max_opens:") {
		t.Fatalf("error = %+v", e)
	}
	wantStatus(t, "a stranger lists", s.apiDo(t, http.MethodGet, path, stranger, ""), http.StatusForbidden)
	wantStatus(t, "a stranger reads", s.apiDo(t, http.MethodGet, "/api/v1/links/"+created.ID, stranger, ""), http.StatusForbidden)

	r = s.apiDo(t, http.MethodPatch, "/api/v1/links/"+created.ID, tok, `{"password":null,"max_opens":null}`)
	wantStatus(t, "patch", r, http.StatusOK)
	var patched struct {
		HasPassword bool `json:"has_password"`
		MaxOpens    *int `json:"max_opens"`
	}
	decodeJSON(t, r, &patched)
	if patched.HasPassword || patched.MaxOpens != nil {
		t.Fatalf("patched = %+v", patched)
	}
	wantStatus(t, "suspend", s.apiDo(t, http.MethodPost, "/api/v1/links/"+created.ID+"/suspend", tok, ""), http.StatusOK)
	wantStatus(t, "suspend again", s.apiDo(t, http.MethodPost, "/api/v1/links/"+created.ID+"/suspend", tok, ""), http.StatusConflict)
	r = s.apiDo(t, http.MethodGet, "/api/v1/links/"+created.ID, tok, "")
	wantStatus(t, "get", r, http.StatusOK)
	wantContains(t, "get", r.body, `"state":"suspended"`, `"stats":`)

	inv := "/api/v1/folders/" + w.folder.ID + "/invitations"
	r = s.apiDo(t, http.MethodPost, inv, tok, `{"email":"judge@expo.example"}`)
	wantStatus(t, "invite", r, http.StatusCreated)
	wantContains(t, "invite", r.body, `"status":"pending"`)
	wantStatus(t, "guests, not as an admin", s.apiDo(t, http.MethodPost, "/api/v1/admin/guests/search", tok, "{}"), http.StatusForbidden)
	r = s.apiDo(t, http.MethodPost, "/api/v1/admin/guests/search", s.token(s.admin), `{"email":"expo.example"}`)
	wantStatus(t, "guests", r, http.StatusOK)
	wantContains(t, "guests", r.body, "judge@expo.example")
	r = s.apiDo(t, http.MethodPatch, "/api/v1/admin/sharing-policy", s.token(s.admin), `{"password_required":true}`)
	wantStatus(t, "policy", r, http.StatusOK)
	wantContains(t, "policy", r.body, `"password_required":true`, `"allow_anonymous":true`)
	wantStatus(t, "a link without a password now", s.apiDo(t, http.MethodPost, path, tok, `{}`), http.StatusBadRequest)
}

// sharingVisits visits every sharing template once on a site of its own
// (newSite leaves sharing out), for TestEveryPageTemplateRenders.
func sharingVisits(t *testing.T, db *sqlstore.DB) map[string]func() response {
	t.Helper()
	s := newSite(t, db, withSharing(db, &linkTokens{}))
	w := s.newWorld("visits")
	ctx, op := context.Background(), lectern.PrincipalOf(w.owner)
	link, token, err := s.deps.Sharing.CreateLink(ctx, op, "", w.session.ID, sharing.LinkInput{})
	testkit.Must(t, err, "create link")
	_, err = s.deps.Sharing.Invite(ctx, op, "", lectern.SessionResource(w.session.ID), sharing.InviteInput{Email: "visitor@partner.example"})
	testkit.Must(t, err, "invite")
	invitation := ""
	mails, err := s.outbox.List(ctx, 50)
	testkit.Must(t, err, "outbox")
	for _, m := range mails {
		if x := inviteURL.FindStringSubmatch(m.Text); x != nil && m.To == "visitor@partner.example" {
			invitation = x[1]
		}
	}
	anon, owner, admin := s.browser(), s.browser(), s.browser()
	owner.signIn(w.owner.Email, userPassword)
	admin.signIn(adminEmail, adminPassword)
	return map[string]func() response{
		"share_open":        func() response { return anon.get("/s/" + token) },
		"share_watch":       func() response { return anon.watch("/s/"+token, "") },
		"share_links":       func() response { return owner.get("/sessions/" + w.session.ID + "/links") },
		"share_link":        func() response { return owner.get("/links/" + link.ID) },
		"share_invitations": func() response { return owner.get("/sessions/" + w.session.ID + "/invitations") },
		"invitation":        func() response { return anon.get("/invitations/" + invitation) },
		"admin_sharing":     func() response { return admin.get("/admin/sharing") },
	}
}

func TestSharingTemplatesRender(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	for name, visit := range sharingVisits(t, db) {
		if r := visit(); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: status %d, Content-Type %q", name, r.status, r.header.Get("Content-Type"))
		}
	}
}
