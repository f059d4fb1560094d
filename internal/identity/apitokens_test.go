package identity_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestAPITokenCreateLookupRevoke(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		other := f.user(t, "bob@example.org")
		secret, tok, err := f.svc.CreateAPIToken(ctx, u.ID, " nightly export ")
		testkit.Must(t, err, "create")
		rest, ok := strings.CutPrefix(secret, "lct_")
		if raw, err := base64.RawURLEncoding.DecodeString(rest); !ok || err != nil || len(raw) != 32 {
			t.Fatalf("secret %q is not lct_ + 32 bytes of base64url", secret)
		}
		if tok.Name != "nightly export" || tok.UserID != u.ID || !tok.LastUsedAt.IsZero() || !tok.ExpiresAt.IsZero() {
			t.Fatalf("token %+v", tok)
		}
		var stored int
		testkit.Must(t, db.QueryRow(ctx, "SELECT count(*) FROM api_tokens WHERE token_hash = ?", secret).Scan(&stored), "count")
		if stored != 0 {
			t.Fatal("the raw secret is stored")
		}

		got, err := f.svc.TokenUser(ctx, secret)
		testkit.Must(t, err, "lookup")
		if got.ID != u.ID {
			t.Fatalf("token user %s, want %s", got.ID, u.ID)
		}
		list, err := f.svc.ListAPITokens(ctx, u.ID)
		testkit.Must(t, err, "list")
		if len(list) != 1 || list[0].ID != tok.ID || !list[0].LastUsedAt.Equal(f.clock.Now()) {
			t.Fatalf("list after use: %+v", list)
		}

		wantCode(t, f.svc.RevokeAPIToken(ctx, other.ID, tok.ID), lectern.ENotFound) // not theirs
		testkit.Must(t, f.svc.RevokeAPIToken(ctx, u.ID, tok.ID), "revoke")
		wantCode(t, f.svc.RevokeAPIToken(ctx, u.ID, tok.ID), lectern.ENotFound)
		wantCode(t, err2(f.svc.TokenUser(ctx, secret)), lectern.EUnauthorized)
	})
}

func TestAPITokenRecordsUseAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		secret, _, err := f.svc.CreateAPIToken(ctx, u.ID, "script")
		testkit.Must(t, err, "create")
		lastUsed := func() time.Time {
			list, err := f.svc.ListAPITokens(ctx, u.ID)
			testkit.Must(t, err, "list")
			return list[0].LastUsedAt
		}
		first := f.clock.Now()
		testkit.Must(t, err2(f.svc.TokenUser(ctx, secret)), "use 1")
		f.clock.Advance(30 * time.Second)
		testkit.Must(t, err2(f.svc.TokenUser(ctx, secret)), "use 2")
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("last used %v after 30s, want %v", got, first)
		}
		f.clock.Advance(30 * time.Second)
		testkit.Must(t, err2(f.svc.TokenUser(ctx, secret)), "use 3")
		if got := lastUsed(); !got.Equal(f.clock.Now()) {
			t.Fatalf("last used %v after 60s, want %v", got, f.clock.Now())
		}
	})
}

func TestAPITokenRejectsMalformedAndDisabled(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "ann@example.org")
		secret, _, err := f.svc.CreateAPIToken(ctx, u.ID, "script")
		testkit.Must(t, err, "create")
		for name, bad := range map[string]string{
			"empty":          "",
			"prefix only":    "lct_",
			"no prefix":      strings.TrimPrefix(secret, "lct_"),
			"wrong prefix":   "lcx_" + strings.TrimPrefix(secret, "lct_"),
			"upper prefix":   "LCT_" + strings.TrimPrefix(secret, "lct_"),
			"bearer kept":    "Bearer " + secret,
			"trailing space": secret + " ",
			"one char short": secret[:len(secret)-1],
			"unknown":        "lct_" + base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
		} {
			e := wantCode(t, err2(f.svc.TokenUser(ctx, bad)), lectern.EUnauthorized)
			if e.Message == "" || strings.Contains(e.Message, bad) && bad != "" {
				t.Errorf("%s: message %q", name, e.Message)
			}
		}
		for _, name := range []string{"", "   ", strings.Repeat("n", 101)} {
			wantMessageNames(t, err3(f.svc.CreateAPIToken(ctx, u.ID, name)), "name")
		}
		wantCode(t, err3(f.svc.CreateAPIToken(ctx, "no-such-user", "x")), lectern.ENotFound)

		testkit.Must(t, f.svc.SetDisabled(ctx, u.ID, true), "disable")
		wantCode(t, err2(f.svc.TokenUser(ctx, secret)), lectern.EUnauthorized)
		wantCode(t, err3(f.svc.CreateAPIToken(ctx, u.ID, "another")), lectern.EForbidden)
	})
}
