// Package ctrdlog routes lines that containerd's libraries write through their
// process-wide logger (containerd/log's L, logrus's standard logger) to the slog logger
// of the component they concern, so that a library linked into a host does not print to
// the host's stderr in a format of its own.
//
// containerd's packages log through the logger a context carries when they have one (the
// pull path gives them one: internal/pull), and through the process-wide logger when they
// have none, as content/local does when it checks fsverity support while a store is
// opened ("failed check for fsverity support", a warning on every file system without
// fsverity). Such lines name what they concern with a path field; [RoutePath] sends the
// lines about one path to one logger, at debug level, for as long as it is registered.
// Every other line is written as before, with the host's formatter.
package ctrdlog

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/sirupsen/logrus"
)

var (
	install sync.Once
	routes  sync.Map // path (string) -> *slog.Logger
)

// RoutePath sends to log, at debug level and with the attribute source=containerd, the
// lines containerd writes through its process-wide logger with the field path=root, until
// stop is called. Registering the same root twice replaces the first logger.
//
// The first call wraps the formatter of logrus's standard logger: lines not routed are
// formatted by the formatter it had. A host that sets another formatter afterwards ends
// the routing (the lines are then printed as containerd prints them).
func RoutePath(root string, log *slog.Logger) (stop func()) {
	install.Do(func() {
		std := logrus.StandardLogger()
		std.SetFormatter(&formatter{inner: std.Formatter})
	})
	routes.Store(root, log)
	return func() { routes.CompareAndDelete(root, log) }
}

// formatter formats the lines that are not routed with inner, and sends the others to
// their logger, writing nothing.
type formatter struct {
	inner logrus.Formatter
}

// Format implements logrus.Formatter.
func (f *formatter) Format(e *logrus.Entry) ([]byte, error) {
	if p, ok := e.Data["path"].(string); ok {
		if l, ok := routes.Load(p); ok {
			log := l.(*slog.Logger)
			attrs := make([]any, 0, 2*len(e.Data)+2)
			attrs = append(attrs, "source", "containerd", "level", e.Level.String())
			keys := make([]string, 0, len(e.Data))
			for k := range e.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				attrs = append(attrs, k, fmt.Sprint(e.Data[k]))
			}
			log.Debug(e.Message, attrs...)
			return nil, nil
		}
	}
	return f.inner.Format(e)
}
