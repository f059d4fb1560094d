package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminLTI drives `lectern admin lti ...` against an embedded site.
func TestAdminLTI(t *testing.T) {
	data := t.TempDir()
	lectern := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		// The site flags go right after "admin lti CMD": flag parsing stops
		// at the first positional argument (grant-window's DURATION).
		site := []string{"--data", data, "--base-url", "https://lectures.example.ac.uk", "--log-level", "error"}
		args = append(append(append([]string{}, args[:3]...), site...), args[3:]...)
		if code := run(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("lectern %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		return out.String()
	}
	out := lectern("admin", "lti", "add-platform", "--name", "Moodle", "--issuer", "https://moodle.example.ac.uk",
		"--client-id", "abc123", "--deployment-id", "1", "--deployment-id", "2",
		"--auth-url", "https://moodle.example.ac.uk/mod/lti/auth.php", "--token-url", "https://moodle.example.ac.uk/mod/lti/token.php",
		"--jwks-url", "https://moodle.example.ac.uk/mod/lti/certs.php")
	if !strings.Contains(out, "registered Moodle (LTI 1.3)") {
		t.Fatalf("add-platform: %s", out)
	}
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("a-secret-of-enough-length\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = lectern("admin", "lti", "add-consumer", "--name", "Blackboard", "--consumer-key", "bb", "--secret-file", secretFile)
	if !strings.Contains(out, "registered Blackboard (LTI 1.1)") || strings.Contains(out, "a-secret") {
		t.Fatalf("add-consumer: %s", out)
	}
	out = lectern("admin", "lti", "add-consumer", "--name", "Sakai", "--consumer-key", "sakai")
	if !strings.Contains(out, "shared secret (shown only now): ") {
		t.Fatalf("add-consumer without a secret should make one: %s", out)
	}
	out = lectern("admin", "lti", "list")
	for _, want := range []string{"Moodle", "https://moodle.example.ac.uk", "abc123", "1,2", "Blackboard", "bb"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	var id string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Moodle") {
			id = strings.Fields(line)[0]
		}
	}
	lectern("admin", "lti", "update", "--id", id, "--deployment-id", "3")
	if out = lectern("admin", "lti", "list"); !strings.Contains(out, " 3") || strings.Contains(out, "1,2") {
		t.Errorf("update did not replace the deployments:\n%s", out)
	}
	out = lectern("admin", "lti", "tool-config")
	for _, want := range []string{"https://lectures.example.ac.uk/lti/login", "https://lectures.example.ac.uk/lti/launch",
		"https://lectures.example.ac.uk/lti/deep-link", "https://lectures.example.ac.uk/lti/jwks", "https://lectures.example.ac.uk/lti/1.1/launch"} {
		if !strings.Contains(out, want) {
			t.Errorf("tool-config lacks %s:\n%s", want, out)
		}
	}
	if out = lectern("admin", "lti", "grant-window", "2h"); !strings.Contains(out, "grant window: 2h0m0s") {
		t.Errorf("grant-window: %s", out)
	}
	if out = lectern("admin", "lti", "keys"); strings.Count(out, "signing") != 1 {
		t.Errorf("keys:\n%s", out)
	}
	lectern("admin", "lti", "rotate-key")
	if out = lectern("admin", "lti", "keys"); strings.Count(out, "signing") != 1 || strings.Count(out, "retired") != 1 {
		t.Errorf("keys after a rotation:\n%s", out)
	}
	lectern("admin", "lti", "remove", "--id", id)
	if out = lectern("admin", "lti", "list"); strings.Contains(out, "Moodle") {
		t.Errorf("remove left the platform:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(data, "site.key")); err != nil {
		t.Errorf("no site key was made in the data directory: %v", err)
	}
}
