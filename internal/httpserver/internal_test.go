package httpserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern"
	accesssvc "github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/sitesettings"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func newTestServer(t *testing.T) (*server, *bytes.Buffer) {
	t.Helper()
	db := testkit.OpenDB(t, sqlstore.SQLite)
	var logs bytes.Buffer
	acc := accesssvc.New(db, nil, accesssvc.Options{})
	s, err := newServer(Deps{
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
		Identity: identity.New(db, nil, identity.Options{Params: identity.TestParams}),
		Outbox:   notify.NewOutbox(db, nil, notify.SMTPConfig{}, nil, nil),
		Settings: sitesettings.New(db, nil),
		Access:   acc,
		Catalog:  catalog.New(db, nil, catalog.WithAccess(acc)),
		BaseURL:  "http://lectern.test",
	})
	testkit.Must(t, err, "newServer")
	return s, &logs
}

func TestPanicsBecomeA500PageAndAreLogged(t *testing.T) {
	t.Parallel()
	s, logs := newTestServer(t)
	h := s.observe(s.securityHeaders(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom: secret internal detail")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/videos", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "boom") || !strings.Contains(rec.Body.String(), "Something went wrong on our side.") {
		t.Errorf("500 page:\n%s", rec.Body.String())
	}
	if !strings.Contains(logs.String(), "boom: secret internal detail") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("log:\n%s", logs.String())
	}
}

func TestCSRFExemptsBearerAPICallsOnly(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := s.observe(s.csrf(ok))
	cases := []struct {
		name, path string
		headers    map[string]string
		want       int
	}{
		{"bearer API call from a script", "/api/v1/things", map[string]string{"Authorization": "Bearer lct_x", "Content-Type": "application/json"}, http.StatusNoContent},
		{"bearer on a page is not an exemption", "/logout", map[string]string{"Authorization": "Bearer lct_x", "Cookie": "lectern_session=s"}, http.StatusForbidden},
		{"cookie-authenticated API call without the header", "/api/v1/things", map[string]string{"Cookie": "lectern_session=s; lectern_csrf=" + strings.Repeat("A", 43), "Content-Type": "application/json"}, http.StatusForbidden},
		{"cookie-authenticated API call with the header", "/api/v1/things", map[string]string{"Cookie": "lectern_session=s; lectern_csrf=" + strings.Repeat("A", 43), request.CSRFHeader: strings.Repeat("A", 43), "Content-Type": "application/json"}, http.StatusNoContent},
		{"JSON without any cookie (a webhook)", "/integrations/hook", map[string]string{"Content-Type": "application/json"}, http.StatusNoContent},
		{"anonymous form post", "/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusForbidden},
		{"text/plain post (a classic CSRF trick)", "/login", map[string]string{"Content-Type": "text/plain", "Cookie": "lectern_csrf=" + strings.Repeat("A", 43)}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader("{}"))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d:\n%s", rec.Code, tc.want, rec.Body.String())
			}
		})
	}
}

func TestStatusOfCoversEveryErrorCode(t *testing.T) {
	t.Parallel()
	want := map[lectern.ErrorCode]int{
		lectern.EInvalid: 400, lectern.EUnauthorized: 401, lectern.EForbidden: 403, lectern.ENotFound: 404,
		lectern.EConflict: 409, lectern.ETooLarge: 413, lectern.ETooMany: 429, lectern.EUnavailable: 503,
		lectern.EInternal: 500, "something-new": 500,
	}
	for code, status := range want {
		if got := request.Status(code); got != status {
			t.Errorf("request.Status(%q) = %d, want %d", code, got, status)
		}
	}
}

func TestTooManyRequestsCarryRetryAfterInJSON(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	h := s.observe(s.api(public, func(http.ResponseWriter, *http.Request) error {
		return &lectern.Error{Code: lectern.ETooMany, Message: "Slow down.", RetryAfter: 42}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil))
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "42" ||
		strings.TrimSpace(rec.Body.String()) != `{"error":{"code":"too_many","message":"Slow down."}}` {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}
}
