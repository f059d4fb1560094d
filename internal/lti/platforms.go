package lti

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// PlatformInput is what an admin enters to register an LMS.
type PlatformInput struct {
	Version lectern.LTIVersion
	Name    string
	// LTI 1.3.
	Issuer        string
	ClientID      string
	DeploymentIDs []string
	AuthURL       string
	TokenURL      string
	JWKSURL       string
	// LTI 1.1. Secret empty on create makes a random one (returned once);
	// empty on update keeps the current one.
	ConsumerKey string
	Secret      string
	// FrameOrigins empty: for LTI 1.3 the origins of the issuer and the
	// authorization URL.
	FrameOrigins   []string
	CourseParentID string
}

// ToolConfig is what an LMS administrator pastes into the LMS.
type ToolConfig struct {
	LoginURL       string // OIDC login initiation URL
	LaunchURL      string // target link URI and redirect URI
	DeepLinkingURL string // content selection / deep-linking URL (also a redirect URI)
	RedirectURIs   []string
	JWKSURL        string // Lectern's public keys
	LTI11LaunchURL string
	CustomParams   string // hints for custom parameters
}

// ToolConfig returns Lectern's tool URLs.
func (s *Service) ToolConfig() ToolConfig {
	return ToolConfig{
		LoginURL: s.base + PathLogin, LaunchURL: s.base + PathLaunch, DeepLinkingURL: s.base + PathDeepLink,
		RedirectURIs: []string{s.base + PathLaunch, s.base + PathDeepLink}, JWKSURL: s.base + PathJWKS,
		LTI11LaunchURL: s.base + PathLaunch11,
		CustomParams:   CustomPublic + "=true  (only on course spaces whose videos anyone who can open the course may see)",
	}
}

// Platforms lists the registrations by name.
func (s *Service) Platforms(ctx context.Context) ([]lectern.LTIPlatform, error) {
	return s.db.ListLTIPlatforms(ctx)
}

// Platform returns one registration, or ENotFound.
func (s *Service) Platform(ctx context.Context, id string) (lectern.LTIPlatform, error) {
	return s.db.LTIPlatformByID(ctx, id)
}

// CreatePlatform registers an LMS; admins only (the caller checks). For
// LTI 1.1 without a secret it makes one and returns it: it is shown once.
func (s *Service) CreatePlatform(ctx context.Context, in PlatformInput, byUserID string) (lectern.LTIPlatform, string, error) {
	generated := ""
	if in.Version == lectern.LTI11 && in.Secret == "" {
		generated = randomToken(24)
		in.Secret = generated
	}
	p := lectern.LTIPlatform{ID: sqlstore.NewID(), Version: in.Version}
	if err := s.applyInput(ctx, &p, in, true); err != nil {
		return lectern.LTIPlatform{}, "", err
	}
	if err := s.db.InsertLTIPlatform(ctx, p, s.clock()); err != nil {
		return lectern.LTIPlatform{}, "", err
	}
	s.forgetFrameOrigins()
	if err := s.audit(ctx, byUserID, "lti.platform.add", "", p.ID, string(p.Version)+" "+p.Name); err != nil {
		return lectern.LTIPlatform{}, "", err
	}
	p, err := s.db.LTIPlatformByID(ctx, p.ID)
	return p, generated, err
}

// UpdatePlatform changes a registration; admins only (the caller checks).
// Its version cannot change.
func (s *Service) UpdatePlatform(ctx context.Context, id string, in PlatformInput, byUserID string) (lectern.LTIPlatform, error) {
	p, err := s.db.LTIPlatformByID(ctx, id)
	if err != nil {
		return lectern.LTIPlatform{}, err
	}
	in.Version = p.Version
	if err := s.applyInput(ctx, &p, in, false); err != nil {
		return lectern.LTIPlatform{}, err
	}
	if err := s.db.UpdateLTIPlatform(ctx, p, s.clock()); err != nil {
		return lectern.LTIPlatform{}, err
	}
	s.forgetFrameOrigins()
	if err := s.audit(ctx, byUserID, "lti.platform.change", "", p.ID, string(p.Version)+" "+p.Name); err != nil {
		return lectern.LTIPlatform{}, err
	}
	return s.db.LTIPlatformByID(ctx, id)
}

// DeletePlatform removes a registration with its courses and links; the
// groups that carried their access go too (course folders and sessions
// stay). Admins only (the caller checks).
func (s *Service) DeletePlatform(ctx context.Context, id, byUserID string) error {
	p, err := s.db.LTIPlatformByID(ctx, id)
	if err != nil {
		return err
	}
	links, err := s.db.ListLTILinks(ctx, sqlstore.LTILinkFilter{PlatformID: id, Limit: 1 << 30})
	if err != nil {
		return err
	}
	var groups []string
	for _, l := range links {
		groups = append(groups, l.GroupID)
	}
	courses, err := s.db.ListLTIContexts(ctx, id)
	if err != nil {
		return err
	}
	for _, c := range courses {
		groups = append(groups, c.MembersGroupID, c.InstructorsGroupID)
	}
	for _, g := range groups {
		if g == "" {
			continue
		}
		if err := s.access.SystemDeleteGroup(ctx, g, "LMS platform "+p.Name+" removed"); err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
			return err
		}
	}
	if err := s.db.DeleteLTIPlatform(ctx, id); err != nil {
		return err
	}
	s.forgetFrameOrigins()
	return s.audit(ctx, byUserID, "lti.platform.remove", "", id, string(p.Version)+" "+p.Name)
}

func (s *Service) applyInput(ctx context.Context, p *lectern.LTIPlatform, in PlatformInput, creating bool) error {
	p.Name = strings.TrimSpace(in.Name)
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 200 {
		return lectern.Errorf(lectern.EInvalid, "name: give the LMS a name of 1 to 200 characters")
	}
	switch in.Version {
	case lectern.LTI13:
		p.Issuer, p.ClientID = strings.TrimSpace(in.Issuer), strings.TrimSpace(in.ClientID)
		if err := checkURL("issuer", p.Issuer); err != nil {
			return err
		}
		if p.ClientID == "" {
			return lectern.Errorf(lectern.EInvalid, "client_id: required (the LMS shows it once the tool is registered there)")
		}
		p.DeploymentIDs = nil
		for _, d := range in.DeploymentIDs {
			if d = strings.TrimSpace(d); d != "" && !slices.Contains(p.DeploymentIDs, d) {
				p.DeploymentIDs = append(p.DeploymentIDs, d)
			}
		}
		if len(p.DeploymentIDs) == 0 {
			return lectern.Errorf(lectern.EInvalid, "deployment_ids: at least one deployment id is required")
		}
		p.AuthURL, p.TokenURL, p.JWKSURL = strings.TrimSpace(in.AuthURL), strings.TrimSpace(in.TokenURL), strings.TrimSpace(in.JWKSURL)
		for _, f := range []struct{ name, v string }{{"auth_url", p.AuthURL}, {"token_url", p.TokenURL}, {"jwks_url", p.JWKSURL}} {
			if err := checkURL(f.name, f.v); err != nil {
				return err
			}
		}
	case lectern.LTI11:
		p.ConsumerKey = strings.TrimSpace(in.ConsumerKey)
		if p.ConsumerKey == "" || len(p.ConsumerKey) > 200 {
			return lectern.Errorf(lectern.EInvalid, "consumer_key: required, at most 200 characters")
		}
		switch {
		case in.Secret != "" && len(in.Secret) < 16:
			return lectern.Errorf(lectern.EInvalid, "secret: at least 16 characters")
		case in.Secret != "":
			if err := s.checkSiteKey(ctx, true); err != nil {
				return err
			}
			p.SecretSealed = s.sealer.Seal(secretPurpose(p.ID), []byte(in.Secret))
		case creating:
			return lectern.Errorf(lectern.EInvalid, "secret: required")
		}
	default:
		return lectern.Errorf(lectern.EInvalid, "version: must be 1.3 or 1.1")
	}
	origins, err := frameOrigins(in.FrameOrigins, *p)
	if err != nil {
		return err
	}
	p.FrameOrigins = origins
	p.CourseParentID = strings.TrimSpace(in.CourseParentID)
	if p.CourseParentID != "" {
		f, err := s.db.FolderByID(ctx, p.CourseParentID)
		if err != nil || !f.RecycledAt.IsZero() {
			return lectern.Errorf(lectern.EInvalid, "course_parent_id: no such folder")
		}
	}
	return nil
}

func checkURL(field, v string) error {
	u, err := url.Parse(v)
	if v == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return lectern.Errorf(lectern.EInvalid, "%s: must be an http(s) URL, such as https://lms.example.ac.uk/...", field)
	}
	return nil
}

// frameOrigins checks the given origins, or derives them for LTI 1.3.
func frameOrigins(given []string, p lectern.LTIPlatform) ([]string, error) {
	var out []string
	add := func(o string) {
		if o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	for _, o := range given {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" ||
			strings.ContainsAny(o, " ;,'\"") {
			return nil, lectern.Errorf(lectern.EInvalid, "frame_origins: %q is not an origin such as https://lms.example.ac.uk", o)
		}
		add(strings.ToLower(u.Scheme + "://" + u.Host))
	}
	if len(out) == 0 && p.Version == lectern.LTI13 {
		for _, raw := range []string{p.Issuer, p.AuthURL} {
			if u, err := url.Parse(raw); err == nil && u.Host != "" {
				add(strings.ToLower(u.Scheme + "://" + u.Host))
			}
		}
	}
	return out, nil
}
