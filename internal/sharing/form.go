package sharing

import (
	"net/url"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
)

// Link passwords: at least minLinkPassword characters (a shared secret
// that is rate-limited, so shorter than an account's), at most
// maxLinkPassword.
const (
	minLinkPassword = 8
	maxLinkPassword = 1024
)

// OpenForm is what a visitor posts to /s/{token}: the link's password,
// when it has one.
type OpenForm struct {
	Password string
}

// ParseOpenForm reads the posted form of /s/{token}. The password is
// taken exactly as typed (no trimming): it must be valid UTF-8, at most
// maxLinkPassword characters and sent at most once; anything else is
// EInvalid naming the password. An absent password is the empty string
// (the link may not have one).
func ParseOpenForm(form url.Values) (OpenForm, error) {
	pw := form["password"]
	switch {
	case len(pw) > 1:
		return OpenForm{}, lectern.Errorf(lectern.EInvalid, "password: send it once")
	case len(pw) == 0:
		return OpenForm{}, nil
	}
	if err := checkPasswordText(pw[0]); err != nil {
		return OpenForm{}, err
	}
	return OpenForm{Password: pw[0]}, nil
}

// checkPasswordText bounds what is hashed: valid UTF-8 without NUL, at
// most maxLinkPassword characters (and so at most 4 KiB).
func checkPasswordText(pw string) error {
	if !utf8.ValidString(pw) || utf8.RuneCountInString(pw) > maxLinkPassword {
		return lectern.Errorf(lectern.EInvalid, "password: at most %d characters of text", maxLinkPassword)
	}
	for i := 0; i < len(pw); i++ {
		if pw[i] == 0 {
			return lectern.Errorf(lectern.EInvalid, "password: at most %d characters of text", maxLinkPassword)
		}
	}
	return nil
}

// checkNewLinkPassword is the rule for a password an owner sets on a link.
func checkNewLinkPassword(pw string) error {
	if err := checkPasswordText(pw); err != nil {
		return err
	}
	if utf8.RuneCountInString(pw) < minLinkPassword {
		return lectern.Errorf(lectern.EInvalid, "password: at least %d characters", minLinkPassword)
	}
	return nil
}
