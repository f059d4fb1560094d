package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Settings returns every row of the settings table as key → value. A key
// that was never written is simply absent; the caller supplies defaults.
func (db *DB) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := db.Query(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	defer rows.Close()
	values := make(map[string]string)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("read settings: %w", err)
		}
		values[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	return values, nil
}

// PutSettings writes the given keys in one transaction, inserting or
// replacing each, and records when and by whom (a user id; empty for the
// system). Keys not named are left as they are.
func (db *DB) PutSettings(ctx context.Context, values map[string]string, at time.Time, byUserID string) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable order keeps concurrent writers from deadlocking on PostgreSQL
	return db.InTx(ctx, func(tx *Tx) error {
		for _, k := range keys {
			_, err := tx.Exec(ctx, `
INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				k, values[k], at.UnixMilli(), byUserID)
			if err != nil {
				return fmt.Errorf("write setting %s: %w", k, err)
			}
		}
		return nil
	})
}
