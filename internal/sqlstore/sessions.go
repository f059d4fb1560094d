package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// sessionColumns lists what scanSession reads, for a sessions table
// aliased s.
const sessionColumns = `s.id, s.folder_id, s.owner_id, s.title, s.description, s.duration_seconds,
	s.processing, s.processing_error, s.publication, s.keep_draft, s.lifecycle,
	s.created_at, s.updated_at, s.published_at, s.recycled_at`

func scanSession(scan func(...any) error) (lectern.Session, error) {
	var s lectern.Session
	var folder sql.NullString
	var dur float64
	var created, updated, published, recycled sql.NullInt64
	if err := scan(&s.ID, &folder, &s.OwnerID, &s.Title, &s.Description, &dur,
		&s.Processing, &s.ProcessingError, &s.Publication, &s.KeepDraft, &s.Lifecycle,
		&created, &updated, &published, &recycled); err != nil {
		return lectern.Session{}, NotFound(err, "session")
	}
	s.FolderID = folder.String
	s.Duration = time.Duration(dur * float64(time.Second))
	s.CreatedAt, s.UpdatedAt = Time(created), Time(updated)
	s.PublishedAt, s.RecycledAt = Time(published), Time(recycled)
	return s, nil
}

func scanSessions(rows *sql.Rows, err error) ([]lectern.Session, error) {
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []lectern.Session
	for rows.Next() {
		s, err := scanSession(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertSession stores a new session with a new id and returns it.
func (t *Tx) InsertSession(ctx context.Context, s lectern.Session, now time.Time) (lectern.Session, error) {
	s.ID = NewID()
	s.CreatedAt = now.UTC().Truncate(time.Millisecond)
	s.UpdatedAt = s.CreatedAt
	_, err := t.Exec(ctx, `INSERT INTO sessions (id, folder_id, owner_id, title, description, duration_seconds,
			processing, processing_error, publication, keep_draft, lifecycle, created_at, updated_at, published_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, nullString(s.FolderID), s.OwnerID, s.Title, s.Description, s.Duration.Seconds(),
		string(s.Processing), s.ProcessingError, string(s.Publication), s.KeepDraft, string(s.Lifecycle),
		Millis(now), Millis(now), Millis(s.PublishedAt))
	if err != nil {
		return lectern.Session{}, fmt.Errorf("insert session %q: %w", s.Title, err)
	}
	return s, nil
}

// SessionByID returns one session in any state, or ENotFound.
func (db *DB) SessionByID(ctx context.Context, id string) (lectern.Session, error) {
	return scanSession(db.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.id = ?`, id).Scan)
}

// SessionByID returns one session in the transaction, or ENotFound.
func (t *Tx) SessionByID(ctx context.Context, id string) (lectern.Session, error) {
	return scanSession(t.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.id = ?`, id).Scan)
}

// UpdateSessionText sets a session's title and description.
func (t *Tx) UpdateSessionText(ctx context.Context, id, title, description string, now time.Time) error {
	return expectOne(t.Exec(ctx, `UPDATE sessions SET title = ?, description = ?, updated_at = ? WHERE id = ?`,
		title, description, Millis(now), id))("session")
}

// MoveSession files a session in another folder. Grants on the session
// itself are untouched; what it inherits follows the new folder.
func (t *Tx) MoveSession(ctx context.Context, id, folderID string, now time.Time) error {
	return expectOne(t.Exec(ctx, `UPDATE sessions SET folder_id = ?, updated_at = ? WHERE id = ?`,
		nullString(folderID), Millis(now), id))("session")
}

// SetSessionDuration records the media duration found by probing.
func (t *Tx) SetSessionDuration(ctx context.Context, id string, d time.Duration, now time.Time) error {
	return expectOne(t.Exec(ctx, `UPDATE sessions SET duration_seconds = ?, updated_at = ? WHERE id = ?`,
		d.Seconds(), Millis(now), id))("session")
}

// SetProcessing moves a session from one processing state to another; it
// is EConflict when the session is no longer in from (another worker got
// there first).
func (t *Tx) SetProcessing(ctx context.Context, id string, from, to lectern.Processing, message string, now time.Time) error {
	res, err := t.Exec(ctx, `UPDATE sessions SET processing = ?, processing_error = ?, updated_at = ?
		WHERE id = ? AND processing = ?`, string(to), message, Millis(now), id, string(from))
	if err != nil {
		return fmt.Errorf("set processing of session %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.EConflict, "the session is no longer %s", from)
	}
	return nil
}

// SetPublication moves a session from one publication state to another
// and records whether its creator wants it kept a draft. It is EConflict
// when the session is no longer in from.
func (t *Tx) SetPublication(ctx context.Context, id string, from, to lectern.Publication, keepDraft bool, now time.Time) error {
	var published any
	q := `UPDATE sessions SET publication = ?, keep_draft = ?, updated_at = ? WHERE id = ? AND publication = ?`
	args := []any{string(to), keepDraft, Millis(now), id, string(from)}
	if to == lectern.PublicationPublished {
		published = Millis(now)
		q = `UPDATE sessions SET publication = ?, keep_draft = ?, updated_at = ?, published_at = ? WHERE id = ? AND publication = ?`
		args = []any{string(to), keepDraft, Millis(now), published, id, string(from)}
	}
	res, err := t.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("set publication of session %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.EConflict, "the session is no longer %s", from)
	}
	return nil
}

// SetKeepDraft records whether the creator wants the session kept a draft
// when it becomes ready, without changing its publication.
func (t *Tx) SetKeepDraft(ctx context.Context, id string, keep bool, now time.Time) error {
	return expectOne(t.Exec(ctx, `UPDATE sessions SET keep_draft = ?, updated_at = ? WHERE id = ?`, keep, Millis(now), id))("session")
}

// RecycleSession sends one session to the recycle bin. It is EConflict if
// it is already recycled or purged.
func (t *Tx) RecycleSession(ctx context.Context, id, by string, now time.Time) error {
	ms := Millis(now)
	res, err := t.Exec(ctx, `UPDATE sessions SET lifecycle_before = lifecycle, lifecycle = 'recycled',
			recycled_at = ?, recycled_by = ?, recycled_root = NULL, updated_at = ?
		WHERE id = ? AND lifecycle NOT IN ('recycled', 'purged')`, ms, by, ms, id)
	if err != nil {
		return fmt.Errorf("recycle session %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.EConflict, "the session is already in the recycle bin")
	}
	return nil
}

// RestoreSession brings one session back from the recycle bin to the
// lifecycle state it had. It is EConflict if it is not recycled.
func (t *Tx) RestoreSession(ctx context.Context, id string, now time.Time) error {
	res, err := t.Exec(ctx, `UPDATE sessions SET lifecycle = CASE WHEN lifecycle_before = '' THEN 'active' ELSE lifecycle_before END,
			lifecycle_before = '', recycled_at = NULL, recycled_by = NULL, recycled_root = NULL, updated_at = ?
		WHERE id = ? AND lifecycle = 'recycled'`, Millis(now), id)
	if err != nil {
		return fmt.Errorf("restore session %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.EConflict, "the session is not in the recycle bin")
	}
	return nil
}

// RecycledSessionsOwnedBy lists a user's recycle bin, newest first.
func (db *DB) RecycledSessionsOwnedBy(ctx context.Context, ownerID string, limit int) ([]lectern.Session, error) {
	return scanSessions(db.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.owner_id = ? AND s.lifecycle = 'recycled' ORDER BY s.recycled_at DESC, s.id DESC LIMIT ?`, ownerID, limit))
}

// InsertApproval opens a request to publish a session.
func (t *Tx) InsertApproval(ctx context.Context, sessionID, requestedBy string, now time.Time) (lectern.Approval, error) {
	a := lectern.Approval{ID: NewID(), SessionID: sessionID, RequestedBy: requestedBy,
		RequestedAt: now.UTC().Truncate(time.Millisecond), State: lectern.ApprovalPending}
	if _, err := t.Exec(ctx, `INSERT INTO approvals (id, session_id, requested_by, requested_at, state) VALUES (?, ?, ?, ?, 'pending')`,
		a.ID, sessionID, requestedBy, Millis(now)); err != nil {
		return lectern.Approval{}, fmt.Errorf("request approval of session %s: %w", sessionID, err)
	}
	return a, nil
}

// CloseApprovals answers every open request on a session (normally one)
// and returns the most recent of them; ENotFound when none was open.
func (t *Tx) CloseApprovals(ctx context.Context, sessionID string, state lectern.ApprovalState, by, comment string, now time.Time) (lectern.Approval, error) {
	a, err := scanApproval(t.QueryRow(ctx, `SELECT `+approvalColumns+` FROM approvals
		WHERE session_id = ? AND state = 'pending' ORDER BY requested_at DESC, id DESC LIMIT 1`, sessionID).Scan)
	if err != nil {
		return lectern.Approval{}, NotFound(err, "approval request")
	}
	if _, err := t.Exec(ctx, `UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, comment = ?
		WHERE session_id = ? AND state = 'pending'`, string(state), nullString(by), Millis(now), comment, sessionID); err != nil {
		return lectern.Approval{}, fmt.Errorf("close approvals of session %s: %w", sessionID, err)
	}
	a.State, a.DecidedBy, a.DecidedAt, a.Comment = state, by, now.UTC().Truncate(time.Millisecond), comment
	return a, nil
}

// ApprovalsOf lists a session's approval history, newest first.
func (db *DB) ApprovalsOf(ctx context.Context, sessionID string) ([]lectern.Approval, error) {
	rows, err := db.Query(ctx, `SELECT `+approvalColumns+` FROM approvals WHERE session_id = ?
		ORDER BY requested_at DESC, id DESC`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("approvals of session %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []lectern.Approval
	for rows.Next() {
		a, err := scanApproval(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

const approvalColumns = "id, session_id, requested_by, requested_at, state, decided_by, decided_at, comment"

func scanApproval(scan func(...any) error) (lectern.Approval, error) {
	var a lectern.Approval
	var decidedBy sql.NullString
	var requested, decided sql.NullInt64
	if err := scan(&a.ID, &a.SessionID, &a.RequestedBy, &requested, &a.State, &decidedBy, &decided, &a.Comment); err != nil {
		return lectern.Approval{}, err
	}
	a.RequestedAt, a.DecidedAt, a.DecidedBy = Time(requested), Time(decided), decidedBy.String
	return a, nil
}
