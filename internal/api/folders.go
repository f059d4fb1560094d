package api

import (
	"net/http"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// ListFolders serves GET /api/v1/folders: the highest folders the caller
// may view (their own top-level folders and those shared with them), by
// name.
func (a *API) ListFolders(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	fs, err := a.cfg.Catalog.ListFolders(r.Context(), p, "")
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(fs, folderJSON, ""))
}

type createFolderBody struct {
	Name             string  `json:"name"`
	ParentID         *string `json:"parent_id"`
	RequiresApproval bool    `json:"requires_approval"`
}

// CreateFolder serves POST /api/v1/folders {"name","parent_id"?,
// "requires_approval"?}: 201 with the folder, owned by the caller.
func (a *API) CreateFolder(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	var body createFolderBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	nf := catalog.NewFolder{Name: body.Name, RequiresApproval: body.RequiresApproval}
	if body.ParentID != nil && *body.ParentID != "" {
		nf.ParentID = *body.ParentID
		if err := a.parentFolder(r.Context(), p, "parent_id", nf.ParentID); err != nil {
			return err
		}
	}
	f, err := a.cfg.Catalog.CreateFolderAs(r.Context(), p, nf, request.ClientAddr(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/folders/"+f.ID)
	return WriteJSON(w, http.StatusCreated, folderJSON(f))
}

// folder resolves {id} to a folder the caller may view, authorizing (and
// auditing an admin's look) once.
func (a *API) folder(r *http.Request) (lectern.Folder, lectern.Principal, error) {
	_, p, err := caller(r)
	if err != nil {
		return lectern.Folder{}, p, err
	}
	id := r.PathValue("id")
	if err := a.visible(r.Context(), p, lectern.FolderResource(id)); err != nil {
		return lectern.Folder{}, p, err
	}
	f, err := a.cfg.Catalog.Folder(r.Context(), p, id, request.ClientAddr(r))
	return f, p, err
}

// GetFolder serves GET /api/v1/folders/{id}.
func (a *API) GetFolder(w http.ResponseWriter, r *http.Request) error {
	f, _, err := a.folder(r)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, folderJSON(f))
}

type patchFolderBody struct {
	Name             *string `json:"name"`
	RequiresApproval *bool   `json:"requires_approval"`
}

// PatchFolder serves PATCH /api/v1/folders/{id} {"name"?,
// "requires_approval"?}: renaming needs edit; turning approval on needs
// manage-access, turning it off a publisher.
func (a *API) PatchFolder(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	ctx, id, addr := r.Context(), r.PathValue("id"), request.ClientAddr(r)
	if err := a.visible(ctx, p, lectern.FolderResource(id)); err != nil {
		return err
	}
	var body patchFolderBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Name == nil && body.RequiresApproval == nil {
		return lectern.Errorf(lectern.EInvalid, "body: nothing to change; send name or requires_approval")
	}
	var f lectern.Folder
	if body.Name != nil {
		if f, err = a.cfg.Catalog.RenameFolder(ctx, p, id, *body.Name, addr); err != nil {
			return err
		}
	}
	if body.RequiresApproval != nil {
		if f, err = a.cfg.Catalog.SetFolderApproval(ctx, p, id, *body.RequiresApproval, addr); err != nil {
			return err
		}
	}
	return WriteJSON(w, http.StatusOK, folderJSON(f))
}

type moveFolderBody struct {
	ParentID optional[string] `json:"parent_id"`
}

// MoveFolder serves POST /api/v1/folders/{id}/move {"parent_id"}: null
// (or "") moves the folder to the top level.
func (a *API) MoveFolder(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	if err := a.visible(ctx, p, lectern.FolderResource(id)); err != nil {
		return err
	}
	var body moveFolderBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if !body.ParentID.Set {
		return lectern.Errorf(lectern.EInvalid, "parent_id: required; null moves the folder to the top level")
	}
	if body.ParentID.Value != "" {
		if err := a.parentFolder(ctx, p, "parent_id", body.ParentID.Value); err != nil {
			return err
		}
	}
	f, err := a.cfg.Catalog.MoveFolder(ctx, p, id, body.ParentID.Value, request.ClientAddr(r))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, folderJSON(f))
}

// DeleteFolder serves DELETE /api/v1/folders/{id}: the folder, its
// subfolders and their sessions go to the recycle bin (204).
func (a *API) DeleteFolder(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	if err := a.visible(ctx, p, lectern.FolderResource(id)); err != nil {
		return err
	}
	if err := a.cfg.Catalog.DeleteFolder(ctx, p, id, request.ClientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RestoreFolder serves POST /api/v1/folders/{id}/restore: back from the
// recycle bin, with everything that went with it.
func (a *API) RestoreFolder(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	if err := a.visible(ctx, p, lectern.FolderResource(id)); err != nil {
		return err
	}
	f, err := a.cfg.Catalog.RestoreFolder(ctx, p, id, request.ClientAddr(r))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, folderJSON(f))
}

// ListChildFolders serves GET /api/v1/folders/{id}/folders: the
// subfolders the caller may view, by name.
func (a *API) ListChildFolders(w http.ResponseWriter, r *http.Request) error {
	f, p, err := a.folder(r)
	if err != nil {
		return err
	}
	fs, err := a.cfg.Catalog.ListFolders(r.Context(), p, f.ID)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(fs, folderJSON, ""))
}

// ListFolderSessions serves GET /api/v1/folders/{id}/sessions: the
// sessions filed in the folder that the caller may see, newest first, a
// page at a time (DESIGN §6).
func (a *API) ListFolderSessions(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	f, p, err := a.folder(r)
	if err != nil {
		return err
	}
	page, err := a.cfg.Catalog.ListSessions(r.Context(), p, f.ID, limit, cursor)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(page.Items, sessionJSON, page.Next))
}

// FolderPath serves GET /api/v1/folders/{id}/path: the breadcrumbs, from
// the highest folder the caller may view down to this one.
func (a *API) FolderPath(w http.ResponseWriter, r *http.Request) error {
	f, p, err := a.folder(r)
	if err != nil {
		return err
	}
	path, err := a.cfg.Catalog.FolderPath(r.Context(), p, f.ID)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(path, folderJSON, ""))
}
