package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/jobs"
)

// MaxAttempts is how many times delivery of one message is tried before
// it is marked failed. With River's default backoff (attempt⁴ seconds)
// the last try comes about an hour and a half after the first.
const MaxAttempts = 8

// sendTimeout bounds one delivery attempt: connect, greet, send, quit.
const sendTimeout = 30 * time.Second

// Sweeper settings: pending messages older than sweepAge whose delivery
// job went missing (a crash between insert and enqueue) are queued again.
const (
	sweepEvery = time.Minute
	sweepAge   = time.Minute
	sweepBatch = 500
)

// maxErrorLen bounds the error text kept on a message.
const maxErrorLen = 500

// SendMailArgs is the job that delivers one outbox message.
type SendMailArgs struct {
	MessageID string `json:"message_id"`
}

// Kind names the job in river_job.
func (SendMailArgs) Kind() string { return "notify.send_mail" }

// InsertOpts makes the job unique per message while it is queued or
// running, and sets its attempts.
func (SendMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SweepOutboxArgs is the periodic job that re-queues stranded messages.
type SweepOutboxArgs struct{}

// Kind names the job in river_job.
func (SweepOutboxArgs) Kind() string { return "notify.sweep_outbox" }

// Register adds the delivery and sweeper workers to workers.
func (o *Outbox) Register(workers *river.Workers) {
	river.AddWorker(workers, &sendWorker{o: o})
	river.AddWorker(workers, &sweepWorker{o: o})
}

// Periodic returns the outbox sweeper, which every minute queues delivery
// of pending messages older than a minute (covering a crash between
// storing a message and queueing its job; jobs are unique per message, so
// a message already queued is not queued twice). Without SMTP there is
// nothing to deliver and it returns nil.
func (o *Outbox) Periodic() []jobs.Periodic {
	if !o.smtp.Enabled() {
		return nil
	}
	return []jobs.Periodic{{Every: sweepEvery, Args: SweepOutboxArgs{}, RunOnStart: true}}
}

type sendWorker struct {
	river.WorkerDefaults[SendMailArgs]
	o *Outbox
}

// Timeout gives an attempt room for the SMTP timeout and the bookkeeping.
func (w *sendWorker) Timeout(*river.Job[SendMailArgs]) time.Duration {
	return sendTimeout + 30*time.Second
}

// Work delivers one message. It is idempotent: a message no longer
// pending (sent, failed, held) is left alone. A failure is counted on the
// message and returned so that River retries with backoff; on the last
// attempt the message becomes failed.
func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendMailArgs]) error {
	o := w.o
	id := job.Args.MessageID
	m, err := o.db.OutboxGet(ctx, id)
	if err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return river.JobCancel(err)
		}
		return err
	}
	if m.State != lectern.MailPending {
		o.log.DebugContext(ctx, "message is no longer pending; nothing to send", "message_id", id, "state", m.State)
		return nil
	}
	if !o.smtp.Enabled() {
		// Left pending: once SMTP is configured the sweeper queues it again.
		return river.JobCancel(errors.New("no SMTP server configured on this node; the message stays pending"))
	}

	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	sendErr := o.deliver(sendCtx, m)
	if sendErr == nil {
		ok, err := o.db.OutboxMarkSent(ctx, id, o.now())
		if err != nil {
			// The server has the message; retrying would send it twice,
			// so report without failing the job.
			o.log.ErrorContext(ctx, "message sent but not marked sent", "message_id", id, "err", err)
			return nil
		}
		if !ok {
			o.log.WarnContext(ctx, "message sent but its state changed meanwhile", "message_id", id)
		}
		return nil
	}

	final := job.Attempt >= job.MaxAttempts
	safe := o.safeError(sendErr)
	if err := o.db.OutboxRecordFailure(ctx, id, safe, final); err != nil {
		o.log.ErrorContext(ctx, "record mail failure", "message_id", id, "err", err)
	}
	if final {
		o.log.ErrorContext(ctx, "giving up on message", "message_id", id, "attempts", job.Attempt, "err", safe)
	} else {
		o.log.WarnContext(ctx, "mail delivery failed; will retry", "message_id", id, "attempt", job.Attempt, "err", safe)
	}
	return fmt.Errorf("send message %s: %s", id, safe)
}

// deliver hands one message to the SMTP server.
func (o *Outbox) deliver(ctx context.Context, m lectern.Mail) error {
	msg := gomail.NewMsg()
	if err := msg.From(o.smtp.from()); err != nil {
		return fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.SetDateWithValue(m.CreatedAt)
	// A stable Message-ID lets receivers drop a duplicate if a message
	// is ever delivered twice.
	msg.SetMessageIDWithValue(m.ID + "@" + domainOf(o.smtp.from()))

	client, err := gomail.NewClient(o.smtp.Host, o.clientOptions()...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	return client.DialAndSendWithContext(ctx, msg)
}

func (o *Outbox) clientOptions() []gomail.Option {
	c := o.smtp
	opts := []gomail.Option{gomail.WithPort(c.port()), gomail.WithTimeout(sendTimeout)}
	switch c.tlsMode() {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.HeloName != "" {
		opts = append(opts, gomail.WithHELO(c.HeloName))
	}
	if c.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if c.tlsMode() == TLSNone {
			// PLAIN, which go-mail sends unencrypted only to loopback.
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	return opts
}

// safeError renders a delivery error for the outbox row and the job's
// error list: no password, one line, bounded length.
func (o *Outbox) safeError(err error) string {
	s := err.Error()
	if o.smtp.Password != "" {
		s = strings.ReplaceAll(s, o.smtp.Password, "xxxxx")
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen] + "…"
	}
	return s
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.TrimRight(addr[i+1:], ">")
	}
	return "localhost"
}

type sweepWorker struct {
	river.WorkerDefaults[SweepOutboxArgs]
	o *Outbox
}

// Work queues delivery of pending messages older than sweepAge.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepOutboxArgs]) error {
	o := w.o
	if !o.smtp.Enabled() {
		return nil
	}
	ids, err := o.db.OutboxPendingBefore(ctx, o.now().Add(-sweepAge), sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if err := o.queue.Enqueue(ctx, SendMailArgs{MessageID: id}, nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
