package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/app"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

const ltiUsage = `lectern admin lti: the LMS platform registry (LTI 1.3 and 1.1).

  list                       registered platforms
  tool-config                the URLs to paste into an LMS
  add-platform --name N --issuer URL --client-id ID --deployment-id D [--deployment-id D2]
               --auth-url URL --token-url URL --jwks-url URL [--frame-origin URL] [--course-parent FOLDER]
  add-consumer --name N --consumer-key K [--secret-file F]   (LTI 1.1; without a file a secret is made and printed)
  update --id ID [any add-platform/add-consumer flag]         changes what is given
  remove --id ID             removes a platform with its courses and links (folders and videos stay)
  keys                       Lectern's published signing keys
  rotate-key                 a new key pair signs from now on
  grant-window [DURATION]    shows or sets how long an LMS link launch gives access (default 4h)
  courses [--platform ID]    courses known to Lectern
  sync --course ID           syncs a course's roster now (NRPS)
  links [--course ID]        links that show a video
  unbind --link ID           takes the video off a link and deletes its group
`

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func ltiAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, ltiUsage)
		return fmt.Errorf("%w: choose an lti command", errUsage)
	}
	cmd := args[0]
	fs := flags("admin lti "+cmd, stderr)
	var in platformFlags
	id := fs.String("id", "", "platform id")
	course := fs.String("course", "", "course id")
	platform := fs.String("platform", "", "platform id")
	link := fs.String("link", "", "link id")
	switch cmd {
	case "add-platform", "add-consumer", "update":
		in.register(fs)
	case "list", "tool-config", "remove", "keys", "rotate-key", "grant-window", "courses", "sync", "links", "unbind":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, ltiUsage)
		return nil
	default:
		fmt.Fprint(stderr, ltiUsage)
		return fmt.Errorf("%w: unknown lti command %q", errUsage, cmd)
	}
	cfg, err := loadConfig(fs, args[1:])
	if err != nil {
		return err
	}
	c, err := app.Open(ctx, cfg.Config, app.NewLogger(cfg.Config, stderr), false)
	if err != nil {
		return err
	}
	defer c.Close()
	s := c.LTI
	out := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	defer out.Flush()
	system := lectern.Principal{IsAdmin: true}

	switch cmd {
	case "list":
		ps, err := s.Platforms(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "ID\tLTI\tNAME\tISSUER / CONSUMER KEY\tCLIENT ID\tDEPLOYMENTS")
		for _, p := range ps {
			who := p.Issuer
			if p.Version == lectern.LTI11 {
				who = p.ConsumerKey
			}
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Version, p.Name, who, p.ClientID, strings.Join(p.DeploymentIDs, ","))
		}
	case "tool-config":
		t := s.ToolConfig()
		fmt.Fprintf(out, "Tool URL / target link URI\t%s\n", t.LaunchURL)
		fmt.Fprintf(out, "Initiate login URL\t%s\n", t.LoginURL)
		fmt.Fprintf(out, "Redirection URIs\t%s\n", strings.Join(t.RedirectURIs, " "))
		fmt.Fprintf(out, "Deep linking URL\t%s\n", t.DeepLinkingURL)
		fmt.Fprintf(out, "Public keyset URL\t%s\n", t.JWKSURL)
		fmt.Fprintf(out, "LTI 1.1 launch URL\t%s\n", t.LTI11LaunchURL)
		fmt.Fprintf(out, "Custom parameter (public courses)\t%s\n", t.CustomParams)
	case "add-platform", "add-consumer":
		pin, err := in.input(cmd == "add-consumer")
		if err != nil {
			return err
		}
		p, secret, err := s.CreatePlatform(ctx, pin, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "registered %s (LTI %s) with id %s\n", p.Name, p.Version, p.ID)
		if secret != "" {
			out.Flush()
			fmt.Fprintf(stdout, "consumer key: %s\nshared secret (shown only now): %s\n", p.ConsumerKey, secret)
		}
	case "update":
		if *id == "" {
			return fmt.Errorf("%w: --id is required", errUsage)
		}
		cur, err := s.Platform(ctx, *id)
		if err != nil {
			return err
		}
		pin, err := in.merge(cur)
		if err != nil {
			return err
		}
		if _, err := s.UpdatePlatform(ctx, *id, pin, ""); err != nil {
			return err
		}
		fmt.Fprintf(out, "updated %s\n", *id)
	case "remove":
		if *id == "" {
			return fmt.Errorf("%w: --id is required", errUsage)
		}
		if err := s.DeletePlatform(ctx, *id, ""); err != nil {
			return err
		}
		fmt.Fprintf(out, "removed %s\n", *id)
	case "keys":
		keys, err := s.Keys(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			state := "retired"
			if k.Current {
				state = "signing"
			}
			fmt.Fprintf(out, "%s\t%s\t%s\n", k.ID, k.CreatedAt, state)
		}
	case "rotate-key":
		kid, err := s.RotateKey(ctx, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "new signing key %s; the previous public key stays published for %s\n", kid, lti.KeyGrace)
	case "grant-window":
		if rest := fs.Args(); len(rest) > 0 {
			d, err := time.ParseDuration(rest[0])
			if err != nil {
				return fmt.Errorf("%w: %q is not a duration such as 4h or 90m", errUsage, rest[0])
			}
			if err := s.SetGrantWindow(ctx, d, ""); err != nil {
				return err
			}
		}
		d, err := s.GrantWindow(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "grant window: %s\n", d)
	case "courses":
		cs, err := s.Courses(ctx, *platform)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "ID\tCONTEXT\tTITLE\tFOLDER\tROSTER\tLAST SYNC")
		for _, c := range cs {
			roster := "no"
			if c.NRPSURL != "" {
				roster = "yes"
			}
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.ContextID, c.Title, c.FolderID, roster, c.LastSyncNote)
		}
	case "sync":
		if *course == "" {
			return fmt.Errorf("%w: --course is required", errUsage)
		}
		rep, err := s.SyncRoster(ctx, *course)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, rep.String())
	case "links":
		links, err := s.Links(ctx, sqlstore.LTILinkFilter{ContextRowID: *course, Limit: 10000})
		if err != nil {
			return err
		}
		for _, l := range links {
			fmt.Fprintln(out, lti.DescribeLink(l))
		}
	case "unbind":
		if *link == "" {
			return fmt.Errorf("%w: --link is required", errUsage)
		}
		if err := s.UnbindLink(ctx, system, *link, ""); err != nil {
			return err
		}
		fmt.Fprintf(out, "unbound %s; its group is deleted\n", *link)
	}
	return nil
}

// platformFlags are the registration flags.
type platformFlags struct {
	fs                                                 *flag.FlagSet
	name, issuer, clientID, authURL, tokenURL, jwksURL *string
	consumerKey, secretFile, courseParent              *string
	deployments, origins                               stringList
}

func (f *platformFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	f.name = fs.String("name", "", "a name for the LMS")
	f.issuer = fs.String("issuer", "", "LTI 1.3 issuer (platform id)")
	f.clientID = fs.String("client-id", "", "LTI 1.3 client id the LMS gave Lectern")
	fs.Var(&f.deployments, "deployment-id", "LTI 1.3 deployment id (repeatable)")
	f.authURL = fs.String("auth-url", "", "LTI 1.3 OIDC authentication request URL")
	f.tokenURL = fs.String("token-url", "", "LTI 1.3 access token URL")
	f.jwksURL = fs.String("jwks-url", "", "LTI 1.3 public keyset URL")
	f.consumerKey = fs.String("consumer-key", "", "LTI 1.1 consumer key")
	f.secretFile = fs.String("secret-file", "", "LTI 1.1 file holding the shared secret (- for standard input)")
	fs.Var(&f.origins, "frame-origin", "LMS origin allowed to frame Lectern (repeatable)")
	f.courseParent = fs.String("course-parent", "", "folder id under which course folders go")
}

func (f *platformFlags) secret() (string, error) {
	if *f.secretFile == "" {
		return "", nil
	}
	return readPassword(*f.secretFile)
}

func (f *platformFlags) input(lti11 bool) (lti.PlatformInput, error) {
	secret, err := f.secret()
	if err != nil {
		return lti.PlatformInput{}, err
	}
	v := lectern.LTI13
	if lti11 {
		v = lectern.LTI11
	}
	return lti.PlatformInput{Version: v, Name: *f.name, Issuer: *f.issuer, ClientID: *f.clientID, DeploymentIDs: f.deployments,
		AuthURL: *f.authURL, TokenURL: *f.tokenURL, JWKSURL: *f.jwksURL, ConsumerKey: *f.consumerKey, Secret: secret,
		FrameOrigins: f.origins, CourseParentID: *f.courseParent}, nil
}

// merge applies the flags given to an existing registration.
func (f *platformFlags) merge(p lectern.LTIPlatform) (lti.PlatformInput, error) {
	in := lti.PlatformInput{Version: p.Version, Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID, DeploymentIDs: p.DeploymentIDs,
		AuthURL: p.AuthURL, TokenURL: p.TokenURL, JWKSURL: p.JWKSURL, ConsumerKey: p.ConsumerKey, FrameOrigins: p.FrameOrigins,
		CourseParentID: p.CourseParentID}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	set := func(name string, dst *string, v string) {
		if given[name] {
			*dst = v
		}
	}
	set("name", &in.Name, *f.name)
	set("issuer", &in.Issuer, *f.issuer)
	set("client-id", &in.ClientID, *f.clientID)
	set("auth-url", &in.AuthURL, *f.authURL)
	set("token-url", &in.TokenURL, *f.tokenURL)
	set("jwks-url", &in.JWKSURL, *f.jwksURL)
	set("consumer-key", &in.ConsumerKey, *f.consumerKey)
	set("course-parent", &in.CourseParentID, *f.courseParent)
	if given["deployment-id"] {
		in.DeploymentIDs = f.deployments
	}
	if given["frame-origin"] {
		in.FrameOrigins = f.origins
	}
	secret, err := f.secret()
	in.Secret = secret
	return in, err
}
