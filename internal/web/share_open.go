package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/sharing"
)

// SharingPages are the pages of share links and guest invitations: the
// public /s/{token} page, the owner's link pages, the invitation pages
// and the admins' sharing page. They share the Pages' templates and
// layout and call the sharing service.
type SharingPages struct {
	*Pages
	svc *sharing.Service
}

// Sharing returns the sharing pages over svc.
func (p *Pages) Sharing(svc *sharing.Service) *SharingPages { return &SharingPages{Pages: p, svc: svc} }

// ViewerCookie identifies an anonymous browser to the links it opens, so
// that a per-viewer limit can count its opens. It holds a random secret
// (only its hash is stored) and lives a year, on /s/ only.
const ViewerCookie = "lectern_viewer"

const viewerCookieAge = 365 * 24 * time.Hour

// visitor is who is at /s/{token}: the signed-in user, if any, and the
// browser's viewer cookie, set now when it has none (or a malformed one).
func (sp *SharingPages) visitor(w http.ResponseWriter, r *http.Request) sharing.Visitor {
	v := sharing.Visitor{ClientAddr: request.ClientAddr(r), UserAgent: r.UserAgent()}
	if u, ok := request.User(r.Context()); ok {
		v.User = &u
	}
	if c, err := r.Cookie(ViewerCookie); err == nil {
		if _, ok := sharing.ParseSecret(c.Value); ok {
			v.Browser = c.Value
		}
	}
	if v.Browser == "" {
		v.Browser = sharing.NewSecret()
		http.SetCookie(w, &http.Cookie{
			Name: ViewerCookie, Value: v.Browser, Path: "/s/", MaxAge: int(viewerCookieAge / time.Second),
			HttpOnly: true, Secure: sp.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
		})
	}
	return v
}

// LinkView is the page at /s/{token}: who shared what, and either the
// button (and password field) to watch, or why it cannot be watched.
type LinkView struct {
	Layout
	Token         string
	Title         string // the recording's
	OwnerName     string
	NeedsPassword bool
	Remaining     int // more opens this viewer has; -1: no limit
	// Closed is set when the link cannot be opened; Message says why.
	Closed  bool
	Message string
	Error   string // a form error: wrong password, too many tries
}

// LinkWatchView is the player after a successful open.
type LinkWatchView struct {
	Layout
	Title     string
	OwnerName string
	HLSURL    string
	Remaining int
	ExpiresAt time.Time
}

// OpenLink serves GET /s/{token}. It counts nothing: an open is a POST,
// so that mail scanners and link previews do not use up anyone's views.
func (sp *SharingPages) OpenLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	land, err := sp.svc.Resolve(r.Context(), token, sp.visitor(w, r))
	if err == nil && land.OwnAccess {
		return seeOther(w, r, "/sessions/"+land.Session.ID)
	}
	return sp.linkPage(w, r, token, land, err)
}

// WatchLink serves POST /s/{token}: checks the password, counts the open
// and shows the player.
func (sp *SharingPages) WatchLink(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	v := sp.visitor(w, r)
	if err := r.ParseForm(); err != nil {
		return lectern.Errorf(lectern.EInvalid, "The form could not be read. Reload the page and try again.")
	}
	form, err := sharing.ParseOpenForm(r.PostForm)
	if err != nil {
		land, rerr := sp.svc.Resolve(r.Context(), token, v)
		if rerr != nil {
			return sp.linkPage(w, r, token, land, rerr)
		}
		return sp.linkPage(w, r, token, land, &sharing.RefusedError{Reason: sharing.RefusedPassword,
			Err: &lectern.Error{Code: lectern.EInvalid, Message: lectern.ErrorMessage(err)}})
	}
	o, err := sp.svc.Open(r.Context(), token, form, v)
	if err != nil {
		return sp.linkPage(w, r, token, o.Landing, err)
	}
	if o.OwnAccess {
		return seeOther(w, r, "/sessions/"+o.Session.ID)
	}
	return sp.render(w, r, http.StatusOK, "share_watch", &LinkWatchView{
		Layout: Layout{Title: o.Session.Title}, Title: o.Session.Title, OwnerName: o.OwnerName,
		HLSURL: o.HLSURL, Remaining: o.Remaining, ExpiresAt: o.ExpiresAt,
	})
}

// linkPage renders /s/{token} for a landing and the refusal, if any.
func (sp *SharingPages) linkPage(w http.ResponseWriter, r *http.Request, token string, land sharing.Landing, err error) error {
	v := &LinkView{Layout: Layout{Title: "Shared recording"}, Token: token, Title: land.Session.Title,
		OwnerName: land.OwnerName, NeedsPassword: land.NeedsPassword, Remaining: land.Remaining}
	status := http.StatusOK
	switch reason := sharing.ReasonOf(err); reason {
	case "":
		if err != nil {
			return err
		}
	case sharing.RefusedSignIn:
		return seeOther(w, r, "/login?next="+url.QueryEscape("/s/"+token))
	case sharing.RefusedPassword, sharing.RefusedTooMany:
		v.Error = lectern.ErrorMessage(err)
		v.NeedsPassword = true
		status = http.StatusUnauthorized
		if reason == sharing.RefusedTooMany {
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(max(lectern.RetryAfterOf(err), 1)))
		}
	default:
		// Unavailable, suspended, used up, not watchable now: a plain page.
		v.Closed, v.Message = true, lectern.ErrorMessage(err)
		if reason == sharing.RefusedUnavailable {
			v.Title, v.OwnerName = "", "" // nothing about what the token was
		}
		status = statusOfCode(lectern.ErrorCodeOf(err))
	}
	if v.Error != "" || v.Closed {
		v.Layout.Title = "Error: " + v.Layout.Title
	}
	return sp.render(w, r, status, "share_open", v)
}

// statusOfCode is the page status of a refusal.
func statusOfCode(c lectern.ErrorCode) int {
	switch c {
	case lectern.ENotFound:
		return http.StatusNotFound
	case lectern.EConflict:
		return http.StatusConflict
	}
	return http.StatusForbidden
}
