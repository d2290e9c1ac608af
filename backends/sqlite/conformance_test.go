package sqlite

import (
	"os"
	"testing"
	"time"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
)

// TestConformance runs the whole imagesvc conformance suite against a fresh store per
// subtest.
func TestConformance(t *testing.T) {
	imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
		s, err := Open(t.TempDir(), Options{HostsDir: h.HostsDir, Platform: h.Platform, Usage: h.Usage})
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
	})
}

// layerAndViewDirs counts the snapshot directories of layers and views: the spare
// views (rootfs.go), prepared in the background to speed up the next prepare, are not
// counted, once none is being prepared.
func layerAndViewDirs(s *Store) (int, error) {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.snaps.mu.Lock()
		filling := len(s.snaps.filling)
		s.snaps.mu.Unlock()
		if filling == 0 || time.Now().After(deadline) {
			break
		}
	}
	n, err := countDirs(s.SnapshotsDir())
	return n - s.snaps.spareCount(), err
}

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
