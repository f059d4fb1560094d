package playback

import (
	"context"
	"encoding/base64"
	"math"
	"math/bits"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Viewing analytics. Each viewer's watched seconds are a bitmap, one bit
// per second of the recording, so that watching a part twice counts once
// and drop-off can be read per 5 % of the recording. Rows are per user and
// session and stay when the grants that let the user watch expire.

// Report is one progress report from a player: where it is, and which
// stretches (start, end seconds) it played since its last report.
type Report struct {
	PositionSeconds float64      `json:"position_seconds"`
	WatchedRanges   [][2]float64 `json:"watched_ranges,omitempty"`
}

// maxRanges bounds one report.
const maxRanges = 500

// Resume is where a viewer left off.
type Resume struct {
	PositionSeconds float64   `json:"position_seconds"`
	WatchedSeconds  int       `json:"watched_seconds"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
}

// RecordProgress stores a viewer's report on a session: the resume
// position and the seconds watched. The caller has checked that userID may
// view the session (a playback token or the access decision). Positions
// and ranges outside the recording are cut to it; a report that is not
// numbers is EInvalid.
func (s *Service) RecordProgress(ctx context.Context, userID, sessionID string, rep Report) (Resume, error) {
	if userID == "" {
		return Resume{}, lectern.Errorf(lectern.EUnauthorized, "Sign in to keep your place in recordings.")
	}
	if !finite(rep.PositionSeconds) || rep.PositionSeconds < 0 {
		return Resume{}, lectern.Errorf(lectern.EInvalid, "position_seconds: must be a number of seconds from 0")
	}
	if len(rep.WatchedRanges) > maxRanges {
		return Resume{}, lectern.Errorf(lectern.EInvalid, "watched_ranges: at most %d ranges per report", maxRanges)
	}
	for _, r := range rep.WatchedRanges {
		if !finite(r[0]) || !finite(r[1]) || r[0] < 0 || r[1] < r[0] {
			return Resume{}, lectern.Errorf(lectern.EInvalid, "watched_ranges: each range is [start, end] seconds with start <= end")
		}
	}
	sess, err := s.db.SessionByID(ctx, sessionID)
	if err != nil {
		return Resume{}, err
	}
	secs := sess.Duration.Seconds()
	n := int(math.Ceil(secs))
	v, err := s.db.UpdateViewingProgress(ctx, sessionID, userID, s.now(), func(v *sqlstore.ViewingProgress) {
		bm := decodeBitmap(v.Watched, n)
		for _, r := range rep.WatchedRanges {
			bm.mark(r[0], r[1])
		}
		v.Watched, v.WatchedSeconds = bm.encode(), bm.count()
		v.PositionSeconds = math.Min(rep.PositionSeconds, secs)
	})
	if err != nil {
		return Resume{}, err
	}
	return Resume{PositionSeconds: v.PositionSeconds, WatchedSeconds: v.WatchedSeconds, UpdatedAt: v.UpdatedAt}, nil
}

// ResumeOf returns where a viewer left off; the zero Resume when they
// never reported. The caller has checked access.
func (s *Service) ResumeOf(ctx context.Context, userID, sessionID string) (Resume, error) {
	v, err := s.db.ViewingProgressOf(ctx, sessionID, userID)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return Resume{}, nil
	}
	if err != nil {
		return Resume{}, err
	}
	return Resume{PositionSeconds: v.PositionSeconds, WatchedSeconds: v.WatchedSeconds, UpdatedAt: v.UpdatedAt}, nil
}

// Stats is what a session's owner sees about its viewing.
type Stats struct {
	Views          int64   `json:"views"`
	UniqueViewers  int64   `json:"unique_viewers"`
	MinutesWatched float64 `json:"minutes_watched"`
	// DropOff has one bucket per 5 % of the recording: how many of the
	// viewers who reported progress watched some of it.
	DropOff []Bucket `json:"drop_off"`
}

// Bucket is one 5 % stretch of a recording.
type Bucket struct {
	StartPercent int     `json:"start_percent"`
	Viewers      int     `json:"viewers"`
	Share        float64 `json:"share"` // of the viewers who reported progress, 0..1
}

// StatsOf returns a session's viewing statistics; the caller has checked
// that the asker may see them.
func (s *Service) StatsOf(ctx context.Context, sessionID string) (Stats, error) {
	sess, err := s.db.SessionByID(ctx, sessionID)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	if st.Views, st.UniqueViewers, err = s.db.SessionViewCounts(ctx, sessionID); err != nil {
		return Stats{}, err
	}
	rows, err := s.db.SessionViewingProgress(ctx, sessionID)
	if err != nil {
		return Stats{}, err
	}
	n := int(math.Ceil(sess.Duration.Seconds()))
	st.DropOff = make([]Bucket, 20)
	watchedSecs := 0
	for i := range st.DropOff {
		st.DropOff[i].StartPercent = i * 5
	}
	for _, r := range rows {
		watchedSecs += r.WatchedSeconds
		bm := decodeBitmap(r.Watched, n)
		for i := range st.DropOff {
			lo, hi := bucketSeconds(i, n)
			if bm.any(lo, hi) {
				st.DropOff[i].Viewers++
			}
		}
	}
	for i := range st.DropOff {
		if len(rows) > 0 {
			st.DropOff[i].Share = float64(st.DropOff[i].Viewers) / float64(len(rows))
		}
	}
	st.MinutesWatched = math.Round(float64(watchedSecs)/60*100) / 100
	return st, nil
}

// bucketSeconds is the seconds [lo, hi) of bucket i (of 20) of an n-second
// recording; at least one second.
func bucketSeconds(i, n int) (int, int) {
	lo := i * n / 20
	hi := (i + 1) * n / 20
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

// bitmap has one bit per second of a recording.
type bitmap struct {
	b []byte
	n int
}

func decodeBitmap(s string, n int) bitmap {
	n = max(n, 0)
	bm := bitmap{b: make([]byte, (n+7)/8), n: n}
	if raw, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		copy(bm.b, raw)
	}
	if r := n % 8; r != 0 && len(bm.b) > 0 {
		bm.b[len(bm.b)-1] &= byte(1<<r) - 1 // bits past the end, from a longer earlier version
	}
	return bm
}

func (bm bitmap) encode() string { return base64.RawStdEncoding.EncodeToString(bm.b) }

// mark sets the seconds a stretch from start to end touches.
func (bm bitmap) mark(start, end float64) {
	lo := int(math.Floor(start))
	hi := int(math.Ceil(end))
	if hi == lo {
		hi++
	}
	for i := max(lo, 0); i < min(hi, bm.n); i++ {
		bm.b[i/8] |= 1 << (i % 8)
	}
}

func (bm bitmap) any(lo, hi int) bool {
	for i := max(lo, 0); i < min(hi, bm.n); i++ {
		if bm.b[i/8]&(1<<(i%8)) != 0 {
			return true
		}
	}
	return false
}

func (bm bitmap) count() int {
	c := 0
	for _, x := range bm.b {
		c += bits.OnesCount8(x)
	}
	return c
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
