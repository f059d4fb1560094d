package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// ForgotView asks for the address to send a reset link to.
type ForgotView struct {
	Layout
	Email string
	Error string
	Sent  bool // show the confirmation instead of the form
}

// ForgotForm serves GET /password/forgot.
func (p *Pages) ForgotForm(w http.ResponseWriter, r *http.Request) error {
	return p.render(w, r, http.StatusOK, "forgot", &ForgotView{Layout: Layout{Title: "Forgot your password?"}})
}

// Forgot serves POST /password/forgot. The answer is the same whether or
// not an account exists, so the page cannot be used to find accounts.
func (p *Pages) Forgot(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	v := &ForgotView{Layout: Layout{Title: "Forgot your password?"}, Email: email}
	err := p.cfg.Identity.RequestPasswordReset(r.Context(), email, request.ClientAddr(r))
	switch lectern.ErrorCodeOf(err) {
	case lectern.EInvalid:
		v.Error, v.Title = lectern.ErrorMessage(err), "Error: "+v.Title
		return p.render(w, r, http.StatusBadRequest, "forgot", v)
	case lectern.ETooMany:
		wait := lectern.RetryAfterOf(err)
		w.Header().Set("Retry-After", fmt.Sprint(max(wait, 1)))
		v.Error, v.Title = "Too many requests for a new password. Wait "+waitWords(wait)+", then try again.", "Error: "+v.Title
		return p.render(w, r, http.StatusTooManyRequests, "forgot", v)
	case lectern.ENotFound, lectern.EUnauthorized, lectern.EForbidden:
		// No such (usable) account: say the same as for one that exists.
	default:
		if err != nil {
			return fmt.Errorf("request password reset: %w", err)
		}
	}
	v.Sent, v.Email = true, ""
	return p.render(w, r, http.StatusOK, "forgot", v)
}
