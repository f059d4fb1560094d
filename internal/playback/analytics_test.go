package playback_test

import (
	"context"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestViewingAnalytics(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newSite(t, db, 100*time.Second)
		owner, viewer, sess, now := f.owner, f.viewer, f.sess, f.Now
		svc := f.service(t, playback.Options{})
		// The token key is made once and shared: a second service signs alike.
		f.service(t, playback.Options{})

		report := func(u lectern.User, pos float64, ranges ...[2]float64) playback.Resume {
			t.Helper()
			r, err := svc.RecordProgress(ctx, u.ID, sess.ID, playback.Report{PositionSeconds: pos, WatchedRanges: ranges})
			testkit.Must(t, err, "report progress")
			return r
		}
		report(owner, 50, [2]float64{0, 50})
		if r := report(owner, 60, [2]float64{40, 60}); r.WatchedSeconds != 60 || r.PositionSeconds != 60 {
			t.Fatalf("owner's resume = %+v, want 60 s watched at 60", r)
		}
		report(viewer, 10, [2]float64{0, 10})
		if r := report(viewer, 500); r.PositionSeconds != 100 {
			t.Fatalf("a position past the end = %v, want it cut to the duration", r.PositionSeconds)
		}
		if _, err := svc.RecordProgress(ctx, viewer.ID, sess.ID, playback.Report{PositionSeconds: 1, WatchedRanges: [][2]float64{{5, 2}}}); lectern.ErrorCodeOf(err) != lectern.EInvalid {
			t.Fatalf("a backwards range = %v, want invalid", err)
		}

		for _, v := range []struct {
			user string
			at   time.Time
		}{
			{owner.ID, now}, {owner.ID, now.Add(10 * time.Minute)}, // a reload: one view
			{viewer.ID, now}, {owner.ID, now.Add(2 * time.Hour)},
		} {
			_, err := db.InsertSessionView(ctx, sess.ID, v.user, v.at, v.at.Add(-playback.ViewWindow))
			testkit.Must(t, err, "insert view")
		}

		st, err := svc.StatsOf(ctx, sess.ID)
		testkit.Must(t, err, "stats")
		if st.Views != 3 || st.UniqueViewers != 2 {
			t.Errorf("views = %d, unique = %d; want 3, 2", st.Views, st.UniqueViewers)
		}
		if st.MinutesWatched != 1.17 {
			t.Errorf("minutes watched = %v, want 1.17 (70 s)", st.MinutesWatched)
		}
		if len(st.DropOff) != 20 {
			t.Fatalf("drop-off has %d buckets, want 20", len(st.DropOff))
		}
		for _, want := range []struct{ bucket, viewers int }{{0, 2}, {1, 2}, {2, 1}, {11, 1}, {12, 0}, {19, 0}} {
			if got := st.DropOff[want.bucket].Viewers; got != want.viewers {
				t.Errorf("bucket %d%% has %d viewers, want %d", st.DropOff[want.bucket].StartPercent, got, want.viewers)
			}
		}
		if st.DropOff[0].Share != 1 || st.DropOff[2].Share != 0.5 {
			t.Errorf("shares = %v, %v; want 1, 0.5", st.DropOff[0].Share, st.DropOff[2].Share)
		}

		r, err := svc.ResumeOf(ctx, viewer.ID, sess.ID)
		testkit.Must(t, err, "resume")
		if r.PositionSeconds != 100 || r.WatchedSeconds != 10 {
			t.Errorf("viewer's resume = %+v", r)
		}
		if r, err := svc.ResumeOf(ctx, "nobody", sess.ID); err != nil || r.PositionSeconds != 0 {
			t.Errorf("resume of someone who never watched = %+v, %v; want zero", r, err)
		}
	})
}
