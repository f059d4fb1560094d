package lti

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// acceptedAlgs are the signature algorithms accepted on platform tokens
// (IMS Security Framework: RS256 required; RS384/512 and ES* allowed).
// "none" and the HMAC algorithms are never accepted.
var acceptedAlgs = map[string]jwa.SignatureAlgorithm{
	"RS256": jwa.RS256(), "RS384": jwa.RS384(), "RS512": jwa.RS512(),
	"ES256": jwa.ES256(), "ES384": jwa.ES384(), "ES512": jwa.ES512(),
}

// joseHeader is the part of a JWS protected header Lectern reads.
type joseHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// parseHeader decodes a compact JWS's protected header without
// verifying anything.
func parseHeader(token string) (joseHeader, error) {
	head, _, ok := strings.Cut(token, ".")
	if !ok || strings.Count(token, ".") != 2 {
		return joseHeader{}, fmt.Errorf("not a compact JWS (want three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return joseHeader{}, fmt.Errorf("header is not base64url: %w", err)
	}
	var h joseHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return joseHeader{}, fmt.Errorf("header is not JSON: %w", err)
	}
	return h, nil
}

// verifyWithKey checks the signature of a compact JWS with one key and
// returns the payload.
func verifyWithKey(token string, key jwk.Key, alg jwa.SignatureAlgorithm) ([]byte, error) {
	var raw any
	if err := jwk.Export(key, &raw); err != nil {
		return nil, err
	}
	return jws.VerifyCompactFast(raw, []byte(token), alg)
}

// keyCache holds platforms' key sets, fetched on first use, trusted for a
// TTL, and fetched again at once (at most every refetchEvery per set) when
// a token names a key id the cached set lacks: how a platform's key
// rotation reaches Lectern.
type keyCache struct {
	http         *http.Client
	now          func() time.Time
	ttl          time.Duration
	refetchEvery time.Duration

	mu   sync.Mutex
	sets map[string]*cachedSet
}

type cachedSet struct {
	mu          sync.Mutex
	set         jwk.Set
	fetchedAt   time.Time
	lastRefetch time.Time // last fetch caused by an unknown key id
}

func newKeyCache(client *http.Client, now func() time.Time, ttl, refetchEvery time.Duration) *keyCache {
	return &keyCache{http: client, now: now, ttl: ttl, refetchEvery: refetchEvery, sets: map[string]*cachedSet{}}
}

// errUnknownKid is returned by key when no key in the set has the id.
type errUnknownKid struct {
	kid     string
	fetched bool
}

func (e errUnknownKid) Error() string {
	return fmt.Sprintf("no key with id %q in the platform's key set (refetched: %t)", e.kid, e.fetched)
}

// key returns the key with id kid from the key set at url. An empty kid
// matches a set of exactly one key.
func (c *keyCache) key(ctx context.Context, url, kid string) (jwk.Key, error) {
	c.mu.Lock()
	cs, ok := c.sets[url]
	if !ok {
		cs = &cachedSet{}
		c.sets[url] = cs
	}
	c.mu.Unlock()

	cs.mu.Lock()
	defer cs.mu.Unlock()
	now := c.now()
	if cs.set == nil || now.Sub(cs.fetchedAt) >= c.ttl {
		if err := c.fetch(ctx, url, cs, now); err != nil && cs.set == nil {
			return nil, err
		}
	}
	if k, ok := lookupKey(cs.set, kid); ok {
		return k, nil
	}
	refetched := false
	if cs.lastRefetch.IsZero() || now.Sub(cs.lastRefetch) >= c.refetchEvery {
		cs.lastRefetch = now
		if err := c.fetch(ctx, url, cs, now); err != nil {
			return nil, err
		}
		refetched = true
		if k, ok := lookupKey(cs.set, kid); ok {
			return k, nil
		}
	}
	return nil, errUnknownKid{kid: kid, fetched: refetched}
}

func (c *keyCache) fetch(ctx context.Context, url string, cs *cachedSet, now time.Time) error {
	set, err := jwk.Fetch(ctx, url, jwk.WithHTTPClient(c.http))
	if err != nil {
		return fmt.Errorf("fetch the platform's keys from %s: %w", url, err)
	}
	cs.set, cs.fetchedAt = set, now
	return nil
}

func lookupKey(set jwk.Set, kid string) (jwk.Key, bool) {
	if set == nil {
		return nil, false
	}
	if kid == "" {
		if set.Len() == 1 {
			return set.Key(0)
		}
		return nil, false
	}
	return set.LookupKeyID(kid)
}
