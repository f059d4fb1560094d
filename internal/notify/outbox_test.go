package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/jobs"
	"github.com/lectern-edu/lectern/internal/notify"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

const waitLimit = 20 * time.Second

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fastRetry retries a failed delivery almost at once.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(5 * time.Millisecond) }

// lateQueue lets the outbox exist before the queue its workers go into.
type lateQueue struct{ q *jobs.Queue }

func (l *lateQueue) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if l.q == nil {
		return errors.New("queue not built yet")
	}
	return l.q.Enqueue(ctx, args, opts)
}

type fixture struct {
	db     *sqlstore.DB
	clock  *clock
	outbox *notify.Outbox
	queue  *jobs.Queue
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newFixture migrates River into db and builds an outbox with smtp and a
// started worker queue (fast polling, fast retries).
func newFixture(t *testing.T, db *sqlstore.DB, smtp notify.SMTPConfig) *fixture {
	t.Helper()
	ctx := context.Background()
	testkit.Must(t, jobs.Migrate(ctx, db), "migrate river")
	f := &fixture{db: db, clock: newClock()}
	late := &lateQueue{}
	f.outbox = notify.NewOutbox(db, late, smtp, f.clock.Now, quietLogger())
	workers := river.NewWorkers()
	f.outbox.Register(workers)
	q, err := jobs.New(db, workers, jobs.Options{
		RunWorkers:   true,
		Logger:       quietLogger(),
		PollInterval: 20 * time.Millisecond,
		RetryPolicy:  fastRetry{},
		TestOnly:     true,
	})
	testkit.Must(t, err, "new queue")
	late.q, f.queue = q, q
	testkit.Must(t, q.Start(ctx), "start queue")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return f
}

func smtpTo(s *testkit.SMTPServer) notify.SMTPConfig {
	return notify.SMTPConfig{Host: s.Host, Port: s.Port, TLS: "none", From: "Lectern <lectern@uni.example>", HeloName: "lectern.uni.example"}
}

// only returns the single message in the outbox.
func (f *fixture) only(t *testing.T) lectern.Mail {
	t.Helper()
	list, err := f.outbox.List(context.Background(), 10)
	testkit.Must(t, err, "list outbox")
	if len(list) != 1 {
		t.Fatalf("outbox holds %d messages, want 1", len(list))
	}
	return list[0]
}

// waitState polls until message id is in state.
func (f *fixture) waitState(t *testing.T, id string, state lectern.MailState) lectern.Mail {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		m, err := f.outbox.Get(context.Background(), id)
		testkit.Must(t, err, "get message")
		if m.State == state {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message is %s after %s (attempts %d, last error %q), want %s", m.State, waitLimit, m.Attempts, m.LastError, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSendDeliversOverSMTP(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		srv := testkit.StartSMTP(t)
		f := newFixture(t, db, smtpTo(srv))
		body := "Your recording “Week 3: Entropy” is ready.\n\nWatch it at https://lectern.uni.example/s/abc\n"

		testkit.Must(t, f.outbox.Send(context.Background(), "student@uni.example", "Your recording is ready ✓", body), "send")

		got := srv.WaitFor(t, 1, waitLimit)[0]
		if got.From != "lectern@uni.example" || len(got.To) != 1 || got.To[0] != "student@uni.example" {
			t.Errorf("envelope from %q to %v, want lectern@uni.example to [student@uni.example]", got.From, got.To)
		}
		if s := got.Subject(t); s != "Your recording is ready ✓" {
			t.Errorf("subject %q", s)
		}
		if to := got.Header(t).Get("To"); !strings.Contains(to, "student@uni.example") {
			t.Errorf("To header %q", to)
		}
		if text := got.Text(t); strings.TrimRight(text, "\n") != strings.TrimRight(body, "\n") {
			t.Errorf("body\n%q\nwant\n%q", text, body)
		}

		m := f.waitState(t, f.only(t).ID, lectern.MailSent)
		if m.Attempts != 1 || m.LastError != "" {
			t.Errorf("sent message: attempts %d, last error %q; want 1 and none", m.Attempts, m.LastError)
		}
		if !m.SentAt.Equal(f.clock.Now()) {
			t.Errorf("sent at %s, want the clock's %s", m.SentAt, f.clock.Now())
		}
		if id := got.Header(t).Get("Message-Id"); id != "<"+m.ID+"@uni.example>" {
			t.Errorf("Message-Id %q, want one built from the outbox id", id)
		}
	})
}

func TestSendRetriesUntilTheServerAccepts(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		srv := testkit.StartSMTP(t)
		srv.FailNext(2)
		f := newFixture(t, db, smtpTo(srv))

		testkit.Must(t, f.outbox.Send(context.Background(), "lecturer@uni.example", "Import finished", "Done."), "send")

		srv.WaitFor(t, 1, waitLimit)
		m := f.waitState(t, f.only(t).ID, lectern.MailSent)
		if srv.Refused() != 2 {
			t.Errorf("server refused %d messages, want 2", srv.Refused())
		}
		if m.Attempts != 3 {
			t.Errorf("attempts %d, want 3 (two refused, one accepted)", m.Attempts)
		}
		if !strings.Contains(m.LastError, "451") {
			t.Errorf("last error %q, want the server's 451 from the refused attempt", m.LastError)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("server accepted %d messages, want exactly 1", n)
		}
	})
}

func TestSendAuthenticatesWithPlain(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		srv := testkit.StartSMTP(t)
		srv.RequireAuth("lectern", "correct horse")
		cfg := smtpTo(srv)
		cfg.Username, cfg.Password = "lectern", "correct horse"
		f := newFixture(t, db, cfg)

		testkit.Must(t, f.outbox.Send(context.Background(), "admin@uni.example", "Hello", "Hi."), "send")

		if got := srv.WaitFor(t, 1, waitLimit)[0]; got.Username != "lectern" {
			t.Errorf("authenticated as %q, want lectern", got.Username)
		}
		f.waitState(t, f.only(t).ID, lectern.MailSent)
	})
}

func TestMessageFailsAfterTheLastAttempt(t *testing.T) {
	t.Parallel()
	const password = "wrong-Secret-9f3a"
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		srv := testkit.StartSMTP(t)
		srv.RequireAuth("lectern", "the right one")
		cfg := smtpTo(srv)
		cfg.Username, cfg.Password = "lectern", password
		f := newFixture(t, db, cfg)

		testkit.Must(t, f.outbox.Send(context.Background(), "student@uni.example", "Never arrives", "…"), "send")

		m := f.waitState(t, f.only(t).ID, lectern.MailFailed)
		if m.Attempts != notify.MaxAttempts {
			t.Errorf("attempts %d, want %d", m.Attempts, notify.MaxAttempts)
		}
		if m.LastError == "" || strings.Contains(m.LastError, password) {
			t.Errorf("last error %q: want the failure, without the password", m.LastError)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server accepted %d messages, want 0", n)
		}
	})
}

func TestWithoutSMTPMessagesAreHeld(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, notify.SMTPConfig{})
		ctx := context.Background()

		testkit.Must(t, f.outbox.Send(ctx, "Ada Lovelace <ada@uni.example>", "Reset your password", "Use this link: …"), "send")

		m := f.only(t)
		if m.State != lectern.MailHeld || m.To != `"Ada Lovelace" <ada@uni.example>` || m.Subject != "Reset your password" || m.Text != "Use this link: …" {
			t.Errorf("held message = %+v", m)
		}
		if !m.CreatedAt.Equal(f.clock.Now()) {
			t.Errorf("created at %s, want %s", m.CreatedAt, f.clock.Now())
		}
		got, err := f.outbox.Get(ctx, m.ID)
		testkit.Must(t, err, "get")
		if got != m {
			t.Errorf("Get = %+v, want %+v", got, m)
		}
		counts, err := f.queue.CountByState(ctx)
		testkit.Must(t, err, "count jobs")
		for state, n := range counts {
			if n != 0 {
				t.Errorf("%d %s job(s); a held message queues none", n, state)
			}
		}
		if p := f.outbox.Periodic(); len(p) != 0 {
			t.Errorf("Periodic without SMTP = %v, want none", p)
		}
	})
}

func TestListIsNewestFirst(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, notify.SMTPConfig{})
		ctx := context.Background()
		for _, subject := range []string{"first", "second", "third"} {
			testkit.Must(t, f.outbox.Send(ctx, "a@uni.example", subject, ""), "send %s", subject)
			f.clock.Advance(time.Second)
		}
		list, err := f.outbox.List(ctx, 2)
		testkit.Must(t, err, "list")
		if len(list) != 2 || list[0].Subject != "third" || list[1].Subject != "second" {
			t.Errorf("List(2) subjects = %v, want [third second]", subjects(list))
		}
		_, err = f.outbox.Get(ctx, sqlstore.NewID())
		if code := lectern.ErrorCodeOf(err); code != lectern.ENotFound {
			t.Errorf("Get(unknown) = %v, want %s", err, lectern.ENotFound)
		}
	})
}

func TestSweeperQueuesStrandedMessages(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		srv := testkit.StartSMTP(t)
		f := newFixture(t, db, smtpTo(srv))
		ctx := context.Background()
		if p := f.outbox.Periodic(); len(p) != 1 || p[0].Args.Kind() != (notify.SweepOutboxArgs{}).Kind() {
			t.Fatalf("Periodic = %+v, want the outbox sweeper", p)
		}
		// A message stored before a crash that lost its delivery job, and
		// one too fresh to be considered stranded.
		old := lectern.Mail{ID: sqlstore.NewID(), To: "old@uni.example", Subject: "Stranded", Text: "x",
			State: lectern.MailPending, CreatedAt: f.clock.Now().Add(-2 * time.Minute)}
		fresh := lectern.Mail{ID: sqlstore.NewID(), To: "new@uni.example", Subject: "Fresh", Text: "y",
			State: lectern.MailPending, CreatedAt: f.clock.Now()}
		testkit.Must(t, db.OutboxInsert(ctx, old), "insert stranded message")
		testkit.Must(t, db.OutboxInsert(ctx, fresh), "insert fresh message")

		testkit.Must(t, f.queue.Enqueue(ctx, notify.SweepOutboxArgs{}, nil), "run the sweeper")

		got := srv.WaitFor(t, 1, waitLimit)
		if got[0].To[0] != "old@uni.example" {
			t.Errorf("swept message went to %v, want old@uni.example", got[0].To)
		}
		f.waitState(t, old.ID, lectern.MailSent)
		if m, _ := f.outbox.Get(ctx, fresh.ID); m.State != lectern.MailPending {
			t.Errorf("fresh message is %s, want still pending", m.State)
		}
	})
}

func TestSendRejectsBadInput(t *testing.T) {
	t.Parallel()
	db := testkit.OpenDB(t, sqlstore.SQLite)
	outbox := notify.NewOutbox(db, &lateQueue{}, notify.SMTPConfig{}, newClock().Now, quietLogger())
	cases := []struct {
		name, to, subject, text string
		field                   string
	}{
		{"empty address", "", "Hi", "", "to:"},
		{"not an address", "not-an-address", "Hi", "", "to:"},
		{"two addresses", "a@uni.example, b@uni.example", "Hi", "", "to:"},
		{"header injection in address", "a@uni.example\r\nBcc: b@evil.example", "Hi", "", "to:"},
		{"empty subject", "a@uni.example", " ", "", "subject:"},
		{"header injection in subject", "a@uni.example", "Hi\r\nBcc: b@evil.example", "", "subject:"},
		{"invalid UTF-8 text", "a@uni.example", "Hi", "\xff\xfe", "text:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := outbox.Send(context.Background(), tc.to, tc.subject, tc.text)
			if code := lectern.ErrorCodeOf(err); code != lectern.EInvalid {
				t.Fatalf("Send = %v, want %s", err, lectern.EInvalid)
			}
			if msg := lectern.ErrorMessage(err); !strings.HasPrefix(msg, tc.field) {
				t.Errorf("message %q does not name the field %q", msg, tc.field)
			}
		})
	}
	list, err := outbox.List(context.Background(), 10)
	testkit.Must(t, err, "list")
	if len(list) != 0 {
		t.Errorf("rejected messages were stored: %v", subjects(list))
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cfg   notify.SMTPConfig
		field string // "" means valid
	}{
		{"empty is valid (disabled)", notify.SMTPConfig{}, ""},
		{"starttls default", notify.SMTPConfig{Host: "smtp.uni.example", From: "lectern@uni.example"}, ""},
		{"implicit tls", notify.SMTPConfig{Host: "smtp.uni.example", TLS: "tls", Port: 465}, ""},
		{"unknown tls mode", notify.SMTPConfig{Host: "smtp.uni.example", TLS: "ssl"}, "smtp.tls:"},
		{"bad port", notify.SMTPConfig{Host: "smtp.uni.example", Port: 70000}, "smtp.port:"},
		{"bad from", notify.SMTPConfig{Host: "smtp.uni.example", From: "lectern"}, "smtp.from:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if lectern.ErrorCodeOf(err) != lectern.EInvalid || !strings.HasPrefix(lectern.ErrorMessage(err), tc.field) {
				t.Errorf("Validate = %v, want %s naming %s", err, lectern.EInvalid, tc.field)
			}
		})
	}
	if s := (notify.SMTPConfig{Host: "h", Username: "u", Password: "hunter2"}).String(); strings.Contains(s, "hunter2") {
		t.Errorf("String() leaks the password: %s", s)
	}
}

func subjects(list []lectern.Mail) []string {
	var out []string
	for _, m := range list {
		out = append(out, m.Subject)
	}
	return out
}
