package httpserver_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/blob"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/pipeline"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/internal/upload"
	"github.com/lectern-edu/lectern/testkit"
)

// startRecorder stands in for the media pipeline: it records which
// sessions it was asked to start.
type startRecorder struct {
	mu      sync.Mutex
	started []string
}

func (r *startRecorder) Start(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, id)
	return nil
}

// withMedia gives the site uploads, playback and processing progress over
// a local blob store; the pipeline is not run.
func withMedia(t *testing.T, db *sqlstore.DB) siteOption {
	return func(_ *identity.Options, d *httpserver.Deps) {
		ctx := context.Background()
		blobs, err := blob.Open(ctx, "", t.TempDir())
		testkit.Must(t, err, "blob store")
		pb, err := playback.New(ctx, db, blobs, d.Access, playback.Options{Key: []byte("pages-test-playback-key-0123456789"), Now: d.Now})
		testkit.Must(t, err, "playback")
		up, err := upload.New(db, blobs, d.Catalog, &startRecorder{}, upload.Options{})
		testkit.Must(t, err, "uploads")
		d.Uploads, d.Playback = up, pb
		d.Processing = pipeline.New(db, blobs, d.Catalog, upload.NewSources(blobs), nil, pipeline.Options{})
	}
}

// mediaVisits are the media pages, for TestEveryPageTemplateRenders: the
// upload page and a recording's viewing statistics.
func mediaVisits(s *site, admin *browser) map[string]func() response {
	ctx := context.Background()
	f, err := s.catalog.CreateFolderAs(ctx, lectern.PrincipalOf(s.admin), catalog.NewFolder{Name: "Seminars"}, "")
	testkit.Must(s.t, err, "folder")
	sess := s.readySession(s.admin, f.ID, "Seminar 1")
	return map[string]func() response{
		"upload":        func() response { return admin.get("/upload") },
		"session_stats": func() response { return admin.get("/sessions/" + sess.ID + "/stats") },
	}
}

func TestUploadPageOffersTheFoldersTheUserMayAddTo(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, withMedia(t, db))
		ctx := context.Background()
		up := lectern.PrincipalOf(s.user)
		own, err := s.catalog.CreateFolderAs(ctx, up, catalog.NewFolder{Name: "My course"}, "")
		testkit.Must(t, err, "own folder")
		sub, err := s.catalog.CreateFolderAs(ctx, up, catalog.NewFolder{Name: "Week 1", ParentID: own.ID}, "")
		testkit.Must(t, err, "subfolder")
		w := s.newWorld("upl")
		_, err = s.access.Grant(ctx, lectern.PrincipalOf(w.owner), access.NewGrant{PrincipalType: lectern.PrincipalUser,
			PrincipalID: s.user.ID, Resource: lectern.FolderResource(w.folder.ID), Role: lectern.RoleViewer}, "")
		testkit.Must(t, err, "viewer grant")

		b := s.browser()
		b.signIn(userEmail, userPassword)
		r := b.get("/upload")
		wantStatus(t, "upload page", r, http.StatusOK)
		wantContains(t, "upload page", r.body,
			`<h1>Upload a recording</h1>`,
			`<label for="upload-file">`, `type="file"`,
			`<option value="`+own.ID+`">My course</option>`,
			`<option value="`+sub.ID+`">My course / Week 1</option>`,
			`<progress id="upload-progress" max="100" value="0">`,
			`data-endpoint="/api/v1/uploads/"`,
			`<meta name="csrf-token" content="`,
			`<noscript>`, `Uploading needs JavaScript`,
			`/static/tus.`, `/static/upload.`,
			`href="/upload" aria-current="page"`)
		if strings.Contains(r.body, w.folder.ID) {
			t.Errorf("the upload page offers a folder the user may only watch:\n%s", r.body)
		}

		r = b.get("/folders/" + sub.ID + "/upload")
		wantStatus(t, "folder upload page", r, http.StatusOK)
		wantContains(t, "folder upload page", r.body, `<option value="`+sub.ID+`" selected>`, `<a href="/folders/`+own.ID+`">My course</a>`)

		r = b.get("/folders/" + w.folder.ID + "/upload")
		wantStatus(t, "upload into a folder the user may only watch", r, http.StatusForbidden)
		wantContains(t, "refusal", r.body, "not add to it")
		r = b.get("/folders/" + w.sub.ID + "x/upload")
		wantStatus(t, "upload into no such folder", r, http.StatusNotFound)

		folder := b.get("/folders/" + own.ID)
		wantContains(t, "folder page", folder.body, `href="/folders/`+own.ID+`/upload"`)
	})
}

func TestSessionPageShowsProcessingFailureOrThePlayer(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, withMedia(t, db))
		ctx := context.Background()
		f, err := s.catalog.CreateFolderAs(ctx, lectern.PrincipalOf(s.user), catalog.NewFolder{Name: "Lectures"}, "")
		testkit.Must(t, err, "folder")
		mk := func(title string, to ...lectern.Processing) lectern.Session {
			sess, err := s.catalog.CreateSession(ctx, lectern.PrincipalOf(s.user), catalog.NewSession{FolderID: f.ID, Title: title}, "")
			testkit.Must(t, err, "create %s", title)
			for _, st := range to {
				msg := ""
				if st == lectern.ProcessingFailed {
					msg = "This file has no video or audio we can read."
				}
				sess, err = s.catalog.SetProcessing(ctx, sess.ID, st, msg)
				testkit.Must(t, err, "%s: %s", title, st)
			}
			return sess
		}
		running := mk("Running", lectern.ProcessingQueued, lectern.ProcessingRunning)
		testkit.Must(t, db.EnsureSessionMedia(ctx, running.ID, "a.mp4", s.now()), "media row")
		testkit.Must(t, db.SetMediaProgress(ctx, running.ID, 0.42, "transcoding", s.now()), "progress")
		failed := mk("Broken", lectern.ProcessingQueued, lectern.ProcessingFailed)
		ready := s.readySession(s.user, f.ID, "Ready")

		owner := s.browser()
		owner.signIn(userEmail, userPassword)
		cases := []struct {
			name    string
			id      string
			want    []string
			wantNot []string
		}{
			{"processing", running.ID, []string{
				`data-progress-url="/api/v1/sessions/` + running.ID + `/progress"`,
				`<progress id="processing-bar" max="100" value="42">42 %</progress>`,
				`<p id="processing-status" role="status">Converting for streaming…</p>`,
				`<section id="watch"`, ` hidden>`, `/static/progress.`,
			}, []string{`could not be processed`}},
			{"failed", failed.ID, []string{
				`<h2>This recording could not be processed</h2>`,
				`This file has no video or audio we can read.`,
			}, []string{`<section id="watch"`, `id="processing-bar"`}},
			{"ready", ready.ID, []string{
				`data-playback-url="/api/v1/sessions/` + ready.ID + `/playback"`,
				`data-report-url="/api/v1/sessions/` + ready.ID + `/progress-report"`,
				`<video id="player-video" controls`, `aria-label="Back 10 seconds"`, `aria-label="Forward 10 seconds"`,
				`<label for="player-speed">Speed</label>`, `<option value="0.75">`, `<option value="2">`,
				`id="player-captions" type="button" aria-pressed="false"`,
				`/static/hls.min.`, `/static/player.`,
				`href="/sessions/` + ready.ID + `/stats"`, `0 views by 0 people`,
				`/progress-report">`, // not hidden
			}, []string{`id="processing-bar"`}},
		}
		for _, tc := range cases {
			r := owner.get("/sessions/" + tc.id)
			wantStatus(t, tc.name, r, http.StatusOK)
			wantContains(t, tc.name, r.body, tc.want...)
			for _, no := range tc.wantNot {
				if strings.Contains(r.body, no) {
					t.Errorf("%s: the page has %q:\n%s", tc.name, no, r.body)
				}
			}
		}

		// A viewer sees the player but not the statistics.
		viewer := s.account(identity.NewUser{Email: "viewer-media@uni.example", Name: "Vera Viewer", Password: userPassword})
		_, err = s.access.Grant(ctx, lectern.PrincipalOf(s.user), access.NewGrant{PrincipalType: lectern.PrincipalUser,
			PrincipalID: viewer.ID, Resource: lectern.FolderResource(f.ID), Role: lectern.RoleViewer}, "")
		testkit.Must(t, err, "grant")
		vb := s.browser()
		vb.signIn("viewer-media@uni.example", userPassword)
		r := vb.get("/sessions/" + ready.ID)
		wantStatus(t, "viewer's page", r, http.StatusOK)
		wantContains(t, "viewer's page", r.body, `<video id="player-video"`)
		if strings.Contains(r.body, "/stats") {
			t.Errorf("a viewer is offered the statistics:\n%s", r.body)
		}
		wantStatus(t, "viewer's statistics", vb.get("/sessions/"+ready.ID+"/stats"), http.StatusForbidden)
	})
}

func TestStatsPageShowsDropOffAndEachViewer(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, withMedia(t, db))
		ctx := context.Background()
		f, err := s.catalog.CreateFolderAs(ctx, lectern.PrincipalOf(s.user), catalog.NewFolder{Name: "Stats course"}, "")
		testkit.Must(t, err, "folder")
		sess := s.readySession(s.user, f.ID, "Lecture with viewers")
		testkit.Must(t, s.catalog.SetDuration(ctx, sess.ID, 100*time.Second), "duration")
		viewer := s.account(identity.NewUser{Email: "watcher@uni.example", Name: "Wally Watcher", Password: userPassword})
		pb := s.deps.Playback
		for _, v := range []struct {
			u      lectern.User
			pos    float64
			ranges [][2]float64
		}{
			{viewer, 30, [][2]float64{{0, 30}}},
			{s.user, 75, [][2]float64{{0, 10}, {60, 75}}},
		} {
			_, err := pb.RecordProgress(ctx, v.u.ID, sess.ID, playback.Report{PositionSeconds: v.pos, WatchedRanges: v.ranges})
			testkit.Must(t, err, "report")
			_, err = db.InsertSessionView(ctx, sess.ID, v.u.ID, s.now(), s.now().Add(-playback.ViewWindow))
			testkit.Must(t, err, "view")
		}

		b := s.browser()
		b.signIn(userEmail, userPassword)
		r := b.get("/sessions/" + sess.ID + "/stats")
		wantStatus(t, "stats page", r, http.StatusOK)
		wantContains(t, "stats page", r.body,
			`<h1>Viewing statistics</h1>`,
			`<dt>Views</dt><dd>2</dd>`, `<dt>Unique viewers</dt><dd>2</dd>`, `<dt>Minutes watched</dt><dd>0.92</dd>`,
			`role="img" aria-labelledby="dropoff-title dropoff-desc"`,
			`<title id="dropoff-title">`, `<desc id="dropoff-desc">Of 2 viewers, 100 % watched the opening (0:00–0:05)`,
			`<caption>Viewers per 5 % of the recording</caption>`,
			`<tr><th scope="row">0–5 %</th><td>0:00–0:05</td><td>2</td><td>100 %</td></tr>`,
			`<tr><th scope="row">35–40 %</th><td>0:35–0:40</td><td>0</td><td>0 %</td></tr>`,
			`<tr><th scope="row">60–65 %</th><td>1:00–1:05</td><td>1</td><td>50 %</td></tr>`,
			`<th scope="row">Wally Watcher</th><td>0:30 (30 %)</td><td>0:00–0:30</td><td>0:30</td>`,
			`<th scope="row">Grace User</th><td>0:25 (25 %)</td><td>0:00–0:10, 1:00–1:15</td><td>1:15</td>`)
		if !strings.Contains(r.body, `class="bar" x="50" y="12" width="25" height="200"`) {
			t.Errorf("the first bar is not full height:\n%s", r.body)
		}

		sp := b.get("/sessions/" + sess.ID)
		wantContains(t, "session page", sp.body, `2 views by 2 people; 0.92 minutes watched.`)

		other := s.browser()
		other.signIn(adminEmail, adminPassword)
		wantStatus(t, "an admin's look", other.get("/sessions/"+sess.ID+"/stats"), http.StatusOK)
		stranger := s.account(identity.NewUser{Email: "stranger-stats@uni.example", Name: "S", Password: userPassword})
		_ = stranger
		sb := s.browser()
		sb.signIn("stranger-stats@uni.example", userPassword)
		wantStatus(t, "a stranger's look", sb.get("/sessions/"+sess.ID+"/stats"), http.StatusNotFound)
	})
}
