package sharing

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// Policy is the site's sharing policy, set by admins. It is stored as
// JSON in the settings table, so every node reads the same.
type Policy struct {
	// AllowAnonymous: links may be opened without signing in. When false,
	// every link asks its viewers to sign in (guests and members alike).
	AllowAnonymous bool
	// PasswordRequired: every link must have a password.
	PasswordRequired bool
	// MaxExpiry, when positive, is the longest a link may live: links
	// must expire within it (a link made without an expiry gets it).
	MaxExpiry time.Duration
	// DefaultSpike is the spike rule of links whose owner chose none.
	DefaultSpike lectern.SpikeRule
	// GuestsEnabled: owners may invite guests. Turning it off disables
	// every guest account until it is turned on again.
	GuestsEnabled bool
	// GuestBlockedDomains: no guests with addresses at these domains (or
	// their subdomains); existing ones are disabled while blocked.
	GuestBlockedDomains []string
}

// DefaultPolicy is the policy of a site whose admins set none: anonymous
// links allowed, passwords optional, no maximum expiry, guests allowed;
// spike rule: more than 5 distinct devices or networks within 24 hours
// notifies the owner.
func DefaultPolicy() Policy {
	return Policy{
		AllowAnonymous: true,
		DefaultSpike:   lectern.SpikeRule{MaxDistinct: 5, Window: 24 * time.Hour, Action: lectern.SpikeNotify},
		GuestsEnabled:  true,
	}
}

// Bounds on a spike rule.
const (
	maxSpikeDistinct = 1000
	minSpikeWindow   = time.Minute
	maxSpikeWindow   = 30 * 24 * time.Hour
	maxExpiryBound   = 10 * 365 * 24 * time.Hour
)

// checkSpike validates a spike rule; field names the input.
func checkSpike(field string, r lectern.SpikeRule) error {
	switch {
	case !r.Action.Valid():
		return lectern.Errorf(lectern.EInvalid, "%s.action: must be off, notify or suspend", field)
	case r.Action == lectern.SpikeOff:
		return nil
	case r.MaxDistinct < 1 || r.MaxDistinct > maxSpikeDistinct:
		return lectern.Errorf(lectern.EInvalid, "%s.max_distinct: must be from 1 to %d", field, maxSpikeDistinct)
	case r.Window < minSpikeWindow || r.Window > maxSpikeWindow:
		return lectern.Errorf(lectern.EInvalid, "%s.window_minutes: must be from 1 minute to 30 days", field)
	}
	return nil
}

// normalize cleans the domain list and checks everything; EInvalid names
// the field.
func (p *Policy) normalize() error {
	if p.MaxExpiry < 0 || p.MaxExpiry > maxExpiryBound {
		return lectern.Errorf(lectern.EInvalid, "max_expiry_days: must be from 0 (no maximum) to 3650")
	}
	if err := checkSpike("default_spike", p.DefaultSpike); err != nil {
		return err
	}
	var domains []string
	for _, d := range p.GuestBlockedDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" {
			continue
		}
		if len(d) > 253 || strings.ContainsAny(d, " \t\r\n@/,;<>") || !strings.Contains(d, ".") {
			return lectern.Errorf(lectern.EInvalid, "guest_blocked_domains: %q is not a domain such as example.org", d)
		}
		if !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	if len(domains) > 500 {
		return lectern.Errorf(lectern.EInvalid, "guest_blocked_domains: at most 500")
	}
	slices.Sort(domains)
	p.GuestBlockedDomains = domains
	return nil
}

// GuestAllowed reports whether the policy lets an address be a guest.
func (p Policy) GuestAllowed(email string) bool {
	if !p.GuestsEnabled {
		return false
	}
	_, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok {
		return false
	}
	for _, d := range p.GuestBlockedDomains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return false
		}
	}
	return true
}

// settingsKey is the policy's row in the settings table.
const settingsKey = "sharing_policy"

// policyJSON is how the policy is stored (and shown by the API).
type policyJSON struct {
	AllowAnonymous      bool      `json:"allow_anonymous"`
	PasswordRequired    bool      `json:"password_required"`
	MaxExpiryDays       int       `json:"max_expiry_days"`
	DefaultSpike        SpikeJSON `json:"default_spike"`
	GuestsEnabled       bool      `json:"guests_enabled"`
	GuestBlockedDomains []string  `json:"guest_blocked_domains"`
}

// SpikeJSON is a spike rule as JSON.
type SpikeJSON struct {
	MaxDistinct   int                 `json:"max_distinct"`
	WindowMinutes int                 `json:"window_minutes"`
	Action        lectern.SpikeAction `json:"action"`
}

// SpikeToJSON and SpikeFromJSON convert a spike rule.
func SpikeToJSON(r lectern.SpikeRule) SpikeJSON {
	return SpikeJSON{MaxDistinct: r.MaxDistinct, WindowMinutes: int(r.Window / time.Minute), Action: r.Action}
}

func SpikeFromJSON(j SpikeJSON) lectern.SpikeRule {
	return lectern.SpikeRule{MaxDistinct: j.MaxDistinct, Window: time.Duration(j.WindowMinutes) * time.Minute, Action: j.Action}
}

const day = 24 * time.Hour

// MarshalJSON and UnmarshalJSON give the policy its JSON shape.
func (p Policy) MarshalJSON() ([]byte, error) {
	d := p.GuestBlockedDomains
	if d == nil {
		d = []string{}
	}
	return json.Marshal(policyJSON{AllowAnonymous: p.AllowAnonymous, PasswordRequired: p.PasswordRequired,
		MaxExpiryDays: int(p.MaxExpiry / day), DefaultSpike: SpikeToJSON(p.DefaultSpike),
		GuestsEnabled: p.GuestsEnabled, GuestBlockedDomains: d})
}

func (p *Policy) UnmarshalJSON(b []byte) error {
	var j policyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Policy{AllowAnonymous: j.AllowAnonymous, PasswordRequired: j.PasswordRequired,
		MaxExpiry: time.Duration(j.MaxExpiryDays) * day, DefaultSpike: SpikeFromJSON(j.DefaultSpike),
		GuestsEnabled: j.GuestsEnabled, GuestBlockedDomains: j.GuestBlockedDomains}
	return nil
}

// Policy returns the site's sharing policy (DefaultPolicy when admins
// never set one). Anyone may read it.
func (s *Service) Policy(ctx context.Context) (Policy, error) {
	values, err := s.db.Settings(ctx)
	if err != nil {
		return Policy{}, fmt.Errorf("sharing policy: %w", err)
	}
	raw, ok := values[settingsKey]
	if !ok {
		return DefaultPolicy(), nil
	}
	p := DefaultPolicy()
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return Policy{}, fmt.Errorf("sharing policy: stored value is not valid: %w", err)
	}
	return p, nil
}

// SetPolicy stores a new policy (admins only: EForbidden otherwise;
// EInvalid naming the field for a bad value), audits it, and applies it
// to existing guest accounts: those it no longer allows are disabled
// (their sessions end) and those it held disabled before, and allows
// again, are enabled. Accounts an admin revoked stay revoked.
func (s *Service) SetPolicy(ctx context.Context, actor lectern.Principal, clientAddr string, p Policy) (Policy, error) {
	if !actor.IsAdmin {
		return Policy{}, lectern.Errorf(lectern.EForbidden, "Only site admins can change the sharing policy.")
	}
	if err := p.normalize(); err != nil {
		return Policy{}, err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return Policy{}, err
	}
	now := s.now()
	if err := s.db.PutSettings(ctx, map[string]string{settingsKey: string(raw)}, now, actor.UserID); err != nil {
		return Policy{}, fmt.Errorf("store sharing policy: %w", err)
	}
	if err := s.audit(ctx, s.db, lectern.AuditEvent{At: now, ActorID: actor.UserID, Action: AuditPolicy,
		ClientAddr: clientAddr, Detail: string(raw)}); err != nil {
		return Policy{}, err
	}
	return p, s.applyGuestPolicy(ctx, p)
}

// applyGuestPolicy holds or releases guest accounts to match p.
func (s *Service) applyGuestPolicy(ctx context.Context, p Policy) error {
	guests, err := s.db.GuestAccounts(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, g := range guests {
		allowed := p.GuestAllowed(g.User.Email)
		switch {
		case !allowed && !g.User.Disabled:
			_, err = s.db.HoldGuest(ctx, g.User.ID, now)
		case allowed && g.Held:
			_, err = s.db.ReleaseGuest(ctx, g.User.ID, now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
