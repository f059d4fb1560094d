package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// SessionMedia is what the media pipeline keeps about one session's
// recording: the uploaded file, what probing found, which rendition
// version is served, and how far processing has come.
type SessionMedia struct {
	SessionID  string
	Filename   string // as the uploader named it
	SourceSize int64
	// Probe is media.Info as JSON; empty until the source passed validation.
	Probe string
	// NextVersion is the last rendition version handed out; each transcode
	// attempt takes a new one.
	NextVersion int
	// RenditionVersion is the version being served; 0: none yet.
	RenditionVersion int
	// Manifest describes the served rendition (JSON, owned by the pipeline).
	Manifest  string
	Progress  float64 // 0..1
	Stage     string
	UpdatedAt time.Time
}

const sessionMediaColumns = `session_id, filename, source_size, probe, next_version, rendition_version,
	manifest, progress, stage, updated_at`

func scanSessionMedia(scan func(...any) error) (SessionMedia, error) {
	var m SessionMedia
	var updated sql.NullInt64
	if err := scan(&m.SessionID, &m.Filename, &m.SourceSize, &m.Probe, &m.NextVersion, &m.RenditionVersion,
		&m.Manifest, &m.Progress, &m.Stage, &updated); err != nil {
		return SessionMedia{}, NotFound(err, "session media")
	}
	m.UpdatedAt = Time(updated)
	return m, nil
}

// EnsureSessionMedia creates the media row of a session if it has none,
// recording the uploaded file's name; an existing row is left as it is.
func (db *DB) EnsureSessionMedia(ctx context.Context, sessionID, filename string, now time.Time) error {
	_, err := db.Exec(ctx, `INSERT INTO session_media (session_id, filename, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (session_id) DO NOTHING`, sessionID, filename, Millis(now))
	if err != nil {
		return fmt.Errorf("create media of session %s: %w", sessionID, err)
	}
	return nil
}

// SessionMedia returns a session's media row, or ENotFound.
func (db *DB) SessionMedia(ctx context.Context, sessionID string) (SessionMedia, error) {
	return scanSessionMedia(db.QueryRow(ctx, `SELECT `+sessionMediaColumns+` FROM session_media WHERE session_id = ?`, sessionID).Scan)
}

// SetMediaProbe records the source's size and what probing found.
func (db *DB) SetMediaProbe(ctx context.Context, sessionID string, size int64, probe string, now time.Time) error {
	return expectOne(db.Exec(ctx, `UPDATE session_media SET source_size = ?, probe = ?, updated_at = ? WHERE session_id = ?`,
		size, probe, Millis(now), sessionID))("session media")
}

// NextRenditionVersion hands out a new rendition version for a session:
// one more than any handed out before, so that every transcode attempt
// writes under a prefix nobody has used.
func (db *DB) NextRenditionVersion(ctx context.Context, sessionID string, now time.Time) (int, error) {
	var v int
	err := db.QueryRow(ctx, `UPDATE session_media SET next_version = next_version + 1, updated_at = ?
		WHERE session_id = ? RETURNING next_version`, Millis(now), sessionID).Scan(&v)
	if err != nil {
		return 0, NotFound(err, "session media")
	}
	return v, nil
}

// PublishRendition makes version the served rendition, with its manifest,
// unless a newer version is already served (a slower, older attempt
// finishing late); it reports whether it did.
func (db *DB) PublishRendition(ctx context.Context, sessionID string, version int, manifest string, now time.Time) (bool, error) {
	res, err := db.Exec(ctx, `UPDATE session_media SET rendition_version = ?, manifest = ?, progress = 1, stage = 'done', updated_at = ?
		WHERE session_id = ? AND rendition_version < ?`, version, manifest, Millis(now), sessionID, version)
	if err != nil {
		return false, fmt.Errorf("publish rendition v%d of session %s: %w", version, sessionID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetMediaProgress records how far processing has come (0..1) and in
// which stage.
func (db *DB) SetMediaProgress(ctx context.Context, sessionID string, progress float64, stage string, now time.Time) error {
	return expectOne(db.Exec(ctx, `UPDATE session_media SET progress = ?, stage = ?, updated_at = ? WHERE session_id = ?`,
		progress, stage, Millis(now), sessionID))("session media")
}

// SessionsInProcessing lists sessions in state that were last changed
// before cutoff, oldest first, at most limit: uploads and queued work that
// may have been dropped, for the pipeline's reconciler.
func (db *DB) SessionsInProcessing(ctx context.Context, state lectern.Processing, before time.Time, limit int) ([]lectern.Session, error) {
	return scanSessions(db.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.processing = ? AND s.updated_at < ? AND s.lifecycle NOT IN ('recycled', 'purged')
		ORDER BY s.updated_at, s.id LIMIT ?`, string(state), Millis(before), limit))
}
