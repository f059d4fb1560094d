package web

import (
	"context"
	"math"

	"github.com/lectern-edu/lectern"
)

// SessionMedia is the session page's processing progress and player.
// The page shows the state at the time it was made; player.js and
// progress.js take over in the browser (polling /progress every 2 s while
// the recording is being processed, then starting the player).
type SessionMedia struct {
	Enabled bool // the site serves playback; false in a bare test setup
	// ShowProgress: the recording is uploading, queued or processing.
	ShowProgress bool
	Percent      int    // processing progress, 0..100
	Status       string // what processing is doing, in words
	// Failed is the plain message of a recording that could not be
	// processed.
	Failed string
	// Playable: ready and not archived or in the recycle bin; the player
	// is shown. Otherwise it is in the page but hidden until processing
	// ends.
	Playable bool
	// Unplayable says why a ready recording cannot be played now.
	Unplayable string
	// Stats: the viewer may see the statistics page; StatsSummary are its
	// headline figures, when they could be read.
	Stats        bool
	StatsSummary *StatsSummary
}

// StatsSummary are a session's headline viewing figures.
type StatsSummary struct {
	Views, UniqueViewers int64
	MinutesWatched       float64
}

// stageLabels name the pipeline's stages for people.
var stageLabels = map[string]string{
	"":            "Waiting to start…",
	"probing":     "Checking the file…",
	"transcoding": "Converting for streaming…",
	"stills":      "Making thumbnails…",
	"publishing":  "Finishing…",
	"done":        "Ready.",
}

// processingStatus describes a processing state and stage in words.
func processingStatus(state lectern.Processing, stage string) string {
	switch state {
	case lectern.ProcessingUploading:
		return "Waiting for the upload to finish."
	case lectern.ProcessingQueued:
		return "Queued: processing starts shortly."
	case lectern.ProcessingReady:
		return "Ready."
	case lectern.ProcessingFailed:
		return "Processing failed."
	}
	if l, ok := stageLabels[stage]; ok {
		return l
	}
	return "Processing…"
}

// sessionMedia fills in the session page's media part. Failing to read
// progress or statistics leaves them out rather than failing the page.
func (p *Pages) sessionMedia(ctx context.Context, s lectern.Session, canEdit bool) SessionMedia {
	m := SessionMedia{Enabled: p.cfg.Playback != nil}
	if !m.Enabled || s.Lifecycle == lectern.LifecyclePurged {
		return SessionMedia{}
	}
	switch s.Processing {
	case lectern.ProcessingFailed:
		m.Failed = s.ProcessingError
		if m.Failed == "" {
			m.Failed = "The recording could not be processed. Please upload the original file again."
		}
	case lectern.ProcessingReady:
		switch s.Lifecycle {
		case lectern.LifecycleArchived:
			m.Unplayable = "This recording is archived. It cannot be played until it is restored."
		case lectern.LifecycleRecycled:
			m.Unplayable = "This recording is in the recycle bin. It cannot be played until it is restored."
		default:
			m.Playable = true
		}
	default:
		m.ShowProgress = true
		m.Status = processingStatus(s.Processing, "")
		if p.cfg.Processing != nil {
			if pr, err := p.cfg.Processing.ProgressOf(ctx, s.ID); err == nil {
				m.Percent = int(math.Floor(pr.Fraction * 100))
				m.Status = processingStatus(pr.State, pr.Stage)
			} else {
				p.log.WarnContext(ctx, "processing progress unavailable", "session", s.ID, "err", err)
			}
		}
	}
	m.Stats = canEdit
	if canEdit && s.Processing == lectern.ProcessingReady {
		if st, err := p.cfg.Playback.StatsOf(ctx, s.ID); err == nil {
			m.StatsSummary = &StatsSummary{Views: st.Views, UniqueViewers: st.UniqueViewers, MinutesWatched: st.MinutesWatched}
		} else {
			p.log.WarnContext(ctx, "viewing statistics unavailable", "session", s.ID, "err", err)
		}
	}
	return m
}
