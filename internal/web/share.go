package web

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
)

// ShareView is the "Share / permissions" page of a folder or a session:
// who has access and why, a form to give access to a person or a group,
// and a button to take away each grant given on the resource itself.
type ShareView struct {
	Layout
	Kind     string // "folder" or "session"
	ID, Name string
	BackURL  string
	Holders  []HolderLine
	Groups   []lectern.Group // offered in the form: those the user manages or belongs to
	Notice   string
	Error    string
	Form     struct{ Email, GroupID, Role, ExpiresOn string }
	MinDate  string // tomorrow, for the date picker
}

// HolderLine is one way someone reaches the resource, in words.
type HolderLine struct {
	Who     string
	IsGroup bool
	Role    lectern.Role
	Why     string
	Until   time.Time // zero: no end
	Expired bool
	GrantID string // set when the grant is on this resource and can be removed here
}

// FolderShare serves GET /folders/{id}/share.
func (p *Pages) FolderShare(w http.ResponseWriter, r *http.Request) error {
	return p.share(w, r, lectern.ResourceFolder, http.StatusOK, nil, nil)
}

// SessionShare serves GET /sessions/{id}/share.
func (p *Pages) SessionShare(w http.ResponseWriter, r *http.Request) error {
	return p.share(w, r, lectern.ResourceSession, http.StatusOK, nil, nil)
}

// share renders the page; cause, when set, is a form error to show.
func (p *Pages) share(w http.ResponseWriter, r *http.Request, t lectern.ResourceType, status int, cause error, adjust func(*ShareView)) error {
	v, err := p.shareView(r, lectern.Resource{Type: t, ID: r.PathValue("id")})
	if err != nil {
		return err
	}
	if cause != nil {
		v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(cause)
	} else {
		v.Notice = notice(r)
	}
	if adjust != nil {
		adjust(v)
	}
	return p.render(w, r, status, "share", v)
}

func (p *Pages) shareView(r *http.Request, res lectern.Resource) (*ShareView, error) {
	ctx := r.Context()
	a, err := p.actor(r)
	if err != nil {
		return nil, err
	}
	// Holders authorizes (share on a session, manage-access on a folder)
	// and audits an admin's use; the name is read after it.
	hs, err := p.cfg.Access.Holders(ctx, a.P, res, a.Addr)
	if err != nil {
		return nil, err
	}
	v := &ShareView{Kind: string(res.Type), ID: res.ID, BackURL: "/" + string(res.Type) + "s/" + res.ID}
	if v.Name, err = p.resourceName(ctx, a, res); err != nil {
		return nil, err
	}
	v.Layout = Layout{Title: "Share: " + v.Name, Section: "folders"}
	v.Form.Role = string(lectern.RoleViewer)
	now := p.cfg.Access.Now()
	v.MinDate = now.AddDate(0, 0, 1).Format("2006-01-02")
	for _, h := range hs {
		v.Holders = append(v.Holders, holderLine(h, res, now))
	}
	if v.Groups, err = p.offeredGroups(ctx, a); err != nil {
		return nil, err
	}
	return v, nil
}

func (p *Pages) resourceName(ctx context.Context, a actor, res lectern.Resource) (string, error) {
	if res.Type == lectern.ResourceSession {
		s, err := p.cfg.Catalog.SessionByID(ctx, res.ID)
		return s.Title, err
	}
	path, err := p.cfg.Catalog.FolderPath(ctx, a.P, res.ID)
	if err != nil {
		return "", err
	}
	return path[len(path)-1].Name, nil
}

func (p *Pages) offeredGroups(ctx context.Context, a actor) ([]lectern.Group, error) {
	managed, err := p.cfg.Access.ManagedGroups(ctx, a.P)
	if err != nil {
		return nil, err
	}
	member, err := p.cfg.Access.GroupsOf(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []lectern.Group
	for _, g := range append(managed, member...) {
		if !seen[g.ID] {
			seen[g.ID] = true
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func holderLine(h access.Holder, res lectern.Resource, now time.Time) HolderLine {
	l := HolderLine{Who: orDefault(h.Name, "(unknown account)"), IsGroup: h.PrincipalType == lectern.PrincipalGroup, Role: h.Role}
	folder := ""
	if h.Folder != nil {
		folder = "“" + h.Folder.Name + "”"
	}
	switch {
	case h.Reason == lectern.ReasonOwner:
		l.Why = "Owner"
	case h.Reason == lectern.ReasonFolderOwner:
		l.Why = "Owns the folder " + folder + " above"
	case h.Inherited:
		l.Why = "Given on the folder " + folder + " above, and inherited"
	default:
		l.Why = "Given on this " + kindWord(res.Type)
		l.GrantID = h.Grant.ID
	}
	if l.IsGroup {
		l.Why += ", to every member of the group"
	}
	if g := h.Grant; g != nil {
		if g.Source != lectern.SourceManual {
			l.Why += " (by " + sourceWords(g.Source) + ")"
		}
		l.Until, l.Expired = g.ExpiresAt, !g.Active(now)
	}
	return l
}

func kindWord(t lectern.ResourceType) string {
	if t == lectern.ResourceSession {
		return "recording"
	}
	return string(t)
}

func sourceWords(s lectern.GrantSource) string {
	switch s {
	case lectern.SourceLTI:
		return "the learning platform"
	case lectern.SourceShare:
		return "an invitation"
	}
	return string(s)
}

// AddFolderGrant serves POST /folders/{id}/share.
func (p *Pages) AddFolderGrant(w http.ResponseWriter, r *http.Request) error {
	return p.addGrant(w, r, lectern.ResourceFolder)
}

// AddSessionGrant serves POST /sessions/{id}/share.
func (p *Pages) AddSessionGrant(w http.ResponseWriter, r *http.Request) error {
	return p.addGrant(w, r, lectern.ResourceSession)
}

// addGrant gives a person (by email) or a group a role, until the end of
// an optional date (UTC).
func (p *Pages) addGrant(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	res := lectern.Resource{Type: t, ID: r.PathValue("id")}
	email, groupID := strings.TrimSpace(r.PostFormValue("user_email")), r.PostFormValue("group_id")
	role, expiresOn := r.PostFormValue("role"), r.PostFormValue("expires_on")
	again := func(status int, cause error) error {
		return p.share(w, r, t, status, cause, func(v *ShareView) {
			v.Form.Email, v.Form.GroupID, v.Form.Role, v.Form.ExpiresOn = email, groupID, role, expiresOn
		})
	}
	ng := access.NewGrant{Resource: res, Role: lectern.Role(role)}
	switch {
	case (email == "") == (groupID == ""):
		return again(http.StatusBadRequest, lectern.Errorf(lectern.EInvalid, "Give either an email address or a group, not both."))
	case groupID != "":
		ng.PrincipalType, ng.PrincipalID = lectern.PrincipalGroup, groupID
	default:
		u, err := p.cfg.Identity.UserByEmail(r.Context(), email)
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return again(http.StatusBadRequest, lectern.Errorf(lectern.EInvalid,
				"No Lectern account has the address %s. Ask them to sign in to Lectern once, then try again.", email))
		}
		if err != nil {
			return err
		}
		ng.PrincipalType, ng.PrincipalID = lectern.PrincipalUser, u.ID
	}
	if expiresOn != "" {
		day, err := time.Parse("2006-01-02", expiresOn)
		if err != nil {
			return again(http.StatusBadRequest, lectern.Errorf(lectern.EInvalid, "The end date must be a date such as 2026-09-30."))
		}
		ng.ExpiresAt = day.AddDate(0, 0, 1) // access ends when that day does (UTC)
		if !ng.ExpiresAt.After(p.cfg.Access.Now()) {
			return again(http.StatusBadRequest, lectern.Errorf(lectern.EInvalid, "The end date must be today or later."))
		}
	}
	_, err = p.cfg.Access.Grant(r.Context(), a.P, ng, a.Addr)
	if status, ok := formError(err); ok {
		return again(status, err)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/"+string(t)+"s/"+res.ID+"/share", "granted")
}

// RemoveFolderGrant serves POST /folders/{id}/share/remove (grant_id).
func (p *Pages) RemoveFolderGrant(w http.ResponseWriter, r *http.Request) error {
	return p.removeGrant(w, r, lectern.ResourceFolder)
}

// RemoveSessionGrant serves POST /sessions/{id}/share/remove (grant_id).
func (p *Pages) RemoveSessionGrant(w http.ResponseWriter, r *http.Request) error {
	return p.removeGrant(w, r, lectern.ResourceSession)
}

func (p *Pages) removeGrant(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	res := lectern.Resource{Type: t, ID: r.PathValue("id")}
	grantID := r.PostFormValue("grant_id")
	grants, err := p.cfg.Access.Grants(r.Context(), a.P, res, a.Addr)
	if err != nil {
		return err
	}
	found := false
	for _, g := range grants {
		found = found || g.ID == grantID
	}
	if !found {
		return p.share(w, r, t, http.StatusConflict, lectern.Errorf(lectern.EConflict, "That access was already removed."), nil)
	}
	err = p.cfg.Access.Revoke(r.Context(), a.P, grantID, a.Addr)
	if status, ok := formError(err); ok {
		return p.share(w, r, t, status, err, nil)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/"+string(t)+"s/"+res.ID+"/share", "revoked")
}
