package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/testkit"
)

// TestScaleOutServeAndWorkerShareTheQueue runs the scale-out shape: a
// `serve` node without workers on PostgreSQL and S3, and a separate
// `worker` process. Mail queued by the web node is delivered by the worker
// to a real SMTP server on loopback.
func TestScaleOutServeAndWorkerShareTheQueue(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresSchema(t)
	blobURL := testkit.StartS3(t)
	mail := testkit.StartSMTP(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	env := []string{
		"LECTERN_DATABASE_URL=" + dbURL,
		"LECTERN_BLOB_URL=" + blobURL,
		"LECTERN_BASE_URL=" + base,
		"LECTERN_SMTP_HOST=" + mail.Host,
		"LECTERN_SMTP_PORT=" + strconv.Itoa(mail.Port),
		"LECTERN_SMTP_TLS=none",
		"LECTERN_SMTP_FROM=Lectern <lectern@example.ac.uk>",
	}

	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("a long enough password"), 0o600); err != nil {
		t.Fatal(err)
	}
	create := exec.Command(binary, "admin", "create-user", "--email", "lecturer@example.ac.uk", "--password-file", pw)
	create.Dir, create.Env = dir, append(cleanEnv(), env...)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("create-user: %v\n%s", err, out)
	}

	web := start(t, dir, env, "serve", "--listen", addr, "--workers=false")
	web.waitHealthy(t, base, 20*time.Second)
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz on PostgreSQL + S3 = %d %s", code, body)
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/password/forgot")
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token on the form:\n%s", page)
	}
	resp, err = client.PostForm(base+"/password/forgot", url.Values{"csrf_token": {m[1]}, "email": {"lecturer@example.ac.uk"}})
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, "If an account exists") {
		t.Fatalf("forgot password: %d\n%s", resp.StatusCode, body)
	}

	time.Sleep(1500 * time.Millisecond)
	if n := len(mail.Messages()); n != 0 {
		t.Fatalf("a serve node without workers sent %d messages itself", n)
	}
	start(t, dir, env, "worker")
	got := mail.WaitFor(t, 1, 30*time.Second)
	if len(got) != 1 || !strings.Contains(strings.Join(got[0].To, ","), "lecturer@example.ac.uk") {
		t.Fatalf("mail delivered by the worker: %+v", got)
	}
	if text := got[0].Text(t); !strings.Contains(text, base+"/password/reset?token=") {
		t.Fatalf("reset mail has no link to %s:\n%s", base, text)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return string(b)
}
