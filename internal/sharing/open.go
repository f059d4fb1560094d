package sharing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Refusal says which page a refused visit to /s/{token} gets.
type Refusal string

const (
	// RefusedUnavailable: the token is unknown, revoked or expired. One
	// refusal, one page, for all three: no oracle for which tokens exist.
	RefusedUnavailable Refusal = "unavailable"
	// RefusedSuspended: suspended by its owner or by the spike rule.
	RefusedSuspended Refusal = "suspended"
	// RefusedRecording: the recording is not viewable now (unpublished,
	// archived, deleted).
	RefusedRecording Refusal = "recording"
	RefusedUsedUp    Refusal = "used-up"        // the link's total opens are used up
	RefusedViewer    Refusal = "viewer-used-up" // this viewer's opens are used up
	RefusedPassword  Refusal = "password"       // no password, or a wrong one
	RefusedTooMany   Refusal = "too-many"       // too many wrong passwords: wait (RetryAfter)
	RefusedSignIn    Refusal = "sign-in"        // the site allows no anonymous viewers
)

// RefusedError is a refused visit to a link. It unwraps to a
// *lectern.Error with the status and safe message.
type RefusedError struct {
	Reason Refusal
	Err    *lectern.Error
}

func (e *RefusedError) Error() string { return string(e.Reason) + ": " + e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// ReasonOf returns the refusal behind err, or "" when err is not one.
func ReasonOf(err error) Refusal {
	var r *RefusedError
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

func refuse(reason Refusal, code lectern.ErrorCode, msg string) error {
	return &RefusedError{Reason: reason, Err: &lectern.Error{Code: code, Message: msg}}
}

func errUnavailable() error {
	return refuse(RefusedUnavailable, lectern.ENotFound,
		"This link does not work. It may have expired or been withdrawn, or it was copied incompletely. Ask whoever sent it to you for a new one.")
}

// Visitor is who opens a link.
type Visitor struct {
	User *lectern.User // nil: not signed in
	// Browser is the value of the browser's lectern_viewer cookie (see
	// NewSecret); the web layer sets one before the first open.
	Browser    string
	ClientAddr string
	UserAgent  string
}

func (v Visitor) viewerID() (string, error) {
	switch {
	case v.User != nil:
		return userViewer(v.User.ID), nil
	case v.Browser != "":
		if _, ok := ParseSecret(v.Browser); !ok {
			return "", fmt.Errorf("sharing: malformed viewer cookie")
		}
		return browserViewer(v.Browser), nil
	}
	return "", fmt.Errorf("sharing: a visitor needs a user or a viewer cookie")
}

// Landing is what /s/{token} shows before an open.
type Landing struct {
	Link      lectern.ShareLink
	Session   lectern.Session
	OwnerName string
	// OwnAccess: the signed-in visitor may view the session through their
	// own access (named on its permissions): they go to its page, with no
	// password and no link limits.
	OwnAccess bool
	// NeedsPassword: the visitor must type the link's password.
	NeedsPassword bool
	Viewer        lectern.ShareViewer
	// Remaining is how many more opens the viewer has, or -1 for no limit.
	Remaining int
}

// Resolve reads a link for a visitor: ErrUnavailable-style refusals for a
// bad, revoked or expired token; refusals for a suspended link, a
// recording that is not viewable, a site that wants viewers signed in, or
// a viewer who used up their opens. It counts nothing.
func (s *Service) Resolve(ctx context.Context, token string, v Visitor) (Landing, error) {
	hash, ok := ParseSecret(token)
	if !ok {
		return Landing{}, errUnavailable()
	}
	l, err := s.db.ShareLinkByTokenHash(ctx, hash)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return Landing{}, errUnavailable()
	}
	if err != nil {
		return Landing{}, err
	}
	now := s.now()
	if l.State == lectern.LinkRevoked || l.Expired(now) {
		return Landing{}, errUnavailable()
	}
	land := Landing{Link: l, Remaining: -1}
	if land.Session, err = s.db.SessionByID(ctx, l.SessionID); err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return Landing{}, errUnavailable()
		}
		return Landing{}, err
	}
	owner, err := s.contact(ctx, land.Session.OwnerID)
	if err != nil {
		return Landing{}, err
	}
	land.OwnerName = nameOr(owner, "the owner")
	if l.State == lectern.LinkSuspended {
		return land, refuse(RefusedSuspended, lectern.EForbidden,
			"This link has been suspended by "+land.OwnerName+". It may work again later; ask them if you need it now.")
	}
	if !lectern.VisibleToViewers(land.Session.Publication, land.Session.Lifecycle) {
		return land, refuse(RefusedRecording, lectern.EConflict,
			"This recording cannot be watched at the moment. Ask "+land.OwnerName+" about it.")
	}
	if v.User != nil {
		d, err := s.access.Decide(ctx, lectern.PrincipalOf(*v.User), lectern.ActionView, lectern.SessionResource(l.SessionID))
		if err != nil {
			return Landing{}, err
		}
		if land.OwnAccess = d.Allowed && !d.AdminOverride; land.OwnAccess {
			return land, nil
		}
	} else {
		p, err := s.Policy(ctx)
		if err != nil {
			return Landing{}, err
		}
		if !p.AllowAnonymous {
			return land, refuse(RefusedSignIn, lectern.EUnauthorized, "Sign in to open this link.")
		}
	}
	land.NeedsPassword = l.HasPassword() && !(v.User != nil && slices.Contains(l.Named, v.User.Email))
	viewerID, err := v.viewerID()
	if err != nil {
		return land, nil // no viewer yet: nothing opened, nothing used up
	}
	land.Viewer, err = s.db.ShareViewerOf(ctx, l.ID, viewerID)
	if err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
		return Landing{}, err
	}
	land.Remaining = remaining(l, land.Viewer)
	if land.Remaining == 0 {
		return land, s.usedUp(l, land, RefusedViewer)
	}
	if l.MaxOpens > 0 && l.Opens >= l.MaxOpens {
		return land, s.usedUp(l, land, RefusedUsedUp)
	}
	return land, nil
}

// remaining is how many more opens v has under l's per-viewer limit, or
// -1 for no limit.
func remaining(l lectern.ShareLink, v lectern.ShareViewer) int {
	if l.MaxViewsPerViewer <= 0 {
		return -1
	}
	return max(v.Allowance(l)-v.Opens, 0)
}

func (s *Service) usedUp(l lectern.ShareLink, land Landing, r Refusal) error {
	if r == RefusedViewer {
		return refuse(r, lectern.EForbidden, fmt.Sprintf(
			"You have opened this recording %d times, as many as this link allows. Ask %s if you need to watch it again.",
			land.Viewer.Opens, land.OwnerName))
	}
	return refuse(r, lectern.EForbidden, fmt.Sprintf(
		"This link has been opened %d times, as many as it allows. Ask %s for a new one.", l.MaxOpens, land.OwnerName))
}

// Opened is a successful open: where to play from, until when.
type Opened struct {
	Landing
	HLSURL    string
	ExpiresAt time.Time
}

// Open checks a visit to a link (Resolve, then the password when one is
// needed, rate-limited per link and per client address), counts the open
// exactly (sqlstore.OpenShareLink), applies the spike rule, and issues a
// playback token. An open whose token cannot be issued is given back. A
// signed-in visitor with their own access gets Landing.OwnAccess and no
// token: their way in is the session's own page.
func (s *Service) Open(ctx context.Context, token string, form OpenForm, v Visitor) (Opened, error) {
	land, err := s.Resolve(ctx, token, v)
	if err != nil || land.OwnAccess {
		return Opened{Landing: land}, err
	}
	viewerID, err := v.viewerID()
	if err != nil {
		return Opened{}, err
	}
	l := land.Link
	if land.NeedsPassword {
		if err := s.checkPassword(ctx, l, form.Password, v.ClientAddr); err != nil {
			return Opened{Landing: land}, err
		}
	}
	o := sqlstore.ShareOpen{LinkID: l.ID, ViewerID: viewerID, Network: network(v.ClientAddr),
		Device: device(v.Browser, viewerID, v.UserAgent), At: s.now(),
		SuspendAudit: lectern.AuditEvent{Action: AuditLinkSuspend, ResourceType: lectern.ResourceSession,
			ResourceID: l.SessionID, OwnerID: land.Session.OwnerID, ClientAddr: v.ClientAddr, Reason: "spike rule"}}
	if v.User != nil {
		o.UserID = v.User.ID
	}
	out, err := s.db.OpenShareLink(ctx, o)
	if err != nil {
		return Opened{}, err
	}
	if out.SpikeNotify || out.SpikeSuspended {
		if err := s.tellSpike(ctx, out, land); err != nil {
			return Opened{}, err
		}
	}
	land.Link = out.Link
	switch out.Refused {
	case "":
	case sqlstore.RefusedRevoked, sqlstore.RefusedExpired:
		return Opened{}, errUnavailable()
	case sqlstore.RefusedSuspended, sqlstore.RefusedSpike:
		return Opened{Landing: land}, refuse(RefusedSuspended, lectern.EForbidden,
			"This link has been suspended by "+land.OwnerName+". It may work again later; ask them if you need it now.")
	case sqlstore.RefusedViewer:
		land.Viewer, land.Remaining = out.Viewer, 0
		return Opened{Landing: land}, s.usedUp(out.Link, land, RefusedViewer)
	default:
		return Opened{Landing: land}, s.usedUp(out.Link, land, RefusedUsedUp)
	}
	land.Viewer = out.Viewer
	land.Remaining = remaining(out.Link, out.Viewer)
	hlsURL, expires, err := s.issuer.Issue(ctx, l.SessionID, linkPrincipalPrefix+l.ID+":"+viewerID)
	if err != nil {
		if rerr := s.db.RefundShareOpen(context.WithoutCancel(ctx), l.ID, viewerID, out.OpenID); rerr != nil {
			return Opened{}, errors.Join(err, rerr)
		}
		return Opened{}, err
	}
	return Opened{Landing: land, HLSURL: hlsURL, ExpiresAt: expires}, nil
}

// checkPassword checks a link password. The per-link and per-address
// limits are checked first, so that once they are reached even the right
// password is refused until the wait is over; a wrong password counts
// against both. An empty password is asked for again without counting.
func (s *Service) checkPassword(ctx context.Context, l lectern.ShareLink, password, clientAddr string) error {
	linkBucket, addrBucket := bucketLinkPass+l.ID, bucketAddrPass+identity.AddrKey(clientAddr)
	wait, err := s.limits.Check(ctx, linkBucket, s.opts.LinkPasswordLimit.Max, s.opts.LinkPasswordLimit.Window)
	if err != nil {
		return err
	}
	addrWait, err := s.limits.Check(ctx, addrBucket, s.opts.AddrPasswordLimit.Max, s.opts.AddrPasswordLimit.Window)
	if err != nil {
		return err
	}
	if wait = max(wait, addrWait); wait > 0 {
		secs := max(int(math.Ceil(wait.Seconds())), 1)
		return &RefusedError{Reason: RefusedTooMany, Err: &lectern.Error{Code: lectern.ETooMany, RetryAfter: secs,
			Message: "Too many wrong passwords. Wait " + waitWords(secs) + ", then try again."}}
	}
	if password == "" {
		return refuse(RefusedPassword, lectern.EUnauthorized, "Enter the password you were given with the link.")
	}
	ok, err := identity.VerifyPassword(password, l.PasswordHash)
	if err != nil {
		return fmt.Errorf("link %s password: %w", l.ID, err)
	}
	if ok {
		return nil
	}
	if err := s.limits.Hit(ctx, linkBucket); err != nil {
		return err
	}
	if err := s.limits.Hit(ctx, addrBucket); err != nil {
		return err
	}
	return refuse(RefusedPassword, lectern.EUnauthorized, "That password is not right. Check it and try again.")
}

// waitWords is a wait in words, rounded up: "45 seconds", "1 minute",
// "14 minutes", "2 hours".
func waitWords(seconds int) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case seconds < 60:
		return plural(max(seconds, 1), "second")
	case seconds < 2*3600:
		return plural((seconds+59)/60, "minute")
	default:
		return plural((seconds+3599)/3600, "hour")
	}
}
