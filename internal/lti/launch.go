package lti

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// Launch is a checked launch from either LTI version, reduced to what
// Provision acts on.
type Launch struct {
	Platform    lectern.LTIPlatform
	MessageType string // MessageResourceLink or MessageDeepLinking
	// UserIssuer and Subject identify the LMS user: for LTI 1.3 the iss
	// and sub claims; for LTI 1.1 "lti11:<platform id>" and user_id.
	UserIssuer   string
	Subject      string
	Name         string
	Email        string
	Roles        []string
	Role         CourseRole
	ContextID    string
	ContextTitle string
	ContextLabel string
	Public       bool // the platform marks the course public (custom lectern_public)
	// ResourceLinkID and ResourceLinkTitle identify the course module.
	ResourceLinkID    string
	ResourceLinkTitle string
	Custom            map[string]string
	DeploymentID      string
	NRPSURL           string
	DeepLink          *DeepLinkSettings
}

// ValidateLaunch checks an LTI 1.3 launch: the id_token and state posted
// by the browser, and cookie, which returns the browser's cookie of a
// name. Each failed check is its own Rejection. The nonce is recorded as
// used only once every other check has passed.
func (s *Service) ValidateLaunch(ctx context.Context, rawToken, state string, cookie func(name string) (string, bool)) (*Launch, error) {
	if rawToken == "" || state == "" {
		return nil, reject(CheckRequest, "", "The LMS did not send a complete launch (an id_token and a state are required).")
	}
	sent, ok := cookie(StateCookieName(state))
	if !ok {
		return nil, reject(CheckStateCookie, "", "Your browser did not send back the cookie Lectern set when this launch began. "+
			"Browsers that block cookies inside LMS pages do this; open the link in a new window, or allow cookies for this site.")
	}
	if subtle.ConstantTimeCompare([]byte(sent), []byte(state)) != 1 {
		return nil, reject(CheckStateMatch, "", "The launch's state is not the one this browser began with, so it may not have been meant for you. Open the link again from the LMS.")
	}
	now := s.clock()
	st, err := s.db.LTILoginStateByID(ctx, stateID(state))
	switch {
	case lectern.ErrorCodeOf(err) == lectern.ENotFound:
		return nil, reject(CheckState, "", "Lectern has no record of the login this launch belongs to. Open the link again from the LMS.")
	case err != nil:
		return nil, err
	case !now.Before(st.ExpiresAt):
		return nil, reject(CheckState, "", "This launch took longer than %s after it began, so it has expired. Open the link again from the LMS.", LoginStateTTL)
	}
	p, err := s.db.LTIPlatformByID(ctx, st.PlatformID)
	if err != nil {
		return nil, err
	}

	hdr, err := parseHeader(rawToken)
	if err != nil {
		return nil, reject(CheckRequest, err.Error(), "The LMS's id_token is not a signed JWT.")
	}
	alg, ok := acceptedAlgs[hdr.Alg]
	if !ok {
		return nil, reject(CheckAlgorithm, "alg "+hdr.Alg, "The launch is signed with the algorithm %q, which Lectern does not accept (RS256, RS384, RS512 and ES256/384/512 are accepted).", hdr.Alg)
	}
	key, err := s.keys.key(ctx, p.JWKSURL, hdr.Kid)
	var unknown errUnknownKid
	switch {
	case errors.As(err, &unknown):
		return nil, reject(CheckKeyID, err.Error(), "The launch is signed with a key (id %q) that %s does not publish at its key set URL, so its signature cannot be checked.", hdr.Kid, p.Name)
	case err != nil:
		return nil, reject(CheckKeyID, err.Error(), "Lectern could not fetch the public keys of %s to check the launch's signature.", p.Name)
	}
	if ka, ok := key.Algorithm(); ok && ka.String() != "" && ka.String() != hdr.Alg {
		return nil, reject(CheckAlgorithm, "key alg "+ka.String()+", token alg "+hdr.Alg,
			"The launch is signed with %q, but the LMS's key %q is for %q.", hdr.Alg, hdr.Kid, ka.String())
	}
	payload, err := verifyWithKey(rawToken, key, alg)
	if err != nil {
		return nil, reject(CheckSignature, err.Error(), "The launch's signature does not verify with the public key of %s: the launch was altered, or was not signed by that LMS.", p.Name)
	}
	var t idToken
	if err := json.Unmarshal(payload, &t); err != nil {
		return nil, reject(CheckClaims, err.Error(), "The launch's claims could not be read: %s.", firstLine(err.Error()))
	}

	if t.Issuer != p.Issuer {
		return nil, reject(CheckIssuer, "iss "+t.Issuer, "The launch says it comes from %q, but its login began with %q (wrong issuer).", t.Issuer, p.Issuer)
	}
	if !slices.Contains(t.Audience, p.ClientID) {
		return nil, reject(CheckAudience, "aud "+strings.Join(t.Audience, " "), "The launch is addressed to %q, not to Lectern's client id %q (wrong audience).", strings.Join(t.Audience, ", "), p.ClientID)
	}
	if (len(t.Audience) > 1 || t.AZP != "") && t.AZP != p.ClientID {
		return nil, reject(CheckAZP, "azp "+t.AZP, "The launch names several audiences, and its authorized party (azp %q) is not Lectern's client id %q.", t.AZP, p.ClientID)
	}
	if t.Expires == nil {
		return nil, reject(CheckExpired, "", "The launch has no expiry time (exp).")
	}
	if exp := unixTime(*t.Expires); now.After(exp.Add(s.skew)) {
		return nil, reject(CheckExpired, "exp "+exp.Format(time.RFC3339), "The launch expired at %s UTC; it is now %s UTC. If the LMS's clock is right, open the link again.",
			exp.Format("15:04:05"), now.Format("15:04:05"))
	}
	if t.IssuedAt == nil {
		return nil, reject(CheckIssuedAt, "", "The launch has no issue time (iat).")
	}
	if iat := unixTime(*t.IssuedAt); iat.After(now.Add(s.skew)) {
		return nil, reject(CheckIssuedAt, "iat "+iat.Format(time.RFC3339), "The launch says it was issued at %s UTC, in the future (it is now %s UTC): the LMS's clock or Lectern's is wrong.",
			iat.Format("15:04:05"), now.Format("15:04:05"))
	}
	if subtle.ConstantTimeCompare([]byte(t.Nonce), []byte(st.Nonce)) != 1 {
		return nil, reject(CheckNonce, "", "The launch's nonce is not the one its login asked for, so it is not an answer to this login.")
	}
	if t.DeploymentID == "" || !slices.Contains(p.DeploymentIDs, t.DeploymentID) ||
		(st.DeploymentID != "" && st.DeploymentID != t.DeploymentID) {
		return nil, reject(CheckDeployment, "deployment_id "+t.DeploymentID,
			"The LMS deployment %q is not registered in Lectern for %s. An administrator can add it on the LMS platforms page.", t.DeploymentID, p.Name)
	}
	if t.MessageType != MessageResourceLink && t.MessageType != MessageDeepLinking {
		return nil, reject(CheckMessageType, "message_type "+t.MessageType,
			"Lectern does not handle LTI messages of type %q (it handles %s and %s).", t.MessageType, MessageResourceLink, MessageDeepLinking)
	}
	if t.Version != Version13 {
		return nil, reject(CheckVersion, "version "+t.Version, "The launch is LTI version %q; Lectern expects %q here.", t.Version, Version13)
	}
	if err := checkMessageClaims(t); err != nil {
		return nil, err
	}
	fresh, err := s.db.UseLTINonce(ctx, "1.3|"+p.Issuer+"|"+t.Nonce, st.ExpiresAt.Add(s.skew))
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, reject(CheckReplay, "", "This launch has been used already (its nonce was seen before): a launch can be used only once. Open the link again from the LMS.")
	}
	return launchFromToken(p, t), nil
}

func checkMessageClaims(t idToken) error {
	if strings.TrimSpace(t.Subject) == "" {
		return reject(CheckClaims, "no sub", "The launch does not say who the user is (no sub claim); anonymous launches are not supported.")
	}
	switch t.MessageType {
	case MessageResourceLink:
		if t.ResourceLink == nil || t.ResourceLink.ID == "" {
			return reject(CheckClaims, "no resource_link.id", "The launch has no resource link id.")
		}
	case MessageDeepLinking:
		if t.DeepLinking == nil || t.DeepLinking.ReturnURL == "" {
			return reject(CheckClaims, "no deep_link_return_url", "The deep-linking request has no return URL.")
		}
	}
	return nil
}

func launchFromToken(p lectern.LTIPlatform, t idToken) *Launch {
	l := &Launch{
		Platform: p, MessageType: t.MessageType, UserIssuer: p.Issuer, Subject: t.Subject,
		Name: t.displayName(), Email: strings.TrimSpace(t.Email), Roles: t.Roles, Role: MapRoles(t.Roles),
		Custom: customStrings(t.Custom), DeploymentID: t.DeploymentID, DeepLink: t.DeepLinking,
	}
	if t.Context != nil {
		l.ContextID, l.ContextTitle, l.ContextLabel = t.Context.ID, t.Context.Title, t.Context.Label
	}
	if t.ResourceLink != nil {
		l.ResourceLinkID, l.ResourceLinkTitle = t.ResourceLink.ID, t.ResourceLink.Title
	}
	if t.NRPS != nil {
		l.NRPSURL = t.NRPS.ContextMembershipsURL
	}
	l.Public = truthy(l.Custom[CustomPublic])
	return l
}

func unixTime(v float64) time.Time {
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
