package sqlite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/containerdtest"
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

// BenchmarkUnpack200MB unpacks the 200 MB image of 8 layers of 25 MB into overlayfs
// snapshotters, in the same run, two ways, alternating (rotating order, so that the load
// of the machine weighs on both alike):
//
//   - sqlite: the store's first PrepareRootFS of the image pulled lazily beforehand,
//     which applies every layer with containerd's applier into the embedded snapshotter
//     (only the prepare is timed);
//   - ctr: containerd 2.x's own unpack: `ctr content fetch` of the image (not timed),
//     then `ctr images pull` of it with its content present, which the daemon's
//     transfer service only unpacks into its overlayfs snapshotter (timed; it includes
//     ctr's start and the resolve of the tag on the registry, a few ms).
//
// It reports the mean wall time of each (sqlite-s/op, ctr-s/op), their ratio
// (sqlite/ctr, goal ≤ 1.1) and the store's MB/s of compressed layers.
func BenchmarkUnpack200MB(b *testing.B) {
	hosts, name := benchRootFSImage(b, 8, 25<<20)
	d := containerdtest.Start(b, containerdtest.Options{Version: containerdtest.Version2})
	ctr, err := containerdtest.BuildCtr()
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.New(d.Address())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var size int64
	ours := func() time.Duration {
		s, img := benchRootFSStore(b, hosts, name)
		defer func() {
			s.Close()
			os.RemoveAll(s.root)
		}()
		size = 0
		for _, l := range img.Layers {
			size += l.Size
		}
		start := time.Now()
		if _, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "bench", Image: img}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	n := 0
	theirs := func() time.Duration {
		ns := fmt.Sprintf("bench-unpack-%d", n)
		run := func(args ...string) {
			all := append([]string{"--address", d.Address(), "--namespace", ns}, args...)
			if out, err := exec.Command(ctr, all...).CombinedOutput(); err != nil {
				b.Fatalf("ctr %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		run("content", "fetch", "--plain-http", name)
		start := time.Now()
		run("images", "pull", "--plain-http", "--snapshotter", d.Snapshotter(), name)
		elapsed := time.Since(start)
		nctx := namespaces.WithNamespace(ctx, ns)
		if err := c.ImageService().Delete(nctx, name, images.SynchronousDelete()); err != nil {
			b.Fatal(err)
		}
		// The next iteration unpacks again: no snapshot is left.
		left := 0
		if err := c.SnapshotService(d.Snapshotter()).Walk(nctx, func(context.Context, snapshots.Info) error {
			left++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if left > 0 {
			b.Fatalf("%d snapshots left in containerd after the image was deleted", left)
		}
		return elapsed
	}
	if d.Snapshotter() != SnapshotterOverlay {
		b.Logf("containerd's snapshotter is %s", d.Snapshotter())
	}
	var times [2]time.Duration
	runs := []func() time.Duration{ours, theirs}
	for b.Loop() {
		b.StopTimer()
		for k := range runs {
			i := (n + k) % len(runs)
			times[i] += runs[i]()
		}
		n++
		b.StartTimer()
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(times[0].Seconds()/float64(n), "sqlite-s/op")
	b.ReportMetric(times[1].Seconds()/float64(n), "ctr-s/op")
	b.ReportMetric(times[0].Seconds()/times[1].Seconds(), "sqlite/ctr")
	b.ReportMetric(float64(size)*float64(n)/1e6/times[0].Seconds(), "MB/s")
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
