// Package notify sends Lectern's email. Every message goes into the outbox
// table first and is delivered by a job, so a message survives SMTP being
// down or the process restarting; without SMTP configured messages are
// held in the outbox for admins to read.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// SMTPConfig says how to reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int // 0: 587 for starttls, 465 for tls, 25 for none
	Username string
	Password string
	// TLS is "starttls" (the default when empty), "tls" (implicit TLS,
	// usually port 465) or "none" (plain SMTP; AUTH is then only sent to a
	// server on loopback).
	TLS      string
	From     string // the From address; default "lectern@" + HeloName or "localhost"
	HeloName string // the name given in EHLO; default: go-mail's (the local host name)
}

// TLS modes for SMTPConfig.TLS.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Enabled reports whether a mail server is configured.
func (c SMTPConfig) Enabled() bool { return c.Host != "" }

// Validate checks the settings, for the config package to call at start.
// Errors are lectern.EInvalid naming the setting.
func (c SMTPConfig) Validate() error {
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return lectern.Errorf(lectern.EInvalid, "smtp.tls: %q is not one of starttls, tls, none", c.TLS)
	}
	if c.Port < 0 || c.Port > 65535 {
		return lectern.Errorf(lectern.EInvalid, "smtp.port: %d is not a TCP port", c.Port)
	}
	if c.From != "" {
		if _, err := mail.ParseAddress(c.From); err != nil {
			return lectern.Errorf(lectern.EInvalid, "smtp.from: %q is not a valid email address", c.From)
		}
	}
	return nil
}

func (c SMTPConfig) tlsMode() string {
	if c.TLS == "" {
		return TLSStartTLS
	}
	return c.TLS
}

func (c SMTPConfig) port() int {
	if c.Port != 0 {
		return c.Port
	}
	switch c.tlsMode() {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	default:
		return 587
	}
}

func (c SMTPConfig) from() string {
	if c.From != "" {
		return c.From
	}
	if c.HeloName != "" {
		return "lectern@" + c.HeloName
	}
	return "lectern@localhost"
}

// Enqueuer inserts jobs; *jobs.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// Outbox stores outgoing mail and hands it to the sender job.
type Outbox struct {
	db    *sqlstore.DB
	queue Enqueuer
	smtp  SMTPConfig
	now   func() time.Time
	log   *slog.Logger
}

// NewOutbox builds the outbox. now is the clock used for creation and
// sent times; log may be nil.
func NewOutbox(db *sqlstore.DB, queue Enqueuer, smtp SMTPConfig, now func() time.Time, log *slog.Logger) *Outbox {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{db: db, queue: queue, smtp: smtp, now: now, log: log}
}

// Limits on what Send accepts.
const (
	maxSubjectLen = 998 // one RFC 5322 line
	maxTextBytes  = 1 << 20
)

// Send stores a plain-text message to one recipient. With SMTP configured
// the message is pending and a delivery job is queued; without, it is held
// for admins to read in the outbox. Errors: lectern.EInvalid naming the
// field ("to", "subject", "text") for bad input. Once Send returns nil the
// message is durable: if queueing the delivery job fails, the error is
// logged and the outbox sweeper queues it within a few minutes.
func (o *Outbox) Send(ctx context.Context, to, subject, text string) error {
	addr, err := validate(to, subject, text)
	if err != nil {
		return err
	}
	m := lectern.Mail{
		ID:        sqlstore.NewID(),
		To:        addr,
		Subject:   subject,
		Text:      text,
		State:     lectern.MailPending,
		CreatedAt: o.now(),
	}
	if !o.smtp.Enabled() {
		m.State = lectern.MailHeld
	}
	if err := o.db.OutboxInsert(ctx, m); err != nil {
		return err
	}
	if m.State == lectern.MailHeld {
		o.log.InfoContext(ctx, "no SMTP server configured; message held in the outbox", "message_id", m.ID)
		return nil
	}
	if err := o.queue.Enqueue(ctx, SendMailArgs{MessageID: m.ID}, nil); err != nil {
		o.log.WarnContext(ctx, "queue mail delivery failed; the outbox sweeper will retry", "message_id", m.ID, "err", err)
	}
	return nil
}

func validate(to, subject, text string) (string, error) {
	to = strings.TrimSpace(to)
	if to == "" {
		return "", lectern.Errorf(lectern.EInvalid, "to: an email address is required")
	}
	a, err := mail.ParseAddress(to)
	if err != nil || strings.ContainsAny(to, "\r\n") {
		return "", lectern.Errorf(lectern.EInvalid, "to: %q is not a valid email address", to)
	}
	if strings.TrimSpace(subject) == "" {
		return "", lectern.Errorf(lectern.EInvalid, "subject: a subject is required")
	}
	if strings.ContainsAny(subject, "\r\n") || !utf8.ValidString(subject) || utf8.RuneCountInString(subject) > maxSubjectLen {
		return "", lectern.Errorf(lectern.EInvalid, "subject: must be one line of at most %d characters", maxSubjectLen)
	}
	if !utf8.ValidString(text) || len(text) > maxTextBytes {
		return "", lectern.Errorf(lectern.EInvalid, "text: must be UTF-8 text of at most %d bytes", maxTextBytes)
	}
	// Keep a display name if one was given ("Ada <ada@example.org>").
	if a.Name != "" {
		return a.String(), nil
	}
	return a.Address, nil
}

// List returns up to limit messages (default and maximum 500), newest
// first. Callers show it to site admins only.
func (o *Outbox) List(ctx context.Context, limit int) ([]lectern.Mail, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	return o.db.OutboxList(ctx, limit)
}

// Get returns one message, or a lectern.ENotFound error. Callers show it
// to site admins only.
func (o *Outbox) Get(ctx context.Context, id string) (lectern.Mail, error) {
	return o.db.OutboxGet(ctx, id)
}

// String describes the configuration without secrets, for logs.
func (c SMTPConfig) String() string {
	if !c.Enabled() {
		return "smtp disabled"
	}
	auth := "no auth"
	if c.Username != "" {
		auth = "auth as " + c.Username
	}
	return fmt.Sprintf("smtp %s:%d (%s, %s)", c.Host, c.port(), c.tlsMode(), auth)
}
