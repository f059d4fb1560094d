package upload

import (
	"context"
	"log/slog"

	expslog "golang.org/x/exp/slog"
)

// tusLogger passes tusd's log records (it logs through golang.org/x/exp's
// slog) to Lectern's logger. tusd logs every request and chunk at info
// level; only its warnings and errors are kept.
func tusLogger(log *slog.Logger) *expslog.Logger {
	return expslog.New(&tusHandler{log: log})
}

type tusHandler struct {
	log   *slog.Logger
	attrs []slog.Attr
}

func (h *tusHandler) Enabled(_ context.Context, l expslog.Level) bool {
	return l >= expslog.LevelWarn
}

func (h *tusHandler) Handle(ctx context.Context, r expslog.Record) error {
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a expslog.Attr) bool {
		attrs = append(attrs, slog.Any(a.Key, a.Value.Any()))
		return true
	})
	h.log.LogAttrs(ctx, slog.Level(r.Level), "tus: "+r.Message, attrs...)
	return nil
}

func (h *tusHandler) WithAttrs(as []expslog.Attr) expslog.Handler {
	n := &tusHandler{log: h.log, attrs: append([]slog.Attr(nil), h.attrs...)}
	for _, a := range as {
		n.attrs = append(n.attrs, slog.Any(a.Key, a.Value.Any()))
	}
	return n
}

func (h *tusHandler) WithGroup(string) expslog.Handler { return h }
