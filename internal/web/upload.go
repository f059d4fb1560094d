package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/lectern-edu/lectern"
)

// Upload page limits: the folder picker walks the folders the user can
// see, breadth first, up to these bounds.
const (
	uploadFolderLimit = 200
	uploadFolderDepth = 5
)

// UploadView is the upload page: a file picker with drag and drop, a
// title, the folder to file the recording in, and the progress of the
// upload and of processing (driven by upload.js over tus).
type UploadView struct {
	Layout
	Folders []FolderOption // folders the user may add recordings to
	// Selected is the folder chosen beforehand (from /folders/{id}/upload).
	Selected string
	// Folder is that folder, for the breadcrumbs; nil on /upload.
	Folder *lectern.Folder
	Path   []Crumb
	// Endpoint is the tus endpoint.
	Endpoint string
}

// FolderOption is one folder in the picker, named with its path.
type FolderOption struct {
	ID, Label string
}

// Breadcrumbs returns the breadcrumb trail of a folder's upload page.
func (v *UploadView) Breadcrumbs() Breadcrumbs {
	b := Breadcrumbs{Path: v.Path, Here: "Upload"}
	if v.Folder != nil {
		b.Path = append(append([]Crumb(nil), v.Path...), Crumb{ID: v.Folder.ID, Name: v.Folder.Name})
	}
	return b
}

// Upload serves GET /upload: upload a recording into a folder of the
// user's choosing.
func (p *Pages) Upload(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	v, err := p.uploadView(r.Context(), a)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "upload", v)
}

// FolderUpload serves GET /folders/{id}/upload: the upload page with the
// folder chosen. The user needs edit on it (creators add recordings).
func (p *Pages) FolderUpload(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	f, err := p.cfg.Catalog.Folder(ctx, a.P, id, a.Addr)
	if err != nil {
		return err
	}
	d, err := p.allowed(ctx, a, lectern.ActionEdit, lectern.FolderResource(id))
	if err != nil {
		return err
	}
	if !d.Allowed {
		return lectern.Errorf(lectern.EForbidden, "You can watch the recordings in this folder but not add to it. Ask its owner to make you a creator.")
	}
	if !f.RecycledAt.IsZero() {
		return lectern.Errorf(lectern.EConflict, "This folder is in the recycle bin. Restore it before adding recordings.")
	}
	v, err := p.uploadView(ctx, a)
	if err != nil {
		return err
	}
	v.Selected, v.Folder = f.ID, &f
	path, err := p.cfg.Catalog.FolderPath(ctx, a.P, f.ID)
	if err != nil {
		return err
	}
	for _, c := range path {
		if c.ID != f.ID {
			v.Path = append(v.Path, Crumb{ID: c.ID, Name: c.Name})
		}
	}
	v.Section = "folders"
	if !containsFolder(v.Folders, f.ID) {
		v.Folders = append([]FolderOption{{ID: f.ID, Label: f.Name}}, v.Folders...)
	}
	return p.render(w, r, http.StatusOK, "upload", v)
}

func (p *Pages) uploadView(ctx context.Context, a actor) (*UploadView, error) {
	folders, err := p.uploadFolders(ctx, a)
	if err != nil {
		return nil, err
	}
	return &UploadView{Layout: Layout{Title: "Upload a recording", Section: "upload"}, Folders: folders,
		Endpoint: "/api/v1/uploads/"}, nil
}

// uploadFolders lists the folders a may add recordings to (edit), each
// labelled with the path from the highest folder a can see, in tree order.
func (p *Pages) uploadFolders(ctx context.Context, a actor) ([]FolderOption, error) {
	type node struct {
		f     lectern.Folder
		label string
		depth int
	}
	top, err := p.cfg.Catalog.ListFolders(ctx, a.P, "")
	if err != nil {
		return nil, err
	}
	var queue []node
	for _, f := range top {
		queue = append(queue, node{f: f, label: f.Name})
	}
	var out []FolderOption
	seen := 0
	for len(queue) > 0 && seen < uploadFolderLimit {
		n := queue[0]
		queue = queue[1:]
		seen++
		d, err := p.allowed(ctx, a, lectern.ActionEdit, lectern.FolderResource(n.f.ID))
		if err != nil {
			return nil, err
		}
		if d.Allowed {
			out = append(out, FolderOption{ID: n.f.ID, Label: n.label})
		}
		if n.depth+1 >= uploadFolderDepth {
			continue
		}
		kids, err := p.cfg.Catalog.ListFolders(ctx, a.P, n.f.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range kids {
			queue = append(queue, node{f: k, label: n.label + " / " + k.Name, depth: n.depth + 1})
		}
	}
	sortFolderOptions(out)
	return out, nil
}

// sortFolderOptions orders by label, case-insensitively, so that each
// folder's subfolders follow it.
func sortFolderOptions(fs []FolderOption) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && strings.ToLower(fs[j].Label) < strings.ToLower(fs[j-1].Label); j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func containsFolder(fs []FolderOption, id string) bool {
	for _, f := range fs {
		if f.ID == id {
			return true
		}
	}
	return false
}
