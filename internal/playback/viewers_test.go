package playback_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestViewersSayWhatEachPersonWatched(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newSite(t, db, 40*time.Second)
		owner, viewer, sess := f.owner, f.viewer, f.sess
		svc := f.service(t, playback.Options{})

		if vs, err := svc.ViewersOf(ctx, sess.ID); err != nil || len(vs) != 0 {
			t.Fatalf("viewers of an unwatched session = %v, %v; want none", vs, err)
		}
		_, err := svc.RecordProgress(ctx, viewer.ID, sess.ID, playback.Report{PositionSeconds: 12, WatchedRanges: [][2]float64{{0, 4.5}, {10, 12}}})
		testkit.Must(t, err, "viewer's report")
		f.Now = f.Now.Add(time.Minute)
		_, err = svc.RecordProgress(ctx, owner.ID, sess.ID, playback.Report{PositionSeconds: 40, WatchedRanges: [][2]float64{{0, 40}}})
		testkit.Must(t, err, "owner's report")

		vs, err := svc.ViewersOf(ctx, sess.ID)
		testkit.Must(t, err, "viewers")
		if len(vs) != 2 || vs[0].UserID != owner.ID || vs[1].UserID != viewer.ID {
			t.Fatalf("viewers = %+v; want the owner (latest) then the viewer", vs)
		}
		if got := vs[0]; got.WatchedSeconds != 40 || got.WatchedShare != 1 || !reflect.DeepEqual(got.Ranges, [][2]int{{0, 40}}) {
			t.Errorf("owner watched %+v, want all 40 s", got)
		}
		if got := vs[1]; got.WatchedSeconds != 7 || got.PositionSeconds != 12 || !reflect.DeepEqual(got.Ranges, [][2]int{{0, 5}, {10, 12}}) {
			t.Errorf("viewer watched %+v, want 0–5 and 10–12 (7 s), left at 12", got)
		}
		if _, err := svc.ViewersOf(ctx, "no-such-session"); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Errorf("viewers of no session = %v, want not found", err)
		}
	})
}

func TestTokenTTLIsConfigurable(t *testing.T) {
	t.Parallel()
	db := testkit.OpenDB(t, sqlstore.SQLite)
	ctx := context.Background()
	f := newSite(t, db, 20*time.Second)
	owner, sess, now := f.owner, f.sess, f.Now
	testkit.Must(t, db.EnsureSessionMedia(ctx, sess.ID, "a.mp4", now), "media row")
	v, err := db.NextRenditionVersion(ctx, sess.ID, now)
	testkit.Must(t, err, "version")
	_, err = db.PublishRendition(ctx, sess.ID, v, `{"master":"master.m3u8","duration_seconds":20,"has_video":true}`, now)
	testkit.Must(t, err, "publish rendition")

	for _, tc := range []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{
		{"default: an hour more than the recording", 0, time.Hour + 20*time.Second},
		{"configured", 2 * time.Second, 2 * time.Second},
		{"configured long", 3 * time.Hour, 3 * time.Hour},
	} {
		svc := f.service(t, playback.Options{TokenTTL: tc.ttl})
		tk, err := svc.Issue(ctx, lectern.PrincipalOf(owner), sess.ID, "")
		testkit.Must(t, err, "%s: issue", tc.name)
		if got := tk.ExpiresAt.Sub(now); got != tc.want {
			t.Errorf("%s: token valid for %s, want %s", tc.name, got, tc.want)
		}
		if _, err := svc.Verify(tk.Token, sess.ID); err != nil {
			t.Errorf("%s: fresh token refused: %v", tc.name, err)
		}
	}
	short := f.service(t, playback.Options{TokenTTL: 2 * time.Second})
	tk, err := short.Issue(ctx, lectern.PrincipalOf(owner), sess.ID, "")
	testkit.Must(t, err, "issue")
	f.Now = now.Add(3 * time.Second)
	if _, err := short.Verify(tk.Token, sess.ID); lectern.ErrorCodeOf(err) != lectern.EForbidden {
		t.Errorf("a token past its 2 s = %v, want forbidden", err)
	}
}
