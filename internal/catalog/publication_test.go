package catalog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// approvalSite is a folder that requires approval with a creator, a
// publisher and a viewer on it, next to a folder that does not.
type approvalSite struct {
	*fixture
	owner, creator, publisher, viewer lectern.User
	gated, open                       lectern.Folder
}

func newApprovalSite(t *testing.T, db *sqlstore.DB) *approvalSite {
	t.Helper()
	ctx := context.Background()
	s := &approvalSite{fixture: newFixture(t, db)}
	s.owner, s.creator = s.user(t, "Owner"), s.user(t, "Creator")
	s.publisher, s.viewer = s.user(t, "Publisher"), s.user(t, "Viewer")
	var err error
	s.gated, err = s.cat.CreateFolderAs(ctx, lectern.PrincipalOf(s.owner), catalog.NewFolder{Name: "Gated", RequiresApproval: true}, "")
	testkit.Must(t, err, "gated folder")
	s.open, err = s.cat.CreateFolderAs(ctx, lectern.PrincipalOf(s.owner), catalog.NewFolder{Name: "Open"}, "")
	testkit.Must(t, err, "open folder")
	for _, fo := range []lectern.Folder{s.gated, s.open} {
		s.grant(t, s.creator, lectern.FolderResource(fo.ID), lectern.RoleCreator)
		s.grant(t, s.viewer, lectern.FolderResource(fo.ID), lectern.RoleViewer)
	}
	s.grant(t, s.publisher, lectern.FolderResource(s.gated.ID), lectern.RolePublisher)
	return s
}

func TestReadySessionPublishesItself(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newApprovalSite(t, db)
		cases := []struct {
			name      string
			who       lectern.User
			folder    func() string
			keepDraft bool
			want      lectern.Publication
		}{
			{"in an open folder it is published", s.creator, func() string { return s.open.ID }, false, lectern.PublicationPublished},
			{"kept a draft it stays a draft", s.creator, func() string { return s.open.ID }, true, lectern.PublicationDraft},
			{"in a gated folder it waits for approval", s.creator, func() string { return s.gated.ID }, false, lectern.PublicationPendingApproval},
			{"a publisher's own upload in a gated folder is published", s.publisher, func() string { return s.gated.ID }, false, lectern.PublicationPublished},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got := s.readySession(t, tc.who, tc.folder(), tc.name, tc.keepDraft)
				if got.Publication != tc.want {
					t.Errorf("publication %s, want %s", got.Publication, tc.want)
				}
			})
		}
	})
}

func TestProcessingStateMachine(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newApprovalSite(t, db)
		sess, err := s.cat.CreateSession(ctx, p(s.creator), catalog.NewSession{FolderID: s.open.ID, Title: "Upload"}, "")
		testkit.Must(t, err, "create")
		if sess.Processing != lectern.ProcessingUploading || sess.Publication != lectern.PublicationDraft {
			t.Fatalf("new session: %+v", sess)
		}
		if _, err := s.cat.SetProcessing(ctx, sess.ID, lectern.ProcessingReady, ""); lectern.ErrorCodeOf(err) != lectern.EConflict {
			t.Errorf("uploading -> ready: %v", err)
		}
		sess, err = s.cat.SetProcessing(ctx, sess.ID, lectern.ProcessingFailed, "The file is not a video.")
		testkit.Must(t, err, "fail")
		if sess.ProcessingError != "The file is not a video." || sess.Publication != lectern.PublicationDraft {
			t.Errorf("failed session: %+v", sess)
		}
		sess, err = s.cat.SetProcessing(ctx, sess.ID, lectern.ProcessingQueued, "ignored")
		testkit.Must(t, err, "retry")
		if sess.ProcessingError != "" {
			t.Errorf("retry kept the error: %+v", sess)
		}
		if _, err := s.cat.CreateSession(ctx, p(s.viewer), catalog.NewSession{FolderID: s.open.ID, Title: "Nope"}, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Errorf("viewer uploading: %v", err)
		}
		if _, err := s.cat.CreateSession(ctx, p(s.creator), catalog.NewSession{FolderID: s.open.ID, Title: " "}, ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Errorf("blank title: %v", err)
		}
	})
}

func TestPublisherApprovalFlow(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newApprovalSite(t, db)
		sess := s.readySession(t, s.creator, s.gated.ID, "Week 1", true)
		if sess.Publication != lectern.PublicationDraft {
			t.Fatalf("kept draft: %+v", sess)
		}
		// The creator publishes: it waits for a publisher.
		sess, err := s.cat.Publish(ctx, p(s.creator), sess.ID, "")
		testkit.Must(t, err, "publish")
		if sess.Publication != lectern.PublicationPendingApproval {
			t.Fatalf("creator's publish in a gated folder: %s", sess.Publication)
		}
		if d := s.decide(t, s.viewer, lectern.ActionView, lectern.SessionResource(sess.ID)); d.Allowed {
			t.Errorf("viewer sees a pending session: %+v", d)
		}
		queue := func(u lectern.User) []lectern.Session {
			pg, err := s.cat.ApprovalQueue(ctx, p(u), 0, "")
			testkit.Must(t, err, "queue")
			return pg.Items
		}
		if q := queue(s.publisher); len(q) != 1 || q[0].ID != sess.ID {
			t.Errorf("publisher's queue: %v", ids(q))
		}
		if q := queue(s.creator); len(q) != 0 {
			t.Errorf("creator's queue: %v", ids(q))
		}
		if _, err := s.cat.Approve(ctx, p(s.creator), sess.ID, "", ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Errorf("creator approving: %v", err)
		}
		if _, err := s.cat.Return(ctx, p(s.publisher), sess.ID, "  ", ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Errorf("return without comment: %v", err)
		}

		// The publisher returns it with a comment; the creator is told.
		sess, err = s.cat.Return(ctx, p(s.publisher), sess.ID, "Please cut the first five minutes.", "192.0.2.8")
		testkit.Must(t, err, "return")
		if sess.Publication != lectern.PublicationDraft || !sess.KeepDraft {
			t.Errorf("returned: %+v", sess)
		}
		mails := s.mail.To(s.creator.Email)
		if len(mails) != 1 || !strings.Contains(mails[0].Subject, "Returned") || !strings.Contains(mails[0].Text, "first five minutes") {
			t.Fatalf("return mail: %+v", mails)
		}
		if _, err := s.cat.Approve(ctx, p(s.publisher), sess.ID, "", ""); lectern.ErrorCodeOf(err) != lectern.EConflict {
			t.Errorf("approving a draft: %v", err)
		}

		// Published again, then approved.
		_, err = s.cat.Publish(ctx, p(s.creator), sess.ID, "")
		testkit.Must(t, err, "publish again")
		sess, err = s.cat.Approve(ctx, p(s.publisher), sess.ID, "Looks good.", "192.0.2.8")
		testkit.Must(t, err, "approve")
		if sess.Publication != lectern.PublicationPublished || sess.PublishedAt.IsZero() {
			t.Errorf("approved: %+v", sess)
		}
		mails = s.mail.To(s.creator.Email)
		if len(mails) != 2 || !strings.Contains(mails[1].Subject, "Approved") {
			t.Fatalf("approval mail: %+v", mails)
		}
		if d := s.decide(t, s.viewer, lectern.ActionView, lectern.SessionResource(sess.ID)); !d.Allowed {
			t.Errorf("viewer after approval: %+v", d)
		}
		history, err := s.cat.Approvals(ctx, p(s.creator), sess.ID, "")
		testkit.Must(t, err, "history")
		if len(history) != 2 || history[0].State != lectern.ApprovalApproved || history[1].State != lectern.ApprovalReturned ||
			history[1].Comment != "Please cut the first five minutes." || history[0].DecidedBy != s.publisher.ID ||
			history[0].RequestedBy != s.creator.ID {
			t.Errorf("history: %+v", history)
		}
		events, _, err := s.acc.AuditLog(ctx, p(s.creator), access.AuditQuery{ResourceID: sess.ID})
		testkit.Must(t, err, "audit")
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		want := "session.approve,session.submit,session.return,session.submit"
		if strings.Join(actions, ",") != want {
			t.Errorf("audit = %v, want %s", actions, want)
		}
	})
}

func TestPublishInOpenFolderAndUnpublish(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newApprovalSite(t, db)
		sess := s.readySession(t, s.creator, s.open.ID, "Talk", true)
		if _, err := s.cat.Publish(ctx, p(s.viewer), sess.ID, ""); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Errorf("viewer publishing a draft they cannot see: %v", err)
		}
		sess, err := s.cat.Publish(ctx, p(s.creator), sess.ID, "")
		testkit.Must(t, err, "publish")
		if sess.Publication != lectern.PublicationPublished {
			t.Fatalf("publish in an open folder: %s", sess.Publication)
		}
		sess, err = s.cat.Unpublish(ctx, p(s.creator), sess.ID, "")
		testkit.Must(t, err, "unpublish")
		if sess.Publication != lectern.PublicationDraft || !sess.KeepDraft {
			t.Errorf("unpublished: %+v", sess)
		}
		// Publishing before processing ends marks it to publish when ready.
		early, err := s.cat.CreateSession(ctx, p(s.creator), catalog.NewSession{FolderID: s.open.ID, Title: "Early", KeepDraft: true}, "")
		testkit.Must(t, err, "create")
		early, err = s.cat.Publish(ctx, p(s.creator), early.ID, "")
		testkit.Must(t, err, "publish early")
		if early.Publication != lectern.PublicationDraft || early.KeepDraft {
			t.Fatalf("early publish: %+v", early)
		}
		for _, st := range []lectern.Processing{lectern.ProcessingQueued, lectern.ProcessingRunning, lectern.ProcessingReady} {
			early, err = s.cat.SetProcessing(ctx, early.ID, st, "")
			testkit.Must(t, err, "processing")
		}
		if early.Publication != lectern.PublicationPublished {
			t.Errorf("published when ready: %+v", early)
		}
	})
}

func TestMovingPublishedSessionIntoGatedFolderNeedsApproval(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newApprovalSite(t, db)
		sess := s.readySession(t, s.creator, s.open.ID, "Moved", false)
		sess, err := s.cat.MoveSession(ctx, p(s.creator), sess.ID, s.gated.ID, "")
		testkit.Must(t, err, "move")
		if sess.Publication != lectern.PublicationPendingApproval {
			t.Errorf("a creator moving a published session into a gated folder: %s", sess.Publication)
		}
		other := s.readySession(t, s.creator, s.open.ID, "Moved by publisher", false)
		s.grant(t, s.publisher, lectern.FolderResource(s.open.ID), lectern.RoleCreator)
		other, err = s.cat.MoveSession(ctx, p(s.publisher), other.ID, s.gated.ID, "")
		testkit.Must(t, err, "move")
		if other.Publication != lectern.PublicationPublished {
			t.Errorf("a publisher moving into their gated folder: %s", other.Publication)
		}
		if _, err := s.cat.MoveSession(ctx, p(s.viewer), other.ID, s.open.ID, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Errorf("viewer moving: %v", err)
		}
	})
}

func TestSetFolderApproval(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newApprovalSite(t, db)
		if _, err := s.cat.SetFolderApproval(ctx, p(s.creator), s.gated.ID, false, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Errorf("creator turning approval off: %v", err)
		}
		fo, err := s.cat.SetFolderApproval(ctx, p(s.creator), s.open.ID, true, "")
		testkit.Must(t, err, "creator turning approval on")
		if !fo.RequiresApproval {
			t.Errorf("approval not on: %+v", fo)
		}
		fo, err = s.cat.SetFolderApproval(ctx, p(s.publisher), s.gated.ID, false, "")
		testkit.Must(t, err, "publisher turning approval off")
		if fo.RequiresApproval {
			t.Errorf("approval not off: %+v", fo)
		}
	})
}
