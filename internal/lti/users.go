package lti

import (
	"context"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
)

// ensureUser returns the lti account of the LMS user (issuer, subject),
// creating it on first sight, and keeps its name and email as the LMS
// last sent them. An email another account already has is not taken
// over: the LMS's word is not proof that the person owns that account.
func (s *Service) ensureUser(ctx context.Context, issuer, subject, name, email string) (lectern.User, error) {
	name, email = cleanName(name), cleanEmail(email)
	id, err := s.db.LTIUserID(ctx, issuer, subject)
	switch {
	case err == nil:
		u, err := s.identity.UserByID(ctx, id)
		if err != nil {
			return lectern.User{}, err
		}
		if u.Kind != lectern.UserLTI {
			return u, nil
		}
		if (name != "" && name != u.Name) || (email != "" && email != u.Email) {
			if name == "" {
				name = u.Name
			}
			if email == "" {
				email = u.Email
			}
			err := s.db.UpdateLTIUserProfile(ctx, u.ID, name, email, s.clock())
			if lectern.ErrorCodeOf(err) == lectern.EConflict {
				s.log.WarnContext(ctx, "lti: LMS user's email belongs to another account; keeping the old one", "user_id", u.ID)
				email = u.Email
				err = s.db.UpdateLTIUserProfile(ctx, u.ID, name, email, s.clock())
			}
			if err != nil {
				return lectern.User{}, err
			}
			u.Name, u.Email = name, email
		}
		return u, s.db.TouchLTIUser(ctx, issuer, subject, s.clock())
	case lectern.ErrorCodeOf(err) != lectern.ENotFound:
		return lectern.User{}, err
	}

	if name == "" {
		name = "LMS user"
	}
	u, err := s.identity.CreateUser(ctx, identity.NewUser{Name: name, Email: email, Kind: lectern.UserLTI})
	if code := lectern.ErrorCodeOf(err); email != "" && (code == lectern.EConflict || code == lectern.EInvalid) {
		u, err = s.identity.CreateUser(ctx, identity.NewUser{Name: name, Kind: lectern.UserLTI})
	}
	if err != nil {
		return lectern.User{}, err
	}
	err = s.db.InsertLTIUser(ctx, issuer, subject, u.ID, s.clock())
	if lectern.ErrorCodeOf(err) == lectern.EConflict {
		// Two first launches at once: the other one won.
		if err := s.db.DeleteUnlinkedLTIUser(ctx, u.ID); err != nil {
			return lectern.User{}, err
		}
		id, err := s.db.LTIUserID(ctx, issuer, subject)
		if err != nil {
			return lectern.User{}, err
		}
		return s.identity.UserByID(ctx, id)
	}
	return u, err
}

// cleanName makes an LMS display name fit an account: one line, at most
// 200 characters.
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// cleanEmail returns a plain address, lower-cased, or "" when the LMS sent
// none or something else.
func cleanEmail(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if email == "" || len(email) > 254 || err != nil || a.Address != email || a.Name != "" {
		return ""
	}
	return email
}
