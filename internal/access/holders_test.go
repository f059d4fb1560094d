package access_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// holderLines renders holders as "name role reason [via folder] [inherited]"
// lines, sorted, for comparison.
func holderLines(hs []access.Holder) []string {
	var out []string
	for _, h := range hs {
		line := h.Name + " " + string(h.Role) + " " + string(h.Reason)
		if h.Folder != nil {
			line += " via " + h.Folder.Name
		}
		if h.Inherited {
			line += " inherited"
		}
		if h.Grant != nil && !h.Grant.Active(accesstest.Epoch) {
			line += " expired"
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

func TestHoldersExplainWhoReachesASessionAndWhy(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		hs, err := w.svc.Holders(context.Background(), p(w.lecturer), lectern.SessionResource(w.published.ID), "192.0.2.1")
		testkit.Must(t, err, "holders")
		got := holderLines(hs)
		want := []string{
			"Dean creator folder-owner via Faculty inherited",
			"DirectViewer viewer grant:viewer:session",
			"ExpiredViewer viewer grant:viewer:session expired",
			"LaterViewer viewer grant:viewer:session",
			"Lecturer creator owner",
			"Publisher publisher grant:publisher:folder via Faculty inherited",
			"Viewer viewer grant:viewer:folder via Course inherited",
			"Creator creator grant:creator:folder via Course inherited",
			"Week 1 students viewer grant:viewer:folder via Week 1 inherited",
		}
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("holders:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestHoldersOfAFolderListItsOwnGrantsAsDirect(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		hs, err := w.svc.Holders(context.Background(), p(w.lecturer), lectern.FolderResource(w.course.ID), "")
		testkit.Must(t, err, "holders")
		got := holderLines(hs)
		want := []string{
			"Creator creator grant:creator:folder via Course",
			"Dean creator folder-owner via Faculty inherited",
			"Lecturer creator owner",
			"Publisher publisher grant:publisher:folder via Faculty inherited",
			"Viewer viewer grant:viewer:folder via Course",
		}
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("holders:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestHoldersNeedShareOrManageAccess(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		cases := []struct {
			name  string
			actor lectern.User
			res   lectern.Resource
			want  lectern.ErrorCode
		}{
			{"viewer of the session", w.viewer, lectern.SessionResource(w.published.ID), lectern.EForbidden},
			{"stranger", w.stranger, lectern.SessionResource(w.published.ID), lectern.ENotFound},
			{"session creator may share", w.sessionCreator, lectern.SessionResource(w.draft.ID), ""},
			{"session creator may not manage the folder", w.sessionCreator, lectern.FolderResource(w.week.ID), lectern.ENotFound},
			{"folder creator manages the folder", w.creator, lectern.FolderResource(w.week.ID), ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.Holders(ctx, p(tc.actor), tc.res, "")
				if got := codeOrEmpty(err); got != tc.want {
					t.Fatalf("got %q (%v), want %q", got, err, tc.want)
				}
			})
		}
		// An admin's look is audited like any other admin access.
		if _, err := w.svc.Holders(ctx, p(w.admin), lectern.SessionResource(w.foreign.ID), "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		events, _, err := w.svc.AuditLog(ctx, p(w.admin), access.AuditQuery{Action: lectern.AuditAdminAccess, ResourceID: w.foreign.ID})
		testkit.Must(t, err, "audit log")
		if len(events) != 1 || !strings.HasPrefix(events[0].Detail, "share") {
			t.Errorf("admin access events %+v", events)
		}
	})
}

func TestExistsSaysOnlyWhetherTheResourceExists(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		for _, tc := range []struct {
			res  lectern.Resource
			want bool
		}{
			{lectern.SessionResource(w.foreign.ID), true},
			{lectern.SessionResource(w.purged.ID), true},
			{lectern.FolderResource(w.elsewhere.ID), true},
			{lectern.Resource{Type: lectern.ResourceGroup, ID: w.group.ID}, true},
			{lectern.SessionResource(sqlstore.NewID()), false},
			{lectern.FolderResource("not-an-id"), false},
			{lectern.Resource{Type: lectern.ResourceGroup, ID: sqlstore.NewID()}, false},
		} {
			got, err := w.svc.Exists(ctx, tc.res)
			testkit.Must(t, err, "exists %v", tc.res)
			if got != tc.want {
				t.Errorf("Exists(%v) = %v, want %v", tc.res, got, tc.want)
			}
		}
		if _, err := w.svc.Exists(ctx, lectern.Resource{Type: "video", ID: "x"}); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Errorf("unknown type: %v", err)
		}
	})
}
