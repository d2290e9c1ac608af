package main

import (
	"os"
	"testing"

	"github.com/containerd/log"
	"github.com/stretchr/testify/assert"

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

// The plugin announces exactly the capabilities (remove, tag, prune, history) of the
// SQLite store it serves, in process and as a process, and the host's Client has exactly
// their interfaces.
func TestCapabilities(t *testing.T) {
	want := plugins.CapabilitiesOf((*sqlite.Store)(nil))
	store, err := sqlite.Open(t.TempDir(), sqlite.Options{Usage: plugins.HostUsage()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	for name, c := range map[string]plugins.Client{
		"in-process": plugintest.InProcess(t, store, plugins.Options{}),
		"plugin":     plugintest.Open(t, plugintest.Build(t, "."), plugins.Options{Args: []string{"--data-root", t.TempDir()}}),
	} {
		assert.Equal(t, want, c.Info().Capabilities, name)
		assert.Equal(t, want, plugins.CapabilitiesOf(c), name)
		_, remover := c.(imagesvc.Remover)
		assert.Equal(t, want.Has(plugins.CapRemove), remover, name)
		_, authenticator := c.(imagesvc.RegistryAuthenticator)
		assert.Equal(t, want.Has(plugins.CapLogin), authenticator, name)
		_, distribution := c.(imagesvc.DistributionInspector)
		assert.Equal(t, want.Has(plugins.CapDistribution), distribution, name)
		// Capabilities after the ninth are found with imagesvc.As only.
		_, watcher := imagesvc.As[imagesvc.EventWatcher](c)
		assert.Equal(t, want.Has(plugins.CapEvents), watcher, name)
		_, usager := imagesvc.As[imagesvc.DiskUsager](c)
		assert.Equal(t, want.Has(plugins.CapDiskUsage), usager, name)
		_, preparer := imagesvc.As[imagesvc.RootFSPreparer](c)
		assert.Equal(t, want.Has(plugins.CapRootFS), preparer, name)
	}
	t.Logf("the SQLite store's capabilities: %s", want)
}
