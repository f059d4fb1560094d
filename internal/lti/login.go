package lti

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Tool endpoints, relative to the base URL (DESIGN §6).
const (
	PathLogin    = "/lti/login"
	PathLaunch   = "/lti/launch"
	PathDeepLink = "/lti/deep-link"
	PathJWKS     = "/lti/jwks"
	PathLaunch11 = "/lti/1.1/launch"
)

// LoginRequest is an OIDC third-party login initiation from a platform.
type LoginRequest struct {
	Issuer        string // iss
	LoginHint     string // login_hint
	TargetLinkURI string // target_link_uri
	MessageHint   string // lti_message_hint, echoed unchanged
	DeploymentID  string // lti_deployment_id, optional
	ClientID      string // client_id, optional
}

// LoginRedirect is where to send the browser, and the state cookie that
// binds the login to it.
type LoginRedirect struct {
	URL         string
	CookieName  string
	CookieValue string
	ExpiresAt   time.Time
}

// StateCookiePrefix begins the name of each login's state cookie. Each
// login has its own cookie, so that two Lectern frames launching at once
// on one LMS page do not overwrite each other's state.
const StateCookiePrefix = "lectern_lti_"

// StateCookieName is the cookie that must carry state back to the launch.
func StateCookieName(state string) string {
	id, _, _ := strings.Cut(state, ".")
	return StateCookiePrefix + id
}

func stateID(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// StartLogin answers a login initiation: it finds the registration by
// issuer (and client id, when the issuer has several), stores a fresh
// state and nonce, and returns the platform's authorization URL with the
// OIDC parameters LTI requires.
func (s *Service) StartLogin(ctx context.Context, req LoginRequest) (LoginRedirect, error) {
	switch {
	case req.Issuer == "":
		return LoginRedirect{}, reject(CheckRequest, "", "The LMS started a login without saying who it is (the iss parameter is missing).")
	case req.LoginHint == "":
		return LoginRedirect{}, reject(CheckRequest, "", "The LMS started a login without a login_hint.")
	case req.TargetLinkURI == "":
		return LoginRedirect{}, reject(CheckRequest, "", "The LMS started a login without a target_link_uri.")
	}
	p, err := s.registration(ctx, req.Issuer, req.ClientID)
	if err != nil {
		return LoginRedirect{}, err
	}
	if req.DeploymentID != "" && !slices.Contains(p.DeploymentIDs, req.DeploymentID) {
		return LoginRedirect{}, reject(CheckDeployment, "lti_deployment_id "+req.DeploymentID,
			"The LMS deployment %q is not registered in Lectern for %s. An administrator can add it on the LMS platforms page.",
			req.DeploymentID, p.Name)
	}
	now := s.clock()
	state := hex.EncodeToString(randomBytes(8)) + "." + randomToken(32)
	nonce := randomToken(24)
	st := sqlstore.LTILoginState{ID: stateID(state), PlatformID: p.ID, Nonce: nonce, DeploymentID: req.DeploymentID,
		CreatedAt: now, ExpiresAt: now.Add(LoginStateTTL)}
	if err := s.db.InsertLTILoginState(ctx, st); err != nil {
		return LoginRedirect{}, err
	}
	redirect := s.base + PathLaunch
	if u, err := url.Parse(req.TargetLinkURI); err == nil && u.Path == PathDeepLink {
		redirect = s.base + PathDeepLink
	}
	q := url.Values{
		"scope":         {"openid"},
		"response_type": {"id_token"},
		"response_mode": {"form_post"},
		"prompt":        {"none"},
		"client_id":     {p.ClientID},
		"redirect_uri":  {redirect},
		"login_hint":    {req.LoginHint},
		"state":         {state},
		"nonce":         {nonce},
	}
	if req.MessageHint != "" {
		q.Set("lti_message_hint", req.MessageHint)
	}
	auth, err := url.Parse(p.AuthURL)
	if err != nil {
		return LoginRedirect{}, lectern.Errorf(lectern.EInternal, "The LMS platform's authorization URL is not valid.")
	}
	for k, vs := range auth.Query() {
		if !q.Has(k) {
			q[k] = vs
		}
	}
	auth.RawQuery = q.Encode()
	return LoginRedirect{URL: auth.String(), CookieName: StateCookieName(state), CookieValue: state, ExpiresAt: st.ExpiresAt}, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// registration finds the LTI 1.3 registration for an issuer and client id
// (optional when the issuer has only one registration).
func (s *Service) registration(ctx context.Context, issuer, clientID string) (lectern.LTIPlatform, error) {
	ps, err := s.db.LTIPlatformsByIssuer(ctx, issuer)
	if err != nil {
		return lectern.LTIPlatform{}, err
	}
	var match []lectern.LTIPlatform
	for _, p := range ps {
		if clientID == "" || p.ClientID == clientID {
			match = append(match, p)
		}
	}
	switch {
	case len(match) == 1:
		return match[0], nil
	case len(match) > 1:
		return lectern.LTIPlatform{}, reject(CheckRegistration, "issuer "+issuer,
			"Lectern has several registrations for the LMS %q and the LMS did not say which one (client_id); ask the LMS administrator to send it.", issuer)
	case clientID != "":
		return lectern.LTIPlatform{}, reject(CheckRegistration, "issuer "+issuer+" client_id "+clientID,
			"This LMS (%q, client id %q) is not registered in Lectern. An administrator can register it on the LMS platforms page.", issuer, clientID)
	}
	return lectern.LTIPlatform{}, reject(CheckRegistration, "issuer "+issuer,
		"This LMS (%q) is not registered in Lectern. An administrator can register it on the LMS platforms page.", issuer)
}
