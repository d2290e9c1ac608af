package sqlite

import (
	"testing"

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
		return s
	})
}
