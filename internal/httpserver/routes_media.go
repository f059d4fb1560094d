package httpserver

import (
	"net/http"

	"github.com/lectern-edu/lectern/internal/playback"
)

// mediaRoutes: tus uploads and the upload page, playback tokens and HLS
// delivery under them, processing progress and viewing analytics (API and
// the statistics page). The player and the processing progress bar are
// on the session page (/sessions/{id}, catalogRoutes).
func (s *server) mediaRoutes(mux *http.ServeMux) {
	if up := s.deps.Uploads; up != nil {
		// tus 1.0: POST creates; HEAD, PATCH, DELETE on an upload. The
		// method is dispatched inside (tusd honours X-HTTP-Method-Override).
		mux.Handle("/api/v1/uploads/{$}", s.api(signedIn, up.Handle))
		mux.Handle("/api/v1/uploads/{id}", s.api(signedIn, up.Handle))
		mux.Handle("GET /upload", s.page(signedIn, s.pages.Upload))
		mux.Handle("GET /folders/{id}/upload", s.page(signedIn, s.pages.FolderUpload))
	}
	if pb := s.deps.Playback; pb != nil {
		v1 := playback.NewAPI(pb, s.deps.Processing)
		mux.Handle("GET /api/v1/sessions/{id}/playback", s.api(signedIn, v1.Playback))
		mux.Handle("GET /api/v1/sessions/{id}/resume", s.api(anyone, v1.Resume))
		mux.Handle("POST /api/v1/sessions/{id}/progress-report", s.api(anyone, v1.ProgressReport))
		mux.Handle("GET /api/v1/sessions/{id}/stats", s.api(signedIn, v1.Stats))
		mux.Handle("GET /sessions/{id}/stats", s.page(signedIn, s.pages.SessionStats))
		if s.deps.Processing != nil {
			mux.Handle("GET /api/v1/sessions/{id}/progress", s.api(signedIn, v1.Progress))
		}
		// Checked by the token alone: no session cookie is read.
		mux.Handle("GET /hls/{session}/{token}/{file...}", s.page(public, pb.ServeMedia))
	}
}
