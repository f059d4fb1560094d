package playback

import (
	"context"
	"math"
	"sort"
	"time"
)

// Viewer is what one person watched of a session, for those who may see
// its statistics.
type Viewer struct {
	UserID          string
	WatchedSeconds  int     // distinct seconds watched
	WatchedShare    float64 // of the recording, 0..1
	PositionSeconds float64 // where they left off
	// Ranges are the stretches watched, as [start, end) seconds, in order.
	Ranges    [][2]int
	FirstAt   time.Time // first report
	UpdatedAt time.Time // latest report
}

// ViewersOf returns everyone who reported progress on a session, the most
// recent first. The caller has checked that the asker may see the
// session's statistics (edit on it); ENotFound for no such session.
func (s *Service) ViewersOf(ctx context.Context, sessionID string) ([]Viewer, error) {
	sess, err := s.db.SessionByID(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.SessionViewingProgress(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	n := int(math.Ceil(sess.Duration.Seconds()))
	out := make([]Viewer, 0, len(rows))
	for _, r := range rows {
		bm := decodeBitmap(r.Watched, n)
		v := Viewer{UserID: r.UserID, WatchedSeconds: bm.count(), PositionSeconds: r.PositionSeconds,
			Ranges: bm.ranges(), FirstAt: r.FirstAt, UpdatedAt: r.UpdatedAt}
		if n > 0 {
			v.WatchedShare = math.Min(float64(v.WatchedSeconds)/float64(n), 1)
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].UpdatedAt.After(out[j].UpdatedAt) })
	return out, nil
}

// ranges returns the runs of set seconds as [start, end).
func (bm bitmap) ranges() [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= bm.n; i++ {
		set := i < bm.n && bm.b[i/8]&(1<<(i%8)) != 0
		switch {
		case set && start < 0:
			start = i
		case !set && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}
