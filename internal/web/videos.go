package web

import (
	"net/http"
	"net/url"

	"github.com/lectern-edu/lectern"
)

// videosPageSize is how many sessions one page of "My videos" lists.
const videosPageSize = 50

// VideosView is every recording the user may see, newest first, and the
// highest folders they may see.
type VideosView struct {
	Layout
	Sessions []lectern.Session
	Folders  []lectern.Folder
	NextURL  string
}

// Videos serves GET /videos?cursor= ("My videos").
func (p *Pages) Videos(w http.ResponseWriter, r *http.Request) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	page, err := p.cfg.Catalog.ListVisibleSessions(r.Context(), a.P, videosPageSize, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	v := &VideosView{Layout: Layout{Title: "My videos", Section: "videos"}, Sessions: page.Items}
	if page.Next != "" {
		v.NextURL = "/videos?cursor=" + url.QueryEscape(page.Next)
	}
	if v.Folders, err = p.cfg.Catalog.ListFolders(r.Context(), a.P, ""); err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "videos", v)
}
