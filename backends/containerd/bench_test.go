package containerd

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	client "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// callCounter counts the gRPC calls (unary and streams) a client makes.
type callCounter struct{ n atomic.Int64 }

func (c *callCounter) dialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			c.n.Add(1)
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			c.n.Add(1)
			return streamer(ctx, desc, cc, method, opts...)
		}),
	}
}

// seedImages writes n single-platform images (each its own config and one small layer of
// its own) straight into the namespace with containerd's client: the blobs with
// containerd's GC labels, the layer unpacked into the snapshotter, then the record. It is
// the fastest way to a realistic store of many images; it does not go through the Store.
func seedImages(tb testing.TB, d *containerdtest.Daemon, ns string, n int) {
	tb.Helper()
	c, err := client.New(d.Address())
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	ctx := namespaces.WithNamespace(context.Background(), ns)
	ctx, done, err := c.WithLease(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer done(context.WithoutCancel(ctx))
	cs := c.ContentStore()
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			img, err := testimages.OCIManifest(testimages.Config{
				Created: base.Add(time.Duration(i) * time.Minute),
				Labels:  map[string]string{"com.example.seed": fmt.Sprint(i)},
				Layers:  [][]testimages.File{{{Name: fmt.Sprintf("data/%d", i), Data: bytes.Repeat([]byte{byte(i)}, 512)}}},
			})
			if err != nil {
				return err
			}
			man, _, err := img.Manifest(img.Descriptor.Digest)
			if err != nil {
				return err
			}
			for _, dg := range img.Digests() {
				b := img.Blobs[dg]
				var opts []content.Opt
				if dg == img.Descriptor.Digest {
					opts = append(opts, content.WithLabels(map[string]string{
						"containerd.io/gc.ref.content.config": man.Config.Digest.String(),
						"containerd.io/gc.ref.content.l.0":    man.Layers[0].Digest.String(),
					}))
				}
				if err := content.WriteBlob(gctx, cs, "seed-"+dg.String(), bytes.NewReader(b.Data), b.Descriptor, opts...); err != nil && !errdefs.IsAlreadyExists(err) {
					return err
				}
			}
			name := fmt.Sprintf("docker.io/library/seed-%04d:latest", i)
			rec := images.Image{Name: name, Target: img.Descriptor}
			if os.Getenv("SEED_NOUNPACK") == "" {
				if err := client.NewImageWithPlatform(c, rec, platforms.All).Unpack(gctx, d.Snapshotter()); err != nil {
					return err
				}
			}
			_, err = c.ImageService().Create(gctx, rec)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		tb.Fatal(err)
	}
}

// The seeded namespaces of this test binary, by size, on the 2.x daemon.
var seeded struct {
	mu  sync.Mutex
	nss map[int]string
}

func seededNamespace(tb testing.TB, n int) (string, *containerdtest.Daemon) {
	tb.Helper()
	d := containerdtest.Shared(tb, containerdtest.Options{Version: containerdtest.Version2})
	seeded.mu.Lock()
	defer seeded.mu.Unlock()
	if ns, ok := seeded.nss[n]; ok {
		return ns, d
	}
	ns := fmt.Sprintf("seeded-%d", n)
	start := time.Now()
	seedImages(tb, d, ns, n)
	tb.Logf("seeded %d images in %v", n, time.Since(start).Round(time.Millisecond))
	if seeded.nss == nil {
		seeded.nss = map[int]string{}
	}
	seeded.nss[n] = ns
	return ns, d
}

// TestWarmListCalls checks the cost of a warm List: at most two containerd calls (in
// fact one: the barrier that syncs the cache with the events), whatever the number of
// images, and that the cache answers the same as a cold List.
func TestWarmListCalls(t *testing.T) {
	const n = 200
	ns, d := seededNamespace(t, n)
	var calls callCounter
	s, _ := open(t, containerdtest.Version2, Options{Namespace: ns, DialOptions: calls.dialOptions()})
	ctx := context.Background()
	opts := imagesvc.ListOptions{Manifests: true, SharedSize: true}
	cold, err := s.List(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(cold) != n {
		t.Fatalf("listed %d images, want %d", len(cold), n)
	}
	for i := range 3 {
		before := calls.n.Load()
		warm, err := s.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := calls.n.Load() - before; got > 2 {
			t.Errorf("warm list %d made %d containerd calls, want at most 2", i, got)
		}
		if len(warm) != n {
			t.Fatalf("warm list: %d images, want %d", len(warm), n)
		}
		for j := range warm {
			if warm[j].ID != cold[j].ID || warm[j].Size != cold[j].Size || warm[j].SharedSize != cold[j].SharedSize ||
				warm[j].Manifests[0].ImageData.Unpacked != cold[j].Manifests[0].ImageData.Unpacked {
				t.Fatalf("warm list differs from the cold one at %d: %+v vs %+v", j, warm[j], cold[j])
			}
		}
	}
	if cold[0].Manifests[0].ImageData.Unpacked == 0 {
		t.Error("seeded images are unpacked")
	}
	_ = d
}

// BenchmarkList measures List over 1,000 images: warm (the cache filled, the figure the
// issue bounds at 10 ms and 2 calls) and cold (a new Store's first List).
func BenchmarkList(b *testing.B) {
	const n = 1000
	ns, d := seededNamespace(b, n)
	ctx := context.Background()
	b.Run("warm", func(b *testing.B) {
		var calls callCounter
		s, _ := open(b, containerdtest.Version2, Options{Namespace: ns, DialOptions: calls.dialOptions()})
		if _, err := s.List(ctx, imagesvc.ListOptions{}); err != nil {
			b.Fatal(err)
		}
		before := calls.n.Load()
		b.ResetTimer()
		for b.Loop() {
			sums, err := s.List(ctx, imagesvc.ListOptions{})
			if err != nil || len(sums) != n {
				b.Fatalf("List: %d images, %v", len(sums), err)
			}
		}
		b.ReportMetric(float64(calls.n.Load()-before)/float64(b.N), "calls/op")
	})
	b.Run("http-304", func(b *testing.B) {
		// GET /images/json with the If-None-Match of the last answer, through the HTTP
		// adapter in process: ListVersion's barrier, no list.
		var calls callCounter
		s, _ := open(b, containerdtest.Version2, Options{Namespace: ns, DialOptions: calls.dialOptions()})
		h := httpadapter.New(s, httpadapter.Options{})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1.54/images/json", nil))
		etag := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || etag == "" {
			b.Fatalf("first answer: %d, ETag %q", rec.Code, etag)
		}
		before := calls.n.Load()
		b.ResetTimer()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/v1.54/images/json", nil)
			req.Header.Set("If-None-Match", etag)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				b.Fatalf("answer %d, want 304", rec.Code)
			}
		}
		b.ReportMetric(float64(calls.n.Load()-before)/float64(b.N), "calls/op")
	})
	b.Run("http-200", func(b *testing.B) {
		// The same GET without If-None-Match: the warm list, encoded.
		s, _ := open(b, containerdtest.Version2, Options{Namespace: ns})
		h := httpadapter.New(s, httpadapter.Options{})
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1.54/images/json", nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("answer %d", rec.Code)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		var calls callCounter
		for b.Loop() {
			b.StopTimer()
			s, err := New(ctx, Options{Address: d.Address(), Namespace: ns, Snapshotter: d.Snapshotter(), DialOptions: calls.dialOptions()})
			if err != nil {
				b.Fatal(err)
			}
			before := calls.n.Load()
			b.StartTimer()
			sums, err := s.List(ctx, imagesvc.ListOptions{})
			b.StopTimer()
			if err != nil || len(sums) != n {
				b.Fatalf("List: %d images, %v", len(sums), err)
			}
			b.ReportMetric(float64(calls.n.Load()-before), "calls/op")
			s.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkPull pulls a 200 MB image of 8 layers from a registry on 127.0.0.1 into an
// empty namespace of the same containerd 2.x, in the same run, three ways: through the
// Store; with Debian's ctr 1.6 (which fetches through the client, then unpacks); and with
// ctr 2.x at the daemon's version (which pulls through the daemon's transfer service,
// unpacking while it fetches). Each iteration does all three, in rotating order, so that
// the load of the machine weighs on each alike; all unpack into the same snapshotter. It
// reports the mean wall time of each (store-s/op, ctr16-s/op, ctr2-s/op) and the ratios
// store/ctr16 and store/ctr2.
func BenchmarkPull(b *testing.B) {
	d := containerdtest.Shared(b, containerdtest.Options{Version: containerdtest.Version2})
	ctr16 := containerdtest.CtrBinary(b)
	ctr2, err := containerdtest.BuildCtr()
	if err != nil {
		b.Fatal(err)
	}
	sizes := make([]int64, 8)
	for i := range sizes {
		sizes[i] = 25 << 20
	}
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: sizes, Seed: 200})
	if err != nil {
		b.Fatal(err)
	}
	reg := testregistry.New(b, testregistry.Options{})
	if err := reg.Put("library/big", "1", img); err != nil {
		b.Fatal(err)
	}
	hosts := b.TempDir()
	if err := reg.WriteHostsDir(hosts); err != nil {
		b.Fatal(err)
	}
	ref := reg.Host() + "/library/big:1"
	named, err := imagesvc.ParsePullReference(ref, "", "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.New(d.Address())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	var times [3]time.Duration
	pullStore := func() time.Duration {
		s, err := New(ctx, Options{Address: d.Address(), Namespace: namespace(b), Snapshotter: d.Snapshotter(), HostsDir: hosts})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		start := time.Now()
		if _, err := s.Pull(ctx, imagesvc.PullRequest{Ref: named}, nil); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		removeAll(b, c, s.Namespace())
		checkGone(b, d, img)
		return elapsed
	}
	pullCtr := func(ctr string) func() time.Duration {
		return func() time.Duration {
			ns := namespace(b)
			start := time.Now()
			out, err := exec.Command(ctr, "--address", d.Address(), "--namespace", ns, "images", "pull",
				"--plain-http", "--snapshotter", d.Snapshotter(), ref).CombinedOutput()
			if err != nil {
				b.Fatalf("%s pull: %v\n%s", ctr, err, out)
			}
			elapsed := time.Since(start)
			removeAll(b, c, ns)
			checkGone(b, d, img)
			return elapsed
		}
	}
	pulls := []func() time.Duration{pullStore, pullCtr(ctr16), pullCtr(ctr2)}
	n := 0
	for b.Loop() {
		for k := range pulls {
			i := (n + k) % len(pulls)
			times[i] += pulls[i]()
		}
		n++
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(times[0].Seconds()/float64(n), "store-s/op")
	b.ReportMetric(times[1].Seconds()/float64(n), "ctr16-s/op")
	b.ReportMetric(times[2].Seconds()/float64(n), "ctr2-s/op")
	b.ReportMetric(times[0].Seconds()/times[1].Seconds(), "store/ctr16")
	b.ReportMetric(times[0].Seconds()/times[2].Seconds(), "store/ctr2")
}

// removeAll deletes every image of the namespace, collecting the garbage at once, so
// that benchmark iterations do not pile up content.
func removeAll(tb testing.TB, c *client.Client, ns string) {
	tb.Helper()
	ctx := namespaces.WithNamespace(context.Background(), ns)
	recs, err := c.ImageService().List(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range recs {
		var opts []images.DeleteOpt
		if i == len(recs)-1 {
			opts = append(opts, images.SynchronousDelete())
		}
		if err := c.ImageService().Delete(ctx, r.Name, opts...); err != nil {
			tb.Fatal(err)
		}
	}
}

// checkGone fails when a blob of img is still in the daemon's content store, where the
// next pull, in any namespace, would find it instead of downloading it.
func checkGone(tb testing.TB, d *containerdtest.Daemon, img *testimages.Image) {
	tb.Helper()
	for _, dg := range img.Digests() {
		p := filepath.Join(d.Root(), "io.containerd.content.v1.content", "blobs", "sha256", dg.Encoded())
		if _, err := os.Stat(p); err == nil {
			tb.Fatalf("blob %s is still in the content store after the cleanup", dg)
		}
	}
}

// BenchmarkLifecycle measures the lifecycle operations on a store of 1,000 images,
// without changing it: a tag and the remove that untags it again (the untag path: no
// content released), a prune that finds nothing to prune (the default, dangling images,
// of which there are none), and a history.
func BenchmarkLifecycle(b *testing.B) {
	const n = 1000
	ns, _ := seededNamespace(b, n)
	ctx := context.Background()
	var calls callCounter
	s, _ := open(b, containerdtest.Version2, Options{Namespace: ns, DialOptions: calls.dialOptions()})
	if _, err := s.List(ctx, imagesvc.ListOptions{}); err != nil {
		b.Fatal(err)
	}
	src, err := imagesvc.ParseImageRef("seed-0000")
	if err != nil {
		b.Fatal(err)
	}
	tag, err := imagesvc.ParseTagReference("bench", "tag")
	if err != nil {
		b.Fatal(err)
	}
	tagged, err := imagesvc.ParseImageRef("bench:tag")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("TagUntag", func(b *testing.B) {
		before := calls.n.Load()
		for b.Loop() {
			if err := s.Tag(ctx, src, tag); err != nil {
				b.Fatal(err)
			}
			out, err := s.Remove(ctx, tagged, imagesvc.RemoveOptions{})
			if err != nil || len(out) != 1 || out[0].Untagged != "bench:tag" {
				b.Fatalf("Remove: %v, %v", out, err)
			}
		}
		b.ReportMetric(float64(calls.n.Load()-before)/float64(b.N), "calls/op")
	})
	b.Run("PruneNothing", func(b *testing.B) {
		before := calls.n.Load()
		for b.Loop() {
			rep, err := s.Prune(ctx, imagesvc.PruneOptions{})
			if err != nil || rep.ImagesDeleted != nil {
				b.Fatalf("Prune: %+v, %v", rep, err)
			}
		}
		b.ReportMetric(float64(calls.n.Load()-before)/float64(b.N), "calls/op")
	})
	b.Run("History", func(b *testing.B) {
		before := calls.n.Load()
		for b.Loop() {
			h, err := s.History(ctx, src, imagesvc.HistoryOptions{})
			if err != nil || len(h) != 1 {
				b.Fatalf("History: %v, %v", h, err)
			}
		}
		b.ReportMetric(float64(calls.n.Load()-before)/float64(b.N), "calls/op")
	})
}
