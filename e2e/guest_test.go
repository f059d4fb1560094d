package e2e

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/internal/demo"
	"github.com/lectern-edu/lectern/testkit"
)

const guestEmail = "guest@external.example"

// TestGuestInvitationInChromium runs `serve --demo` (no mail server, so
// mail waits in the outbox), has the demo lecturer invite an outside
// address to the sample lecture through the API, and reads the
// invitation link from the admins' outbox. Then, in headless Chromium,
// the guest opens the link, chooses a password, lands on the recording
// and plays it; every other page they try shows nothing else (not the
// course folder, not another lecture in it, not the admin or upload
// pages); they sign out and back in with the new password.
func TestGuestInvitationInChromium(t *testing.T) {
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
	lecturer := cliToken(t, dir, accounts["lecturer"].email)

	lecture := waitForSample(t, base, cliToken(t, dir, accounts["student"].email), 3*time.Minute)
	t.Logf("demo lecture %s ready %s after start", lecture.ID, time.Since(began).Round(100*time.Millisecond))

	// Another lecture in the same course folder, which the guest must not see.
	const otherTitle = "Unshared lecture for staff only"
	var other apiSession
	apiPost(t, base+"/api/v1/sessions", lecturer, map[string]any{"title": otherTitle, "folder_id": lecture.FolderID}, http.StatusCreated, &other)

	var inv struct {
		ID, Email, Status string
		Role              string `json:"role"`
		ResourceID        string `json:"resource_id"`
	}
	apiPost(t, base+"/api/v1/sessions/"+lecture.ID+"/invitations", lecturer,
		map[string]any{"email": guestEmail, "role": "viewer"}, http.StatusCreated, &inv)
	if inv.Email != guestEmail || inv.ResourceID != lecture.ID || inv.Role != "viewer" {
		t.Fatalf("invitation = %+v", inv)
	}

	invite := invitationPath(t, base, accounts["admin"])
	t.Logf("invitation link found in the outbox: %s…", invite[:len("/invitations/")+4])

	step := time.Now()
	out := runNode(t, "guest.mjs", "BASE_URL="+base, "INVITE_URL="+base+invite, "GUEST_EMAIL="+guestEmail,
		"SESSION_ID="+lecture.ID, "SESSION_TITLE="+demo.SampleTitle, "FOLDER_ID="+lecture.FolderID,
		"COURSE_NAME="+demo.CourseName, "OTHER_SESSION_ID="+other.ID, "OTHER_TITLE="+otherTitle)
	t.Logf("guest in Chromium (%s): %s", time.Since(step).Round(100*time.Millisecond), out)

	// The link worked once: a second use is refused plainly.
	code, body := get(t, base+invite)
	if code != http.StatusGone || !strings.Contains(body, "cannot be used") {
		t.Errorf("the used invitation link answered %d:\n%s", code, body)
	}
}

// invitationPath signs in as the demo admin and reads the invitation
// link, /invitations/{token}, from the mail to guestEmail in the outbox.
func invitationPath(t *testing.T, base string, admin demoAccount) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	page := func(u string) string {
		t.Helper()
		resp, err := c.Get(base + u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s as the admin: %d\n%s", u, resp.StatusCode, b)
		}
		return string(b)
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page("/login"))
	if m == nil {
		t.Fatal("no csrf_token on the sign-in page")
	}
	resp, err := c.PostForm(base+"/login", url.Values{"csrf_token": {m[1]}, "email": {admin.email}, "password": {admin.password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/login" {
		t.Fatalf("admin sign-in ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}

	row := regexp.MustCompile(`<td>` + regexp.QuoteMeta(guestEmail) + `</td>\s*<td><a href="(/admin/outbox/[^"]+)"`)
	deadline := time.Now().Add(30 * time.Second)
	var outbox string
	for {
		outbox = page("/admin/outbox")
		if m := row.FindStringSubmatch(outbox); m != nil {
			mail := html.UnescapeString(page(m[1]))
			link := regexp.MustCompile(`https?://[^\s"<]*(/invitations/[A-Za-z0-9_\-.~%]+)`).FindStringSubmatch(mail)
			if link == nil {
				t.Fatalf("no invitation link in the mail to %s:\n%s", guestEmail, mail)
			}
			return link[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s in the outbox:\n%s", guestEmail, outbox)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func apiPost(t *testing.T, u, token string, in any, want int, v any) {
	t.Helper()
	b, _ := json.Marshal(in)
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s", u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("POST %s: %v in %s", u, err, body)
	}
}
