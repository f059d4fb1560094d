package sharing

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"

	"github.com/lectern-edu/lectern/internal/identity"
)

// Secrets handed out by sharing (link tokens, invitation tokens, viewer
// cookies) are identity's: 32 random bytes (256 bits) in unpadded
// base64url, 43 characters, safe in a URL path. Only their SHA-256 is
// stored.

// NewSecret returns a fresh random secret in the shape ParseSecret accepts.
func NewSecret() string { return identity.NewSecret() }

// ParseSecret checks that s has exactly the shape NewSecret makes and
// returns the hex SHA-256 under which it is stored. Anything else is not
// a secret of ours, and is refused before any database lookup.
func ParseSecret(s string) (string, bool) { return identity.ParseSecret(s) }

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Viewer ids: a signed-in user, or an anonymous browser known by its
// lectern_viewer cookie (a secret like the others; only a hash is kept,
// so the stored id cannot be replayed as a cookie).
func userViewer(userID string) string { return "u-" + userID }

func browserViewer(cookie string) string { return "b-" + hashHex("viewer:" + cookie)[:32] }

// ValidViewerID reports whether id has the shape of a viewer id (for
// paths such as /links/{id}/viewers/{viewer_id}).
func ValidViewerID(id string) bool {
	if len(id) < 3 || len(id) > 200 || (!strings.HasPrefix(id, "u-") && !strings.HasPrefix(id, "b-")) {
		return false
	}
	for _, c := range id[2:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// device identifies a browser on a device: its viewer cookie (or, for a
// signed-in user without one, the viewer id) and its user agent, hashed.
func device(cookie, viewerID, userAgent string) string {
	who := cookie
	if who == "" {
		who = viewerID
	}
	return hashHex("device:" + who + "\x00" + userAgent)[:16]
}

// network is the client's network for the spike rule and the owner's
// statistics: the /24 of an IPv4 address, the /48 of an IPv6 one. A port,
// brackets and a zone are dropped and IPv4-mapped IPv6 counts as IPv4;
// something that is not an IP address is "unknown".
func network(addr string) string {
	addr = strings.TrimSpace(addr)
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		ip = ap.Addr()
	} else if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")); err == nil {
		ip = a
	} else {
		return "unknown"
	}
	ip = ip.WithZone("").Unmap()
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, _ := ip.Prefix(bits) // cannot fail: a zone-less address, bits within its length
	return p.String()
}
