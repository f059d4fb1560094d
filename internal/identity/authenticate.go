package identity

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
)

// errBadCredentials is what every failed sign-in looks like, whatever the
// reason: unknown email, wrong password, disabled account, no password.
func errBadCredentials() error {
	return &lectern.Error{Code: lectern.EUnauthorized, Message: "Incorrect email or password."}
}

// Authenticate checks an email and password; clientAddr is the client's
// IP address (a port is ignored; an empty one skips the per-address
// limit). Any failure is EUnauthorized "Incorrect email or password.",
// taking about the same time whether or not the account exists. Before
// checking, an account (email) or address over its failure limit is
// ETooMany with RetryAfter. Failures count against both; success clears
// the account's count. The account count is exact under concurrency: a
// burst of parallel guesses gets no more than LoginLimit.Max through.
// Signing in with a hash of older cost parameters re-hashes it.
func (s *Service) Authenticate(ctx context.Context, email, password, clientAddr string) (lectern.User, error) {
	email = normalizeEmail(email)
	acctBucket := bucketLoginAccount + truncate(email, 320)
	addrBucket := ""
	if a := addrKey(clientAddr); a != "" {
		addrBucket = bucketLoginAddr + a
		wait, err := s.limits.Check(ctx, addrBucket, s.opts.AddrLimit.Max, s.opts.AddrLimit.Window)
		if err != nil {
			return lectern.User{}, err
		}
		if wait > 0 {
			return lectern.User{}, tooMany("failed sign-in attempts", wait)
		}
	}
	// Take records this attempt as a failure up front, atomically with the
	// check; success clears it below.
	wait, err := s.limits.Take(ctx, acctBucket, s.opts.LoginLimit.Max, s.opts.LoginLimit.Window)
	if err != nil {
		return lectern.User{}, err
	}
	if wait > 0 {
		return lectern.User{}, tooMany("failed sign-in attempts", wait)
	}

	u, err := s.db.UserByEmail(ctx, email)
	if err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
		return lectern.User{}, err
	}
	found := err == nil
	hash := u.PasswordHash
	if !found || hash == "" {
		hash = s.dummyHash()
	}
	ok, verr := VerifyPassword(password, hash)
	if !found || u.PasswordHash == "" || u.Disabled || verr != nil || !ok {
		if addrBucket != "" {
			if err := s.limits.Hit(ctx, addrBucket); err != nil {
				return lectern.User{}, err
			}
		}
		return lectern.User{}, errBadCredentials()
	}
	if err := s.limits.Reset(ctx, acctBucket); err != nil {
		return lectern.User{}, err
	}
	if NeedsRehash(u.PasswordHash, s.opts.Params) {
		// Best effort: the sign-in stands even if the upgrade fails, and the
		// next sign-in tries again.
		if h, err := HashPassword(password, s.opts.Params); err == nil {
			if done, err := s.db.ReplacePasswordHash(ctx, u.ID, u.PasswordHash, h, s.now()); err == nil && done {
				u.PasswordHash = h
			}
		}
	}
	return u, nil
}

// tooMany is the ETooMany error for a wait, with RetryAfter in whole
// seconds, rounded up.
func tooMany(what string, wait time.Duration) error {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	return &lectern.Error{
		Code:       lectern.ETooMany,
		Message:    fmt.Sprintf("Too many %s. Please wait %s and try again.", what, humanDuration(wait)),
		RetryAfter: secs,
	}
}

// humanDuration renders a duration for people, rounded up: "45 seconds",
// "1 minute", "14 minutes", "1 hour", "90 minutes", "3 hours".
func humanDuration(d time.Duration) string {
	if d <= 59*time.Second {
		return plural(max(int(math.Ceil(d.Seconds())), 1), "second")
	}
	mins := int(math.Ceil(d.Minutes()))
	switch {
	case mins < 60:
		return plural(mins, "minute")
	case mins%60 == 0:
		return plural(mins/60, "hour")
	case mins < 120:
		return plural(mins, "minute")
	default:
		return plural(int(math.Ceil(d.Hours())), "hour")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// AddrKey is addrKey for other features' rate limits (wrong share-link
// passwords), so that a client is one key everywhere.
func AddrKey(addr string) string { return addrKey(addr) }

// addrKey turns a client address into a rate-limit key: an IPv4 address,
// or the /64 network of an IPv6 one (one subscriber usually holds a whole
// /64). A port, brackets and a zone are dropped; IPv4-mapped IPv6 counts
// as IPv4. Something that is not an IP address is used as given,
// shortened; the empty string stays empty.
func addrKey(addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return ""
	}
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		ip = ap.Addr()
	} else if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")); err == nil {
		ip = a
	} else {
		return truncate(addr, 100)
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64) // cannot fail for a zone-less IPv6 address
		return p.String()
	}
	return ip.String()
}

// truncate shortens s to at most n bytes without splitting a UTF-8
// sequence (invalid UTF-8 is cut at n bytes).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := n; i > 0 && i > n-utf8.UTFMax; i-- {
		if isRuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
