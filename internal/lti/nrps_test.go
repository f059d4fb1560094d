package lti_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/jobs"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func member(id string, role string) testkit.NRPSMember {
	return testkit.NRPSMember{UserID: id, Name: "Member " + id, Email: id + "@uni.example", Status: "Active", Roles: []string{role}}
}

// TestRosterSync: an instructor syncs the LMS roster (NRPS, paged, with a
// client-credentials token got by a JWT assertion the platform checks
// against Lectern's keys) into the course's groups, so that students who
// never launched see the course folder; a second sync removes those who
// left; a third changes nothing.
func TestRosterSync(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		msg := instructor("teacher-1")
		msg.NRPS = true
		b, r := s.launch(msg)
		wantRedirect(t, r, "/lti/courses/")
		c := s.course("course-1")
		if c.NRPSURL == "" {
			t.Fatal("the course did not record the roster service")
		}
		s.lms.SetMembers("course-1",
			member("teacher-1", testkit.RoleInstructor), member("s-1", testkit.RoleLearner), member("s-2", testkit.RoleLearner),
			member("s-3", testkit.RoleLearner), member("ta-1", testkit.RoleTA))

		page := b.Follow(r)
		if !strings.Contains(page.Body, "Sync the roster now") {
			t.Fatalf("the course page offers no roster sync:\n%s", page.Body)
		}
		sync := func() lectern.LTIContext {
			t.Helper()
			r := s.postSameOrigin(b, page, "/lti/courses/"+c.ID+"/sync", nil)
			wantRedirect(t, r, "/lti/courses/"+c.ID+"?sync=1")
			return s.course("course-1")
		}
		after := sync()
		if !strings.Contains(after.LastSyncNote, "2 instructors and 3 learners in the roster; 4 memberships added, 0 removed") {
			t.Errorf("sync note %q", after.LastSyncNote)
		}
		if s.lms.TokenRequests() == 0 {
			t.Error("no token was requested")
		}
		folder := lectern.FolderResource(c.FolderID)
		for _, sub := range []string{"s-1", "s-2", "s-3"} {
			u := s.userOf(sub)
			if !s.may(u, lectern.ActionView, folder) || s.may(u, lectern.ActionEdit, folder) {
				t.Errorf("roster learner %s should view the course folder without launching", sub)
			}
			if u.Name != "Member "+sub || u.Email != sub+"@uni.example" {
				t.Errorf("roster account %+v", u)
			}
		}
		if !s.may(s.userOf("ta-1"), lectern.ActionEdit, folder) {
			t.Error("a roster teaching assistant should be a creator")
		}

		// s-2 leaves, s-3 is inactive, s-4 joins.
		s.lms.SetMembers("course-1",
			member("teacher-1", testkit.RoleInstructor), member("s-1", testkit.RoleLearner),
			testkit.NRPSMember{UserID: "s-3", Status: "Inactive", Roles: []string{testkit.RoleLearner}},
			member("s-4", testkit.RoleLearner), member("ta-1", testkit.RoleTA))
		after = sync()
		if !strings.Contains(after.LastSyncNote, "1 memberships added, 2 removed") {
			t.Errorf("second sync: %q", after.LastSyncNote)
		}
		for sub, want := range map[string]bool{"s-1": true, "s-2": false, "s-3": false, "s-4": true} {
			if got := s.may(s.userOf(sub), lectern.ActionView, folder); got != want {
				t.Errorf("after the second sync %s may view: %t, want %t", sub, got, want)
			}
		}
		// Again: nothing changes.
		after = sync()
		if !strings.Contains(after.LastSyncNote, "0 memberships added, 0 removed") {
			t.Errorf("a repeated sync changed something: %q", after.LastSyncNote)
		}
		// A learner may not sync.
		lb, _ := s.launch(learner("s-1"))
		forbidden := lb.Post(s.srv.URL+"/lti/courses/"+c.ID+"/sync", s.srv.URL, nil)
		if forbidden.Status == http.StatusSeeOther {
			t.Error("a learner could start a roster sync")
		}
	})
}

// TestRosterSyncJob runs the sync as a job on a real queue (River on the
// same database), as serve and worker nodes do.
func TestRosterSyncJob(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		testkit.Must(t, jobs.Migrate(ctx, db), "river tables")
		var q *jobs.Queue
		s := newSite(t, db, withJobs(queueRef{&q}))
		workers := river.NewWorkers()
		s.lti.Register(workers)
		var err error
		q, err = jobs.New(db, workers, jobs.Options{RunWorkers: true, PollInterval: 20 * time.Millisecond, TestOnly: true})
		testkit.Must(t, err, "queue")
		testkit.Must(t, q.Start(ctx), "start")
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(stop)
		})

		msg := instructor("teacher-1")
		msg.NRPS = true
		_, r := s.launch(msg)
		wantRedirect(t, r, "/lti/courses/")
		c := s.course("course-1")
		s.lms.SetMembers("course-1", member("teacher-1", testkit.RoleInstructor), member("s-1", testkit.RoleLearner))
		testkit.Must(t, s.lti.RequestRosterSync(ctx, lectern.PrincipalOf(s.userOf("teacher-1")), c.ID, ""), "request sync")
		deadline := time.Now().Add(20 * time.Second)
		for s.course("course-1").LastSyncAt.IsZero() {
			if time.Now().After(deadline) {
				t.Fatal("the roster sync job did not run")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if note := s.course("course-1").LastSyncNote; !strings.HasPrefix(note, "Synced") {
			t.Fatalf("sync job: %s", note)
		}
		if !s.may(s.userOf("s-1"), lectern.ActionView, lectern.FolderResource(c.FolderID)) {
			t.Error("the job's sync did not give the roster learner the folder")
		}
	})
}

// queueRef lets the LTI service be built before the queue it enqueues on.
type queueRef struct{ q **jobs.Queue }

func (r queueRef) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	return (*r.q).Enqueue(ctx, args, opts)
}
