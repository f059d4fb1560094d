package sharing_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

var invitationLink = regexp.MustCompile(`https://lectern\.test/invitations/([A-Za-z0-9_-]{43})`)

// invite invites an address to the world's session and returns the
// invitation and the token from the email (empty when the email has no
// invitation link).
func (w *world) invite(r lectern.Resource, email string, expires time.Time) (lectern.GuestInvitation, string) {
	w.t.Helper()
	inv, err := w.svc.Invite(w.ctx(), w.ownerP(), "192.0.2.1", r, sharing.InviteInput{Email: email, ExpiresAt: expires})
	testkit.Must(w.t, err, "invite %s", email)
	mails := w.mail.To(strings.ToLower(email))
	if len(mails) == 0 {
		w.t.Fatalf("no email to %s", email)
	}
	m := invitationLink.FindStringSubmatch(mails[len(mails)-1].Text)
	if m == nil {
		return inv, ""
	}
	return inv, m[1]
}

// A guest accepts an invitation, sets a password, signs in later with it,
// and can see what was shared and nothing else.
func TestGuestInvitation(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		other := accesstest.Session(t, db, "Other lecture", "", w.owner.ID, lectern.PublicationPublished, lectern.LifecycleActive, time.Minute)
		until := w.clock.Now().Add(30 * 24 * time.Hour)
		inv, token := w.invite(lectern.SessionResource(w.session.ID), "Examiner@Partner.example", until)
		if token == "" || inv.Email != "examiner@partner.example" {
			t.Fatalf("invitation %+v, token %q", inv, token)
		}
		guest, err := w.identity.UserByEmail(w.ctx(), "examiner@partner.example")
		testkit.Must(t, err, "guest account")
		if guest.Kind != lectern.UserGuest || guest.PasswordHash != "" {
			t.Fatalf("guest = %+v", guest)
		}

		view, err := w.svc.Invitation(w.ctx(), token)
		if err != nil || view.Title != "Lecture 1" || view.Inviter != "Lecturer" {
			t.Fatalf("invitation page = %+v, %v", view, err)
		}
		if _, err := w.svc.Accept(w.ctx(), token, "short", "", ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Fatalf("short password: %v", err)
		}
		acc, err := w.svc.Accept(w.ctx(), token, "a-long-guest-password", "198.51.100.3", "test")
		testkit.Must(t, err, "accept")
		if acc.Next != "/sessions/"+w.session.ID || acc.SessionToken == "" {
			t.Fatalf("accepted = %+v", acc)
		}
		if u, _, err := w.identity.SessionUser(w.ctx(), acc.SessionToken); err != nil || u.ID != guest.ID {
			t.Fatalf("session user = %+v, %v", u, err)
		}
		if _, err := w.svc.Accept(w.ctx(), token, "another-long-password", "", ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Fatalf("second use of the link: %v", err)
		}
		u, err := w.identity.Authenticate(w.ctx(), "examiner@partner.example", "a-long-guest-password", "198.51.100.3")
		testkit.Must(t, err, "sign in with the chosen password")

		// What the guest may do: view the shared session, until the end
		// of the invitation; nothing else.
		g := lectern.PrincipalOf(u)
		decide := func(a lectern.Action, id string) bool {
			d, err := w.access.Decide(w.ctx(), g, a, lectern.SessionResource(id))
			testkit.Must(t, err, "decide")
			return d.Allowed
		}
		if !decide(lectern.ActionView, w.session.ID) || decide(lectern.ActionEdit, w.session.ID) ||
			decide(lectern.ActionShare, w.session.ID) || decide(lectern.ActionView, other.ID) {
			t.Fatal("the guest may do more, or less, than view the shared session")
		}
		page, err := w.catalog.ListVisibleSessions(w.ctx(), g, 50, "")
		testkit.Must(t, err, "list")
		if len(page.Items) != 1 || page.Items[0].ID != w.session.ID {
			t.Fatalf("the guest's list = %+v, want the shared session only", page.Items)
		}
		if _, err := w.catalog.CreateFolderAs(w.ctx(), g, catalog.NewFolder{Name: "Mine"}, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Fatalf("a guest created a folder: %v", err)
		}
		if _, err := w.catalog.CreateSession(w.ctx(), g, catalog.NewSession{Title: "Mine"}, ""); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Fatalf("a guest uploaded: %v", err)
		}
		if _, err := w.access.CreateGroup(w.ctx(), g, "Mine"); lectern.ErrorCodeOf(err) != lectern.EForbidden {
			t.Fatalf("a guest made a group: %v", err)
		}
		grp, err := w.access.CreateGroup(w.ctx(), w.ownerP(), "Course team")
		testkit.Must(t, err, "group")
		if err := w.access.AddMember(w.ctx(), w.ownerP(), grp.ID, u.ID, time.Time{}, ""); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Fatalf("a guest joined a group: %v", err)
		}
		// Nobody turns the guest into more by accident.
		if err := w.identity.SetAdmin(w.ctx(), u.ID, true); lectern.ErrorCodeOf(err) != lectern.EConflict {
			t.Fatalf("a guest was made an admin: %v", err)
		}
		_, err = w.access.Grant(w.ctx(), w.ownerP(), access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: u.ID,
			Resource: lectern.SessionResource(other.ID), Role: lectern.RoleCreator}, "")
		if lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Fatalf("a guest was made a creator: %v", err)
		}
		w.clock.Advance(31 * 24 * time.Hour)
		if decide(lectern.ActionView, w.session.ID) {
			t.Fatal("the guest still sees the session after the invitation's end")
		}

		events, _, err := w.access.AuditLog(w.ctx(), w.ownerP(), access.AuditQuery{ResourceID: w.session.ID})
		testkit.Must(t, err, "audit")
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, " "); got != sharing.AuditInvite+" "+lectern.AuditGrantAdd {
			t.Fatalf("audit = %s", got)
		}
	})
}

func TestFolderInvitationAndMembers(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	_, token := w.invite(lectern.FolderResource(w.session.FolderID), "judge@expo.example", time.Time{})
	acc, err := w.svc.Accept(w.ctx(), token, "judging-the-expo", "", "")
	testkit.Must(t, err, "accept")
	if acc.Next != "/folders/"+w.session.FolderID {
		t.Fatalf("next = %q", acc.Next)
	}
	d, err := w.access.Decide(w.ctx(), lectern.PrincipalOf(acc.User), lectern.ActionView, lectern.SessionResource(w.session.ID))
	if err != nil || !d.Allowed {
		t.Fatalf("the judge cannot see the folder's session: %+v, %v", d, err)
	}
	// Inviting again someone who has a password sends a sign-in link.
	_, again := w.invite(lectern.SessionResource(w.session.ID), "judge@expo.example", time.Time{})
	if again != "" {
		t.Fatal("a guest with a password got a set-password link")
	}
	// A member is given access and told, with no guest account.
	member := accesstest.User(t, db, "Colleague", false)
	_, tok := w.invite(lectern.SessionResource(w.session.ID), member.Email, time.Time{})
	if tok != "" {
		t.Fatal("a member got a set-password link")
	}
	if u, _ := w.identity.UserByID(w.ctx(), member.ID); u.Kind != lectern.UserLocal {
		t.Fatalf("the member became %s", u.Kind)
	}
	list, err := w.svc.Invitations(w.ctx(), w.ownerP(), "", lectern.SessionResource(w.session.ID))
	if err != nil || len(list) != 2 {
		t.Fatalf("invitations = %+v, %v", list, err)
	}
	stranger := accesstest.User(t, db, "Stranger", false)
	_, err = w.svc.Invite(w.ctx(), lectern.PrincipalOf(stranger), "", lectern.SessionResource(w.session.ID), sharing.InviteInput{Email: "x@y.example"})
	if lectern.ErrorCodeOf(err) != lectern.ENotFound {
		t.Fatalf("a stranger invited: %v", err)
	}
	if _, err := w.identity.UserByEmail(w.ctx(), "x@y.example"); lectern.ErrorCodeOf(err) != lectern.ENotFound {
		t.Fatalf("a refused invitation made an account: %v", err)
	}
}

// Admins turn guests off for a domain (their accounts stop working and
// come back when allowed again) and revoke one for good.
func TestGuestPolicyAndRevocation(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	admin := lectern.PrincipalOf(accesstest.User(t, db, "Admin", true))
	_, token := w.invite(lectern.SessionResource(w.session.ID), "a@partner.example", time.Time{})
	acc, err := w.svc.Accept(w.ctx(), token, "partner-password", "", "")
	testkit.Must(t, err, "accept")

	p := sharing.DefaultPolicy()
	p.GuestBlockedDomains = []string{"@Partner.example "}
	_, err = w.svc.SetPolicy(w.ctx(), admin, "", p)
	testkit.Must(t, err, "block partner.example")
	if _, _, err := w.identity.SessionUser(w.ctx(), acc.SessionToken); err == nil {
		t.Fatal("a blocked guest's session still works")
	}
	_, err = w.svc.Invite(w.ctx(), w.ownerP(), "", lectern.SessionResource(w.session.ID), sharing.InviteInput{Email: "b@sub.partner.example"})
	if lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Fatalf("invited at a blocked domain: %v", err)
	}
	guests, err := w.svc.Guests(w.ctx(), admin)
	if err != nil || len(guests) != 1 || !guests[0].Held || !guests[0].User.Disabled {
		t.Fatalf("guests = %+v, %v", guests, err)
	}
	_, err = w.svc.SetPolicy(w.ctx(), admin, "", sharing.DefaultPolicy())
	testkit.Must(t, err, "unblock")
	if _, err := w.identity.Authenticate(w.ctx(), "a@partner.example", "partner-password", ""); err != nil {
		t.Fatalf("the guest did not come back: %v", err)
	}

	if err := w.svc.RevokeGuest(w.ctx(), w.ownerP(), "", acc.User.ID); lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Fatalf("a non-admin revoked a guest: %v", err)
	}
	testkit.Must(t, w.svc.RevokeGuest(w.ctx(), admin, "", acc.User.ID), "revoke")
	grants, err := db.GrantsOf(w.ctx(), lectern.PrincipalUser, acc.User.ID)
	if err != nil || len(grants) != 0 {
		t.Fatalf("grants after revocation = %+v, %v", grants, err)
	}
	_, err = w.svc.SetPolicy(w.ctx(), admin, "", sharing.DefaultPolicy())
	testkit.Must(t, err, "policy again")
	if _, err := w.identity.Authenticate(w.ctx(), "a@partner.example", "partner-password", ""); err == nil {
		t.Fatal("a revoked guest signed in")
	}
	_, err = w.svc.Invite(w.ctx(), w.ownerP(), "", lectern.SessionResource(w.session.ID), sharing.InviteInput{Email: "a@partner.example"})
	if lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Fatalf("a revoked guest was invited again: %v", err)
	}
}
