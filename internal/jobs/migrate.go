package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Migrate creates or upgrades River's own tables (river_job, river_leader,
// river_queue, …) in db, beside Lectern's. It is idempotent: a database
// already at River's latest version is left as it is. On PostgreSQL the
// tables go in the connection's current schema (search_path).
func Migrate(ctx context.Context, db *sqlstore.DB) error {
	var err error
	switch db.Dialect {
	case sqlstore.Postgres:
		if db.Pool == nil {
			return errors.New("jobs: PostgreSQL database has no pgx pool")
		}
		err = migrateUp(ctx, riverpgxv5.New(db.Pool))
	case sqlstore.SQLite:
		if db.JobsDB == nil {
			return errors.New("jobs: SQLite database has no single-connection jobs handle")
		}
		err = migrateUp(ctx, riversqlite.New(db.JobsDB))
	default:
		return fmt.Errorf("jobs: unsupported database engine %q", db.Dialect)
	}
	if err != nil {
		return fmt.Errorf("jobs: migrate river tables in %s: %w", db.Where, err)
	}
	return nil
}

func migrateUp[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
