package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Invitation is an invitation of an email address to a folder or session.
type Invitation struct {
	ID            string                   `json:"id"`
	Email         string                   `json:"email"`
	UserID        string                   `json:"user_id"`
	ResourceType  lectern.ResourceType     `json:"resource_type"`
	ResourceID    string                   `json:"resource_id"`
	Role          lectern.Role             `json:"role"`
	ExpiresAt     *time.Time               `json:"expires_at"`
	Status        sharing.InvitationStatus `json:"status"`
	InvitedBy     string                   `json:"invited_by"`
	CreatedAt     time.Time                `json:"created_at"`
	LinkExpiresAt time.Time                `json:"link_expires_at"`
}

func invitationJSON(now time.Time) func(lectern.GuestInvitation) Invitation {
	return func(i lectern.GuestInvitation) Invitation {
		return Invitation{ID: i.ID, Email: i.Email, UserID: i.UserID, ResourceType: i.Resource.Type, ResourceID: i.Resource.ID,
			Role: i.Role, ExpiresAt: optTime(i.AccessExpiresAt), Status: sharing.StatusOf(i, now), InvitedBy: i.InvitedBy,
			CreatedAt: utc(i.CreatedAt), LinkExpiresAt: utc(i.LinkExpiresAt)}
	}
}

type inviteBody struct {
	Email     string       `json:"email"`
	Role      lectern.Role `json:"role"`
	ExpiresAt string       `json:"expires_at"`
}

// InviteToSession and InviteToFolder serve POST
// /api/v1/sessions/{id}/invitations and /api/v1/folders/{id}/invitations:
// 201 with the invitation; the invitee is emailed.
func (a *SharingAPI) InviteToSession(w http.ResponseWriter, r *http.Request) error {
	return a.invite(w, r, lectern.ResourceSession)
}

func (a *SharingAPI) InviteToFolder(w http.ResponseWriter, r *http.Request) error {
	return a.invite(w, r, lectern.ResourceFolder)
}

func (a *SharingAPI) invite(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	p, res, err := a.resourceCall(r, t)
	if err != nil {
		return err
	}
	var body inviteBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	exp, err := parseTime("expires_at", body.ExpiresAt)
	if err != nil {
		return err
	}
	inv, err := a.svc.Invite(r.Context(), p, request.ClientAddr(r), res,
		sharing.InviteInput{Email: body.Email, Role: body.Role, ExpiresAt: exp})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, invitationJSON(a.svc.Now())(inv))
}

// ListSessionInvitations and ListFolderInvitations serve GET
// /api/v1/sessions/{id}/invitations and /api/v1/folders/{id}/invitations.
func (a *SharingAPI) ListSessionInvitations(w http.ResponseWriter, r *http.Request) error {
	return a.listInvitations(w, r, lectern.ResourceSession)
}

func (a *SharingAPI) ListFolderInvitations(w http.ResponseWriter, r *http.Request) error {
	return a.listInvitations(w, r, lectern.ResourceFolder)
}

func (a *SharingAPI) listInvitations(w http.ResponseWriter, r *http.Request, t lectern.ResourceType) error {
	p, res, err := a.resourceCall(r, t)
	if err != nil {
		return err
	}
	list, err := a.svc.Invitations(r.Context(), p, request.ClientAddr(r), res)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, listOf(list, invitationJSON(a.svc.Now()), ""))
}

// Guest is a guest account as admins see it.
type Guest struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	Name          string     `json:"name"`
	Disabled      bool       `json:"disabled"`
	HeldByPolicy  bool       `json:"held_by_policy"`
	Invitations   int        `json:"invitations"`
	Grants        int        `json:"grants"`
	CreatedAt     time.Time  `json:"created_at"`
	LastInvitedAt *time.Time `json:"last_invited_at"`
}

func guestJSON(g sqlstore.GuestAccount) Guest {
	return Guest{ID: g.User.ID, Email: g.User.Email, Name: g.User.Name, Disabled: g.User.Disabled, HeldByPolicy: g.Held,
		Invitations: g.Invitations, Grants: g.Grants, CreatedAt: utc(g.User.CreatedAt), LastInvitedAt: optTime(g.LastInvitedAt)}
}

// SearchGuests serves POST /api/v1/admin/guests/search {"email"?: part}:
// the guest accounts whose address contains the part (all when empty).
// (A POST, not a GET: an admin-only listing without a path parameter is
// not something every signed-in caller can GET.)
func (a *SharingAPI) SearchGuests(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	var body struct {
		Email string `json:"email"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	gs, err := a.svc.Guests(r.Context(), p)
	if err != nil {
		return err
	}
	part := strings.ToLower(strings.TrimSpace(body.Email))
	out := gs[:0]
	for _, g := range gs {
		if strings.Contains(g.User.Email, part) {
			out = append(out, g)
		}
	}
	return WriteJSON(w, http.StatusOK, listOf(out, guestJSON, ""))
}

// RevokeGuest serves POST /api/v1/admin/guests/{id}/revoke: 204.
func (a *SharingAPI) RevokeGuest(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	if err := a.svc.RevokeGuest(r.Context(), p, request.ClientAddr(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PatchPolicy serves PATCH /api/v1/admin/sharing-policy: fields left out
// keep their value, so that {} reads the policy.
func (a *SharingAPI) PatchPolicy(w http.ResponseWriter, r *http.Request) error {
	_, p, err := caller(r)
	if err != nil {
		return err
	}
	var body struct {
		AllowAnonymous      *bool              `json:"allow_anonymous"`
		PasswordRequired    *bool              `json:"password_required"`
		MaxExpiryDays       *int               `json:"max_expiry_days"`
		DefaultSpike        *sharing.SpikeJSON `json:"default_spike"`
		GuestsEnabled       *bool              `json:"guests_enabled"`
		GuestBlockedDomains []string           `json:"guest_blocked_domains"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	pol, err := a.svc.Policy(r.Context())
	if err != nil {
		return err
	}
	if body.AllowAnonymous != nil {
		pol.AllowAnonymous = *body.AllowAnonymous
	}
	if body.PasswordRequired != nil {
		pol.PasswordRequired = *body.PasswordRequired
	}
	if body.MaxExpiryDays != nil {
		if *body.MaxExpiryDays < 0 || *body.MaxExpiryDays > 3650 {
			return lectern.Errorf(lectern.EInvalid, "max_expiry_days: must be from 0 (no maximum) to 3650")
		}
		pol.MaxExpiry = time.Duration(*body.MaxExpiryDays) * 24 * time.Hour
	}
	if body.DefaultSpike != nil {
		pol.DefaultSpike = sharing.SpikeFromJSON(*body.DefaultSpike)
	}
	if body.GuestsEnabled != nil {
		pol.GuestsEnabled = *body.GuestsEnabled
	}
	if body.GuestBlockedDomains != nil {
		pol.GuestBlockedDomains = body.GuestBlockedDomains
	}
	saved, err := a.svc.SetPolicy(r.Context(), p, request.ClientAddr(r), pol)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, saved)
}
