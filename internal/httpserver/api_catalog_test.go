package httpserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// client is one API caller, for the flow tests.
type client struct {
	t     *testing.T
	s     *site
	token string
}

func (s *site) client(t *testing.T, u lectern.User) *client {
	return &client{t: t, s: s, token: s.token(u)}
}

// call sends a request and checks the status; on success it decodes the
// body into out (when given).
func (c *client) call(method, path, body string, want int, out any) response {
	c.t.Helper()
	r := c.s.apiDo(c.t, method, path, c.token, body)
	wantStatus(c.t, method+" "+path, r, want)
	if out != nil && want < 300 {
		decodeJSON(c.t, r, out)
	}
	return r
}

// fails checks an error answer's status, code and the start of its message.
func (c *client) fails(method, path, body string, status int, code, msgPrefix string) {
	c.t.Helper()
	r := c.s.apiDo(c.t, method, path, c.token, body)
	wantStatus(c.t, method+" "+path+" "+body, r, status)
	e := decodeError(c.t, r)
	if e.Error.Code != code || !strings.HasPrefix(e.Error.Message, msgPrefix) {
		c.t.Errorf("%s %s %s: error %+v, want code %q and a message starting %q", method, path, body, e.Error, code, msgPrefix)
	}
}

type apiFolder struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	ParentID         *string `json:"parent_id"`
	RequiresApproval bool    `json:"requires_approval"`
	RecycledAt       *string `json:"recycled_at"`
}

type apiSession struct {
	ID              string  `json:"id"`
	Title           string  `json:"title"`
	FolderID        *string `json:"folder_id"`
	State           string  `json:"state"`
	Publication     string  `json:"publication"`
	Lifecycle       string  `json:"lifecycle"`
	DurationSeconds float64 `json:"duration_seconds"`
	CreatedAt       string  `json:"created_at"`
}

type apiList[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

type apiGrant struct {
	ID            string  `json:"id"`
	PrincipalType string  `json:"principal_type"`
	PrincipalID   string  `json:"principal_id"`
	PrincipalName string  `json:"principal_name"`
	Role          string  `json:"role"`
	ExpiresAt     *string `json:"expires_at"`
	Active        bool    `json:"active"`
}

type apiHolder struct {
	PrincipalID string  `json:"principal_id"`
	Name        string  `json:"name"`
	Role        string  `json:"role"`
	Reason      string  `json:"reason"`
	GrantID     *string `json:"grant_id"`
	Inherited   bool    `json:"inherited"`
	Folder      *struct {
		ID, Name string
	} `json:"folder"`
}

func ids[T any](items []T, id func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func sessionIDs(l apiList[apiSession]) string {
	return strings.Join(ids(l.Items, func(s apiSession) string { return s.Title }), ",")
}

func TestAPIFoldersSessionsAndTheirContracts(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		lee := s.account(identity.NewUser{Email: "lee@uni.example", Name: "Lee Lecturer", Password: userPassword})
		owner, grace := s.client(t, lee), s.client(t, s.user)

		// POST /api/v1/folders {"name","parent_id"?} → 201 {"id",...} (DESIGN §6).
		var course, week apiFolder
		r := owner.call("POST", "/api/v1/folders", `{"name":"PHYS101"}`, http.StatusCreated, &course)
		if course.ID == "" || course.Name != "PHYS101" || course.ParentID != nil || r.header.Get("Location") != "/api/v1/folders/"+course.ID {
			t.Fatalf("created %+v, Location %q", course, r.header.Get("Location"))
		}
		owner.call("POST", "/api/v1/folders", `{"name":"Week 1","parent_id":"`+course.ID+`"}`, http.StatusCreated, &week)
		if week.ParentID == nil || *week.ParentID != course.ID {
			t.Errorf("subfolder %+v", week)
		}

		// Bad input names the field.
		owner.fails("POST", "/api/v1/folders", `{"name":""}`, 400, "invalid", "name:")
		owner.fails("POST", "/api/v1/folders", `{"name":7}`, 400, "invalid", "name: must be a string")
		owner.fails("POST", "/api/v1/folders", `{"name":"x","colour":"red"}`, 400, "invalid", "colour: unknown field")
		owner.fails("POST", "/api/v1/folders", `{"name":`, 400, "invalid", "body:")
		owner.fails("POST", "/api/v1/folders", `[1]`, 400, "invalid", "body: must be a JSON object")
		owner.fails("POST", "/api/v1/folders", `{"name":"x","parent_id":"`+sqlstore.NewID()+`"}`, 400, "invalid", "parent_id: no such folder")
		owner.fails("PATCH", "/api/v1/folders/"+course.ID, `{}`, 400, "invalid", "body: nothing to change")
		owner.fails("POST", "/api/v1/folders/"+week.ID+"/move", `{}`, 400, "invalid", "parent_id: required")
		owner.fails("GET", "/api/v1/folders/"+sqlstore.NewID(), "", 404, "not_found", "folder not found")
		owner.fails("GET", "/api/v1/sessions?limit=0", "", 400, "invalid", "limit:")
		owner.fails("GET", "/api/v1/sessions?cursor=nope", "", 400, "invalid", "cursor:")
		owner.fails("POST", "/api/v1/folders", `{"name":"`+strings.Repeat("x", 2<<20)+`"}`, 413, "too_large", "body:")

		// Sessions: the contract's shape; state is the processing state.
		var draft apiSession
		owner.call("POST", "/api/v1/sessions", `{"title":"Lecture 0","folder_id":"`+week.ID+`"}`, http.StatusCreated, &draft)
		var got map[string]any
		owner.call("GET", "/api/v1/sessions/"+draft.ID, "", 200, &got)
		for _, k := range []string{"id", "title", "folder_id", "state", "duration_seconds", "publication", "lifecycle", "created_at"} {
			if _, ok := got[k]; !ok {
				t.Errorf("GET /api/v1/sessions/{id} lacks %q: %v", k, got)
			}
		}
		if got["state"] != "uploading" || got["publication"] != "draft" || got["lifecycle"] != "active" || got["folder_id"] != week.ID {
			t.Errorf("new session %v", got)
		}
		owner.call("PATCH", "/api/v1/sessions/"+draft.ID, `{"title":"Lecture 0: intro","description":"Welcome"}`, 200, &draft)
		if draft.Title != "Lecture 0: intro" {
			t.Errorf("patched %+v", draft)
		}
		owner.fails("PATCH", "/api/v1/sessions/"+draft.ID, `{"title":"  "}`, 400, "invalid", "title:")

		published := s.readySession(lee, week.ID, "Lecture 1")
		if published.Publication != lectern.PublicationPublished {
			t.Fatalf("ready session is %s", published.Publication)
		}

		// Grace has no rights yet: 403 on what exists, 404 on what does not.
		grace.fails("GET", "/api/v1/folders/"+week.ID+"/sessions", "", 403, "forbidden", "You do not have access")
		grace.fails("GET", "/api/v1/sessions/"+sqlstore.NewID(), "", 404, "not_found", "session not found")

		// Give her a viewer grant on the folder, until a time; she sees
		// only the published session, in the folder and in her own list.
		until := s.now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		var g apiGrant
		owner.call("POST", "/api/v1/folders/"+course.ID+"/grants", `{"user_email":"`+userEmail+`","role":"viewer","expires_at":"`+until+`"}`, 201, &g)
		if g.PrincipalID != s.user.ID || g.Role != "viewer" || g.ExpiresAt == nil || !g.Active || g.PrincipalName != "Grace User" {
			t.Errorf("grant %+v", g)
		}
		var list apiList[apiSession]
		grace.call("GET", "/api/v1/folders/"+week.ID+"/sessions", "", 200, &list)
		if sessionIDs(list) != "Lecture 1" || list.Items[0].State != "ready" {
			t.Errorf("grace sees %+v", list)
		}
		owner.call("GET", "/api/v1/folders/"+week.ID+"/sessions", "", 200, &list)
		if sessionIDs(list) != "Lecture 1,Lecture 0: intro" {
			t.Errorf("owner sees %s", sessionIDs(list))
		}
		grace.call("GET", "/api/v1/sessions", "", 200, &list)
		if sessionIDs(list) != "Lecture 1" {
			t.Errorf("grace's sessions %s", sessionIDs(list))
		}
		grace.fails("GET", "/api/v1/sessions/"+draft.ID, "", 403, "forbidden", "You do not have access to this session.")
		grace.fails("PATCH", "/api/v1/sessions/"+published.ID, `{"title":"Mine now"}`, 403, "forbidden", "You are not allowed to edit")
		var path apiList[apiFolder]
		grace.call("GET", "/api/v1/folders/"+week.ID+"/path", "", 200, &path)
		if strings.Join(ids(path.Items, func(f apiFolder) string { return f.Name }), "/") != "PHYS101/Week 1" {
			t.Errorf("path %+v", path)
		}
		var folders apiList[apiFolder]
		grace.call("GET", "/api/v1/folders", "", 200, &folders)
		if len(folders.Items) != 1 || folders.Items[0].ID != course.ID {
			t.Errorf("grace's top folders %+v", folders)
		}
		grace.call("GET", "/api/v1/folders/"+course.ID+"/folders", "", 200, &folders)
		if len(folders.Items) != 1 || folders.Items[0].ID != week.ID {
			t.Errorf("subfolders %+v", folders)
		}

		// Who has access and why.
		var gl struct {
			Items   []apiGrant  `json:"items"`
			Holders []apiHolder `json:"holders"`
		}
		owner.call("GET", "/api/v1/sessions/"+published.ID+"/grants", "", 200, &gl)
		reasons := map[string]apiHolder{}
		for _, h := range gl.Holders {
			reasons[h.Reason] = h
		}
		if len(gl.Items) != 0 || reasons["owner"].PrincipalID != lee.ID || reasons["grant:viewer:folder"].PrincipalID != s.user.ID ||
			!reasons["grant:viewer:folder"].Inherited || reasons["grant:viewer:folder"].Folder.Name != "PHYS101" {
			t.Errorf("grants on the session: %+v", gl)
		}
		owner.call("GET", "/api/v1/folders/"+course.ID+"/grants", "", 200, &gl)
		if len(gl.Items) != 1 || gl.Items[0].ID != g.ID {
			t.Errorf("grants on the folder: %+v", gl.Items)
		}

		// Grant input errors name the field.
		for body, prefix := range map[string]string{
			`{"role":"viewer"}`: "user_email:",
			`{"user_email":"` + userEmail + `","group_id":"x","role":"viewer"}`:                      "user_email:",
			`{"user_email":"nobody@uni.example","role":"viewer"}`:                                    "user_email: no account",
			`{"user_email":"` + userEmail + `","role":"owner"}`:                                      "role:",
			`{"user_email":"` + userEmail + `","role":"viewer","expires_at":"tomorrow"}`:             "expires_at: must be an RFC 3339 time",
			`{"user_email":"` + userEmail + `","role":"viewer","expires_at":"2001-01-01T00:00:00Z"}`: "expires_at: must be in the future",
			`{"group_id":"` + sqlstore.NewID() + `","role":"viewer"}`:                                "group_id: no such group",
		} {
			owner.fails("POST", "/api/v1/sessions/"+published.ID+"/grants", body, 400, "invalid", prefix)
		}

		// Taking the grant away takes the access.
		owner.fails("DELETE", "/api/v1/sessions/"+published.ID+"/grants/"+g.ID, "", 404, "not_found", "grant not found")
		owner.call("DELETE", "/api/v1/folders/"+course.ID+"/grants/"+g.ID, "", 204, nil)
		grace.fails("GET", "/api/v1/sessions/"+published.ID, "", 403, "forbidden", "")

		// Move, delete to the bin, restore.
		var other apiFolder
		owner.call("POST", "/api/v1/folders", `{"name":"Archive"}`, 201, &other)
		var moved apiSession
		owner.call("POST", "/api/v1/sessions/"+published.ID+"/move", `{"folder_id":"`+other.ID+`"}`, 200, &moved)
		if moved.FolderID == nil || *moved.FolderID != other.ID {
			t.Errorf("moved %+v", moved)
		}
		owner.call("POST", "/api/v1/folders/"+other.ID+"/move", `{"parent_id":"`+course.ID+`"}`, 200, &other)
		owner.fails("POST", "/api/v1/folders/"+course.ID+"/move", `{"parent_id":"`+other.ID+`"}`, 400, "invalid", "")
		owner.call("DELETE", "/api/v1/sessions/"+draft.ID, "", 204, nil)
		owner.call("DELETE", "/api/v1/folders/"+other.ID, "", 204, nil)
		owner.fails("DELETE", "/api/v1/folders/"+other.ID, "", 409, "conflict", "")
		var bin struct {
			Sessions []apiSession `json:"sessions"`
			Folders  []apiFolder  `json:"folders"`
		}
		owner.call("GET", "/api/v1/recycle-bin", "", 200, &bin)
		// The session moved into the deleted folder went with it.
		if strings.Join(ids(bin.Sessions, func(s apiSession) string { return s.Title }), ",") != "Lecture 1,Lecture 0: intro" ||
			len(bin.Folders) != 1 || bin.Folders[0].ID != other.ID {
			t.Errorf("recycle bin %+v", bin)
		}
		owner.call("POST", "/api/v1/sessions/"+draft.ID+"/restore", "", 200, &draft)
		owner.call("POST", "/api/v1/folders/"+other.ID+"/restore", "", 200, &other)
		if draft.Lifecycle != "active" || other.RecycledAt != nil {
			t.Errorf("restored %+v %+v", draft, other)
		}

		// Pages of a list: next until the end, then none.
		seen := map[string]bool{}
		next := ""
		for range 5 {
			list = apiList[apiSession]{}
			owner.call("GET", "/api/v1/sessions?limit=1&cursor="+url.QueryEscape(next), "", 200, &list)
			for _, it := range list.Items {
				seen[it.ID] = true
			}
			if next = list.Next; next == "" {
				break
			}
		}
		if len(seen) != 2 || next != "" {
			t.Errorf("paging saw %d sessions, next %q", len(seen), next)
		}
	})
}

func TestAPIApprovalsGroupsAndAudit(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		lee := s.account(identity.NewUser{Email: "lee@uni.example", Name: "Lee Lecturer", Password: userPassword})
		pat := s.account(identity.NewUser{Email: "pat@uni.example", Name: "Pat Publisher", Password: userPassword})
		owner, publisher, admin, grace := s.client(t, lee), s.client(t, pat), s.client(t, s.admin), s.client(t, s.user)

		var course apiFolder
		owner.call("POST", "/api/v1/folders", `{"name":"LAW200"}`, 201, &course)
		owner.call("PATCH", "/api/v1/folders/"+course.ID, `{"requires_approval":true}`, 200, &course)
		if !course.RequiresApproval {
			t.Fatal("approval not on")
		}
		// Only a publisher (or an admin) makes publishers.
		owner.fails("POST", "/api/v1/folders/"+course.ID+"/grants", `{"user_email":"pat@uni.example","role":"publisher"}`, 403, "forbidden", "Only publishers")
		admin.call("POST", "/api/v1/folders/"+course.ID+"/grants", `{"user_email":"pat@uni.example","role":"publisher"}`, 201, nil)

		sess := s.readySession(lee, course.ID, "Contract law 1")
		if sess.Publication != lectern.PublicationPendingApproval {
			t.Fatalf("ready in an approval folder: %s", sess.Publication)
		}
		var queue apiList[apiSession]
		publisher.call("GET", "/api/v1/approvals", "", 200, &queue)
		if sessionIDs(queue) != "Contract law 1" {
			t.Errorf("queue %s", sessionIDs(queue))
		}
		grace.call("GET", "/api/v1/approvals", "", 200, &queue)
		if len(queue.Items) != 0 {
			t.Errorf("grace's queue %+v", queue)
		}
		owner.fails("POST", "/api/v1/sessions/"+sess.ID+"/approve", "", 403, "forbidden", "You are not allowed to approve or return")
		publisher.fails("POST", "/api/v1/sessions/"+sess.ID+"/return", `{}`, 400, "invalid", "comment:")
		var back apiSession
		publisher.call("POST", "/api/v1/sessions/"+sess.ID+"/return", `{"comment":"Cut the first minute."}`, 200, &back)
		if back.Publication != "draft" {
			t.Errorf("returned: %+v", back)
		}
		owner.call("POST", "/api/v1/sessions/"+sess.ID+"/publish", "", 200, &back)
		if back.Publication != "pending-approval" {
			t.Errorf("published again: %+v", back)
		}
		publisher.call("POST", "/api/v1/sessions/"+sess.ID+"/approve", `{"comment":"Good."}`, 200, &back)
		if back.Publication != "published" {
			t.Errorf("approved: %+v", back)
		}
		publisher.fails("POST", "/api/v1/sessions/"+sess.ID+"/approve", "", 409, "conflict", "")
		var history apiList[struct {
			State   string `json:"state"`
			Comment string `json:"comment"`
		}]
		owner.call("GET", "/api/v1/sessions/"+sess.ID+"/approvals", "", 200, &history)
		if len(history.Items) != 2 || history.Items[0].State != "approved" || history.Items[1].Comment != "Cut the first minute." {
			t.Errorf("history %+v", history)
		}
		owner.call("POST", "/api/v1/sessions/"+sess.ID+"/unpublish", "", 200, &back)
		if back.Publication != "draft" {
			t.Errorf("unpublished: %+v", back)
		}
		owner.call("POST", "/api/v1/sessions/"+sess.ID+"/publish", "", 200, nil)
		publisher.call("POST", "/api/v1/sessions/"+sess.ID+"/approve", "", 200, nil)

		// Groups: a member reaches what the group is given, until the
		// membership ends.
		var grp struct {
			ID, Name, Kind string
		}
		owner.call("POST", "/api/v1/groups", `{"name":"Tutors"}`, 201, &grp)
		owner.fails("POST", "/api/v1/groups", `{"name":""}`, 400, "invalid", "name:")
		var member struct {
			UserID    string  `json:"user_id"`
			Email     string  `json:"email"`
			ExpiresAt *string `json:"expires_at"`
			Active    bool    `json:"active"`
		}
		until := s.now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
		owner.call("POST", "/api/v1/groups/"+grp.ID+"/members", `{"user_email":"`+userEmail+`","expires_at":"`+until+`"}`, 201, &member)
		if member.UserID != s.user.ID || member.ExpiresAt == nil || !member.Active {
			t.Errorf("member %+v", member)
		}
		owner.fails("POST", "/api/v1/groups/"+grp.ID+"/members", `{}`, 400, "invalid", "user_email:")
		grace.fails("POST", "/api/v1/groups/"+grp.ID+"/members", `{"user_id":"`+pat.ID+`"}`, 403, "forbidden", "Only the group's manager")
		owner.call("POST", "/api/v1/folders/"+course.ID+"/grants", `{"group_id":"`+grp.ID+`","role":"viewer"}`, 201, nil)
		grace.call("GET", "/api/v1/sessions/"+sess.ID, "", 200, nil)
		var groups apiList[struct{ ID string }]
		grace.call("GET", "/api/v1/groups", "", 200, &groups)
		if len(groups.Items) != 1 || groups.Items[0].ID != grp.ID {
			t.Errorf("grace's groups %+v", groups)
		}
		grace.call("GET", "/api/v1/groups/"+grp.ID, "", 200, nil)
		publisher.fails("GET", "/api/v1/groups/"+grp.ID, "", 403, "forbidden", "You do not have access to this group.")
		owner.call("DELETE", "/api/v1/groups/"+grp.ID+"/members/"+s.user.ID, "", 204, nil)
		grace.fails("GET", "/api/v1/sessions/"+sess.ID, "", 403, "forbidden", "")
		owner.fails("DELETE", "/api/v1/groups/"+grp.ID+"/members/"+s.user.ID, "", 404, "not_found", "")
		owner.call("DELETE", "/api/v1/groups/"+grp.ID, "", 204, nil)
		owner.fails("GET", "/api/v1/groups/"+grp.ID, "", 404, "not_found", "")

		// An admin reading someone's session is one audited access and one
		// email to the owner.
		before := len(mailsTo(s, "lee@uni.example"))
		admin.call("GET", "/api/v1/sessions/"+sess.ID, "", 200, nil)
		if n := len(mailsTo(s, "lee@uni.example")) - before; n != 1 {
			t.Errorf("the owner got %d emails about the admin's access, want 1", n)
		}
		events, _, err := s.access.AuditLog(ctx, lectern.PrincipalOf(s.admin), access.AuditQuery{Action: lectern.AuditAdminAccess, ResourceID: sess.ID})
		testkit.Must(t, err, "audit log")
		if len(events) != 1 || events[0].ActorID != s.admin.ID || events[0].OwnerID != lee.ID {
			t.Errorf("admin access events %+v", events)
		}

		// The audit log: owners read the events on their content; admins
		// read everything and filter.
		type event struct {
			ID         string `json:"id"`
			Action     string `json:"action"`
			ResourceID string `json:"resource_id"`
			ActorID    string `json:"actor_id"`
		}
		var log apiList[event]
		owner.call("GET", "/api/v1/audit?resource_id="+sess.ID, "", 200, &log)
		actions := strings.Join(ids(log.Items, func(e event) string { return e.Action }), ",")
		for _, want := range []string{"admin.access", "session.approve", "session.return", "session.submit"} {
			if !strings.Contains(actions, want) {
				t.Errorf("the owner's audit log of the session lacks %s: %s", want, actions)
			}
		}
		owner.call("GET", "/api/v1/audit?action=grant.", "", 200, &log)
		for _, e := range log.Items {
			if !strings.HasPrefix(e.Action, "grant.") {
				t.Errorf("action filter let through %+v", e)
			}
		}
		grace.call("GET", "/api/v1/audit", "", 200, &log)
		if len(log.Items) != 0 {
			t.Errorf("grace owns nothing but reads %+v", log.Items)
		}
		grace.fails("GET", "/api/v1/audit?owner_id="+lee.ID, "", 403, "forbidden", "")
		admin.call("GET", "/api/v1/audit?actor_id="+pat.ID+"&limit=1", "", 200, &log)
		if len(log.Items) != 1 || log.Items[0].ActorID != pat.ID || log.Next == "" {
			t.Errorf("admin's filtered page %+v", log)
		}
		first := log.Items[0]
		admin.call("GET", "/api/v1/audit?actor_id="+pat.ID+"&limit=1&cursor="+log.Next, "", 200, &log)
		if len(log.Items) != 1 || log.Items[0].ID == first.ID {
			t.Errorf("second page %+v", log)
		}
		owner.fails("GET", "/api/v1/audit?since=yesterday", "", 400, "invalid", "since:")
		owner.fails("GET", "/api/v1/audit?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "", 400, "invalid", "until:")
		owner.call("GET", "/api/v1/audit?since="+url.QueryEscape(s.now().Add(time.Hour).Format(time.RFC3339)), "", 200, &log)
		if len(log.Items) != 0 {
			t.Errorf("events from the future: %+v", log.Items)
		}
	})
}

// mailsTo lists the recipients of mail sent to addr so far.
func mailsTo(s *site, addr string) []string {
	var out []string
	for _, to := range s.mail.Sent() {
		if to == addr {
			out = append(out, to)
		}
	}
	return out
}
