package catalog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// randomSite fills db with a random tree, sessions in every state, groups
// with live and expired memberships, and live and expired grants.
type randomSite struct {
	users    []lectern.User
	folders  []lectern.Folder
	sessions []lectern.Session
}

func buildRandomSite(t *testing.T, f *fixture, seed uint64) randomSite {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	now := f.clock.Now()
	var site randomSite
	for i := 0; i < 9; i++ {
		site.users = append(site.users, accesstest.User(t, f.db, fmt.Sprintf("U%d", i), i == 0))
	}
	pick := func(n int) int { return rng.IntN(n) }
	user := func() lectern.User { return site.users[pick(len(site.users))] }
	expiry := func() time.Time {
		switch pick(4) {
		case 0:
			return now.Add(-time.Duration(1+pick(3600)) * time.Second)
		case 1:
			return now.Add(time.Duration(1+pick(3600)) * time.Second)
		}
		return time.Time{}
	}
	for i := 0; i < 14; i++ {
		parent := ""
		if i > 0 && pick(4) > 0 {
			parent = site.folders[pick(len(site.folders))].ID
		}
		site.folders = append(site.folders, accesstest.Folder(t, f.db, fmt.Sprintf("F%02d", i), parent, user().ID, pick(4) == 0))
	}
	pubs := []lectern.Publication{lectern.PublicationDraft, lectern.PublicationPendingApproval, lectern.PublicationPublished, lectern.PublicationPublished}
	lcs := []lectern.Lifecycle{lectern.LifecycleActive, lectern.LifecycleActive, lectern.LifecycleActive, lectern.LifecyclePendingReview,
		lectern.LifecycleArchived, lectern.LifecycleRecycled, lectern.LifecyclePurged}
	for i := 0; i < 60; i++ {
		folder := ""
		if pick(10) > 0 {
			folder = site.folders[pick(len(site.folders))].ID
		}
		site.sessions = append(site.sessions, accesstest.Session(t, f.db, fmt.Sprintf("S%02d", i), folder, user().ID,
			pubs[pick(len(pubs))], lcs[pick(len(lcs))], time.Duration(pick(20))*time.Minute))
	}
	var groups []lectern.Group
	for i := 0; i < 4; i++ {
		g := accesstest.Group(t, f.db, fmt.Sprintf("G%d", i))
		groups = append(groups, g)
		for _, u := range site.users {
			if pick(3) == 0 {
				accesstest.Member(t, f.db, g.ID, u.ID, expiry())
			}
		}
	}
	roles := []lectern.Role{lectern.RoleViewer, lectern.RoleViewer, lectern.RoleCreator, lectern.RolePublisher}
	for i := 0; i < 70; i++ {
		var r lectern.Resource
		if pick(2) == 0 {
			r = lectern.FolderResource(site.folders[pick(len(site.folders))].ID)
		} else {
			r = lectern.SessionResource(site.sessions[pick(len(site.sessions))].ID)
		}
		pt, id := lectern.PrincipalUser, user().ID
		if pick(3) == 0 {
			pt, id = lectern.PrincipalGroup, groups[pick(len(groups))].ID
		}
		accesstest.Grant(t, f.db, pt, id, r, roles[pick(len(roles))], expiry())
	}
	// A deleted folder, with what went with it.
	victim := site.folders[pick(len(site.folders))]
	err := f.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		_, err := tx.RecycleFolder(ctx, victim.ID, victim.OwnerID, now)
		return err
	})
	testkit.Must(t, err, "recycle folder")
	// Re-read sessions: some were recycled with the folder.
	for i, s := range site.sessions {
		site.sessions[i], err = f.db.SessionByID(ctx, s.ID)
		testkit.Must(t, err, "reload")
	}
	return site
}

func listedByRules(s lectern.Session) bool {
	return s.Lifecycle != lectern.LifecycleRecycled && s.Lifecycle != lectern.LifecyclePurged
}

// allPages walks a listing with a small page size, so cursors are used.
func allPages(t *testing.T, list func(cursor string) (catalog.Page[lectern.Session], error)) []string {
	t.Helper()
	var out []string
	cursor := ""
	for range 100 {
		page, err := list(cursor)
		testkit.Must(t, err, "list")
		for _, s := range page.Items {
			out = append(out, s.ID)
		}
		if page.Next == "" {
			return out
		}
		cursor = page.Next
	}
	t.Fatal("listing does not end")
	return nil
}

// TestListsMatchDecide checks, on random sites, that every listing
// returns exactly the sessions (and folders) for which Decide allows the
// action the listing stands for: the SQL filter and the Go rules cannot
// drift apart unnoticed.
func TestListsMatchDecide(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
				ctx := context.Background()
				f := newFixture(t, db)
				site := buildRandomSite(t, f, seed)
				allowed := func(u lectern.User, a lectern.Action, r lectern.Resource) bool {
					d, err := f.acc.Decide(ctx, p(u), a, r)
					testkit.Must(t, err, "decide")
					return d.Allowed
				}
				checked := 0
				for _, u := range site.users {
					var wantAll []string
					wantIn := map[string][]string{}
					var wantQueue []string
					for _, s := range site.sessions {
						if listedByRules(s) && allowed(u, lectern.ActionView, lectern.SessionResource(s.ID)) {
							wantAll = append(wantAll, s.ID)
							wantIn[s.FolderID] = append(wantIn[s.FolderID], s.ID)
						}
						if s.Publication == lectern.PublicationPendingApproval && listedByRules(s) &&
							allowed(u, lectern.ActionApprove, lectern.SessionResource(s.ID)) {
							wantQueue = append(wantQueue, s.ID)
						}
					}
					same := func(what string, got, want []string) {
						t.Helper()
						checked++
						slices.Sort(got)
						slices.Sort(want)
						if !slices.Equal(got, want) {
							t.Errorf("%s for %s (admin %v): list has %d, Decide allows %d\n list:   %v\n decide: %v",
								what, u.Name, u.IsAdmin, len(got), len(want), got, want)
						}
					}
					same("ListVisibleSessions", allPages(t, func(c string) (catalog.Page[lectern.Session], error) {
						return f.cat.ListVisibleSessions(ctx, p(u), 7, c)
					}), wantAll)
					same("ApprovalQueue", allPages(t, func(c string) (catalog.Page[lectern.Session], error) {
						return f.cat.ApprovalQueue(ctx, p(u), 3, c)
					}), wantQueue)
					for _, fo := range site.folders {
						same("ListSessions "+fo.Name, allPages(t, func(c string) (catalog.Page[lectern.Session], error) {
							return f.cat.ListSessions(ctx, p(u), fo.ID, 5, c)
						}), wantIn[fo.ID])
						// Child folders: live ones Decide lets u view.
						got, err := f.cat.ListFolders(ctx, p(u), fo.ID)
						testkit.Must(t, err, "list folders")
						var gotIDs, wantIDs []string
						for _, c := range got {
							gotIDs = append(gotIDs, c.ID)
						}
						for _, c := range site.folders {
							if c.ParentID != fo.ID {
								continue
							}
							live, err := f.db.FolderByID(ctx, c.ID)
							testkit.Must(t, err, "folder")
							if live.RecycledAt.IsZero() && allowed(u, lectern.ActionView, lectern.FolderResource(c.ID)) {
								wantIDs = append(wantIDs, c.ID)
							}
						}
						same("ListFolders "+fo.Name, gotIDs, wantIDs)
					}
				}
				if checked == 0 {
					t.Fatal("nothing checked")
				}
			})
		})
	}
}
