package web

import (
	"net/http"
	"net/url"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/catalog"
)

// folderPageSize is how many sessions one page of a folder lists.
const folderPageSize = 50

// FoldersView is the top of the folder tree as the user sees it.
type FoldersView struct {
	Layout
	Mine, Shared []lectern.Folder
	Error        string
	Name         string // the new folder's name, kept when the form is shown again
}

// Folders serves GET /folders: the user's own top-level folders and the
// highest folders shared with them.
func (p *Pages) Folders(w http.ResponseWriter, r *http.Request) error {
	v, err := p.foldersView(r)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "folders", v)
}

func (p *Pages) foldersView(r *http.Request) (*FoldersView, error) {
	a, err := p.actor(r)
	if err != nil {
		return nil, err
	}
	top, err := p.cfg.Catalog.ListFolders(r.Context(), a.P, "")
	if err != nil {
		return nil, err
	}
	v := &FoldersView{Layout: Layout{Title: "Folders", Section: "folders"}}
	for _, f := range top {
		if f.OwnerID == a.User.ID {
			v.Mine = append(v.Mine, f)
		} else {
			v.Shared = append(v.Shared, f)
		}
	}
	return v, nil
}

// CreateFolder serves POST /folders (name, parent_id): a top-level folder,
// or a subfolder of one the user may edit.
func (p *Pages) CreateFolder(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	parent := r.PostFormValue("parent_id")
	f, err := p.cfg.Catalog.CreateFolderAs(r.Context(), a.P, catalog.NewFolder{
		Name: r.PostFormValue("name"), ParentID: parent, RequiresApproval: r.PostFormValue("requires_approval") == "on",
	}, a.Addr)
	if status, ok := formError(err); ok {
		if parent != "" {
			return p.folderAgain(w, r, parent, status, err, func(v *FolderView) { v.NewName = r.PostFormValue("name") })
		}
		v, verr := p.foldersView(r)
		if verr != nil {
			return verr
		}
		v.Title, v.Error, v.Name = "Error: "+v.Title, lectern.ErrorMessage(err), r.PostFormValue("name")
		return p.render(w, r, status, "folders", v)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/folders/"+f.ID, "created")
}

// Crumb is one step of the breadcrumbs.
type Crumb struct {
	ID, Name string
}

// FolderView is one folder: its breadcrumbs, subfolders and sessions, and
// the forms the user may use.
type FolderView struct {
	Layout
	Folder   lectern.Folder
	Path     []Crumb // the folders above, from the highest the user may see
	Children []lectern.Folder
	Sessions []lectern.Session
	NextURL  string
	// ApprovalFrom names the folder above that requires approval, when one does.
	ApprovalFrom string
	Can          struct{ Edit, ManageAccess, Approve, Delete bool }
	Recycled     bool
	Notice       string
	Error        string
	NewName      string // the subfolder name, kept when the form is shown again
}

// Folder serves GET /folders/{id}?cursor=: the folder browser.
func (p *Pages) Folder(w http.ResponseWriter, r *http.Request) error {
	v, err := p.folderView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Notice = notice(r)
	return p.render(w, r, http.StatusOK, "folder", v)
}

func (p *Pages) folderView(r *http.Request, id string) (*FolderView, error) {
	ctx := r.Context()
	a, err := p.actor(r)
	if err != nil {
		return nil, err
	}
	f, err := p.cfg.Catalog.Folder(ctx, a.P, id, a.Addr)
	if err != nil {
		return nil, err
	}
	v := &FolderView{Layout: Layout{Title: f.Name, Section: "folders"}, Folder: f, Recycled: !f.RecycledAt.IsZero()}
	path, err := p.cfg.Catalog.FolderPath(ctx, a.P, id)
	if err != nil {
		return nil, err
	}
	for _, anc := range path {
		if anc.ID == f.ID {
			continue
		}
		v.Path = append(v.Path, Crumb{ID: anc.ID, Name: anc.Name})
		if anc.RequiresApproval && v.ApprovalFrom == "" {
			v.ApprovalFrom = anc.Name
		}
	}
	if v.Children, err = p.cfg.Catalog.ListFolders(ctx, a.P, id); err != nil {
		return nil, err
	}
	page, err := p.cfg.Catalog.ListSessions(ctx, a.P, id, folderPageSize, r.URL.Query().Get("cursor"))
	if err != nil {
		return nil, err
	}
	v.Sessions = page.Items
	if page.Next != "" {
		v.NextURL = "/folders/" + id + "?cursor=" + url.QueryEscape(page.Next)
	}
	res := lectern.FolderResource(id)
	for _, c := range []struct {
		action lectern.Action
		to     *bool
	}{
		{lectern.ActionEdit, &v.Can.Edit},
		{lectern.ActionManageAccess, &v.Can.ManageAccess},
		{lectern.ActionApprove, &v.Can.Approve},
		{lectern.ActionDelete, &v.Can.Delete},
	} {
		d, err := p.allowed(ctx, a, c.action, res)
		if err != nil {
			return nil, err
		}
		*c.to = d.Allowed
	}
	return v, nil
}

// folderAgain shows the folder page again with a form's error.
func (p *Pages) folderAgain(w http.ResponseWriter, r *http.Request, id string, status int, cause error, adjust func(*FolderView)) error {
	v, err := p.folderView(r, id)
	if err != nil {
		return err
	}
	v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(cause)
	if adjust != nil {
		adjust(v)
	}
	return p.render(w, r, status, "folder", v)
}

// RenameFolder serves POST /folders/{id}/rename (name).
func (p *Pages) RenameFolder(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err = p.cfg.Catalog.RenameFolder(r.Context(), a.P, id, r.PostFormValue("name"), a.Addr)
	if status, ok := formError(err); ok {
		return p.folderAgain(w, r, id, status, err, nil)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/folders/"+id, "renamed")
}

// SetFolderApproval serves POST /folders/{id}/approval (required=on|off).
func (p *Pages) SetFolderApproval(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err = p.cfg.Catalog.SetFolderApproval(r.Context(), a.P, id, r.PostFormValue("required") == "on", a.Addr)
	if status, ok := formError(err); ok {
		return p.folderAgain(w, r, id, status, err, nil)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/folders/"+id, "approval")
}

// DeleteFolder serves POST /folders/{id}/delete: to the recycle bin.
func (p *Pages) DeleteFolder(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	err = p.cfg.Catalog.DeleteFolder(r.Context(), a.P, id, a.Addr)
	if status, ok := formError(err); ok {
		return p.folderAgain(w, r, id, status, err, nil)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/recycle-bin", "deleted")
}

// RestoreFolder serves POST /folders/{id}/restore.
func (p *Pages) RestoreFolder(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err = p.cfg.Catalog.RestoreFolder(r.Context(), a.P, id, a.Addr)
	if status, ok := formError(err); ok {
		return p.recycleBinAgain(w, r, status, err)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/folders/"+id, "restored")
}
