package web

import (
	"net/http"
	"net/url"

	"github.com/lectern-edu/lectern"
)

// approvalsPageSize is how many waiting sessions one page lists.
const approvalsPageSize = 50

// ApprovalsView is the queue of sessions waiting for the user's approval.
type ApprovalsView struct {
	Layout
	Items         []QueueItem
	NextURL       string
	Notice, Error string
}

// QueueItem is one session waiting for approval.
type QueueItem struct {
	Session   lectern.Session
	OwnerName string
}

// Approvals serves GET /approvals?cursor=: sessions waiting for approval
// in folders where the user is a publisher (everywhere, for admins), each
// with an approve button and a return-with-comment form.
func (p *Pages) Approvals(w http.ResponseWriter, r *http.Request) error {
	v, err := p.approvalsView(r)
	if err != nil {
		return err
	}
	v.Notice = notice(r)
	return p.render(w, r, http.StatusOK, "approvals", v)
}

func (p *Pages) approvalsView(r *http.Request) (*ApprovalsView, error) {
	a, err := p.actor(r)
	if err != nil {
		return nil, err
	}
	page, err := p.cfg.Catalog.ApprovalQueue(r.Context(), a.P, approvalsPageSize, r.URL.Query().Get("cursor"))
	if err != nil {
		return nil, err
	}
	names := p.names(r.Context())
	v := &ApprovalsView{Layout: Layout{Title: "Waiting for approval", Section: "approvals"}}
	for _, s := range page.Items {
		v.Items = append(v.Items, QueueItem{Session: s, OwnerName: names.of(s.OwnerID)})
	}
	if page.Next != "" {
		v.NextURL = "/approvals?cursor=" + url.QueryEscape(page.Next)
	}
	return v, nil
}

// approvalsAgain shows the queue with an approve or return form's error.
func (p *Pages) approvalsAgain(w http.ResponseWriter, r *http.Request, status int, cause error) error {
	v, err := p.approvalsView(r)
	if err != nil {
		return err
	}
	v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(cause)
	return p.render(w, r, status, "approvals", v)
}
