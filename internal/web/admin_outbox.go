package web

import (
	"net/http"

	"github.com/lectern-edu/lectern"
)

// outboxPageSize is how many recent messages the outbox page lists.
const outboxPageSize = 100

// OutboxView lists recent mail.
type OutboxView struct {
	Layout
	Mails []lectern.Mail
}

// MailView shows one message in full, as its recipient would read it.
type MailView struct {
	Layout
	Mail lectern.Mail
}

// Outbox serves GET /admin/outbox (admins only).
func (p *Pages) Outbox(w http.ResponseWriter, r *http.Request) error {
	mails, err := p.cfg.Outbox.List(r.Context(), outboxPageSize)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "admin_outbox", &OutboxView{Layout: Layout{Title: "Outbox", Section: "admin"}, Mails: mails})
}

// OutboxMail serves GET /admin/outbox/{id} (admins only).
func (p *Pages) OutboxMail(w http.ResponseWriter, r *http.Request) error {
	m, err := p.cfg.Outbox.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	title := "Message: " + m.Subject
	if m.Subject == "" {
		title = "Message without a subject"
	}
	return p.render(w, r, http.StatusOK, "admin_mail", &MailView{Layout: Layout{Title: title, Section: "admin"}, Mail: m})
}
