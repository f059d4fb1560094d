package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// setting is one configurable value: its file key (dotted for tables), and
// a pointer into Config. The environment variable and flag names are
// derived from the key, so the three spellings never drift apart.
type setting struct {
	key  string
	help string
	ptr  any // *string, *int, *bool or *time.Duration
	// secret settings have no flag (a command line is visible in ps);
	// use the environment, the file, or the matching *_file setting.
	secret bool
}

func (s setting) env() string {
	return "LECTERN_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(s.key))
}

func (s setting) flag() string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(s.key)
}

func table(c *Config) []setting {
	return []setting{
		{key: "listen", help: "address to listen on", ptr: &c.Listen},
		{key: "data", help: "directory for the embedded database and local blobs", ptr: &c.Data},
		{key: "database_url", help: "postgres://user@host/db for PostgreSQL; empty for embedded SQLite", ptr: &c.DatabaseURL},
		{key: "blob_url", help: "s3://bucket?endpoint=… for S3-compatible storage; empty for local disk", ptr: &c.BlobURL},
		{key: "base_url", help: "public URL of the site (default: http://LISTEN)", ptr: &c.BaseURL},
		{key: "workers", help: "run background workers inside serve", ptr: &c.Workers},
		{key: "log_level", help: "debug, info, warn or error", ptr: &c.LogLevel},
		{key: "log_format", help: "text or json", ptr: &c.LogFormat},
		{key: "shutdown_timeout", help: "how long shutdown waits for requests and jobs", ptr: &c.ShutdownTimeout},
		{key: "smtp.host", help: "SMTP server; empty keeps mail in the outbox for admins", ptr: &c.SMTP.Host},
		{key: "smtp.port", help: "SMTP port", ptr: &c.SMTP.Port},
		{key: "smtp.username", help: "SMTP user name", ptr: &c.SMTP.Username},
		{key: "smtp.password", help: "SMTP password", ptr: &c.SMTP.Password, secret: true},
		{key: "smtp.from", help: "sender address of Lectern's mail", ptr: &c.SMTP.From},
		{key: "smtp.tls", help: "starttls, tls or none", ptr: &c.SMTP.TLS},
		{key: "playback_token_ttl", help: "how long a playback token is valid; 0: the recording's length plus an hour, 1h to 12h", ptr: &c.PlaybackTokenTTL},
		{key: "site_key_file", help: "file with the key that encrypts secrets at rest (default DATA/site.key, made on first start)", ptr: &c.SiteKeyFile},
	}
}

// Loaded is the result of Load: the configuration and the arguments left
// after the flags.
type Loaded struct {
	Config
	Args []string
}

// Load registers the settings' flags on fs, parses args and builds the
// Config from defaults, the --config file, the environment and the flags.
// getenv is os.LookupEnv outside tests.
func Load(fs *flag.FlagSet, args []string, getenv func(string) (string, bool)) (Loaded, error) {
	cfg := Default()
	settings := table(&cfg)
	configPath := fs.String("config", "", "path to a TOML configuration file")
	smtpPasswordFile := fs.String("smtp-password-file", "", "file holding the SMTP password")
	flagText := map[string]*string{}
	for _, s := range settings {
		if s.secret {
			continue
		}
		v := new(string)
		flagText[s.flag()] = v
		fs.StringVar(v, s.flag(), "", fmt.Sprintf("%s (env %s, default %s)", s.help, s.env(), show(s.ptr)))
	}
	if err := fs.Parse(args); err != nil {
		return Loaded{}, err
	}

	source := map[string]string{}
	src := func(key string) string {
		if s, ok := source[key]; ok {
			return s
		}
		return "setting " + key
	}

	path := *configPath
	if path == "" {
		path, _ = getenv("LECTERN_CONFIG")
	}
	if path != "" {
		if err := loadFile(path, settings, source); err != nil {
			return Loaded{}, err
		}
	}

	var errs []error
	for _, s := range settings {
		if v, ok := getenv(s.env()); ok {
			source[s.key] = "environment variable " + s.env()
			if err := setValue(s.ptr, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", source[s.key], err))
			}
		}
	}
	if v, ok := getenv("LECTERN_SMTP_PASSWORD_FILE"); ok && v != "" {
		if err := setSecretFromFile(&cfg.SMTP.Password, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable LECTERN_SMTP_PASSWORD_FILE: %w", err))
		}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range settings {
		if s.secret || !given[s.flag()] {
			continue
		}
		source[s.key] = "flag --" + s.flag()
		if err := setValue(s.ptr, *flagText[s.flag()]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", source[s.key], err))
		}
	}
	if *smtpPasswordFile != "" {
		if err := setSecretFromFile(&cfg.SMTP.Password, *smtpPasswordFile); err != nil {
			errs = append(errs, fmt.Errorf("flag --smtp-password-file: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Loaded{}, err
	}
	if err := cfg.validate(src); err != nil {
		return Loaded{}, err
	}
	return Loaded{Config: cfg, Args: fs.Args()}, nil
}

func setSecretFromFile(dst *string, path string) error {
	v, err := readSecretFile(path)
	if err != nil {
		return fmt.Errorf("read secret: %w", err)
	}
	*dst = v
	return nil
}

// setValue parses text into the setting's type.
func setValue(ptr any, v string) error {
	switch p := ptr.(type) {
	case *string:
		*p = v
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 5m", v)
		}
		*p = d
	default:
		return fmt.Errorf("unsupported setting type %T", ptr)
	}
	return nil
}

func show(ptr any) string {
	switch p := ptr.(type) {
	case *string:
		if *p == "" {
			return `""`
		}
		return *p
	case *int:
		return strconv.Itoa(*p)
	case *bool:
		return strconv.FormatBool(*p)
	case *time.Duration:
		return p.String()
	}
	return ""
}

// loadFile reads a TOML file. Every error names the file, the line and the
// key, so an operator can go straight to the mistake.
func loadFile(path string, settings []setting, source map[string]string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	var raw map[string]any
	md, err := toml.Decode(string(text), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			key := pe.LastKey
			if key == "" {
				return fmt.Errorf("config file %s line %d: %s", path, pe.Position.Line, pe.Message)
			}
			return fmt.Errorf("config file %s line %d, key %q: %s", path, pe.Position.Line, key, pe.Message)
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]setting{}
	for _, s := range settings {
		known[s.key] = s
	}
	known["smtp.password_file"] = setting{key: "smtp.password_file"}
	var errs []error
	var keys []string
	for _, k := range md.Keys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	for _, key := range keys {
		if md.Type(strings.Split(key, ".")...) == "Hash" {
			if key != "smtp" {
				errs = append(errs, fmt.Errorf("config file %s line %d: unknown section [%s]", path, lineOf(string(text), key), key))
			}
			continue
		}
		s, ok := known[key]
		if !ok {
			errs = append(errs, fmt.Errorf("config file %s line %d: unknown key %q (known keys: %s)", path, lineOf(string(text), key), key, knownKeys(settings)))
			continue
		}
		where := fmt.Sprintf("config file %s line %d, key %q", path, lineOf(string(text), key), key)
		v := lookup(raw, key)
		if key == "smtp.password_file" {
			p, ok := v.(string)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: must be a string", where))
				continue
			}
			pw := settings[indexOf(settings, "smtp.password")]
			if err := setSecretFromFile(pw.ptr.(*string), p); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
			continue
		}
		source[key] = where
		if err := setFromTOML(s.ptr, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	return errors.Join(errs...)
}

func indexOf(settings []setting, key string) int {
	for i, s := range settings {
		if s.key == key {
			return i
		}
	}
	panic("config: no setting " + key)
}

func knownKeys(settings []setting) string {
	var ks []string
	for _, s := range settings {
		ks = append(ks, s.key)
	}
	return strings.Join(ks, ", ")
}

func lookup(raw map[string]any, key string) any {
	parts := strings.Split(key, ".")
	var cur any = raw
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func setFromTOML(ptr any, v any) error {
	switch p := ptr.(type) {
	case *string:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a quoted string, not %s", tomlKind(v))
		}
		*p = s
	case *int:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("must be a whole number, not %s", tomlKind(v))
		}
		*p = int(n)
	case *bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("must be true or false, not %s", tomlKind(v))
		}
		*p = b
	case *time.Duration:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf(`must be a quoted duration such as "30s", not %s`, tomlKind(v))
		}
		return setValue(p, s)
	}
	return nil
}

func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "a number"
	case float64:
		return "a decimal number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// lineOf finds the line that defines a dotted key, following [table]
// headers. It returns 0 when it cannot tell.
func lineOf(text, key string) int {
	table, name := "", key
	if i := strings.LastIndex(key, "."); i >= 0 {
		table, name = key[:i], key[i+1:]
	}
	current := ""
	for i, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			current = strings.TrimSpace(strings.Trim(l, "[]"))
			if current == key {
				return i + 1
			}
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		if (current == table && k == name) || (current == "" && k == key) {
			return i + 1
		}
	}
	return 0
}
