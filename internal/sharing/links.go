package sharing

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// LinkInput is what an owner sets on a link. A nil field is left as it
// is (on creation: no password, no expiry, no limits, no named viewers,
// the site's default spike rule). To remove a setting, point at its zero
// value: "" for the password, the zero time for the expiry, 0 for a limit.
type LinkInput struct {
	Label             *string
	Password          *string
	ExpiresAt         *time.Time
	MaxOpens          *int
	MaxViewsPerViewer *int
	Named             *[]string // email addresses
	Spike             *lectern.SpikeRule
}

// Bounds on a link's settings.
const (
	maxLabelLen     = 200
	maxNamed        = 100
	maxOpensBound   = 1_000_000
	maxPerViewer    = 10_000
	maxExtendAtOnce = 10_000
	maxLinksListed  = 500
	minLinkLifetime = time.Minute
)

// apply validates in and writes it over l. now and the policy decide
// what an expiry may be.
func (s *Service) apply(l *lectern.ShareLink, in LinkInput, p Policy, now time.Time) error {
	if in.Label != nil {
		label := strings.TrimSpace(*in.Label)
		if utf8.RuneCountInString(label) > maxLabelLen || strings.IndexFunc(label, unicode.IsControl) >= 0 {
			return lectern.Errorf(lectern.EInvalid, "label: at most %d characters on one line", maxLabelLen)
		}
		l.Label = label
	}
	if in.Password != nil {
		if *in.Password == "" {
			l.PasswordHash = ""
		} else {
			if err := checkNewLinkPassword(*in.Password); err != nil {
				return err
			}
			h, err := identity.HashPassword(*in.Password, s.opts.Params)
			if err != nil {
				return err
			}
			l.PasswordHash = h
		}
	}
	if in.ExpiresAt != nil {
		e := in.ExpiresAt.UTC().Truncate(time.Millisecond)
		if !e.IsZero() && e.Before(now.Add(minLinkLifetime)) {
			return lectern.Errorf(lectern.EInvalid, "expires_at: must be at least a minute in the future")
		}
		l.ExpiresAt = e
	}
	if in.MaxOpens != nil {
		if *in.MaxOpens < 0 || *in.MaxOpens > maxOpensBound {
			return lectern.Errorf(lectern.EInvalid, "max_opens: must be from 1 to %d, or 0 for no limit", maxOpensBound)
		}
		l.MaxOpens = *in.MaxOpens
	}
	if in.MaxViewsPerViewer != nil {
		if *in.MaxViewsPerViewer < 0 || *in.MaxViewsPerViewer > maxPerViewer {
			return lectern.Errorf(lectern.EInvalid, "max_views_per_viewer: must be from 1 to %d, or 0 for no limit", maxPerViewer)
		}
		l.MaxViewsPerViewer = *in.MaxViewsPerViewer
	}
	if in.Named != nil {
		named, err := normalizeNamed(*in.Named)
		if err != nil {
			return err
		}
		l.Named = named
	}
	if in.Spike != nil {
		if err := checkSpike("spike", *in.Spike); err != nil {
			return err
		}
		l.Spike = *in.Spike
	}
	// The site policy, checked on the result.
	if p.PasswordRequired && !l.HasPassword() {
		return lectern.Errorf(lectern.EInvalid, "password: this site requires a password on every link")
	}
	if p.MaxExpiry > 0 {
		limit := now.Add(p.MaxExpiry)
		switch {
		case l.ExpiresAt.IsZero() && in.ExpiresAt == nil && l.ID == "":
			l.ExpiresAt = limit // a new link without an expiry gets the longest allowed
		case l.ExpiresAt.IsZero():
			return lectern.Errorf(lectern.EInvalid, "expires_at: this site requires links to expire within %d days", int(p.MaxExpiry/day))
		case l.ExpiresAt.After(limit):
			return lectern.Errorf(lectern.EInvalid, "expires_at: at most %d days from now on this site", int(p.MaxExpiry/day))
		}
	}
	return nil
}

// normalizeNamed lower-cases, checks and de-duplicates named viewers.
func normalizeNamed(in []string) ([]string, error) {
	var out []string
	for _, e := range in {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		a, err := mail.ParseAddress(e)
		if err != nil || a.Name != "" || a.Address != e || len(e) > 254 {
			return nil, lectern.Errorf(lectern.EInvalid, "named: %q is not an email address", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) > maxNamed {
		return nil, lectern.Errorf(lectern.EInvalid, "named: at most %d addresses", maxNamed)
	}
	slices.Sort(out)
	return out, nil
}

// authorizeLink checks that actor may share the link's session and
// returns the link and the decision. A link that exists but whose session
// actor may not share is EForbidden (the API's rule: 404 only for what
// does not exist; link ids are random).
func (s *Service) authorizeLink(ctx context.Context, actor lectern.Principal, clientAddr, linkID string) (lectern.ShareLink, lectern.Decision, error) {
	l, err := s.db.ShareLinkByID(ctx, linkID)
	if err != nil {
		return lectern.ShareLink{}, lectern.Decision{}, err
	}
	d, err := s.access.Authorize(ctx, actor, lectern.ActionShare, lectern.SessionResource(l.SessionID), clientAddr)
	if err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return lectern.ShareLink{}, lectern.Decision{}, lectern.Errorf(lectern.EForbidden, "You may not manage this share link.")
		}
		return lectern.ShareLink{}, lectern.Decision{}, err
	}
	return l, d, nil
}

// CreateLink makes a share link to a session on which actor has the
// share right (creators and owners; EForbidden or ENotFound otherwise),
// following the site policy. It returns the link and its token: the
// token is shown this once (only its hash is kept); LinkURL makes the
// address. The creation is audited.
func (s *Service) CreateLink(ctx context.Context, actor lectern.Principal, clientAddr, sessionID string, in LinkInput) (lectern.ShareLink, string, error) {
	d, err := s.access.Authorize(ctx, actor, lectern.ActionShare, lectern.SessionResource(sessionID), clientAddr)
	if err != nil {
		return lectern.ShareLink{}, "", err
	}
	p, err := s.Policy(ctx)
	if err != nil {
		return lectern.ShareLink{}, "", err
	}
	now := s.now()
	l := lectern.ShareLink{SessionID: sessionID, CreatedBy: actor.UserID, State: lectern.LinkActive,
		Spike: p.DefaultSpike, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(&l, in, p, now); err != nil {
		return lectern.ShareLink{}, "", err
	}
	l.ID = sqlstore.NewID()
	token := NewSecret()
	hash, _ := ParseSecret(token)
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.InsertShareLink(ctx, l, hash); err != nil {
			return err
		}
		return s.audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: AuditLinkCreate,
			ResourceType: lectern.ResourceSession, ResourceID: sessionID, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: "link " + l.ID + ": " + linkDetail(l)})
	})
	if err != nil {
		return lectern.ShareLink{}, "", err
	}
	return l, token, nil
}

// linkDetail describes a link's settings for the audit log (never its
// password).
func linkDetail(l lectern.ShareLink) string {
	var parts []string
	if l.Label != "" {
		parts = append(parts, fmt.Sprintf("label %q", l.Label))
	}
	if l.HasPassword() {
		parts = append(parts, "password")
	} else {
		parts = append(parts, "no password")
	}
	if !l.ExpiresAt.IsZero() {
		parts = append(parts, "expires "+l.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if l.MaxOpens > 0 {
		parts = append(parts, fmt.Sprintf("at most %d opens", l.MaxOpens))
	}
	if l.MaxViewsPerViewer > 0 {
		parts = append(parts, fmt.Sprintf("at most %d per viewer", l.MaxViewsPerViewer))
	}
	if len(l.Named) > 0 {
		parts = append(parts, "named "+strings.Join(l.Named, " "))
	}
	r := l.Spike
	if r.Action == lectern.SpikeOff {
		parts = append(parts, "spike rule off")
	} else {
		parts = append(parts, fmt.Sprintf("spike: over %d devices or networks in %s → %s", r.MaxDistinct, r.Window, r.Action))
	}
	return strings.Join(parts, ", ")
}

// UpdateLink changes a link's settings (see LinkInput), following the
// site policy; the change is audited. A revoked link cannot be changed
// (EConflict).
func (s *Service) UpdateLink(ctx context.Context, actor lectern.Principal, clientAddr, linkID string, in LinkInput) (lectern.ShareLink, error) {
	l, d, err := s.authorizeLink(ctx, actor, clientAddr, linkID)
	if err != nil {
		return lectern.ShareLink{}, err
	}
	if l.State == lectern.LinkRevoked {
		return lectern.ShareLink{}, lectern.Errorf(lectern.EConflict, "This link was revoked and cannot be changed.")
	}
	p, err := s.Policy(ctx)
	if err != nil {
		return lectern.ShareLink{}, err
	}
	now := s.now()
	before := linkDetail(l)
	if err := s.apply(&l, in, p, now); err != nil {
		return lectern.ShareLink{}, err
	}
	l.UpdatedAt = now
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.UpdateShareLink(ctx, l); err != nil {
			return err
		}
		return s.audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: AuditLinkChange,
			ResourceType: lectern.ResourceSession, ResourceID: l.SessionID, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: "link " + l.ID + ": " + before + " -> " + linkDetail(l)})
	})
	if err != nil {
		return lectern.ShareLink{}, err
	}
	return s.db.ShareLinkByID(ctx, l.ID)
}

// SuspendLink stops a link until its owner resumes it; ResumeLink lets it
// work again (and restarts its spike window); RevokeLink ends it for
// good. Each is audited. A move the link's state does not allow is
// EConflict.
func (s *Service) SuspendLink(ctx context.Context, actor lectern.Principal, clientAddr, linkID string) (lectern.ShareLink, error) {
	return s.moveLink(ctx, actor, clientAddr, linkID, []lectern.LinkState{lectern.LinkActive}, lectern.LinkSuspended,
		lectern.SuspendedByOwner, AuditLinkSuspend, "Only an active link can be suspended.")
}

// ResumeLink: see SuspendLink.
func (s *Service) ResumeLink(ctx context.Context, actor lectern.Principal, clientAddr, linkID string) (lectern.ShareLink, error) {
	return s.moveLink(ctx, actor, clientAddr, linkID, []lectern.LinkState{lectern.LinkSuspended}, lectern.LinkActive,
		"", AuditLinkResume, "Only a suspended link can be resumed.")
}

// RevokeLink: see SuspendLink.
func (s *Service) RevokeLink(ctx context.Context, actor lectern.Principal, clientAddr, linkID string) (lectern.ShareLink, error) {
	return s.moveLink(ctx, actor, clientAddr, linkID, []lectern.LinkState{lectern.LinkActive, lectern.LinkSuspended},
		lectern.LinkRevoked, "", AuditLinkRevoke, "This link was already revoked.")
}

func (s *Service) moveLink(ctx context.Context, actor lectern.Principal, clientAddr, linkID string, from []lectern.LinkState,
	to lectern.LinkState, reason, action, conflict string) (lectern.ShareLink, error) {
	l, d, err := s.authorizeLink(ctx, actor, clientAddr, linkID)
	if err != nil {
		return lectern.ShareLink{}, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		moved, err := tx.SetShareLinkState(ctx, linkID, from, to, reason, now)
		if err != nil {
			return err
		}
		if !moved {
			return lectern.Errorf(lectern.EConflict, "%s", conflict)
		}
		return s.audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: action,
			ResourceType: lectern.ResourceSession, ResourceID: l.SessionID, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: fmt.Sprintf("link %s: %s -> %s", l.ID, l.State, to)})
	})
	if err != nil {
		return lectern.ShareLink{}, err
	}
	return s.db.ShareLinkByID(ctx, linkID)
}

// Links lists a session's links, newest first, for someone with the share
// right on it.
func (s *Service) Links(ctx context.Context, actor lectern.Principal, clientAddr, sessionID string) ([]lectern.ShareLink, error) {
	if _, err := s.access.Authorize(ctx, actor, lectern.ActionShare, lectern.SessionResource(sessionID), clientAddr); err != nil {
		return nil, err
	}
	links, err := s.db.ShareLinksOf(ctx, sessionID)
	if len(links) > maxLinksListed {
		links = links[:maxLinksListed]
	}
	return links, err
}

// LinkReport is what an owner sees about one link.
type LinkReport struct {
	Link    lectern.ShareLink
	Session lectern.Session
	Stats   sqlstore.ShareStats
	Viewers []lectern.ShareViewer
}

// Link returns a link with its use: opens over time, distinct viewers,
// networks and devices, and each viewer with their allowance.
func (s *Service) Link(ctx context.Context, actor lectern.Principal, clientAddr, linkID string) (LinkReport, error) {
	l, _, err := s.authorizeLink(ctx, actor, clientAddr, linkID)
	if err != nil {
		return LinkReport{}, err
	}
	r := LinkReport{Link: l}
	if r.Session, err = s.db.SessionByID(ctx, l.SessionID); err != nil {
		return LinkReport{}, err
	}
	if r.Stats, err = s.db.ShareLinkStats(ctx, linkID); err != nil {
		return LinkReport{}, err
	}
	if r.Viewers, err = s.db.ShareViewers(ctx, linkID); err != nil {
		return LinkReport{}, err
	}
	return r, nil
}

// ExtendViewer gives one viewer of a link extra opens on top of the
// link's per-viewer limit (1 to 10000 at a time; EInvalid naming
// "opens"). A viewer who never opened the link is ENotFound. Audited.
func (s *Service) ExtendViewer(ctx context.Context, actor lectern.Principal, clientAddr, linkID, viewerID string, extra int) (lectern.ShareViewer, error) {
	if extra < 1 || extra > maxExtendAtOnce {
		return lectern.ShareViewer{}, lectern.Errorf(lectern.EInvalid, "opens: must be from 1 to %d", maxExtendAtOnce)
	}
	l, d, err := s.authorizeLink(ctx, actor, clientAddr, linkID)
	if err != nil {
		return lectern.ShareViewer{}, err
	}
	if !ValidViewerID(viewerID) {
		return lectern.ShareViewer{}, lectern.Errorf(lectern.ENotFound, "viewer not found")
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.ExtendShareViewer(ctx, linkID, viewerID, extra); err != nil {
			return err
		}
		return s.audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: AuditLinkExtend,
			ResourceType: lectern.ResourceSession, ResourceID: l.SessionID, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: fmt.Sprintf("link %s: viewer %s gets %d more opens", l.ID, viewerID, extra)})
	})
	if err != nil {
		return lectern.ShareViewer{}, err
	}
	return s.db.ShareViewerOf(ctx, linkID, viewerID)
}
