package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// AdminSharingView is /admin/sharing: the site's sharing policy and the
// guest accounts.
type AdminSharingView struct {
	Layout
	Policy sharing.Policy
	Guests []sqlstore.GuestAccount
	Notice string
	Error  string
}

// MaxExpiryDays is the policy's longest link life in days (0: none).
func (v *AdminSharingView) MaxExpiryDays() int { return int(v.Policy.MaxExpiry / (24 * time.Hour)) }

// SpikeHours is the default spike window in hours.
func (v *AdminSharingView) SpikeHours() int { return int(v.Policy.DefaultSpike.Window / time.Hour) }

// Domains is the blocked guest domains, one per line.
func (v *AdminSharingView) Domains() string { return strings.Join(v.Policy.GuestBlockedDomains, "\n") }

// AdminSharing serves GET /admin/sharing.
func (sp *SharingPages) AdminSharing(w http.ResponseWriter, r *http.Request) error {
	return sp.adminSharing(w, r, http.StatusOK, nil, nil)
}

func (sp *SharingPages) adminSharing(w http.ResponseWriter, r *http.Request, status int, cause error, typed *sharing.Policy) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	v := &AdminSharingView{Layout: Layout{Title: "Sharing", Section: "admin"}}
	if v.Policy, err = sp.svc.Policy(r.Context()); err != nil {
		return err
	}
	if v.Guests, err = sp.svc.Guests(r.Context(), a.P); err != nil {
		return err
	}
	if typed != nil {
		v.Policy = *typed
	}
	if cause != nil {
		v.Title, v.Error = "Error: "+v.Title, lectern.ErrorMessage(cause)
	} else {
		v.Notice = linkNotice(r)
	}
	return sp.render(w, r, status, "admin_sharing", v)
}

// SaveSharingPolicy serves POST /admin/sharing.
func (sp *SharingPages) SaveSharingPolicy(w http.ResponseWriter, r *http.Request) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	p := sharing.Policy{
		AllowAnonymous:   r.PostFormValue("allow_anonymous") != "",
		PasswordRequired: r.PostFormValue("password_required") != "",
		GuestsEnabled:    r.PostFormValue("guests_enabled") != "",
		GuestBlockedDomains: strings.FieldsFunc(r.PostFormValue("guest_blocked_domains"), func(c rune) bool {
			return c == '\n' || c == '\r' || c == ',' || c == ' ' || c == '\t'
		}),
		DefaultSpike: lectern.SpikeRule{Action: lectern.SpikeAction(r.PostFormValue("spike_action"))},
	}
	days, err1 := strconv.Atoi(orDefault(strings.TrimSpace(r.PostFormValue("max_expiry_days")), "0"))
	n, err2 := strconv.Atoi(orDefault(strings.TrimSpace(r.PostFormValue("spike_max")), "0"))
	hours, err3 := strconv.Atoi(orDefault(strings.TrimSpace(r.PostFormValue("spike_hours")), "0"))
	if err1 != nil || err2 != nil || err3 != nil {
		return sp.adminSharing(w, r, http.StatusBadRequest, lectern.Errorf(lectern.EInvalid, "Days, devices and hours must be whole numbers."), &p)
	}
	p.MaxExpiry = time.Duration(days) * 24 * time.Hour
	p.DefaultSpike.MaxDistinct, p.DefaultSpike.Window = n, time.Duration(hours)*time.Hour
	if _, err := sp.svc.SetPolicy(r.Context(), a.P, a.Addr, p); err != nil {
		if status, ok := formError(err); ok {
			return sp.adminSharing(w, r, status, err, &p)
		}
		return err
	}
	return done(w, r, "/admin/sharing", "policy")
}

// RevokeGuestAccount serves POST /admin/guests/{id}/revoke.
func (sp *SharingPages) RevokeGuestAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := sp.actor(r)
	if err != nil {
		return err
	}
	if err := sp.svc.RevokeGuest(r.Context(), a.P, a.Addr, r.PathValue("id")); err != nil {
		if status, ok := formError(err); ok {
			return sp.adminSharing(w, r, status, err, nil)
		}
		return err
	}
	return done(w, r, "/admin/sharing", "guest")
}
