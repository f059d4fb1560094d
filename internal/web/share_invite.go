package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/sharing"
)

// Guest invitations: the owner's page to invite an email address to a
// session or folder, and the invitee's page to choose a password.

// InvitationsView is /sessions/{id}/invitations or /folders/{id}/invitations.
type InvitationsView struct {
	Layout
	Kind        string // "session" or "folder"
	ID, Name    string
	BackURL     string
	Invitations []InvitationLine
	Notice      string
	Error       string
	Form        struct{ Email, ExpiresOn string }
	MinDate     string
	GuestsOff   bool
}

// InvitationLine is one invitation in the list.
type InvitationLine struct {
	Email   string
	Status  sharing.InvitationStatus
	Until   time.Time
	Created time.Time
}

// SessionInvitations and FolderInvitations serve GET
// /sessions/{id}/invitations and /folders/{id}/invitations.
func (sp *SharingPages) SessionInvitations(w http.ResponseWriter, r *http.Request) error {
	return sp.invitations(w, r, lectern.ResourceSession, http.StatusOK, nil, "", "")
}

func (sp *SharingPages) FolderInvitations(w http.ResponseWriter, r *http.Request) error {
	return sp.invitations(w, r, lectern.ResourceFolder, http.StatusOK, nil, "", "")
}

func (sp *SharingPages) invitations(w http.ResponseWriter, r *http.Request, t lectern.ResourceType, status int, cause error, email, expiresOn string) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	res := lectern.Resource{Type: t, ID: r.PathValue("id")}
	list, err := sp.svc.Invitations(r.Context(), a.P, a.Addr, res)
	if err != nil {
		return err
	}
	v := &InvitationsView{Kind: string(t), ID: res.ID, BackURL: "/" + string(t) + "s/" + res.ID,
		MinDate: sp.svc.Now().AddDate(0, 0, 1).Format("2006-01-02")}
	if v.Name, err = sp.svc.ResourceTitle(r.Context(), res); err != nil {
		return err
	}
	v.Layout = Layout{Title: "Invite: " + v.Name, Section: "folders"}
	now := sp.svc.Now()
	for _, inv := range list {
		v.Invitations = append(v.Invitations, InvitationLine{Email: inv.Email, Status: sharing.StatusOf(inv, now),
			Until: inv.AccessExpiresAt, Created: inv.CreatedAt})
	}
	pol, err := sp.svc.Policy(r.Context())
	if err != nil {
		return err
	}
	v.GuestsOff = !pol.GuestsEnabled
	v.Form.Email, v.Form.ExpiresOn = email, expiresOn
	if cause != nil {
		v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(cause)
	} else {
		v.Notice = linkNotice(r)
	}
	return sp.render(w, r, status, "share_invitations", v)
}

// InviteToSession and InviteToFolder serve POST
// /sessions/{id}/invitations and /folders/{id}/invitations.
func (sp *SharingPages) InviteToSession(w http.ResponseWriter, r *http.Request) error {
	return sp.invite(w, r, lectern.ResourceSession)
}

func (sp *SharingPages) InviteToFolder(w http.ResponseWriter, r *http.Request) error {
	return sp.invite(w, r, lectern.ResourceFolder)
}

func (sp *SharingPages) invite(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	email, expiresOn := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("expires_on")
	in := sharing.InviteInput{Email: email}
	if expiresOn != "" {
		day, perr := time.Parse("2006-01-02", expiresOn)
		if perr != nil {
			return sp.invitations(w, r, t, http.StatusBadRequest,
				lectern.Errorf(lectern.EInvalid, "The end date must be a date such as 2026-09-30."), email, expiresOn)
		}
		in.ExpiresAt = day.AddDate(0, 0, 1) // access ends when that day does (UTC)
	}
	res := lectern.Resource{Type: t, ID: r.PathValue("id")}
	if _, err = sp.svc.Invite(r.Context(), a.P, a.Addr, res, in); err != nil {
		if status, ok := formError(err); ok {
			return sp.invitations(w, r, t, status, err, email, expiresOn)
		}
		return err
	}
	return done(w, r, "/"+string(t)+"s/"+res.ID+"/invitations", "invited")
}

// AcceptView is /invitations/{token}: choose a password.
type AcceptView struct {
	Layout
	Token   string
	View    sharing.InvitationView
	Error   string
	Closed  bool
	Message string
}

// InvitationForm serves GET /invitations/{token}.
func (sp *SharingPages) InvitationForm(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	view, err := sp.svc.Invitation(r.Context(), token)
	return sp.acceptPage(w, r, token, view, err, "")
}

// AcceptInvitation serves POST /invitations/{token}: sets the guest's
// password, signs them in and takes them to what was shared.
func (sp *SharingPages) AcceptInvitation(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	view, err := sp.svc.Invitation(r.Context(), token)
	if err != nil {
		return sp.acceptPage(w, r, token, view, err, "")
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password_confirm") {
		return sp.acceptPage(w, r, token, view, nil, "The two passwords are not the same.")
	}
	acc, err := sp.svc.Accept(r.Context(), token, pw, request.ClientAddr(r), r.UserAgent())
	if err != nil {
		if lectern.ErrorCodeOf(err) == lectern.EInvalid {
			// The password rule, or the link used meanwhile: ask again.
			if _, again := sp.svc.Invitation(r.Context(), token); again != nil {
				return sp.acceptPage(w, r, token, view, again, "")
			}
			return sp.acceptPage(w, r, token, view, nil, lectern.ErrorMessage(err))
		}
		return err
	}
	request.SetSessionCookie(w, acc.SessionToken, acc.Session.ExpiresAt, sp.cfg.SecureCookies)
	return seeOther(w, r, acc.Next)
}

func (sp *SharingPages) acceptPage(w http.ResponseWriter, r *http.Request, token string, view sharing.InvitationView, err error, formErr string) error {
	v := &AcceptView{Layout: Layout{Title: "Your invitation"}, Token: token, View: view, Error: formErr}
	status := http.StatusOK
	switch {
	case err != nil && lectern.ErrorCodeOf(err) == lectern.EInvalid:
		v.Closed, v.Message, status = true, lectern.ErrorMessage(err), http.StatusGone
	case err != nil:
		return err
	case formErr != "":
		status = http.StatusBadRequest
	}
	if v.Closed || v.Error != "" {
		v.Title = "Error: " + v.Title
	}
	return sp.render(w, r, status, "invitation", v)
}
