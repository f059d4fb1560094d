package web

import (
	"net/http"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/catalog"
)

// SessionView is one recording's details and the forms the user may use.
type SessionView struct {
	Layout
	Session   lectern.Session
	OwnerName string
	Path      []Crumb // its folder and the folders above, from the highest the user may see
	Approvals []ApprovalLine
	Can       struct {
		Edit, Publish, Delete, Share, Approve, Restore bool
	}
	// PublishNeedsApproval says that publishing will wait for a publisher.
	PublishNeedsApproval bool
	Recycled             bool
	Notice, Error        string
	// Media is the processing progress and the player.
	Media SessionMedia
	// Form holds the edit form's values when it is shown again.
	Form struct{ Title, Description string }
}

// ApprovalLine is one request to publish and its answer.
type ApprovalLine struct {
	lectern.Approval
	RequestedByName, DecidedByName string
}

// Session serves GET /sessions/{id}: the recording's details. It is the
// page emails link to. Viewing authorizes through the access service, so
// that an admin's look at someone else's recording is audited and its
// owner told, once; everything else on the page decides without side
// effects.
func (p *Pages) Session(w http.ResponseWriter, r *http.Request) error {
	v, err := p.sessionView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Notice = notice(r)
	return p.render(w, r, http.StatusOK, "session", v)
}

func (p *Pages) sessionView(r *http.Request, id string) (*SessionView, error) {
	ctx := r.Context()
	a, err := p.actor(r)
	if err != nil {
		return nil, err
	}
	s, err := p.cfg.Catalog.Session(ctx, a.P, id, a.Addr)
	if err != nil {
		return nil, err
	}
	names := p.names(ctx)
	v := &SessionView{Layout: Layout{Title: s.Title, Section: "videos"}, Session: s, OwnerName: names.of(s.OwnerID),
		Recycled: s.Lifecycle == lectern.LifecycleRecycled}
	v.Form.Title, v.Form.Description = s.Title, s.Description
	if s.FolderID != "" && !v.Recycled {
		path, err := p.cfg.Catalog.FolderPath(ctx, a.P, s.FolderID)
		switch lectern.ErrorCodeOf(err) {
		case lectern.ENotFound: // reached through a grant on the session alone: no breadcrumbs
		default:
			if err != nil {
				return nil, err
			}
			for _, f := range path {
				v.Path = append(v.Path, Crumb{ID: f.ID, Name: f.Name})
			}
		}
		if len(v.Path) > 0 {
			v.Section = "folders"
		}
	}
	res := lectern.SessionResource(id)
	view, err := p.allowed(ctx, a, lectern.ActionView, res)
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		action lectern.Action
		to     *bool
	}{
		{lectern.ActionEdit, &v.Can.Edit},
		{lectern.ActionPublish, &v.Can.Publish},
		{lectern.ActionDelete, &v.Can.Delete},
		{lectern.ActionShare, &v.Can.Share},
		{lectern.ActionApprove, &v.Can.Approve},
	} {
		d, err := p.allowed(ctx, a, c.action, res)
		if err != nil {
			return nil, err
		}
		*c.to = d.Allowed
		if c.action == lectern.ActionPublish {
			v.PublishNeedsApproval = d.NeedsApproval
		}
	}
	if v.Recycled {
		v.Can.Restore, v.Can.Delete = v.Can.Delete, false
		v.Can.Edit, v.Can.Publish, v.Can.Share, v.Can.Approve = false, false, false, false
	}
	v.Media = p.sessionMedia(ctx, s, v.Can.Edit)
	// The approval history is for those who reach the session without
	// admin rights: an admin's look stays one audited access.
	if !view.AdminOverride {
		as, err := p.cfg.Catalog.Approvals(ctx, a.P, id, a.Addr)
		if err != nil {
			return nil, err
		}
		for _, ap := range as {
			v.Approvals = append(v.Approvals, ApprovalLine{Approval: ap, RequestedByName: names.of(ap.RequestedBy), DecidedByName: names.of(ap.DecidedBy)})
		}
	}
	return v, nil
}

// sessionAgain shows the session page again with a form's error.
func (p *Pages) sessionAgain(w http.ResponseWriter, r *http.Request, status int, cause error, adjust func(*SessionView)) error {
	v, err := p.sessionView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(cause)
	if adjust != nil {
		adjust(v)
	}
	return p.render(w, r, status, "session", v)
}

// EditSession serves POST /sessions/{id}/edit (title, description).
func (p *Pages) EditSession(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	title, desc := r.PostFormValue("title"), r.PostFormValue("description")
	_, err = p.cfg.Catalog.UpdateSession(r.Context(), a.P, id, catalog.SessionPatch{Title: &title, Description: &desc}, a.Addr)
	if status, ok := formError(err); ok {
		return p.sessionAgain(w, r, status, err, func(v *SessionView) { v.Form.Title, v.Form.Description = title, desc })
	}
	if err != nil {
		return err
	}
	return done(w, r, "/sessions/"+id, "saved")
}

// sessionAction runs one state change from a button on the session page.
func (p *Pages) sessionAction(w http.ResponseWriter, r *http.Request, next string, do func(a actor, id string) (string, error)) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	what, err := do(a, id)
	if status, ok := formError(err); ok {
		if next == "approvals" {
			return p.approvalsAgain(w, r, status, err)
		}
		return p.sessionAgain(w, r, status, err, nil)
	}
	if err != nil {
		return err
	}
	switch next {
	case "approvals":
		return done(w, r, "/approvals", what)
	case "bin":
		return done(w, r, "/recycle-bin", what)
	}
	return done(w, r, "/sessions/"+id, what)
}

// PublishSession serves POST /sessions/{id}/publish.
func (p *Pages) PublishSession(w http.ResponseWriter, r *http.Request) error {
	return p.sessionAction(w, r, "", func(a actor, id string) (string, error) {
		s, err := p.cfg.Catalog.Publish(r.Context(), a.P, id, a.Addr)
		if s.Publication == lectern.PublicationPendingApproval {
			return "submitted", err
		}
		return "published", err
	})
}

// UnpublishSession serves POST /sessions/{id}/unpublish.
func (p *Pages) UnpublishSession(w http.ResponseWriter, r *http.Request) error {
	return p.sessionAction(w, r, "", func(a actor, id string) (string, error) {
		_, err := p.cfg.Catalog.Unpublish(r.Context(), a.P, id, a.Addr)
		return "unpublished", err
	})
}

// DeleteSession serves POST /sessions/{id}/delete: to the recycle bin.
func (p *Pages) DeleteSession(w http.ResponseWriter, r *http.Request) error {
	return p.sessionAction(w, r, "bin", func(a actor, id string) (string, error) {
		return "deleted", p.cfg.Catalog.DeleteSession(r.Context(), a.P, id, a.Addr)
	})
}

// RestoreSession serves POST /sessions/{id}/restore.
func (p *Pages) RestoreSession(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err = p.cfg.Catalog.RestoreSession(r.Context(), a.P, id, a.Addr)
	if status, ok := formError(err); ok {
		return p.recycleBinAgain(w, r, status, err)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/sessions/"+id, "restored")
}

// ApproveSession serves POST /sessions/{id}/approve (comment, from):
// from=approvals returns to the queue.
func (p *Pages) ApproveSession(w http.ResponseWriter, r *http.Request) error {
	return p.sessionAction(w, r, fromQueue(r), func(a actor, id string) (string, error) {
		_, err := p.cfg.Catalog.Approve(r.Context(), a.P, id, r.PostFormValue("comment"), a.Addr)
		return "approved", err
	})
}

// ReturnSession serves POST /sessions/{id}/return (comment, from).
func (p *Pages) ReturnSession(w http.ResponseWriter, r *http.Request) error {
	return p.sessionAction(w, r, fromQueue(r), func(a actor, id string) (string, error) {
		_, err := p.cfg.Catalog.Return(r.Context(), a.P, id, r.PostFormValue("comment"), a.Addr)
		return "returned", err
	})
}

func fromQueue(r *http.Request) string {
	if r.PostFormValue("from") == "approvals" {
		return "approvals"
	}
	return ""
}
