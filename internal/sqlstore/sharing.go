package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// Share links: the links themselves, their named viewers, viewers and the
// open log. Opening a link (OpenShareLink) is the one place the limits are
// enforced; see the migration 00005_sharing.sql for why it is exact.

const shareLinkColumns = `id, session_id, token_hash, label, created_by, password_hash, expires_at,
	max_opens, max_views_per_viewer, opens, state, suspended_reason, spike_max, spike_window_ms,
	spike_action, spike_notified_at, spike_since, created_at, updated_at`

func scanShareLink(scan func(...any) error) (lectern.ShareLink, string, error) {
	var l lectern.ShareLink
	var tokenHash string
	var exp, notified, since, created, updated sql.NullInt64
	var maxOpens, maxViews sql.NullInt64
	var window int64
	if err := scan(&l.ID, &l.SessionID, &tokenHash, &l.Label, &l.CreatedBy, &l.PasswordHash, &exp,
		&maxOpens, &maxViews, &l.Opens, &l.State, &l.SuspendedReason, &l.Spike.MaxDistinct, &window,
		&l.Spike.Action, &notified, &since, &created, &updated); err != nil {
		return lectern.ShareLink{}, "", NotFound(err, "share link")
	}
	l.ExpiresAt, l.SpikeNotifiedAt, l.SpikeSince = Time(exp), Time(notified), Time(since)
	l.CreatedAt, l.UpdatedAt = Time(created), Time(updated)
	l.MaxOpens, l.MaxViewsPerViewer = int(maxOpens.Int64), int(maxViews.Int64)
	l.Spike.Window = time.Duration(window) * time.Millisecond
	return l, tokenHash, nil
}

// nullPositive stores a limit: zero (no limit) becomes NULL.
func nullPositive(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// InsertShareLink stores a new link (ID, CreatedAt and UpdatedAt set by
// the caller) under the hex SHA-256 of its token, with its named viewers.
func (t *Tx) InsertShareLink(ctx context.Context, l lectern.ShareLink, tokenHash string) error {
	if _, err := t.Exec(ctx, `INSERT INTO share_links (`+shareLinkColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
		l.ID, l.SessionID, tokenHash, l.Label, l.CreatedBy, l.PasswordHash, Millis(l.ExpiresAt),
		nullPositive(l.MaxOpens), nullPositive(l.MaxViewsPerViewer), string(l.State), l.SuspendedReason,
		l.Spike.MaxDistinct, l.Spike.Window.Milliseconds(), string(l.Spike.Action),
		Millis(l.CreatedAt), Millis(l.UpdatedAt)); err != nil {
		return fmt.Errorf("insert share link: %w", err)
	}
	return t.replaceNamed(ctx, l.ID, l.Named)
}

func (t *Tx) replaceNamed(ctx context.Context, linkID string, named []string) error {
	if _, err := t.Exec(ctx, `DELETE FROM share_link_named WHERE link_id = ?`, linkID); err != nil {
		return fmt.Errorf("replace named viewers of link %s: %w", linkID, err)
	}
	for _, e := range named {
		if _, err := t.Exec(ctx, `INSERT INTO share_link_named (link_id, email) VALUES (?, ?)`, linkID, e); err != nil {
			return fmt.Errorf("add named viewer to link %s: %w", linkID, err)
		}
	}
	return nil
}

// UpdateShareLink writes a link's settings (label, password, expiry,
// limits, spike rule, named viewers) and UpdatedAt. Its counters and
// state are changed only by the functions made for them.
func (t *Tx) UpdateShareLink(ctx context.Context, l lectern.ShareLink) error {
	res, err := t.Exec(ctx, `UPDATE share_links SET label = ?, password_hash = ?, expires_at = ?, max_opens = ?,
			max_views_per_viewer = ?, spike_max = ?, spike_window_ms = ?, spike_action = ?, updated_at = ?
		WHERE id = ?`,
		l.Label, l.PasswordHash, Millis(l.ExpiresAt), nullPositive(l.MaxOpens), nullPositive(l.MaxViewsPerViewer),
		l.Spike.MaxDistinct, l.Spike.Window.Milliseconds(), string(l.Spike.Action), Millis(l.UpdatedAt), l.ID)
	if err != nil {
		return fmt.Errorf("update share link %s: %w", l.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.ENotFound, "share link not found")
	}
	return t.replaceNamed(ctx, l.ID, l.Named)
}

// SetShareLinkState moves a link to state (with reason, for a suspension)
// if it is in one of from; it reports whether it moved. Resuming a link
// (to active) restarts its spike window at now.
func (t *Tx) SetShareLinkState(ctx context.Context, id string, from []lectern.LinkState, to lectern.LinkState, reason string, now time.Time) (bool, error) {
	set := `state = ?, suspended_reason = ?, updated_at = ?`
	args := []any{string(to), reason, Millis(now)}
	if to == lectern.LinkActive {
		set += `, spike_since = ?, spike_notified_at = NULL`
		args = append(args, Millis(now))
	}
	args = append(args, id)
	marks := make([]string, len(from))
	for i, s := range from {
		marks[i] = "?"
		args = append(args, string(s))
	}
	res, err := t.Exec(ctx, `UPDATE share_links SET `+set+`
		WHERE id = ? AND state IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("set state of share link %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ShareLinkByID returns a link with its named viewers, or ENotFound.
func (db *DB) ShareLinkByID(ctx context.Context, id string) (lectern.ShareLink, error) {
	l, _, err := scanShareLink(db.QueryRow(ctx, `SELECT `+shareLinkColumns+` FROM share_links WHERE id = ?`, id).Scan)
	if err != nil {
		return lectern.ShareLink{}, err
	}
	l.Named, err = db.namedOf(ctx, l.ID)
	return l, err
}

// ShareLinkByTokenHash returns the link whose token hashes to hash, with
// its named viewers, or ENotFound.
func (db *DB) ShareLinkByTokenHash(ctx context.Context, hash string) (lectern.ShareLink, error) {
	l, _, err := scanShareLink(db.QueryRow(ctx, `SELECT `+shareLinkColumns+` FROM share_links WHERE token_hash = ?`, hash).Scan)
	if err != nil {
		return lectern.ShareLink{}, err
	}
	l.Named, err = db.namedOf(ctx, l.ID)
	return l, err
}

// ShareLinksOf lists a session's links, newest first, with their named
// viewers.
func (db *DB) ShareLinksOf(ctx context.Context, sessionID string) ([]lectern.ShareLink, error) {
	rows, err := db.Query(ctx, `SELECT `+shareLinkColumns+` FROM share_links WHERE session_id = ?
		ORDER BY created_at DESC, id DESC`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("share links of session %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []lectern.ShareLink
	for rows.Next() {
		l, _, err := scanShareLink(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("share links of session %s: %w", sessionID, err)
	}
	rows.Close()
	for i := range out {
		if out[i].Named, err = db.namedOf(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) namedOf(ctx context.Context, linkID string) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT email FROM share_link_named WHERE link_id = ? ORDER BY email`, linkID)
	if err != nil {
		return nil, fmt.Errorf("named viewers of link %s: %w", linkID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("named viewers of link %s: %w", linkID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ShareViewerOf returns one viewer of a link, or ENotFound when they have
// never opened it.
func (db *DB) ShareViewerOf(ctx context.Context, linkID, viewerID string) (lectern.ShareViewer, error) {
	v := lectern.ShareViewer{LinkID: linkID, ViewerID: viewerID}
	var first, last sql.NullInt64
	err := db.QueryRow(ctx, `SELECT user_id, opens, extra_opens, first_at, last_at FROM share_viewers
		WHERE link_id = ? AND viewer_id = ?`, linkID, viewerID).Scan(&v.UserID, &v.Opens, &v.ExtraOpens, &first, &last)
	if err != nil {
		return lectern.ShareViewer{}, NotFound(err, "viewer")
	}
	v.FirstAt, v.LastAt = Time(first), Time(last)
	return v, nil
}

// ShareViewers lists a link's viewers, most recent first, with the email
// of signed-in ones and how many networks and devices each came from.
func (db *DB) ShareViewers(ctx context.Context, linkID string) ([]lectern.ShareViewer, error) {
	rows, err := db.Query(ctx, `SELECT v.viewer_id, v.user_id, COALESCE(u.email, ''), v.opens, v.extra_opens,
			v.first_at, v.last_at,
			(SELECT COUNT(DISTINCT o.network) FROM share_opens o WHERE o.link_id = v.link_id AND o.viewer_id = v.viewer_id),
			(SELECT COUNT(DISTINCT o.device) FROM share_opens o WHERE o.link_id = v.link_id AND o.viewer_id = v.viewer_id)
		FROM share_viewers v LEFT JOIN users u ON u.id = v.user_id AND v.user_id <> ''
		WHERE v.link_id = ? ORDER BY v.last_at DESC, v.viewer_id`, linkID)
	if err != nil {
		return nil, fmt.Errorf("viewers of link %s: %w", linkID, err)
	}
	defer rows.Close()
	var out []lectern.ShareViewer
	for rows.Next() {
		v := lectern.ShareViewer{LinkID: linkID}
		var first, last sql.NullInt64
		if err := rows.Scan(&v.ViewerID, &v.UserID, &v.UserEmail, &v.Opens, &v.ExtraOpens, &first, &last,
			&v.Networks, &v.Devices); err != nil {
			return nil, fmt.Errorf("viewers of link %s: %w", linkID, err)
		}
		v.FirstAt, v.LastAt = Time(first), Time(last)
		out = append(out, v)
	}
	return out, rows.Err()
}

// ExtendShareViewer adds extra opens to one viewer's allowance;
// ENotFound when they have never opened the link.
func (t *Tx) ExtendShareViewer(ctx context.Context, linkID, viewerID string, extra int) error {
	res, err := t.Exec(ctx, `UPDATE share_viewers SET extra_opens = extra_opens + ? WHERE link_id = ? AND viewer_id = ?`,
		extra, linkID, viewerID)
	if err != nil {
		return fmt.Errorf("extend viewer of link %s: %w", linkID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lectern.Errorf(lectern.ENotFound, "viewer not found")
	}
	return nil
}

// ShareStats is what a link's owner sees about its use.
type ShareStats struct {
	Opens      int
	Viewers    int
	Networks   int
	Devices    int
	LastOpen   time.Time
	OpensByDay []DayCount // oldest first, days with opens only
}

// DayCount is the number of opens on one UTC day.
type DayCount struct {
	Day   time.Time
	Opens int
}

// ShareLinkStats counts a link's opens, distinct viewers, networks and
// devices, and its opens per UTC day.
func (db *DB) ShareLinkStats(ctx context.Context, linkID string) (ShareStats, error) {
	var st ShareStats
	var last sql.NullInt64
	err := db.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT viewer_id), COUNT(DISTINCT network), COUNT(DISTINCT device), MAX(at)
		FROM share_opens WHERE link_id = ?`, linkID).Scan(&st.Opens, &st.Viewers, &st.Networks, &st.Devices, &last)
	if err != nil {
		return ShareStats{}, fmt.Errorf("stats of link %s: %w", linkID, err)
	}
	st.LastOpen = Time(last)
	// The day length is a literal: PostgreSQL matches a GROUP BY
	// expression to the select list by text, and $1 is not $3.
	const day = int64(24 * time.Hour / time.Millisecond)
	rows, err := db.Query(ctx, `SELECT at / 86400000, COUNT(*) FROM share_opens WHERE link_id = ?
		GROUP BY at / 86400000 ORDER BY 1`, linkID)
	if err != nil {
		return ShareStats{}, fmt.Errorf("opens by day of link %s: %w", linkID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d int64
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return ShareStats{}, fmt.Errorf("opens by day of link %s: %w", linkID, err)
		}
		st.OpensByDay = append(st.OpensByDay, DayCount{Day: time.UnixMilli(d * day).UTC(), Opens: n})
	}
	return st, rows.Err()
}
