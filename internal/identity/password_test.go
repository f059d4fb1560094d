package identity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/lectern-edu/lectern/internal/identity"
)

func TestHashAndVerifyPassword(t *testing.T) {
	t.Parallel()
	h1, err := identity.HashPassword("open sesame 123", identity.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := identity.HashPassword("open sesame 123", identity.TestParams)
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q", h1)
	}
	cases := []struct {
		name, password string
		want           bool
	}{
		{"right", "open sesame 123", true},
		{"wrong", "open sesame 124", false},
		{"empty", "", false},
		{"prefix", "open sesame 12", false},
	}
	for _, c := range cases {
		got, err := identity.VerifyPassword(c.password, h1)
		if err != nil || got != c.want {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	good, _ := identity.HashPassword("pw", identity.TestParams)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":             "",
		"bcrypt":            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":           strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":       strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":       strings.Replace(good, "m=1024", "m=99999999", 1),
		"zero time":         strings.Replace(good, "t=1", "t=0", 1),
		"signed number":     strings.Replace(good, "m=1024", "m=+1024", 1),
		"fields reordered":  strings.Replace(good, "m=1024,t=1,p=1", "t=1,m=1024,p=1", 1),
		"padded salt":       strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4] + "==", parts[5]}, "$"),
		"truncated key":     good[:len(good)-30],
		"missing key field": strings.Join(parts[:5], "$"),
	} {
		ok, err := identity.VerifyPassword("pw", h)
		if ok || !errors.Is(err, identity.ErrMalformedHash) {
			t.Errorf("%s: got %v, %v; want ErrMalformedHash", name, ok, err)
		}
	}
}

func TestHashesInteroperateWithAlexedwardsArgon2id(t *testing.T) {
	t.Parallel()
	theirs, err := argon2id.CreateHash("shared secret", &argon2id.Params{Memory: 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := identity.VerifyPassword("shared secret", theirs); !ok || err != nil {
		t.Fatalf("their hash: %v, %v", ok, err)
	}
	ours, _ := identity.HashPassword("shared secret", identity.TestParams)
	if ok, err := argon2id.ComparePasswordAndHash("shared secret", ours); !ok || err != nil {
		t.Fatalf("our hash: %v, %v", ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	h, _ := identity.HashPassword("pw", identity.TestParams)
	if identity.NeedsRehash(h, identity.TestParams) {
		t.Error("same parameters need a rehash")
	}
	if !identity.NeedsRehash(h, identity.Params{Time: 2, MemoryKiB: 1024, Threads: 1}) {
		t.Error("new parameters do not need a rehash")
	}
	if !identity.NeedsRehash("garbage", identity.TestParams) {
		t.Error("a malformed hash does not need a rehash")
	}
	if _, err := identity.HashPassword("pw", identity.Params{Time: 1, MemoryKiB: 4, Threads: 1}); err == nil {
		t.Error("parameters below argon2's minimum were accepted")
	}
}
