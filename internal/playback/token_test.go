package playback

import (
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	other := NewSigner([]byte("fedcba9876543210fedcba9876543210"))
	good := Claims{SessionID: "s-1", PrincipalID: "u-1", Version: 3, Expires: now.Add(time.Hour)}
	tok := s.Sign(good)

	c, err := s.Verify(tok, now)
	if err != nil || c != good {
		t.Fatalf("Verify(good) = %+v, %v; want %+v", c, err, good)
	}
	if strings.ContainsAny(tok, "/+=?#%") {
		t.Errorf("token %q is not safe in a URL path segment", tok)
	}

	payload, sig, _ := strings.Cut(tok, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	forgedPayload := s.Sign(Claims{SessionID: "s-2", PrincipalID: "u-1", Version: 3, Expires: now.Add(time.Hour)})
	fp, _, _ := strings.Cut(forgedPayload, ".")
	cases := []struct {
		name  string
		token string
		at    time.Time
	}{
		{"expired", tok, now.Add(time.Hour)},
		{"long expired", s.Sign(Claims{SessionID: "s-1", PrincipalID: "u-1", Version: 3, Expires: now.Add(-time.Minute)}), now},
		{"other key", other.Sign(good), now},
		{"payload swapped under the signature", fp + "." + sig, now},
		{"signature changed", payload + "." + flip(sig), now},
		{"no signature", payload, now},
		{"empty", "", now},
		{"garbage", "not-a-token", now},
		{"too long", strings.Repeat("a", 2000) + "." + sig, now},
		{"version 0", s.Sign(Claims{SessionID: "s-1", Version: 0, Expires: now.Add(time.Hour)}), now},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Verify(tc.token, tc.at); lectern.ErrorCodeOf(err) != lectern.EForbidden {
				t.Fatalf("Verify = %v, want forbidden", err)
			}
		})
	}
}

func TestVerifyChecksTheSession(t *testing.T) {
	t.Parallel()
	now := time.Now()
	svc := &Service{signer: NewSigner([]byte("0123456789abcdef0123456789abcdef")), now: func() time.Time { return now }}
	tok := svc.signer.Sign(Claims{SessionID: "A", PrincipalID: "u", Version: 1, Expires: now.Add(time.Minute)})
	if _, err := svc.Verify(tok, "A"); err != nil {
		t.Fatalf("Verify for its own session: %v", err)
	}
	if _, err := svc.Verify(tok, "B"); lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Fatalf("Verify for another session = %v, want forbidden", err)
	}
}

func TestBitmap(t *testing.T) {
	t.Parallel()
	bm := decodeBitmap("", 10)
	bm.mark(0, 2.5)   // seconds 0, 1, 2
	bm.mark(2.2, 2.4) // second 2 again
	bm.mark(8.5, 50)  // 8, 9 (cut at the end)
	bm.mark(-5, -1)   // before the start: nothing
	if got := bm.count(); got != 5 {
		t.Fatalf("count = %d, want 5", got)
	}
	again := decodeBitmap(bm.encode(), 10)
	if again.count() != 5 || !again.any(9, 10) || again.any(3, 8) {
		t.Fatalf("round trip lost bits: %v", again.b)
	}
	shorter := decodeBitmap(bm.encode(), 3) // the recording was replaced by a shorter one
	if shorter.count() != 3 {
		t.Fatalf("count after shortening = %d, want 3", shorter.count())
	}
	for i, want := range [][2]int{{0, 1}, {1, 2}, {19, 20}} {
		lo, hi := bucketSeconds(want[0], 20)
		if lo != want[0] || hi != want[1] {
			t.Errorf("case %d: bucketSeconds(%d, 20) = %d, %d", i, want[0], lo, hi)
		}
	}
	if lo, hi := bucketSeconds(0, 3); lo != 0 || hi != 1 {
		t.Errorf("bucketSeconds(0, 3) = %d, %d; want a whole second", lo, hi)
	}
}
