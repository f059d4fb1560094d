package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/demo"
	"github.com/lectern-edu/lectern/testkit"
)

// TestDemoLectureInChromium runs `serve --demo` as `make run` does and
// waits for the sample lecture it generates to be processed. Then, in
// headless Chromium: the demo student watches it (the player, speed,
// skipping, progress reports, resuming after a reload); the lecturer
// uploads a recording through the upload page and reads the lecture's
// viewing statistics. Last, the site is restarted with 2-second playback
// tokens: an expired segment address is refused with 403 and a plain
// message, and the player carries on by asking for a new token.
func TestDemoLectureInChromium(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	testkit.RequireFFmpeg(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	began := time.Now()
	p := start(t, dir, nil, "serve", "--demo", "--listen", addr)
	p.waitHealthy(t, base, 30*time.Second)
	accounts := demoAccounts(t, p.stdout.String())
	student := cliToken(t, dir, accounts["student"].email)
	lecturer := cliToken(t, dir, accounts["lecturer"].email)

	lecture := waitForSample(t, base, student, 3*time.Minute)
	t.Logf("demo lecture %s ready and published %s after start", lecture.ID, time.Since(began).Round(100*time.Millisecond))

	step := time.Now()
	out := runNode(t, "watch.mjs", "BASE_URL="+base, "EMAIL="+accounts["student"].email,
		"PASSWORD="+accounts["student"].password, "SESSION_ID="+lecture.ID)
	t.Logf("student watched in Chromium (%s): %s", time.Since(step).Round(100*time.Millisecond), out)

	var stats struct {
		Views          int64   `json:"views"`
		UniqueViewers  int64   `json:"unique_viewers"`
		MinutesWatched float64 `json:"minutes_watched"`
		DropOff        []struct {
			Viewers int `json:"viewers"`
		} `json:"drop_off"`
	}
	apiGet(t, base+"/api/v1/sessions/"+lecture.ID+"/stats", lecturer, &stats)
	if stats.Views < 1 || stats.UniqueViewers != 1 || stats.MinutesWatched <= 0 || len(stats.DropOff) != 20 || stats.DropOff[0].Viewers != 1 {
		t.Errorf("the lecture's statistics after the student watched = %+v", stats)
	}

	step = time.Now()
	clip := testkit.MakeVideo(t, t.TempDir(), testkit.MediaSpec{Seconds: 2, Width: 320, Height: 180, Audio: true, FastStart: true})
	out = runNode(t, "upload.mjs", "BASE_URL="+base, "EMAIL="+accounts["lecturer"].email,
		"PASSWORD="+accounts["lecturer"].password, "FILE="+clip, "FOLDER="+lecture.FolderID,
		"DEMO_SESSION="+lecture.ID, "STUDENT_NAME="+accounts["student"].name)
	t.Logf("lecturer uploaded in Chromium (%s): %s", time.Since(step).Round(100*time.Millisecond), out)

	// Again, with playback tokens that last two seconds.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("demo site exited with %d", code)
	}
	addr = freeAddr(t)
	base = "http://" + addr
	p2 := start(t, dir, []string{"LECTERN_PLAYBACK_TOKEN_TTL=2s"}, "serve", "--listen", addr)
	p2.waitHealthy(t, base, 30*time.Second)

	var pb struct {
		HLSURL    string    `json:"hls_url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	apiGet(t, base+"/api/v1/sessions/"+lecture.ID+"/playback", student, &pb)
	if left := time.Until(pb.ExpiresAt); left > 2*time.Second+500*time.Millisecond {
		t.Fatalf("a token from a site set to 2 s is valid for %s", left)
	}
	segment := firstSegment(t, base, pb.HLSURL)
	time.Sleep(3 * time.Second)
	code, body := get(t, segment)
	if code != http.StatusForbidden || !strings.Contains(body, "not valid or has expired") {
		t.Fatalf("segment under an expired token: %d\n%s", code, body)
	}

	step = time.Now()
	out = runNode(t, "expired.mjs", "BASE_URL="+base, "EMAIL="+accounts["student"].email,
		"PASSWORD="+accounts["student"].password, "SESSION_ID="+lecture.ID)
	t.Logf("expired tokens in Chromium (%s): %s", time.Since(step).Round(100*time.Millisecond), out)
}

// requireBrowser skips (or, under CI=true, fails) without node and
// playwright-core.
func requireBrowser(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		skipOrFail(t, "node is not installed")
	}
	if _, err := os.Stat("browser/node_modules/playwright-core"); err != nil {
		skipOrFail(t, "playwright-core is not installed (make test-deps)")
	}
}

type demoAccount struct{ email, password, name string }

// demoAccounts reads the passwords `serve --demo` prints once.
func demoAccounts(t *testing.T, stdout string) map[string]demoAccount {
	t.Helper()
	out := map[string]demoAccount{}
	for _, a := range demo.Accounts {
		m := regexp.MustCompile(a.Role + `\s+(\S+@\S+)\s+(\S+)`).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("the %s's password is not printed:\n%s", a.Role, stdout)
		}
		out[a.Role] = demoAccount{email: m[1], password: m[2], name: a.Name}
	}
	if !strings.Contains(stdout, demo.SampleTitle) {
		t.Fatalf("no sample lecture announced:\n%s", stdout)
	}
	return out
}

// cliToken makes an API token with `lectern admin create-token`.
func cliToken(t *testing.T, dir, email string) string {
	t.Helper()
	cmd := exec.Command(binary, "admin", "create-token", "--email", email)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("create-token for %s: %v", email, err)
	}
	return strings.TrimSpace(string(out))
}

type apiSession struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	FolderID    string `json:"folder_id"`
	State       string `json:"state"`
	Publication string `json:"publication"`
}

// waitForSample polls the student's list of recordings until the demo
// lecture is ready and published.
func waitForSample(t *testing.T, base, token string, limit time.Duration) apiSession {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last []apiSession
	for time.Now().Before(deadline) {
		var page struct {
			Items []apiSession `json:"items"`
		}
		apiGet(t, base+"/api/v1/sessions", token, &page)
		last = page.Items
		for _, s := range page.Items {
			if s.Title == demo.SampleTitle && s.State == "ready" && s.Publication == "published" {
				return s
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("the demo lecture was not ready and visible to the student within %s; the student sees %+v", limit, last)
	return apiSession{}
}

func apiGet(t *testing.T, u, token string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", u, err, body)
	}
}

// firstSegment reads the master playlist and its first variant, while the
// token is fresh, and returns the URL of the variant's first segment.
func firstSegment(t *testing.T, base, master string) string {
	t.Helper()
	dirOf := func(u string) string { return u[:strings.LastIndex(u, "/")+1] }
	firstURI := func(u string) string {
		code, body := get(t, u)
		if code != http.StatusOK {
			t.Fatalf("GET %s under a fresh token: %d %s", u, code, body)
		}
		sc := bufio.NewScanner(strings.NewReader(body))
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				return dirOf(u) + line
			}
		}
		t.Fatalf("no URI in %s:\n%s", u, body)
		return ""
	}
	return firstURI(firstURI(base + master))
}

// runNode runs one of the browser scripts and returns its last line.
func runNode(t *testing.T, script string, env ...string) string {
	t.Helper()
	cmd := exec.Command("node", script)
	cmd.Dir = "browser"
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}
