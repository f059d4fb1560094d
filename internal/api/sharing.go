package api

import (
	"context"
	"net/http"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/sharing"
)

// SharingAPI is the JSON API of share links and guest invitations
// (DESIGN §6; described in openapi.json under the "sharing" tag).
type SharingAPI struct {
	*API
	svc *sharing.Service
}

// Sharing returns the sharing handlers over svc.
func (a *API) Sharing(svc *sharing.Service) *SharingAPI { return &SharingAPI{API: a, svc: svc} }

// Link is a share link. URL is present only in the answer that creates
// it: Lectern keeps only a hash of the token.
type Link struct {
	ID                string            `json:"id"`
	URL               string            `json:"url,omitempty"`
	SessionID         string            `json:"session_id"`
	Label             string            `json:"label"`
	HasPassword       bool              `json:"has_password"`
	ExpiresAt         *time.Time        `json:"expires_at"`
	MaxOpens          *int              `json:"max_opens"`
	MaxViewsPerViewer *int              `json:"max_views_per_viewer"`
	Opens             int               `json:"opens"`
	State             lectern.LinkState `json:"state"`
	SuspendedReason   string            `json:"suspended_reason,omitempty"`
	Spike             sharing.SpikeJSON `json:"spike"`
	Named             []string          `json:"named"`
	CreatedBy         string            `json:"created_by"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
	Stats             *LinkStats        `json:"stats,omitempty"`
	Viewers           []LinkViewer      `json:"viewers,omitempty"`
}

// LinkStats is a link's use.
type LinkStats struct {
	Opens      int        `json:"opens"`
	Viewers    int        `json:"viewers"`
	Networks   int        `json:"networks"`
	Devices    int        `json:"devices"`
	LastOpenAt *time.Time `json:"last_open_at"`
	OpensByDay []DayOpens `json:"opens_by_day"`
}

// DayOpens is the opens of one UTC day.
type DayOpens struct {
	Day   string `json:"day"` // 2006-01-02
	Opens int    `json:"opens"`
}

// LinkViewer is one viewer of a link.
type LinkViewer struct {
	ID         string    `json:"id"`
	UserID     *string   `json:"user_id"`
	Email      string    `json:"email,omitempty"`
	Opens      int       `json:"opens"`
	ExtraOpens int       `json:"extra_opens"`
	Allowance  *int      `json:"allowance"` // null: no per-viewer limit
	Networks   int       `json:"networks"`
	Devices    int       `json:"devices"`
	FirstAt    time.Time `json:"first_at"`
	LastAt     time.Time `json:"last_at"`
}

func optPositive(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

func linkJSON(l lectern.ShareLink) Link {
	named := l.Named
	if named == nil {
		named = []string{}
	}
	return Link{ID: l.ID, SessionID: l.SessionID, Label: l.Label, HasPassword: l.HasPassword(),
		ExpiresAt: optTime(l.ExpiresAt), MaxOpens: optPositive(l.MaxOpens), MaxViewsPerViewer: optPositive(l.MaxViewsPerViewer),
		Opens: l.Opens, State: l.State, SuspendedReason: l.SuspendedReason, Spike: sharing.SpikeToJSON(l.Spike),
		Named: named, CreatedBy: l.CreatedBy, CreatedAt: utc(l.CreatedAt), UpdatedAt: utc(l.UpdatedAt)}
}

func viewerJSON(l lectern.ShareLink) func(lectern.ShareViewer) LinkViewer {
	return func(v lectern.ShareViewer) LinkViewer {
		return LinkViewer{ID: v.ViewerID, UserID: optID(v.UserID), Email: v.UserEmail, Opens: v.Opens, ExtraOpens: v.ExtraOpens,
			Allowance: optPositive(v.Allowance(l)), Networks: v.Networks, Devices: v.Devices,
			FirstAt: utc(v.FirstAt), LastAt: utc(v.LastAt)}
	}
}

// linkBody is the body of creating (POST) or changing (PATCH) a link.
// On PATCH an absent field stays as it is and null removes the setting.
type linkBody struct {
	Label             optional[string]            `json:"label"`
	Password          optional[string]            `json:"password"`
	ExpiresAt         optional[string]            `json:"expires_at"`
	MaxOpens          optional[int]               `json:"max_opens"`
	MaxViewsPerViewer optional[int]               `json:"max_views_per_viewer"`
	Named             optional[[]string]          `json:"named"`
	Spike             optional[sharing.SpikeJSON] `json:"spike"`
}

func (b linkBody) input() (sharing.LinkInput, error) {
	var in sharing.LinkInput
	if b.Label.Set {
		in.Label = &b.Label.Value
	}
	if b.Password.Set {
		in.Password = &b.Password.Value // null or "": no password
	}
	if b.ExpiresAt.Set {
		t, err := parseTime("expires_at", b.ExpiresAt.Value)
		if err != nil {
			return in, err
		}
		in.ExpiresAt = &t
	}
	if b.MaxOpens.Set {
		if !b.MaxOpens.Null && b.MaxOpens.Value < 1 {
			return in, lectern.Errorf(lectern.EInvalid, "max_opens: at least 1, or null for no limit")
		}
		in.MaxOpens = &b.MaxOpens.Value
	}
	if b.MaxViewsPerViewer.Set {
		if !b.MaxViewsPerViewer.Null && b.MaxViewsPerViewer.Value < 1 {
			return in, lectern.Errorf(lectern.EInvalid, "max_views_per_viewer: at least 1, or null for no limit")
		}
		in.MaxViewsPerViewer = &b.MaxViewsPerViewer.Value
	}
	if b.Named.Set {
		in.Named = &b.Named.Value
	}
	if b.Spike.Set && !b.Spike.Null {
		r := sharing.SpikeFromJSON(b.Spike.Value)
		in.Spike = &r
	}
	return in, nil
}

// CreateLink serves POST /api/v1/sessions/{id}/links (DESIGN §6): 201
// with the link and its url.
func (a *SharingAPI) CreateLink(w http.ResponseWriter, r *http.Request) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	var body linkBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	l, token, err := a.svc.CreateLink(r.Context(), p, addr, id, in)
	if err != nil {
		return err
	}
	out := linkJSON(l)
	out.URL = a.svc.LinkURL(token)
	w.Header().Set("Location", "/api/v1/links/"+l.ID)
	return WriteJSON(w, http.StatusCreated, out)
}

// ListLinks serves GET /api/v1/sessions/{id}/links.
func (a *SharingAPI) ListLinks(w http.ResponseWriter, r *http.Request) error {
	p, id, addr, err := a.sessionCall(r)
	if err != nil {
		return err
	}
	links, err := a.svc.Links(r.Context(), p, addr, id)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(links, linkJSON, ""))
}

// GetLink serves GET /api/v1/links/{id}: the link, its stats and viewers.
func (a *SharingAPI) GetLink(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	rep, err := a.svc.Link(r.Context(), p, request.ClientAddr(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := linkJSON(rep.Link)
	st := &LinkStats{Opens: rep.Stats.Opens, Viewers: rep.Stats.Viewers, Networks: rep.Stats.Networks,
		Devices: rep.Stats.Devices, LastOpenAt: optTime(rep.Stats.LastOpen), OpensByDay: []DayOpens{}}
	for _, d := range rep.Stats.OpensByDay {
		st.OpensByDay = append(st.OpensByDay, DayOpens{Day: d.Day.Format("2006-01-02"), Opens: d.Opens})
	}
	out.Stats = st
	out.Viewers = listOf(rep.Viewers, viewerJSON(rep.Link), "").Items
	return WriteJSON(w, http.StatusOK, out)
}

// PatchLink serves PATCH /api/v1/links/{id}.
func (a *SharingAPI) PatchLink(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	var body linkBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	l, err := a.svc.UpdateLink(r.Context(), p, request.ClientAddr(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, linkJSON(l))
}

// SuspendLink, ResumeLink and RevokeLink serve POST
// /api/v1/links/{id}/suspend, /resume and /revoke.
func (a *SharingAPI) SuspendLink(w http.ResponseWriter, r *http.Request) error {
	return a.moveLink(w, r, a.svc.SuspendLink)
}

func (a *SharingAPI) ResumeLink(w http.ResponseWriter, r *http.Request) error {
	return a.moveLink(w, r, a.svc.ResumeLink)
}

func (a *SharingAPI) RevokeLink(w http.ResponseWriter, r *http.Request) error {
	return a.moveLink(w, r, a.svc.RevokeLink)
}

func (a *SharingAPI) moveLink(w http.ResponseWriter, r *http.Request,
	move func(ctx context.Context, p lectern.Principal, addr, id string) (lectern.ShareLink, error)) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	l, err := move(r.Context(), p, request.ClientAddr(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, linkJSON(l))
}

// ListViewers serves GET /api/v1/links/{id}/viewers.
func (a *SharingAPI) ListViewers(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	rep, err := a.svc.Link(r.Context(), p, request.ClientAddr(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(rep.Viewers, viewerJSON(rep.Link), ""))
}

// ExtendViewer serves POST /api/v1/links/{id}/viewers/{viewer_id}/extend
// {"opens": n}: n more opens for that viewer.
func (a *SharingAPI) ExtendViewer(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	var body struct {
		Opens int `json:"opens"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	addr, linkID := request.ClientAddr(r), r.PathValue("id")
	v, err := a.svc.ExtendViewer(r.Context(), p, addr, linkID, r.PathValue("viewer_id"), body.Opens)
	if err != nil {
		return err
	}
	rep, err := a.svc.Link(r.Context(), p, addr, linkID)
	if err != nil {
		return err
	}
	for _, full := range rep.Viewers {
		if full.ViewerID == v.ViewerID {
			v = full
		}
	}
	return WriteJSON(w, http.StatusOK, viewerJSON(rep.Link)(v))
}
