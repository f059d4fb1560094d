package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lectern-edu/lectern"
)

// ShareOpen is one attempt to open a share link, after its password (if
// any) was checked.
type ShareOpen struct {
	LinkID   string
	ViewerID string
	UserID   string // the signed-in viewer; empty for an anonymous browser
	Network  string
	Device   string
	At       time.Time
	// SuspendAudit is recorded, with At and Detail filled in, when this
	// open trips the spike rule of a link whose action is to suspend.
	SuspendAudit lectern.AuditEvent
}

// ShareRefusal says why OpenShareLink counted nothing.
type ShareRefusal string

const (
	RefusedRevoked   ShareRefusal = "revoked"   // the link was revoked
	RefusedExpired   ShareRefusal = "expired"   // past its expiry
	RefusedSuspended ShareRefusal = "suspended" // suspended (by its owner or an earlier spike)
	RefusedTotal     ShareRefusal = "total"     // its total-open limit is used up
	RefusedViewer    ShareRefusal = "viewer"    // this viewer's allowance is used up
	RefusedSpike     ShareRefusal = "spike"     // this open tripped the spike rule, which suspended the link
)

// ShareOpenOutcome is what OpenShareLink did.
type ShareOpenOutcome struct {
	// Link is the link as read under its lock, before this open counted.
	Link lectern.ShareLink
	// Refused is empty when the open counted.
	Refused ShareRefusal
	// OpenID is the open log row of a counted open (RefundShareOpen takes it).
	OpenID string
	// Viewer is the viewer after this open counted.
	Viewer lectern.ShareViewer
	// Devices and Networks are the distinct devices and networks within
	// the spike window, this open included; zero when the rule is off.
	Devices, Networks int
	// SpikeNotify is set when the spike rule tripped, its action is to
	// notify, and the owner was not told within the window: the caller
	// tells them. SpikeSuspended is set when this open suspended the link.
	SpikeNotify    bool
	SpikeSuspended bool
}

// OpenShareLink counts one open of a link unless a limit refuses it, in
// one transaction that holds the link: the row is locked FOR UPDATE on
// PostgreSQL, and on SQLite the transaction took the database's write lock
// at BEGIN (_txlock=immediate). Everything it checks (state, expiry, the
// total and the viewer's counts, the distinct devices and networks of the
// spike window) is therefore read after every earlier open of the link
// committed and before any later one starts, so a limit of N lets exactly
// N opens through however many race, on one node or many. A refusal
// counts nothing, except that an open tripping a suspend spike rule
// suspends the link (and records o.SuspendAudit). A missing link is
// ENotFound.
func (db *DB) OpenShareLink(ctx context.Context, o ShareOpen) (ShareOpenOutcome, error) {
	var out ShareOpenOutcome
	err := db.InTx(ctx, func(tx *Tx) error {
		out = ShareOpenOutcome{}
		q := `SELECT ` + shareLinkColumns + ` FROM share_links WHERE id = ?`
		if db.Dialect == Postgres {
			q += ` FOR UPDATE`
		}
		l, _, err := scanShareLink(tx.QueryRow(ctx, q, o.LinkID).Scan)
		if err != nil {
			return err
		}
		out.Link = l
		switch {
		case l.State == lectern.LinkRevoked:
			out.Refused = RefusedRevoked
		case l.State != lectern.LinkActive:
			out.Refused = RefusedSuspended
		case l.Expired(o.At):
			out.Refused = RefusedExpired
		case l.MaxOpens > 0 && l.Opens >= l.MaxOpens:
			out.Refused = RefusedTotal
		}
		if out.Refused != "" {
			return nil
		}
		v, err := shareViewerTx(ctx, tx, o.LinkID, o.ViewerID)
		if err != nil {
			return err
		}
		if l.MaxViewsPerViewer > 0 && v.Opens >= v.Allowance(l) {
			out.Viewer, out.Refused = v, RefusedViewer
			return nil
		}
		if err := spike(ctx, tx, o, &out); err != nil || out.Refused != "" {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE share_links SET opens = opens + 1
			WHERE id = ? AND state = 'active' AND (max_opens IS NULL OR opens < max_opens)`, o.LinkID)
		if err != nil {
			return fmt.Errorf("count open of link %s: %w", o.LinkID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			// Cannot happen while the link is held; refuse rather than overshoot.
			out.Refused = RefusedTotal
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO share_viewers (link_id, viewer_id, user_id, opens, extra_opens, first_at, last_at)
			VALUES (?, ?, ?, 1, 0, ?, ?)
			ON CONFLICT (link_id, viewer_id) DO UPDATE SET opens = share_viewers.opens + 1, last_at = excluded.last_at`,
			o.LinkID, o.ViewerID, o.UserID, Millis(o.At), Millis(o.At)); err != nil {
			return fmt.Errorf("count open of link %s by viewer: %w", o.LinkID, err)
		}
		out.OpenID = NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO share_opens (id, link_id, viewer_id, network, device, at) VALUES (?, ?, ?, ?, ?, ?)`,
			out.OpenID, o.LinkID, o.ViewerID, o.Network, o.Device, Millis(o.At)); err != nil {
			return fmt.Errorf("log open of link %s: %w", o.LinkID, err)
		}
		if v.FirstAt.IsZero() {
			v.FirstAt, v.UserID = o.At, o.UserID
		}
		v.Opens++
		v.LastAt = o.At
		out.Viewer = v
		return nil
	})
	return out, err
}

func shareViewerTx(ctx context.Context, tx *Tx, linkID, viewerID string) (lectern.ShareViewer, error) {
	v := lectern.ShareViewer{LinkID: linkID, ViewerID: viewerID}
	var first, last sql.NullInt64
	err := tx.QueryRow(ctx, `SELECT user_id, opens, extra_opens, first_at, last_at FROM share_viewers
		WHERE link_id = ? AND viewer_id = ?`, linkID, viewerID).Scan(&v.UserID, &v.Opens, &v.ExtraOpens, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("read viewer of link %s: %w", linkID, err)
	}
	v.FirstAt, v.LastAt = Time(first), Time(last)
	return v, nil
}

// spike applies the link's spike rule to the open about to be counted:
// the distinct devices and networks that opened the link within the
// window, this open included. Over the limit, a suspend rule suspends the
// link and refuses the open; a notify rule asks the caller to tell the
// owner, at most once per window.
func spike(ctx context.Context, tx *Tx, o ShareOpen, out *ShareOpenOutcome) error {
	r := out.Link.Spike
	if r.Action == lectern.SpikeOff || r.MaxDistinct <= 0 || r.Window <= 0 {
		return nil
	}
	since := o.At.Add(-r.Window)
	if s := out.Link.SpikeSince; s.After(since) {
		since = s
	}
	var devices, networks, sameDevice, sameNetwork int
	if err := tx.QueryRow(ctx, `SELECT COUNT(DISTINCT device), COUNT(DISTINCT network),
			COALESCE(SUM(CASE WHEN device = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN network = ? THEN 1 ELSE 0 END), 0)
		FROM share_opens WHERE link_id = ? AND at > ?`,
		o.Device, o.Network, o.LinkID, Millis(since)).Scan(&devices, &networks, &sameDevice, &sameNetwork); err != nil {
		return fmt.Errorf("spike rule of link %s: %w", o.LinkID, err)
	}
	if sameDevice == 0 {
		devices++
	}
	if sameNetwork == 0 {
		networks++
	}
	out.Devices, out.Networks = devices, networks
	if devices <= r.MaxDistinct && networks <= r.MaxDistinct {
		return nil
	}
	if r.Action == lectern.SpikeSuspend {
		moved, err := tx.SetShareLinkState(ctx, o.LinkID, []lectern.LinkState{lectern.LinkActive}, lectern.LinkSuspended, lectern.SuspendedBySpike, o.At)
		if err != nil {
			return err
		}
		if moved {
			e := o.SuspendAudit
			e.At = o.At
			e.Detail = fmt.Sprintf("link %s suspended by its spike rule: %d devices and %d networks within %s (limit %d)",
				o.LinkID, devices, networks, r.Window, r.MaxDistinct)
			if _, err := InsertAuditEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		out.Refused, out.SpikeSuspended = RefusedSpike, moved
		return nil
	}
	if n := out.Link.SpikeNotifiedAt; n.IsZero() || !n.After(since) {
		if _, err := tx.Exec(ctx, `UPDATE share_links SET spike_notified_at = ? WHERE id = ?`, Millis(o.At), o.LinkID); err != nil {
			return fmt.Errorf("spike rule of link %s: %w", o.LinkID, err)
		}
		out.SpikeNotify = true
	}
	return nil
}

// RefundShareOpen takes back an open that OpenShareLink counted but that
// gave nothing (the playback token could not be issued), so that it does
// not use up a limit. Refunding twice, or an unknown open, does nothing.
func (db *DB) RefundShareOpen(ctx context.Context, linkID, viewerID, openID string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM share_opens WHERE id = ? AND link_id = ?`, openID, linkID)
		if err != nil {
			return fmt.Errorf("refund open of link %s: %w", linkID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE share_links SET opens = opens - 1 WHERE id = ? AND opens > 0`, linkID); err != nil {
			return fmt.Errorf("refund open of link %s: %w", linkID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE share_viewers SET opens = opens - 1 WHERE link_id = ? AND viewer_id = ? AND opens > 0`,
			linkID, viewerID); err != nil {
			return fmt.Errorf("refund open of link %s: %w", linkID, err)
		}
		return nil
	})
}
