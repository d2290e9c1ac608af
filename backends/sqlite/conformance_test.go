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
	imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
		s, err := Open(t.TempDir(), Options{HostsDir: h.HostsDir, Platform: h.Platform, Usage: h.Usage,
			EventsBuffered: conformanceEventsBuffered})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		h.CountSnapshots(t, func() (int, error) { return layerAndViewDirs(s) })
		h.EventsBuffered(t, conformanceEventsBuffered)
		return s
	})
}

// TestConformanceRootFSNativeLazy runs the suite's RootFS group on the native
// snapshotter with lazy unpacking, the store of a machine without overlayfs or of a user
// other than root: containerd applies every layer on a mount of the whole root (not in an
// overlay's upper directory), and a hostile layer is refused by the prepare, not the pull.
func TestConformanceRootFSNativeLazy(t *testing.T) {
	imagesvctest.RunConformanceGroups(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
		s, err := Open(t.TempDir(), Options{HostsDir: h.HostsDir, Platform: h.Platform, Usage: h.Usage,
			Snapshotter: SnapshotterNative, LazyUnpack: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		h.CountSnapshots(t, func() (int, error) { return layerAndViewDirs(s) })
		return s
	}, "RootFS")
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
