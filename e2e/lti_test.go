package e2e

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern/testkit"
)

// TestLTILaunchAgainstTheBinary registers the emulated LMS with `lectern
// admin lti add-platform` and launches into `lectern serve` over HTTP: an
// instructor's first launch makes the course folder, a learner then goes
// to it, and a tampered launch is refused naming its check in the log.
func TestLTILaunchAgainstTheBinary(t *testing.T) {
	t.Parallel()
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

	p := start(t, dir, env, "serve")
	p.waitHealthy(t, base, 20*time.Second)

	msg := testkit.LTIMessage{Subject: "teacher-1", Name: "Teacher", Roles: []string{testkit.RoleInstructor},
		ContextID: "course-1", ContextTitle: "Algebra", ResourceLink: "nav-1"}
	r := testkit.NewBrowser(t).Launch(lms.LoginURL(msg))
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/lti/courses/") {
		t.Fatalf("instructor launch: %d %s\n%s", r.Status, r.Location, r.Body)
	}
	msg.Subject, msg.Roles = "student-1", []string{testkit.RoleLearner}
	r = testkit.NewBrowser(t).Launch(lms.LoginURL(msg))
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/folders/") {
		t.Fatalf("learner launch: %d %s\n%s", r.Status, r.Location, r.Body)
	}
	msg.Tamper = func(c map[string]any) { c["aud"] = "someone-else" }
	r = testkit.NewBrowser(t).Launch(lms.LoginURL(msg))
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "wrong audience") {
		t.Fatalf("tampered launch: %d\n%s", r.Status, r.Body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.stderr.String(), "check=aud") {
		if time.Now().After(deadline) {
			t.Fatalf("the refusal is not in the log:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
