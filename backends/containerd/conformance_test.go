package containerd

import (
	"testing"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
)

// TestConformance runs the conformance suite against a real containerd 2.x and 1.6, each
// subtest in a fresh namespace of one shared daemon.
func TestConformance(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
				s, _ := open(t, v, Options{HostsDir: h.HostsDir, Platform: h.Platform, Usage: h.Usage})
				return s
			})
		})
	}
}
