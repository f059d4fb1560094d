package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// TestUploadToPlayback drives the whole path over HTTP on both database
// engines and both blob stores: refused and bad uploads, an interrupted
// and resumed upload, processing, playback under tokens, analytics.
func TestUploadToPlayback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine sqlstore.Dialect
		s3     bool
	}{
		{"sqlite+local", sqlstore.SQLite, false},
		{"postgres+s3", sqlstore.Postgres, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{engine: tc.engine, s3: tc.s3})
			testUploadToPlayback(t, h)
		})
	}
}

func testUploadToPlayback(t *testing.T, h *harness) {
	ctx := context.Background()
	dir := t.TempDir()
	good := testkit.MakeVideo(t, dir, testkit.MediaSpec{Seconds: 3.5, Width: 640, Height: 360, Audio: true})
	data, err := os.ReadFile(good)
	testkit.Must(t, err, "read video")

	// --- Creation is refused before any byte for a folder the caller may
	// only view; nothing is stored and no session appears.
	_, err = h.acc.SystemGrant(ctx, access.NewGrant{PrincipalType: lectern.PrincipalUser, PrincipalID: h.stranger.ID,
		Resource: lectern.FolderResource(h.folder.ID), Role: lectern.RoleViewer}, "test")
	testkit.Must(t, err, "viewer grant")
	refused := h.do(h.request(http.MethodPost, "/api/v1/uploads/", h.strangerToken, bytes.NewReader(data[:4096]),
		"Tus-Resumable", "1.0.0", "Upload-Length", strconv.Itoa(len(data)), "Content-Type", "application/offset+octet-stream",
		"Upload-Metadata", tusMetadata(map[string]string{"filename": "x.mp4", "title": "Not mine", "folder_id": h.folder.ID})))
	if refused.status != http.StatusForbidden || !strings.Contains(refused.body, `"code":"forbidden"`) {
		t.Fatalf("upload into a folder the caller may only view: %d %s, want 403 JSON", refused.status, refused.body)
	}
	if k := h.keys("uploads/"); len(k) != 0 {
		t.Fatalf("a refused upload stored %v", k)
	}
	private, err := h.cat.CreateFolder(ctx, catalog.NewFolder{Name: "Private", OwnerID: h.owner.ID})
	testkit.Must(t, err, "private folder")
	if r := h.create(h.strangerToken, 10, map[string]string{"title": "x", "folder_id": private.ID}); r.status != http.StatusForbidden {
		t.Fatalf("upload into a folder the caller cannot see: %d %s, want 403", r.status, r.body)
	}
	if r := h.create(h.strangerToken, 10, map[string]string{"title": "x", "folder_id": "no-such-folder"}); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, "folder_id") {
		t.Fatalf("upload into a folder that does not exist: %d %s, want 400 naming folder_id", r.status, r.body)
	}
	if anon := h.create("", 10, map[string]string{"title": "x", "folder_id": h.folder.ID}); anon.status != http.StatusUnauthorized {
		t.Fatalf("anonymous upload: %d, want 401", anon.status)
	}

	// --- A cancelled upload (tus termination) fails its session, which
	// goes to the recycle bin, and its bytes are deleted.
	cancelled := h.create(h.ownerToken, 100, map[string]string{"title": "Wrong file", "folder_id": h.folder.ID})
	cancelledID := cancelled.header.Get("Lectern-Session-Id")
	h.patch(h.ownerToken, cancelled.header.Get("Location"), 0, data[:10])
	if r := h.do(h.request(http.MethodDelete, cancelled.header.Get("Location"), h.ownerToken, nil, "Tus-Resumable", "1.0.0")); r.status != http.StatusNoContent {
		t.Fatalf("DELETE upload: %d %s", r.status, r.body)
	}
	if sess, err := h.cat.SessionByID(ctx, cancelledID); err != nil || sess.Processing != lectern.ProcessingFailed ||
		sess.Lifecycle != lectern.LifecycleRecycled {
		t.Fatalf("cancelled upload's session: %+v, %v", sess, err)
	}
	if k := h.keys("uploads/" + cancelledID + "/"); len(k) != 0 {
		t.Fatalf("a cancelled upload left %v", k)
	}
	if r := h.head(h.ownerToken, cancelled.header.Get("Location")); r.status != http.StatusNotFound {
		t.Fatalf("HEAD of a cancelled upload: %d, want 404", r.status)
	}

	// --- Bad files, each failing its own session.
	notMedia := h.upload(testkit.MakeNotMedia(t, dir), "Lecture notes")
	truncated := h.upload(testkit.MakeTruncated(t, good), "Cut short")
	audioOnly := h.upload(testkit.MakeAudio(t, dir, 2), "Radio lecture")

	// A zero-byte file, from a browser: session cookie plus CSRF header.
	cookie, _, err := h.ids.StartSession(ctx, h.owner.ID, "127.0.0.1", "test browser")
	testkit.Must(t, err, "start session")
	csrf := request.NewCSRFToken()
	browser := []string{"Cookie", request.SessionCookie + "=" + cookie + "; " + request.CSRFCookie + "=" + csrf,
		"Origin", h.srv.URL, "Sec-Fetch-Site", "same-origin"}
	emptyMeta := map[string]string{"filename": "empty.mp4", "title": "Empty", "folder_id": h.folder.ID}
	if r := h.create("", 0, emptyMeta, browser...); r.status != http.StatusForbidden {
		t.Fatalf("cookie upload without the CSRF header: %d, want 403", r.status)
	}
	emptyReply := h.create("", 0, emptyMeta, append(browser, request.CSRFHeader, csrf)...)
	if emptyReply.status != http.StatusCreated {
		t.Fatalf("cookie upload with the CSRF header: %d %s", emptyReply.status, emptyReply.body)
	}
	empty := emptyReply.header.Get("Lectern-Session-Id")

	// --- The good file, interrupted and resumed.
	created := h.create(h.ownerToken, int64(len(data)), map[string]string{"filename": "C:\\lectures\\week1.mp4", "folder_id": h.folder.ID})
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	loc, id := created.header.Get("Location"), created.header.Get("Lectern-Session-Id")
	if !strings.HasSuffix(loc, "/api/v1/uploads/"+id) {
		t.Fatalf("Location %q does not name session %s", loc, id)
	}
	page, err := h.cat.ListSessions(ctx, lectern.PrincipalOf(h.owner), h.folder.ID, 0, "")
	testkit.Must(t, err, "list folder")
	if i := slices.IndexFunc(page.Items, func(s lectern.Session) bool { return s.ID == id }); i < 0 ||
		page.Items[i].Processing != lectern.ProcessingUploading || page.Items[i].Title != "week1" {
		t.Fatalf("the new session is not in its folder as uploading, titled from the file name: %+v", page.Items)
	}
	if r := h.head(h.strangerToken, loc); r.status != http.StatusForbidden {
		t.Fatalf("HEAD by another user: %d, want 403", r.status)
	}
	if r := h.patch(h.strangerToken, loc, 0, data); r.status != http.StatusForbidden {
		t.Fatalf("PATCH by another user: %d, want 403", r.status)
	}

	cut := len(data) / 2
	req := h.request(http.MethodPatch, loc, h.ownerToken, io.MultiReader(bytes.NewReader(data[:cut]), failingReader{}),
		"Tus-Resumable", "1.0.0", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
	req.ContentLength = int64(len(data))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the interrupted PATCH succeeded: %d", resp.StatusCode)
	}
	// The server may still be storing what arrived when the client's
	// error comes back; a client waits a moment before asking, as
	// tus-js-client does.
	var hr reply
	var offset int
	for deadline := time.Now().Add(10 * time.Second); offset == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		hr = h.head(h.ownerToken, loc)
		offset, _ = strconv.Atoi(hr.header.Get("Upload-Offset"))
	}
	if hr.status != http.StatusOK || offset <= 0 || offset > cut || hr.header.Get("Upload-Length") != strconv.Itoa(len(data)) {
		t.Fatalf("HEAD after the interruption: %d, offset %q of %s; want 0 < offset <= %d",
			hr.status, hr.header.Get("Upload-Offset"), hr.header.Get("Upload-Length"), cut)
	}
	if r := h.patch(h.ownerToken, loc, 0, data); r.status != http.StatusConflict {
		t.Fatalf("PATCH at a wrong offset: %d, want 409", r.status)
	}
	if r := h.patch(h.ownerToken, loc, int64(offset), data[offset:]); r.status != http.StatusNoContent ||
		r.header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("resumed PATCH: %d offset %q", r.status, r.header.Get("Upload-Offset"))
	}

	// --- Every bad file fails with its own message; the good one plays.
	for _, bad := range []struct {
		id, want string
	}{
		{notMedia, "not a video or audio recording"},
		{truncated, "incomplete or damaged"},
		{empty, "empty (0 bytes)"},
	} {
		if state, msg := h.waitDone(bad.id, 60*time.Second); state != "failed" || !strings.Contains(msg, bad.want) {
			t.Errorf("session %s ended %s %q, want failed with %q", bad.id, state, msg, bad.want)
		}
	}
	if state, msg := h.waitDone(id, 120*time.Second); state != "ready" {
		t.Fatalf("good upload ended %s: %s", state, msg)
	}
	if _, fraction, _ := h.progressOf(id); fraction != 1 {
		t.Errorf("progress of a ready session = %v, want 1", fraction)
	}
	if k := h.keys("sessions/" + id + "/source"); len(k) != 1 {
		t.Errorf("source object: %v", k)
	}
	if k := h.keys("uploads/" + id + "/part-"); len(k) != 0 {
		t.Errorf("parts left after assembly: %v", k)
	}

	// --- Playback.
	r, pb := h.playback(h.ownerToken, id)
	if r.status != http.StatusOK {
		t.Fatalf("playback: %d %s", r.status, r.body)
	}
	if !strings.HasPrefix(pb.HLSURL, "/hls/"+id+"/") || !strings.HasSuffix(pb.HLSURL, "/master.m3u8") {
		t.Fatalf("hls_url = %q", pb.HLSURL)
	}
	if until := time.Until(pb.ExpiresAt); until < 30*time.Minute || until > playback.MaxTokenTTL {
		t.Fatalf("expires_at is %s away", until)
	}
	base := strings.TrimSuffix(pb.HLSURL, "master.m3u8")
	master := h.get(pb.HLSURL)
	if master.status != http.StatusOK || master.header.Get("Content-Type") != "application/vnd.apple.mpegurl" ||
		!strings.HasPrefix(master.header.Get("Cache-Control"), "private, max-age=") || !strings.Contains(master.body, "360p/index.m3u8") {
		t.Fatalf("master playlist: %d %v\n%s", master.status, master.header, master.body)
	}
	variant := h.get(base + "360p/index.m3u8")
	initName := regexp.MustCompile(`#EXT-X-MAP:URI="([^"]+)"`).FindStringSubmatch(variant.body)
	segments := regexp.MustCompile(`(?m)^seg_\d+\.m4s$`).FindAllString(variant.body, -1)
	if variant.status != http.StatusOK || initName == nil || len(segments) < 2 {
		t.Fatalf("variant playlist: %d\n%s", variant.status, variant.body)
	}
	if r := h.get(base + "360p/" + initName[1]); r.status != http.StatusOK || r.header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("init segment: %d %s", r.status, r.header.Get("Content-Type"))
	}
	seg := h.get(base + "360p/" + segments[0])
	etag := seg.header.Get("ETag")
	if seg.status != http.StatusOK || seg.header.Get("Content-Type") != "video/iso.segment" || etag == "" || len(seg.body) < 1000 {
		t.Fatalf("segment: %d %v (%d bytes)", seg.status, seg.header, len(seg.body))
	}
	if r := h.get(base+"360p/"+segments[0], "Range", "bytes=100-199"); r.status != http.StatusPartialContent || r.body != seg.body[100:200] {
		t.Fatalf("ranged segment: %d, %d bytes", r.status, len(r.body))
	}
	if r := h.get(base+"360p/"+segments[0], "If-None-Match", etag); r.status != http.StatusNotModified {
		t.Fatalf("conditional segment: %d, want 304", r.status)
	}
	if r := h.get(base + "../source"); r.status == http.StatusOK {
		t.Fatalf("the source was served under the token")
	}

	// The renditions are what the ladder promised: ffprobe reads them
	// through the token URLs.
	video := ffprobe(t, h.srv.URL+base+"360p/index.m3u8")
	if v := video.stream("video"); v == nil || v.Width != 640 || v.Height != 360 {
		t.Errorf("360p rendition streams: %+v", video.Streams)
	}
	audio := ffprobe(t, h.srv.URL+base+"audio/index.m3u8")
	if audio.stream("audio") == nil {
		t.Errorf("audio rendition streams: %+v", audio.Streams)
	}
	for name, p := range map[string]probed{"video": video, "audio": audio} {
		if d, _ := strconv.ParseFloat(p.Format.Duration, 64); d < 3.2 || d > 3.9 {
			t.Errorf("%s rendition lasts %v s, want about 3.5", name, d)
		}
	}

	// Pictures under the same token.
	for _, pic := range append([]string{pb.PosterURL, pb.SpriteVTTURL}, pb.ThumbnailURLs...) {
		if !strings.HasPrefix(pic, base) {
			t.Fatalf("picture URL %q is not under the token path %q", pic, base)
		}
	}
	if len(pb.ThumbnailURLs) != 5 {
		t.Errorf("%d thumbnails, want 5", len(pb.ThumbnailURLs))
	}
	if r := h.get(pb.PosterURL); r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("poster: %d %s", r.status, r.header.Get("Content-Type"))
	}
	vtt := h.get(pb.SpriteVTTURL)
	if vtt.status != http.StatusOK || !strings.HasPrefix(vtt.body, "WEBVTT") || !strings.Contains(vtt.body, "sprite_001.jpg#xywh=") {
		t.Errorf("sprite VTT: %d\n%s", vtt.status, vtt.body)
	}
	if r := h.get(base + "sprite_001.jpg"); r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("sprite sheet: %d", r.status)
	}

	// An audio-only recording plays too: audio HLS and a poster.
	if state, msg := h.waitDone(audioOnly, 60*time.Second); state != "ready" {
		t.Fatalf("audio-only upload ended %s: %s", state, msg)
	}
	if r, ab := h.playback(h.ownerToken, audioOnly); r.status != http.StatusOK || ab.PosterURL == "" ||
		len(ab.ThumbnailURLs) != 0 || ab.SpriteVTTURL != "" {
		t.Errorf("audio-only playback: %d %s", r.status, r.body)
	} else {
		if m := h.get(ab.HLSURL); m.status != http.StatusOK || !strings.Contains(m.body, "audio/index.m3u8") {
			t.Errorf("audio-only master playlist: %d\n%s", m.status, m.body)
		}
		if p := h.get(ab.PosterURL); p.status != http.StatusOK {
			t.Errorf("audio-only poster: %d", p.status)
		}
	}

	// --- Tokens: forged, expired, or another session's: 403.
	signer := playback.NewSigner(h.key)
	tok := pb.Token
	payload, sig, _ := strings.Cut(tok, ".")
	otherSig := signer.Sign(playback.Claims{SessionID: id, PrincipalID: h.owner.ID, Version: 99, Expires: time.Now().Add(time.Hour)})
	otherPayload, _, _ := strings.Cut(otherSig, ".")
	forger := playback.NewSigner([]byte("not-the-site-key-0123456789abcdef"))
	for name, path := range map[string]string{
		"expired":                    "/hls/" + id + "/" + signer.Sign(playback.Claims{SessionID: id, PrincipalID: h.owner.ID, Version: 1, Expires: time.Now().Add(-time.Second)}) + "/master.m3u8",
		"signed with another key":    "/hls/" + id + "/" + forger.Sign(playback.Claims{SessionID: id, PrincipalID: h.owner.ID, Version: 1, Expires: time.Now().Add(time.Hour)}) + "/master.m3u8",
		"payload swapped":            "/hls/" + id + "/" + otherPayload + "." + sig + "/master.m3u8",
		"signature cut":              "/hls/" + id + "/" + payload + "." + sig[:len(sig)-2] + "/360p/" + segments[0],
		"garbage":                    "/hls/" + id + "/xyz/master.m3u8",
		"session A's token on B":     "/hls/" + notMedia + "/" + tok + "/master.m3u8",
		"session A's token on B seg": "/hls/" + notMedia + "/" + tok + "/360p/" + segments[0],
	} {
		if r := h.get(path); r.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, r.status)
		}
	}

	// --- The access decision at /playback.
	nobody, nobodyToken := h.account("nobody@uni.example")
	_ = nobody
	if r, _ := h.playback(nobodyToken, id); r.status != http.StatusForbidden {
		t.Errorf("playback for a user without view right: %d, want 403", r.status)
	}
	if r, _ := h.playback(nobodyToken, "no-such-session"); r.status != http.StatusNotFound {
		t.Errorf("playback of a session that does not exist: %d, want 404", r.status)
	}
	if r, _ := h.playback(h.strangerToken, id); r.status != http.StatusOK {
		t.Errorf("playback for a folder viewer of a published session: %d %s", r.status, r.body)
	}
	if r, _ := h.playback(h.ownerToken, notMedia); r.status != http.StatusConflict {
		t.Errorf("playback of a failed session: %d, want 409", r.status)
	}
	if r := h.do(h.request(http.MethodGet, "/api/v1/sessions/"+id+"/playback", "", nil)); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous playback: %d, want 401", r.status)
	}

	// --- Viewing analytics: the player reports with its token.
	report := func(token string, body string) reply {
		return h.do(h.request(http.MethodPost, "/api/v1/sessions/"+id+"/progress-report", "", strings.NewReader(body),
			"Content-Type", "application/json", playback.TokenHeader, token))
	}
	if r := report(tok, `{"position_seconds": 2.5, "watched_ranges": [[0, 2.5]]}`); r.status != http.StatusOK {
		t.Fatalf("progress report: %d %s", r.status, r.body)
	}
	if r := report(signer.Sign(playback.Claims{SessionID: notMedia, PrincipalID: h.owner.ID, Version: 1, Expires: time.Now().Add(time.Hour)}),
		`{"position_seconds": 1}`); r.status != http.StatusForbidden {
		t.Errorf("report with another session's token: %d, want 403", r.status)
	}
	resume := h.do(h.request(http.MethodGet, "/api/v1/sessions/"+id+"/resume", h.ownerToken, nil))
	var rs playback.Resume
	_ = json.Unmarshal([]byte(resume.body), &rs)
	if resume.status != http.StatusOK || rs.PositionSeconds != 2.5 || rs.WatchedSeconds != 3 {
		t.Errorf("resume: %d %s", resume.status, resume.body)
	}
	stats := h.do(h.request(http.MethodGet, "/api/v1/sessions/"+id+"/stats", h.ownerToken, nil))
	var st playback.Stats
	_ = json.Unmarshal([]byte(stats.body), &st)
	if stats.status != http.StatusOK || st.Views != 2 || st.UniqueViewers != 2 || len(st.DropOff) != 20 || st.DropOff[0].Viewers != 1 {
		t.Errorf("stats: %d %s", stats.status, stats.body)
	}
	if r := h.do(h.request(http.MethodGet, "/api/v1/sessions/"+id+"/stats", h.strangerToken, nil)); r.status != http.StatusForbidden {
		t.Errorf("stats for a viewer: %d, want 403", r.status)
	}
}

// failingReader breaks a request body, as a dropped connection does.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection dropped") }

type probed struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func (p probed) stream(kind string) *struct {
	CodecType string `json:"codec_type"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
} {
	for i := range p.Streams {
		if p.Streams[i].CodecType == kind {
			return &p.Streams[i]
		}
	}
	return nil
}

func ffprobe(t *testing.T, url string) probed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_entries",
		"stream=codec_type,width,height:format=duration", "-of", "json", url).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ffprobe %s: %v\n%s", url, err, ee.Stderr)
		}
		t.Fatalf("ffprobe %s: %v", url, err)
	}
	var p probed
	testkit.Must(t, json.Unmarshal(out, &p), "ffprobe output %s", out)
	return p
}
