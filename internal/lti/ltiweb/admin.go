package ltiweb

import (
	"net/http"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// AdminView is the LMS platforms page: the registry, the tool
// configuration to paste into an LMS, Lectern's keys and the grant window.
type AdminView struct {
	Layout
	Platforms   []lectern.LTIPlatform
	Tool        lti.ToolConfig
	Keys        []lti.KeyInfo
	GrantWindow time.Duration
	Notice      string
	Error       string
	// NewSecret is an LTI 1.1 secret Lectern just made: shown once.
	NewSecret   string
	NewConsumer string
}

// AdminHome serves GET /admin/lti.
func (h *Handlers) AdminHome(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminView(r)
	if err != nil {
		return err
	}
	switch {
	case r.URL.Query().Has("saved"):
		v.Notice = "Saved."
	case r.URL.Query().Has("rotated"):
		v.Notice = "A new key pair signs from now on; the previous public key stays published for a week."
	case r.URL.Query().Has("removed"):
		v.Notice = "The platform was removed."
	}
	return h.render(w, r, http.StatusOK, "admin", v)
}

func (h *Handlers) adminView(r *http.Request) (*AdminView, error) {
	ctx := r.Context()
	v := &AdminView{Layout: Layout{Title: "LMS platforms", AdminNav: "lti"}, Tool: h.lti.ToolConfig()}
	var err error
	if v.Platforms, err = h.lti.Platforms(ctx); err != nil {
		return nil, err
	}
	if v.Keys, err = h.lti.Keys(ctx); err != nil {
		return nil, err
	}
	if v.GrantWindow, err = h.lti.GrantWindow(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// PlatformForm is the form of one registration.
type PlatformForm struct {
	Version        string
	Name           string
	Issuer         string
	ClientID       string
	DeploymentIDs  string // one per line
	AuthURL        string
	TokenURL       string
	JWKSURL        string
	ConsumerKey    string
	FrameOrigins   string // space or line separated
	CourseParentID string
}

// PlatformView edits or creates a registration.
type PlatformView struct {
	Layout
	ID    string // empty: a new registration
	Form  PlatformForm
	Error string
}

func formOf(p lectern.LTIPlatform) PlatformForm {
	return PlatformForm{Version: string(p.Version), Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID,
		DeploymentIDs: strings.Join(p.DeploymentIDs, "\n"), AuthURL: p.AuthURL, TokenURL: p.TokenURL, JWKSURL: p.JWKSURL,
		ConsumerKey: p.ConsumerKey, FrameOrigins: strings.Join(p.FrameOrigins, " "), CourseParentID: p.CourseParentID}
}

func readForm(r *http.Request) (PlatformForm, lti.PlatformInput) {
	f := PlatformForm{Version: r.PostFormValue("version"), Name: r.PostFormValue("name"), Issuer: r.PostFormValue("issuer"),
		ClientID: r.PostFormValue("client_id"), DeploymentIDs: r.PostFormValue("deployment_ids"), AuthURL: r.PostFormValue("auth_url"),
		TokenURL: r.PostFormValue("token_url"), JWKSURL: r.PostFormValue("jwks_url"), ConsumerKey: r.PostFormValue("consumer_key"),
		FrameOrigins: r.PostFormValue("frame_origins"), CourseParentID: r.PostFormValue("course_parent_id")}
	in := lti.PlatformInput{Version: lectern.LTIVersion(f.Version), Name: f.Name, Issuer: f.Issuer, ClientID: f.ClientID,
		DeploymentIDs: strings.Fields(f.DeploymentIDs), AuthURL: f.AuthURL, TokenURL: f.TokenURL, JWKSURL: f.JWKSURL,
		ConsumerKey: f.ConsumerKey, Secret: r.PostFormValue("secret"), FrameOrigins: strings.Fields(f.FrameOrigins),
		CourseParentID: f.CourseParentID}
	return f, in
}

// AdminNew serves GET /admin/lti/new?version=1.3|1.1.
func (h *Handlers) AdminNew(w http.ResponseWriter, r *http.Request) error {
	version := lectern.LTI13
	if r.URL.Query().Get("version") == string(lectern.LTI11) {
		version = lectern.LTI11
	}
	return h.render(w, r, http.StatusOK, "platform", &PlatformView{
		Layout: Layout{Title: "Register an LMS (LTI " + string(version) + ")", AdminNav: "lti"}, Form: PlatformForm{Version: string(version)}})
}

// AdminCreate serves POST /admin/lti/platforms.
func (h *Handlers) AdminCreate(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	f, in := readForm(r)
	p, secret, err := h.lti.CreatePlatform(r.Context(), in, u.ID)
	if code := lectern.ErrorCodeOf(err); code == lectern.EInvalid || code == lectern.EConflict {
		return h.render(w, r, badRequestOr(err), "platform", &PlatformView{
			Layout: Layout{Title: "Error: Register an LMS", AdminNav: "lti"}, Form: f, Error: lectern.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	h.log.InfoContext(r.Context(), "LMS platform registered", "platform", p.ID, "version", p.Version, "by", u.ID)
	if secret == "" {
		return seeOther(w, r, "/admin/lti?saved=1")
	}
	v, err := h.adminView(r)
	if err != nil {
		return err
	}
	v.NewSecret, v.NewConsumer = secret, p.ConsumerKey
	return h.render(w, r, http.StatusOK, "admin", v)
}

func badRequestOr(err error) int {
	if lectern.ErrorCodeOf(err) == lectern.EConflict {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// AdminEdit serves GET /admin/lti/platforms/{id}.
func (h *Handlers) AdminEdit(w http.ResponseWriter, r *http.Request) error {
	p, err := h.lti.Platform(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "platform", &PlatformView{
		Layout: Layout{Title: "LMS platform " + p.Name, AdminNav: "lti"}, ID: p.ID, Form: formOf(p)})
}

// AdminUpdate serves POST /admin/lti/platforms/{id}.
func (h *Handlers) AdminUpdate(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	f, in := readForm(r)
	_, err = h.lti.UpdatePlatform(r.Context(), id, in, u.ID)
	if code := lectern.ErrorCodeOf(err); code == lectern.EInvalid || code == lectern.EConflict {
		if p, perr := h.lti.Platform(r.Context(), id); perr == nil {
			f.Version = string(p.Version)
		}
		return h.render(w, r, badRequestOr(err), "platform", &PlatformView{
			Layout: Layout{Title: "Error: LMS platform", AdminNav: "lti"}, ID: id, Form: f, Error: lectern.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/lti?saved=1")
}

// AdminDelete serves POST /admin/lti/platforms/{id}/delete.
func (h *Handlers) AdminDelete(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	if err := h.lti.DeletePlatform(r.Context(), r.PathValue("id"), u.ID); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/lti?removed=1")
}

// AdminRotateKey serves POST /admin/lti/keys.
func (h *Handlers) AdminRotateKey(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	if _, err := h.lti.RotateKey(r.Context(), u.ID); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/lti?rotated=1")
}

// AdminSettings serves POST /admin/lti/settings.
func (h *Handlers) AdminSettings(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	d, perr := time.ParseDuration(strings.TrimSpace(r.PostFormValue("grant_window")))
	if perr == nil {
		err = h.lti.SetGrantWindow(r.Context(), d, u.ID)
	} else {
		err = lectern.Errorf(lectern.EInvalid, "grant_window: write a duration such as 4h or 90m")
	}
	if lectern.ErrorCodeOf(err) == lectern.EInvalid {
		v, verr := h.adminView(r)
		if verr != nil {
			return verr
		}
		v.Title, v.Error = "Error: LMS platforms", lectern.ErrorMessage(err)
		return h.render(w, r, http.StatusBadRequest, "admin", v)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/lti?saved=1")
}

// LinksView lists the resource links bound to videos.
type LinksView struct {
	Layout
	Links []LinkRow
}

// AdminLinks serves GET /admin/lti/links.
func (h *Handlers) AdminLinks(w http.ResponseWriter, r *http.Request) error {
	links, err := h.lti.Links(r.Context(), sqlstore.LTILinkFilter{BoundOnly: true, Limit: 500})
	if err != nil {
		return err
	}
	v := &LinksView{Layout: Layout{Title: "LMS links", AdminNav: "lti-links"}}
	for _, l := range links {
		row := LinkRow{Link: l, SessionURL: "/sessions/" + l.SessionID}
		if s, err := h.lti.Catalog().SessionByID(r.Context(), l.SessionID); err == nil {
			row.SessionTitle = s.Title
		}
		v.Links = append(v.Links, row)
	}
	return h.render(w, r, http.StatusOK, "links", v)
}
