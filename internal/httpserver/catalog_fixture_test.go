package httpserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/testkit"
)

// world is a small catalog owned by someone other than the site's two
// accounts: a folder with a subfolder, a published session in the folder,
// a manual group with one member, and grants on the folder and the
// session. Names carry a tag so that a response can be searched for them.
type world struct {
	tag                       string
	owner, member             lectern.User
	folder, sub               lectern.Folder
	session                   lectern.Session
	group                     lectern.Group
	folderGrant, sessionGrant lectern.Grant
}

func (s *site) newWorld(tag string) world {
	t := s.t
	t.Helper()
	ctx := context.Background()
	w := world{tag: tag}
	w.owner = s.account(identity.NewUser{Email: "owner-" + tag + "@uni.example", Name: "Owner " + tag, Password: userPassword})
	w.member = s.account(identity.NewUser{Email: "member-" + tag + "@uni.example", Name: "Member " + tag, Password: userPassword})
	op := lectern.PrincipalOf(w.owner)
	var err error
	w.folder, err = s.catalog.CreateFolderAs(ctx, op, catalog.NewFolder{Name: "Folder " + tag}, "")
	testkit.Must(t, err, "create folder")
	w.sub, err = s.catalog.CreateFolderAs(ctx, op, catalog.NewFolder{Name: "Subfolder " + tag, ParentID: w.folder.ID}, "")
	testkit.Must(t, err, "create subfolder")
	w.session = s.readySession(w.owner, w.folder.ID, "Session "+tag)
	w.group, err = s.access.CreateGroup(ctx, op, "Group "+tag)
	testkit.Must(t, err, "create group")
	testkit.Must(t, s.access.AddMember(ctx, op, w.group.ID, w.member.ID, s.now().AddDate(0, 1, 0), ""), "add member")
	w.folderGrant, err = s.access.Grant(ctx, op, access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: w.member.ID,
		Resource: lectern.FolderResource(w.folder.ID), Role: lectern.RoleViewer}, "")
	testkit.Must(t, err, "grant on folder")
	w.sessionGrant, err = s.access.Grant(ctx, op, access.NewGrant{PrincipalType: lectern.PrincipalGroup, PrincipalID: w.group.ID,
		Resource: lectern.SessionResource(w.session.ID), Role: lectern.RoleViewer}, "")
	testkit.Must(t, err, "grant on session")
	return w
}

// secrets are what a response to someone without rights must not contain.
func (w world) secrets() []string {
	return []string{w.tag, w.owner.ID, w.owner.Email, w.member.ID, w.folder.ID, w.sub.ID, w.session.ID, w.group.ID,
		w.folderGrant.ID, w.sessionGrant.ID}
}

// readySession creates a session as owner and runs it through processing,
// as the pipeline would; in a folder without approval it ends published.
func (s *site) readySession(owner lectern.User, folderID, title string) lectern.Session {
	s.t.Helper()
	ctx := context.Background()
	sess, err := s.catalog.CreateSession(ctx, lectern.PrincipalOf(owner), catalog.NewSession{FolderID: folderID, Title: title}, "")
	testkit.Must(s.t, err, "create session %s", title)
	for _, st := range []lectern.Processing{lectern.ProcessingQueued, lectern.ProcessingRunning, lectern.ProcessingReady} {
		sess, err = s.catalog.SetProcessing(ctx, sess.ID, st, "")
		testkit.Must(s.t, err, "processing %s", st)
	}
	return sess
}

func (s *site) now() time.Time { return s.access.Now() }

// token returns a new API token for u.
func (s *site) token(u lectern.User) string {
	s.t.Helper()
	secret, _, err := s.identity.CreateAPIToken(context.Background(), u.ID, "test")
	testkit.Must(s.t, err, "create token")
	return secret
}

// apiDo calls the API with an optional Bearer token and JSON body, without
// cookies.
func (s *site) apiDo(t *testing.T, method, path, token, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	testkit.Must(t, err, "new request")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	testkit.Must(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	testkit.Must(t, err, "read body")
	return response{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// decodeJSON decodes a successful response's body into v.
func decodeJSON(t *testing.T, r response, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q; body:\n%s", ct, r.body)
	}
	testkit.Must(t, json.Unmarshal([]byte(r.body), v), "decode %s", r.body)
}
