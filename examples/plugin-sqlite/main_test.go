package main

import (
	"os"

	"github.com/containerd/log"
	"testing"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

func TestMain(m *testing.M) {
	// containerd's content store warns on every Open that fsverity is not supported.
	_ = log.SetLevel("error")
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// The SQLite backend passes the conformance suite through the plugin protocol served in
// this process: every value crosses gRPC, the usage provider through the broker.
func TestConformanceInProcess(t *testing.T) {
	imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
		store, err := sqlite.Open(t.TempDir(), sqlite.Options{
			HostsDir: h.HostsDir,
			Platform: h.Platform,
			Usage:    plugins.HostUsage(),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
		return plugintest.InProcess(t, store, plugins.Options{Usage: h.Usage})
	})
}

// The same suite against this program, launched as a plugin process.
func TestConformancePlugin(t *testing.T) {
	bin := plugintest.Build(t, ".")
	imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
		return plugintest.Open(t, bin, plugins.Options{
			Args: []string{
				"--data-root", t.TempDir(),
				"--registry-config", h.HostsDir,
				"--platform", imagesvc.FormatPlatform(h.Platform),
			},
			Usage: h.Usage,
		})
	})
}
