package lti

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lectern-edu/lectern"
)

// SiteKeySize is the length of the site key in bytes (AES-256).
const SiteKeySize = 32

// Sealer encrypts secrets at rest (Lectern's private keys, LTI 1.1 consumer
// secrets) with the site key: AES-256-GCM with a random nonce, and the
// secret's purpose as additional data, so that a sealed value copied into
// another row does not open there.
type Sealer struct {
	aead  cipher.AEAD
	check string
}

// NewSealer returns a Sealer over a 32-byte site key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != SiteKeySize {
		return nil, fmt.Errorf("site key: %d bytes, want %d", len(key), SiteKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("site key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("site key: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("lectern site key check"))
	return &Sealer{aead: aead, check: hex.EncodeToString(mac.Sum(nil))[:16]}, nil
}

const sealPrefix = "v1."

// Seal encrypts plaintext for purpose.
func (s *Sealer) Seal(purpose string, plaintext []byte) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return sealPrefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value sealed for purpose. A value sealed under another
// site key (nodes configured with different keys) fails with a message
// that says so.
func (s *Sealer) Open(purpose, sealed string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, sealPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealPrefix) || len(raw) < s.aead.NonceSize() {
		return nil, fmt.Errorf("open sealed %s: malformed value", purpose)
	}
	n := s.aead.NonceSize()
	out, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return nil, &lectern.Error{Code: lectern.EInternal,
			Message: "A stored secret cannot be decrypted: this node's site key is not the one it was sealed with.",
			Err:     fmt.Errorf("open sealed %s: %w", purpose, err)}
	}
	return out, nil
}

// Check is a short fingerprint of the site key, stored in the database so
// that a node started with another key is refused with a clear message.
func (s *Sealer) Check() string { return s.check }

// LoadSiteKey reads the site key from path: 32 bytes, base64 (standard or
// URL alphabet) or hex encoded, on one line. When the file does not exist
// and create is set, it makes one with a fresh random key (mode 0600).
func LoadSiteKey(path string, create bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key := make([]byte, SiteKeySize)
		_, _ = rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("site key %s: %w", path, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadSiteKey(path, false) // another process made it first
		}
		if err != nil {
			return nil, fmt.Errorf("site key %s: %w", path, err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("site key %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("site key %s: %w", path, err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("site key %s: %w", path, err)
	}
	text := strings.TrimSpace(string(b))
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if key, err := dec(text); err == nil && len(key) == SiteKeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("site key %s: must hold %d random bytes, base64 or hex encoded (for example: head -c 32 /dev/urandom | base64)", path, SiteKeySize)
}
