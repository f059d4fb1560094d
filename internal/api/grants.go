package api

import (
	"net/http"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// Grants on folders and sessions share their handlers; the route says
// which kind of resource {id} is.

// ListFolderGrants serves GET /api/v1/folders/{id}/grants.
func (a *API) ListFolderGrants(w http.ResponseWriter, r *http.Request) error {
	return a.listGrants(w, r, lectern.ResourceFolder)
}

// ListSessionGrants serves GET /api/v1/sessions/{id}/grants.
func (a *API) ListSessionGrants(w http.ResponseWriter, r *http.Request) error {
	return a.listGrants(w, r, lectern.ResourceSession)
}

// CreateFolderGrant serves POST /api/v1/folders/{id}/grants.
func (a *API) CreateFolderGrant(w http.ResponseWriter, r *http.Request) error {
	return a.createGrant(w, r, lectern.ResourceFolder)
}

// CreateSessionGrant serves POST /api/v1/sessions/{id}/grants (DESIGN §6).
func (a *API) CreateSessionGrant(w http.ResponseWriter, r *http.Request) error {
	return a.createGrant(w, r, lectern.ResourceSession)
}

// DeleteFolderGrant serves DELETE /api/v1/folders/{id}/grants/{grant_id}.
func (a *API) DeleteFolderGrant(w http.ResponseWriter, r *http.Request) error {
	return a.deleteGrant(w, r, lectern.ResourceFolder)
}

// DeleteSessionGrant serves DELETE /api/v1/sessions/{id}/grants/{grant_id}.
func (a *API) DeleteSessionGrant(w http.ResponseWriter, r *http.Request) error {
	return a.deleteGrant(w, r, lectern.ResourceSession)
}

// GrantList is the answer to "who has access, and why": the grants given
// on the resource itself (Items, each removable) and every way anyone
// reaches it (Holders: owner, folder owners, direct and inherited grants).
type GrantList struct {
	Items   []Grant  `json:"items"`
	Holders []Holder `json:"holders"`
}

func (a *API) resourceCall(r *http.Request, t lectern.ResourceType) (lectern.Principal, lectern.Resource, error) {
	_, p, err := caller(r)
	if err != nil {
		return p, lectern.Resource{}, err
	}
	res := lectern.Resource{Type: t, ID: r.PathValue("id")}
	return p, res, a.visible(r.Context(), p, res)
}

func (a *API) listGrants(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	p, res, err := a.resourceCall(r, t)
	if err != nil {
		return err
	}
	hs, err := a.cfg.Access.Holders(r.Context(), p, res, request.ClientAddr(r))
	if err != nil {
		return err
	}
	now := a.cfg.Access.Now()
	out := GrantList{Items: []Grant{}, Holders: make([]Holder, 0, len(hs))}
	for _, h := range hs {
		if h.Grant != nil && !h.Inherited {
			out.Items = append(out.Items, grantJSON(now)(*h.Grant))
		}
		out.Holders = append(out.Holders, holderJSON(now)(h))
	}
	return WriteJSON(w, http.StatusOK, out)
}

type createGrantBody struct {
	UserEmail string       `json:"user_email"`
	UserID    string       `json:"user_id"`
	GroupID   string       `json:"group_id"`
	Role      lectern.Role `json:"role"`
	ExpiresAt string       `json:"expires_at"`
}

func (a *API) createGrant(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	p, res, err := a.resourceCall(r, t)
	if err != nil {
		return err
	}
	var body createGrantBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	ng := access.NewGrant{Resource: res, Role: body.Role}
	if ng.ExpiresAt, err = parseTime("expires_at", body.ExpiresAt); err != nil {
		return err
	}
	given := 0
	for _, v := range []string{body.UserEmail, body.UserID, body.GroupID} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return lectern.Errorf(lectern.EInvalid, "user_email: send exactly one of user_email, user_id or group_id")
	}
	switch {
	case body.GroupID != "":
		ng.PrincipalType, ng.PrincipalID = lectern.PrincipalGroup, body.GroupID
	case body.UserID != "":
		ng.PrincipalType, ng.PrincipalID = lectern.PrincipalUser, body.UserID
	default:
		u, err := a.userByEmail(r, "user_email", body.UserEmail)
		if err != nil {
			return err
		}
		ng.PrincipalType, ng.PrincipalID = lectern.PrincipalUser, u.ID
	}
	g, err := a.cfg.Access.Grant(r.Context(), p, ng, request.ClientAddr(r))
	if err != nil {
		return err
	}
	g.PrincipalName = a.principalName(r, p, g)
	return WriteJSON(w, http.StatusCreated, grantJSON(a.cfg.Access.Now())(g))
}

// userByEmail finds the account with an address: EInvalid naming field
// when there is none.
func (a *API) userByEmail(r *http.Request, field, email string) (lectern.User, error) {
	email = strings.TrimSpace(email)
	if email == "" || !strings.Contains(email, "@") {
		return lectern.User{}, lectern.Errorf(lectern.EInvalid, "%s: must be an email address", field)
	}
	u, err := a.cfg.Identity.UserByEmail(r.Context(), email)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.User{}, lectern.Errorf(lectern.EInvalid, "%s: no account has this address", field)
	}
	return u, err
}

// principalName is the display name of a grant's principal, as far as
// the caller may see it.
func (a *API) principalName(r *http.Request, p lectern.Principal, g lectern.Grant) string {
	if g.PrincipalType == lectern.PrincipalUser {
		u, err := a.cfg.Identity.UserByID(r.Context(), g.PrincipalID)
		if err != nil {
			return ""
		}
		if u.Name != "" {
			return u.Name
		}
		return u.Email
	}
	grp, err := a.cfg.Access.Group(r.Context(), p, g.PrincipalID)
	if err != nil {
		return ""
	}
	return grp.Name
}

func (a *API) deleteGrant(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	p, res, err := a.resourceCall(r, t)
	if err != nil {
		return err
	}
	ctx, addr, grantID := r.Context(), request.ClientAddr(r), r.PathValue("grant_id")
	grants, err := a.cfg.Access.Grants(ctx, p, res, addr)
	if err != nil {
		return err
	}
	found := false
	for _, g := range grants {
		found = found || g.ID == grantID
	}
	if !found {
		return lectern.Errorf(lectern.ENotFound, "grant not found on this %s", t)
	}
	if err := a.cfg.Access.Revoke(ctx, p, grantID, addr); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
