package sharing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func withPasswordLimits(link, addr int) worldOption {
	return func(o *sharing.Options) {
		o.LinkPasswordLimit = sharing.Limit{Max: link, Window: 15 * time.Minute}
		o.AddrPasswordLimit = sharing.Limit{Max: addr, Window: 15 * time.Minute}
	}
}

// After the allowed wrong passwords, further tries are refused for the
// waiting period even with the right password, and the refusal says how
// long to wait.
func TestPasswordGuessingPerLink(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db, withPasswordLimits(3, 100))
	_, token := w.link(sharing.LinkInput{Password: ptr("correct-horse")})
	for _, addr := range []string{"192.0.2.1", "198.51.100.1", "203.0.113.1"} {
		_, err := w.open(token, "wrong-guess", browser(addr))
		wantRefusal(t, err, sharing.RefusedPassword)
	}
	for _, addr := range []string{"203.0.113.1", "192.0.2.200"} {
		_, err := w.open(token, "correct-horse", browser(addr))
		wantRefusal(t, err, sharing.RefusedTooMany)
		if lectern.ErrorCodeOf(err) != lectern.ETooMany || lectern.RetryAfterOf(err) != 15*60 {
			t.Fatalf("code %s, retry after %d s; want too_many and 900 s", lectern.ErrorCodeOf(err), lectern.RetryAfterOf(err))
		}
		if !strings.Contains(lectern.ErrorMessage(err), "Wait 15 minutes") {
			t.Fatalf("message %q does not say how long to wait", lectern.ErrorMessage(err))
		}
	}
	if n := w.issuer.issued.Load(); n != 0 {
		t.Fatalf("%d opens while locked out", n)
	}
	w.clock.Advance(14 * time.Minute)
	_, err := w.open(token, "correct-horse", browser("192.0.2.9"))
	wantRefusal(t, err, sharing.RefusedTooMany)
	if lectern.RetryAfterOf(err) != 60 {
		t.Fatalf("retry after %d s, want 60", lectern.RetryAfterOf(err))
	}
	w.clock.Advance(time.Minute + time.Second)
	w.mustOpen(token, "correct-horse", browser("192.0.2.9"))
}

func TestPasswordGuessingPerAddress(t *testing.T) {
	db := testkit.OpenDB(t, sqlstore.SQLite)
	w := newWorld(t, db, withPasswordLimits(3, 4))
	var tokens []string
	for range 3 {
		_, tok := w.link(sharing.LinkInput{Password: ptr("correct-horse")})
		tokens = append(tokens, tok)
	}
	// Two wrong guesses on each of two links: under each link's limit,
	// at the address's.
	for _, tok := range tokens[:2] {
		for range 2 {
			_, err := w.open(tok, "wrong-guess", browser("198.51.100.7"))
			wantRefusal(t, err, sharing.RefusedPassword)
		}
	}
	_, err := w.open(tokens[2], "correct-horse", browser("198.51.100.7"))
	wantRefusal(t, err, sharing.RefusedTooMany)
	w.mustOpen(tokens[2], "correct-horse", browser("198.51.100.8"))
	// An empty password is asked again without counting.
	for range 5 {
		_, err := w.open(tokens[2], "", browser("198.51.100.9"))
		wantRefusal(t, err, sharing.RefusedPassword)
	}
	w.mustOpen(tokens[2], "correct-horse", browser("198.51.100.9"))
}
