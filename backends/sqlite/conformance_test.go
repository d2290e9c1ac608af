package sqlite

import (
	"os"
	"testing"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
)

// TestConformance runs the whole imagesvc conformance suite against a fresh store per
// subtest.
func TestConformance(t *testing.T) {
	imagesvctest.RunConformance(t, conformanceFactory(Options{EventsBuffered: conformanceEventsBuffered}))
}

// TestConformanceRootFSNativeLazy runs the suite's RootFS group on the native
// snapshotter with lazy unpacking, the store of a machine without overlayfs or of a user
// other than root: containerd applies every layer on a mount of the whole root (not in an
// overlay's upper directory), and a hostile layer is refused by the prepare, not the pull.
func TestConformanceRootFSNativeLazy(t *testing.T) {
	imagesvctest.RunConformanceGroups(t, conformanceFactory(Options{Snapshotter: SnapshotterNative, LazyUnpack: true}), "RootFS")
}

// conformanceFactory opens a store with opts and the harness's registry, platform and
// usage, in a directory of the test, closed when it ends.
func conformanceFactory(opts Options) imagesvctest.Factory {
	return func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
		opts.HostsDir, opts.Platform, opts.Usage = h.HostsDir, h.Platform, h.Usage
		s, err := Open(t.TempDir(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		h.CountSnapshots(t, func() (int, error) { return layerAndViewDirs(s) })
		if opts.EventsBuffered > 0 {
			h.EventsBuffered(t, opts.EventsBuffered)
		}
		return s
	}
}

// conformanceEventsBuffered is the watcher buffer of the suite's stores: small, so that
// the EventsSlowWatcher group drops a stuck watcher with a few dozen tags.
const conformanceEventsBuffered = 16

// layerAndViewDirs counts the snapshot directories of layers and views
// ([Store.SnapshotCount]: the spares are not counted).
func layerAndViewDirs(s *Store) (int, error) { return s.SnapshotCount() }

// countDirs counts the subdirectories of dir (0 when it does not exist yet).
func countDirs(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n, err
}
