package testkit

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// LTIPlatform emulates an LMS speaking LTI 1.3 over real HTTP on
// loopback, written from the IMS specifications rather than from
// Lectern's code: its own RSA key and JWKS endpoint; an OIDC
// authorization endpoint that answers a tool's login with an auto-posting
// form (response_mode=form_post) carrying a signed id_token, state and
// nonce; an OAuth 2 token endpoint for client_credentials with a JWT
// bearer assertion checked against the tool's JWKS; a Names and Role
// Provisioning endpoint that pages with Link rel="next"; and a
// deep-linking return endpoint that verifies the tool's signed response.
type LTIPlatform struct {
	t            testing.TB
	srv          *httptest.Server
	ClientID     string
	DeploymentID string
	// PageSize is how many members one NRPS page holds (default 2).
	PageSize int
	now      func() time.Time

	mu        sync.Mutex
	keys      []platformKey // keys[0] signs; all are published
	tool      ltiTool
	pending   map[string]LTIMessage // by login_hint
	members   map[string][]NRPSMember
	tokens    map[string]time.Time
	jtis      map[string]bool
	deepLinks []DeepLinkResponse
	tokenHits int
	jwksHits  int
}

type platformKey struct {
	kid  string
	priv *rsa.PrivateKey
}

type ltiTool struct {
	loginURL     string
	jwksURL      string
	redirectURIs []string
}

// NRPSMember is one course member as the NRPS endpoint lists it.
type NRPSMember struct {
	UserID string   `json:"user_id"`
	Name   string   `json:"name,omitempty"`
	Email  string   `json:"email,omitempty"`
	Status string   `json:"status,omitempty"`
	Roles  []string `json:"roles"`
}

// LTI role URIs for tests.
const (
	RoleInstructor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
	RoleTA         = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
	RoleLearner    = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
	RoleAdmin      = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"
	RoleGuest      = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Guest"
)

// LTIMessage is one launch the platform will make.
type LTIMessage struct {
	MessageType  string // default LtiResourceLinkRequest
	Subject      string
	Name, Email  string
	Roles        []string
	ContextID    string // empty: no context claim
	ContextTitle string
	ResourceLink string // resource link id
	LinkTitle    string
	Custom       map[string]string
	// NRPS adds the namesroleservice claim for ContextID.
	NRPS bool
	// DeepLinkData and DeepLinkMultiple fill the deep-linking settings of
	// an LtiDeepLinkingRequest.
	DeepLinkData     string
	DeepLinkMultiple bool
	// TargetLinkURI defaults to the tool's first redirect URI.
	TargetLinkURI string
	// Tamper changes the claims (and SignWith the key) just before
	// signing, to make bad launches.
	Tamper   func(claims map[string]any)
	SignWith *rsa.PrivateKey
}

// DeepLinkResponse is a deep-linking response the platform received.
type DeepLinkResponse struct {
	Items []ContentItem
	Data  string
	Err   string // why verification failed, "" when it passed
}

// ContentItem is one item of a deep-linking response.
type ContentItem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Text   string            `json:"text"`
	URL    string            `json:"url"`
	Custom map[string]string `json:"custom"`
}

// NewLTIPlatform starts the platform; now is its clock (nil: time.Now).
func NewLTIPlatform(t testing.TB, now func() time.Time) *LTIPlatform {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	p := &LTIPlatform{t: t, ClientID: "lectern-client-" + randHex(4), DeploymentID: "dep-" + randHex(4), PageSize: 2, now: now,
		pending: map[string]LTIMessage{}, members: map[string][]NRPSMember{}, tokens: map[string]time.Time{}, jtis: map[string]bool{}}
	p.keys = []platformKey{newPlatformKey(t)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", p.serveJWKS)
	mux.HandleFunc("/auth", p.serveAuth)
	mux.HandleFunc("POST /token", p.serveToken)
	mux.HandleFunc("GET /nrps/{context}", p.serveNRPS)
	mux.HandleFunc("POST /deeplink/return", p.serveDeepLinkReturn)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func newPlatformKey(t testing.TB) platformKey {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	Must(t, err, "platform key")
	return platformKey{kid: "platform-" + randHex(6), priv: priv}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Issuer, AuthURL, TokenURL and JWKSURL are the platform's registration
// details for the tool.
func (p *LTIPlatform) Issuer() string   { return p.srv.URL }
func (p *LTIPlatform) AuthURL() string  { return p.srv.URL + "/auth" }
func (p *LTIPlatform) TokenURL() string { return p.srv.URL + "/token" }
func (p *LTIPlatform) JWKSURL() string  { return p.srv.URL + "/jwks" }

// DeepLinkReturnURL is where the tool posts deep-linking responses.
func (p *LTIPlatform) DeepLinkReturnURL() string { return p.srv.URL + "/deeplink/return" }

// SetTool registers the tool's login URL, key set URL and redirect URIs.
func (p *LTIPlatform) SetTool(loginURL, jwksURL string, redirectURIs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tool = ltiTool{loginURL: loginURL, jwksURL: jwksURL, redirectURIs: redirectURIs}
}

// RotateKey makes a new key with a new kid the signing key; the JWKS then
// publishes only it, as after a platform's key rollover.
func (p *LTIPlatform) RotateKey() {
	k := newPlatformKey(p.t)
	p.mu.Lock()
	p.keys = []platformKey{k}
	p.mu.Unlock()
}

// SetMembers sets a course's roster for the NRPS endpoint.
func (p *LTIPlatform) SetMembers(contextID string, members ...NRPSMember) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.members[contextID] = members
}

// DeepLinks returns the deep-linking responses received so far.
func (p *LTIPlatform) DeepLinks() []DeepLinkResponse {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.deepLinks)
}

// TokenRequests counts the token endpoint's successful answers.
func (p *LTIPlatform) TokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenHits
}

// LoginURL returns the tool's login initiation URL for a launch of msg,
// as the LMS puts it in the page it shows the user.
func (p *LTIPlatform) LoginURL(msg LTIMessage) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	hint := "user-" + randHex(8)
	p.pending[hint] = msg
	target := msg.TargetLinkURI
	if target == "" && len(p.tool.redirectURIs) > 0 {
		target = p.tool.redirectURIs[0]
	}
	q := url.Values{
		"iss": {p.Issuer()}, "login_hint": {hint}, "target_link_uri": {target},
		"lti_message_hint": {"msg-" + hint}, "lti_deployment_id": {p.DeploymentID}, "client_id": {p.ClientID},
	}
	return p.tool.loginURL + "?" + q.Encode()
}

// JWKSRequests counts the fetches of the platform's key set.
func (p *LTIPlatform) JWKSRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksHits
}

func (p *LTIPlatform) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	keys := slices.Clone(p.keys)
	p.jwksHits++
	p.mu.Unlock()
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := jwk.Import(&k.priv.PublicKey)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_ = pub.Set(jwk.KeyIDKey, k.kid)
		_ = pub.Set(jwk.AlgorithmKey, jwa.RS256())
		_ = pub.Set(jwk.KeyUsageKey, "sig")
		_ = set.AddKey(pub)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// autoPost is the page an OIDC form_post answer is: a form the browser
// posts at once.
var autoPost = template.Must(template.New("autopost").Parse(`<!doctype html>
<html><body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}" data-autosubmit>
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button type="submit">Continue</button>
</form></body></html>`))

func (p *LTIPlatform) serveAuth(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	get := r.Form.Get
	for k, want := range map[string]string{"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none"} {
		if get(k) != want {
			http.Error(w, fmt.Sprintf("auth request: %s must be %q, got %q", k, want, get(k)), http.StatusBadRequest)
			return
		}
	}
	p.mu.Lock()
	msg, ok := p.pending[get("login_hint")]
	tool := p.tool
	key := p.keys[0]
	p.mu.Unlock()
	switch {
	case get("client_id") != p.ClientID:
		http.Error(w, "auth request: unknown client_id", http.StatusBadRequest)
		return
	case !slices.Contains(tool.redirectURIs, get("redirect_uri")):
		http.Error(w, "auth request: redirect_uri "+get("redirect_uri")+" is not registered", http.StatusBadRequest)
		return
	case !ok:
		http.Error(w, "auth request: unknown login_hint", http.StatusBadRequest)
		return
	case get("lti_message_hint") != "msg-"+get("login_hint"):
		http.Error(w, "auth request: lti_message_hint not echoed", http.StatusBadRequest)
		return
	case get("state") == "" || get("nonce") == "":
		http.Error(w, "auth request: state and nonce are required", http.StatusBadRequest)
		return
	}
	claims := p.claims(msg, get("nonce"))
	if msg.Tamper != nil {
		msg.Tamper(claims)
	}
	signer := key.priv
	if msg.SignWith != nil {
		signer = msg.SignWith
	}
	token, err := signRS256(claims, signer, key.kid)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = autoPost.Execute(w, map[string]any{"Action": get("redirect_uri"), "Fields": map[string]string{"id_token": token, "state": get("state")}})
}

func (p *LTIPlatform) claims(msg LTIMessage, nonce string) map[string]any {
	const lti = "https://purl.imsglobal.org/spec/lti/claim/"
	now := p.now()
	mt := msg.MessageType
	if mt == "" {
		mt = "LtiResourceLinkRequest"
	}
	roles := msg.Roles
	if roles == nil {
		roles = []string{}
	}
	c := map[string]any{
		"iss": p.Issuer(), "sub": msg.Subject, "aud": p.ClientID, "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"nonce": nonce, "name": msg.Name, "email": msg.Email,
		lti + "message_type": mt, lti + "version": "1.3.0", lti + "deployment_id": p.DeploymentID,
		lti + "target_link_uri": msg.TargetLinkURI, lti + "roles": roles,
		lti + "tool_platform": map[string]any{"guid": "emulated-lms", "name": "Emulated LMS"},
	}
	if msg.ContextID != "" {
		c[lti+"context"] = map[string]any{"id": msg.ContextID, "label": strings.ToUpper(msg.ContextID), "title": msg.ContextTitle,
			"type": []string{"http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"}}
	}
	if msg.ResourceLink != "" {
		c[lti+"resource_link"] = map[string]any{"id": msg.ResourceLink, "title": msg.LinkTitle}
	}
	if len(msg.Custom) > 0 {
		c[lti+"custom"] = msg.Custom
	}
	if msg.NRPS && msg.ContextID != "" {
		c["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = map[string]any{
			"context_memberships_url": p.srv.URL + "/nrps/" + url.PathEscape(msg.ContextID), "service_versions": []string{"2.0"}}
	}
	if mt == "LtiDeepLinkingRequest" {
		c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = map[string]any{
			"deep_link_return_url": p.DeepLinkReturnURL(), "accept_types": []string{"ltiResourceLink"},
			"accept_presentation_document_targets": []string{"iframe", "window"}, "accept_multiple": msg.DeepLinkMultiple,
			"data": msg.DeepLinkData,
		}
	}
	return c
}

func signRS256(claims map[string]any, priv *rsa.PrivateKey, kid string) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.KeyIDKey, kid)
	_ = h.Set(jws.TypeKey, "JWT")
	out, err := jws.Sign(payload, jws.WithKey(jwa.RS256(), priv, jws.WithProtectedHeaders(h)))
	return string(out), err
}

// verifyToolJWT checks a JWT signed by the tool against the tool's JWKS
// and returns its claims.
func (p *LTIPlatform) verifyToolJWT(r *http.Request, token string) (map[string]any, error) {
	p.mu.Lock()
	jwksURL := p.tool.jwksURL
	p.mu.Unlock()
	set, err := jwk.Fetch(r.Context(), jwksURL)
	if err != nil {
		return nil, fmt.Errorf("fetch tool keys: %w", err)
	}
	head, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	var hdr struct{ Alg, Kid string }
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if hdr.Alg != "RS256" {
		return nil, fmt.Errorf("alg %q, want RS256", hdr.Alg)
	}
	key, ok := set.LookupKeyID(hdr.Kid)
	if !ok {
		return nil, fmt.Errorf("no tool key with kid %q", hdr.Kid)
	}
	payload, err := jws.Verify([]byte(token), jws.WithKey(jwa.RS256(), key))
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	now := p.now().Unix()
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	switch {
	case int64(exp) < now:
		return nil, fmt.Errorf("expired")
	case int64(iat) > now+60:
		return nil, fmt.Errorf("iat in the future")
	}
	return claims, nil
}

func audContains(v any, want string) bool {
	switch a := v.(type) {
	case string:
		return a == want
	case []any:
		for _, x := range a {
			if x == want {
				return true
			}
		}
	}
	return false
}

func (p *LTIPlatform) serveToken(w http.ResponseWriter, r *http.Request) {
	fail := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		fail("invalid_request", "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" ||
		r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		fail("unsupported_grant_type", "client_credentials with a JWT bearer assertion is required")
		return
	}
	claims, err := p.verifyToolJWT(r, r.PostForm.Get("client_assertion"))
	if err != nil {
		fail("invalid_client", err.Error())
		return
	}
	jti, _ := claims["jti"].(string)
	switch {
	case claims["iss"] != p.ClientID || claims["sub"] != p.ClientID:
		fail("invalid_client", "iss and sub must be the client id")
		return
	case !audContains(claims["aud"], p.TokenURL()):
		fail("invalid_client", "aud must be the token URL")
		return
	case jti == "":
		fail("invalid_client", "jti required")
		return
	}
	if !slices.Contains(strings.Fields(r.PostForm.Get("scope")), "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly") {
		fail("invalid_scope", "the NRPS scope is required")
		return
	}
	p.mu.Lock()
	if p.jtis[jti] {
		p.mu.Unlock()
		fail("invalid_client", "jti reused")
		return
	}
	p.jtis[jti] = true
	token := "tok-" + randHex(12)
	p.tokens[token] = p.now().Add(time.Hour)
	p.tokenHits++
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600,
		"scope": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"})
}

func (p *LTIPlatform) serveNRPS(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	exp, ok := p.tokens[token]
	members := slices.Clone(p.members[r.PathValue("context")])
	size := max(p.PageSize, 1)
	p.mu.Unlock()
	if !ok || p.now().After(exp) {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/vnd.ims.lti-nrps.v2.membershipcontainer+json") {
		http.Error(w, "Accept must name the NRPS membership container", http.StatusNotAcceptable)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	start := min(page*size, len(members))
	end := min(start+size, len(members))
	if end < len(members) {
		next := *r.URL
		q := next.Query()
		q.Set("page", strconv.Itoa(page+1))
		next.RawQuery = q.Encode()
		// A relative next link: the tool must resolve it against the page.
		w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="next"`, next.RequestURI()))
	}
	w.Header().Set("Content-Type", "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": p.srv.URL + r.URL.RequestURI(), "context": map[string]string{"id": r.PathValue("context")},
		"members": members[start:end],
	})
}

func (p *LTIPlatform) serveDeepLinkReturn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	resp := DeepLinkResponse{}
	claims, err := p.verifyToolJWT(r, r.PostForm.Get("JWT"))
	const lti = "https://purl.imsglobal.org/spec/lti/claim/"
	switch {
	case err != nil:
		resp.Err = err.Error()
	case claims["iss"] != p.ClientID:
		resp.Err = "iss must be the client id"
	case !audContains(claims["aud"], p.Issuer()):
		resp.Err = "aud must be the platform issuer"
	case claims["nonce"] == nil || claims["nonce"] == "":
		resp.Err = "nonce required"
	case claims[lti+"deployment_id"] != p.DeploymentID:
		resp.Err = "deployment_id must be echoed"
	case claims[lti+"message_type"] != "LtiDeepLinkingResponse":
		resp.Err = "message_type must be LtiDeepLinkingResponse"
	case claims[lti+"version"] != "1.3.0":
		resp.Err = "version must be 1.3.0"
	}
	if resp.Err == "" {
		resp.Data, _ = claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"].(string)
		b, _ := json.Marshal(claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"])
		if err := json.Unmarshal(b, &resp.Items); err != nil {
			resp.Err = "content_items: " + err.Error()
		}
	}
	p.mu.Lock()
	p.deepLinks = append(p.deepLinks, resp)
	p.mu.Unlock()
	if resp.Err != "" {
		http.Error(w, "deep-linking response refused: "+resp.Err, http.StatusBadRequest)
		return
	}
	_, _ = w.Write([]byte("content added"))
}
