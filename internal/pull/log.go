package pull

import (
	"context"
	"io"
	"log/slog"

	clog "github.com/containerd/log"
	"github.com/sirupsen/logrus"
	logrusslog "github.com/sirupsen/logrus/hooks/slog"
)

// containerd's packages log through containerd/log, a process-wide logrus logger unless
// the context carries one of its own. A library must not write to the host's stderr behind
// its back ("fetch failed" lines from the resolver, a progress stream that ends with the
// pull), so every pull gives containerd a logger of its own that passes the lines to the
// Puller's slog logger, at debug level: what matters to the caller is in the errors.

// withLogger returns ctx with a containerd logger writing to log, through logrus's own
// slog hook, every containerd level mapped to debug, with the attribute
// source=containerd.
func withLogger(ctx context.Context, log *slog.Logger) context.Context {
	l := logrus.New()
	l.Out = io.Discard
	l.Level = logrus.PanicLevel
	if log.Enabled(ctx, slog.LevelDebug) {
		l.Level = logrus.TraceLevel
		l.AddHook(logrusslog.NewHook(log, &logrusslog.HookOptions{
			LevelMapper: func(logrus.Level) slog.Level { return slog.LevelDebug },
		}))
	}
	return clog.WithLogger(ctx, logrus.NewEntry(l).WithField("source", "containerd"))
}
