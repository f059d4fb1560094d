package sharing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// TestSeedScenario is seed 003's story: a lecturer shares a recording
// with an external examiner through a link with a password and two views
// per viewer; a student of the course, who can watch it anyway, forwards
// the link to a third person, who is asked for the password; the
// examiner's third open is refused until the lecturer extends it; and
// when the link spreads to more devices than its spike rule allows, it
// is suspended and the lecturer is emailed.
func TestSeedScenario(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		student := accesstest.User(t, db, "Student", false)
		accesstest.Grant(t, db, lectern.PrincipalUser, student.ID, lectern.SessionResource(w.session.ID), lectern.RoleViewer, time.Time{})

		link, token := w.link(sharing.LinkInput{
			Label: ptr("External examiner"), Password: ptr("examiner-2026"), MaxViewsPerViewer: ptr(2),
			Spike: &lectern.SpikeRule{MaxDistinct: 3, Window: time.Hour, Action: lectern.SpikeSuspend},
		})
		if got := w.svc.LinkURL(token); got != "https://lectern.test/s/"+token {
			t.Fatalf("url = %q", got)
		}

		// The examiner opens it with the password.
		examiner := browser("198.51.100.7")
		land, err := w.svc.Resolve(w.ctx(), token, examiner)
		if err != nil || !land.NeedsPassword || land.Remaining != 2 {
			t.Fatalf("examiner landing = %+v, %v; want a password form with 2 views left", land, err)
		}
		if o := w.mustOpen(token, "examiner-2026", examiner); o.Remaining != 1 {
			t.Fatalf("after the first open %d views are left, want 1", o.Remaining)
		}

		// The student, signed in, follows the link: named on the
		// recording's permissions, never asked for the password.
		land, err = w.svc.Resolve(w.ctx(), token, signedIn(student, "192.0.2.50"))
		if err != nil || !land.OwnAccess || land.NeedsPassword {
			t.Fatalf("student landing = %+v, %v; want own access and no password", land, err)
		}
		o, err := w.open(token, "", signedIn(student, "192.0.2.50"))
		if err != nil || !o.OwnAccess || o.HLSURL != "" {
			t.Fatalf("student open = %+v, %v; want to be sent to the recording's page, not counted", o, err)
		}

		// The third person, to whom the student forwarded it, is asked for
		// the password and gets nowhere without it.
		third := browser("203.0.113.9")
		if land, err := w.svc.Resolve(w.ctx(), token, third); err != nil || !land.NeedsPassword {
			t.Fatalf("third person landing = %+v, %v; want a password form", land, err)
		}
		_, err = w.open(token, "", third)
		wantRefusal(t, err, sharing.RefusedPassword)
		_, err = w.open(token, "guess-one-two", third)
		wantRefusal(t, err, sharing.RefusedPassword)

		// The examiner's second open works; the third is refused.
		w.mustOpen(token, "examiner-2026", examiner)
		_, err = w.open(token, "examiner-2026", examiner)
		wantRefusal(t, err, sharing.RefusedViewer)
		if !strings.Contains(lectern.ErrorMessage(err), "2 times") {
			t.Fatalf("message %q does not say how many times", lectern.ErrorMessage(err))
		}

		// The lecturer sees one viewer with two opens and extends it.
		rep, err := w.svc.Link(w.ctx(), w.ownerP(), "", link.ID)
		testkit.Must(t, err, "link report")
		if rep.Stats.Opens != 2 || rep.Stats.Viewers != 1 || len(rep.Viewers) != 1 || rep.Viewers[0].Opens != 2 {
			t.Fatalf("report = %+v, viewers %+v; want 2 opens by 1 viewer", rep.Stats, rep.Viewers)
		}
		v, err := w.svc.ExtendViewer(w.ctx(), w.ownerP(), "", link.ID, rep.Viewers[0].ViewerID, 1)
		if err != nil || v.ExtraOpens != 1 {
			t.Fatalf("extend = %+v, %v", v, err)
		}
		if o := w.mustOpen(token, "examiner-2026", examiner); o.Remaining != 0 {
			t.Fatalf("after the extended open %d are left, want 0", o.Remaining)
		}
		_, err = w.open(token, "examiner-2026", examiner)
		wantRefusal(t, err, sharing.RefusedViewer)

		// The password spreads: two more devices are within the rule (3),
		// a fourth trips it, which suspends the link and tells the owner.
		w.mustOpen(token, "examiner-2026", browser("203.0.113.20"))
		w.mustOpen(token, "examiner-2026", browser("203.0.114.20"))
		_, err = w.open(token, "examiner-2026", browser("203.0.115.20"))
		wantRefusal(t, err, sharing.RefusedSuspended)
		_, err = w.open(token, "examiner-2026", browser("203.0.113.20"))
		wantRefusal(t, err, sharing.RefusedSuspended)
		mails := w.mail.To(w.owner.Email)
		if len(mails) != 1 || !strings.Contains(mails[0].Subject, "suspended") || !strings.Contains(mails[0].Text, "/links/"+link.ID) {
			t.Fatalf("owner mail = %+v; want one suspension notice with the link's page", mails)
		}
		if got := w.issuer.issued.Load(); got != 5 {
			t.Fatalf("%d playback tokens issued, want 5 (one per successful open)", got)
		}

		// Every change was audited.
		events, _, err := w.access.AuditLog(w.ctx(), w.ownerP(), access.AuditQuery{ResourceID: w.session.ID, Action: "share."})
		testkit.Must(t, err, "audit log")
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		want := []string{sharing.AuditLinkSuspend, sharing.AuditLinkExtend, sharing.AuditLinkCreate}
		if strings.Join(actions, " ") != strings.Join(want, " ") {
			t.Fatalf("audit actions = %v, want %v", actions, want)
		}

		// The lecturer reads the notice and resumes it; the spike window
		// starts again.
		w.clock.Advance(10 * time.Minute)
		_, err = w.svc.ResumeLink(w.ctx(), w.ownerP(), "", link.ID)
		testkit.Must(t, err, "resume")
		w.mustOpen(token, "examiner-2026", browser("203.0.116.20"))
	})
}

func TestNamedViewersSkipThePassword(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	partner := accesstest.User(t, db, "Partner", false)
	_, token := w.link(sharing.LinkInput{Password: ptr("letmein-please"), Named: &[]string{" PARTNER@example.edu "}})
	land, err := w.svc.Resolve(w.ctx(), token, signedIn(partner, "192.0.2.9"))
	if err != nil || land.NeedsPassword || land.OwnAccess {
		t.Fatalf("named viewer landing = %+v, %v; want no password", land, err)
	}
	w.mustOpen(token, "", signedIn(partner, "192.0.2.9"))
	// Not signed in, the same person is asked for it.
	if land, _ := w.svc.Resolve(w.ctx(), token, browser("192.0.2.9")); !land.NeedsPassword {
		t.Fatal("an anonymous visitor was not asked for the password")
	}
}

func TestSpikeRuleNotifiesOncePerWindow(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	_, token := w.link(sharing.LinkInput{Spike: &lectern.SpikeRule{MaxDistinct: 1, Window: time.Hour, Action: lectern.SpikeNotify}})
	w.mustOpen(token, "", browser("192.0.2.1"))
	if n := len(w.mail.To(w.owner.Email)); n != 0 {
		t.Fatalf("%d mails after one device", n)
	}
	w.mustOpen(token, "", browser("198.51.100.1")) // a second device: over the rule, still opens
	w.mustOpen(token, "", browser("203.0.113.1"))
	if n := len(w.mail.To(w.owner.Email)); n != 1 {
		t.Fatalf("%d mails within one window, want 1", n)
	}
	w.clock.Advance(2 * time.Hour)
	w.mustOpen(token, "", browser("192.0.2.1"))
	w.mustOpen(token, "", browser("198.51.100.1"))
	if n := len(w.mail.To(w.owner.Email)); n != 2 {
		t.Fatalf("%d mails after the window passed and the rule tripped again, want 2", n)
	}
}

// A revoked, an expired and an unknown (or mangled) token all get the
// same refusal, word for word: no oracle for which tokens exist.
func TestUnavailableLinksLookAlike(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	revoked, revokedToken := w.link(sharing.LinkInput{})
	_, err := w.svc.RevokeLink(w.ctx(), w.ownerP(), "", revoked.ID)
	testkit.Must(t, err, "revoke")
	_, expiredToken := w.link(sharing.LinkInput{ExpiresAt: ptr(w.clock.Now().Add(time.Hour))})
	w.clock.Advance(2 * time.Hour)
	tokens := map[string]string{
		"revoked": revokedToken, "expired": expiredToken, "unknown": sharing.NewSecret(),
		"mangled": revokedToken[:42] + "!", "empty": "",
	}
	var first string
	for name, tok := range tokens {
		_, err := w.open(tok, "", browser("192.0.2.1"))
		wantRefusal(t, err, sharing.RefusedUnavailable)
		if lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Fatalf("%s: code %s", name, lectern.ErrorCodeOf(err))
		}
		if first == "" {
			first = lectern.ErrorMessage(err)
		} else if lectern.ErrorMessage(err) != first {
			t.Fatalf("%s: message %q differs from %q", name, lectern.ErrorMessage(err), first)
		}
	}
}

func TestTotalLimitAndRefund(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	link, token := w.link(sharing.LinkInput{MaxOpens: ptr(1)})
	w.issuer.failWith(errors.New("media store down"))
	if _, err := w.open(token, "", browser("192.0.2.1")); err == nil {
		t.Fatal("open succeeded while the issuer fails")
	}
	w.issuer.failWith(nil)
	got, err := db.ShareLinkByID(w.ctx(), link.ID)
	testkit.Must(t, err, "read link")
	if got.Opens != 0 {
		t.Fatalf("a failed open was kept: opens = %d", got.Opens)
	}
	w.mustOpen(token, "", browser("192.0.2.1"))
	_, err = w.open(token, "", browser("192.0.2.2"))
	wantRefusal(t, err, sharing.RefusedUsedUp)
	// The owner raises the limit.
	_, err = w.svc.UpdateLink(w.ctx(), w.ownerP(), "", link.ID, sharing.LinkInput{MaxOpens: ptr(2)})
	testkit.Must(t, err, "raise limit")
	w.mustOpen(token, "", browser("192.0.2.2"))
}

func TestLinkRightsAndStates(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	viewer := accesstest.User(t, db, "Viewer", false)
	accesstest.Grant(t, db, lectern.PrincipalUser, viewer.ID, lectern.SessionResource(w.session.ID), lectern.RoleViewer, time.Time{})
	stranger := accesstest.User(t, db, "Stranger", false)
	_, _, err := w.svc.CreateLink(w.ctx(), lectern.PrincipalOf(viewer), "", w.session.ID, sharing.LinkInput{})
	if lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Fatalf("a viewer made a link: %v", err)
	}
	_, _, err = w.svc.CreateLink(w.ctx(), lectern.PrincipalOf(stranger), "", w.session.ID, sharing.LinkInput{})
	if lectern.ErrorCodeOf(err) != lectern.ENotFound {
		t.Fatalf("a stranger making a link: %v, want not found", err)
	}
	link, token := w.link(sharing.LinkInput{})
	if _, err := w.svc.Link(w.ctx(), lectern.PrincipalOf(stranger), "", link.ID); lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Fatalf("a stranger read a link: %v", err)
	}
	if _, err := w.svc.Link(w.ctx(), w.ownerP(), "", "no-such-link"); lectern.ErrorCodeOf(err) != lectern.ENotFound {
		t.Fatalf("an unknown link: %v", err)
	}
	_, err = w.svc.SuspendLink(w.ctx(), w.ownerP(), "", link.ID)
	testkit.Must(t, err, "suspend")
	_, err = w.open(token, "", browser("192.0.2.1"))
	wantRefusal(t, err, sharing.RefusedSuspended)
	if _, err := w.svc.SuspendLink(w.ctx(), w.ownerP(), "", link.ID); lectern.ErrorCodeOf(err) != lectern.EConflict {
		t.Fatalf("suspending twice: %v", err)
	}
	_, err = w.svc.ResumeLink(w.ctx(), w.ownerP(), "", link.ID)
	testkit.Must(t, err, "resume")
	w.mustOpen(token, "", browser("192.0.2.1"))

	// Unpublishing the recording stops the link without revealing more.
	_, err = w.catalog.Unpublish(w.ctx(), w.ownerP(), w.session.ID, "")
	testkit.Must(t, err, "unpublish")
	_, err = w.open(token, "", browser("192.0.2.1"))
	wantRefusal(t, err, sharing.RefusedRecording)

	cases := []struct {
		name string
		in   sharing.LinkInput
	}{
		{"short password", sharing.LinkInput{Password: ptr("short")}},
		{"past expiry", sharing.LinkInput{ExpiresAt: ptr(w.clock.Now().Add(-time.Hour))}},
		{"negative limit", sharing.LinkInput{MaxOpens: ptr(-1)}},
		{"bad named", sharing.LinkInput{Named: &[]string{"not an address"}}},
		{"bad spike", sharing.LinkInput{Spike: &lectern.SpikeRule{MaxDistinct: 0, Window: time.Hour, Action: lectern.SpikeNotify}}},
	}
	for _, c := range cases {
		if _, _, err := w.svc.CreateLink(w.ctx(), w.ownerP(), "", w.session.ID, c.in); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Errorf("%s: %v, want invalid", c.name, err)
		}
	}
}

func TestSitePolicyOnLinks(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db)
	admin := accesstest.User(t, db, "Admin", true)
	p := sharing.DefaultPolicy()
	p.PasswordRequired, p.MaxExpiry, p.AllowAnonymous = true, 7*24*time.Hour, false
	if _, err := w.svc.SetPolicy(w.ctx(), w.ownerP(), "", p); lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Fatalf("a non-admin set the policy: %v", err)
	}
	_, err := w.svc.SetPolicy(w.ctx(), lectern.PrincipalOf(admin), "", p)
	testkit.Must(t, err, "set policy")

	if _, _, err := w.svc.CreateLink(w.ctx(), w.ownerP(), "", w.session.ID, sharing.LinkInput{}); lectern.ErrorCodeOf(err) != lectern.EInvalid {
		t.Fatalf("a link without a password: %v", err)
	}
	tooLate := w.clock.Now().Add(30 * 24 * time.Hour)
	if _, _, err := w.svc.CreateLink(w.ctx(), w.ownerP(), "", w.session.ID,
		sharing.LinkInput{Password: ptr("long-enough"), ExpiresAt: &tooLate}); lectern.ErrorCodeOf(err) != lectern.EInvalid {
		t.Fatalf("a link beyond the maximum expiry: %v", err)
	}
	l, token := w.link(sharing.LinkInput{Password: ptr("long-enough")})
	if want := w.clock.Now().Add(7 * 24 * time.Hour); !l.ExpiresAt.Equal(want) {
		t.Fatalf("expiry = %v, want the maximum %v", l.ExpiresAt, want)
	}
	_, err = w.open(token, "long-enough", browser("192.0.2.1"))
	wantRefusal(t, err, sharing.RefusedSignIn)
	stranger := accesstest.User(t, db, "Stranger", false)
	w.mustOpen(token, "long-enough", signedIn(stranger, "192.0.2.1"))
}
