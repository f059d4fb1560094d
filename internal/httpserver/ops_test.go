package httpserver_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestHealthzAnswersOK(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		r := s.apiGet("/healthz", "")
		wantStatus(t, "GET /healthz", r, http.StatusOK)
		if r.body != "ok" {
			t.Errorf("body %q, want ok", r.body)
		}
	})
}

func TestReadyzNamesTheFailingCheck(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		healthy := newSite(t, db)
		r := healthy.apiGet("/readyz", "")
		wantStatus(t, "GET /readyz, all well", r, http.StatusOK)
		if r.body != "ok" {
			t.Errorf("body %q, want ok", r.body)
		}

		sick := newSite(t, db, withDeps(func(d *httpserver.Deps) {
			d.Ready = append(d.Ready,
				httpserver.ReadyCheck{Name: "blob store", Check: func(context.Context) error { return errors.New("bucket lectern-media: connection refused") }},
				httpserver.ReadyCheck{Name: "slow thing", Check: func(ctx context.Context) error { <-ctx.Done(); time.Sleep(10 * time.Millisecond); return ctx.Err() }},
			)
		}))
		start := time.Now()
		r = sick.apiGet("/readyz", "")
		wantStatus(t, "GET /readyz, blob store down", r, http.StatusServiceUnavailable)
		wantContains(t, "readyz", r.body, "database: ok", "blob store: failed: bucket lectern-media: connection refused", "slow thing: failed")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("readyz took %s; checks must time out after 2 s", d)
		}
	})
}

func TestMetricsCountRequestsByRouteAndExportJobGauge(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		b.get("/login")
		b.get("/admin/outbox/some-id")      // 303 to /login: counted under its pattern
		b.get("/no/such/page?token=s3cr3t") // 404: counted as unmatched
		r := s.apiGet("/metrics", "")
		wantStatus(t, "GET /metrics", r, http.StatusOK)
		for _, re := range []string{
			`lectern_http_requests_total\{method="GET",route="GET /login",status="2xx"\} 1`,
			`lectern_http_requests_total\{method="GET",route="GET /admin/outbox/\{id\}",status="3xx"\} 1`,
			`lectern_http_requests_total\{method="GET",route="unmatched",status="4xx"\} 1`,
			`lectern_http_request_duration_seconds_bucket\{method="GET",route="GET /login",status="2xx",le="[^"]+"\} 1`,
			`lectern_jobs\{state="available"\} 2`,
			`lectern_jobs\{state="running"\} 1`,
		} {
			if !regexp.MustCompile(re).MatchString(r.body) {
				t.Errorf("metrics lack %s", re)
			}
		}
		if strings.Contains(r.body, "some-id") || strings.Contains(r.body, "s3cr3t") {
			t.Error("metrics carry raw paths")
		}
	})
}

func TestRequestLogNamesRoutesButNoSecrets(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		b := s.browser()
		b.signIn(userEmail, userPassword)
		b.get("/password/reset?token=very-secret-reset-token")
		logs := s.logs.String()
		for _, want := range []string{`route="POST /login"`, "status=303", `route="GET /password/reset"`, "duration=", "user_id=" + s.user.ID} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %q", want)
			}
		}
		for _, secret := range []string{userPassword, "very-secret-reset-token", b.cookie("lectern_session"), b.cookie("lectern_csrf")} {
			if secret != "" && strings.Contains(logs, secret) {
				t.Errorf("log contains the secret %q", secret)
			}
		}
	})
}
