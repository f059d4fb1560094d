package catalog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

type fixture struct {
	db    *sqlstore.DB
	clock *accesstest.Clock
	mail  *accesstest.Mailbox
	cat   *catalog.Service
	acc   *access.Service
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: accesstest.NewClock(), mail: &accesstest.Mailbox{}}
	f.acc = access.New(db, f.mail, access.Options{Now: f.clock.Now, BaseURL: "https://lectern.example.edu"})
	f.cat = catalog.New(db, f.clock.Now, catalog.WithAccess(f.acc), catalog.WithMailer(f.mail),
		catalog.WithBaseURL("https://lectern.example.edu"))
	return f
}

func p(u lectern.User) lectern.Principal { return lectern.PrincipalOf(u) }

func (f *fixture) user(t *testing.T, name string) lectern.User {
	return accesstest.User(t, f.db, name, false)
}

func (f *fixture) grant(t *testing.T, u lectern.User, r lectern.Resource, role lectern.Role) lectern.Grant {
	return accesstest.Grant(t, f.db, lectern.PrincipalUser, u.ID, r, role, time.Time{})
}

func (f *fixture) decide(t *testing.T, u lectern.User, a lectern.Action, r lectern.Resource) lectern.Decision {
	t.Helper()
	d, err := f.acc.Decide(context.Background(), p(u), a, r)
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	return d
}

// readySession creates a session through the service and runs it through
// processing, as the pipeline would.
func (f *fixture) readySession(t *testing.T, owner lectern.User, folderID, title string, keepDraft bool) lectern.Session {
	t.Helper()
	ctx := context.Background()
	s, err := f.cat.CreateSession(ctx, p(owner), catalog.NewSession{FolderID: folderID, Title: title, KeepDraft: keepDraft}, "")
	testkit.Must(t, err, "create session %s", title)
	for _, st := range []lectern.Processing{lectern.ProcessingQueued, lectern.ProcessingRunning, lectern.ProcessingReady} {
		s, err = f.cat.SetProcessing(ctx, s.ID, st, "")
		testkit.Must(t, err, "processing %s", st)
	}
	return s
}

func ids(ss []lectern.Session) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Title
	}
	return out
}

func TestMovingSessionKeepsDirectGrantsAndChangesInheritedOnes(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		owner, fromFan, toFan, direct := f.user(t, "Owner"), f.user(t, "FromFan"), f.user(t, "ToFan"), f.user(t, "Direct")
		from, err := f.cat.CreateFolderAs(ctx, p(owner), catalog.NewFolder{Name: "From"}, "")
		testkit.Must(t, err, "folder")
		to, err := f.cat.CreateFolderAs(ctx, p(owner), catalog.NewFolder{Name: "To"}, "")
		testkit.Must(t, err, "folder")
		s := f.readySession(t, owner, from.ID, "Lecture", false)
		if s.Publication != lectern.PublicationPublished {
			t.Fatalf("ready session in a folder without approval should be published: %+v", s)
		}
		f.grant(t, fromFan, lectern.FolderResource(from.ID), lectern.RoleViewer)
		f.grant(t, toFan, lectern.FolderResource(to.ID), lectern.RoleViewer)
		directGrant := f.grant(t, direct, lectern.SessionResource(s.ID), lectern.RoleViewer)

		view := func(u lectern.User) lectern.Decision {
			return f.decide(t, u, lectern.ActionView, lectern.SessionResource(s.ID))
		}
		if !view(fromFan).Allowed || view(toFan).Allowed || !view(direct).Allowed {
			t.Fatalf("before the move: from %+v, to %+v, direct %+v", view(fromFan), view(toFan), view(direct))
		}
		moved, err := f.cat.MoveSession(ctx, p(owner), s.ID, to.ID, "192.0.2.4")
		testkit.Must(t, err, "move")
		if moved.FolderID != to.ID {
			t.Fatalf("moved session is in %s", moved.FolderID)
		}
		if d := view(fromFan); d.Allowed || d.Reason != lectern.DenyNoGrant {
			t.Errorf("old folder's viewer after the move: %+v", d)
		}
		if d := view(toFan); !d.Allowed || d.Reason != "grant:viewer:folder" {
			t.Errorf("new folder's viewer after the move: %+v", d)
		}
		if d := view(direct); !d.Allowed || d.Reason != "grant:viewer:session" || d.GrantID != directGrant.ID {
			t.Errorf("direct grant after the move: %+v", d)
		}
		events, _, err := f.acc.AuditLog(ctx, p(owner), access.AuditQuery{Action: lectern.AuditSessionMove})
		testkit.Must(t, err, "audit")
		if len(events) != 1 || events[0].ClientAddr != "192.0.2.4" {
			t.Errorf("move events: %+v", events)
		}
	})
}

func TestMovingFolderRewritesInheritedAccess(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		admin := accesstest.User(t, db, "Admin", true)
		owner, oldFan, newFan := f.user(t, "Owner"), f.user(t, "OldFan"), f.user(t, "NewFan")
		mk := func(name, parent string) lectern.Folder {
			fo, err := f.cat.CreateFolderAs(ctx, p(owner), catalog.NewFolder{Name: name, ParentID: parent}, "")
			testkit.Must(t, err, "folder %s", name)
			return fo
		}
		x := mk("X", "")
		y := mk("Y", x.ID)
		z := mk("Z", y.ID)
		w := mk("W", "")
		s := f.readySession(t, owner, z.ID, "Deep", false)
		f.grant(t, oldFan, lectern.FolderResource(x.ID), lectern.RoleViewer)
		f.grant(t, newFan, lectern.FolderResource(w.ID), lectern.RoleViewer)

		if _, err := f.cat.MoveFolder(ctx, p(owner), y.ID, z.ID, ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Fatalf("moving a folder into its own subtree: %v", err)
		}
		if _, err := f.cat.MoveFolder(ctx, p(owner), y.ID, y.ID, ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Fatalf("moving a folder into itself: %v", err)
		}
		_, err := f.cat.MoveFolder(ctx, p(owner), y.ID, w.ID, "")
		testkit.Must(t, err, "move folder")
		if d := f.decide(t, oldFan, lectern.ActionView, lectern.SessionResource(s.ID)); d.Allowed {
			t.Errorf("old ancestor's grant still reaches the session: %+v", d)
		}
		if d := f.decide(t, newFan, lectern.ActionView, lectern.SessionResource(s.ID)); !d.Allowed {
			t.Errorf("new ancestor's grant does not reach the session: %+v", d)
		}
		path, err := f.cat.FolderPath(ctx, p(admin), z.ID)
		testkit.Must(t, err, "path")
		var names []string
		for _, fo := range path {
			names = append(names, fo.Name)
		}
		if strings.Join(names, "/") != "W/Y/Z" {
			t.Errorf("path after move = %v", names)
		}
		// The fan of W sees the path from W down only.
		path, err = f.cat.FolderPath(ctx, p(newFan), z.ID)
		testkit.Must(t, err, "path")
		if len(path) != 3 {
			t.Errorf("fan's path = %+v", path)
		}
		// Back to the top level, then under X again.
		_, err = f.cat.MoveFolder(ctx, p(owner), y.ID, "", "")
		testkit.Must(t, err, "move to top")
		if d := f.decide(t, newFan, lectern.ActionView, lectern.SessionResource(s.ID)); d.Allowed {
			t.Errorf("grant of the folder moved away from still reaches: %+v", d)
		}
		_, err = f.cat.MoveFolder(ctx, p(owner), y.ID, x.ID, "")
		testkit.Must(t, err, "move back")
		if d := f.decide(t, oldFan, lectern.ActionView, lectern.SessionResource(s.ID)); !d.Allowed {
			t.Errorf("moved back, the old grant should reach again: %+v", d)
		}
		checkClosure(t, db)
	})
}

// checkClosure compares folder_ancestors with the parent_id chains.
func checkClosure(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT id, COALESCE(parent_id, '') FROM folders`)
	testkit.Must(t, err, "folders")
	parent := map[string]string{}
	for rows.Next() {
		var id, par string
		testkit.Must(t, rows.Scan(&id, &par), "scan")
		parent[id] = par
	}
	rows.Close()
	want := map[[2]string]int{}
	for id := range parent {
		for cur, depth := id, 0; cur != ""; cur, depth = parent[cur], depth+1 {
			want[[2]string{id, cur}] = depth
		}
	}
	rows, err = db.Query(ctx, `SELECT folder_id, ancestor_id, depth FROM folder_ancestors`)
	testkit.Must(t, err, "closure")
	defer rows.Close()
	got := map[[2]string]int{}
	for rows.Next() {
		var a, b string
		var d int
		testkit.Must(t, rows.Scan(&a, &b, &d), "scan")
		got[[2]string{a, b}] = d
	}
	if len(got) != len(want) {
		t.Errorf("closure has %d rows, want %d", len(got), len(want))
	}
	for k, d := range want {
		if gd, ok := got[k]; !ok || gd != d {
			t.Errorf("closure %v: got depth %d (present %v), want %d", k, gd, ok, d)
		}
	}
}

func TestDeletedSessionIsInvisibleToViewers(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		owner, viewer, stranger := f.user(t, "Owner"), f.user(t, "Viewer"), f.user(t, "Stranger")
		folder, err := f.cat.CreateFolderAs(ctx, p(owner), catalog.NewFolder{Name: "Course"}, "")
		testkit.Must(t, err, "folder")
		s := f.readySession(t, owner, folder.ID, "Lecture", false)
		f.grant(t, viewer, lectern.FolderResource(folder.ID), lectern.RoleViewer)

		page, err := f.cat.ListSessions(ctx, p(viewer), folder.ID, 0, "")
		testkit.Must(t, err, "list")
		if len(page.Items) != 1 {
			t.Fatalf("viewer lists %v before deletion", ids(page.Items))
		}
		if err := f.cat.DeleteSession(ctx, p(viewer), s.ID, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Fatalf("viewer deleting: %v", err)
		}
		testkit.Must(t, f.cat.DeleteSession(ctx, p(owner), s.ID, "192.0.2.5"), "delete")
		if d := f.decide(t, viewer, lectern.ActionView, lectern.SessionResource(s.ID)); d.Allowed || d.Reason != lectern.DenyRecycled {
			t.Errorf("viewer's decision on a deleted session: %+v", d)
		}
		if _, err := f.cat.Session(ctx, p(viewer), s.ID, ""); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Errorf("viewer opening a deleted session: %v", err)
		}
		for _, u := range []lectern.User{viewer, owner} {
			page, err = f.cat.ListSessions(ctx, p(u), folder.ID, 0, "")
			testkit.Must(t, err, "list")
			all, err := f.cat.ListVisibleSessions(ctx, p(u), 0, "")
			testkit.Must(t, err, "list visible")
			if len(page.Items) != 0 || len(all.Items) != 0 {
				t.Errorf("%s lists a deleted session: %v %v", u.Name, ids(page.Items), ids(all.Items))
			}
		}
		bin, _, err := f.cat.RecycleBin(ctx, p(owner), 0)
		testkit.Must(t, err, "bin")
		if len(bin) != 1 || bin[0].ID != s.ID || bin[0].RecycledAt.IsZero() {
			t.Fatalf("owner's recycle bin: %+v", bin)
		}
		if _, err := f.cat.RestoreSession(ctx, p(stranger), s.ID, ""); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Errorf("stranger restoring: %v", err)
		}
		restored, err := f.cat.RestoreSession(ctx, p(owner), s.ID, "")
		testkit.Must(t, err, "restore")
		if restored.Lifecycle != lectern.LifecycleActive || !restored.RecycledAt.IsZero() {
			t.Errorf("restored: %+v", restored)
		}
		if d := f.decide(t, viewer, lectern.ActionView, lectern.SessionResource(s.ID)); !d.Allowed {
			t.Errorf("viewer after restore: %+v", d)
		}
		events, _, err := f.acc.AuditLog(ctx, p(owner), access.AuditQuery{Action: "session."})
		testkit.Must(t, err, "audit")
		if len(events) != 2 || events[0].Action != lectern.AuditSessionRestore || events[1].Action != lectern.AuditSessionDelete {
			t.Errorf("audit: %+v", events)
		}
	})
}

func TestDeletingFolderRecyclesItsSubtree(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		owner, viewer := f.user(t, "Owner"), f.user(t, "Viewer")
		course, err := f.cat.CreateFolderAs(ctx, p(owner), catalog.NewFolder{Name: "Course"}, "")
		testkit.Must(t, err, "folder")
		week, err := f.cat.CreateFolderAs(ctx, p(owner), catalog.NewFolder{Name: "Week", ParentID: course.ID}, "")
		testkit.Must(t, err, "folder")
		a := f.readySession(t, owner, course.ID, "A", false)
		b := f.readySession(t, owner, week.ID, "B", false)
		early := f.readySession(t, owner, week.ID, "Deleted earlier", false)
		f.grant(t, viewer, lectern.FolderResource(course.ID), lectern.RoleViewer)
		testkit.Must(t, f.cat.DeleteSession(ctx, p(owner), early.ID, ""), "delete early")

		testkit.Must(t, f.cat.DeleteFolder(ctx, p(owner), course.ID, ""), "delete folder")
		for _, s := range []lectern.Session{a, b} {
			if d := f.decide(t, viewer, lectern.ActionView, lectern.SessionResource(s.ID)); d.Reason != lectern.DenyRecycled {
				t.Errorf("%s after folder deletion: %+v", s.Title, d)
			}
		}
		if d := f.decide(t, viewer, lectern.ActionView, lectern.FolderResource(week.ID)); d.Reason != lectern.DenyRecycled {
			t.Errorf("subfolder after deletion: %+v", d)
		}
		if top, _ := f.cat.ListFolders(ctx, p(viewer), ""); len(top) != 0 {
			t.Errorf("viewer still lists %+v", top)
		}
		if _, err := f.cat.RestoreFolder(ctx, p(owner), week.ID, ""); lectern.ErrorCodeOf(err) != lectern.EConflict {
			t.Errorf("restoring a subfolder alone: %v", err)
		}
		if _, err := f.cat.RestoreSession(ctx, p(owner), b.ID, ""); lectern.ErrorCodeOf(err) != lectern.EConflict {
			t.Errorf("restoring a session of a deleted folder alone: %v", err)
		}
		_, folders, err := f.cat.RecycleBin(ctx, p(owner), 0)
		testkit.Must(t, err, "bin")
		if len(folders) != 1 || folders[0].ID != course.ID {
			t.Errorf("bin folders: %+v", folders)
		}
		_, err = f.cat.RestoreFolder(ctx, p(owner), course.ID, "")
		testkit.Must(t, err, "restore folder")
		for _, s := range []lectern.Session{a, b} {
			if d := f.decide(t, viewer, lectern.ActionView, lectern.SessionResource(s.ID)); !d.Allowed {
				t.Errorf("%s after restore: %+v", s.Title, d)
			}
		}
		got, _ := f.cat.SessionByID(ctx, early.ID)
		if got.Lifecycle != lectern.LifecycleRecycled {
			t.Errorf("a session deleted on its own came back with the folder: %+v", got)
		}
	})
}

func TestFolderListings(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		admin := accesstest.User(t, db, "Admin", true)
		dean, student := f.user(t, "Dean"), f.user(t, "Student")
		fac, _ := f.cat.CreateFolderAs(ctx, p(dean), catalog.NewFolder{Name: "Faculty"}, "")
		c1, _ := f.cat.CreateFolderAs(ctx, p(dean), catalog.NewFolder{Name: "Course 1", ParentID: fac.ID}, "")
		c2, _ := f.cat.CreateFolderAs(ctx, p(dean), catalog.NewFolder{Name: "Course 2", ParentID: fac.ID}, "")
		w1, _ := f.cat.CreateFolderAs(ctx, p(dean), catalog.NewFolder{Name: "Week 1", ParentID: c1.ID}, "")
		_, err := f.cat.CreateFolderAs(ctx, p(student), catalog.NewFolder{Name: "Mine"}, "")
		testkit.Must(t, err, "own folder")
		if _, err := f.cat.CreateFolderAs(ctx, p(student), catalog.NewFolder{Name: "Sneaky", ParentID: c1.ID}, ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Errorf("student creating inside a folder they cannot see: %v", err)
		}
		f.grant(t, student, lectern.FolderResource(c1.ID), lectern.RoleViewer)
		f.grant(t, student, lectern.FolderResource(w1.ID), lectern.RoleViewer)
		if _, err := f.cat.CreateFolderAs(ctx, p(student), catalog.NewFolder{Name: "Sneaky", ParentID: c1.ID}, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Errorf("viewer creating a subfolder: %v", err)
		}
		names := func(fs []lectern.Folder, err error) string {
			t.Helper()
			testkit.Must(t, err, "list folders")
			var out []string
			for _, fo := range fs {
				out = append(out, fo.Name)
			}
			return strings.Join(out, ",")
		}
		cases := []struct {
			name   string
			who    lectern.User
			parent string
			want   string
		}{
			{"student's top shows granted course and own folder", student, "", "Course 1,Mine"},
			{"student sees only granted children", student, fac.ID, "Course 1"},
			{"student sees inherited children", student, c1.ID, "Week 1"},
			{"dean's top is the faculty", dean, "", "Faculty"},
			{"dean sees all courses", dean, fac.ID, "Course 1,Course 2"},
			{"admin's top is the whole top level", admin, "", "Faculty,Mine"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if got := names(f.cat.ListFolders(ctx, p(tc.who), tc.parent)); got != tc.want {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		}
		_ = c2
	})
}
