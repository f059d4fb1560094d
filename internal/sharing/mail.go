package sharing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// The emails sharing sends; their texts are golden-tested.

// tellSpike emails the session's owner, and the link's maker when that is
// someone else, that a link tripped its spike rule.
func (s *Service) tellSpike(ctx context.Context, out sqlstore.ShareOpenOutcome, land Landing) error {
	if s.mail == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, id := range []string{land.Session.OwnerID, out.Link.CreatedBy} {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		c, err := s.contact(ctx, id)
		if err != nil {
			return err
		}
		if c.Email == "" {
			continue
		}
		subject, text := spikeMail(c, out, land.Session.Title, s.base+"/links/"+out.Link.ID)
		if err := s.mail.Send(ctx, c.Email, subject, text); err != nil {
			return fmt.Errorf("spike notice for link %s: %w", out.Link.ID, err)
		}
	}
	return nil
}

func spikeMail(to sqlstore.Contact, out sqlstore.ShareOpenOutcome, title, page string) (subject, text string) {
	l, r := out.Link, out.Link.Spike
	var b strings.Builder
	b.WriteString(greeting(to))
	name := "A share link"
	if l.Label != "" {
		name = fmt.Sprintf("The share link %q", l.Label)
	}
	fmt.Fprintf(&b, "%s to your recording %q\n", name, title)
	fmt.Fprintf(&b, "was opened from %d devices on %d networks within %s; its spike rule allows %d of each.\n",
		out.Devices, out.Networks, WindowWords(r.Window), r.MaxDistinct)
	b.WriteString("It may have been passed on beyond the people you sent it to.\n\n")
	if out.SpikeSuspended {
		subject = fmt.Sprintf("Share link suspended: %q may have been passed on", title)
		b.WriteString("Lectern has suspended the link: nobody can open it until you resume it.\n")
	} else {
		subject = fmt.Sprintf("A share link to %q may have been passed on", title)
		b.WriteString("The link still works. If it should not, suspend or revoke it.\n")
	}
	fmt.Fprintf(&b, "See who opened it, and resume, suspend or revoke it, here:\n\n%s\n", page)
	return subject, b.String()
}

// WindowWords is a spike window in words: "24 hours", "90 minutes", "2 days".
func WindowWords(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d%time.Hour == 0 && d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d == time.Hour:
		return "1 hour"
	case d == time.Minute:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}

// invitationMail is the email to an invited address. link is the one-time
// address that sets a password, or, for someone who can already sign in,
// the page of what was shared.
func invitationMail(inviter sqlstore.Contact, what, title string, inv lectern.GuestInvitation, link string, firstTime bool) (subject, text string) {
	subject = fmt.Sprintf("%s shared %q with you", nameOr(inviter, "Someone"), title)
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	fmt.Fprintf(&b, "%s has shared the %s %q with you on Lectern", nameOr(inviter, "Someone"), what, title)
	if !inv.AccessExpiresAt.IsZero() {
		fmt.Fprintf(&b, ",\nuntil %s UTC", inv.AccessExpiresAt.UTC().Format("2 January 2006 15:04"))
	}
	b.WriteString(".\n\n")
	if firstTime {
		fmt.Fprintf(&b, "To watch, open this link and choose a password for your guest account\n(%s):\n\n%s\n\n", inv.Email, link)
		fmt.Fprintf(&b, "The link works once, until %s UTC.\nAfterwards, sign in with your email address and that password.\n",
			inv.LinkExpiresAt.UTC().Format("2 January 2006 15:04"))
		b.WriteString("Your guest account sees only what is shared with it.\n")
	} else {
		fmt.Fprintf(&b, "Sign in as %s to watch:\n\n%s\n", inv.Email, link)
	}
	b.WriteString("\nIf you did not expect this, you can ignore this email.\n")
	return subject, b.String()
}
