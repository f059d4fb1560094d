package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/testkit"
)

// TestLTIBrowserLaunchPlaysTheDemoLecture runs `serve --demo` with the
// emulated LMS registered. An LMS teacher puts the demo lecture in their
// course by deep linking (over HTTP); then, in headless Chromium, the LMS
// launches the demo student into that resource link: the OIDC login, the
// LMS's auto-posted id_token and Lectern's redirect run as a browser runs
// them, and the video plays. The launch-to-playing time is logged.
func TestLTIBrowserLaunchPlaysTheDemoLecture(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	testkit.RequireFFmpeg(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	env := []string{"LECTERN_LISTEN=" + addr, "LECTERN_BASE_URL=" + base}
	lms := testkit.NewLTIPlatform(t, nil)
	lms.SetTool(base+"/lti/login", base+"/lti/jwks", base+"/lti/launch", base+"/lti/deep-link")

	add := exec.Command(binary, "admin", "lti", "add-platform", "--name", "Emulated LMS", "--issuer", lms.Issuer(),
		"--client-id", lms.ClientID, "--deployment-id", lms.DeploymentID, "--auth-url", lms.AuthURL(),
		"--token-url", lms.TokenURL(), "--jwks-url", lms.JWKSURL())
	add.Dir, add.Env = dir, append(cleanEnv(), env...)
	if out, err := add.CombinedOutput(); err != nil || !strings.Contains(string(out), "registered Emulated LMS") {
		t.Fatalf("add-platform: %v\n%s", err, out)
	}

	p := start(t, dir, env, "serve", "--demo")
	p.waitHealthy(t, base, 30*time.Second)
	accounts := demoAccounts(t, p.stdout.String())
	student := cliToken(t, dir, accounts["student"].email)
	lecturer := cliToken(t, dir, accounts["lecturer"].email)
	lecture := waitForSample(t, base, student, 3*time.Minute)

	// The LMS teacher's first launch makes their account and course.
	const course, teacherEmail = "course-demo", "lms.teacher@lms.example"
	teacher := testkit.LTIMessage{Subject: "lms-teacher-1", Name: "LMS Teacher", Email: teacherEmail,
		Roles: []string{testkit.RoleInstructor}, ContextID: course, ContextTitle: "Demo course", ResourceLink: "nav-1"}
	r := testkit.NewBrowser(t).Launch(lms.LoginURL(teacher))
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/lti/courses/") {
		t.Fatalf("instructor launch: %d %s\n%s", r.Status, r.Location, r.Body)
	}
	// The demo lecturer makes them a creator in the demo course folder, so
	// the demo lecture is theirs to share.
	ltiGrant(t, base+"/api/v1/folders/"+lecture.FolderID+"/grants", lecturer,
		map[string]string{"user_email": teacherEmail, "role": "creator"})

	// Deep linking: the teacher picks the demo lecture for the course.
	dl := teacher
	dl.MessageType, dl.ResourceLink, dl.TargetLinkURI = "LtiDeepLinkingRequest", "", base+"/lti/deep-link"
	dl.DeepLinkData = "add-to-week-1"
	b := testkit.NewBrowser(t)
	r = b.Launch(lms.LoginURL(dl))
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/lti/pick/") {
		t.Fatalf("deep-linking launch: %d %s\n%s", r.Status, r.Location, r.Body)
	}
	ret := b.Post(r.Location, base, url.Values{"session": {lecture.ID}})
	ap, ok := testkit.FindForm(ret, true)
	if ret.Status != http.StatusOK || !ok || ap.Action != lms.DeepLinkReturnURL() {
		t.Fatalf("picking the demo lecture: %d, no auto-posting form to the LMS:\n%s", ret.Status, ret.Body)
	}
	if got := b.Submit(ap); got.Status != http.StatusOK {
		t.Fatalf("the LMS refused the deep-linking response: %d %s", got.Status, got.Body)
	}
	links := lms.DeepLinks()
	if len(links) != 1 || links[0].Err != "" || len(links[0].Items) != 1 || links[0].Items[0].Custom["lectern_item"] == "" {
		t.Fatalf("deep-linking responses at the LMS: %+v", links)
	}
	item := links[0].Items[0]

	// Chromium: the LMS launches the demo student into the resource link.
	learner := testkit.LTIMessage{Subject: "lms-student-1", Name: accounts["student"].name, Email: accounts["student"].email,
		Roles: []string{testkit.RoleLearner}, ContextID: course, ContextTitle: "Demo course",
		ResourceLink: "module-1", LinkTitle: item.Title, Custom: item.Custom}
	step := time.Now()
	out := runNode(t, "lti_launch.mjs", "LOGIN_URL="+lms.LoginURL(learner), "SESSION_ID="+lecture.ID)
	var res struct {
		OK                bool    `json:"ok"`
		URL               string  `json:"url"`
		LaunchToPlayingMS float64 `json:"launch_to_playing_ms"`
		CurrentTime       float64 `json:"current_time"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("lti_launch.mjs printed %q: %v", out, err)
	}
	if !res.OK || !strings.HasPrefix(res.URL, base+"/sessions/"+lecture.ID) || res.LaunchToPlayingMS <= 0 || res.CurrentTime <= 1 {
		t.Fatalf("the learner's launch in Chromium: %s", out)
	}
	t.Logf("LMS launch to playing in Chromium: %d ms (script %s): %s",
		int64(res.LaunchToPlayingMS), time.Since(step).Round(100*time.Millisecond), out)
}

// ltiGrant posts a grant with an API token and wants 201.
func ltiGrant(t *testing.T, u, token string, body map[string]string) {
	t.Helper()
	js, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(js))
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
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", u, resp.StatusCode, got)
	}
}
