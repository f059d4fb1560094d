package web

import (
	"fmt"
	"net/http"

	"github.com/lectern-edu/lectern"
)

// ResetView sets a new password with the token from the emailed link.
type ResetView struct {
	Layout
	Token string // "" means the link was incomplete
	Error string
	Done  bool
}

// ResetForm serves GET /password/reset?token=….
func (p *Pages) ResetForm(w http.ResponseWriter, r *http.Request) error {
	v := &ResetView{Layout: Layout{Title: "Choose a new password"}, Token: r.URL.Query().Get("token")}
	return p.render(w, r, http.StatusOK, "reset", v)
}

// Reset serves POST /password/reset: both passwords must match, then
// identity checks the token and the password's strength.
func (p *Pages) Reset(w http.ResponseWriter, r *http.Request) error {
	v := &ResetView{Layout: Layout{Title: "Choose a new password"}, Token: r.PostFormValue("token")}
	if v.Token == "" {
		return p.render(w, r, http.StatusBadRequest, "reset", v)
	}
	password := r.PostFormValue("password")
	if password != r.PostFormValue("confirm") {
		v.Error, v.Title = "The two passwords do not match. Type the same password in both boxes.", "Error: "+v.Title
		return p.render(w, r, http.StatusBadRequest, "reset", v)
	}
	err := p.cfg.Identity.ResetPassword(r.Context(), v.Token, password)
	switch lectern.ErrorCodeOf(err) {
	case lectern.EInvalid, lectern.ENotFound, lectern.EUnauthorized:
		v.Error, v.Title = lectern.ErrorMessage(err), "Error: "+v.Title
		return p.render(w, r, http.StatusBadRequest, "reset", v)
	default:
		if err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
	}
	v.Done, v.Token = true, ""
	return p.render(w, r, http.StatusOK, "reset", v)
}
