package sharing

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// InviteInput is an invitation: an email address, a role (viewer, the
// only one offered to invitees) and an optional end of the access.
type InviteInput struct {
	Email     string
	Role      lectern.Role // empty: viewer
	ExpiresAt time.Time    // zero: the access does not end
}

// shareAction is what inviting to r needs: share on a session,
// manage-access on a folder (as for any grant there).
func shareAction(r lectern.Resource) lectern.Action {
	if r.Type == lectern.ResourceSession {
		return lectern.ActionShare
	}
	return lectern.ActionManageAccess
}

// Invite gives an email address viewer access to a folder or session and
// emails it. An address without an account gets a guest account bound to
// it, and a one-time link to choose its password; a guest who already has
// a password, or a member, gets a notice with a link. The site policy
// decides whether guests may be invited (EForbidden when not). The actor
// needs share on a session, manage-access on a folder. The grant (source
// share) and the invitation are audited.
func (s *Service) Invite(ctx context.Context, actor lectern.Principal, clientAddr string, r lectern.Resource, in InviteInput) (lectern.GuestInvitation, error) {
	if r.Type != lectern.ResourceSession && r.Type != lectern.ResourceFolder {
		return lectern.GuestInvitation{}, lectern.Errorf(lectern.EInvalid, "resource: must be a folder or a session")
	}
	if s.mail == nil {
		return lectern.GuestInvitation{}, lectern.Errorf(lectern.EUnavailable, "Invitations need email, and email is not set up on this site.")
	}
	// Decide first, without side effects, so that nobody without the right
	// creates guest accounts; access.Grant below authorizes (and audits an
	// admin's use) once.
	d, err := s.access.Decide(ctx, actor, shareAction(r), r)
	if err != nil {
		return lectern.GuestInvitation{}, err
	}
	if !d.Allowed {
		_, err := s.access.Authorize(ctx, actor, shareAction(r), r, clientAddr)
		return lectern.GuestInvitation{}, err
	}
	if in.Role == "" {
		in.Role = lectern.RoleViewer
	}
	if in.Role != lectern.RoleViewer {
		return lectern.GuestInvitation{}, lectern.Errorf(lectern.EInvalid, "role: invitations give the viewer role")
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if a, err := mail.ParseAddress(email); err != nil || a.Name != "" || a.Address != email || len(email) > 254 {
		return lectern.GuestInvitation{}, lectern.Errorf(lectern.EInvalid, "email: enter an address such as name@example.org")
	}
	now := s.now()
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		return lectern.GuestInvitation{}, lectern.Errorf(lectern.EInvalid, "expires_at: must be in the future")
	}
	u, firstTime, err := s.invitee(ctx, email)
	if err != nil {
		return lectern.GuestInvitation{}, err
	}
	g, err := s.access.Grant(ctx, actor, access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: u.ID,
		Resource: r, Role: lectern.RoleViewer, ExpiresAt: in.ExpiresAt, Source: lectern.SourceShare}, clientAddr)
	if err != nil {
		return lectern.GuestInvitation{}, err
	}
	inv := lectern.GuestInvitation{ID: sqlstore.NewID(), Email: email, UserID: u.ID, Resource: r, Role: lectern.RoleViewer,
		AccessExpiresAt: g.ExpiresAt, GrantID: g.ID, InvitedBy: actor.UserID, CreatedAt: now,
		LinkExpiresAt: now.Add(s.opts.InvitationTTL)}
	if !firstTime {
		inv.AcceptedAt = now // nothing to set up: the emailed link is the resource's page
	}
	token := NewSecret()
	hash, _ := ParseSecret(token)
	err = s.db.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.InsertGuestInvitation(ctx, inv, hash); err != nil {
			return err
		}
		detail := fmt.Sprintf("invited %s (%s %s) as viewer", email, u.Kind, u.ID)
		if !inv.AccessExpiresAt.IsZero() {
			detail += " until " + inv.AccessExpiresAt.Format(time.RFC3339)
		}
		return s.audit(ctx, tx, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: AuditInvite,
			ResourceType: r.Type, ResourceID: r.ID, OwnerID: d.OwnerID, ClientAddr: clientAddr,
			Reason: string(d.Reason), Detail: detail})
	})
	if err != nil {
		return lectern.GuestInvitation{}, err
	}
	title, err := s.ResourceTitle(ctx, r)
	if err != nil {
		return lectern.GuestInvitation{}, err
	}
	inviter, err := s.contact(ctx, actor.UserID)
	if err != nil {
		return lectern.GuestInvitation{}, err
	}
	link := s.base + resourcePath(r)
	if firstTime {
		link = s.base + "/invitations/" + token
	} else if u.Kind == lectern.UserGuest {
		link = s.base + "/login?next=" + resourcePath(r)
	}
	subject, text := invitationMail(inviter, kindWord(r.Type), title, inv, link, firstTime)
	if err := s.mail.Send(ctx, email, subject, text); err != nil {
		return lectern.GuestInvitation{}, fmt.Errorf("send invitation %s: %w", inv.ID, err)
	}
	return inv, nil
}

// invitee finds or makes the account an invitation is for, and says
// whether it still needs a password set through the invitation.
func (s *Service) invitee(ctx context.Context, email string) (lectern.User, bool, error) {
	p, err := s.Policy(ctx)
	if err != nil {
		return lectern.User{}, false, err
	}
	u, err := s.identity.UserByEmail(ctx, email)
	switch {
	case lectern.ErrorCodeOf(err) == lectern.ENotFound:
		if !p.GuestAllowed(email) {
			return lectern.User{}, false, errGuestsOff(p)
		}
		u, err = s.identity.CreateUser(ctx, identity.NewUser{Email: email, Kind: lectern.UserGuest})
		if err != nil {
			return lectern.User{}, false, err
		}
		return u, true, nil
	case err != nil:
		return lectern.User{}, false, err
	case u.Kind != lectern.UserGuest:
		return u, false, nil // a member: a grant and a notice
	case !p.GuestAllowed(email):
		return lectern.User{}, false, errGuestsOff(p)
	case u.Disabled:
		return lectern.User{}, false, lectern.Errorf(lectern.EForbidden, "The guest account of %s has been disabled by a site admin.", email)
	}
	return u, u.PasswordHash == "", nil
}

func errGuestsOff(p Policy) error {
	if !p.GuestsEnabled {
		return lectern.Errorf(lectern.EForbidden, "Guest accounts are turned off on this site: you can share with members only, or with a link.")
	}
	return lectern.Errorf(lectern.EForbidden, "email: this site does not allow guest accounts for addresses at that domain")
}

func resourcePath(r lectern.Resource) string { return "/" + string(r.Type) + "s/" + r.ID }

func kindWord(t lectern.ResourceType) string {
	if t == lectern.ResourceSession {
		return "recording"
	}
	return string(t)
}

// ResourceTitle is a folder's name or a session's title, for callers that
// have already authorized the reader.
func (s *Service) ResourceTitle(ctx context.Context, r lectern.Resource) (string, error) {
	if r.Type == lectern.ResourceSession {
		sess, err := s.db.SessionByID(ctx, r.ID)
		return sess.Title, err
	}
	f, err := s.db.FolderByID(ctx, r.ID)
	return f.Name, err
}

// InvitationStatus is where an invitation stands, in one word.
type InvitationStatus string

const (
	InvitationPending  InvitationStatus = "pending"  // the guest has not chosen a password yet
	InvitationAccepted InvitationStatus = "accepted" // done (or nothing to set up)
	InvitationExpired  InvitationStatus = "expired"  // the emailed link expired unused
	InvitationRevoked  InvitationStatus = "revoked"  // the guest was revoked
)

// StatusOf says where inv stands at now.
func StatusOf(inv lectern.GuestInvitation, now time.Time) InvitationStatus {
	switch {
	case !inv.RevokedAt.IsZero():
		return InvitationRevoked
	case !inv.AcceptedAt.IsZero():
		return InvitationAccepted
	case !now.Before(inv.LinkExpiresAt):
		return InvitationExpired
	}
	return InvitationPending
}

// Invitations lists the invitations to a folder or session, newest first,
// for someone who may invite there.
func (s *Service) Invitations(ctx context.Context, actor lectern.Principal, clientAddr string, r lectern.Resource) ([]lectern.GuestInvitation, error) {
	if _, err := s.access.Authorize(ctx, actor, shareAction(r), r, clientAddr); err != nil {
		return nil, err
	}
	return s.db.GuestInvitationsOn(ctx, r)
}

func errInvitationLink() error {
	return lectern.Errorf(lectern.EInvalid, "This invitation link has expired or was already used. Sign in if you chose a password; otherwise ask whoever invited you to invite you again.")
}

// InvitationView is what the invitation page shows.
type InvitationView struct {
	Invitation lectern.GuestInvitation
	Title      string // of the folder or session
	What       string // "recording" or "folder"
	Inviter    string
}

// Invitation reads an emailed invitation link that can still be used to
// choose a password; anything else (unknown, used, expired, revoked, an
// account that has a password or is disabled) is EInvalid with one
// message.
func (s *Service) Invitation(ctx context.Context, token string) (InvitationView, error) {
	inv, _, err := s.usableInvitation(ctx, token)
	if err != nil {
		return InvitationView{}, err
	}
	v := InvitationView{Invitation: inv, What: kindWord(inv.Resource.Type)}
	if v.Title, err = s.ResourceTitle(ctx, inv.Resource); err != nil {
		return InvitationView{}, err
	}
	c, err := s.contact(ctx, inv.InvitedBy)
	if err != nil {
		return InvitationView{}, err
	}
	v.Inviter = nameOr(c, "Someone")
	return v, nil
}

func (s *Service) usableInvitation(ctx context.Context, token string) (lectern.GuestInvitation, lectern.User, error) {
	hash, ok := ParseSecret(token)
	if !ok {
		return lectern.GuestInvitation{}, lectern.User{}, errInvitationLink()
	}
	inv, err := s.db.GuestInvitationByTokenHash(ctx, hash)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.GuestInvitation{}, lectern.User{}, errInvitationLink()
	}
	if err != nil {
		return lectern.GuestInvitation{}, lectern.User{}, err
	}
	if StatusOf(inv, s.now()) != InvitationPending {
		return lectern.GuestInvitation{}, lectern.User{}, errInvitationLink()
	}
	u, err := s.identity.UserByID(ctx, inv.UserID)
	if err != nil {
		return lectern.GuestInvitation{}, lectern.User{}, err
	}
	if u.Disabled || u.PasswordHash != "" || u.Kind != lectern.UserGuest {
		return lectern.GuestInvitation{}, lectern.User{}, errInvitationLink()
	}
	return inv, u, nil
}

// Accepted is a guest signed in after choosing a password.
type Accepted struct {
	User lectern.User
	// SessionToken is the login cookie's value, until Session.ExpiresAt.
	SessionToken string
	Session      lectern.LoginSession
	// Next is the page of what was shared.
	Next string
}

// Accept uses an invitation link: it sets the guest account's password
// (identity's rule: 10 to 1024 characters, EInvalid naming the password,
// the link still usable), marks the link used (of two racing uses, one
// wins; the other is EInvalid) and signs the guest in.
func (s *Service) Accept(ctx context.Context, token, password, clientAddr, userAgent string) (Accepted, error) {
	inv, u, err := s.usableInvitation(ctx, token)
	if err != nil {
		return Accepted{}, err
	}
	if err := identity.ValidatePassword(password); err != nil {
		return Accepted{}, err
	}
	ok, err := s.db.AcceptGuestInvitation(ctx, inv.ID, s.now())
	if err != nil {
		return Accepted{}, err
	}
	if !ok {
		return Accepted{}, errInvitationLink()
	}
	if err := s.identity.SetPassword(ctx, u.ID, password); err != nil {
		return Accepted{}, err
	}
	tok, sess, err := s.identity.StartSession(ctx, u.ID, clientAddr, userAgent)
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{User: u, SessionToken: tok, Session: sess, Next: resourcePath(inv.Resource)}, nil
}
