package api

import (
	"context"
	"net/http"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// ListSessions serves GET /api/v1/sessions: every session the caller may
// see, wherever it is filed, newest first, a page at a time.
func (a *API) ListSessions(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := a.cfg.Catalog.ListVisibleSessions(r.Context(), p, limit, cursor)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(page.Items, sessionJSON, page.Next))
}

type createSessionBody struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	FolderID    *string `json:"folder_id"`
	KeepDraft   bool    `json:"keep_draft"`
}

// CreateSession serves POST /api/v1/sessions {"title","description"?,
// "folder_id"?,"keep_draft"?}: 201 with a session in the uploading state
// and no media yet (uploads create theirs through /api/v1/uploads/).
func (a *API) CreateSession(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	var body createSessionBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	ns := catalog.NewSession{Title: body.Title, Description: body.Description, KeepDraft: body.KeepDraft}
	if body.FolderID != nil && *body.FolderID != "" {
		ns.FolderID = *body.FolderID
		if err := a.parentFolder(r.Context(), p, "folder_id", ns.FolderID); err != nil {
			return err
		}
	}
	s, err := a.cfg.Catalog.CreateSession(r.Context(), p, ns, request.ClientAddr(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/sessions/"+s.ID)
	return WriteJSON(w, http.StatusCreated, sessionJSON(s))
}

// sessionCall checks that the caller may see session {id} and returns
// what a handler needs to act on it.
func (a *API) sessionCall(r *http.Request) (p lectern.Principal, id, addr string, err error) {
	if _, p, err = caller(r); err != nil {
		return p, "", "", err
	}
	id = r.PathValue("id")
	return p, id, request.ClientAddr(r), a.visible(r.Context(), p, lectern.SessionResource(id))
}

// GetSession serves GET /api/v1/sessions/{id} (DESIGN §6). It authorizes
// through the access service, so an admin's look at someone else's
// session is audited and its owner told.
func (a *API) GetSession(w http.ResponseWriter, r *http.Request) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	s, err := a.cfg.Catalog.Session(r.Context(), p, id, addr)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sessionJSON(s))
}

type patchSessionBody struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
}

// PatchSession serves PATCH /api/v1/sessions/{id} {"title"?,
// "description"?}; the caller needs edit.
func (a *API) PatchSession(w http.ResponseWriter, r *http.Request) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	var body patchSessionBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Title == nil && body.Description == nil {
		return lectern.Errorf(lectern.EInvalid, "body: nothing to change; send title or description")
	}
	s, err := a.cfg.Catalog.UpdateSession(r.Context(), p, id, catalog.SessionPatch{Title: body.Title, Description: body.Description}, addr)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sessionJSON(s))
}

type moveSessionBody struct {
	FolderID optional[string] `json:"folder_id"`
}

// MoveSession serves POST /api/v1/sessions/{id}/move {"folder_id"}: null
// (or "") takes the session out of its folders, which only its owner may.
func (a *API) MoveSession(w http.ResponseWriter, r *http.Request) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	var body moveSessionBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if !body.FolderID.Set {
		return lectern.Errorf(lectern.EInvalid, "folder_id: required; null takes the session out of its folders")
	}
	if body.FolderID.Value != "" {
		if err := a.parentFolder(r.Context(), p, "folder_id", body.FolderID.Value); err != nil {
			return err
		}
	}
	s, err := a.cfg.Catalog.MoveSession(r.Context(), p, id, body.FolderID.Value, addr)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sessionJSON(s))
}

// DeleteSession serves DELETE /api/v1/sessions/{id}: to its owner's
// recycle bin (204).
func (a *API) DeleteSession(w http.ResponseWriter, r *http.Request) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Catalog.DeleteSession(r.Context(), p, id, addr); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// transition is a session state change that takes no input: restore,
// publish, unpublish.
type transition func(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.Session, error)

// transitionSession runs a state change on the session in the path and
// answers with the session as it now is.
func (a *API) transitionSession(w http.ResponseWriter, r *http.Request, change transition) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	s, err := change(r.Context(), p, id, addr)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sessionJSON(s))
}

// RestoreSession serves POST /api/v1/sessions/{id}/restore.
func (a *API) RestoreSession(w http.ResponseWriter, r *http.Request) error {
	return a.transitionSession(w, r, a.cfg.Catalog.RestoreSession)
}

// PublishSession serves POST /api/v1/sessions/{id}/publish: published,
// or pending approval where the folder requires it.
func (a *API) PublishSession(w http.ResponseWriter, r *http.Request) error {
	return a.transitionSession(w, r, a.cfg.Catalog.Publish)
}

// UnpublishSession serves POST /api/v1/sessions/{id}/unpublish: back to
// draft, withdrawing a pending request.
func (a *API) UnpublishSession(w http.ResponseWriter, r *http.Request) error {
	return a.transitionSession(w, r, a.cfg.Catalog.Unpublish)
}

type commentBody struct {
	Comment string `json:"comment"`
}

// answerApproval runs a publisher's answer to a pending request, with an
// optional (approve) or required (return) comment.
func (a *API) answerApproval(w http.ResponseWriter, r *http.Request,
	answer func(ctx context.Context, actor lectern.Principal, id, comment, clientAddr string) (lectern.Session, error)) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	var body commentBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	s, err := answer(r.Context(), p, id, body.Comment, addr)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sessionJSON(s))
}

// ApproveSession serves POST /api/v1/sessions/{id}/approve {"comment"?}.
func (a *API) ApproveSession(w http.ResponseWriter, r *http.Request) error {
	return a.answerApproval(w, r, a.cfg.Catalog.Approve)
}

// ReturnSession serves POST /api/v1/sessions/{id}/return {"comment"}: back
// to draft, with the comment sent to whoever asked.
func (a *API) ReturnSession(w http.ResponseWriter, r *http.Request) error {
	return a.answerApproval(w, r, a.cfg.Catalog.Return)
}

// SessionApprovals serves GET /api/v1/sessions/{id}/approvals: the
// session's approval history, newest first.
func (a *API) SessionApprovals(w http.ResponseWriter, r *http.Request) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	as, err := a.cfg.Catalog.Approvals(r.Context(), p, id, addr)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(as, approvalJSON, ""))
}

// ApprovalQueue serves GET /api/v1/approvals: the sessions waiting for
// approval that the caller may approve, newest first.
func (a *API) ApprovalQueue(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := a.cfg.Catalog.ApprovalQueue(r.Context(), p, limit, cursor)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(page.Items, sessionJSON, page.Next))
}

// RecycleBin is the caller's deleted sessions and folders.
type RecycleBin struct {
	Sessions []Session `json:"sessions"`
	Folders  []Folder  `json:"folders"`
}

// GetRecycleBin serves GET /api/v1/recycle-bin: the caller's own deleted
// sessions and folders, newest first.
func (a *API) GetRecycleBin(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	limit, _, err := pageParams(r)
	if err != nil {
		return err
	}
	ss, fs, err := a.cfg.Catalog.RecycleBin(r.Context(), p, limit)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, RecycleBin{
		Sessions: listOf(ss, sessionJSON, "").Items,
		Folders:  listOf(fs, folderJSON, "").Items,
	})
}
