package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// The cost of the process boundary with the real backend: the same SQLite catalog listed
// and inspected in process and through this plugin. Run with
//
//	go test -run '^$' -bench . -benchtime 100x ./examples/plugin-sqlite
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
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	data := []byte(fmt.Sprintf("image %d\n", i))
	_ = tw.WriteHeader(&tar.Header{Name: "etc/image", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	_, _ = tw.Write(data)
	_ = tw.Close()
	return buf.Bytes()
}

// BenchmarkListPlugin10k lists 10,000 images in process and through the plugin; the
// ratio (plugin/in-process) is reported on the plugin's line. Target: 2 or less.
func BenchmarkListPlugin10k(b *testing.B) {
	root := seededRoot(b)
	var inProcess float64
	b.Run("InProcess", func(b *testing.B) {
		store, err := sqlite.Open(root, sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		inProcess = benchList(b, store)
	})
	b.Run("Plugin", func(b *testing.B) {
		c := plugintest.Open(b, pluginBinary(b), plugins.Options{Args: []string{"--data-root", root}})
		perOp := benchList(b, c)
		if inProcess > 0 {
			b.ReportMetric(perOp/inProcess, "x-in-process")
		}
		_ = c.Close()
	})
}

func pluginBinary(b *testing.B) string {
	b.Helper()
	return plugintest.Build(b, ".")
}

// benchList lists after one warm-up list (which fills the backend's cache) and returns
// the mean time of one list in nanoseconds.
func benchList(b *testing.B, svc imagesvc.Lister) float64 {
	b.Helper()
	ctx := context.Background()
	if _, err := svc.List(ctx, imagesvc.ListOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		sums, err := svc.List(ctx, imagesvc.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(sums) != benchImages {
			b.Fatalf("listed %d images", len(sums))
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(b.N)
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
// the plugin; the difference is the per-call cost of the process boundary.
func BenchmarkInspectPlugin(b *testing.B) {
	root := seededRoot(b)
	var inProcess float64
	b.Run("InProcess", func(b *testing.B) {
		store, err := sqlite.Open(root, sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		inProcess = benchInspect(b, store)
	})
	b.Run("Plugin", func(b *testing.B) {
		c := plugintest.Open(b, pluginBinary(b), plugins.Options{Args: []string{"--data-root", root}})
		perOp := benchInspect(b, c)
		if inProcess > 0 {
			b.ReportMetric((perOp-inProcess)/1e3, "µs-overhead/op")
		}
		_ = c.Close()
	})
}

func benchInspect(b *testing.B, svc imagesvc.Inspector) float64 {
	b.Helper()
	ctx := context.Background()
	ref, err := imagesvc.ParseImageRef("example.com/r00042/app:v1")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Inspect(ctx, ref, imagesvc.InspectOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := svc.Inspect(ctx, ref, imagesvc.InspectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(b.N)
}
