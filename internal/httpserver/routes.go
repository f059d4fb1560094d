package httpserver

import (
	"net/http"

	"github.com/lectern-edu/lectern"
)

// routes is the whole URL space. Each page or API route names who may use
// it: public (no credentials read), anyone (signed in or not), signedIn,
// admin. Anonymous visitors to a signedIn or admin page are sent to /login.
func (s *server) routes(mux *http.ServeMux) {
	// Operations: no sessions and, except for /readyz's checks, no database.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.handler)
	mux.Handle("GET /static/{file}", s.page(public, s.pages.Static))

	// Pages.
	mux.Handle("GET /{$}", s.page(anyone, s.pages.Home))
	mux.Handle("GET /login", s.page(anyone, s.pages.LoginForm))
	mux.Handle("POST /login", s.page(anyone, s.pages.Login))
	mux.Handle("POST /logout", s.page(anyone, s.pages.Logout))
	mux.Handle("GET /password/forgot", s.page(anyone, s.pages.ForgotForm))
	mux.Handle("POST /password/forgot", s.page(anyone, s.pages.Forgot))
	mux.Handle("GET /password/reset", s.page(anyone, s.pages.ResetForm))
	mux.Handle("POST /password/reset", s.page(anyone, s.pages.Reset))
	mux.Handle("GET /videos", s.page(signedIn, s.pages.Videos))
	mux.Handle("GET /admin/settings", s.page(admin, s.pages.SettingsForm))
	mux.Handle("POST /admin/settings", s.page(admin, s.pages.SaveSettings))
	mux.Handle("GET /admin/users", s.page(admin, s.pages.Users))
	mux.Handle("GET /admin/outbox", s.page(admin, s.pages.Outbox))
	mux.Handle("GET /admin/outbox/{id}", s.page(admin, s.pages.OutboxMail))

	// JSON API v1 (described in api/openapi.json).
	mux.Handle("GET /api/v1/me", s.api(signedIn, s.v1.Me))
	mux.Handle("GET /api/v1/openapi.json", s.api(public, s.v1.OpenAPI))

	// Folders, sessions, sharing, approvals, audit: pages and API.
	s.catalogRoutes(mux)

	// Uploads (tus), playback under tokens, processing progress, viewing analytics.
	s.mediaRoutes(mux)

	// LMS integration: LTI login, launches, keys, picker, course and admin pages.
	s.ltiRoutes(mux)

	// Sharing outside the institution: /s/{token} links, invitations, guests.
	s.sharingRoutes(mux)

	// Everything else: a 404 page, or a JSON 404 under /api/.
	mux.Handle(catchAll, s.page(anyone, notFound))
}

// catchAll matches whatever no other pattern does; metrics label it
// "unmatched" so that scanners cannot blow up the route label's cardinality.
const catchAll = "/"

func notFound(http.ResponseWriter, *http.Request) error {
	return lectern.Errorf(lectern.ENotFound, "There is nothing at this address. Check it for typing mistakes, or start again from the home page.")
}
