package main

import (
	"os"
	"path/filepath"
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
		h.CountSnapshots(t, func() (int, error) { return store.SnapshotCount() })
		return plugintest.InProcess(t, store, plugins.Options{Usage: h.Usage})
	})
}

// The same suite against this program, launched as a plugin process. Its root filesystem
// group mounts, on this side, the views the plugin prepared under its data root: the
// host reaches the plugin's snapshots at the paths the mounts name (package doc).
func TestConformancePlugin(t *testing.T) {
	bin := plugintest.Build(t, ".")
	imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
		dataRoot := t.TempDir()
		h.CountSnapshots(t, func() (int, error) { return countSnapshots(dataRoot) })
		return plugintest.Open(t, bin, plugins.Options{
			Args: []string{
				"--data-root", dataRoot,
				"--registry-config", h.HostsDir,
				"--platform", imagesvc.FormatPlatform(h.Platform),
				// Counted from outside the process, where spares cannot be told apart.
				"--no-spare-views",
			},
			Usage: h.Usage,
		})
	})
}

// countSnapshots counts the snapshots the plugin's store holds under dataRoot, whichever
// snapshotter it chose (sqlite.Store.SnapshotsDir: snapshots/<name>/snapshots).
func countSnapshots(dataRoot string) (int, error) {
	dirs, err := filepath.Glob(filepath.Join(dataRoot, "snapshots", "*", "snapshots"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, dir := range dirs {
		k, err := countDirs(dir)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

// countDirs counts the subdirectories of dir (0 when it does not exist yet).
func countDirs(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n, nil
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
