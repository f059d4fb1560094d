package lti_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// deepLink runs the LMS's "add activity" flow as teacher sub: a
// deep-linking launch, the picker, the choice of sessions, and the signed
// response posted back to the LMS. It returns the items the LMS accepted.
func (s *site) deepLink(sub, contextID string, sessionIDs ...string) []testkit.ContentItem {
	s.t.Helper()
	msg := instructor(sub)
	msg.ContextID = contextID
	msg.MessageType = "LtiDeepLinkingRequest"
	msg.ResourceLink = ""
	msg.DeepLinkData = "lms-opaque-" + contextID
	msg.DeepLinkMultiple = true
	msg.TargetLinkURI = s.srv.URL + lti.PathDeepLink
	b, r := s.launch(msg)
	pickPath := wantRedirect(s.t, r, "/lti/pick/")
	picker := b.Follow(r)
	wantStatus(s.t, picker, http.StatusOK)
	checkPage(s.t, "picker", picker.Body)
	form := url.Values{"session": sessionIDs}
	ret := b.Post(s.srv.URL+pickPath, s.srv.URL, form)
	wantStatus(s.t, ret, http.StatusOK)
	if csp := ret.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+s.lms.Issuer()) {
		s.t.Errorf("the return page's CSP %q does not let its form post to the LMS", csp)
	}
	checkPage(s.t, "deep-linking return", ret.Body)
	ap, ok := testkit.FindForm(ret, true)
	if !ok || ap.Action != s.lms.DeepLinkReturnURL() {
		s.t.Fatalf("no auto-posting form to the LMS's return URL:\n%s", ret.Body)
	}
	before := len(s.lms.DeepLinks())
	got := b.Submit(ap)
	dl := s.lms.DeepLinks()
	if len(dl) != before+1 {
		s.t.Fatalf("the LMS received no deep-linking response (%d): %s", got.Status, got.Body)
	}
	resp := dl[len(dl)-1]
	if resp.Err != "" {
		s.t.Fatalf("the LMS refused the deep-linking response: %s", resp.Err)
	}
	if resp.Data != msg.DeepLinkData {
		s.t.Errorf("data %q not echoed (got %q)", msg.DeepLinkData, resp.Data)
	}
	return resp.Items
}

// linkLaunch is a learner's launch of the resource link the LMS made from
// a content item.
func linkLaunch(sub, contextID, linkID string, item testkit.ContentItem) testkit.LTIMessage {
	m := learner(sub)
	m.ContextID, m.ResourceLink, m.LinkTitle, m.Custom = contextID, linkID, item.Title, item.Custom
	return m
}

// TestDeepLinkingAndLinkGrants (seed 000): a teacher picks videos they may
// share; Lectern answers with signed ltiResourceLink items the LMS
// verifies; each link is bound at its first launch, and a launch puts the
// user in the link's group until the grant window passes, refreshed by
// each launch; the same video in two courses is two links and two groups;
// moving the video keeps access; unbinding deletes the group.
func TestDeepLinkingAndLinkGrants(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		_, r := s.launch(instructor("teacher-1"))
		wantRedirect(t, r, "/lti/courses/")
		teacher := s.userOf("teacher-1")
		mine := s.publishedSession(teacher, "", "Week 1: limits")
		second := s.publishedSession(teacher, "", "Week 2: derivatives")
		stranger := s.localUser("someone@uni.example")
		theirs := s.publishedSession(stranger, "", "Someone else's lecture")

		// The picker lists what the teacher may share, and finds by words.
		msg := instructor("teacher-1")
		msg.MessageType, msg.ResourceLink, msg.TargetLinkURI = "LtiDeepLinkingRequest", "", s.srv.URL+lti.PathDeepLink
		b, r := s.launch(msg)
		pickPath := wantRedirect(t, r, "/lti/pick/")
		picker := b.Follow(r)
		if !strings.Contains(picker.Body, "Week 1: limits") || strings.Contains(picker.Body, "Someone else") {
			t.Errorf("the picker should list the teacher's videos only:\n%s", picker.Body)
		}
		found := b.Get(s.srv.URL + pickPath + "?q=derivatives")
		if !strings.Contains(found.Body, "Week 2: derivatives") || strings.Contains(found.Body, "Week 1: limits") {
			t.Errorf("searching for derivatives:\n%s", found.Body)
		}
		// Choosing a video the teacher may not share is refused.
		refused := b.Post(s.srv.URL+pickPath, s.srv.URL, url.Values{"session": {theirs.ID}})
		wantStatus(t, refused, http.StatusForbidden)
		if n := len(s.lms.DeepLinks()); n != 0 {
			t.Fatalf("a refused choice reached the LMS (%d responses)", n)
		}

		// A learner may not deep-link.
		lmsg := learner("student-1")
		lmsg.MessageType, lmsg.ResourceLink, lmsg.TargetLinkURI = "LtiDeepLinkingRequest", "", s.srv.URL+lti.PathDeepLink
		_, r = s.launch(lmsg)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "Only teachers can add videos") {
			t.Errorf("a learner's deep-linking launch:\n%s", r.Body)
		}

		// The full flow: two videos picked, two signed items.
		items := s.deepLink("teacher-1", "course-1", mine.ID, second.ID)
		if len(items) != 2 || items[0].Type != "ltiResourceLink" || items[0].Title != "Week 1: limits" ||
			items[0].URL != s.srv.URL+lti.PathLaunch || items[0].Custom[lti.CustomItem] == "" {
			t.Fatalf("content items %+v", items)
		}

		// A learner opens the module: the link is bound, the grant lasts the window.
		window := lti.DefaultGrantWindow
		_, r = s.launch(linkLaunch("student-1", "course-1", "module-1", items[0]))
		wantRedirect(t, r, "/sessions/"+mine.ID)
		link, err := db.LTILinkByResource(ctx, s.reg.ID, "module-1")
		testkit.Must(t, err, "link")
		if link.SessionID != mine.ID || link.GroupID == "" || link.BoundBy != teacher.ID {
			t.Fatalf("link %+v", link)
		}
		student := s.userOf("student-1")
		m, err := db.Membership(ctx, link.GroupID, student.ID)
		testkit.Must(t, err, "membership")
		if want := s.clock.Now().Add(window); !m.ExpiresAt.Equal(want) {
			t.Errorf("membership until %s, want %s", m.ExpiresAt, want)
		}
		video := lectern.SessionResource(mine.ID)
		if !s.may(student, lectern.ActionView, video) {
			t.Fatal("the learner cannot view the video after launching its link")
		}

		// Three hours later a relaunch refreshes the window.
		s.clock.Advance(3 * time.Hour)
		_, r = s.launch(linkLaunch("student-1", "course-1", "module-1", items[0]))
		wantRedirect(t, r, "/sessions/"+mine.ID)
		m, err = db.Membership(ctx, link.GroupID, student.ID)
		testkit.Must(t, err, "membership")
		if want := s.clock.Now().Add(window); !m.ExpiresAt.Equal(want) {
			t.Errorf("after a relaunch the membership ends %s, want %s", m.ExpiresAt, want)
		}

		// Moving the video to another folder keeps the link's access.
		other, err := s.catalog.CreateFolderAs(ctx, lectern.PrincipalOf(teacher), catalogFolder("Archive"), "")
		testkit.Must(t, err, "folder")
		_, err = s.catalog.MoveSession(ctx, lectern.PrincipalOf(teacher), mine.ID, other.ID, "")
		testkit.Must(t, err, "move")
		if !s.may(student, lectern.ActionView, video) {
			t.Error("moving the video broke the link's access")
		}

		// The window passes without a launch: access ends at once, before
		// any sweep; the sweeper then removes the membership.
		s.clock.Advance(window + time.Minute)
		d, err := s.access.Decide(ctx, lectern.PrincipalOf(student), lectern.ActionView, video)
		testkit.Must(t, err, "decide")
		if d.Allowed || d.Reason != lectern.DenyExpired {
			t.Errorf("after the window: %+v, want deny:expired", d)
		}
		rep, err := s.access.Sweep(ctx)
		testkit.Must(t, err, "sweep")
		if rep.Memberships == 0 {
			t.Error("the sweeper removed no expired membership")
		}
		if _, err := db.Membership(ctx, link.GroupID, student.ID); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Errorf("the expired membership is still there: %v", err)
		}
		if _, err := s.identity.UserByID(ctx, student.ID); err != nil {
			t.Errorf("the user went with the grant: %v", err)
		}

		// The same video in a second course: a second link, a second group.
		_, r = s.launch(func() testkit.LTIMessage { m := instructor("teacher-1"); m.ContextID = "course-2"; return m }())
		wantRedirect(t, r, "/lti/courses/")
		items2 := s.deepLink("teacher-1", "course-2", mine.ID)
		_, r = s.launch(linkLaunch("student-2", "course-2", "module-2", items2[0]))
		wantRedirect(t, r, "/sessions/"+mine.ID)
		link2, err := db.LTILinkByResource(ctx, s.reg.ID, "module-2")
		testkit.Must(t, err, "second link")
		if link2.GroupID == link.GroupID || link2.SessionID != mine.ID {
			t.Errorf("the same video in two courses should have two groups: %s and %s", link.GroupID, link2.GroupID)
		}
		// The first course's student has no access through the second link.
		if s.may(student, lectern.ActionView, video) {
			t.Error("a student of course 1 may view through course 2's link")
		}

		// A shorter grant window applies to the next launch.
		testkit.Must(t, s.lti.SetGrantWindow(ctx, 30*time.Minute, ""), "grant window")
		_, r = s.launch(linkLaunch("student-1", "course-1", "module-1", items[0]))
		wantRedirect(t, r, "/sessions/"+mine.ID)
		m, err = db.Membership(ctx, link.GroupID, student.ID)
		testkit.Must(t, err, "membership")
		if want := s.clock.Now().Add(30 * time.Minute); !m.ExpiresAt.Equal(want) {
			t.Errorf("membership until %s, want %s (30 minute window)", m.ExpiresAt, want)
		}

		// The instructor unbinds the first link on the course page: its group goes.
		tb, tr := s.launch(instructor("teacher-1"))
		course := tb.Follow(tr)
		if !strings.Contains(course.Body, "Week 1: limits") {
			t.Fatalf("the course page does not list the bound link:\n%s", course.Body)
		}
		un := s.postSameOrigin(tb, course, "/lti/links/"+link.ID+"/unbind", url.Values{"back": {"/lti/courses/" + s.course("course-1").ID}})
		wantRedirect(t, un, "/lti/courses/")
		if _, err := db.GroupByID(ctx, link.GroupID); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Errorf("unbinding left the link's group: %v", err)
		}
		if s.may(student, lectern.ActionView, video) {
			t.Error("the student may still view the video through the unbound link")
		}
		// Launching the unbound link does not bind it again.
		_, r = s.launch(linkLaunch("student-1", "course-1", "module-1", items[0]))
		if r.Status == http.StatusSeeOther && strings.Contains(r.Location, "/sessions/") {
			t.Errorf("an unbound link was bound again by a launch: %s", r.Location)
		}
		// The other course's link is untouched.
		if !s.may(s.userOf("student-2"), lectern.ActionView, video) {
			t.Error("unbinding one course's link took access through another's")
		}
	})
}

// TestBindFromCoursePage: an instructor launching an unbound link (LTI
// 1.1 has no deep linking) can choose a video for it from the course page.
func TestBindFromCoursePage(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		msg := instructor("teacher-1")
		msg.ResourceLink = "module-7"
		b, r := s.launch(msg)
		wantRedirect(t, r, "/lti/courses/")
		teacher := s.userOf("teacher-1")
		sess := s.publishedSession(teacher, "", "Guest lecture")
		course := b.Follow(r)
		m := regexpPick.FindStringSubmatch(course.Body)
		if m == nil {
			t.Fatalf("the course page offers no picker for the launched link:\n%s", course.Body)
		}
		bound := b.Post(s.srv.URL+m[1], s.srv.URL, url.Values{"session": {sess.ID}})
		wantRedirect(t, bound, "/lti/courses/")
		_, r = s.launch(linkLaunch("student-1", "course-1", "module-7", testkit.ContentItem{}))
		wantRedirect(t, r, "/sessions/"+sess.ID)
		// The picker token works once.
		again := b.Post(s.srv.URL+m[1], s.srv.URL, url.Values{"session": {sess.ID}})
		wantStatus(t, again, http.StatusConflict)
	})
}
