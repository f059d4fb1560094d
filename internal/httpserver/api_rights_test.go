package httpserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// The rights test walks every route under /api/v1/ (read from the route
// table, so a new route is covered the day it is added) and checks that
//
//   - without credentials it answers 401 with the JSON error, and
//   - with a valid token of a user who has no rights on the fixture's
//     folders, sessions and groups it answers 403 with the JSON error and
//     none of the fixture's data (not 404, not 500, not 200 with data),
//
// and, so that a 403 proves a refusal rather than a broken route, that a
// site admin's token gets past it (any answer but 401, 403, 404 or 5xx).
//
// Routes about the caller's own things (their folders, groups, audit
// events) have nothing to refuse: they must answer 2xx without fixture
// data. The API's rule (see the OpenAPI description) is 403 for a resource
// that exists but that the caller may not see or act on; 404 only for one
// that does not exist.

// rightsCall says how to call a route for the rights test. Placeholders
// in Query and Body: {folder}, {sub}, {session}, {group}, {owner},
// {member}, {stranger_email}.
type rightsCall struct {
	Query string // without "?"
	Body  string
	// Own marks a route about the caller's own things: 2xx for anyone,
	// with no fixture data. Forbidden, when set, is a call of the same
	// route that reaches into the fixture and must be 403.
	Own       bool
	Forbidden *rightsCall
	// Public routes read no credentials (the OpenAPI document).
	Public bool
	// Method is the method to call a pattern that has none with.
	Method string
	// Skip explains why a route is left out; it must say why.
	Skip string
}

// rightsCalls are the routes that need more than the default call (no
// query, body "{}", path parameters filled from the fixture).
var rightsCalls = map[string]rightsCall{
	"GET /api/v1/openapi.json": {Public: true},
	"GET /api/v1/me":           {Own: true},
	"GET /api/v1/folders":      {Own: true},
	"POST /api/v1/folders": {Own: true, Body: `{"name":"Mine"}`,
		Forbidden: &rightsCall{Body: `{"name":"Mine","parent_id":"{folder}"}`}},
	"GET /api/v1/sessions": {Own: true},
	"POST /api/v1/sessions": {Own: true, Body: `{"title":"Mine"}`,
		Forbidden: &rightsCall{Body: `{"title":"Mine","folder_id":"{folder}"}`}},
	"GET /api/v1/groups":      {Own: true},
	"POST /api/v1/groups":     {Own: true, Body: `{"name":"Mine"}`},
	"GET /api/v1/approvals":   {Own: true},
	"GET /api/v1/recycle-bin": {Own: true},
	"GET /api/v1/audit": {Own: true,
		Forbidden: &rightsCall{Query: "owner_id={owner}"}},

	"PATCH /api/v1/folders/{id}":        {Body: `{"name":"Renamed"}`},
	"POST /api/v1/folders/{id}/move":    {Body: `{"parent_id":null}`},
	"POST /api/v1/folders/{id}/grants":  {Body: `{"user_email":"{stranger_email}","role":"viewer"}`},
	"PATCH /api/v1/sessions/{id}":       {Body: `{"title":"Renamed"}`},
	"POST /api/v1/sessions/{id}/move":   {Body: `{"folder_id":"{sub}"}`},
	"POST /api/v1/sessions/{id}/grants": {Body: `{"user_email":"{stranger_email}","role":"viewer"}`},
	"POST /api/v1/sessions/{id}/return": {Body: `{"comment":"Please trim the start."}`},
	"POST /api/v1/groups/{id}/members":  {Body: `{"user_email":"{stranger_email}"}`},
}

// fill replaces the placeholders of path parameters and call templates
// with the fixture's ids. It reports false for a path parameter it does
// not know: such a route needs an entry in rightsCalls.
func fill(r apiRoute, w world, strangerEmail, s string) (string, bool) {
	known := true
	kind := ""
	switch {
	case strings.HasPrefix(r.Path, "/api/v1/folders/"):
		kind = "folder"
	case strings.HasPrefix(r.Path, "/api/v1/sessions/"):
		kind = "session"
	case strings.HasPrefix(r.Path, "/api/v1/groups/"):
		kind = "group"
	}
	out := pathParam.ReplaceAllStringFunc(s, func(m string) string {
		switch strings.Trim(m, "{}.") {
		case "id":
			switch kind {
			case "folder":
				return w.folder.ID
			case "session":
				return w.session.ID
			case "group":
				return w.group.ID
			}
		case "grant_id":
			switch kind {
			case "folder":
				return w.folderGrant.ID
			case "session":
				return w.sessionGrant.ID
			}
		case "user_id":
			return w.member.ID
		case "folder":
			return w.folder.ID
		case "sub":
			return w.sub.ID
		case "session":
			return w.session.ID
		case "group":
			return w.group.ID
		case "owner":
			return w.owner.ID
		case "member":
			return w.member.ID
		case "stranger_email":
			return strangerEmail
		}
		known = false
		return m
	})
	return out, known
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

func TestEveryAPIRouteRefusesAnonymousCallersAndCallersWithoutRights(t *testing.T) {
	t.Parallel()
	routes := apiRoutes(t)
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		stranger, admin := s.token(s.user), s.token(s.admin)
		served, err := httpserver.NewRouteMatcher(s.deps)
		testkit.Must(t, err, "route matcher")
		for i, r := range routes {
			t.Run(r.Pattern, func(t *testing.T) {
				spec, listed := rightsCalls[r.Pattern]
				if spec.Skip != "" {
					t.Skip(spec.Skip)
				}
				method := orDefault(r.Method, spec.Method)
				w := s.newWorld(fmt.Sprintf("w%02d", i))
				if path, _ := fill(r, w, userEmail, r.Path); served(httptest.NewRequest(orDefault(method, http.MethodPost), path, nil)) != r.Pattern {
					t.Skipf("%q is not in this test site's route table: the service it needs is not set in newSite's Deps", r.Pattern)
				}
				if method == "" {
					t.Fatalf("%q answers every method; add it to rightsCalls with the Method to test it with", r.Pattern)
				}
				call := func(c rightsCall, token string) (response, string) {
					t.Helper()
					path, ok := fill(r, w, userEmail, r.Path)
					query, ok2 := fill(r, w, userEmail, c.Query)
					body, ok3 := fill(r, w, userEmail, orDefault(c.Body, "{}"))
					if !ok || !ok2 || !ok3 || placeholder.MatchString(path) {
						t.Fatalf("%q has a path parameter this test does not know: add the route to rightsCalls", r.Pattern)
					}
					if method == http.MethodGet || method == http.MethodDelete || method == http.MethodHead {
						body = ""
					}
					if query != "" {
						path += "?" + query
					}
					return s.apiDo(t, method, path, token, body), method + " " + path
				}

				// No credentials: 401, always, with the JSON error.
				resp, what := call(spec, "")
				if spec.Public {
					if resp.status != http.StatusOK {
						t.Errorf("public %s: %d", what, resp.status)
					}
					return
				}
				wantStatus(t, what+" without a token", resp, http.StatusUnauthorized)
				if e := decodeError(t, resp); e.Error.Code != "unauthorized" {
					t.Errorf("%s without a token: code %q", what, e.Error.Code)
				}

				forbidden := spec
				if spec.Own {
					resp, what = call(spec, stranger)
					if resp.status < 200 || resp.status > 299 {
						t.Errorf("%s (the caller's own things) with a token: %d, want 2xx:\n%s", what, resp.status, resp.body)
					}
					noSecrets(t, what, resp, w)
					if spec.Forbidden == nil {
						return
					}
					forbidden = *spec.Forbidden
				} else if !listed && !strings.Contains(r.Path, "{") {
					t.Fatalf("%q has no path parameter and is not in rightsCalls: say there whether it is Own (and how to make it reach into the fixture) or Public", r.Pattern)
				}

				// A valid token without rights: 403 and nothing else.
				resp, what = call(forbidden, stranger)
				wantStatus(t, what+" with a token that lacks the right", resp, http.StatusForbidden)
				if e := decodeError(t, resp); e.Error.Code != "forbidden" {
					t.Errorf("%s: code %q", what, e.Error.Code)
				}
				noSecrets(t, what, resp, w)

				// A site admin gets past the refusal: the 403 was about rights.
				resp, what = call(forbidden, admin)
				switch {
				case resp.status == http.StatusUnauthorized, resp.status == http.StatusForbidden,
					resp.status == http.StatusNotFound, resp.status >= 500:
					t.Errorf("%s as an admin: %d, want it to get past the access check:\n%s", what, resp.status, resp.body)
				}
			})
		}
	})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func noSecrets(t *testing.T, what string, r response, w world) {
	t.Helper()
	for _, secret := range w.secrets() {
		if strings.Contains(r.body, secret) {
			t.Errorf("%s: the answer contains %q, which the caller may not see:\n%s", what, secret, r.body)
		}
	}
}
