package api

import (
	"net/http"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
)

// AuditLog serves GET /api/v1/audit?actor_id=&owner_id=&resource_id=&
// action=&since=&until=&limit=&cursor=: audit events, newest first, a page
// at a time. Admins read the whole log; anyone else reads the events on
// content they own, and asking for another owner's is 403.
func (a *API) AuditLog(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq := access.AuditQuery{ActorID: q.Get("actor_id"), OwnerID: q.Get("owner_id"), Action: q.Get("action"),
		ResourceID: q.Get("resource_id"), Limit: limit, Cursor: cursor}
	if aq.Since, err = parseTime("since", q.Get("since")); err != nil {
		return err
	}
	if aq.Until, err = parseTime("until", q.Get("until")); err != nil {
		return err
	}
	if !aq.Since.IsZero() && !aq.Until.IsZero() && !aq.Until.After(aq.Since) {
		return lectern.Errorf(lectern.EInvalid, "until: must be after since")
	}
	events, next, err := a.cfg.Access.AuditLog(r.Context(), p, aq)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(events, auditJSON, next))
}
