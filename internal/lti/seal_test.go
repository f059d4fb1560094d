package lti_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestSealer(t *testing.T) {
	t.Parallel()
	key := make([]byte, lti.SiteKeySize)
	_, _ = rand.Read(key)
	s, err := lti.NewSealer(key)
	testkit.Must(t, err, "sealer")
	sealed := s.Seal("purpose-a", []byte("secret"))
	if strings.Contains(sealed, "secret") {
		t.Fatal("sealed value shows the secret")
	}
	if got, err := s.Open("purpose-a", sealed); err != nil || string(got) != "secret" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := s.Open("purpose-b", sealed); err == nil {
		t.Error("a value sealed for one purpose opened for another")
	}
	other := make([]byte, lti.SiteKeySize)
	_, _ = rand.Read(other)
	o, _ := lti.NewSealer(other)
	if _, err := o.Open("purpose-a", sealed); err == nil || !strings.Contains(err.Error(), "site key") {
		t.Errorf("another key opened it, or said nothing useful: %v", err)
	}
}

func TestLoadSiteKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys", "site.key")
	if _, err := lti.LoadSiteKey(path, false); err == nil {
		t.Fatal("a missing key file without create should fail")
	}
	k1, err := lti.LoadSiteKey(path, true)
	testkit.Must(t, err, "create")
	k2, err := lti.LoadSiteKey(path, true)
	testkit.Must(t, err, "load")
	if string(k1) != string(k2) || len(k1) != lti.SiteKeySize {
		t.Fatal("the key changed between loads")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	testkit.Must(t, os.WriteFile(bad, []byte("short"), 0o600), "write")
	if _, err := lti.LoadSiteKey(bad, false); err == nil || !strings.Contains(err.Error(), "32 random bytes") {
		t.Errorf("a bad key file: %v", err)
	}
}

// TestSiteKeyMismatch: a node started with another site key than the one
// the database's secrets were sealed with stops with a clear message.
func TestSiteKeyMismatch(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		key := make([]byte, lti.SiteKeySize)
		_, _ = rand.Read(key)
		other, _ := lti.NewSealer(key)
		opts := lti.Options{DB: db, Identity: s.identity, Access: s.access, Catalog: s.catalog, Sealer: other, BaseURL: s.srv.URL}
		// Nothing is sealed yet: another key is no problem.
		if _, err := lti.New(ctx, opts); err != nil {
			t.Fatalf("before anything is sealed: %v", err)
		}
		_, err := s.lti.Keys(ctx) // makes and seals the first key pair
		testkit.Must(t, err, "keys")
		key = make([]byte, lti.SiteKeySize)
		_, _ = rand.Read(key)
		other, _ = lti.NewSealer(key)
		opts.Sealer = other
		_, err = lti.New(ctx, opts)
		if err == nil || !strings.Contains(err.Error(), "same site key") {
			t.Fatalf("want a site key mismatch error, got %v", err)
		}
	})
}
