package lti_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// TestCourseFolders (seed 002): the course folder appears on the first
// instructor launch; a learner before that gets a clear page, and after
// it is a viewer; instructors and teaching assistants are creators; a
// demoted instructor loses creator at the next launch; guests of a public
// course are viewers, of another course nothing.
func TestCourseFolders(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()

		// A learner first: no folder yet, a plain page instead of an error.
		_, r := s.launch(learner("student-1"))
		wantStatus(t, r, http.StatusOK)
		checkPage(t, "course not ready", r.Body)
		if !strings.Contains(r.Body, "This course has no Lectern folder yet; it appears once a teacher opens it") {
			t.Fatalf("the learner should be told the course has no folder yet:\n%s", r.Body)
		}
		if c := s.course("course-1"); c.FolderID != "" {
			t.Fatalf("a learner's launch made a course folder")
		}

		// The first instructor launch makes the folder.
		_, r = s.launch(instructor("teacher-1"))
		wantRedirect(t, r, "/lti/courses/")
		c := s.course("course-1")
		if c.FolderID == "" {
			t.Fatal("the instructor's launch made no course folder")
		}
		folder, err := db.FolderByID(ctx, c.FolderID)
		testkit.Must(t, err, "course folder")
		if folder.Name != "COURSE-1: Algebra" || folder.ParentID == "" {
			t.Errorf("course folder %q under %q, want \"COURSE-1: Algebra\" under the platform's folder", folder.Name, folder.ParentID)
		}
		teacher := s.userOf("teacher-1")
		if teacher.Kind != lectern.UserLTI || teacher.Name != "Teacher teacher-1" || teacher.Email != "teacher-1@uni.example" {
			t.Errorf("instructor account %+v", teacher)
		}
		if folder.OwnerID == teacher.ID {
			t.Error("the course folder must not belong to the instructor (their LMS role may change)")
		}
		res := lectern.FolderResource(c.FolderID)
		if !s.may(teacher, lectern.ActionEdit, res) {
			t.Error("an instructor should be a creator on the course folder")
		}
		// A second instructor launch finds the same folder.
		_, r = s.launch(instructor("teacher-1"))
		wantRedirect(t, r, "/lti/courses/")
		if again := s.course("course-1"); again.FolderID != c.FolderID {
			t.Errorf("a second launch replaced the folder %s with %s", c.FolderID, again.FolderID)
		}

		// The learner again: now a viewer, sent to the folder.
		_, r = s.launch(learner("student-1"))
		wantRedirect(t, r, "/folders/"+c.FolderID)
		student := s.userOf("student-1")
		if !s.may(student, lectern.ActionView, res) || s.may(student, lectern.ActionEdit, res) {
			t.Error("a learner should be a viewer of the course folder, and no more")
		}

		// A teaching assistant is a creator too.
		ta := instructor("ta-1")
		ta.Roles = []string{testkit.RoleTA}
		_, r = s.launch(ta)
		wantRedirect(t, r, "/lti/courses/")
		if !s.may(s.userOf("ta-1"), lectern.ActionEdit, res) {
			t.Error("a teaching assistant should be a creator on the course folder")
		}

		// The instructor is demoted in the LMS: creator goes at the next launch.
		demoted := instructor("teacher-1")
		demoted.Roles = []string{testkit.RoleLearner}
		_, r = s.launch(demoted)
		wantRedirect(t, r, "/folders/"+c.FolderID)
		if s.may(teacher, lectern.ActionEdit, res) || !s.may(teacher, lectern.ActionView, res) {
			t.Error("a demoted instructor should lose creator and keep viewer")
		}

		// An LMS administrator without a course role is a creator.
		adm := instructor("lms-admin")
		adm.Roles = []string{testkit.RoleAdmin}
		_, r = s.launch(adm)
		wantRedirect(t, r, "/lti/courses/")
		if !s.may(s.userOf("lms-admin"), lectern.ActionEdit, res) {
			t.Error("an LMS administrator should be a creator on the course folder")
		}

		// A guest of a course that is not public: a clear page, no access.
		guest := learner("guest-1")
		guest.Roles = nil
		_, r = s.launch(guest)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "not a member of this course") {
			t.Errorf("a guest of a closed course should be told so:\n%s", r.Body)
		}
		if s.may(s.userOf("guest-1"), lectern.ActionView, res) {
			t.Error("a guest of a closed course may view its folder")
		}

		// A public course (Neptun's public spaces): guests come in as viewers.
		pubTeacher := instructor("teacher-2")
		pubTeacher.ContextID, pubTeacher.ContextTitle = "space-9", "Open lectures"
		pubTeacher.Custom = map[string]string{"lectern_public": "true"}
		_, r = s.launch(pubTeacher)
		wantRedirect(t, r, "/lti/courses/")
		pub := s.course("space-9")
		if !pub.Public {
			t.Fatal("the course should be marked public")
		}
		pubGuest := guest
		pubGuest.Subject = "guest-2"
		pubGuest.ContextID, pubGuest.ContextTitle = "space-9", "Open lectures"
		pubGuest.Roles = []string{testkit.RoleGuest}
		pubGuest.Custom = map[string]string{"lectern_public": "true"}
		_, r = s.launch(pubGuest)
		wantRedirect(t, r, "/folders/"+pub.FolderID)
		g := s.userOf("guest-2")
		pres := lectern.FolderResource(pub.FolderID)
		if !s.may(g, lectern.ActionView, pres) || s.may(g, lectern.ActionEdit, pres) {
			t.Error("a guest of a public course should be a viewer, and no more")
		}
		if s.may(g, lectern.ActionView, res) {
			t.Error("a guest of one course may view another course's folder")
		}

		// The course page shows the instructor their course.
		b, r := s.launch(instructor("teacher-3"))
		page := b.Follow(r)
		wantStatus(t, page, http.StatusOK)
		checkPage(t, "course page", page.Body)
		for _, want := range []string{"Course: Algebra", "Open the course folder", "/folders/" + c.FolderID, "choose a video for it"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("course page lacks %q:\n%s", want, page.Body)
			}
		}
		// A learner may not see the course page.
		lb, _ := s.launch(learner("student-1"))
		if other := lb.Get(s.srv.URL + "/lti/courses/" + c.ID); other.Status != http.StatusForbidden && other.Status != http.StatusNotFound {
			t.Errorf("a learner got the course page: %d", other.Status)
		}
	})
}

// TestFramingAndKeys: the registered LMS may frame Lectern, Lectern's
// keys are published with alg and kid, and the cross-site launch posts get
// past the CSRF layer while other cross-site posts do not.
func TestFramingAndKeys(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b, r := s.launch(instructor("teacher-1"))
		page := b.Follow(r)
		csp := page.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'self' "+s.lms.Issuer()) {
			t.Errorf("CSP %q does not let the LMS frame Lectern", csp)
		}
		if page.Header.Get("X-Frame-Options") != "" {
			t.Error("X-Frame-Options would forbid the LMS's frame")
		}

		keys := b.Get(s.srv.URL + "/lti/jwks")
		wantStatus(t, keys, http.StatusOK)
		for _, want := range []string{`"alg":"RS256"`, `"kid":`, `"use":"sig"`, `"kty":"RSA"`} {
			if !strings.Contains(keys.Body, want) {
				t.Errorf("JWKS lacks %s: %s", want, keys.Body)
			}
		}
		if strings.Contains(keys.Body, `"d":`) {
			t.Fatal("the JWKS publishes a private key")
		}

		// A cross-site post to a page that is not an LTI endpoint is refused.
		c := s.course("course-1")
		forged := b.Post(s.srv.URL+"/lti/courses/"+c.ID+"/sync", s.lms.Issuer(), nil)
		wantStatus(t, forged, http.StatusForbidden)
	})
}
