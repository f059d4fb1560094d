package ltiweb

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/lti"
)

// PickerView is the video picker: search, folders, and the videos the
// teacher may share, to add to the course (deep linking) or to show at
// the link they launched (binding).
type PickerView struct {
	Layout
	Token       string
	Action      string // the picker's own URL
	DeepLinking bool
	Multiple    bool
	LinkTitle   string
	Browse      lti.Browse
	Error       string
}

// Picker serves GET /lti/pick/{token}. The token is the credential: the
// LMS frame may not carry Lectern's cookies.
func (h *Handlers) Picker(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	p, err := h.lti.OpenPick(r.Context(), token)
	if err != nil {
		return err
	}
	return h.renderPicker(w, r, http.StatusOK, p, "")
}

func (h *Handlers) renderPicker(w http.ResponseWriter, r *http.Request, status int, p lti.Pick, errMsg string) error {
	q := r.URL.Query()
	b, err := h.lti.Browse(r.Context(), p, q.Get("folder"), q.Get("q"))
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		b, err = h.lti.Browse(r.Context(), p, "", "")
	}
	if err != nil {
		return err
	}
	title := "Choose a video"
	if p.DeepLinking() && p.AcceptMultiple {
		title = "Choose videos to add"
	}
	u := p.User
	v := &PickerView{Layout: Layout{Title: title, User: &u}, Token: p.Token, Action: lti.PickPath(p.Token),
		DeepLinking: p.DeepLinking(), Multiple: p.AcceptMultiple, LinkTitle: p.LinkTitle, Browse: b, Error: errMsg}
	if errMsg != "" {
		v.Title = "Error: " + title
	}
	return h.render(w, r, status, "picker", v)
}

// ReturnView posts the signed deep-linking response to the LMS.
type ReturnView struct {
	Layout
	ReturnURL string
	JWT       string
	Count     int
}

// Pick serves POST /lti/pick/{token}: the teacher's choice (or cancel).
// For deep linking it answers with a page that posts the signed response
// to the LMS; for binding it goes back to the course page.
func (h *Handlers) Pick(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := r.PathValue("token")
	var chosen []string
	if r.PostFormValue("cancel") == "" {
		chosen = r.PostForm["session"]
		if len(chosen) == 0 {
			p, err := h.lti.OpenPick(r.Context(), token)
			if err != nil {
				return err
			}
			return h.renderPicker(w, r, http.StatusBadRequest, p, "Choose a video first, or cancel.")
		}
	}
	res, err := h.lti.CompletePick(r.Context(), token, chosen)
	if lectern.ErrorCodeOf(err) == lectern.EInvalid || lectern.ErrorCodeOf(err) == lectern.EForbidden {
		p, perr := h.lti.OpenPick(r.Context(), token)
		if perr == nil {
			return h.renderPicker(w, r, statusOf(err), p, lectern.ErrorMessage(err))
		}
	}
	if err != nil {
		return err
	}
	if res.ReturnURL == "" {
		return seeOther(w, r, res.Location)
	}
	// The answer goes to the LMS, another origin: allow this one form to
	// post there.
	if o := originOf(res.ReturnURL); o != "" {
		csp := w.Header().Get("Content-Security-Policy")
		w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+o, 1))
	}
	return h.render(w, r, http.StatusOK, "return", &ReturnView{Layout: Layout{Title: "Returning to the LMS"},
		ReturnURL: res.ReturnURL, JWT: res.JWT, Count: res.Count})
}

func statusOf(err error) int {
	switch lectern.ErrorCodeOf(err) {
	case lectern.EInvalid:
		return http.StatusBadRequest
	case lectern.EForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
