package pull

import (
	"context"
	"io"
	"log/slog"

	clog "github.com/containerd/log"
	"github.com/sirupsen/logrus"
)

// containerd's packages log through containerd/log, a process-wide logrus logger unless
// the context carries one of its own. A library must not write to the host's stderr behind
// its back ("fetch failed" lines from the resolver, a progress stream that ends with the
// pull), so every pull gives containerd a logger of its own that passes the lines to the
// Puller's slog logger, at debug level: what matters to the caller is in the errors.

// withLogger returns ctx with a containerd logger writing to log.
func withLogger(ctx context.Context, log *slog.Logger) context.Context {
	l := logrus.New()
	l.Out = io.Discard
	l.Level = logrus.PanicLevel
	if log.Enabled(ctx, slog.LevelDebug) {
		l.Level = logrus.TraceLevel
		l.AddHook(slogHook{log: log})
	}
	return clog.WithLogger(ctx, logrus.NewEntry(l))
}

// slogHook passes logrus entries to a slog logger, at debug level.
type slogHook struct{ log *slog.Logger }

func (slogHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h slogHook) Fire(e *logrus.Entry) error {
	attrs := make([]any, 0, 2+2*len(e.Data))
	attrs = append(attrs, "containerd_level", e.Level.String())
	for k, v := range e.Data {
		if k == logrus.ErrorKey {
			if err, ok := v.(error); ok {
				v = err.Error()
			}
		}
		attrs = append(attrs, k, v)
	}
	h.log.Debug(e.Message, attrs...)
	return nil
}
