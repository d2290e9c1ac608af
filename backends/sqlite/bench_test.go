package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// The benchmarks of the issue: go test -run '^$' -bench . -benchmem ./backends/sqlite/
//
// The list and inspect benchmarks share one catalog of benchImageCount images with two
// tags each (see benchImages), seeded once per process through the seed fast path.

const benchImageCount = 10_000

var bench struct {
	once  sync.Once
	dir   string
	store *Store
	ids   []digest.Digest
	err   error

	imgsOnce sync.Once
	imgs     []seedImage
}

// benchCatalogImages returns the images of the benchmark catalog, made once per process.
func benchCatalogImages(b *testing.B) []seedImage {
	bench.imgsOnce.Do(func() { bench.imgs = benchImages(b, benchImageCount) })
	return bench.imgs
}

// benchStore returns the shared benchmark catalog.
func benchStore(b *testing.B) *Store {
	b.Helper()
	bench.once.Do(func() {
		imgs := benchCatalogImages(b)
		if bench.dir, bench.err = os.MkdirTemp("", "sqlite-bench-"); bench.err != nil {
			return
		}
		if bench.store, bench.err = Open(bench.dir, Options{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}}); bench.err != nil {
			return
		}
		bench.err = bench.store.seed(context.Background(), imgs)
		for _, si := range imgs {
			bench.ids = append(bench.ids, si.img.Descriptor.Digest)
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.store
}

// closeBench releases the shared catalog; TestMain calls it.
func closeBench() {
	if bench.store != nil {
		bench.store.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

// benchList measures List with opts, checking the count and reporting allocations and
// bytes per listed image. It runs as sub-benchmarks: "repeat" lists again and again, as
// a daemon does while nothing changes (the rows the query selected are remembered until
// the next write); "afterWrite" marks the catalog written before each list, so that
// every list runs its SQL query.
func benchList(b *testing.B, opts imagesvc.ListOptions, want int) {
	b.Run("repeat", func(b *testing.B) { benchListRun(b, opts, want, false) })
	b.Run("afterWrite", func(b *testing.B) { benchListRun(b, opts, want, true) })
}

func benchListRun(b *testing.B, opts imagesvc.ListOptions, want int, afterWrite bool) {
	s := benchStore(b)
	ctx := context.Background()
	// Warm the cache of decoded rows, as any list after the first finds it.
	if _, err := s.List(ctx, opts); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		if afterWrite {
			s.gen.Add(1) // what every committed write does
		}
		sums, err := s.List(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(sums) != want {
			b.Fatalf("listed %d images, want %d", len(sums), want)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(want)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/image")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/image")
}

// BenchmarkList10k lists 10,000 images with 2 tags each. Target: 25 ms, 20 MB.
func BenchmarkList10k(b *testing.B) {
	benchList(b, imagesvc.ListOptions{}, benchImageCount)
}

// BenchmarkListReference lists with a reference filter matching 3 of 10,000. Target: 1 ms.
func BenchmarkListReference(b *testing.B) {
	var args filters.Args
	args.Add("reference", "example.com/r0042/app")
	benchList(b, imagesvc.ListOptions{Filters: args}, 3)
}

// BenchmarkListLabel lists with a label filter matching a quarter of 10,000. Target: 10 ms.
func BenchmarkListLabel(b *testing.B) {
	var args filters.Args
	args.Add("label", "com.example.quarter=0")
	benchList(b, imagesvc.ListOptions{Filters: args}, benchImageCount/4)
}

// BenchmarkInspectShortID inspects by a 12-digit short ID among 10,000. Target: 50 µs.
func BenchmarkInspectShortID(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	short := make([]string, 64)
	for i := range short {
		short[i] = bench.ids[i*(len(bench.ids)/len(short))].Encoded()[:12]
	}
	for _, id := range short { // warm the cache
		ref, _ := imagesvc.ParseImageRef(id)
		if _, err := s.Inspect(ctx, ref, imagesvc.InspectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	b.ResetTimer()
	for b.Loop() {
		ref, err := imagesvc.ParseImageRef(short[i%len(short)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Inspect(ctx, ref, imagesvc.InspectOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkPull200MB pulls an image of 8 layers of 25 MB from a registry on 127.0.0.1 into
// a fresh store, and copies the same image with skopeo to a local OCI directory in the same
// run. It reports both throughputs in MB/s.
func BenchmarkPull200MB(b *testing.B) {
	const layers, layerSize = 8, 25 << 20
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
	hosts := filepath.Join(b.TempDir(), "hosts")
	if err := reg.WriteHostsDir(hosts); err != nil {
		b.Fatal(err)
	}
	total := float64(img.Size())
	ref, err := imagesvc.ParsePullReference(reg.Host()+"/bench/big", "latest", "")
	if err != nil {
		b.Fatal(err)
	}
	skopeo := testenv.Binary(b, "skopeo", "skopeo")

	var pullTime, skopeoTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		s, err := Open(filepath.Join(dir, "store"), Options{HostsDir: hosts, Concurrency: layers})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil); err != nil {
			b.Fatal(err)
		}
		pullTime += time.Since(start)
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}

		start = time.Now()
		cmd := exec.Command(skopeo, "copy", "--quiet", "--src-tls-verify=false",
			"docker://"+reg.Host()+"/bench/big:latest", "oci:"+filepath.Join(dir, "oci")+":latest")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("skopeo copy: %v\n%s", err, out)
		}
		skopeoTime += time.Since(start)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(total*float64(b.N)/1e6/pullTime.Seconds(), "MB/s")
	b.ReportMetric(total*float64(b.N)/1e6/skopeoTime.Seconds(), "skopeo-MB/s")
}

// BenchmarkImagedIdleRSS10k measures the resident memory of examples/imaged serving the
// 10,000-image catalog, idle after answering one list of every image (which fills the
// cache of decoded rows). Target: under 100 MB.
func BenchmarkImagedIdleRSS10k(b *testing.B) {
	root := filepath.Join(b.TempDir(), "data")
	s, err := Open(root, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.seed(context.Background(), benchImages(b, benchImageCount)); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "imaged")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/imageapi/imageapi/examples/imaged").CombinedOutput(); err != nil {
		b.Fatalf("building imaged: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var rss, startRSS float64
	for b.Loop() {
		cmd := exec.Command(bin, "--data-root", root, "-H", "tcp://"+addr, "--log-level", "error")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var resp *http.Response
		for range 200 {
			if resp, err = http.Get("http://" + addr + "/_ping"); err == nil {
				resp.Body.Close()
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err == nil {
			startRSS = residentMB(b, cmd.Process.Pid)
			resp, err = http.Get("http://" + addr + "/images/json")
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			b.Fatal(err)
		}
		var sums []json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&sums)
		resp.Body.Close()
		if err != nil || len(sums) != benchImageCount {
			cmd.Process.Kill()
			cmd.Wait()
			b.Fatalf("listed %d images (%v), want %d", len(sums), err, benchImageCount)
		}
		time.Sleep(3 * time.Second) // idle: let the runtime return what the list used
		rss = residentMB(b, cmd.Process.Pid)
		if d, _ := time.ParseDuration(os.Getenv("SQLITE_BENCH_IDLE")); d > 0 {
			time.Sleep(d)
			b.Logf("RSS after %s more: %.1f MB", d, residentMB(b, cmd.Process.Pid))
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	b.ReportMetric(rss, "RSS-MB")
	b.ReportMetric(startRSS, "start-RSS-MB")
}

// residentMB reads VmRSS of a process, in MB.
func residentMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb * 1024 / 1e6
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
