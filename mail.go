package lectern

import "time"

// MailState is where an outbox message stands.
type MailState string

const (
	MailPending MailState = "pending" // waiting for the sender job
	MailSent    MailState = "sent"    // accepted by the SMTP server
	MailFailed  MailState = "failed"  // gave up after the last retry
	MailHeld    MailState = "held"    // no SMTP configured: readable by admins in the outbox
)

// Mail is one message in the outbox. Everything Lectern sends goes
// through the outbox so that nothing is lost when SMTP is down.
type Mail struct {
	ID        string
	To        string
	Subject   string
	Text      string
	State     MailState
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
}
