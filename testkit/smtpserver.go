package testkit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server on loopback that keeps every message it
// accepts. It speaks plain SMTP (no TLS), offers AUTH PLAIN (optional for
// clients unless RequireAuth was called), and can be told to refuse the
// next messages with a temporary 451 error to exercise retries.
type SMTPServer struct {
	Host string
	Port int

	mu       sync.Mutex
	msgs     []ReceivedMail
	failNext int
	refused  int
	user     string
	pass     string
	changed  chan struct{} // closed and replaced whenever msgs grows
}

// ReceivedMail is one accepted message, as the client sent it.
type ReceivedMail struct {
	From string
	To   []string
	// Username is who authenticated with AUTH PLAIN, or "".
	Username string
	// Data is the raw message: headers and body.
	Data []byte
}

// StartSMTP starts an SMTP server on 127.0.0.1 on a free port; it stops
// when the test ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // plain SMTP on loopback
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp test server: listen: %v", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return s
}

// RequireAuth makes the server refuse MAIL FROM until the client has
// authenticated with AUTH PLAIN as user and pass.
func (s *SMTPServer) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// FailNext makes the server refuse the next n messages, after receiving
// their data, with "451 4.3.0" (a temporary failure).
func (s *SMTPServer) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// Refused reports how many messages were refused because of FailNext.
func (s *SMTPServer) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Messages returns the messages accepted so far, oldest first.
func (s *SMTPServer) Messages() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedMail(nil), s.msgs...)
}

// WaitFor waits until at least n messages have been accepted and returns
// them; it fails the test after timeout.
func (s *SMTPServer) WaitFor(t testing.TB, n int, timeout time.Duration) []ReceivedMail {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := len(s.msgs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtp test server: %d message(s) after %s, want %d", got, timeout, n)
			return nil
		}
	}
}

func (s *SMTPServer) accept(m ReceivedMail) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		s.refused++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later (test server told to fail)"}
	}
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

func (s *SMTPServer) credentials() (user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user, s.pass
}

type smtpSession struct {
	srv      *SMTPServer
	username string
	from     string
	to       []string
}

func (c *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (c *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		user, pass := c.srv.credentials()
		if user != "" && (username != user || password != pass) {
			return errors.New("invalid credentials")
		}
		c.username = username
		return nil
	}), nil
}

func (c *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if user, _ := c.srv.credentials(); user != "" && c.username == "" {
		return smtp.ErrAuthRequired
	}
	c.from = from
	return nil
}

func (c *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	c.to = append(c.to, to)
	return nil
}

func (c *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return c.srv.accept(ReceivedMail{From: c.from, To: c.to, Username: c.username, Data: data})
}

func (c *smtpSession) Reset() { c.from, c.to = "", nil }

func (c *smtpSession) Logout() error { return nil }

// Header parses the message's header.
func (m ReceivedMail) Header(t testing.TB) mail.Header {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse received mail: %v", err)
	}
	return msg.Header
}

// Subject returns the decoded Subject header.
func (m ReceivedMail) Subject(t testing.TB) string {
	t.Helper()
	raw := m.Header(t).Get("Subject")
	s, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		t.Fatalf("decode subject %q: %v", raw, err)
	}
	return s
}

// Text returns the body of a single-part message, undoing its
// Content-Transfer-Encoding (quoted-printable or base64), with CRLF line
// ends turned into LF.
func (m ReceivedMail) Text(t testing.TB) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse received mail: %v", err)
	}
	var body io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("decode received mail body: %v", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// newlineStripper drops CR and LF, which base64 bodies wrap with.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
