package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/playback"
)

// StatsView is a recording's viewing statistics for those who may edit
// it: headline figures, the drop-off chart (server-rendered SVG with a
// data table as its text alternative) and what each viewer watched.
type StatsView struct {
	Layout
	Session        lectern.Session
	Path           []Crumb
	Views          int64
	UniqueViewers  int64
	MinutesWatched string
	Chart          DropOffChart
	Viewers        []ViewerLine
}

// Breadcrumbs of the statistics page: the session's folders and title.
func (v *StatsView) Breadcrumbs() Breadcrumbs {
	return Breadcrumbs{Path: v.Path, Here: "Viewing statistics"}
}

// ViewerLine is one viewer's row, ready to show.
type ViewerLine struct {
	Name      string
	Watched   string // "3:20 (42 %)"
	Parts     string // "0:00–1:10, 2:30–3:00"
	LeftOffAt string
	LastAt    time.Time
}

// DropOffChart is the drop-off bar chart: one bar per 5 % of the
// recording, as tall as the share of viewers who watched some of it.
type DropOffChart struct {
	Width, Height int
	PlotLeft      int // where the plot area starts and ends, for grid lines
	PlotRight     int
	Bars          []ChartBar
	Ticks         []ChartTick // y axis: 0, 50, 100 %
	Labels        []ChartTick // x axis: start, middle and end of the recording
	Summary       string      // the <desc>: the shape of the chart in words
	Empty         bool        // nobody reported progress yet
}

// ChartBar is one bar and its data-table row.
type ChartBar struct {
	X, Y, W, H int
	Part       string // "0–5 %"
	Span       string // "0:00–0:30"
	Viewers    int
	Percent    int // of the viewers who reported progress
}

// ChartTick is a labelled position on an axis.
type ChartTick struct {
	At     int // pixel position along the axis
	Label  string
	Anchor string // SVG text-anchor: start, middle or end
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH         = 640, 240
	chartLeft, chartBottom = 48, 28
	chartTop, chartRight   = 12, 8
)

// SessionStats serves GET /sessions/{id}/stats. The user needs edit on the
// recording (its owner, the creators of its folder); an admin's look is
// audited and its owner told, as for the recording itself.
func (p *Pages) SessionStats(w http.ResponseWriter, r *http.Request) error {
	if p.cfg.Playback == nil {
		return lectern.Errorf(lectern.ENotFound, "Viewing statistics are not available on this site.")
	}
	a, err := p.actor(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	s, err := p.cfg.Catalog.Session(ctx, a.P, id, a.Addr)
	if err != nil {
		return err
	}
	d, err := p.allowed(ctx, a, lectern.ActionEdit, lectern.SessionResource(id))
	if err != nil {
		return err
	}
	if !d.Allowed {
		return lectern.Errorf(lectern.EForbidden, "Only the people who manage this recording can see its viewing statistics.")
	}
	st, err := p.cfg.Playback.StatsOf(ctx, id)
	if err != nil {
		return err
	}
	viewers, err := p.cfg.Playback.ViewersOf(ctx, id)
	if err != nil {
		return err
	}
	v := &StatsView{Layout: Layout{Title: "Viewing statistics: " + s.Title, Section: "videos"}, Session: s,
		Views: st.Views, UniqueViewers: st.UniqueViewers, MinutesWatched: strconv.FormatFloat(st.MinutesWatched, 'f', -1, 64)}
	if s.FolderID != "" {
		if path, err := p.cfg.Catalog.FolderPath(ctx, a.P, s.FolderID); err == nil {
			for _, f := range path {
				v.Path = append(v.Path, Crumb{ID: f.ID, Name: f.Name})
			}
			v.Section = "folders"
		}
	}
	secs := int(math.Ceil(s.Duration.Seconds()))
	v.Chart = dropOffChart(st.DropOff, secs, len(viewers))
	names := p.names(ctx)
	for _, vw := range viewers {
		name := names.of(vw.UserID)
		if name == "" {
			name = "A former account"
		}
		v.Viewers = append(v.Viewers, ViewerLine{
			Name:      name,
			Watched:   fmt.Sprintf("%s (%d %%)", clock(float64(vw.WatchedSeconds)), int(math.Round(vw.WatchedShare*100))),
			Parts:     parts(vw.Ranges),
			LeftOffAt: clock(vw.PositionSeconds),
			LastAt:    vw.UpdatedAt,
		})
	}
	return p.render(w, r, http.StatusOK, "session_stats", v)
}

// dropOffChart lays out the bars of a drop-off histogram of a recording
// secs long, from reporters viewers' progress.
func dropOffChart(buckets []playback.Bucket, secs, reporters int) DropOffChart {
	c := DropOffChart{Width: chartW, Height: chartH, PlotLeft: chartLeft, PlotRight: chartW - chartRight, Empty: reporters == 0}
	plotW := chartW - chartLeft - chartRight
	plotH := chartH - chartTop - chartBottom
	n := max(len(buckets), 1)
	slot := plotW / n
	for i, b := range buckets {
		h := int(math.Round(b.Share * float64(plotH)))
		lo, hi := i*secs/n, (i+1)*secs/n
		c.Bars = append(c.Bars, ChartBar{
			X: chartLeft + i*slot + 2, W: slot - 4, Y: chartTop + plotH - h, H: h,
			Part:    fmt.Sprintf("%d–%d %%", b.StartPercent, b.StartPercent+100/n),
			Span:    clock(float64(lo)) + "–" + clock(float64(hi)),
			Viewers: b.Viewers, Percent: int(math.Round(b.Share * 100)),
		})
	}
	for _, pct := range []int{0, 50, 100} {
		c.Ticks = append(c.Ticks, ChartTick{At: chartTop + plotH - pct*plotH/100, Label: strconv.Itoa(pct) + " %"})
	}
	for i, frac := range []int{0, 50, 100} {
		c.Labels = append(c.Labels, ChartTick{At: chartLeft + frac*plotW/100, Label: clock(float64(secs * frac / 100)),
			Anchor: []string{"start", "middle", "end"}[i]})
	}
	c.Summary = dropOffSummary(c.Bars, reporters)
	return c
}

// dropOffSummary says in words what the chart shows, for its <desc>.
func dropOffSummary(bars []ChartBar, reporters int) string {
	if reporters == 0 || len(bars) == 0 {
		return "Nobody has watched this recording yet, so every bar is empty."
	}
	first, last := bars[0], bars[len(bars)-1]
	low := bars[0]
	for _, b := range bars {
		if b.Percent < low.Percent {
			low = b
		}
	}
	viewers := "viewer"
	if reporters != 1 {
		viewers = "viewers"
	}
	return fmt.Sprintf("Of %d %s, %d %% watched the opening (%s) and %d %% the last part (%s). The fewest, %d %%, watched %s (%s). The table below lists every part.",
		reporters, viewers, first.Percent, first.Span, last.Percent, last.Span, low.Percent, low.Part, low.Span)
}

// clock formats seconds as m:ss, or h:mm:ss from an hour.
func clock(secs float64) string {
	if secs < 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
		secs = 0
	}
	t := int(secs)
	h, m, s := t/3600, t/60%60, t%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// parts lists watched stretches as "0:00–1:10, 2:30–3:00"; at most ten,
// then how many more.
func parts(ranges [][2]int) string {
	if len(ranges) == 0 {
		return "Nothing yet"
	}
	const most = 10
	var b strings.Builder
	for i, r := range ranges {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(ranges)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(clock(float64(r[0])) + "–" + clock(float64(r[1])))
	}
	return b.String()
}
