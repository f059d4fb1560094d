package web

import (
	"net/http"

	"github.com/lectern-edu/lectern"
)

// recycleBinSize is how many deleted sessions the recycle bin lists.
const recycleBinSize = 200

// RecycleBinView is the user's deleted sessions and folders.
type RecycleBinView struct {
	Layout
	Sessions      []lectern.Session
	Folders       []lectern.Folder
	Notice, Error string
}

// RecycleBin serves GET /recycle-bin.
func (p *Pages) RecycleBin(w http.ResponseWriter, r *http.Request) error {
	v, err := p.recycleBinView(r)
	if err != nil {
		return err
	}
	v.Notice = notice(r)
	return p.render(w, r, http.StatusOK, "recycle_bin", v)
}

func (p *Pages) recycleBinView(r *http.Request) (*RecycleBinView, error) {
	a, err := p.actor(r)
	if err != nil {
		return nil, err
	}
	ss, fs, err := p.cfg.Catalog.RecycleBin(r.Context(), a.P, recycleBinSize)
	if err != nil {
		return nil, err
	}
	return &RecycleBinView{Layout: Layout{Title: "Recycle bin", Section: "recycle-bin"}, Sessions: ss, Folders: fs}, nil
}

// recycleBinAgain shows the bin with a restore form's error.
func (p *Pages) recycleBinAgain(w http.ResponseWriter, r *http.Request, status int, cause error) error {
	v, err := p.recycleBinView(r)
	if err != nil {
		return err
	}
	v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(cause)
	return p.render(w, r, status, "recycle_bin", v)
}
