// Package testkit holds fixtures for Lectern's tests: databases on both
// engines, and emulators of the outside services (SMTP, S3, LMS, Zoom)
// served over real sockets on loopback.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// DefaultPostgresURL is used when LECTERN_TEST_POSTGRES_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// InCI reports whether the suite runs under CI=true, where nothing that CI
// is meant to prove may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// PostgresURL returns the base URL of the test PostgreSQL server.
func PostgresURL() string {
	if u := os.Getenv("LECTERN_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Engines lists the database engines every store test runs on.
var Engines = []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres}

// EachDB runs fn once per engine, each in its own subtest with its own
// freshly migrated database. The PostgreSQL case skips with a clear message
// when no server answers, except under CI=true where it fails.
func EachDB(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, engine := range Engines {
		t.Run(string(engine), func(t *testing.T) {
			fn(t, OpenDB(t, engine))
		})
	}
}

// OpenDB returns a freshly migrated database of the given engine, closed
// and dropped when the test ends.
func OpenDB(t testing.TB, engine sqlstore.Dialect) *sqlstore.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var databaseURL string
	switch engine {
	case sqlstore.SQLite:
		databaseURL = "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case sqlstore.Postgres:
		databaseURL = PostgresSchema(t)
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	db, err := sqlstore.Open(ctx, databaseURL, "")
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return db
}

// PostgresSchema creates an empty schema on the test server and returns a
// URL whose connections use it, so that tests can run in parallel. The
// schema is dropped when the test ends.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if InCI() {
			t.Fatalf("PostgreSQL at %s is required under CI=true: %v", sqlstore.Redact(base), err)
		}
		t.Skipf("PostgreSQL not reachable at %s (set LECTERN_TEST_POSTGRES_URL); skipping: %v", sqlstore.Redact(base), err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", sqlstore.Redact(base), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Must fails the test on a non-nil error; it keeps fixtures short.
func Must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
