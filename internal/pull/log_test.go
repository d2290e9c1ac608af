package pull

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// recorder is a slog handler that keeps the records it is given.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// TestContainerdLogsGoToTheLogger checks that what containerd's resolver logs during a
// pull (an unknown tag: "fetch failed" and the like) reaches the Puller's logger at debug
// level, and nothing of it containerd's process-wide logger.
func TestContainerdLogsGoToTheLogger(t *testing.T) {
	var global bytes.Buffer
	std := logrus.StandardLogger()
	out, level := std.Out, std.Level
	std.SetOutput(&global)
	std.SetLevel(logrus.TraceLevel)
	t.Cleanup(func() { std.SetOutput(out); std.SetLevel(level) })

	rec := &recorder{}
	f := newFixture(t, testregistry.Options{}, Options{Logger: slog.New(rec)})
	img, err := testimages.DockerSchema2(testimages.Config{})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))
	_, _, err = f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/app:v2")})
	require.Error(t, err)
	_, _, err = f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/app:v1")})
	require.NoError(t, err)

	// (Set-up lines that are not the pull's, such as the content store's, may be there.)
	assert.NotContains(t, global.String(), f.reg.Host(), "containerd's process-wide logger")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	fromContainerd := 0
	for _, r := range rec.records {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "source" && a.Value.String() == "containerd" {
				fromContainerd++
				assert.Equal(t, slog.LevelDebug, r.Level, "%s", r.Message)
			}
			return true
		})
	}
	assert.Positive(t, fromContainerd, "containerd's lines reach the Puller's logger")
}
