package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestMigrateIsIdempotentAndTablesExist(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		for _, table := range []string{"users", "login_sessions", "api_tokens", "password_resets", "rate_events", "outbox", "settings", "folders"} {
			var n int
			if err := db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				t.Errorf("table %s: %v", table, err)
			}
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		insert := "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
		if _, err := db.Exec(ctx, insert, "k", "v", 1); err != nil {
			t.Fatal(err)
		}
		_, err := db.Exec(ctx, insert, "k", "w", 2)
		if !sqlstore.IsUniqueViolation(err) {
			t.Fatalf("want unique violation, got %v", err)
		}
	})
}

func TestTransactionRollsBackOnError(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *sqlstore.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", "a", "b", 1); err != nil {
				return err
			}
			return lectern.Errorf(lectern.EConflict, "stop")
		})
		if lectern.ErrorCodeOf(err) != lectern.EConflict {
			t.Fatalf("want conflict, got %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM settings").Scan(&n); err != nil || n != 0 {
			t.Fatalf("rollback: n=%d err=%v", n, err)
		}
	})
}

func TestUnreachablePostgresNamesURLWithoutPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := sqlstore.Open(ctx, "postgres://lectern:s3cretpw@127.0.0.1:1/lectern?connect_timeout=2", "")
	if err == nil {
		t.Fatal("want error")
	}
	msg := lectern.ErrorMessage(err) + " " + err.Error()
	if strings.Contains(msg, "s3cretpw") {
		t.Fatalf("password leaked: %s", msg)
	}
	if !strings.Contains(msg, "127.0.0.1:1") {
		t.Fatalf("message does not name the address: %s", msg)
	}
}

func TestUnknownDatabaseURLIsInvalid(t *testing.T) {
	t.Parallel()
	_, err := sqlstore.Open(context.Background(), "mysql://x", "")
	if lectern.ErrorCodeOf(err) != lectern.EInvalid {
		t.Fatalf("want invalid, got %v", err)
	}
}
