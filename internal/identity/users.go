package identity

import (
	"context"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

const (
	maxEmailLen = 254
	maxNameLen  = 200
)

// NewUser describes an account to create. Kind defaults to local.
type NewUser struct {
	Email, Name, Password string
	IsAdmin               bool
	Kind                  lectern.UserKind
}

// CreateUser creates an account. The email is trimmed and lower-cased and
// must be a plain address (EInvalid naming the email); it is required
// except for sso and lti accounts. The password must be 10 to 1024
// characters (EInvalid naming the password); it is required for local
// accounts, and may be empty for the other kinds, which then cannot sign
// in with a password until one is set. An email already in use is
// EConflict.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (lectern.User, error) {
	kind := nu.Kind
	if kind == "" {
		kind = lectern.UserLocal
	}
	switch kind {
	case lectern.UserLocal, lectern.UserSSO, lectern.UserLTI, lectern.UserGuest:
	default:
		return lectern.User{}, lectern.Errorf(lectern.EInvalid, "The account kind %q is not one of local, sso, lti or guest.", kind)
	}
	if kind == lectern.UserGuest && nu.IsAdmin {
		return lectern.User{}, errGuestAdmin()
	}
	email := normalizeEmail(nu.Email)
	if email != "" || kind == lectern.UserLocal || kind == lectern.UserGuest {
		if err := validateEmail(email); err != nil {
			return lectern.User{}, err
		}
	}
	name := strings.TrimSpace(nu.Name)
	if utf8.RuneCountInString(name) > maxNameLen {
		return lectern.User{}, lectern.Errorf(lectern.EInvalid, "The name must be at most %d characters long.", maxNameLen)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name) {
		return lectern.User{}, lectern.Errorf(lectern.EInvalid, "The name must be plain text on one line.")
	}
	var hash string
	if nu.Password != "" || kind == lectern.UserLocal {
		if err := validatePassword(nu.Password); err != nil {
			return lectern.User{}, err
		}
		h, err := HashPassword(nu.Password, s.opts.Params)
		if err != nil {
			return lectern.User{}, err
		}
		hash = h
	}
	u := lectern.User{
		ID:           sqlstore.NewID(),
		Email:        email,
		Name:         name,
		Kind:         kind,
		IsAdmin:      nu.IsAdmin,
		PasswordHash: hash,
		CreatedAt:    s.now(),
	}
	if err := s.db.InsertUser(ctx, u); err != nil {
		return lectern.User{}, err
	}
	return u, nil
}

// UserByID returns an account, or ENotFound.
func (s *Service) UserByID(ctx context.Context, id string) (lectern.User, error) {
	return s.db.UserByID(ctx, id)
}

// UserByEmail returns the account with this email (compared after
// trimming and lower-casing), or ENotFound.
func (s *Service) UserByEmail(ctx context.Context, email string) (lectern.User, error) {
	return s.db.UserByEmail(ctx, normalizeEmail(email))
}

// ListUsers returns accounts oldest first. limit is clamped to 1..1000
// (0 or less means 100); a negative offset counts as 0. Admin pages only.
func (s *Service) ListUsers(ctx context.Context, limit, offset int) ([]lectern.User, error) {
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	return s.db.ListUsers(ctx, limit, max(offset, 0))
}

// CountUsers counts all accounts (the first-run page checks for zero).
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	return s.db.CountUsers(ctx)
}

// SetAdmin grants or removes the site admin role. Removing it from the
// last enabled admin is EConflict, and so is making a guest account an
// admin (an invited outsider is never turned into a member by accident);
// an unknown user is ENotFound. The caller has checked that the actor is
// an admin.
func (s *Service) SetAdmin(ctx context.Context, userID string, admin bool) error {
	if admin {
		u, err := s.db.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Kind == lectern.UserGuest {
			return errGuestAdmin()
		}
	}
	return s.db.SetUserAdmin(ctx, userID, admin, s.now())
}

func errGuestAdmin() error {
	return lectern.Errorf(lectern.EConflict, "A guest account cannot be a site admin.")
}

// SetDisabled disables an account (it can no longer sign in, and its
// login sessions end and its API tokens stop working) or re-enables it.
// An unknown user is ENotFound.
func (s *Service) SetDisabled(ctx context.Context, userID string, disabled bool) error {
	return s.db.SetUserDisabled(ctx, userID, disabled, s.now())
}

// SetPassword sets an account's password (10 to 1024 characters, else
// EInvalid naming the password). It ends all of the account's login
// sessions and voids its unused reset links: a user changing their own
// password gets a fresh session from StartSession afterwards. An unknown
// user is ENotFound.
func (s *Service) SetPassword(ctx context.Context, userID, password string) error {
	if err := validatePassword(password); err != nil {
		return err
	}
	if _, err := s.db.UserByID(ctx, userID); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.opts.Params)
	if err != nil {
		return err
	}
	return s.db.SetUserPassword(ctx, userID, hash, s.now())
}

func normalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// validateEmail accepts a bare address (no display name, no comments)
// that net/mail can parse back to exactly the same string.
func validateEmail(email string) error {
	if email == "" {
		return lectern.Errorf(lectern.EInvalid, "An email address is required.")
	}
	if len(email) > maxEmailLen {
		return lectern.Errorf(lectern.EInvalid, "The email address must be at most %d characters long.", maxEmailLen)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || strings.ContainsAny(email, " \t\r\n<>") {
		return lectern.Errorf(lectern.EInvalid, "Enter a valid email address, such as name@example.org.")
	}
	return nil
}
