package pipeline

import (
	"context"
	"time"
)

// Stages and the share of the whole each takes: encoding dominates.
const (
	stageProbing     = "probing"
	stageTranscoding = "transcoding"
	stageStills      = "stills"
	stagePublishing  = "publishing"
)

var stageSpan = map[string][2]float64{
	stageProbing:     {0, 0.05},
	stageTranscoding: {0.05, 0.85},
	stageStills:      {0.85, 0.92},
	stagePublishing:  {0.92, 0.99},
}

// progress writes one session's progress, at most once per interval
// unless the stage changes. A failed write is logged, never fatal.
type progress struct {
	s         *Service
	id        string
	lastAt    time.Time
	lastStage string
	last      float64
}

func (s *Service) newProgress(id string) *progress { return &progress{s: s, id: id} }

// set records that stage is done to fraction f (0..1).
func (p *progress) set(ctx context.Context, stage string, f float64) {
	span := stageSpan[stage]
	v := span[0] + (span[1]-span[0])*min(max(f, 0), 1)
	now := p.s.now()
	if stage == p.lastStage && (v <= p.last || now.Sub(p.lastAt) < p.s.every) && f < 1 {
		return
	}
	if err := p.s.db.SetMediaProgress(ctx, p.id, v, stage, now); err != nil {
		p.s.log.WarnContext(ctx, "could not record processing progress", "session", p.id, "err", err)
		return
	}
	p.lastAt, p.lastStage, p.last = now, stage, v
}
