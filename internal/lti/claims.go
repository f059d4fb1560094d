package lti

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Claim names (LTI Core 1.3, Deep Linking 2.0, NRPS 2.0).
const (
	claimPrefix       = "https://purl.imsglobal.org/spec/lti/claim/"
	ClaimMessageType  = claimPrefix + "message_type"
	ClaimVersion      = claimPrefix + "version"
	ClaimDeploymentID = claimPrefix + "deployment_id"
	ClaimTargetLink   = claimPrefix + "target_link_uri"
	ClaimResourceLink = claimPrefix + "resource_link"
	ClaimRoles        = claimPrefix + "roles"
	ClaimContext      = claimPrefix + "context"
	ClaimCustom       = claimPrefix + "custom"
	ClaimDeepLinking  = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	ClaimContentItems = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	ClaimDLData       = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
	ClaimDLMessage    = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
	ClaimNRPS         = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

	MessageResourceLink     = "LtiResourceLinkRequest"
	MessageDeepLinking      = "LtiDeepLinkingRequest"
	MessageDeepLinkResponse = "LtiDeepLinkingResponse"
	Version13               = "1.3.0"

	ScopeNRPS     = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
	NRPSMediaType = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
)

// Custom parameters Lectern reads. An LMS admin sets lectern_public=true
// on public course spaces (there is no standard claim for it); deep
// linking sets lectern_item on the links it creates.
const (
	CustomPublic = "lectern_public"
	CustomItem   = "lectern_item"
)

// audience is the aud claim: one string or an array of them.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud: must be a string or an array of strings")
	}
	*a = many
	return nil
}

// idToken is the part of an LTI 1.3 id_token Lectern reads.
type idToken struct {
	Issuer     string   `json:"iss"`
	Subject    string   `json:"sub"`
	Audience   audience `json:"aud"`
	AZP        string   `json:"azp"`
	Expires    *float64 `json:"exp"`
	IssuedAt   *float64 `json:"iat"`
	Nonce      string   `json:"nonce"`
	Name       string   `json:"name"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	Email      string   `json:"email"`

	MessageType   string   `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version       string   `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	DeploymentID  string   `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	TargetLinkURI string   `json:"https://purl.imsglobal.org/spec/lti/claim/target_link_uri"`
	Roles         []string `json:"https://purl.imsglobal.org/spec/lti/claim/roles"`
	ResourceLink  *struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"https://purl.imsglobal.org/spec/lti/claim/resource_link"`
	Context *struct {
		ID    string   `json:"id"`
		Label string   `json:"label"`
		Title string   `json:"title"`
		Type  []string `json:"type"`
	} `json:"https://purl.imsglobal.org/spec/lti/claim/context"`
	Custom map[string]any `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
	NRPS   *struct {
		ContextMembershipsURL string   `json:"context_memberships_url"`
		ServiceVersions       []string `json:"service_versions"`
	} `json:"https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"`
	DeepLinking *DeepLinkSettings `json:"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"`
}

// DeepLinkSettings is the deep_linking_settings claim.
type DeepLinkSettings struct {
	ReturnURL      string   `json:"deep_link_return_url"`
	AcceptTypes    []string `json:"accept_types"`
	AcceptTargets  []string `json:"accept_presentation_document_targets"`
	AcceptMultiple *bool    `json:"accept_multiple"`
	AutoCreate     bool     `json:"auto_create"`
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	Data           string   `json:"data"`
}

func (t idToken) displayName() string {
	if n := strings.TrimSpace(t.Name); n != "" {
		return n
	}
	return strings.TrimSpace(strings.TrimSpace(t.GivenName) + " " + strings.TrimSpace(t.FamilyName))
}

// customStrings renders custom parameter values as strings (platforms
// send strings; anything else is kept in its JSON form).
func customStrings(in map[string]any) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case string:
			out[k] = v
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

// truthy reads a yes/no custom parameter.
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
