package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// benchRootFSStore pulls the image of layers×layerSize bytes lazily into a fresh store and
// resolves it.
func benchRootFSStore(b *testing.B, hosts, name string) (*Store, imagesvc.RuntimeImage) {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "store"), Options{HostsDir: hosts, LazyUnpack: true, Concurrency: 8})
	if err != nil {
		b.Fatal(err)
	}
	ref, err := imagesvc.ParsePullReference(name, "", "")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil); err != nil {
		b.Fatal(err)
	}
	iref, _ := imagesvc.ParseImageRef(name)
	img, err := s.ResolveRuntimeImage(context.Background(), iref, nil)
	if err != nil {
		b.Fatal(err)
	}
	return s, img
}

func benchRootFSImage(b *testing.B, layers int, layerSize int64) (hosts, name string) {
	b.Helper()
	sizes := make([]int64, layers)
	for i := range sizes {
		sizes[i] = layerSize
	}
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: sizes, Seed: 200})
	if err != nil {
		b.Fatal(err)
	}
	reg := testregistry.New(b, testregistry.Options{})
	if err := reg.Put("bench/big", "latest", img); err != nil {
		b.Fatal(err)
	}
	hosts = filepath.Join(b.TempDir(), "hosts")
	if err := reg.WriteHostsDir(hosts); err != nil {
		b.Fatal(err)
	}
	return hosts, reg.Host() + "/bench/big:latest"
}

// BenchmarkUnpack200MB unpacks the 200 MB image of 8 layers of 25 MB (pulled beforehand,
// lazily) into the store's snapshotter: the first PrepareRootFS, which applies every layer
// with containerd's applier. It reports MB/s of compressed layers.
func BenchmarkUnpack200MB(b *testing.B) {
	hosts, name := benchRootFSImage(b, 8, 25<<20)
	var total time.Duration
	var size int64
	for b.Loop() {
		b.StopTimer()
		s, img := benchRootFSStore(b, hosts, name)
		size = 0
		for _, l := range img.Layers {
			size += l.Size
		}
		b.StartTimer()
		start := time.Now()
		if _, err := s.PrepareRootFS(context.Background(), imagesvc.PrepareRequest{Key: "bench", Image: img}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(size)*float64(b.N)/1e6/total.Seconds(), "MB/s")
}

// BenchmarkPrepareView prepares (and removes) a writable view of an image whose layers
// are unpacked already: what container start latency sees. Target: ≤ 5 ms. "spare": the
// view takes the spare snapshot prepared in the background after the previous prepare
// (the case of a host starting containers one after another); "noSpare": a second
// prepare right after another, before the spare is refilled, which prepares its
// snapshot in the snapshotter (its metadata commit: two fsyncs).
func BenchmarkPrepareView(b *testing.B) {
	hosts, name := benchRootFSImage(b, 4, 64<<10)
	s, img := benchRootFSStore(b, hosts, name)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "warm", Image: img}); err != nil {
		b.Fatal(err)
	}
	i := 0
	prepare := func(b *testing.B) string {
		key := fmt.Sprintf("view-%d", i)
		i++
		if _, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: key, Image: img}); err != nil {
			b.Fatal(err)
		}
		return key
	}
	remove := func(b *testing.B, key string) {
		if err := s.RemoveRootFS(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
	for _, spare := range []bool{true, false} {
		name := "spare"
		if !spare {
			name = "noSpare"
		}
		b.Run(name, func(b *testing.B) {
			var prep time.Duration
			for b.Loop() {
				b.StopTimer()
				// RemoveRootFS waits for the spare being prepared (the collector's lock).
				var first string
				if !spare {
					first = prepare(b) // takes the spare; the next one finds none
				}
				b.StartTimer()
				start := time.Now()
				key := prepare(b)
				prep += time.Since(start)
				b.StopTimer()
				remove(b, key)
				if first != "" {
					remove(b, first)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(prep.Microseconds())/float64(b.N)/1000, "ms/prepare")
		})
	}
}
