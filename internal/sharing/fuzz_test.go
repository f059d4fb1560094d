package sharing

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
)

// Seeds live in testdata/fuzz/<FuzzName>; run e.g.
// go test ./internal/sharing -run '^$' -fuzz FuzzParseOpenForm -fuzztime 30s

// FuzzShareToken: whatever arrives in /s/{token} or the lectern_viewer
// cookie is either refused or exactly one of our secrets, hashed the way
// it is stored, and turns into a well-formed viewer id.
func FuzzShareToken(f *testing.F) {
	f.Add(NewSecret())
	f.Fuzz(func(t *testing.T, token string) {
		hash, ok := ParseSecret(token)
		if !ok {
			if hash != "" {
				t.Fatalf("refused %q but returned hash %q", token, hash)
			}
			if _, err := (Visitor{Browser: token}).viewerID(); err == nil && token != "" {
				t.Fatalf("malformed viewer cookie %q accepted", token)
			}
			return
		}
		if len(token) != 43 || strings.ContainsAny(token, "+/=\r\n") || len(hash) != 64 || hash != hashHex(token) {
			t.Fatalf("accepted %q with hash %q", token, hash)
		}
		again, ok2 := ParseSecret(token)
		if !ok2 || again != hash {
			t.Fatalf("parsing %q twice differs", token)
		}
		id, err := (Visitor{Browser: token}).viewerID()
		if err != nil || !ValidViewerID(id) || strings.Contains(id, token) {
			t.Fatalf("viewer id %q (%v) of cookie %q", id, err, token)
		}
	})
}

// FuzzParseOpenForm: the password form of /s/{token} either yields the
// one password exactly as sent (valid text, bounded) or an EInvalid error
// naming the password.
func FuzzParseOpenForm(f *testing.F) {
	f.Add("password=correct+horse&csrf_token=x")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		got, err := ParseOpenForm(form)
		if err != nil {
			if lectern.ErrorCodeOf(err) != lectern.EInvalid || !strings.HasPrefix(lectern.ErrorMessage(err), "password:") {
				t.Fatalf("error %v does not name the password", err)
			}
			return
		}
		sent := form["password"]
		switch {
		case len(sent) == 0 && got.Password != "":
			t.Fatalf("password %q from a form without one", got.Password)
		case len(sent) == 1 && got.Password != sent[0]:
			t.Fatalf("password %q, sent %q", got.Password, sent[0])
		case len(sent) > 1:
			t.Fatalf("accepted %d passwords", len(sent))
		}
		if !utf8.ValidString(got.Password) || utf8.RuneCountInString(got.Password) > maxLinkPassword || strings.ContainsRune(got.Password, 0) {
			t.Fatalf("accepted password %q", got.Password)
		}
	})
}

// FuzzNetwork: any client address maps to "unknown" or to the /24 or /48
// containing it.
func FuzzNetwork(f *testing.F) {
	f.Add("192.0.2.10:5555")
	f.Fuzz(func(t *testing.T, addr string) {
		n := network(addr)
		if n == "unknown" {
			return
		}
		p, err := netip.ParsePrefix(n)
		if err != nil || (p.Addr().Is4() && p.Bits() != 24) || (p.Addr().Is6() && p.Bits() != 48) || p.Masked() != p {
			t.Fatalf("network(%q) = %q", addr, n)
		}
	})
}
