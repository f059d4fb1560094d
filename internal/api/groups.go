package api

import (
	"net/http"
	"sort"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// ListGroups serves GET /api/v1/groups: the groups the caller manages and
// those they belong to now, by name.
func (a *API) ListGroups(w http.ResponseWriter, r *http.Request) error {
	u, p, err := caller(r)
	if err != nil {
		return err
	}
	managed, err := a.cfg.Access.ManagedGroups(r.Context(), p)
	if err != nil {
		return err
	}
	member, err := a.cfg.Access.GroupsOf(r.Context(), u.ID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var all []lectern.Group
	for _, g := range append(managed, member...) {
		if !seen[g.ID] {
			seen[g.ID] = true
			all = append(all, g)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return WriteJSON(w, http.StatusOK, listOf(all, groupJSON, ""))
}

type createGroupBody struct {
	Name string `json:"name"`
}

// CreateGroup serves POST /api/v1/groups {"name"}: 201 with a manual
// group managed by the caller.
func (a *API) CreateGroup(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	var body createGroupBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	g, err := a.cfg.Access.CreateGroup(r.Context(), p, body.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/groups/"+g.ID)
	return WriteJSON(w, http.StatusCreated, groupJSON(g))
}

// group resolves {id} to a group the caller may see (its manager, its
// members, admins); an existing group they may not see is EForbidden.
func (a *API) group(r *http.Request) (lectern.Group, lectern.Principal, error) {
	_, p, err := caller(r)
	if err != nil {
		return lectern.Group{}, p, err
	}
	id := r.PathValue("id")
	g, err := a.cfg.Access.Group(r.Context(), p, id)
	if err != nil {
		return g, p, a.asForbidden(r.Context(), err, lectern.Resource{Type: lectern.ResourceGroup, ID: id})
	}
	return g, p, nil
}

// GetGroup serves GET /api/v1/groups/{id}.
func (a *API) GetGroup(w http.ResponseWriter, r *http.Request) error {
	g, _, err := a.group(r)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, groupJSON(g))
}

// DeleteGroup serves DELETE /api/v1/groups/{id}: the group, its
// memberships and its grants go (204). Its manager or an admin may.
func (a *API) DeleteGroup(w http.ResponseWriter, r *http.Request) error {
	g, p, err := a.group(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Access.DeleteGroup(r.Context(), p, g.ID, request.ClientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ListMembers serves GET /api/v1/groups/{id}/members, by name.
func (a *API) ListMembers(w http.ResponseWriter, r *http.Request) error {
	g, p, err := a.group(r)
	if err != nil {
		return err
	}
	ms, err := a.cfg.Access.Members(r.Context(), p, g.ID)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(ms, memberJSON(a.cfg.Access.Now()), ""))
}

type addMemberBody struct {
	UserEmail string `json:"user_email"`
	UserID    string `json:"user_id"`
	ExpiresAt string `json:"expires_at"`
}

// AddMember serves POST /api/v1/groups/{id}/members {"user_email"|
// "user_id","expires_at"?}: 201 with the membership (or its new expiry).
func (a *API) AddMember(w http.ResponseWriter, r *http.Request) error {
	g, p, err := a.group(r)
	if err != nil {
		return err
	}
	var body addMemberBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	expires, err := parseTime("expires_at", body.ExpiresAt)
	if err != nil {
		return err
	}
	userID := body.UserID
	switch {
	case (body.UserEmail == "") == (body.UserID == ""):
		return lectern.Errorf(lectern.EInvalid, "user_email: send exactly one of user_email or user_id")
	case body.UserEmail != "":
		u, err := a.userByEmail(r, "user_email", body.UserEmail)
		if err != nil {
			return err
		}
		userID = u.ID
	}
	ctx := r.Context()
	if err := a.cfg.Access.AddMember(ctx, p, g.ID, userID, expires, request.ClientAddr(r)); err != nil {
		return err
	}
	ms, err := a.cfg.Access.Members(ctx, p, g.ID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.UserID == userID {
			return WriteJSON(w, http.StatusCreated, memberJSON(a.cfg.Access.Now())(m))
		}
	}
	return lectern.Errorf(lectern.EConflict, "The membership was removed while it was being added.")
}

// RemoveMember serves DELETE /api/v1/groups/{id}/members/{user_id} (204).
func (a *API) RemoveMember(w http.ResponseWriter, r *http.Request) error {
	g, p, err := a.group(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Access.RemoveMember(r.Context(), p, g.ID, r.PathValue("user_id"), request.ClientAddr(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
