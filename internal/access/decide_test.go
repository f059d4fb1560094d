package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// world is a small site with one of everything the rules talk about.
//
//	Faculty (dean; no approval)
//	└── Course (lecturer; requires approval)
//	    └── Week 1 (lecturer)
//	Elsewhere (other)
type world struct {
	db    *sqlstore.DB
	clock *accesstest.Clock
	mail  *accesstest.Mailbox
	svc   *access.Service

	dean, lecturer, other, viewer, directViewer, creator, sessionCreator, publisher,
	groupie, lapsedMember, expiredViewer, laterViewer, admin, stranger lectern.User

	faculty, course, week, elsewhere lectern.Folder

	published, draft, pending, archived, recycled, purged, foreign, unfiled lectern.Session

	group lectern.Group

	viewerGrant, directGrant, creatorGrant, sessionCreatorGrant, publisherGrant, groupGrant, expiredGrant, laterGrant lectern.Grant
}

func newWorld(t *testing.T, db *sqlstore.DB) *world {
	t.Helper()
	w := &world{db: db, clock: accesstest.NewClock(), mail: &accesstest.Mailbox{}}
	w.svc = access.New(db, w.mail, access.Options{Now: w.clock.Now, BaseURL: "https://lectern.example.edu"})
	now := w.clock.Now()
	u := func(name string, admin bool) lectern.User { return accesstest.User(t, db, name, admin) }
	w.dean, w.lecturer, w.other = u("Dean", false), u("Lecturer", false), u("Other", false)
	w.viewer, w.directViewer, w.creator = u("Viewer", false), u("DirectViewer", false), u("Creator", false)
	w.sessionCreator, w.publisher = u("SessionCreator", false), u("Publisher", false)
	w.groupie, w.lapsedMember = u("Groupie", false), u("LapsedMember", false)
	w.expiredViewer, w.laterViewer = u("ExpiredViewer", false), u("LaterViewer", false)
	w.admin, w.stranger = u("Admin", true), u("Stranger", false)

	w.faculty = accesstest.Folder(t, db, "Faculty", "", w.dean.ID, false)
	w.course = accesstest.Folder(t, db, "Course", w.faculty.ID, w.lecturer.ID, true)
	w.week = accesstest.Folder(t, db, "Week 1", w.course.ID, w.lecturer.ID, false)
	w.elsewhere = accesstest.Folder(t, db, "Elsewhere", "", w.other.ID, false)

	ses := func(title, folder, owner string, pub lectern.Publication, lc lectern.Lifecycle) lectern.Session {
		return accesstest.Session(t, db, title, folder, owner, pub, lc, 0)
	}
	w.published = ses("Published", w.week.ID, w.lecturer.ID, lectern.PublicationPublished, lectern.LifecycleActive)
	w.draft = ses("Draft", w.week.ID, w.lecturer.ID, lectern.PublicationDraft, lectern.LifecycleActive)
	w.pending = ses("Pending", w.week.ID, w.lecturer.ID, lectern.PublicationPendingApproval, lectern.LifecycleActive)
	w.archived = ses("Archived", w.week.ID, w.lecturer.ID, lectern.PublicationPublished, lectern.LifecycleArchived)
	w.recycled = ses("Recycled", w.week.ID, w.lecturer.ID, lectern.PublicationPublished, lectern.LifecycleRecycled)
	w.purged = ses("Purged", w.week.ID, w.lecturer.ID, lectern.PublicationPublished, lectern.LifecyclePurged)
	w.foreign = ses("Foreign", w.elsewhere.ID, w.other.ID, lectern.PublicationPublished, lectern.LifecycleActive)
	w.unfiled = ses("Unfiled", "", w.lecturer.ID, lectern.PublicationPublished, lectern.LifecycleActive)

	g := func(pt lectern.PrincipalType, id string, r lectern.Resource, role lectern.Role, exp time.Time) lectern.Grant {
		return accesstest.Grant(t, db, pt, id, r, role, exp)
	}
	user, grp := lectern.PrincipalUser, lectern.PrincipalGroup
	w.viewerGrant = g(user, w.viewer.ID, lectern.FolderResource(w.course.ID), lectern.RoleViewer, time.Time{})
	w.directGrant = g(user, w.directViewer.ID, lectern.SessionResource(w.published.ID), lectern.RoleViewer, time.Time{})
	w.creatorGrant = g(user, w.creator.ID, lectern.FolderResource(w.course.ID), lectern.RoleCreator, time.Time{})
	w.sessionCreatorGrant = g(user, w.sessionCreator.ID, lectern.SessionResource(w.draft.ID), lectern.RoleCreator, time.Time{})
	w.publisherGrant = g(user, w.publisher.ID, lectern.FolderResource(w.faculty.ID), lectern.RolePublisher, time.Time{})
	w.expiredGrant = g(user, w.expiredViewer.ID, lectern.SessionResource(w.published.ID), lectern.RoleViewer, now.Add(-time.Second))
	w.laterGrant = g(user, w.laterViewer.ID, lectern.SessionResource(w.published.ID), lectern.RoleViewer, now.Add(time.Hour))
	// The recycled session has grants too: they must not matter.
	g(user, w.viewer.ID, lectern.SessionResource(w.recycled.ID), lectern.RoleCreator, time.Time{})

	w.group = accesstest.Group(t, db, "Week 1 students")
	w.groupGrant = g(grp, w.group.ID, lectern.FolderResource(w.week.ID), lectern.RoleViewer, time.Time{})
	accesstest.Member(t, db, w.group.ID, w.groupie.ID, time.Time{})
	accesstest.Member(t, db, w.group.ID, w.lapsedMember.ID, now.Add(-time.Second))
	return w
}

func p(u lectern.User) lectern.Principal { return lectern.PrincipalOf(u) }

func TestDecide(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		S, F := lectern.SessionResource, lectern.FolderResource
		type want struct {
			allowed       bool
			reason        lectern.Reason
			grantID       string
			needsApproval bool
			adminOverride bool
		}
		cases := []struct {
			name   string
			who    lectern.User
			action lectern.Action
			res    lectern.Resource
			want   want
		}{
			// Owners.
			{"owner views own draft", w.lecturer, lectern.ActionView, S(w.draft.ID), want{allowed: true, reason: lectern.ReasonOwner}},
			{"owner views own unfiled session", w.lecturer, lectern.ActionView, S(w.unfiled.ID), want{allowed: true, reason: lectern.ReasonOwner}},
			{"owner publishing in approval folder needs approval", w.lecturer, lectern.ActionPublish, S(w.draft.ID), want{allowed: true, reason: lectern.ReasonOwner, needsApproval: true}},
			{"owner manages access to own session", w.lecturer, lectern.ActionManageAccess, S(w.draft.ID), want{allowed: true, reason: lectern.ReasonOwner}},
			{"owner sees own session in recycle bin", w.lecturer, lectern.ActionView, S(w.recycled.ID), want{allowed: true, reason: lectern.ReasonOwner}},
			{"owner restores own recycled session", w.lecturer, lectern.ActionDelete, S(w.recycled.ID), want{allowed: true, reason: lectern.ReasonOwner}},
			{"owner cannot edit recycled session", w.lecturer, lectern.ActionEdit, S(w.recycled.ID), want{reason: lectern.DenyRecycled}},
			{"owner cannot see purged session", w.lecturer, lectern.ActionView, S(w.purged.ID), want{reason: lectern.DenyPurged}},
			{"owner cannot approve without publisher grant", w.lecturer, lectern.ActionApprove, S(w.pending.ID), want{reason: lectern.DenyRole}},
			{"folder owner acts as creator in subtree", w.dean, lectern.ActionView, S(w.draft.ID), want{allowed: true, reason: lectern.ReasonFolderOwner}},
			{"folder owner edits sessions in subtree", w.dean, lectern.ActionEdit, S(w.draft.ID), want{allowed: true, reason: lectern.ReasonFolderOwner}},
			{"folder owner deletes sessions in subtree", w.dean, lectern.ActionDelete, S(w.draft.ID), want{allowed: true, reason: lectern.ReasonFolderOwner}},
			{"folder owner does not see recycled session", w.dean, lectern.ActionView, S(w.recycled.ID), want{reason: lectern.DenyRecycled}},
			{"folder owner views subfolder", w.dean, lectern.ActionView, F(w.week.ID), want{allowed: true, reason: lectern.ReasonFolderOwner}},

			// Viewers.
			{"viewer with folder grant sees published session below", w.viewer, lectern.ActionView, S(w.published.ID), want{allowed: true, reason: "grant:viewer:folder", grantID: w.viewerGrant.ID}},
			{"viewer cannot see draft", w.viewer, lectern.ActionView, S(w.draft.ID), want{reason: lectern.DenyNotPublished}},
			{"viewer cannot see pending approval", w.viewer, lectern.ActionView, S(w.pending.ID), want{reason: lectern.DenyNotPublished}},
			{"viewer cannot see archived", w.viewer, lectern.ActionView, S(w.archived.ID), want{reason: lectern.DenyArchived}},
			{"viewer cannot see recycled even with a grant on it", w.viewer, lectern.ActionView, S(w.recycled.ID), want{reason: lectern.DenyRecycled}},
			{"viewer cannot edit", w.viewer, lectern.ActionEdit, S(w.published.ID), want{reason: lectern.DenyRole}},
			{"viewer cannot share", w.viewer, lectern.ActionShare, S(w.published.ID), want{reason: lectern.DenyRole}},
			{"viewer views granted folder", w.viewer, lectern.ActionView, F(w.course.ID), want{allowed: true, reason: "grant:viewer:folder", grantID: w.viewerGrant.ID}},
			{"viewer does not see parent of granted folder", w.viewer, lectern.ActionView, F(w.faculty.ID), want{reason: lectern.DenyNoGrant}},
			{"direct viewer sees granted session", w.directViewer, lectern.ActionView, S(w.published.ID), want{allowed: true, reason: "grant:viewer:session", grantID: w.directGrant.ID}},
			{"direct viewer does not see its folder", w.directViewer, lectern.ActionView, F(w.week.ID), want{reason: lectern.DenyNoGrant}},
			{"direct viewer does not see sibling", w.directViewer, lectern.ActionView, S(w.draft.ID), want{reason: lectern.DenyNoGrant}},

			// Expiry: counted against the clock, swept or not.
			{"grant expired one second ago denies before the sweeper runs", w.expiredViewer, lectern.ActionView, S(w.published.ID), want{reason: lectern.DenyExpired, grantID: w.expiredGrant.ID}},
			{"grant expiring in an hour allows", w.laterViewer, lectern.ActionView, S(w.published.ID), want{allowed: true, reason: "grant:viewer:session", grantID: w.laterGrant.ID}},
			{"group member sees published session", w.groupie, lectern.ActionView, S(w.published.ID), want{allowed: true, reason: "grant:viewer:folder", grantID: w.groupGrant.ID}},
			{"membership expired one second ago denies", w.lapsedMember, lectern.ActionView, S(w.published.ID), want{reason: lectern.DenyExpired, grantID: w.groupGrant.ID}},

			// Creators and publishers.
			{"creator sees draft", w.creator, lectern.ActionView, S(w.draft.ID), want{allowed: true, reason: "grant:creator:folder", grantID: w.creatorGrant.ID}},
			{"creator edits", w.creator, lectern.ActionEdit, S(w.published.ID), want{allowed: true, reason: "grant:creator:folder", grantID: w.creatorGrant.ID}},
			{"creator publish goes to approval", w.creator, lectern.ActionPublish, S(w.draft.ID), want{allowed: true, reason: "grant:creator:folder", grantID: w.creatorGrant.ID, needsApproval: true}},
			{"creator uploads into folder", w.creator, lectern.ActionEdit, F(w.week.ID), want{allowed: true, reason: "grant:creator:folder", grantID: w.creatorGrant.ID}},
			{"folder creator manages access", w.creator, lectern.ActionManageAccess, S(w.published.ID), want{allowed: true, reason: "grant:creator:folder", grantID: w.creatorGrant.ID}},
			{"creator cannot approve", w.creator, lectern.ActionApprove, S(w.pending.ID), want{reason: lectern.DenyRole}},
			{"creator cannot see foreign session", w.creator, lectern.ActionView, S(w.foreign.ID), want{reason: lectern.DenyNoGrant}},
			{"session creator edits that session", w.sessionCreator, lectern.ActionEdit, S(w.draft.ID), want{allowed: true, reason: "grant:creator:session", grantID: w.sessionCreatorGrant.ID}},
			{"session creator shares that session", w.sessionCreator, lectern.ActionShare, S(w.draft.ID), want{allowed: true, reason: "grant:creator:session", grantID: w.sessionCreatorGrant.ID}},
			{"session creator cannot manage access", w.sessionCreator, lectern.ActionManageAccess, S(w.draft.ID), want{reason: lectern.DenyRole}},
			{"session creator cannot delete", w.sessionCreator, lectern.ActionDelete, S(w.draft.ID), want{reason: lectern.DenyRole}},
			{"publisher approves in subtree", w.publisher, lectern.ActionApprove, S(w.pending.ID), want{allowed: true, reason: "grant:publisher:folder", grantID: w.publisherGrant.ID}},
			{"publisher publishes without approval", w.publisher, lectern.ActionPublish, S(w.draft.ID), want{allowed: true, reason: "grant:publisher:folder", grantID: w.publisherGrant.ID}},
			{"publisher sees pending", w.publisher, lectern.ActionView, S(w.pending.ID), want{allowed: true, reason: "grant:publisher:folder", grantID: w.publisherGrant.ID}},

			// Strangers and admins.
			{"stranger sees nothing", w.stranger, lectern.ActionView, S(w.published.ID), want{reason: lectern.DenyNoGrant}},
			{"stranger cannot view folder", w.stranger, lectern.ActionView, F(w.course.ID), want{reason: lectern.DenyNoGrant}},
			{"admin views another's session by override", w.admin, lectern.ActionView, S(w.foreign.ID), want{allowed: true, reason: lectern.ReasonAdmin, adminOverride: true}},
			{"admin views purged session by override", w.admin, lectern.ActionView, S(w.purged.ID), want{allowed: true, reason: lectern.ReasonAdmin, adminOverride: true}},
			{"admin deletes another's folder by override", w.admin, lectern.ActionDelete, F(w.course.ID), want{allowed: true, reason: lectern.ReasonAdmin, adminOverride: true}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				d, err := w.svc.Decide(context.Background(), p(tc.who), tc.action, tc.res)
				if err != nil {
					t.Fatal(err)
				}
				got := want{d.Allowed, d.Reason, d.GrantID, d.NeedsApproval, d.AdminOverride}
				if got != tc.want {
					t.Errorf("got %+v, want %+v", got, tc.want)
				}
			})
		}
	})
}

func TestDecideMissingResourceIsNotFound(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		for _, r := range []lectern.Resource{lectern.SessionResource("nope"), lectern.FolderResource("nope")} {
			_, err := w.svc.Decide(context.Background(), p(w.admin), lectern.ActionView, r)
			if lectern.ErrorCodeOf(err) != lectern.ENotFound {
				t.Errorf("%s: want not found, got %v", r.Type, err)
			}
		}
		_, err := w.svc.Decide(context.Background(), p(w.admin), "fly", lectern.SessionResource(w.published.ID))
		if lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Errorf("unknown action: want invalid, got %v", err)
		}
	})
}

func TestAuthorizeDenials(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		cases := []struct {
			name   string
			who    lectern.User
			action lectern.Action
			res    lectern.Resource
			want   lectern.ErrorCode
		}{
			{"stranger editing gets not found", w.stranger, lectern.ActionEdit, lectern.SessionResource(w.published.ID), lectern.ENotFound},
			{"viewer editing gets forbidden", w.viewer, lectern.ActionEdit, lectern.SessionResource(w.published.ID), lectern.EForbidden},
			{"viewer opening a draft gets not found", w.viewer, lectern.ActionView, lectern.SessionResource(w.draft.ID), lectern.ENotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.Authorize(context.Background(), p(tc.who), tc.action, tc.res, "192.0.2.1")
				if got := lectern.ErrorCodeOf(err); got != tc.want {
					t.Errorf("got %s (%v), want %s", got, err, tc.want)
				}
			})
		}
	})
}

func TestAdminViewOfAnothersSessionIsAuditedAndOwnerEmailedOnce(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		d, err := w.svc.Authorize(ctx, p(w.admin), lectern.ActionView, lectern.SessionResource(w.foreign.ID), "198.51.100.7")
		if err != nil || !d.AdminOverride {
			t.Fatalf("authorize: %+v %v", d, err)
		}
		events, _, err := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Action: lectern.AuditAdminAccess})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 {
			t.Fatalf("want 1 audit event, got %d: %+v", len(events), events)
		}
		e := events[0]
		if e.ActorID != w.admin.ID || e.ResourceID != w.foreign.ID || e.OwnerID != w.other.ID ||
			e.ClientAddr != "198.51.100.7" || e.Reason != "admin" || !e.At.Equal(w.clock.Now()) {
			t.Errorf("event: %+v", e)
		}
		msgs := w.mail.Messages()
		if len(msgs) != 1 || msgs[0].To != w.other.Email {
			t.Fatalf("want one email to %s, got %+v", w.other.Email, msgs)
		}
		for _, want := range []string{"Foreign", "Admin", "198.51.100.7", "https://lectern.example.edu/sessions/" + w.foreign.ID} {
			if !strings.Contains(msgs[0].Subject+msgs[0].Text, want) {
				t.Errorf("email lacks %q:\n%s\n%s", want, msgs[0].Subject, msgs[0].Text)
			}
		}
		// The owner reads the event on their own content.
		own, _, err := w.svc.AuditLog(ctx, p(w.other), access.AuditQuery{})
		if err != nil || len(own) != 1 || own[0].ID != e.ID {
			t.Errorf("owner's log: %+v %v", own, err)
		}
		// Within the notice window a second use is audited, not mailed again;
		// after it, the owner is told again.
		view := func() {
			t.Helper()
			if _, err := w.svc.Authorize(ctx, p(w.admin), lectern.ActionView, lectern.SessionResource(w.foreign.ID), ""); err != nil {
				t.Fatal(err)
			}
		}
		w.clock.Advance(10 * time.Minute)
		view()
		w.clock.Advance(access.DefaultAdminNoticeWindow)
		view()
		events, _, _ = w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Action: lectern.AuditAdminAccess})
		if len(events) != 3 || len(w.mail.Messages()) != 2 {
			t.Errorf("after three uses: %d events, %d mails; want 3 and 2", len(events), len(w.mail.Messages()))
		}
	})
}

func TestAdminUseWithoutOverrideIsNotAudited(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		mine := accesstest.Session(t, db, "Admin's own", "", w.admin.ID, lectern.PublicationDraft, lectern.LifecycleActive, 0)
		accesstest.Grant(t, db, lectern.PrincipalUser, w.admin.ID, lectern.SessionResource(w.foreign.ID), lectern.RoleViewer, time.Time{})
		for _, id := range []string{mine.ID, w.foreign.ID} {
			d, err := w.svc.Authorize(ctx, p(w.admin), lectern.ActionView, lectern.SessionResource(id), "")
			if err != nil || d.AdminOverride {
				t.Fatalf("authorize %s: %+v %v", id, d, err)
			}
		}
		events, _, _ := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Action: lectern.AuditAdminAccess})
		if len(events) != 0 || len(w.mail.Messages()) != 0 {
			t.Errorf("want no audit and no mail, got %d events, %d mails", len(events), len(w.mail.Messages()))
		}
	})
}

func TestAdminOverrideWithoutMailerIsRefused(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		svc := access.New(db, nil, access.Options{Now: w.clock.Now})
		_, err := svc.Authorize(context.Background(), p(w.admin), lectern.ActionView, lectern.SessionResource(w.foreign.ID), "")
		if lectern.ErrorCodeOf(err) != lectern.EUnavailable {
			t.Fatalf("want unavailable, got %v", err)
		}
		// The attempt is still in the audit log, and says the owner was not told.
		events, _, err := svc.AuditLog(context.Background(), p(w.admin), access.AuditQuery{Action: lectern.AuditAdminAccess})
		if err != nil || len(events) != 1 || !strings.HasSuffix(events[0].Detail, "telling the owner failed") {
			t.Fatalf("audit of the refused use: %+v %v", events, err)
		}
		// A later try is not mistaken for one already announced.
		_, err = svc.Authorize(context.Background(), p(w.admin), lectern.ActionView, lectern.SessionResource(w.foreign.ID), "")
		if lectern.ErrorCodeOf(err) != lectern.EUnavailable {
			t.Fatalf("second try: want unavailable, got %v", err)
		}
	})
}
