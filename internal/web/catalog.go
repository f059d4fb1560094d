package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// What the catalog pages share: the acting principal, the words for
// states, and the notices shown after a form post.

// actor is the signed-in user acting through a page.
type actor struct {
	User lectern.User
	P    lectern.Principal
	Addr string
}

func (p *Pages) actor(r *http.Request) (actor, error) {
	u, err := currentUser(r)
	if err != nil {
		return actor{}, err
	}
	return actor{User: u, P: lectern.PrincipalOf(u), Addr: request.ClientAddr(r)}, nil
}

// allowed asks the access decision, without side effects, whether a may do
// action to r: for choosing which buttons a page shows. The action itself
// is authorized (and an admin's use audited) when the form is posted.
func (p *Pages) allowed(ctx context.Context, a actor, action lectern.Action, r lectern.Resource) (lectern.Decision, error) {
	d, err := p.cfg.Access.Decide(ctx, a.P, action, r)
	if err != nil {
		return lectern.Decision{}, err
	}
	return d, nil
}

// notices are the confirmations a page shows after a redirect, keyed by
// the ?done= value, so that no text from the URL reaches the page.
var notices = map[string]string{
	"created":     "Folder created.",
	"renamed":     "Name saved.",
	"approval":    "Approval setting saved.",
	"saved":       "Changes saved.",
	"published":   "Published: viewers can see it now.",
	"submitted":   "Sent for approval: a publisher will look at it.",
	"unpublished": "Unpublished: it is a draft again and viewers cannot see it.",
	"restored":    "Restored from the recycle bin.",
	"deleted":     "Moved to the recycle bin. You can restore it from there.",
	"approved":    "Approved and published. Whoever asked has been told.",
	"returned":    "Returned with your comment. Whoever asked has been told.",
	"granted":     "Access given.",
	"revoked":     "Access removed.",
}

func notice(r *http.Request) string { return notices[r.URL.Query().Get("done")] }

// done redirects after a successful form post to to, with a notice.
func done(w http.ResponseWriter, r *http.Request, to, what string) error {
	u, err := url.Parse(to)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("done", what)
	u.RawQuery = q.Encode()
	return seeOther(w, r, u.String())
}

// formError reports whether err should be shown on the form that caused
// it (bad input, a state that moved on) rather than as an error page, and
// with which status.
func formError(err error) (int, bool) {
	switch lectern.ErrorCodeOf(err) {
	case lectern.EInvalid:
		return http.StatusBadRequest, true
	case lectern.EConflict:
		return http.StatusConflict, true
	case lectern.EForbidden:
		return http.StatusForbidden, true
	}
	return 0, false
}

func formatDate(t time.Time) template.HTML {
	if t.IsZero() {
		return "–"
	}
	t = t.UTC()
	return template.HTML(`<time datetime="` + t.Format("2006-01-02") + `">` +
		template.HTMLEscapeString(t.Format("2 Jan 2006")) + `</time>`)
}

// formatDuration writes a recording's length as h:mm:ss or m:ss.
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// stateLabel is the words for a processing, publication or lifecycle
// state, a role, or an approval state.
func stateLabel(v any) string {
	s := fmt.Sprint(v)
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return s
}

var stateLabels = map[string]string{
	string(lectern.ProcessingUploading):        "Uploading",
	string(lectern.ProcessingQueued):           "Queued",
	string(lectern.ProcessingRunning):          "Processing",
	string(lectern.ProcessingReady):            "Ready",
	string(lectern.ProcessingFailed):           "Failed",
	string(lectern.PublicationDraft):           "Draft",
	string(lectern.PublicationPendingApproval): "Waiting for approval",
	string(lectern.PublicationPublished):       "Published",
	string(lectern.LifecycleActive):            "Active",
	string(lectern.LifecyclePendingReview):     "Pending review",
	string(lectern.LifecycleArchived):          "Archived",
	string(lectern.LifecycleRecycled):          "In the recycle bin",
	string(lectern.LifecyclePurged):            "Purged",
	string(lectern.RoleViewer):                 "Viewer",
	string(lectern.RoleCreator):                "Creator",
	string(lectern.RolePublisher):              "Publisher",
	string(lectern.ApprovalPending):            "Waiting",
	string(lectern.ApprovalApproved):           "Approved",
	string(lectern.ApprovalReturned):           "Returned",
}

// userNames looks up display names, once per id, for pages that show who
// did something.
type userNames struct {
	p     *Pages
	ctx   context.Context
	cache map[string]string
}

func (p *Pages) names(ctx context.Context) *userNames {
	return &userNames{p: p, ctx: ctx, cache: map[string]string{}}
}

// of returns the user's name, or their email, or "" for the system and for
// accounts that no longer exist.
func (n *userNames) of(id string) string {
	if id == "" {
		return ""
	}
	if name, ok := n.cache[id]; ok {
		return name
	}
	name := ""
	if u, err := n.p.cfg.Identity.UserByID(n.ctx, id); err == nil {
		name = orDefault(u.Name, u.Email)
	}
	n.cache[id] = name
	return name
}

// Breadcrumbs is what the "breadcrumbs" template shows: the folders above
// and the current page's name.
type Breadcrumbs struct {
	Path []Crumb
	Here string
}

// SessionTable is what the "session-table" template shows.
type SessionTable struct {
	Caption  string
	Sessions []lectern.Session
}

// Breadcrumbs of a folder page.
func (v *FolderView) Breadcrumbs() Breadcrumbs { return Breadcrumbs{Path: v.Path, Here: v.Folder.Name} }

// Table of the sessions in a folder.
func (v *FolderView) Table() SessionTable {
	return SessionTable{Caption: "Recordings in this folder, newest first", Sessions: v.Sessions}
}

// Breadcrumbs of a session page: its folders, then its title.
func (v *SessionView) Breadcrumbs() Breadcrumbs {
	return Breadcrumbs{Path: v.Path, Here: v.Session.Title}
}

// Table of the recordings on "My videos".
func (v *VideosView) Table() SessionTable {
	return SessionTable{Caption: "Recordings you can see, newest first", Sessions: v.Sessions}
}
