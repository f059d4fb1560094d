package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
)

// auditPageSize is how many events one page of the audit log lists.
const auditPageSize = 50

// AuditView is a page of the audit log: the whole log for admins
// (/admin/audit), or the events on the user's own content (/audit).
type AuditView struct {
	Layout
	Admin   bool // the site-wide log, with the owner column and filter
	Action  string
	Events  []AuditLine
	Filter  AuditFilter
	Actions []string // the known actions, for the filter's choices
	NextURL string
	Error   string
}

// AuditFilter is the filter form's values, as typed.
type AuditFilter struct {
	Actor, Owner, Resource, Action, Since, Until string
}

// AuditLine is one event in words.
type AuditLine struct {
	lectern.AuditEvent
	ActorName, OwnerName string
	Link                 string // the resource's page, for folders and sessions
}

var auditActions = []string{
	lectern.AuditAdminAccess, lectern.AuditGrantAdd, lectern.AuditGrantChange, lectern.AuditGrantRevoke,
	lectern.AuditMemberAdd, lectern.AuditMemberRemove, lectern.AuditGroupDelete,
	lectern.AuditApprovalSubmit, lectern.AuditApprove, lectern.AuditReturn,
	lectern.AuditSessionDelete, lectern.AuditSessionRestore, lectern.AuditSessionMove,
	lectern.AuditFolderDelete, lectern.AuditFolderRestore, lectern.AuditFolderMove, lectern.AuditFolderApproval,
}

// AdminAudit serves GET /admin/audit (admins only) with filters actor
// (an email or a user id), owner, resource (an id), action, since and
// until (dates, UTC), and cursor.
func (p *Pages) AdminAudit(w http.ResponseWriter, r *http.Request) error {
	return p.audit(w, r, true)
}

// OwnerAudit serves GET /audit: what happened to the user's own content,
// admin access included, with the same filters but owner.
func (p *Pages) OwnerAudit(w http.ResponseWriter, r *http.Request) error {
	return p.audit(w, r, false)
}

func (p *Pages) audit(w http.ResponseWriter, r *http.Request, admin bool) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := &AuditView{Admin: admin, Actions: auditActions, Filter: AuditFilter{
		Actor: q.Get("actor"), Owner: q.Get("owner"), Resource: q.Get("resource"), Action: q.Get("action"),
		Since: q.Get("since"), Until: q.Get("until"),
	}}
	v.Action = "/audit"
	v.Layout = Layout{Title: "Activity on my content", Section: "audit"}
	if admin {
		v.Action, v.Layout = "/admin/audit", Layout{Title: "Audit log", Section: "admin"}
	}
	aq, err := p.auditQuery(r, v.Filter, admin)
	if err == nil {
		aq.Limit, aq.Cursor = auditPageSize, q.Get("cursor")
		var events []lectern.AuditEvent
		var next string
		events, next, err = p.cfg.Access.AuditLog(r.Context(), a.P, aq)
		if err == nil {
			names := p.names(r.Context())
			for _, e := range events {
				l := AuditLine{AuditEvent: e, ActorName: names.of(e.ActorID), OwnerName: names.of(e.OwnerID)}
				if e.ResourceType == lectern.ResourceFolder || e.ResourceType == lectern.ResourceSession {
					l.Link = "/" + string(e.ResourceType) + "s/" + e.ResourceID
				}
				v.Events = append(v.Events, l)
			}
			if next != "" {
				nq := r.URL.Query()
				nq.Set("cursor", next)
				v.NextURL = v.Action + "?" + nq.Encode()
			}
		}
	}
	if lectern.ErrorCodeOf(err) == lectern.EInvalid {
		v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(err)
		return p.render(w, r, http.StatusBadRequest, "audit", v)
	}
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "audit", v)
}

// auditQuery turns the filter form into a query; people are named by
// email or id.
func (p *Pages) auditQuery(r *http.Request, f AuditFilter, admin bool) (access.AuditQuery, error) {
	var aq access.AuditQuery
	var err error
	if aq.ActorID, err = p.userRef(r, "Who did it", f.Actor); err != nil {
		return aq, err
	}
	if admin {
		if aq.OwnerID, err = p.userRef(r, "Owner", f.Owner); err != nil {
			return aq, err
		}
	}
	aq.ResourceID, aq.Action = strings.TrimSpace(f.Resource), f.Action
	if aq.Since, err = parseDay("From", f.Since); err != nil {
		return aq, err
	}
	if aq.Until, err = parseDay("Until", f.Until); err != nil {
		return aq, err
	}
	if !aq.Until.IsZero() {
		aq.Until = aq.Until.AddDate(0, 0, 1) // through the end of that day
	}
	return aq, nil
}

// userRef resolves an email address to a user id; anything else is taken
// as an id.
func (p *Pages) userRef(r *http.Request, field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "@") {
		return v, nil
	}
	u, err := p.cfg.Identity.UserByEmail(r.Context(), v)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return "", lectern.Errorf(lectern.EInvalid, "%s: no account has the address %s.", field, v)
	}
	return u.ID, err
}

func parseDay(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, lectern.Errorf(lectern.EInvalid, "%s: must be a date such as 2026-09-30.", field)
	}
	return t, nil
}
