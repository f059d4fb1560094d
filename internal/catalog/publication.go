package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Publication (DESIGN §2): draft → pending-approval → published. In a
// folder without approval a session is published once it is ready, unless
// its creator chose to keep it a draft; where the folder or an ancestor
// requires approval, it goes to pending-approval instead and a publisher
// approves it or returns it with a comment, and the requester is told by
// email.

// submitForApproval puts a session in pending-approval and opens a
// request; the caller has checked the state.
func submitForApproval(ctx context.Context, tx *sqlstore.Tx, cur lectern.Session, requester, clientAddr, reason string, now time.Time) error {
	if err := tx.SetPublication(ctx, cur.ID, cur.Publication, lectern.PublicationPendingApproval, false, now); err != nil {
		return err
	}
	if _, err := tx.InsertApproval(ctx, cur.ID, requester, now); err != nil {
		return err
	}
	return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: requester, Action: lectern.AuditApprovalSubmit,
		ResourceType: lectern.ResourceSession, ResourceID: cur.ID, OwnerID: cur.OwnerID, ClientAddr: clientAddr,
		Reason: reason, Detail: cur.Title})
}

// Publish asks for a session to be published; actor needs publish
// (creators and publishers). Where approval is required and actor is not a
// publisher there, it goes to pending-approval; a publisher's publish of a
// pending session approves it. A session that is not ready yet is marked
// to publish (or be submitted) when it becomes ready. Publishing what is
// already published, or already waiting, changes nothing.
func (s *Service) Publish(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.Session, error) {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionPublish, lectern.SessionResource(id), clientAddr)
	if err != nil {
		return lectern.Session{}, err
	}
	var approved *lectern.Approval
	var cur lectern.Session
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		cur, err = tx.SessionByID(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case cur.Processing != lectern.ProcessingReady:
			if cur.Publication == lectern.PublicationDraft && cur.KeepDraft {
				return tx.SetKeepDraft(ctx, id, false, now)
			}
			return nil
		case cur.Publication == lectern.PublicationPublished:
			return nil
		case cur.Publication == lectern.PublicationPendingApproval:
			if d.NeedsApproval {
				return nil
			}
			a, err := s.approveTx(ctx, tx, actor, cur, d, "", clientAddr, now)
			approved = &a
			return err
		case d.NeedsApproval:
			return submitForApproval(ctx, tx, cur, actor.UserID, clientAddr, string(d.Reason), now)
		default:
			return tx.SetPublication(ctx, id, lectern.PublicationDraft, lectern.PublicationPublished, false, now)
		}
	})
	if err != nil {
		return lectern.Session{}, err
	}
	if approved != nil {
		if err := s.tellRequester(ctx, cur, *approved); err != nil {
			return lectern.Session{}, err
		}
	}
	return s.db.SessionByID(ctx, id)
}

// Unpublish takes a session back to draft (and withdraws a pending
// request), and keeps it a draft when processing finishes; actor needs
// publish.
func (s *Service) Unpublish(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.Session, error) {
	if _, err := s.access.Authorize(ctx, actor, lectern.ActionPublish, lectern.SessionResource(id), clientAddr); err != nil {
		return lectern.Session{}, err
	}
	err := s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		cur, err := tx.SessionByID(ctx, id)
		if err != nil {
			return err
		}
		if cur.Publication == lectern.PublicationPendingApproval {
			if _, err := tx.CloseApprovals(ctx, id, lectern.ApprovalReturned, actor.UserID, "withdrawn", now); err != nil &&
				lectern.ErrorCodeOf(err) != lectern.ENotFound {
				return err
			}
		}
		if cur.Publication == lectern.PublicationDraft {
			return tx.SetKeepDraft(ctx, id, true, now)
		}
		return tx.SetPublication(ctx, id, cur.Publication, lectern.PublicationDraft, true, now)
	})
	if err != nil {
		return lectern.Session{}, err
	}
	return s.db.SessionByID(ctx, id)
}

// Approve publishes a session waiting for approval; actor needs approve
// (a publisher on the session or its folders, or an admin). The requester
// is told by email. A session not waiting is EConflict. Audited.
func (s *Service) Approve(ctx context.Context, actor lectern.Principal, id, comment, clientAddr string) (lectern.Session, error) {
	return s.answer(ctx, actor, id, lectern.ApprovalApproved, comment, clientAddr)
}

// Return sends a session waiting for approval back to draft with a
// comment saying what should change (required: EInvalid "comment"); actor
// needs approve. The requester is told by email. Audited.
func (s *Service) Return(ctx context.Context, actor lectern.Principal, id, comment, clientAddr string) (lectern.Session, error) {
	if strings.TrimSpace(comment) == "" {
		return lectern.Session{}, lectern.Errorf(lectern.EInvalid, "comment: say what should change before it can be published")
	}
	return s.answer(ctx, actor, id, lectern.ApprovalReturned, comment, clientAddr)
}

func (s *Service) answer(ctx context.Context, actor lectern.Principal, id string, state lectern.ApprovalState, comment, clientAddr string) (lectern.Session, error) {
	comment = strings.TrimSpace(comment)
	if err := checkDescription(comment); err != nil {
		return lectern.Session{}, lectern.Errorf(lectern.EInvalid, "comment: at most %d characters", maxDescription)
	}
	d, err := s.access.Authorize(ctx, actor, lectern.ActionApprove, lectern.SessionResource(id), clientAddr)
	if err != nil {
		return lectern.Session{}, err
	}
	var cur lectern.Session
	var a lectern.Approval
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		cur, err = tx.SessionByID(ctx, id)
		if err != nil {
			return err
		}
		if cur.Publication != lectern.PublicationPendingApproval {
			return lectern.Errorf(lectern.EConflict, "The session is not waiting for approval.")
		}
		if state == lectern.ApprovalApproved {
			a, err = s.approveTx(ctx, tx, actor, cur, d, comment, clientAddr, now)
			return err
		}
		if err := tx.SetPublication(ctx, id, lectern.PublicationPendingApproval, lectern.PublicationDraft, true, now); err != nil {
			return err
		}
		if a, err = closeApprovals(ctx, tx, cur, lectern.ApprovalReturned, actor.UserID, comment, now); err != nil {
			return err
		}
		return audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditReturn,
			ResourceType: lectern.ResourceSession, ResourceID: id, OwnerID: cur.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: comment})
	})
	if err != nil {
		return lectern.Session{}, err
	}
	if err := s.tellRequester(ctx, cur, a); err != nil {
		return lectern.Session{}, err
	}
	return s.db.SessionByID(ctx, id)
}

// approveTx publishes a pending session and closes its request.
func (s *Service) approveTx(ctx context.Context, tx *sqlstore.Tx, actor lectern.Principal, cur lectern.Session, d lectern.Decision, comment, clientAddr string, now time.Time) (lectern.Approval, error) {
	if err := tx.SetPublication(ctx, cur.ID, lectern.PublicationPendingApproval, lectern.PublicationPublished, false, now); err != nil {
		return lectern.Approval{}, err
	}
	a, err := closeApprovals(ctx, tx, cur, lectern.ApprovalApproved, actor.UserID, comment, now)
	if err != nil {
		return lectern.Approval{}, err
	}
	return a, audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: lectern.AuditApprove,
		ResourceType: lectern.ResourceSession, ResourceID: cur.ID, OwnerID: cur.OwnerID, ClientAddr: clientAddr,
		Reason: string(d.Reason), Detail: comment})
}

// closeApprovals answers the open request; a session pending without one
// (set so by hand, or by an older version) is answered as if its owner
// had asked.
func closeApprovals(ctx context.Context, tx *sqlstore.Tx, cur lectern.Session, state lectern.ApprovalState, by, comment string, now time.Time) (lectern.Approval, error) {
	a, err := tx.CloseApprovals(ctx, cur.ID, state, by, comment, now)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.Approval{SessionID: cur.ID, RequestedBy: cur.OwnerID, State: state, DecidedBy: by,
			DecidedAt: now, Comment: comment}, nil
	}
	return a, err
}

// tellRequester emails whoever asked for publication about the answer.
func (s *Service) tellRequester(ctx context.Context, sess lectern.Session, a lectern.Approval) error {
	to := a.RequestedBy
	if to == "" {
		to = sess.OwnerID
	}
	if to == a.DecidedBy {
		return nil // a publisher answering their own request knows
	}
	var subject string
	var b strings.Builder
	link := s.link(lectern.SessionResource(sess.ID))
	switch a.State {
	case lectern.ApprovalApproved:
		subject = fmt.Sprintf("Approved: %q is published", sess.Title)
		fmt.Fprintf(&b, "A publisher approved your recording %q. It is now published and visible to its viewers.\n\n", sess.Title)
	default:
		subject = fmt.Sprintf("Returned: %q needs changes before publication", sess.Title)
		fmt.Fprintf(&b, "A publisher returned your recording %q. It is a draft again and is not visible to viewers.\n\n", sess.Title)
	}
	if a.Comment != "" {
		fmt.Fprintf(&b, "Their comment:\n\n%s\n\n", a.Comment)
	}
	fmt.Fprintf(&b, "Open the recording: %s\n", link)
	return s.notify(ctx, to, subject, b.String())
}

// ApprovalQueue lists the sessions waiting for approval that actor may
// approve, newest first.
func (s *Service) ApprovalQueue(ctx context.Context, actor lectern.Principal, limit int, cursor string) (Page[lectern.Session], error) {
	pg, limit, err := pageRequest(limit, cursor)
	if err != nil {
		return Page[lectern.Session]{}, err
	}
	items, err := s.db.ApprovalQueue(ctx, actor, s.clock(), pg)
	if err != nil {
		return Page[lectern.Session]{}, err
	}
	return sessionPage(items, limit, createdAt), nil
}

// Approvals lists a session's approval history, newest first; actor needs
// view.
func (s *Service) Approvals(ctx context.Context, actor lectern.Principal, id, clientAddr string) ([]lectern.Approval, error) {
	if _, err := s.access.Authorize(ctx, actor, lectern.ActionView, lectern.SessionResource(id), clientAddr); err != nil {
		return nil, err
	}
	return s.db.ApprovalsOf(ctx, id)
}

// SetProcessing moves a session's processing state, for the media
// pipeline; message is the plain reason of a failure. A move the state
// machine does not allow is EConflict. When the session becomes ready and
// its creator did not keep it a draft, it is published, or submitted for
// approval where the folder requires it and its owner is not a publisher
// there.
func (s *Service) SetProcessing(ctx context.Context, id string, to lectern.Processing, message string) (lectern.Session, error) {
	if !to.Valid() {
		return lectern.Session{}, lectern.Errorf(lectern.EInvalid, "processing: %q is not a processing state", to)
	}
	cur, err := s.db.SessionByID(ctx, id)
	if err != nil {
		return lectern.Session{}, err
	}
	if !cur.Processing.CanBecome(to) {
		return lectern.Session{}, lectern.Errorf(lectern.EConflict, "A session cannot go from %s to %s.", cur.Processing, to)
	}
	autoPublish := to == lectern.ProcessingReady && cur.Publication == lectern.PublicationDraft && !cur.KeepDraft
	var owner lectern.Decision
	if autoPublish {
		if owner, err = s.access.Decide(ctx, lectern.Principal{UserID: cur.OwnerID}, lectern.ActionPublish, lectern.SessionResource(id)); err != nil {
			return lectern.Session{}, err
		}
	}
	if to != lectern.ProcessingFailed {
		message = ""
	}
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		now := s.clock()
		if err := tx.SetProcessing(ctx, id, cur.Processing, to, message, now); err != nil {
			return err
		}
		switch {
		case !autoPublish || !owner.Allowed:
			return nil
		case owner.NeedsApproval:
			return submitForApproval(ctx, tx, cur, cur.OwnerID, "", "ready in a folder that requires approval", now)
		default:
			return tx.SetPublication(ctx, id, lectern.PublicationDraft, lectern.PublicationPublished, false, now)
		}
	})
	if err != nil {
		return lectern.Session{}, err
	}
	return s.db.SessionByID(ctx, id)
}
