package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestGrantPermissions(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		S, F := lectern.SessionResource, lectern.FolderResource
		cases := []struct {
			name  string
			actor lectern.User
			res   lectern.Resource
			role  lectern.Role
			want  lectern.ErrorCode // "" for success
		}{
			{"owner shares own session", w.lecturer, S(w.draft.ID), lectern.RoleViewer, ""},
			{"session creator shares the session", w.sessionCreator, S(w.draft.ID), lectern.RoleViewer, ""},
			{"session creator cannot give creator", w.sessionCreator, S(w.draft.ID), lectern.RoleCreator, lectern.EForbidden},
			{"folder creator gives creator on folder", w.creator, F(w.week.ID), lectern.RoleCreator, ""},
			{"folder creator cannot give publisher", w.creator, F(w.week.ID), lectern.RolePublisher, lectern.EForbidden},
			{"owner who is not publisher cannot give publisher", w.lecturer, F(w.course.ID), lectern.RolePublisher, lectern.EForbidden},
			{"publisher gives publisher", w.publisher, F(w.course.ID), lectern.RolePublisher, ""},
			{"viewer cannot share", w.viewer, S(w.published.ID), lectern.RoleViewer, lectern.EForbidden},
			{"stranger gets not found", w.stranger, S(w.published.ID), lectern.RoleViewer, lectern.ENotFound},
			{"admin gives publisher anywhere", w.admin, F(w.elsewhere.ID), lectern.RolePublisher, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				grantee := accesstest.User(t, db, "Grantee"+sqlstore.NewID()[24:], false)
				g, err := w.svc.Grant(context.Background(), p(tc.actor), access.NewGrant{
					PrincipalType: lectern.PrincipalUser, PrincipalID: grantee.ID, Resource: tc.res, Role: tc.role,
				}, "192.0.2.9")
				if got := codeOrEmpty(err); got != tc.want {
					t.Fatalf("got %q (%v), want %q", got, err, tc.want)
				}
				if err == nil && (g.ID == "" || g.Role != tc.role || g.CreatedBy != tc.actor.ID || g.Source != lectern.SourceManual) {
					t.Errorf("grant: %+v", g)
				}
			})
		}
	})
}

func codeOrEmpty(err error) lectern.ErrorCode {
	if err == nil {
		return ""
	}
	return lectern.ErrorCodeOf(err)
}

func TestGrantInputIsValidated(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		ok := access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: w.stranger.ID,
			Resource: lectern.SessionResource(w.draft.ID), Role: lectern.RoleViewer}
		cases := []struct {
			name string
			edit func(*access.NewGrant)
		}{
			{"unknown role", func(g *access.NewGrant) { g.Role = "owner" }},
			{"expiry in the past", func(g *access.NewGrant) { g.ExpiresAt = w.clock.Now().Add(-time.Minute) }},
			{"no such user", func(g *access.NewGrant) { g.PrincipalID = "nobody" }},
			{"no such group", func(g *access.NewGrant) { g.PrincipalType, g.PrincipalID = lectern.PrincipalGroup, "nobody" }},
			{"unknown principal type", func(g *access.NewGrant) { g.PrincipalType = "robot" }},
			{"unknown source", func(g *access.NewGrant) { g.Source = "magic" }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				g := ok
				tc.edit(&g)
				_, err := w.svc.Grant(context.Background(), p(w.lecturer), g, "")
				if lectern.ErrorCodeOf(err) != lectern.EInvalid {
					t.Errorf("want invalid, got %v", err)
				}
			})
		}
	})
}

func TestGrantChangesAreAuditedAndRegrantingUpdates(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		r := lectern.SessionResource(w.draft.ID)
		ng := access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: w.stranger.ID, Resource: r, Role: lectern.RoleViewer}
		first, err := w.svc.Grant(ctx, p(w.lecturer), ng, "192.0.2.1")
		testkit.Must(t, err, "grant")
		ng.Role = lectern.RoleCreator
		ng.ExpiresAt = w.clock.Now().Add(24 * time.Hour)
		second, err := w.svc.Grant(ctx, p(w.lecturer), ng, "192.0.2.1")
		testkit.Must(t, err, "regrant")
		if second.ID != first.ID || second.Role != lectern.RoleCreator || !second.ExpiresAt.Equal(ng.ExpiresAt) {
			t.Fatalf("regrant should update the same grant: first %+v, second %+v", first, second)
		}
		d, err := w.svc.Decide(ctx, p(w.stranger), lectern.ActionEdit, r)
		if err != nil || !d.Allowed || d.GrantID != first.ID {
			t.Fatalf("decision after regrant: %+v %v", d, err)
		}
		list, err := w.svc.Grants(ctx, p(w.lecturer), r, "")
		testkit.Must(t, err, "list grants")
		if len(list) != 2 || list[0].PrincipalName != "SessionCreator" || list[1].PrincipalName != "Stranger" {
			t.Errorf("grants on session: %+v", list)
		}
		testkit.Must(t, w.svc.Revoke(ctx, p(w.lecturer), first.ID, "192.0.2.1"), "revoke")
		if d, _ := w.svc.Decide(ctx, p(w.stranger), lectern.ActionView, r); d.Allowed {
			t.Fatalf("revoked grant still allows: %+v", d)
		}
		events, _, err := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Action: "grant."})
		testkit.Must(t, err, "audit log")
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
			if e.ActorID != w.lecturer.ID || e.OwnerID != w.lecturer.ID || e.ResourceID != w.draft.ID || e.ClientAddr != "192.0.2.1" {
				t.Errorf("event: %+v", e)
			}
		}
		want := []string{lectern.AuditGrantRevoke, lectern.AuditGrantChange, lectern.AuditGrantAdd}
		if len(actions) != 3 || actions[0] != want[0] || actions[1] != want[1] || actions[2] != want[2] {
			t.Errorf("audit actions newest first = %v, want %v", actions, want)
		}
	})
}

func TestSystemGrantFromLTIIsAuditedWithoutActor(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		link, err := w.svc.EnsureGroup(ctx, lectern.GroupLTILink, "deployment-1/link-42", "Lecture 3 link")
		testkit.Must(t, err, "ensure group")
		again, err := w.svc.EnsureGroup(ctx, lectern.GroupLTILink, "deployment-1/link-42", "Lecture 3 (renamed)")
		testkit.Must(t, err, "ensure group again")
		if again.ID != link.ID || again.Name != "Lecture 3 (renamed)" {
			t.Fatalf("EnsureGroup should find and rename: %+v %+v", link, again)
		}
		_, err = w.svc.SystemGrant(ctx, access.NewGrant{PrincipalType: lectern.PrincipalGroup, PrincipalID: link.ID,
			Resource: lectern.SessionResource(w.foreign.ID), Role: lectern.RoleViewer, Source: lectern.SourceLTI}, "lti deep link")
		testkit.Must(t, err, "system grant")
		// A launch: the student joins the link's group for the grant window.
		testkit.Must(t, w.svc.SystemAddMember(ctx, link.ID, w.stranger.ID, w.clock.Now().Add(time.Hour), "lti launch"), "join")
		d, err := w.svc.Decide(ctx, p(w.stranger), lectern.ActionView, lectern.SessionResource(w.foreign.ID))
		if err != nil || !d.Allowed || d.Reason != "grant:viewer:session" {
			t.Fatalf("after launch: %+v %v", d, err)
		}
		// A second launch refreshes the window and is not audited again.
		testkit.Must(t, w.svc.SystemAddMember(ctx, link.ID, w.stranger.ID, w.clock.Now().Add(2*time.Hour), "lti launch"), "rejoin")
		w.clock.Advance(90 * time.Minute)
		if d, _ := w.svc.Decide(ctx, p(w.stranger), lectern.ActionView, lectern.SessionResource(w.foreign.ID)); !d.Allowed {
			t.Fatalf("refreshed membership should still allow: %+v", d)
		}
		w.clock.Advance(time.Hour)
		if d, _ := w.svc.Decide(ctx, p(w.stranger), lectern.ActionView, lectern.SessionResource(w.foreign.ID)); d.Allowed || d.Reason != lectern.DenyExpired {
			t.Fatalf("expired membership should deny: %+v", d)
		}
		events, _, err := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{})
		testkit.Must(t, err, "audit")
		counts := map[string]int{}
		for _, e := range events {
			counts[e.Action]++
			if e.ActorID != "" {
				t.Errorf("system event with actor: %+v", e)
			}
		}
		if counts[lectern.AuditGrantAdd] != 1 || counts[lectern.AuditMemberAdd] != 1 {
			t.Errorf("audit counts: %v", counts)
		}
	})
}

func TestManualGroups(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		g, err := w.svc.CreateGroup(ctx, p(w.lecturer), "  Tutors ")
		testkit.Must(t, err, "create group")
		if g.Name != "Tutors" || g.Kind != lectern.GroupManual || g.OwnerID != w.lecturer.ID {
			t.Fatalf("group: %+v", g)
		}
		if err := w.svc.AddMember(ctx, p(w.stranger), g.ID, w.stranger.ID, time.Time{}, ""); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Errorf("stranger adding to a group they cannot see: %v", err)
		}
		testkit.Must(t, w.svc.AddMember(ctx, p(w.lecturer), g.ID, w.stranger.ID, time.Time{}, ""), "add member")
		if err := w.svc.AddMember(ctx, p(w.stranger), g.ID, w.viewer.ID, time.Time{}, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Errorf("member adding others: %v", err)
		}
		_, err = w.svc.Grant(ctx, p(w.lecturer), access.NewGrant{PrincipalType: lectern.PrincipalGroup, PrincipalID: g.ID,
			Resource: lectern.FolderResource(w.week.ID), Role: lectern.RoleCreator}, "")
		testkit.Must(t, err, "grant to group")
		if d, _ := w.svc.Decide(ctx, p(w.stranger), lectern.ActionEdit, lectern.SessionResource(w.draft.ID)); !d.Allowed {
			t.Fatalf("member should edit through the group: %+v", d)
		}
		members, err := w.svc.Members(ctx, p(w.stranger), g.ID)
		if err != nil || len(members) != 1 || members[0].UserEmail != w.stranger.Email {
			t.Errorf("members: %+v %v", members, err)
		}
		testkit.Must(t, w.svc.RemoveMember(ctx, p(w.lecturer), g.ID, w.stranger.ID, ""), "remove")
		if d, _ := w.svc.Decide(ctx, p(w.stranger), lectern.ActionView, lectern.SessionResource(w.draft.ID)); d.Allowed {
			t.Fatalf("removed member still allowed: %+v", d)
		}
		testkit.Must(t, w.svc.AddMember(ctx, p(w.lecturer), g.ID, w.stranger.ID, time.Time{}, ""), "re-add")
		testkit.Must(t, w.svc.DeleteGroup(ctx, p(w.lecturer), g.ID, ""), "delete group")
		if d, _ := w.svc.Decide(ctx, p(w.stranger), lectern.ActionView, lectern.SessionResource(w.draft.ID)); d.Allowed {
			t.Fatalf("deleted group's grant still allows: %+v", d)
		}
		var n int
		testkit.Must(t, db.QueryRow(ctx, `SELECT count(*) FROM grants WHERE principal_id = ?`, g.ID).Scan(&n), "count")
		if n != 0 {
			t.Errorf("%d grants of the deleted group remain", n)
		}
	})
}

func TestSweeperRemovesOnlyExpiredRows(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		count := func(q string) int {
			var n int
			testkit.Must(t, db.QueryRow(ctx, q).Scan(&n), "count")
			return n
		}
		grantsBefore, membersBefore := count(`SELECT count(*) FROM grants`), count(`SELECT count(*) FROM group_members`)
		before, err := w.svc.Decide(ctx, p(w.laterViewer), lectern.ActionView, lectern.SessionResource(w.published.ID))
		testkit.Must(t, err, "decide")
		r, err := w.svc.Sweep(ctx)
		testkit.Must(t, err, "sweep")
		if r.Grants != 1 || r.Memberships != 1 {
			t.Fatalf("sweep report %+v, want one grant and one membership", r)
		}
		if g, m := count(`SELECT count(*) FROM grants`), count(`SELECT count(*) FROM group_members`); g != grantsBefore-1 || m != membersBefore-1 {
			t.Errorf("after sweep: %d grants (was %d), %d members (was %d)", g, grantsBefore, m, membersBefore)
		}
		after, err := w.svc.Decide(ctx, p(w.laterViewer), lectern.ActionView, lectern.SessionResource(w.published.ID))
		testkit.Must(t, err, "decide")
		if after != before {
			t.Errorf("sweep changed a live decision: %+v -> %+v", before, after)
		}
		// Swept or not, the expired viewer was denied; now for want of any grant.
		d, _ := w.svc.Decide(ctx, p(w.expiredViewer), lectern.ActionView, lectern.SessionResource(w.published.ID))
		if d.Allowed || d.Reason != lectern.DenyNoGrant {
			t.Errorf("expired viewer after sweep: %+v", d)
		}
		// The later grant expires; a second sweep takes it.
		w.clock.Advance(time.Hour)
		if r, err := w.svc.Sweep(ctx); err != nil || r.Grants != 1 {
			t.Errorf("second sweep: %+v %v", r, err)
		}
	})
}

func TestAuditLogFiltersAndPages(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		for i := 0; i < 5; i++ {
			owner := w.lecturer.ID
			if i%2 == 1 {
				owner = w.other.ID
			}
			_, err := w.svc.Record(ctx, lectern.AuditEvent{ActorID: w.admin.ID, Action: "session.delete", OwnerID: owner,
				ResourceType: lectern.ResourceSession, ResourceID: "s" + string(rune('0'+i))})
			testkit.Must(t, err, "record")
			w.clock.Advance(time.Second)
		}
		var all []lectern.AuditEvent
		cursor := ""
		for {
			page, next, err := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Limit: 2, Cursor: cursor})
			testkit.Must(t, err, "page")
			all = append(all, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(all) != 5 || all[0].ResourceID != "s4" || all[4].ResourceID != "s0" {
			t.Fatalf("paged log newest first: %+v", all)
		}
		mine, _, err := w.svc.AuditLog(ctx, p(w.lecturer), access.AuditQuery{})
		testkit.Must(t, err, "owner log")
		if len(mine) != 3 {
			t.Errorf("owner sees %d events, want their 3", len(mine))
		}
		if _, _, err := w.svc.AuditLog(ctx, p(w.lecturer), access.AuditQuery{OwnerID: w.other.ID}); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Errorf("reading another owner's log: %v", err)
		}
		since, _, err := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Since: accesstest.Epoch.Add(3 * time.Second)})
		testkit.Must(t, err, "since")
		if len(since) != 2 {
			t.Errorf("since filter: %d events, want 2", len(since))
		}
		if _, _, err := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Cursor: "!!"}); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Errorf("bad cursor: %v", err)
		}
	})
}
