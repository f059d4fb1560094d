// Package config builds Lectern's one Config from, in rising precedence:
// built-in defaults (a working one-machine site), a TOML file (--config),
// LECTERN_* environment variables, and command-line flags. It is parsed
// once in cmd/lectern and passed down; no other package reads the
// environment or files for settings.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is every setting the binary knows.
type Config struct {
	Listen          string        // address the HTTP server listens on
	Data            string        // directory for the embedded database and local blobs
	DatabaseURL     string        // empty: SQLite in Data; postgres://… selects PostgreSQL
	BlobURL         string        // empty: Data/blobs; s3://bucket?endpoint=… selects S3
	BaseURL         string        // public URL of the site, used in emails and LTI; default http://Listen
	Workers         bool          // serve also runs background workers in-process
	LogLevel        string        // debug, info, warn, error
	LogFormat       string        // text or json
	ShutdownTimeout time.Duration // how long SIGTERM waits for in-flight requests and jobs
	SMTP            SMTP
	// SiteKeyFile holds the key that encrypts secrets at rest (LTI keys and
	// consumer secrets); empty: Data/site.key, made on first start. Every
	// node of a cluster must use the same key.
	SiteKeyFile string
	// PlaybackTokenTTL fixes how long a playback token is valid; 0 keeps
	// the playback package's rule (the recording's length plus an hour,
	// between one and twelve hours).
	PlaybackTokenTTL time.Duration
}

// SMTP is the outgoing mail server. With no Host, mail is kept in the
// outbox for admins to read.
type SMTP struct {
	Host     string
	Port     int // 0: the usual port for TLS (587 starttls, 465 tls, 25 none)
	Username string
	Password string
	From     string
	TLS      string // starttls, tls or none
}

// Default returns the zero-configuration settings: SQLite and blobs under
// ./lectern-data, listening on loopback.
func Default() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		Data:            "./lectern-data",
		Workers:         true,
		LogLevel:        "info",
		LogFormat:       "text",
		ShutdownTimeout: 30 * time.Second,
		SMTP:            SMTP{TLS: "starttls", From: "Lectern <lectern@localhost>"},
	}
}

// EffectiveBaseURL is BaseURL, or one derived from Listen.
func (c Config) EffectiveBaseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "http://" + c.Listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Embedded reports whether this is the zero-configuration single-machine
// setup (SQLite and local blobs).
func (c Config) Embedded() bool {
	return (c.DatabaseURL == "" || strings.HasPrefix(c.DatabaseURL, "sqlite:")) &&
		(c.BlobURL == "" || strings.HasPrefix(c.BlobURL, "file:"))
}

// validate checks each setting; src names where a setting came from so
// the message points at the right line, variable or flag.
func (c Config) validate(src func(key string) string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", src(key), fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not a host:port address (for example 127.0.0.1:8080)", c.Listen)
	}
	if strings.TrimSpace(c.Data) == "" {
		bad("data", "must name a directory")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "sqlite:") &&
		!strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("database_url", "must start with postgres://, postgresql:// or sqlite: (or be empty for the embedded database)")
	}
	if c.BlobURL != "" && !strings.HasPrefix(c.BlobURL, "s3://") && !strings.HasPrefix(c.BlobURL, "file://") {
		bad("blob_url", "must start with s3:// or file:// (or be empty for local storage under data)")
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("base_url", "%q is not an http(s) URL such as https://lectures.example.ac.uk", c.BaseURL)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log_format", "%q is not one of text, json", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be a positive duration such as 30s")
	}
	if c.PlaybackTokenTTL < 0 {
		bad("playback_token_ttl", "must be a positive duration such as 2h (or 0 for the default)")
	}
	if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		bad("smtp.port", "%d is not a TCP port", c.SMTP.Port)
	}
	switch c.SMTP.TLS {
	case "starttls", "tls", "none":
	default:
		bad("smtp.tls", "%q is not one of starttls, tls, none", c.SMTP.TLS)
	}
	if c.SMTP.Host != "" && c.SMTP.From == "" {
		bad("smtp.from", "must be set when smtp.host is set")
	}
	return errors.Join(errs...)
}

// Redacted returns a copy safe to log or show on the admin page.
func (c Config) Redacted() Config {
	r := c
	if r.SMTP.Password != "" {
		r.SMTP.Password = "xxxxx"
	}
	r.DatabaseURL = redactURL(r.DatabaseURL)
	r.BlobURL = redactURL(r.BlobURL)
	return r
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return raw
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	for _, k := range []string{"password", "secret_key"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// readSecretFile reads a one-line secret, for *_file settings.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
