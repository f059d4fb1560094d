package identity

import (
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds live in testdata/fuzz/<FuzzName>; run e.g.
// go test ./internal/identity -run '^$' -fuzz FuzzParseAPISecret -fuzztime 30s

func FuzzParseToken(f *testing.F) {
	f.Add(newToken())
	f.Fuzz(func(t *testing.T, token string) {
		hash, ok := parseToken(token)
		if !ok {
			if hash != "" {
				t.Fatalf("rejected token %q returned hash %q", token, hash)
			}
			return
		}
		b, err := tokenEncoding.DecodeString(token)
		if err != nil || len(b) != tokenBytes || tokenEncoding.EncodeToString(b) != token {
			t.Fatalf("accepted non-canonical token %q", token)
		}
		if hash != hashSecret(token) || len(hash) != 64 {
			t.Fatalf("hash %q of %q", hash, token)
		}
	})
}

func FuzzParseAPISecret(f *testing.F) {
	f.Add(APITokenPrefix + newToken())
	f.Fuzz(func(t *testing.T, secret string) {
		hash, ok := parseAPISecret(secret)
		if !ok {
			return
		}
		rest, had := strings.CutPrefix(secret, APITokenPrefix)
		if !had {
			t.Fatalf("accepted %q without the prefix", secret)
		}
		if _, ok := parseToken(rest); !ok {
			t.Fatalf("accepted %q with a malformed body", secret)
		}
		if hash != hashSecret(secret) {
			t.Fatalf("hash of %q is not the SHA-256 of the whole secret", secret)
		}
	})
}

func FuzzDecodePHC(f *testing.F) {
	h, _ := HashPassword("seed", TestParams)
	f.Add(h)
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodePHC(s)
		if err != nil {
			return
		}
		if !p.valid() || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("accepted %q with %+v, %d-byte salt, %d-byte key", s, p, len(salt), len(key))
		}
		if got := encodePHC(p, salt, key); got != s {
			t.Fatalf("accepted non-canonical %q (canonical %q)", s, got)
		}
	})
}

func FuzzAddrKey(f *testing.F) {
	f.Add("192.0.2.1:80")
	f.Fuzz(func(t *testing.T, addr string) {
		k := addrKey(addr)
		if len(k) > 100 {
			t.Fatalf("key of %q is %d bytes", addr, len(k))
		}
		if utf8.ValidString(addr) && !utf8.ValidString(k) {
			t.Fatalf("key of valid %q is invalid UTF-8", addr)
		}
		if k == "" && strings.TrimSpace(addr) != "" {
			t.Fatalf("non-empty %q has an empty key", addr)
		}
		if ip, err := netip.ParseAddr(k); err == nil && addrKey(k) != k {
			t.Fatalf("key %q of %q is not stable (%v)", k, addr, ip)
		}
	})
}
