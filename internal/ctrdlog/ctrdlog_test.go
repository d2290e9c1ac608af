package ctrdlog

import (
	"bytes"
	"log/slog"
	"testing"

	clog "github.com/containerd/log"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
)

func TestRoutePath(t *testing.T) {
	std := logrus.StandardLogger()
	var stderr bytes.Buffer
	out := std.Out
	std.SetOutput(&stderr)
	t.Cleanup(func() { std.SetOutput(out) })

	var routed bytes.Buffer
	log := slog.New(slog.NewTextHandler(&routed, &slog.HandlerOptions{Level: slog.LevelDebug}))
	stop := RoutePath("/var/lib/store/content", log)

	clog.L.WithField("path", "/var/lib/store/content").WithField("error", "enable fsverity failed").Warn("failed check for fsverity support")
	assert.Empty(t, stderr.String(), "a routed line is not printed")
	assert.Contains(t, routed.String(), `level=DEBUG msg="failed check for fsverity support" source=containerd level=warning error="enable fsverity failed" path=/var/lib/store/content`)

	clog.L.WithField("path", "/elsewhere").Warn("about another path")
	assert.Contains(t, stderr.String(), "about another path", "lines about other paths are printed as before")
	clog.L.Info("no path")
	assert.Contains(t, stderr.String(), "no path")

	stop()
	routed.Reset()
	clog.L.WithField("path", "/var/lib/store/content").Warn("after stop")
	assert.Contains(t, stderr.String(), "after stop", "routing ends with stop")
	assert.Empty(t, routed.String())
}
