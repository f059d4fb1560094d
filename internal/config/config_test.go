package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Loaded, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lectern.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsMakeAWorkingEmbeddedSite(t *testing.T) {
	t.Parallel()
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Data != "./lectern-data" || !c.Embedded() || !c.Workers {
		t.Fatalf("unexpected defaults: %+v", c.Config)
	}
	if got := c.EffectiveBaseURL(); got != "http://127.0.0.1:8080" {
		t.Fatalf("base URL %q", got)
	}
}

func TestPrecedenceFileThenEnvThenFlag(t *testing.T) {
	t.Parallel()
	path := writeFile(t, `
listen = "127.0.0.1:9001"
data = "/srv/file"
shutdown_timeout = "5s"
[smtp]
host = "mail.example.ac.uk"
port = 2525
`)
	c, err := load(t, []string{"--config", path, "--listen", "127.0.0.1:9003", "serve-arg"},
		map[string]string{"LECTERN_LISTEN": "127.0.0.1:9002", "LECTERN_DATA": "/srv/env", "LECTERN_SMTP_PORT": "25"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9003" {
		t.Errorf("flag should win: %s", c.Listen)
	}
	if c.Data != "/srv/env" {
		t.Errorf("env should beat file: %s", c.Data)
	}
	if c.SMTP.Host != "mail.example.ac.uk" || c.SMTP.Port != 25 {
		t.Errorf("smtp: %+v", c.SMTP)
	}
	if c.ShutdownTimeout != 5*time.Second {
		t.Errorf("timeout %s", c.ShutdownTimeout)
	}
	if len(c.Args) != 1 || c.Args[0] != "serve-arg" {
		t.Errorf("args %v", c.Args)
	}
}

func TestConfigFileErrorsNameLineAndKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		text string
		want []string
	}{
		{"syntax error", "listen = \"127.0.0.1:8080\"\ndata = \n", []string{"line 2", "data"}},
		{"wrong type", "listen = \"127.0.0.1:8080\"\n\n[smtp]\nport = \"twenty-five\"\n", []string{"line 4", `"smtp.port"`, "whole number"}},
		{"unknown key", "listen = \"127.0.0.1:8080\"\nlisten_port = 80\n", []string{"line 2", `"listen_port"`, "unknown key"}},
		{"invalid value", "\n\nlog_level = \"loud\"\n", []string{"line 3", `"log_level"`, "loud"}},
		{"bad duration", "shutdown_timeout = \"soon\"\n", []string{"line 1", "shutdown_timeout", "duration"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, []string{"--config", writeFile(t, tc.text)}, nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEnvAndFlagErrorsNameTheirSource(t *testing.T) {
	t.Parallel()
	_, err := load(t, nil, map[string]string{"LECTERN_WORKERS": "perhaps"})
	if err == nil || !strings.Contains(err.Error(), "LECTERN_WORKERS") {
		t.Fatalf("env error: %v", err)
	}
	_, err = load(t, []string{"--database-url", "mysql://x"}, nil)
	if err == nil || !strings.Contains(err.Error(), "--database-url") {
		t.Fatalf("flag error: %v", err)
	}
}

func TestSecretsAreRedactedAndNeverFlags(t *testing.T) {
	t.Parallel()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("hunter2hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, []string{"--smtp-password-file", pw, "--database-url", "postgres://u:dbsecret@db/lectern"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Password != "hunter2hunter2" {
		t.Fatalf("password %q", c.SMTP.Password)
	}
	r := c.Redacted()
	if strings.Contains(r.DatabaseURL, "dbsecret") || r.SMTP.Password == "hunter2hunter2" {
		t.Fatalf("not redacted: %+v", r)
	}
	if _, err := load(t, []string{"--smtp-password", "x"}, nil); err == nil {
		t.Fatal("a password flag must not exist")
	}
}
