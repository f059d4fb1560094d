package httpserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// decodeError checks the JSON error shape strictly: one "error" object
// with exactly "code" and "message".
func decodeError(t *testing.T, r response) apiError {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json; body:\n%s", ct, r.body)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil || len(raw) != 1 || len(raw["error"]) != 2 {
		t.Fatalf("error body %s is not {\"error\":{\"code\",\"message\"}} (%v)", r.body, err)
	}
	var e apiError
	testkit.Must(t, json.Unmarshal([]byte(r.body), &e), "decode error")
	return e
}

func TestAPIMeReturnsTheCaller(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		secret, _, err := s.identity.CreateAPIToken(context.Background(), s.admin.ID, "script")
		testkit.Must(t, err, "create token")

		r := s.apiGet("/api/v1/me", secret)
		wantStatus(t, "GET /api/v1/me with a token", r, http.StatusOK)
		var me map[string]any
		testkit.Must(t, json.Unmarshal([]byte(r.body), &me), "decode %s", r.body)
		want := map[string]any{"id": s.admin.ID, "email": adminEmail, "name": "Ada Admin", "is_admin": true}
		if len(me) != len(want) {
			t.Errorf("me = %v, want exactly %v", me, want)
		}
		for k, v := range want {
			if me[k] != v {
				t.Errorf("me[%q] = %v, want %v", k, me[k], v)
			}
		}

		// A browser signed in with a session cookie may call it too.
		b := s.browser()
		b.signIn(userEmail, userPassword)
		r = b.get("/api/v1/me")
		wantStatus(t, "GET /api/v1/me with a session cookie", r, http.StatusOK)
		wantContains(t, "me by cookie", r.body, `"email":"`+userEmail+`"`, `"is_admin":false`)
	})
}

func TestAPIRefusesMissingOrBadCredentialsWithJSON401(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, authorization string }{
		{"no credentials", ""},
		{"unknown token", "Bearer lct_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"malformed token", "Bearer nope"},
		{"basic auth", "Basic YWRhOnB3"},
	}
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/api/v1/me", nil)
				if tc.authorization != "" {
					req.Header.Set("Authorization", tc.authorization)
				}
				resp, err := http.DefaultClient.Do(req)
				testkit.Must(t, err, "GET /api/v1/me")
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				r := response{status: resp.StatusCode, header: resp.Header, body: string(body)}
				wantStatus(t, "GET /api/v1/me", r, http.StatusUnauthorized)
				if e := decodeError(t, r); e.Error.Code != "unauthorized" || e.Error.Message == "" {
					t.Errorf("error = %+v", e)
				}
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			})
		}
	})
}

func TestUnknownAPIPathsAreJSON404(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		for _, path := range []string{"/api/v1/nope", "/api/v1/", "/api/v2/me"} {
			r := s.apiGet(path, "")
			wantStatus(t, "GET "+path, r, http.StatusNotFound)
			if e := decodeError(t, r); e.Error.Code != "not_found" {
				t.Errorf("GET %s: code %q", path, e.Error.Code)
			}
		}
	})
}

func TestOpenAPIDocumentDescribesTheAPI(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		r := s.apiGet("/api/v1/openapi.json", "")
		wantStatus(t, "GET /api/v1/openapi.json", r, http.StatusOK)
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Servers []struct{ URL string }    `json:"servers"`
			Paths   map[string]map[string]any `json:"paths"`
			Comps   struct {
				Schemas         map[string]any `json:"schemas"`
				SecuritySchemes map[string]struct {
					Type, Scheme string
				} `json:"securitySchemes"`
			} `json:"components"`
		}
		testkit.Must(t, json.Unmarshal([]byte(r.body), &doc), "decode document")
		if doc.OpenAPI != "3.1.0" {
			t.Errorf("openapi = %q", doc.OpenAPI)
		}
		if len(doc.Servers) != 1 || doc.Servers[0].URL != s.srv.URL {
			t.Errorf("servers = %+v, want the base URL %s", doc.Servers, s.srv.URL)
		}
		if _, ok := doc.Comps.Schemas["Error"]; !ok {
			t.Error("no Error schema")
		}
		if b := doc.Comps.SecuritySchemes["bearerAuth"]; b.Type != "http" || b.Scheme != "bearer" {
			t.Errorf("bearerAuth = %+v", b)
		}
		// Every documented GET answers (not 404) for a token holder.
		secret, _, err := s.identity.CreateAPIToken(context.Background(), s.user.ID, "docs")
		testkit.Must(t, err, "create token")
		for path, ops := range doc.Paths {
			if _, ok := ops["get"]; !ok || strings.Contains(path, "{") {
				continue
			}
			if got := s.apiGet(path, secret); got.status != http.StatusOK {
				t.Errorf("documented GET %s answers %d", path, got.status)
			}
		}
		if _, ok := doc.Paths["/api/v1/me"]; !ok {
			t.Error("/api/v1/me is not documented")
		}
	})
}
