package web

import (
	"fmt"
	"net/http"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
)

// Logout serves POST /logout: it ends the login session in the database,
// so the cookie stops working everywhere, clears it and goes to /login.
func (p *Pages) Logout(w http.ResponseWriter, r *http.Request) error {
	if token := request.SessionToken(r); token != "" {
		err := p.cfg.Identity.EndSession(r.Context(), token)
		switch lectern.ErrorCodeOf(err) {
		case lectern.EUnauthorized, lectern.ENotFound:
			// Already gone: signing out is done.
		default:
			if err != nil {
				return fmt.Errorf("end session: %w", err)
			}
		}
	}
	request.ClearSessionCookie(w, p.cfg.SecureCookies)
	return seeOther(w, r, "/login")
}
