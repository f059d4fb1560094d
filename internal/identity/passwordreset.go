package identity

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/lectern-edu/lectern"
)

func errResetLink() error {
	return &lectern.Error{Code: lectern.EInvalid, Message: "This reset link has expired or was already used. Ask for a new one."}
}

// RequestPasswordReset emails a single-use link,
// BaseURL + "/password/reset?token=...", valid for ResetTTL, to the
// account with this email, if there is one that is enabled and may have a
// password (local and guest accounts). For any other email it does
// nothing and still returns nil, so the answer never tells whether an
// account exists. Requests are limited per email (known or not) and per
// client address: over the limit is ETooMany with RetryAfter. Without a
// Mailer it is EUnavailable, for every email alike.
func (s *Service) RequestPasswordReset(ctx context.Context, email, clientAddr string) error {
	if s.mail == nil {
		return lectern.Errorf(lectern.EUnavailable, "Password reset by email is not available on this site. Please contact the site administrator.")
	}
	email = normalizeEmail(email)
	if a := addrKey(clientAddr); a != "" {
		wait, err := s.limits.Take(ctx, bucketResetAddr+a, s.opts.ResetAddrLimit.Max, s.opts.ResetAddrLimit.Window)
		if err != nil {
			return err
		}
		if wait > 0 {
			return tooMany("password reset requests", wait)
		}
	}
	wait, err := s.limits.Take(ctx, bucketResetEmail+truncate(email, 320), s.opts.ResetEmailLimit.Max, s.opts.ResetEmailLimit.Window)
	if err != nil {
		return err
	}
	if wait > 0 {
		return tooMany("password reset requests", wait)
	}

	u, err := s.db.UserByEmail(ctx, email)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Disabled || (u.Kind != lectern.UserLocal && u.Kind != lectern.UserGuest) {
		return nil
	}
	token := newToken()
	now := s.now()
	if err := s.db.InsertPasswordReset(ctx, hashSecret(token), u.ID, now, now.Add(s.opts.ResetTTL)); err != nil {
		return err
	}
	subject, text := s.resetEmail(u, token)
	if err := s.mail.Send(ctx, u.Email, subject, text); err != nil {
		return fmt.Errorf("send password reset email to user %s: %w", u.ID, err)
	}
	return nil
}

// resetEmail renders the reset message (golden-tested).
func (s *Service) resetEmail(u lectern.User, token string) (subject, text string) {
	link := strings.TrimRight(s.opts.BaseURL, "/") + "/password/reset?token=" + url.QueryEscape(token)
	greeting := "Hello,"
	if u.Name != "" {
		greeting = "Hello " + u.Name + ","
	}
	text = greeting + "\n\n" +
		"Someone, probably you, asked to reset the password of the Lectern account\n" +
		"for " + u.Email + ". To choose a new password, open this link within " + humanDuration(s.opts.ResetTTL) + ":\n\n" +
		link + "\n\n" +
		"The link works once. If you did not ask for it, ignore this email: your\n" +
		"password stays as it is.\n"
	return "Reset your Lectern password", text
}

// ResetPassword sets a new password through an emailed reset link. The
// link works once: one that is unknown, malformed, used or expired is
// EInvalid "This reset link has expired or was already used. Ask for a
// new one." A password of the wrong length is EInvalid naming the
// password, and leaves the link usable. Success ends all the account's
// login sessions and voids its other reset links.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	hash, ok := parseToken(token)
	if !ok {
		return errResetLink()
	}
	// Look before hashing: a bad link should not cost an argon2 run.
	if _, err := s.db.PasswordResetUser(ctx, hash, s.now()); err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return errResetLink()
		}
		return err
	}
	if err := validatePassword(newPassword); err != nil {
		return err
	}
	pwHash, err := HashPassword(newPassword, s.opts.Params)
	if err != nil {
		return err
	}
	if _, err := s.db.UsePasswordReset(ctx, hash, pwHash, s.now()); err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return errResetLink()
		}
		return err
	}
	return nil
}
