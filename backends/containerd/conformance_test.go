package containerd

import (
	"context"
	"testing"

	"github.com/containerd/containerd/v2/core/snapshots"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
)

// TestConformance runs the conformance suite against a real containerd 2.x and 1.6, each
// subtest in a fresh namespace of one shared daemon.
func TestConformance(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
				s, _ := open(t, v, Options{HostsDir: h.HostsDir, Platform: h.Platform, Usage: h.Usage,
					EventsBuffered: conformanceEventsBuffered})
				h.CountSnapshots(t, func() (int, error) { return countSnapshots(s) })
				h.EventsBuffered(t, conformanceEventsBuffered)
				return s
			})
		})
	}
}

// conformanceEventsBuffered is the watcher buffer of the suite's stores: small, so that
// the EventsSlowWatcher group drops a stuck watcher with a few dozen tags.
const conformanceEventsBuffered = 16

// countSnapshots counts the snapshots of s's namespace in its snapshotter (the daemon is
// shared by the tests: its snapshot directories are not the namespace's alone).
func countSnapshots(s *Store) (int, error) {
	n := 0
	err := s.client.SnapshotService(s.snapshotter).Walk(s.nsContext(context.Background()), func(context.Context, snapshots.Info) error {
		n++
		return nil
	})
	return n, err
}
