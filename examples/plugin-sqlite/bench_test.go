package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// The cost of the process boundary with the real backend: the same SQLite catalog listed
// and inspected in process and through this plugin. Run with
//
//	go test -run '^$' -bench 'ListPlugin10k|InspectPlugin' -benchtime 20x -count 5 ./examples/plugin-sqlite
//
// The catalog is seeded by importing small images through the public API (backends/sqlite
// has no exported bulk loader), which takes a minute or two for 10,000 images; it is kept
// in the system's temporary directory (imageapi-plugin-bench-10000) for later runs.

const benchImages = 10_000

var catalog struct {
	once sync.Once
	dir  string
	err  error
}

// seededRoot returns a store root holding benchImages images, each with one tag and two
// labels, seeded once per test binary.
func seededRoot(b testing.TB) string {
	b.Helper()
	catalog.once.Do(func() {
		catalog.dir = filepath.Join(os.TempDir(), fmt.Sprintf("imageapi-plugin-bench-%d", benchImages))
		done := filepath.Join(catalog.dir, "seeded")
		if _, err := os.Stat(done); err == nil {
			return
		}
		if catalog.err = os.RemoveAll(catalog.dir); catalog.err != nil {
			return
		}
		if catalog.err = seed(filepath.Join(catalog.dir, "root"), benchImages); catalog.err != nil {
			return
		}
		catalog.err = os.WriteFile(done, nil, 0o644)
	})
	if catalog.err != nil {
		b.Fatal(catalog.err)
	}
	return filepath.Join(catalog.dir, "root")
}

func seed(root string, n int) error {
	start := time.Now()
	store, err := sqlite.Open(root, sqlite.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	var g errgroup.Group
	g.SetLimit(4)
	for i := range n {
		g.Go(func() error {
			ref, err := imagesvc.ParseImportReference(fmt.Sprintf("example.com/r%05d/app", i), "v1")
			if err != nil {
				return err
			}
			changes, err := imagesvc.ParseChanges([]string{
				fmt.Sprintf("LABEL com.example.quarter=%d org.opencontainers.image.source=https://example.com/src", i%4),
				`CMD ["/bin/sh"]`,
			})
			if err != nil {
				return err
			}
			_, err = store.Import(context.Background(), imagesvc.ImportRequest{
				Source: bytes.NewReader(rootfs(i)), Ref: ref, Changes: changes, Message: "Imported from -",
			}, nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d images in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

func rootfs(i int) []byte {
	return testimages.Tar([]testimages.File{{Name: "etc/image", Data: []byte(fmt.Sprintf("image %d\n", i))}})
}

// openPair opens the seeded catalog twice: in process, on a copy, and through this plugin,
// on the catalog itself or, when the benchmark writes (writes), on a copy of its own. Both
// are closed when b ends.
func openPair(b *testing.B, writes bool) (*sqlite.Store, plugins.Client) {
	b.Helper()
	root := seededRoot(b)
	copyOf := func(name string) string {
		dst := filepath.Join(b.TempDir(), name)
		if out, err := exec.Command("cp", "-a", root, dst).CombinedOutput(); err != nil {
			b.Fatalf("copying the catalog: %v\n%s", err, out)
		}
		return dst
	}
	store, err := sqlite.Open(copyOf("in-process"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	pluginRoot := root
	if writes {
		pluginRoot = copyOf("plugin")
	}
	c := plugintest.Open(b, plugintest.Build(b, "."), plugins.Options{Args: []string{"--data-root", pluginRoot}})
	return store, c
}

// BenchmarkListPlugin10k lists 10,000 images in process and through the plugin, and
// reports both times and their ratio (plugin/in-process; the target is 2 or less). Each
// iteration makes five calls in process, then five through the plugin, so that changes in
// the load of the machine weigh on both alike while each path mostly pays for its own
// garbage collection. The two stores are copies of one catalog. Nothing is written
// meanwhile: the store answers from its caches, and the host from its own (the plugin
// tells it that the catalog has not changed). BenchmarkListPlugin10kAfterWrite measures
// lists that cross in full.
func BenchmarkListPlugin10k(b *testing.B) {
	store, c := openPair(b, false)

	ctx := context.Background()
	list := func(svc imagesvc.Lister) time.Duration {
		start := time.Now()
		sums, err := svc.List(ctx, imagesvc.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(sums) != benchImages {
			b.Fatalf("listed %d images", len(sums))
		}
		return time.Since(start)
	}
	list(store) // fill the backends' caches
	list(c)
	const block = 5
	var inProcess, plugin time.Duration
	b.ResetTimer()
	for b.Loop() {
		for range block {
			inProcess += list(store)
		}
		for range block {
			plugin += list(c)
		}
	}
	n := float64(b.N * block)
	b.ReportMetric(float64(inProcess.Microseconds())/n/1e3, "ms-in-process")
	b.ReportMetric(float64(plugin.Microseconds())/n/1e3, "ms-plugin")
	b.ReportMetric(float64(plugin)/float64(inProcess), "x-in-process")
}

// BenchmarkListPlugin10kAfterWrite lists 10,000 images and more right after a write (an
// import of one small image, not timed, into each of two copies of the catalog), in
// process and through the plugin: the store lists again from the catalog, and the whole
// list crosses the process boundary.
func BenchmarkListPlugin10kAfterWrite(b *testing.B) {
	store, c := openPair(b, true)

	ctx := context.Background()
	images := benchImages
	write := func(svc imagesvc.Creator) {
		ref, err := imagesvc.ParseImportReference(fmt.Sprintf("example.com/written/app%d", images), "v1")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Import(ctx, imagesvc.ImportRequest{Source: bytes.NewReader(rootfs(images)), Ref: ref}, nil); err != nil {
			b.Fatal(err)
		}
	}
	list := func(svc imagesvc.Lister) time.Duration {
		start := time.Now()
		sums, err := svc.List(ctx, imagesvc.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(sums) != images {
			b.Fatalf("listed %d images, want %d", len(sums), images)
		}
		return time.Since(start)
	}
	list(store) // load the catalog's entries
	list(c)
	var inProcess, plugin time.Duration
	b.ResetTimer()
	for b.Loop() {
		write(store)
		write(c)
		images++
		inProcess += list(store)
		plugin += list(c)
	}
	n := float64(b.N)
	b.ReportMetric(float64(inProcess.Microseconds())/n/1e3, "ms-in-process")
	b.ReportMetric(float64(plugin.Microseconds())/n/1e3, "ms-plugin")
	b.ReportMetric(float64(plugin)/float64(inProcess), "x-in-process")
}

// BenchmarkListLoopback10k lists through the protocol served in this process (no process
// boundary, no TLS), for profiling both sides at once.
func BenchmarkListLoopback10k(b *testing.B) {
	root := seededRoot(b)
	store, err := sqlite.Open(root, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	benchList(b, plugintest.InProcess(b, store, plugins.Options{}))
}

// BenchmarkInspectPlugin inspects one image by name among 10,000, in process and through
// the plugin in turns, and reports the difference: the per-call cost of the process
// boundary.
func BenchmarkInspectPlugin(b *testing.B) {
	store, c := openPair(b, false)

	ctx := context.Background()
	ref, err := imagesvc.ParseImageRef("example.com/r00042/app:v1")
	if err != nil {
		b.Fatal(err)
	}
	inspect := func(svc imagesvc.Inspector) time.Duration {
		start := time.Now()
		if _, err := svc.Inspect(ctx, ref, imagesvc.InspectOptions{}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	inspect(store)
	inspect(c)
	const block = 5
	var inProcess, plugin time.Duration
	b.ResetTimer()
	for b.Loop() {
		for range block {
			inProcess += inspect(store)
		}
		for range block {
			plugin += inspect(c)
		}
	}
	n := float64(b.N * block)
	b.ReportMetric(float64(inProcess.Microseconds())/n, "µs-in-process")
	b.ReportMetric(float64(plugin.Microseconds())/n, "µs-plugin")
	b.ReportMetric(float64((plugin-inProcess).Microseconds())/n, "µs-overhead")
}

// benchList lists after one warm-up list (which fills the backend's cache).
func benchList(b *testing.B, svc imagesvc.Lister) {
	b.Helper()
	ctx := context.Background()
	if _, err := svc.List(ctx, imagesvc.ListOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sums, err := svc.List(ctx, imagesvc.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(sums) != benchImages {
			b.Fatalf("listed %d images", len(sums))
		}
	}
}
