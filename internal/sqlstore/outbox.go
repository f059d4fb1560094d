package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// The mail outbox: every message Lectern sends is a row here first, so that
// nothing is lost while SMTP is down and admins can read what was sent (or,
// without SMTP, what would have been).

const outboxColumns = `id, to_addr, subject, body_text, state, attempts, last_error, created_at, sent_at`

// OutboxInsert stores a new message. m.ID, m.CreatedAt and m.State must be
// set; Attempts, LastError and SentAt start empty.
func (db *DB) OutboxInsert(ctx context.Context, m lectern.Mail) error {
	_, err := db.Exec(ctx, `INSERT INTO outbox (`+outboxColumns+`)
		VALUES (?, ?, ?, ?, ?, 0, '', ?, NULL)`,
		m.ID, m.To, m.Subject, m.Text, string(m.State), m.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert outbox message: %w", err)
	}
	return nil
}

// OutboxGet returns one message, or a lectern.ENotFound error.
func (db *DB) OutboxGet(ctx context.Context, id string) (lectern.Mail, error) {
	m, err := scanMail(db.QueryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if err != nil {
		return lectern.Mail{}, NotFound(err, "message "+id)
	}
	return m, nil
}

// OutboxList returns up to limit messages, newest first.
func (db *DB) OutboxList(ctx context.Context, limit int) ([]lectern.Mail, error) {
	rows, err := db.Query(ctx, `SELECT `+outboxColumns+` FROM outbox
		ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []lectern.Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, fmt.Errorf("list outbox: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

// OutboxMarkSent records a successful delivery attempt of a pending
// message: the state becomes sent and the attempt is counted; last_error
// keeps the error of any earlier failed attempt. It reports
// false, changing nothing, when the message was no longer pending.
func (db *DB) OutboxMarkSent(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := db.Exec(ctx, `UPDATE outbox
		SET state = ?, sent_at = ?, attempts = attempts + 1
		WHERE id = ? AND state = ?`,
		string(lectern.MailSent), at.UnixMilli(), id, string(lectern.MailPending))
	if err != nil {
		return false, fmt.Errorf("mark message %s sent: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark message %s sent: %w", id, err)
	}
	return n == 1, nil
}

// OutboxRecordFailure counts a failed delivery attempt of a pending message
// and keeps its error text (which must hold no secrets). With final set the
// message becomes failed; otherwise it stays pending for the next attempt.
func (db *DB) OutboxRecordFailure(ctx context.Context, id, errText string, final bool) error {
	state := lectern.MailPending
	if final {
		state = lectern.MailFailed
	}
	_, err := db.Exec(ctx, `UPDATE outbox
		SET state = ?, attempts = attempts + 1, last_error = ?
		WHERE id = ? AND state = ?`,
		string(state), errText, id, string(lectern.MailPending))
	if err != nil {
		return fmt.Errorf("record failure of message %s: %w", id, err)
	}
	return nil
}

// OutboxPendingBefore returns the ids of up to limit pending messages
// created before cutoff, oldest first.
func (db *DB) OutboxPendingBefore(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT id FROM outbox
		WHERE state = ? AND created_at < ?
		ORDER BY created_at, id LIMIT ?`,
		string(lectern.MailPending), cutoff.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending outbox messages: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list pending outbox messages: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pending outbox messages: %w", err)
	}
	return ids, nil
}

func scanMail(r interface{ Scan(dest ...any) error }) (lectern.Mail, error) {
	var (
		m         lectern.Mail
		state     string
		createdAt int64
		sentAt    sql.NullInt64
	)
	if err := r.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &state, &m.Attempts, &m.LastError, &createdAt, &sentAt); err != nil {
		return lectern.Mail{}, err
	}
	m.State = lectern.MailState(state)
	m.CreatedAt = time.UnixMilli(createdAt).UTC()
	m.SentAt = Time(sentAt)
	return m, nil
}
