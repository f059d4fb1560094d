package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// SiteSecret returns the secret called name, first storing generate()'s
// value if there is none yet. Every node calling it at once gets the same
// value: the first insert wins and the others read it.
func (db *DB) SiteSecret(ctx context.Context, name string, generate func() string, now time.Time) (string, error) {
	if _, err := db.Exec(ctx, `INSERT INTO site_secrets (name, value, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, name, generate(), Millis(now)); err != nil {
		return "", fmt.Errorf("create site secret %s: %w", name, err)
	}
	var v string
	if err := db.QueryRow(ctx, `SELECT value FROM site_secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return "", NotFound(err, "site secret "+name)
	}
	return v, nil
}
