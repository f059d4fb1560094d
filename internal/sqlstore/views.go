package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// InsertSessionView records that userID was given playback of a session
// at the given time, unless the same user already has a view of it at or
// after since (a reload is not a new view); it reports whether it counted.
func (db *DB) InsertSessionView(ctx context.Context, sessionID, userID string, at, since time.Time) (bool, error) {
	counted := false
	err := db.InTx(ctx, func(tx *Tx) error {
		if db.Dialect == Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 7295))", "view:"+sessionID+":"+userID); err != nil {
				return fmt.Errorf("lock views: %w", err)
			}
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM session_views WHERE session_id = ? AND user_id = ? AND at >= ?`,
			sessionID, userID, Millis(since)).Scan(&n); err != nil {
			return fmt.Errorf("read views of session %s: %w", sessionID, err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO session_views (id, session_id, user_id, at) VALUES (?, ?, ?, ?)`,
			NewID(), sessionID, userID, Millis(at)); err != nil {
			return fmt.Errorf("record view of session %s: %w", sessionID, err)
		}
		counted = true
		return nil
	})
	return counted, err
}

// SessionViewCounts returns how many views a session has had and from how
// many distinct viewers.
func (db *DB) SessionViewCounts(ctx context.Context, sessionID string) (views, viewers int64, err error) {
	err = db.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT user_id) FROM session_views WHERE session_id = ?`, sessionID).
		Scan(&views, &viewers)
	if err != nil {
		return 0, 0, fmt.Errorf("count views of session %s: %w", sessionID, err)
	}
	return views, viewers, nil
}

// ViewingProgress is one viewer's progress through one session.
type ViewingProgress struct {
	SessionID       string
	UserID          string
	PositionSeconds float64 // where to resume
	WatchedSeconds  int     // distinct seconds watched
	Watched         string  // bitmap of watched seconds, owned by package playback
	FirstAt         time.Time
	UpdatedAt       time.Time
}

const viewingColumns = `session_id, user_id, position_seconds, watched_seconds, watched, first_at, updated_at`

func scanViewing(scan func(...any) error) (ViewingProgress, error) {
	var v ViewingProgress
	var first, updated sql.NullInt64
	if err := scan(&v.SessionID, &v.UserID, &v.PositionSeconds, &v.WatchedSeconds, &v.Watched, &first, &updated); err != nil {
		return ViewingProgress{}, NotFound(err, "viewing progress")
	}
	v.FirstAt, v.UpdatedAt = Time(first), Time(updated)
	return v, nil
}

// ViewingProgressOf returns one viewer's progress through a session, or
// ENotFound when they have never reported any.
func (db *DB) ViewingProgressOf(ctx context.Context, sessionID, userID string) (ViewingProgress, error) {
	return scanViewing(db.QueryRow(ctx, `SELECT `+viewingColumns+` FROM viewing_progress WHERE session_id = ? AND user_id = ?`,
		sessionID, userID).Scan)
}

// UpdateViewingProgress reads one viewer's progress (a zero row the first
// time), lets update change it, and stores the result, all in one
// transaction so that concurrent reports do not lose each other's seconds.
func (db *DB) UpdateViewingProgress(ctx context.Context, sessionID, userID string, now time.Time, update func(*ViewingProgress)) (ViewingProgress, error) {
	var out ViewingProgress
	err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO viewing_progress (session_id, user_id, first_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (session_id, user_id) DO NOTHING`, sessionID, userID, Millis(now), Millis(now)); err != nil {
			return fmt.Errorf("start viewing progress of session %s: %w", sessionID, err)
		}
		q := `SELECT ` + viewingColumns + ` FROM viewing_progress WHERE session_id = ? AND user_id = ?`
		if db.Dialect == Postgres {
			q += ` FOR UPDATE`
		}
		cur, err := scanViewing(tx.QueryRow(ctx, q, sessionID, userID).Scan)
		if err != nil {
			return err
		}
		update(&cur)
		cur.UpdatedAt = now.UTC().Truncate(time.Millisecond)
		if _, err := tx.Exec(ctx, `UPDATE viewing_progress SET position_seconds = ?, watched_seconds = ?, watched = ?, updated_at = ?
			WHERE session_id = ? AND user_id = ?`, cur.PositionSeconds, cur.WatchedSeconds, cur.Watched, Millis(now),
			sessionID, userID); err != nil {
			return fmt.Errorf("store viewing progress of session %s: %w", sessionID, err)
		}
		out = cur
		return nil
	})
	return out, err
}

// SessionViewingProgress returns every viewer's progress through a
// session, for its statistics.
func (db *DB) SessionViewingProgress(ctx context.Context, sessionID string) ([]ViewingProgress, error) {
	rows, err := db.Query(ctx, `SELECT `+viewingColumns+` FROM viewing_progress WHERE session_id = ? ORDER BY user_id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("read viewing progress of session %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []ViewingProgress
	for rows.Next() {
		v, err := scanViewing(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
