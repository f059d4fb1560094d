package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/lectern-edu/lectern"
)

// Params is the argon2id cost.
type Params struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
}

// DefaultParams is the production cost (OWASP's argon2id minimum is
// m=19 MiB, t=2; this spends more memory and fewer passes).
var DefaultParams = Params{Time: 1, MemoryKiB: 64 * 1024, Threads: 2}

// TestParams is fast and weak: for tests only.
var TestParams = Params{Time: 1, MemoryKiB: 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// Limits on what a stored hash may ask for, so that a corrupt or
	// hostile hash string cannot make verification exhaust memory or CPU.
	maxMemoryKiB = 4 * 1024 * 1024
	maxTime      = 64
	// Password length, counted in characters (runes).
	minPasswordLen = 10
	maxPasswordLen = 1024
)

var b64 = base64.RawStdEncoding // PHC strings use unpadded standard base64

// ErrMalformedHash is returned by VerifyPassword for a string that is not
// an argon2id PHC hash this package can check.
var ErrMalformedHash = errors.New("identity: malformed argon2id hash")

// HashPassword returns an argon2id PHC string for password:
// "$argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>", with a random 16-byte
// salt and a 32-byte key. It does not check the password's length (see
// CreateUser); the sharing feature uses it for link passwords too.
func HashPassword(password string, p Params) (string, error) {
	if !p.valid() {
		return "", fmt.Errorf("hash password: invalid argon2id parameters %+v", p)
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // never fails (crypto/rand panics instead)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return encodePHC(p, salt, key), nil
}

// VerifyPassword reports whether password matches a hash made by
// HashPassword (any parameters). The comparison is constant-time. A hash
// that cannot be parsed is ErrMalformedHash, never a match.
func VerifyPassword(password, hash string) (bool, error) {
	p, salt, key, err := decodePHC(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether hash was made with other parameters than
// p (or cannot be parsed), so that a successful sign-in should store a
// fresh hash.
func NeedsRehash(hash string, p Params) bool {
	hp, salt, key, err := decodePHC(hash)
	return err != nil || hp != p || len(salt) != saltLen || len(key) != keyLen
}

// valid reports whether argon2 accepts p as given (it needs 8 KiB per
// thread) within the bounds decodePHC enforces.
func (p Params) valid() bool {
	return p.Time >= 1 && p.Time <= maxTime && p.Threads >= 1 &&
		p.MemoryKiB >= 8*uint32(p.Threads) && p.MemoryKiB <= maxMemoryKiB
}

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodePHC parses "$argon2id$v=19$m=M,t=T,p=P$salt$key" strictly: that
// field order, decimal numbers without signs or leading zeros, canonical
// unpadded base64, sane bounds.
func decodePHC(s string) (Params, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	m, ok1 := phcUint(fields[0], "m=", maxMemoryKiB)
	t, ok2 := phcUint(fields[1], "t=", maxTime)
	th, ok3 := phcUint(fields[2], "p=", 255)
	if !ok1 || !ok2 || !ok3 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	p.MemoryKiB, p.Time, p.Threads = uint32(m), uint32(t), uint8(th)
	if !p.valid() {
		return Params{}, nil, nil, ErrMalformedHash
	}
	salt, ok := phcBytes(parts[4], 8, 64)
	if !ok {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, ok := phcBytes(parts[5], 16, 64)
	if !ok {
		return Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}

// phcBytes decodes canonical unpadded base64 of minLen to maxLen bytes.
// (The decoder skips CR and LF, so the round trip is checked too.)
func phcBytes(field string, minLen, maxLen int) ([]byte, bool) {
	b, err := b64.Strict().DecodeString(field)
	if err != nil || len(b) < minLen || len(b) > maxLen || b64.EncodeToString(b) != field {
		return nil, false
	}
	return b, true
}

func phcUint(field, prefix string, maxVal uint64) (uint64, bool) {
	digits, ok := strings.CutPrefix(field, prefix)
	if !ok || digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > maxVal {
		return 0, false
	}
	return n, true
}

// ValidatePassword checks the length rule for account passwords (10 to
// 1024 characters): EInvalid naming the password, or nil. For callers
// that must check a password before spending something on it (a one-time
// invitation link) and then call SetPassword.
func ValidatePassword(password string) error { return validatePassword(password) }

// validatePassword enforces the length rule for account passwords.
func validatePassword(password string) error {
	n := utf8.RuneCountInString(password)
	if n < minPasswordLen {
		return lectern.Errorf(lectern.EInvalid, "The password must be at least %d characters long.", minPasswordLen)
	}
	if n > maxPasswordLen {
		return lectern.Errorf(lectern.EInvalid, "The password must be at most %d characters long.", maxPasswordLen)
	}
	return nil
}

// dummyHash is a hash of a random password at the service's cost, made
// once, that sign-in verifies against when there is no real hash to
// check, so that unknown emails take as long as wrong passwords.
type dummyHash struct {
	once sync.Once
	hash string
}

func (s *Service) dummyHash() string {
	s.dummy.once.Do(func() {
		h, err := HashPassword(rand.Text(), s.opts.Params)
		if err != nil {
			h, _ = HashPassword(rand.Text(), DefaultParams)
		}
		s.dummy.hash = h
	})
	return s.dummy.hash
}
