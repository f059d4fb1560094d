package upload

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// TestImportTakesTheUploadPath: an imported file becomes its session's
// source, and the session is queued and started as an upload's is.
func TestImportTakesTheUploadPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testkit.OpenDB(t, sqlstore.SQLite)
	blobs, err := blob.NewLocalStore(t.TempDir())
	testkit.Must(t, err, "blobs")
	ids := identity.New(db, nil, identity.Options{Params: identity.TestParams})
	owner, err := ids.CreateUser(ctx, identity.NewUser{Email: "imp@uni.example", Name: "I", Password: "a-long-enough-password"})
	testkit.Must(t, err, "user")
	other, err := ids.CreateUser(ctx, identity.NewUser{Email: "imp2@uni.example", Name: "O", Password: "a-long-enough-password"})
	testkit.Must(t, err, "user")
	cat := catalog.New(db, nil, catalog.WithAccess(access.New(db, nil, access.Options{})))
	f, err := cat.CreateFolderAs(ctx, lectern.PrincipalOf(owner), catalog.NewFolder{Name: "Course"}, "")
	testkit.Must(t, err, "folder")
	pipe := &startRecorder{}
	s, err := New(db, blobs, cat, pipe, Options{})
	testkit.Must(t, err, "upload.New")

	data := []byte("not really a video, but the pipeline is not run here")
	sess, err := s.Import(ctx, owner, catalog.NewSession{FolderID: f.ID, Title: "Imported"}, "../dir/lecture.mp4", bytes.NewReader(data), int64(len(data)))
	testkit.Must(t, err, "import")
	if sess.Processing != lectern.ProcessingQueued || sess.FolderID != f.ID || sess.OwnerID != owner.ID {
		t.Fatalf("imported session = %+v; want queued in the folder, owned by the importer", sess)
	}
	if !slices.Contains(pipe.ids, sess.ID) {
		t.Fatalf("pipeline not started for %s (started %v)", sess.ID, pipe.ids)
	}
	rc, err := blobs.Open(ctx, SourceKey(sess.ID), 0, -1)
	testkit.Must(t, err, "open source")
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("source holds %q", got)
	}
	m, err := db.SessionMedia(ctx, sess.ID)
	testkit.Must(t, err, "media row")
	if m.Filename != "lecture.mp4" {
		t.Errorf("filename %q, want the base name", m.Filename)
	}

	if _, err := s.Import(ctx, other, catalog.NewSession{FolderID: f.ID, Title: "Not yours"}, "x.mp4", strings.NewReader("x"), 1); lectern.ErrorCodeOf(err) != lectern.EInvalid {
		t.Errorf("import into someone else's folder = %v, want invalid (no such folder)", err)
	}
	short, err := s.Import(ctx, owner, catalog.NewSession{FolderID: f.ID, Title: "Short"}, "x.mp4", strings.NewReader("abc"), 10)
	if err == nil {
		t.Fatalf("a short read was accepted: %+v", short)
	}
	page, err := cat.ListSessions(ctx, lectern.PrincipalOf(owner), f.ID, 10, "")
	testkit.Must(t, err, "list")
	for _, x := range page.Items {
		if x.Title == "Short" && (x.Processing != lectern.ProcessingFailed || x.ProcessingError != msgImportFailed) {
			t.Errorf("a failed import is %s %q, want failed with a plain message", x.Processing, x.ProcessingError)
		}
	}
}
