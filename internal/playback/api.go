package playback

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/api"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/pipeline"
)

// ProgressSource reports processing progress (pipeline.Service).
type ProgressSource interface {
	ProgressOf(ctx context.Context, sessionID string) (pipeline.Progress, error)
}

// TokenHeader carries a playback token on API calls from the player, as
// an alternative to the user's own credentials.
const TokenHeader = "X-Playback-Token"

// API is the JSON API for playback, processing progress and viewing
// analytics. Handlers return errors for httpserver's error renderer.
type API struct {
	svc      *Service
	progress ProgressSource
}

// NewAPI returns the handlers.
func NewAPI(svc *Service, progress ProgressSource) *API { return &API{svc: svc, progress: progress} }

// playbackBody is GET /api/v1/sessions/{id}/playback's answer.
type playbackBody struct {
	HLSURL          string    `json:"hls_url"`
	ExpiresAt       time.Time `json:"expires_at"`
	Token           string    `json:"token"`
	DurationSeconds float64   `json:"duration_seconds"`
	HasVideo        bool      `json:"has_video"`
	PosterURL       string    `json:"poster_url,omitempty"`
	ThumbnailURLs   []string  `json:"thumbnail_urls,omitempty"`
	SpriteVTTURL    string    `json:"sprite_vtt_url,omitempty"`
	Resume          Resume    `json:"resume"`
}

// Playback serves GET /api/v1/sessions/{id}/playback: the access decision
// (view), then a token-carrying URL of the master playlist.
func (a *API) Playback(w http.ResponseWriter, r *http.Request) error {
	u, ok := request.User(r.Context())
	if !ok {
		return lectern.Errorf(lectern.EUnauthorized, "Sign in to watch recordings.")
	}
	id := r.PathValue("id")
	t, err := a.svc.Issue(r.Context(), lectern.PrincipalOf(u), id, request.ClientAddr(r))
	if err != nil {
		return a.svc.asForbidden(r.Context(), err, id)
	}
	resume, err := a.svc.ResumeOf(r.Context(), u.ID, id)
	if err != nil {
		return err
	}
	m := t.Manifest
	body := playbackBody{HLSURL: t.HLSURL(), ExpiresAt: t.ExpiresAt, Token: t.Token,
		DurationSeconds: m.Duration, HasVideo: m.HasVideo, Resume: resume}
	if m.Poster != "" {
		body.PosterURL = t.BaseURL + m.Poster
	}
	for _, th := range m.Thumbnails {
		body.ThumbnailURLs = append(body.ThumbnailURLs, t.BaseURL+th)
	}
	if m.SpriteVTT != "" {
		body.SpriteVTTURL = t.BaseURL + m.SpriteVTT
	}
	return api.WriteJSON(w, http.StatusOK, body)
}

// progressBody is GET /api/v1/sessions/{id}/progress's answer.
type progressBody struct {
	State    lectern.Processing `json:"state"`
	Progress float64            `json:"progress"`
	Stage    string             `json:"stage"`
	Message  string             `json:"message,omitempty"`
}

// Progress serves GET /api/v1/sessions/{id}/progress: how far processing
// has come, for whoever may view the session.
func (a *API) Progress(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := a.viewer(r, id, ""); err != nil {
		return err
	}
	p, err := a.progress.ProgressOf(r.Context(), id)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, progressBody{State: p.State, Progress: p.Fraction, Stage: p.Stage, Message: p.Message})
}

// reportBody is POST /api/v1/sessions/{id}/progress-report's body.
type reportBody struct {
	Report
	Token string `json:"token,omitempty"` // a playback token, instead of X-Playback-Token
}

// ProgressReport serves POST /api/v1/sessions/{id}/progress-report from
// the player: {"position_seconds", "watched_ranges"?: [[start, end], ...]}.
// It is authorised by a playback token for the session (X-Playback-Token
// or "token"), or else by the caller's credentials and the access
// decision. It answers with the stored resume point.
func (a *API) ProgressReport(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body reportBody
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	if err := dec.Decode(&body); err != nil {
		return &lectern.Error{Code: lectern.EInvalid, Message: "The body must be JSON: {\"position_seconds\": 12.5, \"watched_ranges\": [[0, 12.5]]}.", Err: err}
	}
	userID, err := a.viewer(r, id, body.Token)
	if err != nil {
		return err
	}
	res, err := a.svc.RecordProgress(r.Context(), userID, id, body.Report)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, res)
}

// Resume serves GET /api/v1/sessions/{id}/resume: where the caller left
// off ({"position_seconds", "watched_seconds", "updated_at"}).
func (a *API) Resume(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	userID, err := a.viewer(r, id, "")
	if err != nil {
		return err
	}
	res, err := a.svc.ResumeOf(r.Context(), userID, id)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, res)
}

// Stats serves GET /api/v1/sessions/{id}/stats: views, unique viewers,
// minutes watched and drop-off per 5 %, for those who may edit the
// session (its owner and the creators of its folder).
func (a *API) Stats(w http.ResponseWriter, r *http.Request) error {
	u, ok := request.User(r.Context())
	if !ok {
		return lectern.Errorf(lectern.EUnauthorized, "Sign in to see statistics.")
	}
	id := r.PathValue("id")
	if _, err := a.svc.authz.Authorize(r.Context(), lectern.PrincipalOf(u), lectern.ActionEdit, lectern.SessionResource(id), request.ClientAddr(r)); err != nil {
		return a.svc.asForbidden(r.Context(), err, id)
	}
	st, err := a.svc.StatsOf(r.Context(), id)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, st)
}

// viewer returns who is watching session id: the principal of a playback
// token for it (header or bodyToken), or else the signed-in caller, who
// must be allowed to view it.
func (a *API) viewer(r *http.Request, id, bodyToken string) (string, error) {
	tok := r.Header.Get(TokenHeader)
	if tok == "" {
		tok = bodyToken
	}
	if tok != "" {
		c, err := a.svc.Verify(tok, id)
		if err != nil {
			return "", err
		}
		return c.PrincipalID, nil
	}
	u, ok := request.User(r.Context())
	if !ok {
		return "", lectern.Errorf(lectern.EUnauthorized, "Sign in, or send the playback token in %s.", TokenHeader)
	}
	if _, err := a.svc.authz.Authorize(r.Context(), lectern.PrincipalOf(u), lectern.ActionView, lectern.SessionResource(id), request.ClientAddr(r)); err != nil {
		return "", a.svc.asForbidden(r.Context(), err, id)
	}
	return u.ID, nil
}
