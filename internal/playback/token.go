package playback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// Claims are what a playback token says: who may play which rendition
// version of which session until when. The rendition version is in the
// token so that serving a segment needs no database: the blob prefix is
// derived from it (pipeline.RenditionPrefix).
type Claims struct {
	SessionID   string
	PrincipalID string // the user the token was issued to
	Version     int    // rendition version
	Expires     time.Time
}

// Token format (version 1):
//
//	base64url(payload) "." base64url(HMAC-SHA256(key, "lectern-playback." + payload))
//	payload = "1|" session id "|" principal id "|" rendition version "|" expiry (Unix seconds)
//
// base64url is unpadded, so a token is safe in a URL path segment. The key
// is the site secret "playback-token-key" (32 random bytes made on first
// start and kept in the database, so every node shares it).
const tokenVersion = "1"

// Signer makes and checks playback tokens.
type Signer struct{ key []byte }

// NewSigner returns a Signer with key (at least 32 bytes).
func NewSigner(key []byte) Signer { return Signer{key: append([]byte(nil), key...)} }

// Sign returns the token for c.
func (s Signer) Sign(c Claims) string {
	payload := strings.Join([]string{tokenVersion, c.SessionID, c.PrincipalID,
		strconv.Itoa(c.Version), strconv.FormatInt(c.Expires.Unix(), 10)}, "|")
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

func (s Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("lectern-playback."))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// errBadToken is what any unusable token gets: the viewer's remedy is the
// same whatever the cause.
var errBadToken = lectern.Errorf(lectern.EForbidden, "This playback link is not valid or has expired. Reload the page to continue watching.")

// Verify checks a token's signature and expiry at now and returns its
// claims; a forged, malformed or expired token is EForbidden.
func (s Signer) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > 1024 {
		return Claims{}, errBadToken
	}
	enc, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, errBadToken
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(enc)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return Claims{}, errBadToken
	}
	payload := string(raw)
	if !hmac.Equal(mac, s.mac(payload)) {
		return Claims{}, errBadToken
	}
	f := strings.Split(payload, "|")
	if len(f) != 5 || f[0] != tokenVersion || f[1] == "" {
		return Claims{}, errBadToken
	}
	v, err1 := strconv.Atoi(f[3])
	exp, err2 := strconv.ParseInt(f[4], 10, 64)
	if err1 != nil || err2 != nil || v < 1 {
		return Claims{}, errBadToken
	}
	c := Claims{SessionID: f[1], PrincipalID: f[2], Version: v, Expires: time.Unix(exp, 0).UTC()}
	if !now.Before(c.Expires) {
		return Claims{}, errBadToken
	}
	return c, nil
}
