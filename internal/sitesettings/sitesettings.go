// Package sitesettings holds the settings an admin edits in the browser
// (as opposed to the configuration file, which needs a restart). They live
// in the database so that every serve node sees the same values.
package sitesettings

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Settings is the typed view of the settings table. The zero value is not
// valid; start from Defaults or from Get.
type Settings struct {
	// SiteName is shown in page titles, the header and emails; 1–100 characters.
	SiteName string
	// SupportEmail, when set, is shown in the footer as the address to
	// write to for help. Empty hides it.
	SupportEmail string
}

// Keys in the settings table. Renaming one orphans the stored value.
const (
	keySiteName     = "site_name"
	keySupportEmail = "support_email"
)

// MaxSiteNameLen is the longest site name accepted, in characters.
const MaxSiteNameLen = 100

// Defaults returns the settings of a site nobody has configured yet.
func Defaults() Settings {
	return Settings{SiteName: "Lectern"}
}

// Normalize trims surrounding white space from every field.
func (s Settings) Normalize() Settings {
	s.SiteName = strings.TrimSpace(s.SiteName)
	s.SupportEmail = strings.TrimSpace(s.SupportEmail)
	return s
}

// Validate returns an EInvalid error naming the first bad field, or nil.
func (s Settings) Validate() error {
	n := utf8.RuneCountInString(s.SiteName)
	switch {
	case n == 0:
		return lectern.Errorf(lectern.EInvalid, "Site name is required.")
	case n > MaxSiteNameLen:
		return lectern.Errorf(lectern.EInvalid, "Site name must be at most %d characters (it has %d).", MaxSiteNameLen, n)
	case !utf8.ValidString(s.SiteName) || strings.IndexFunc(s.SiteName, unicode.IsControl) >= 0:
		return lectern.Errorf(lectern.EInvalid, "Site name must not contain control characters.")
	}
	if s.SupportEmail != "" {
		a, err := mail.ParseAddress(s.SupportEmail)
		if err != nil || a.Address != s.SupportEmail {
			return lectern.Errorf(lectern.EInvalid, "Support email must be a plain address such as help@example.edu, or empty.")
		}
	}
	return nil
}

// Service reads and writes the site settings.
type Service struct {
	db  *sqlstore.DB
	now func() time.Time
}

// New returns a Service on db; now is the clock used for updated_at.
func New(db *sqlstore.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

// Get returns the current settings, with defaults for anything never set.
// Anyone may call it: nothing in Settings is secret.
func (s *Service) Get(ctx context.Context) (Settings, error) {
	values, err := s.db.Settings(ctx)
	if err != nil {
		return Settings{}, fmt.Errorf("site settings: %w", err)
	}
	out := Defaults()
	if v, ok := values[keySiteName]; ok && v != "" {
		out.SiteName = v
	}
	if v, ok := values[keySupportEmail]; ok {
		out.SupportEmail = v
	}
	return out, nil
}

// Update normalizes and validates next and stores every field, recording
// byUserID as the author. It returns an EInvalid error naming the field when
// a value is bad, and stores nothing then. The caller must have checked that
// byUserID is a site admin.
func (s *Service) Update(ctx context.Context, next Settings, byUserID string) error {
	next = next.Normalize()
	if err := next.Validate(); err != nil {
		return err
	}
	err := s.db.PutSettings(ctx, map[string]string{
		keySiteName:     next.SiteName,
		keySupportEmail: next.SupportEmail,
	}, s.now(), byUserID)
	if err != nil {
		return fmt.Errorf("update site settings: %w", err)
	}
	return nil
}
