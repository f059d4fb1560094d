package httpserver_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// catalogVisits renders every catalog page with content in it, as the
// admin who owns that content (so that every form shows), for
// TestEveryPageTemplateRenders.
func catalogVisits(s *site, admin *browser) map[string]func() response {
	t := s.t
	ctx := context.Background()
	ap := lectern.PrincipalOf(s.admin)
	f, err := s.catalog.CreateFolderAs(ctx, ap, catalog.NewFolder{Name: "Moot court", RequiresApproval: true}, "")
	testkit.Must(t, err, "folder")
	sub, err := s.catalog.CreateFolderAs(ctx, ap, catalog.NewFolder{Name: "Round 1", ParentID: f.ID}, "")
	testkit.Must(t, err, "subfolder")
	pending := s.readySession(s.admin, sub.ID, "Opening statements")
	gone := s.readySession(s.admin, f.ID, "Outtakes")
	testkit.Must(t, s.catalog.DeleteSession(ctx, ap, gone.ID, ""), "delete")
	g, err := s.access.CreateGroup(ctx, ap, "Judges")
	testkit.Must(t, err, "group")
	_, err = s.access.Grant(ctx, ap, access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: s.user.ID,
		Resource: lectern.FolderResource(f.ID), Role: lectern.RoleViewer, ExpiresAt: s.now().Add(72 * time.Hour)}, "")
	testkit.Must(t, err, "grant")
	_, err = s.access.Grant(ctx, ap, access.NewGrant{PrincipalType: lectern.PrincipalGroup, PrincipalID: g.ID,
		Resource: lectern.SessionResource(pending.ID), Role: lectern.RoleViewer}, "")
	testkit.Must(t, err, "group grant")
	return map[string]func() response{
		"folders":     func() response { return admin.get("/folders") },
		"folder":      func() response { return admin.get("/folders/" + sub.ID) },
		"session":     func() response { return admin.get("/sessions/" + pending.ID) },
		"share":       func() response { return admin.get("/sessions/" + pending.ID + "/share") },
		"approvals":   func() response { return admin.get("/approvals") },
		"audit":       func() response { return admin.get("/admin/audit") },
		"recycle_bin": func() response { return admin.get("/recycle-bin") },
	}
}

// token finds the CSRF token of the page the browser last loaded.
func (b *browser) token() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.last.body)
	if m == nil {
		b.t.Fatalf("the last page has no csrf_token field:\n%s", b.last.body)
	}
	return m[1]
}

// postForm posts values with the CSRF token of the last page loaded.
func (b *browser) postForm(action string, values url.Values) response {
	b.t.Helper()
	values.Set("csrf_token", b.token())
	return b.post(action, values)
}

// follow loads where a 303 points, failing the test on anything else.
func (b *browser) follow(what string, r response) response {
	b.t.Helper()
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("%s: status %d, want 303:\n%s", what, r.status, r.body)
	}
	return b.get(r.location())
}

var folderLocation = regexp.MustCompile(`^/folders/([0-9a-f-]+)\?done=created$`)

func TestFolderBrowserPages(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		lee := s.account(identity.NewUser{Email: "lee@uni.example", Name: "Lee Lecturer", Password: userPassword})
		b := s.browser()
		b.signIn("lee@uni.example", userPassword)

		page := b.get("/folders")
		wantContains(t, "empty folders page", page.body, "You have no folders of your own yet.", `<a href="/folders" aria-current="page">Folders</a>`)
		r := b.postForm("/folders", url.Values{"name": {""}})
		wantStatus(t, "folder without a name", r, http.StatusBadRequest)
		wantContains(t, "folder without a name", r.body, "name: a folder needs a name", "<title>Error: Folders")

		r = b.postForm("/folders", url.Values{"name": {"CHEM110"}})
		m := folderLocation.FindStringSubmatch(r.location())
		if m == nil {
			t.Fatalf("create folder: %d → %q", r.status, r.location())
		}
		courseID := m[1]
		page = b.follow("create folder", r)
		wantContains(t, "new folder", page.body, "<h1>CHEM110</h1>", "Folder created.", `aria-label="Breadcrumbs"`,
			`<a href="/folders">Folders</a>`, `<span aria-current="page">CHEM110</span>`, "Share / permissions")

		r = b.postForm("/folders", url.Values{"name": {"Week 1"}, "parent_id": {courseID}})
		weekID := folderLocation.FindStringSubmatch(r.location())[1]
		page = b.follow("create subfolder", r)
		wantContains(t, "subfolder", page.body, `<a href="/folders/`+courseID+`">CHEM110</a>`, "<h1>Week 1</h1>")

		page = b.follow("rename", b.postForm("/folders/"+weekID+"/rename", url.Values{"name": {"Week 1: Atoms"}}))
		wantContains(t, "renamed", page.body, "<h1>Week 1: Atoms</h1>", "Name saved.")
		r = b.postForm("/folders/"+weekID+"/rename", url.Values{"name": {" "}})
		wantStatus(t, "rename to nothing", r, http.StatusBadRequest)

		b.get("/folders/" + courseID)
		page = b.follow("approval on", b.postForm("/folders/"+courseID+"/approval", url.Values{"required": {"on"}}))
		wantContains(t, "approval on", page.body, "Approval setting saved.", "wait for a publisher's approval")
		course, err := s.catalog.Folder(context.Background(), lectern.PrincipalOf(lee), courseID, "")
		testkit.Must(t, err, "folder")
		if !course.RequiresApproval {
			t.Error("approval is not on")
		}
		// Lee owns the folder but is not a publisher: no switch to turn it off.
		if strings.Contains(page.body, "Stop requiring approval") {
			t.Error("a non-publisher is offered to turn approval off")
		}

		// Sessions in the folder carry their state badges.
		s.readySession(lee, weekID, "Atoms and moles")
		page = b.get("/folders/" + weekID)
		wantContains(t, "folder with a session", page.body, "Atoms and moles", `class="badge badge-ready">Ready</span>`,
			`class="badge badge-pending-approval">Waiting for approval</span>`, "as the folder “CHEM110” above requires")
		page = b.get("/videos")
		wantContains(t, "my videos", page.body, "Atoms and moles", `<a href="/folders/`+courseID+`">CHEM110</a>`)

		// Someone without rights sees a 404 page; the page does not leak.
		other := s.browser()
		other.signIn(userEmail, userPassword)
		r = other.get("/folders/" + weekID)
		wantStatus(t, "a stranger's folder", r, http.StatusNotFound)
		if strings.Contains(r.body, "Atoms") {
			t.Error("the 404 page shows the folder's content")
		}

		// Delete to the recycle bin and back.
		b.get("/folders/" + weekID)
		page = b.follow("delete folder", b.postForm("/folders/"+weekID+"/delete", url.Values{}))
		wantContains(t, "recycle bin", page.body, "Moved to the recycle bin.", "Week 1: Atoms", "Atoms and moles")
		page = b.follow("restore folder", b.postForm("/folders/"+weekID+"/restore", url.Values{}))
		wantContains(t, "restored", page.body, "Restored from the recycle bin.", "Atoms and moles")
	})
}

func TestSessionPageEditsPublishesAndDeletes(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		lee := s.account(identity.NewUser{Email: "lee@uni.example", Name: "Lee Lecturer", Password: userPassword})
		f, err := s.catalog.CreateFolderAs(ctx, lectern.PrincipalOf(lee), catalog.NewFolder{Name: "BIO100"}, "")
		testkit.Must(t, err, "folder")
		sess := s.readySession(lee, f.ID, "Cells")
		testkit.Must(t, s.catalog.SetDuration(ctx, sess.ID, 3723*time.Second), "duration")

		b := s.browser()
		b.signIn("lee@uni.example", userPassword)
		page := b.get("/sessions/" + sess.ID)
		wantContains(t, "session page", page.body, "<h1>Cells</h1>", "1:02:03", "Lee Lecturer", `<a href="/folders/`+f.ID+`">BIO100</a>`,
			`<span class="badge badge-published">Published</span>`, "Unpublish", "Share / permissions", "Move to the recycle bin",
			`href="/audit?resource=`+sess.ID+`"`)

		page = b.follow("edit", b.postForm("/sessions/"+sess.ID+"/edit", url.Values{"title": {"Cells and tissues"}, "description": {"Week 2 <b>notes</b>"}}))
		wantContains(t, "edited", page.body, "<h1>Cells and tissues</h1>", "Changes saved.", "Week 2 &lt;b&gt;notes&lt;/b&gt;")
		r := b.postForm("/sessions/"+sess.ID+"/edit", url.Values{"title": {""}, "description": {"kept"}})
		wantStatus(t, "edit without a title", r, http.StatusBadRequest)
		wantContains(t, "edit without a title", r.body, "title: must be 1 to 300 characters", ">kept</textarea>")

		page = b.follow("unpublish", b.postForm("/sessions/"+sess.ID+"/unpublish", url.Values{}))
		wantContains(t, "unpublished", page.body, "Unpublished", `badge-draft">Draft</span>`, ">Publish</button>")
		page = b.follow("publish", b.postForm("/sessions/"+sess.ID+"/publish", url.Values{}))
		wantContains(t, "published", page.body, "Published: viewers can see it now.")

		// A viewer sees the details but none of the forms.
		_, err = s.access.Grant(ctx, lectern.PrincipalOf(lee), access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: s.user.ID,
			Resource: lectern.FolderResource(f.ID), Role: lectern.RoleViewer}, "")
		testkit.Must(t, err, "grant")
		viewer := s.browser()
		viewer.signIn(userEmail, userPassword)
		page = viewer.get("/sessions/" + sess.ID)
		wantStatus(t, "viewer", page, http.StatusOK)
		for _, form := range []string{"/edit", "/unpublish", "/delete", "/share"} {
			if strings.Contains(page.body, sess.ID+form) {
				t.Errorf("a viewer is offered %s", form)
			}
		}
		r = viewer.postForm("/sessions/"+sess.ID+"/edit", url.Values{"title": {"Hacked"}})
		wantStatus(t, "a viewer's edit", r, http.StatusForbidden)

		b.get("/sessions/" + sess.ID)
		page = b.follow("delete", b.postForm("/sessions/"+sess.ID+"/delete", url.Values{}))
		wantContains(t, "recycle bin", page.body, "Cells and tissues", "/sessions/"+sess.ID+"/restore")
		wantStatus(t, "viewer after delete", viewer.get("/sessions/"+sess.ID), http.StatusNotFound)
		page = b.follow("restore", b.postForm("/sessions/"+sess.ID+"/restore", url.Values{}))
		wantContains(t, "restored", page.body, "Restored from the recycle bin.")
	})
}

func TestShareDialogGivesExplainsAndTakesAccess(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		lee := s.account(identity.NewUser{Email: "lee@uni.example", Name: "Lee Lecturer", Password: userPassword})
		sam := s.account(identity.NewUser{Email: "sam@uni.example", Name: "Sam Student", Password: userPassword})
		lp := lectern.PrincipalOf(lee)
		course, err := s.catalog.CreateFolderAs(ctx, lp, catalog.NewFolder{Name: "HIST201"}, "")
		testkit.Must(t, err, "folder")
		sess := s.readySession(lee, course.ID, "The Tudors")
		tutors, err := s.access.CreateGroup(ctx, lp, "HIST201 tutors")
		testkit.Must(t, err, "group")
		testkit.Must(t, s.access.AddMember(ctx, lp, tutors.ID, sam.ID, time.Time{}, ""), "member")
		_, err = s.access.Grant(ctx, lp, access.NewGrant{PrincipalType: lectern.PrincipalGroup, PrincipalID: tutors.ID,
			Resource: lectern.FolderResource(course.ID), Role: lectern.RoleCreator}, "")
		testkit.Must(t, err, "group grant")

		grace := s.browser()
		grace.signIn(userEmail, userPassword)
		wantStatus(t, "before sharing", grace.get("/sessions/"+sess.ID), http.StatusNotFound)

		b := s.browser()
		b.signIn("lee@uni.example", userPassword)
		page := b.get("/sessions/" + sess.ID + "/share")
		wantContains(t, "share page", page.body, "<h1>Share “The Tudors”</h1>", "Lee Lecturer", "Owner",
			"Group: HIST201 tutors", "Given on the folder “HIST201” above, and inherited, to every member of the group",
			`<option value="`+tutors.ID+`">HIST201 tutors</option>`)

		// Errors keep what was typed.
		r := b.postForm("/sessions/"+sess.ID+"/share", url.Values{"user_email": {"nobody@uni.example"}, "role": {"viewer"}})
		wantStatus(t, "unknown address", r, http.StatusBadRequest)
		wantContains(t, "unknown address", r.body, "No Lectern account has the address nobody@uni.example.", `value="nobody@uni.example"`)
		r = b.postForm("/sessions/"+sess.ID+"/share", url.Values{"user_email": {userEmail}, "role": {"viewer"}, "expires_on": {"2001-01-01"}})
		wantStatus(t, "date in the past", r, http.StatusBadRequest)
		r = b.postForm("/sessions/"+sess.ID+"/share", url.Values{"role": {"viewer"}})
		wantStatus(t, "nobody", r, http.StatusBadRequest)

		// Give Grace viewer access until a day; she can watch, and the page
		// says why and until when.
		day := s.now().AddDate(0, 0, 10).UTC()
		r = b.postForm("/sessions/"+sess.ID+"/share", url.Values{"user_email": {userEmail}, "role": {"viewer"}, "expires_on": {day.Format("2006-01-02")}})
		page = b.follow("share", r)
		wantContains(t, "after sharing", page.body, "Access given.", "Grace User", "Given on this recording",
			`datetime="`+day.AddDate(0, 0, 1).Format("2006-01-02")+`T00:00:00Z"`, "/sessions/"+sess.ID+"/share/remove")
		wantStatus(t, "after sharing", grace.get("/sessions/"+sess.ID), http.StatusOK)
		grants, err := s.access.Grants(ctx, lp, lectern.SessionResource(sess.ID), "")
		testkit.Must(t, err, "grants")
		if len(grants) != 1 || grants[0].PrincipalID != s.user.ID || !grants[0].ExpiresAt.Equal(time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("grants %+v", grants)
		}

		// The group can be given access too.
		page = b.follow("share with a group", b.postForm("/sessions/"+sess.ID+"/share", url.Values{"group_id": {tutors.ID}, "role": {"viewer"}}))
		wantContains(t, "group shared", page.body, "Given on this recording, to every member of the group")

		// Remove Grace: she loses access.
		page = b.follow("remove", b.postForm("/sessions/"+sess.ID+"/share/remove", url.Values{"grant_id": {grants[0].ID}}))
		wantContains(t, "after removing", page.body, "Access removed.")
		wantStatus(t, "after removing", grace.get("/sessions/"+sess.ID), http.StatusNotFound)
		r = b.postForm("/sessions/"+sess.ID+"/share/remove", url.Values{"grant_id": {grants[0].ID}})
		wantStatus(t, "remove twice", r, http.StatusConflict)

		// The folder's share page; someone who may only view gets no page.
		page = b.get("/folders/" + course.ID + "/share")
		wantContains(t, "folder share page", page.body, "<h1>Share “HIST201”</h1>", "Given on this folder, to every member of the group")
		_, err = s.access.Grant(ctx, lp, access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: s.user.ID,
			Resource: lectern.FolderResource(course.ID), Role: lectern.RoleViewer}, "")
		testkit.Must(t, err, "viewer grant")
		wantStatus(t, "viewer's share page", grace.get("/folders/"+course.ID+"/share"), http.StatusForbidden)
		grace.get("/sessions/" + sess.ID)
		r = grace.postForm("/sessions/"+sess.ID+"/share", url.Values{"user_email": {"sam@uni.example"}, "role": {"viewer"}})
		wantStatus(t, "viewer shares", r, http.StatusForbidden)

		// The owner's activity page lists the sharing.
		page = b.get("/audit?resource=" + sess.ID)
		wantContains(t, "owner's activity", page.body, "grant.add", "grant.revoke", "Lee Lecturer")
	})
}

func TestApprovalQueuePage(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		lee := s.account(identity.NewUser{Email: "lee@uni.example", Name: "Lee Lecturer", Password: userPassword})
		course, err := s.catalog.CreateFolderAs(ctx, lectern.PrincipalOf(lee), catalog.NewFolder{Name: "MED300", RequiresApproval: true}, "")
		testkit.Must(t, err, "folder")
		_, err = s.access.Grant(ctx, lectern.PrincipalOf(s.admin), access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: s.user.ID,
			Resource: lectern.FolderResource(course.ID), Role: lectern.RolePublisher}, "")
		testkit.Must(t, err, "publisher grant")
		first := s.readySession(lee, course.ID, "Anatomy 1")
		second := s.readySession(lee, course.ID, "Anatomy 2")

		pub := s.browser()
		pub.signIn(userEmail, userPassword)
		page := pub.get("/approvals")
		wantContains(t, "queue", page.body, "Anatomy 1", "Anatomy 2", "By Lee Lecturer", `for="comment-`+first.ID+`"`)

		r := pub.postForm("/sessions/"+first.ID+"/return", url.Values{"from": {"approvals"}, "comment": {""}})
		wantStatus(t, "return without a comment", r, http.StatusBadRequest)
		wantContains(t, "return without a comment", r.body, "comment: say what should change")

		before := len(mailsTo(s, "lee@uni.example"))
		r = pub.postForm("/sessions/"+first.ID+"/return", url.Values{"from": {"approvals"}, "comment": {"Label the diagrams."}})
		if r.location() != "/approvals?done=returned" {
			t.Fatalf("return: %d → %q", r.status, r.location())
		}
		page = pub.get(r.location())
		wantContains(t, "after return", page.body, "Returned with your comment.")
		if strings.Contains(page.body, "Anatomy 1") {
			t.Error("the returned session is still in the queue")
		}
		pub.follow("approve", pub.postForm("/sessions/"+second.ID+"/approve", url.Values{"from": {"approvals"}}))
		if n := len(mailsTo(s, "lee@uni.example")) - before; n != 2 {
			t.Errorf("Lee got %d emails, want one per answer", n)
		}

		// The owner sees the comment on the session page.
		b := s.browser()
		b.signIn("lee@uni.example", userPassword)
		page = b.get("/sessions/" + first.ID)
		wantContains(t, "returned session", page.body, "Approval history", "Label the diagrams.", "Returned", "Send for approval")
		page = b.get("/approvals")
		wantContains(t, "lee's queue", page.body, "Nothing is waiting for your approval.")
	})
}

func TestAdminViewingSomeonesSessionIsAuditedOnceAndTheOwnerTold(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		lee := s.account(identity.NewUser{Email: "lee@uni.example", Name: "Lee Lecturer", Password: userPassword})
		f, err := s.catalog.CreateFolderAs(ctx, lectern.PrincipalOf(lee), catalog.NewFolder{Name: "Private"}, "")
		testkit.Must(t, err, "folder")
		sess := s.readySession(lee, f.ID, "Office hours")
		_, err = s.catalog.Unpublish(ctx, lectern.PrincipalOf(lee), sess.ID, "")
		testkit.Must(t, err, "unpublish")

		admin := s.browser()
		admin.signIn(adminEmail, adminPassword)
		before := len(mailsTo(s, "lee@uni.example"))
		page := admin.get("/sessions/" + sess.ID)
		wantStatus(t, "admin views", page, http.StatusOK)
		wantContains(t, "admin's view", page.body, "Office hours", `href="/admin/audit?resource=`+sess.ID+`"`)

		events, _, err := s.access.AuditLog(ctx, lectern.PrincipalOf(s.admin), access.AuditQuery{ResourceID: sess.ID, Action: lectern.AuditAdminAccess})
		testkit.Must(t, err, "audit")
		if len(events) != 1 || events[0].ActorID != s.admin.ID || events[0].Detail != "view; owner told" {
			t.Errorf("admin access events: %+v", events)
		}
		mails := mailsTo(s, "lee@uni.example")
		if len(mails)-before != 1 {
			t.Errorf("the owner got %d emails, want 1", len(mails)-before)
		}
		out, err := s.outbox.List(ctx, 10)
		testkit.Must(t, err, "outbox")
		found := false
		for _, m := range out {
			if m.To == "lee@uni.example" && strings.Contains(m.Text, s.srv.URL+"/sessions/"+sess.ID) {
				found = true
			}
		}
		if !found {
			t.Errorf("no email to the owner links to %s/sessions/%s", s.srv.URL, sess.ID)
		}

		// The admin audit log shows it, with filters; the owner's too.
		page = admin.get("/admin/audit?actor=" + url.QueryEscape(adminEmail) + "&action=admin.access")
		wantContains(t, "admin audit", page.body, "admin.access", "Ada Admin", "Lee Lecturer", `href="/sessions/`+sess.ID+`"`, `aria-current="page">Audit log`)
		page = admin.get("/admin/audit?since=yesterday")
		wantStatus(t, "bad filter", page, http.StatusBadRequest)
		wantContains(t, "bad filter", page.body, "From: must be a date")
		lees := s.browser()
		lees.signIn("lee@uni.example", userPassword)
		page = lees.get("/audit")
		wantContains(t, "owner's activity", page.body, "admin.access", "Ada Admin", "view; owner told")
		wantStatus(t, "owner on the admin log", lees.get("/admin/audit"), http.StatusForbidden)
		grace := s.browser()
		grace.signIn(userEmail, userPassword)
		if page = grace.get("/audit"); strings.Contains(page.body, sess.ID) || !strings.Contains(page.body, "No events match.") {
			t.Error("someone else reads the owner's audit events")
		}
	})
}
