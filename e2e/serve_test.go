// Package e2e builds the lectern binary and drives it as an operator and a
// browser would: over real HTTP, signals and Chromium.
package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/testkit"
)

// TestServeInEmptyDirectoryIsHealthyQuickly starts `lectern serve` with no
// configuration in an empty directory.
func TestServeInEmptyDirectoryIsHealthyQuickly(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	p := start(t, dir, []string{"LECTERN_LISTEN=" + addr}, "serve")
	took := p.waitHealthy(t, "http://"+addr, 10*time.Second)
	t.Logf("cold start to /healthz 200: %s", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("/healthz answered %s after start; the target is 2 s", took)
	}
	if _, err := os.Stat(filepath.Join(dir, "lectern-data", "lectern.db")); err != nil {
		t.Errorf("embedded database not created under ./lectern-data: %v", err)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d on a healthy embedded site", resp.StatusCode)
	}
}

func TestReadyzNamesTheDatabaseWhenItGoesAway(t *testing.T) {
	schemaURL := testkit.PostgresSchema(t)
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.StartTCPProxy(t, u.Host)
	u.Host = proxy.Addr
	addr := freeAddr(t)
	p := start(t, t.TempDir(), []string{"LECTERN_DATABASE_URL=" + u.String()}, "serve", "--listen", addr)
	p.waitHealthy(t, "http://"+addr, 20*time.Second)
	if code, _ := get(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d before the outage", code)
	}
	proxy.Cut()
	code, body := get(t, "http://"+addr+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(strings.ToLower(body), "database") {
		t.Fatalf("/readyz during outage = %d %q; want 503 naming the database", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz must stay up while the database is down, got %d", code)
	}
}

func TestUnreachablePostgresIsNamedWithoutItsPassword(t *testing.T) {
	t.Parallel()
	p := start(t, t.TempDir(), nil, "serve", "--listen", freeAddr(t),
		"--database-url", "postgres://lectern:TopSecret99@127.0.0.1:1/lectern?connect_timeout=3")
	if code := p.wait(t, 30*time.Second); code == 0 {
		t.Fatal("serve should fail when PostgreSQL is unreachable")
	}
	out := p.stderr.String()
	if strings.Contains(out, "TopSecret99") {
		t.Fatalf("password leaked:\n%s", out)
	}
	if !strings.Contains(out, "127.0.0.1:1") {
		t.Fatalf("message does not name the database address:\n%s", out)
	}
}

func TestMalformedConfigFileNamesLineAndKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lectern.toml")
	if err := os.WriteFile(cfg, []byte("listen = \"127.0.0.1:0\"\n\n[smtp]\nport = \"twenty-five\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, nil, "serve", "--config", cfg)
	if code := p.wait(t, 10*time.Second); code == 0 {
		t.Fatal("serve should refuse a malformed config")
	}
	out := p.stderr.String()
	for _, want := range []string{"line 4", "smtp.port"} {
		if !strings.Contains(out, want) {
			t.Errorf("error does not mention %q:\n%s", want, out)
		}
	}
}

// TestSIGTERMFinishesInFlightRequests sends SIGTERM while a request is
// half-sent; the server must finish it before exiting cleanly.
func TestSIGTERMFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := start(t, t.TempDir(), nil, "serve", "--listen", addr)
	p.waitHealthy(t, "http://"+addr, 10*time.Second)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "email=nobody%40example.org&password=wrong-password"
	head := "POST /login HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, head+body[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the server is now reading the body
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatalf("server closed the in-flight request: %v", err)
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 ") {
		t.Fatalf("in-flight request got no response: %q %v", status, err)
	}
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, p.stderr)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still listening after shutdown")
	}
}

func TestAdminCLICreatesUserAndToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(binary, args...)
		cmd.Dir = dir
		cmd.Env = cleanEnv()
		var out, errb syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	if out, errs, code := run("admin", "create-user", "--email", "Head.Of.IT@Example.ac.uk", "--password-file", pw, "--admin", "--name", "Head of IT"); code != 0 {
		t.Fatalf("create-user: %d %s %s", code, out, errs)
	}
	if _, errs, code := run("admin", "create-user", "--email", "head.of.it@example.ac.uk", "--password-file", pw); code == 0 || !strings.Contains(strings.ToLower(errs), "already") {
		t.Fatalf("duplicate user should be refused plainly: %d %s", code, errs)
	}
	out, errs, code := run("admin", "create-token", "--email", "head.of.it@example.ac.uk")
	if code != 0 {
		t.Fatalf("create-token: %d %s", code, errs)
	}
	token := strings.TrimSpace(out)
	if _, errs, code := run("admin", "create-token", "--email", "ghost@example.ac.uk"); code == 0 || !strings.Contains(errs, "ghost@example.ac.uk") {
		t.Fatalf("token for unknown user: %d %s", code, errs)
	}

	addr := freeAddr(t)
	p := start(t, dir, nil, "serve", "--listen", addr)
	p.waitHealthy(t, "http://"+addr, 10*time.Second)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		ID, Email, Name string
		IsAdmin         bool `json:"is_admin"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/api/v1/me: %d %v", resp.StatusCode, err)
	}
	if me.Email != "head.of.it@example.ac.uk" || !me.IsAdmin || me.ID == "" || me.Name != "Head of IT" {
		t.Fatalf("/api/v1/me = %+v", me)
	}
}

// TestDemoLecturerSignsInWithChromium runs `serve --demo` as `make run`
// does, reads the printed passwords, and signs in with a real browser.
func TestDemoLecturerSignsInWithChromium(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		skipOrFail(t, "node is not installed")
	}
	if _, err := os.Stat("browser/node_modules/playwright-core"); err != nil {
		skipOrFail(t, "playwright-core is not installed (make test-deps)")
	}
	addr := freeAddr(t)
	p := start(t, t.TempDir(), nil, "serve", "--demo", "--listen", addr)
	p.waitHealthy(t, "http://"+addr, 15*time.Second)
	m := regexp.MustCompile(`lecturer\s+(\S+@\S+)\s+(\S+)`).FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("demo passwords not printed:\n%s", p.stdout)
	}
	cmd := exec.Command("node", "login.mjs")
	cmd.Dir = "browser"
	cmd.Env = append(os.Environ(), "BASE_URL=http://"+addr, "EMAIL="+m[1], "PASSWORD="+m[2])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser login failed: %v\n%s", err, out)
	}
	t.Logf("browser: %s", strings.TrimSpace(string(out)))

	// A second start does not seed again or print passwords again.
	if strings.Count(p.stdout.String(), "shown only once") != 1 {
		t.Fatalf("passwords printed more than once:\n%s", p.stdout)
	}
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if testkit.InCI() {
		t.Fatalf("%s; CI=true requires the browser test to run", why)
	}
	t.Skip(why)
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
