package lti

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
)

// LTI 1.1 launches are form posts signed with OAuth 1.0a HMAC-SHA1
// (RFC 5849) under the consumer's secret.

// ValidateLaunch11 checks an LTI 1.1 launch: query holds the URL's query
// parameters and form the posted body. The signature is computed over
// Lectern's configured launch URL (base URL + /lti/1.1/launch), never the
// Host header, so that it holds behind a reverse proxy.
func (s *Service) ValidateLaunch11(ctx context.Context, query, form url.Values) (*Launch, error) {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	key := get("oauth_consumer_key")
	if key == "" || get("oauth_signature") == "" {
		return nil, reject(CheckRequest, "", "The LMS's launch is not signed (oauth_consumer_key and oauth_signature are required).")
	}
	p, err := s.db.LTIPlatformByConsumerKey(ctx, key)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return nil, reject(CheckRegistration, "consumer key "+key,
			"The consumer key %q is not registered in Lectern. An administrator can register it on the LMS platforms page.", key)
	}
	if err != nil {
		return nil, err
	}
	if m := get("oauth_signature_method"); m != "HMAC-SHA1" {
		return nil, reject(CheckAlgorithm, "oauth_signature_method "+m, "The launch is signed with %q; Lectern accepts HMAC-SHA1 for LTI 1.1.", m)
	}
	if v := get("oauth_version"); v != "" && v != "1.0" {
		return nil, reject(CheckVersion, "oauth_version "+v, "The launch uses OAuth version %q; LTI 1.1 uses 1.0.", v)
	}
	secret, err := s.sealer.Open(secretPurpose(p.ID), p.SecretSealed)
	if err != nil {
		return nil, err
	}
	want := OAuthSignature("POST", s.base+PathLaunch11, mergeParams(query, form), string(secret))
	if !hmac.Equal([]byte(want), []byte(get("oauth_signature"))) {
		return nil, reject(CheckSignature, "", "The launch's OAuth signature does not match: the consumer secret in the LMS differs from the one registered in Lectern, "+
			"or the launch was altered. (The LMS must launch %s.)", s.base+PathLaunch11)
	}
	ts, err := strconv.ParseInt(get("oauth_timestamp"), 10, 64)
	if err != nil {
		return nil, reject(CheckTimestamp, "oauth_timestamp "+get("oauth_timestamp"), "The launch has no valid timestamp.")
	}
	now := s.clock()
	at := time.Unix(ts, 0).UTC()
	switch {
	case at.Before(now.Add(-TimestampWindow)):
		return nil, reject(CheckTimestamp, "oauth_timestamp "+at.Format(time.RFC3339),
			"The launch is too old: it was signed at %s UTC and launches are accepted for %s. Open the link again; if this keeps happening, the LMS's clock is wrong.",
			at.Format("15:04:05"), TimestampWindow)
	case at.After(now.Add(s.skew)):
		return nil, reject(CheckTimestamp, "oauth_timestamp "+at.Format(time.RFC3339),
			"The launch says it was signed at %s UTC, in the future (it is now %s UTC): the LMS's clock or Lectern's is wrong.", at.Format("15:04:05"), now.Format("15:04:05"))
	}
	nonce := get("oauth_nonce")
	if nonce == "" {
		return nil, reject(CheckRequest, "", "The launch has no oauth_nonce.")
	}
	if mt := get("lti_message_type"); mt != "basic-lti-launch-request" {
		return nil, reject(CheckMessageType, "lti_message_type "+mt, "Lectern does not handle LTI 1.1 messages of type %q (it handles basic-lti-launch-request).", mt)
	}
	if v := get("lti_version"); v != "LTI-1p0" && v != "LTI-1p2" {
		return nil, reject(CheckVersion, "lti_version "+v, "The launch is LTI version %q; Lectern expects LTI-1p0 here.", v)
	}
	if get("resource_link_id") == "" {
		return nil, reject(CheckClaims, "no resource_link_id", "The launch has no resource_link_id.")
	}
	if get("user_id") == "" {
		return nil, reject(CheckClaims, "no user_id", "The launch does not say who the user is (no user_id); anonymous launches are not supported.")
	}
	fresh, err := s.db.UseLTINonce(ctx, "1.1|"+p.ID+"|"+nonce, at.Add(TimestampWindow+s.skew))
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, reject(CheckReplay, "", "This launch has been used already (its oauth_nonce was seen before): a launch can be used only once. Open the link again from the LMS.")
	}
	l := &Launch{
		Platform: p, MessageType: MessageResourceLink, UserIssuer: "lti11:" + p.ID, Subject: get("user_id"),
		Name: get("lis_person_name_full"), Email: get("lis_person_contact_email_primary"),
		ContextID: get("context_id"), ContextTitle: get("context_title"), ContextLabel: get("context_label"),
		ResourceLinkID: get("resource_link_id"), ResourceLinkTitle: get("resource_link_title"), Custom: map[string]string{},
	}
	if l.Name == "" {
		l.Name = strings.TrimSpace(get("lis_person_name_given") + " " + get("lis_person_name_family"))
	}
	for _, r := range strings.Split(get("roles"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			l.Roles = append(l.Roles, r)
		}
	}
	l.Role = MapRoles(l.Roles)
	for k, vs := range form {
		if name, ok := strings.CutPrefix(k, "custom_"); ok && len(vs) > 0 {
			l.Custom[name] = vs[0]
		}
	}
	l.Public = truthy(l.Custom[CustomPublic])
	return l, nil
}

func secretPurpose(platformID string) string { return "lti11-secret:" + platformID }

func mergeParams(query, form url.Values) url.Values {
	all := url.Values{}
	for _, src := range []url.Values{query, form} {
		for k, vs := range src {
			all[k] = append(all[k], vs...)
		}
	}
	return all
}

// OAuthSignature is the RFC 5849 HMAC-SHA1 signature of a request to
// rawURL with params (body and query, oauth_signature ignored), under the
// consumer secret (no token secret). The test consumer signs with it too.
func OAuthSignature(method, rawURL string, params url.Values, secret string) string {
	base := method + "&" + oauthEncode(normalizeURL(rawURL)) + "&" + oauthEncode(normalizeParams(params))
	mac := hmac.New(sha1.New, []byte(oauthEncode(secret)+"&"))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// normalizeURL lower-cases scheme and host, drops a default port, the
// query and the fragment.
func normalizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndex(host, ":")]
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

func normalizeParams(params url.Values) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range params {
		if k == "oauth_signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, pair{oauthEncode(k), oauthEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// oauthEncode is RFC 3986 percent-encoding: everything but ALPHA, DIGIT,
// '-', '.', '_' and '~', with upper-case hex.
func oauthEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}
