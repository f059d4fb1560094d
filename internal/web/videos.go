package web

import "net/http"

// VideosView is the signed-in user's own recordings. The catalog fills it
// in; for now every list is empty.
type VideosView struct {
	Layout
}

// Videos serves GET /videos ("My videos").
func (p *Pages) Videos(w http.ResponseWriter, r *http.Request) error {
	return p.render(w, r, http.StatusOK, "videos", &VideosView{Layout: Layout{Title: "My videos", Section: "videos"}})
}
