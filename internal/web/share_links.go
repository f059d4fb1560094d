package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sharing"
)

// The owner's pages of share links: the links of a session (and a form to
// make one), and one link's use, viewers and settings.

// LinkForm is the link settings form, as typed, so that it can be shown
// again after an error.
type LinkForm struct {
	Label, ExpiresOn, MaxOpens, MaxViewsPerViewer, Named string
	// SpikeAction is "" (the site's default), off, notify or suspend.
	SpikeAction, SpikeMax, SpikeHours string
	HasPassword                       bool
}

// LinksView is /sessions/{id}/links.
type LinksView struct {
	Layout
	Session lectern.Session
	Links   []lectern.ShareLink
	// NewURL is the address of the link just made: shown this once.
	NewURL  string
	Notice  string
	Error   string
	Form    LinkForm
	Policy  sharing.Policy
	MinDate string
}

// State is a link's state in words.
func (v *LinksView) State(l lectern.ShareLink) string { return linkStateWords(l) }

// MaxExpiryDays is the policy's longest link life in days (0: none).
func (v *LinksView) MaxExpiryDays() int { return int(v.Policy.MaxExpiry / (24 * time.Hour)) }

// DefaultSpike describes the site's default spike rule.
func (v *LinksView) DefaultSpike() string { return spikeWords(v.Policy.DefaultSpike) }

// LinkPageView is /links/{id}.
type LinkPageView struct {
	Layout
	R       sharing.LinkReport
	Form    LinkForm
	Notice  string
	Error   string
	MinDate string
}

// State is the link's state in words.
func (v *LinkPageView) State() string { return linkStateWords(v.R.Link) }

// Spike is the link's spike rule in words.
func (v *LinkPageView) Spike() string { return spikeWords(v.R.Link.Spike) }

// Who names a viewer: the account's address, or an anonymous browser.
func (v *LinkPageView) Who(sv lectern.ShareViewer) string {
	if sv.UserEmail != "" {
		return sv.UserEmail
	}
	if sv.UserID != "" {
		return "An account"
	}
	return "Anonymous browser …" + sv.ViewerID[max(len(sv.ViewerID)-6, 0):]
}

// Allowance is a viewer's opens out of what they may, in words.
func (v *LinkPageView) Allowance(sv lectern.ShareViewer) string {
	if a := sv.Allowance(v.R.Link); a > 0 {
		return fmt.Sprintf("%d of %d", sv.Opens, a)
	}
	return strconv.Itoa(sv.Opens)
}

// Limited reports whether the link has a per-viewer limit to extend.
func (v *LinkPageView) Limited() bool { return v.R.Link.MaxViewsPerViewer > 0 }

func linkStateWords(l lectern.ShareLink) string {
	switch {
	case l.State == lectern.LinkSuspended && l.SuspendedReason == lectern.SuspendedBySpike:
		return "Suspended by its spike rule"
	case l.State == lectern.LinkSuspended:
		return "Suspended"
	case l.State == lectern.LinkRevoked:
		return "Revoked"
	case l.MaxOpens > 0 && l.Opens >= l.MaxOpens:
		return "Used up"
	}
	return "Active"
}

func spikeWords(r lectern.SpikeRule) string {
	if r.Action == lectern.SpikeOff {
		return "Off"
	}
	what := "tell the owner by email"
	if r.Action == lectern.SpikeSuspend {
		what = "suspend the link and tell the owner"
	}
	return fmt.Sprintf("More than %d devices or networks within %s: %s", r.MaxDistinct, sharing.WindowWords(r.Window), what)
}

// linkNotices are the confirmations of the link pages, keyed by ?done=.
var linkNotices = map[string]string{
	"saved":     "Link settings saved.",
	"suspended": "Link suspended: nobody can open it until you resume it.",
	"resumed":   "Link resumed: it works again.",
	"revoked":   "Link revoked: it will never work again.",
	"extended":  "The viewer can open the recording more times now.",
	"invited":   "Invitation sent.",
	"policy":    "Sharing policy saved.",
	"guest":     "Guest account revoked.",
}

func linkNotice(r *http.Request) string { return linkNotices[r.URL.Query().Get("done")] }

// SessionLinks serves GET /sessions/{id}/links.
func (sp *SharingPages) SessionLinks(w http.ResponseWriter, r *http.Request) error {
	v, err := sp.linksView(r)
	if err != nil {
		return err
	}
	v.Notice = linkNotice(r)
	return sp.render(w, r, http.StatusOK, "share_links", v)
}

func (sp *SharingPages) linksView(r *http.Request) (*LinksView, error) {
	a, err := sp.actor(r)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	links, err := sp.svc.Links(r.Context(), a.P, a.Addr, id)
	if err != nil {
		return nil, err
	}
	sess, err := sp.cfg.Catalog.SessionByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	pol, err := sp.svc.Policy(r.Context())
	if err != nil {
		return nil, err
	}
	return &LinksView{Layout: Layout{Title: "Share links: " + sess.Title, Section: "videos"}, Session: sess, Links: links,
		Policy: pol, MinDate: sp.svc.Now().AddDate(0, 0, 1).Format("2006-01-02")}, nil
}

// CreateSessionLink serves POST /sessions/{id}/links: the page again, with
// the new link's address shown once.
func (sp *SharingPages) CreateSessionLink(w http.ResponseWriter, r *http.Request) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	in, form, err := parseLinkForm(r, true)
	if err == nil {
		var token string
		if _, token, err = sp.svc.CreateLink(r.Context(), a.P, a.Addr, r.PathValue("id"), in); err == nil {
			v, err := sp.linksView(r)
			if err != nil {
				return err
			}
			v.NewURL = sp.svc.LinkURL(token)
			return sp.render(w, r, http.StatusCreated, "share_links", v)
		}
	}
	status, ok := formError(err)
	if !ok {
		return err
	}
	v, verr := sp.linksView(r)
	if verr != nil {
		return verr
	}
	v.Title, v.Error, v.Form = "Error: "+v.Title, lectern.ErrorMessage(err), form
	return sp.render(w, r, status, "share_links", v)
}

// parseLinkForm reads the link settings form. On creation, empty fields
// mean "none" and the spike rule may be the site's default; on an edit,
// every field is the new value, and a password is changed only when one
// is typed (or removed with remove_password).
func parseLinkForm(r *http.Request, create bool) (sharing.LinkInput, LinkForm, error) {
	f := LinkForm{
		Label: r.PostFormValue("label"), ExpiresOn: r.PostFormValue("expires_on"),
		MaxOpens: strings.TrimSpace(r.PostFormValue("max_opens")), MaxViewsPerViewer: strings.TrimSpace(r.PostFormValue("max_views_per_viewer")),
		Named: r.PostFormValue("named"), SpikeAction: r.PostFormValue("spike_action"),
		SpikeMax: strings.TrimSpace(r.PostFormValue("spike_max")), SpikeHours: strings.TrimSpace(r.PostFormValue("spike_hours")),
	}
	in := sharing.LinkInput{Label: &f.Label}
	if pw := r.PostFormValue("password"); pw != "" {
		in.Password = &pw
	} else if !create && r.PostFormValue("remove_password") != "" {
		in.Password = new(string)
	}
	expires := time.Time{}
	if f.ExpiresOn != "" {
		day, err := time.Parse("2006-01-02", f.ExpiresOn)
		if err != nil {
			return in, f, lectern.Errorf(lectern.EInvalid, "The end date must be a date such as 2026-09-30.")
		}
		expires = day.AddDate(0, 0, 1) // the link works until that day ends (UTC)
	}
	if create && f.ExpiresOn == "" {
		in.ExpiresAt = nil // none, or the site's longest
	} else {
		in.ExpiresAt = &expires
	}
	var err error
	if in.MaxOpens, err = formCount(f.MaxOpens, "The total number of opens"); err != nil {
		return in, f, err
	}
	if in.MaxViewsPerViewer, err = formCount(f.MaxViewsPerViewer, "The number of opens per viewer"); err != nil {
		return in, f, err
	}
	named := strings.FieldsFunc(f.Named, func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	in.Named = &named
	switch f.SpikeAction {
	case "":
		if !create {
			return in, f, lectern.Errorf(lectern.EInvalid, "Choose what the spike rule does.")
		}
	case string(lectern.SpikeOff):
		in.Spike = &lectern.SpikeRule{Action: lectern.SpikeOff}
	default:
		n, err1 := strconv.Atoi(f.SpikeMax)
		h, err2 := strconv.Atoi(f.SpikeHours)
		if err1 != nil || err2 != nil || h < 1 || h > 720 {
			return in, f, lectern.Errorf(lectern.EInvalid, "The spike rule needs a number of devices or networks, and a number of hours from 1 to 720.")
		}
		in.Spike = &lectern.SpikeRule{MaxDistinct: n, Window: time.Duration(h) * time.Hour, Action: lectern.SpikeAction(f.SpikeAction)}
	}
	return in, f, nil
}

// formCount reads an optional whole number of at least 1; empty is 0 (no
// limit).
func formCount(v, what string) (*int, error) {
	n := 0
	if v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return nil, lectern.Errorf(lectern.EInvalid, "%s must be a whole number of at least 1, or empty for no limit.", what)
		}
	}
	return &n, nil
}

// LinkPage serves GET /links/{id}.
func (sp *SharingPages) LinkPage(w http.ResponseWriter, r *http.Request) error {
	v, err := sp.linkPageView(r)
	if err != nil {
		return err
	}
	v.Notice = linkNotice(r)
	return sp.render(w, r, http.StatusOK, "share_link", v)
}

func (sp *SharingPages) linkPageView(r *http.Request) (*LinkPageView, error) {
	a, err := sp.actor(r)
	if err != nil {
		return nil, err
	}
	rep, err := sp.svc.Link(r.Context(), a.P, a.Addr, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	l := rep.Link
	v := &LinkPageView{Layout: Layout{Title: "Share link: " + rep.Session.Title, Section: "videos"}, R: rep,
		MinDate: sp.svc.Now().AddDate(0, 0, 1).Format("2006-01-02")}
	v.Form = LinkForm{Label: l.Label, Named: strings.Join(l.Named, "\n"), SpikeAction: string(l.Spike.Action), HasPassword: l.HasPassword()}
	if !l.ExpiresAt.IsZero() {
		v.Form.ExpiresOn = l.ExpiresAt.Add(-time.Millisecond).UTC().Format("2006-01-02")
	}
	if l.MaxOpens > 0 {
		v.Form.MaxOpens = strconv.Itoa(l.MaxOpens)
	}
	if l.MaxViewsPerViewer > 0 {
		v.Form.MaxViewsPerViewer = strconv.Itoa(l.MaxViewsPerViewer)
	}
	if l.Spike.Action != lectern.SpikeOff {
		v.Form.SpikeMax, v.Form.SpikeHours = strconv.Itoa(l.Spike.MaxDistinct), strconv.Itoa(int(l.Spike.Window/time.Hour))
	}
	return v, nil
}

// linkAgain shows /links/{id} with a form error, or returns err when it
// is not one.
func (sp *SharingPages) linkAgain(w http.ResponseWriter, r *http.Request, err error, form *LinkForm) error {
	status, ok := formError(err)
	if !ok {
		return err
	}
	v, verr := sp.linkPageView(r)
	if verr != nil {
		return verr
	}
	v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(err)
	if form != nil {
		form.HasPassword = v.Form.HasPassword
		v.Form = *form
	}
	return sp.render(w, r, status, "share_link", v)
}

// EditLink serves POST /links/{id}/edit.
func (sp *SharingPages) EditLink(w http.ResponseWriter, r *http.Request) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	in, form, err := parseLinkForm(r, false)
	if err == nil {
		_, err = sp.svc.UpdateLink(r.Context(), a.P, a.Addr, r.PathValue("id"), in)
	}
	if err != nil {
		return sp.linkAgain(w, r, err, &form)
	}
	return done(w, r, "/links/"+r.PathValue("id"), "saved")
}

// SuspendLink, ResumeLink and RevokeLink serve POST /links/{id}/suspend,
// /resume and /revoke.
func (sp *SharingPages) SuspendLink(w http.ResponseWriter, r *http.Request) error {
	return sp.moveLink(w, r, sp.svc.SuspendLink, "suspended")
}

func (sp *SharingPages) ResumeLink(w http.ResponseWriter, r *http.Request) error {
	return sp.moveLink(w, r, sp.svc.ResumeLink, "resumed")
}

func (sp *SharingPages) RevokeLink(w http.ResponseWriter, r *http.Request) error {
	return sp.moveLink(w, r, sp.svc.RevokeLink, "revoked")
}

func (sp *SharingPages) moveLink(w http.ResponseWriter, r *http.Request,
	move func(ctx context.Context, p lectern.Principal, addr, id string) (lectern.ShareLink, error), what string) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	if _, err := move(r.Context(), a.P, a.Addr, r.PathValue("id")); err != nil {
		return sp.linkAgain(w, r, err, nil)
	}
	return done(w, r, "/links/"+r.PathValue("id"), what)
}

// ExtendLinkViewer serves POST /links/{id}/extend (viewer_id, opens).
func (sp *SharingPages) ExtendLinkViewer(w http.ResponseWriter, r *http.Request) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("opens")))
	if err != nil {
		return sp.linkAgain(w, r, lectern.Errorf(lectern.EInvalid, "Give the number of extra opens as a whole number."), nil)
	}
	if _, err := sp.svc.ExtendViewer(r.Context(), a.P, a.Addr, r.PathValue("id"), r.PostFormValue("viewer_id"), n); err != nil {
		return sp.linkAgain(w, r, err, nil)
	}
	return done(w, r, "/links/"+r.PathValue("id"), "extended")
}
