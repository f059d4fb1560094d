package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sitesettings"
)

// SettingsView edits the site settings and shows read-only facts.
type SettingsView struct {
	Layout
	Form  sitesettings.Settings
	Error string
	Saved bool
	Facts []Fact
}

// Fact is one read-only line about the running site.
type Fact struct{ Name, Value string }

// SettingsForm serves GET /admin/settings (admins only).
func (p *Pages) SettingsForm(w http.ResponseWriter, r *http.Request) error {
	s, err := p.cfg.Settings.Get(r.Context())
	if err != nil {
		return err
	}
	v := &SettingsView{Layout: Layout{Title: "Site settings", Section: "admin"}, Form: s, Saved: r.URL.Query().Has("saved")}
	if v.Facts, err = p.facts(r.Context()); err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "admin_settings", v)
}

// SaveSettings serves POST /admin/settings (admins only). Invalid input
// shows the form again, as typed, with status 400.
func (p *Pages) SaveSettings(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	form := sitesettings.Settings{
		SiteName:     r.PostFormValue("site_name"),
		SupportEmail: r.PostFormValue("support_email"),
	}
	err = p.cfg.Settings.Update(r.Context(), form, u.ID)
	if lectern.ErrorCodeOf(err) == lectern.EInvalid {
		v := &SettingsView{Layout: Layout{Title: "Error: Site settings", Section: "admin"}, Form: form, Error: lectern.ErrorMessage(err)}
		if v.Facts, err = p.facts(r.Context()); err != nil {
			return err
		}
		return p.render(w, r, http.StatusBadRequest, "admin_settings", v)
	}
	if err != nil {
		return err
	}
	p.log.InfoContext(r.Context(), "site settings changed", "by", u.ID)
	return seeOther(w, r, "/admin/settings?saved=1")
}

func (p *Pages) facts(ctx context.Context) ([]Fact, error) {
	users, err := p.cfg.Identity.CountUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("count users: %w", err)
	}
	secure := "No: the base URL is not https, so cookies are sent over plain HTTP too"
	if p.cfg.SecureCookies {
		secure = "Yes"
	}
	return []Fact{
		{"Base URL", p.cfg.BaseURL},
		{"Cookies marked Secure", secure},
		{"Accounts", fmt.Sprint(users)},
	}, nil
}
