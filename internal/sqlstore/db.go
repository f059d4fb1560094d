// Package sqlstore is Lectern's SQL layer. One set of queries and one set of
// migrations run on both SQLite (the embedded default, through the pure-Go
// modernc driver) and PostgreSQL (pgx). Queries are written with `?`
// placeholders and rebound for PostgreSQL.
//
// Portability choices, made once here so no query has to think about them:
// ids are TEXT (UUIDv7, sortable), times are BIGINT Unix milliseconds in UTC
// (identical comparison and indexing on both engines, no driver time
// formats), booleans are BOOLEAN.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/lectern-edu/lectern"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. Its embedded *sql.DB is for Lectern's own
// queries; Pool (PostgreSQL) and JobsDB (SQLite) are the handles the job
// queue's drivers need.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Pool is the pgx pool behind DB on PostgreSQL; nil on SQLite.
	Pool *pgxpool.Pool
	// JobsDB is a second SQLite handle limited to one connection, as the
	// River SQLite driver requires; nil on PostgreSQL.
	JobsDB *sql.DB
	// Where is the database location with any password removed, safe to
	// print in logs and errors.
	Where string
}

// Open connects to databaseURL: empty means SQLite at dataDir/lectern.db;
// "sqlite:PATH" or "sqlite://PATH" names another SQLite file; a
// "postgres://" or "postgresql://" URL selects PostgreSQL. It pings the
// database so that a wrong address fails here with a clear message.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	switch {
	case databaseURL == "":
		return openSQLite(ctx, filepath.Join(dataDir, "lectern.db"))
	case strings.HasPrefix(databaseURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(databaseURL, "sqlite://"))
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(databaseURL, "sqlite:"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(ctx, databaseURL)
	default:
		return nil, lectern.Errorf(lectern.EInvalid,
			"database URL %q is not understood: use postgres://user@host:5432/dbname, sqlite:/path/to/file.db, or leave it empty for the embedded database", Redact(databaseURL))
	}
}

func sqliteDSN(path string) string {
	// WAL lets readers run beside the writer; busy_timeout makes writers
	// queue instead of failing; _txlock=immediate takes the write lock at
	// BEGIN so two transactions never deadlock upgrading from read to write.
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(15000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory %s: %w", dir, err)
		}
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	jobs, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s for jobs: %w", path, err)
	}
	jobs.SetMaxOpenConns(1)
	return &DB{DB: db, Dialect: SQLite, JobsDB: jobs, Where: "sqlite:" + path}, nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	where := Redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, lectern.Errorf(lectern.EInvalid, "database URL %s is not valid: %s", where, redactErr(err, rawURL))
	}
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %s", where, redactErr(err, rawURL))
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, &lectern.Error{Code: lectern.EUnavailable,
			Message: fmt.Sprintf("cannot reach PostgreSQL at %s: %s", where, redactErr(err, rawURL))}
	}
	return &DB{DB: stdlib.OpenDBFromPool(pool), Dialect: Postgres, Pool: pool, Where: where}, nil
}

// Close closes every handle.
func (db *DB) Close() error {
	err := db.DB.Close()
	if db.JobsDB != nil {
		err = errors.Join(err, db.JobsDB.Close())
	}
	if db.Pool != nil {
		db.Pool.Close()
	}
	return err
}

// Redact returns a database or blob URL with its password replaced, for
// logs and error messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for _, k := range []string{"password", "secret", "secret_key", "secretKey"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// redactErr renders a driver error without the URL's password, which some
// drivers repeat in their messages.
func redactErr(err error, rawURL string) string {
	msg := err.Error()
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// NewID returns a new time-ordered identifier.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("database %s: %w", db.Where, err)
	}
	var one int
	if err := db.DB.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("database %s: %w", db.Where, err)
	}
	return nil
}
