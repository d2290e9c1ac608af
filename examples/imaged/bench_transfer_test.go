package main

// The benchmarks of save, load and push (issue 11), against examples/imaged run as a
// process of its own (built once per run), on the SQLite and containerd backends, next to
// the reference tools in the same run:
//
//	go test -run '^$' -bench 'SaveLoad200MB|SaveRSS|Push200MB' -benchmem -benchtime 3x ./examples/imaged/
//
// The test images are written to disk by genImage, never held in memory: an OCI layout
// directory and an archive of the shape docker save writes (the OCI layout plus
// manifest.json), with layers of incompressible data stored in gzip without compression
// (so that no tool spends its time compressing, and skopeo passes them through as is).
// Nothing here runs without -bench.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testenv"
)

// benchImage is a generated image on disk.
type benchImage struct {
	name    string // io.containerd.image.name: docker.io/bench/big:<tag>
	tag     string
	ociDir  string // OCI layout directory (skopeo's oci: transport)
	archive string // docker save's shape: OCI layout + manifest.json
	size    int64  // the sum of the image's blob sizes
	layers  []digest.Digest
}

// hashWriter counts and hashes what it writes to w.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

// genImage writes an image of n layers of layerSize bytes of random data each into dir.
func genImage(b *testing.B, dir, tag string, n int, layerSize int64) *benchImage {
	b.Helper()
	img := &benchImage{tag: tag, name: "docker.io/bench/big:" + tag, ociDir: filepath.Join(dir, "oci"), archive: filepath.Join(dir, "archive.tar")}
	blobs := filepath.Join(img.ociDir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		b.Fatal(err)
	}
	var diffIDs []digest.Digest
	var layerDescs []ocispec.Descriptor
	rng := rand.NewChaCha8([32]byte{byte(n), byte(layerSize >> 20), 7})
	buf := make([]byte, 1<<20)
	for i := range n {
		tmp := filepath.Join(blobs, "tmp")
		f, err := os.Create(tmp)
		if err != nil {
			b.Fatal(err)
		}
		comp := &hashWriter{w: f, h: sha256.New()}
		gz, _ := gzip.NewWriterLevel(comp, gzip.NoCompression)
		unc := &hashWriter{w: gz, h: sha256.New()}
		tw := tar.NewWriter(unc)
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("data/layer-%d", i), Mode: 0o644, Size: layerSize, Typeflag: tar.TypeReg, ModTime: time.Unix(1739491200, 0)}); err != nil {
			b.Fatal(err)
		}
		for left := layerSize; left > 0; {
			chunk := buf[:min(int64(len(buf)), left)]
			_, _ = rng.Read(chunk)
			if _, err := tw.Write(chunk); err != nil {
				b.Fatal(err)
			}
			left -= int64(len(chunk))
		}
		if err := tw.Close(); err != nil {
			b.Fatal(err)
		}
		if err := gz.Close(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		d := digest.NewDigest(digest.SHA256, comp.h)
		if err := os.Rename(tmp, filepath.Join(blobs, d.Encoded())); err != nil {
			b.Fatal(err)
		}
		diffIDs = append(diffIDs, digest.NewDigest(digest.SHA256, unc.h))
		layerDescs = append(layerDescs, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d, Size: comp.n})
		img.layers = append(img.layers, d)
		img.size += comp.n
	}
	writeJSON := func(v any) ocispec.Descriptor {
		data, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		d := digest.FromBytes(data)
		if err := os.WriteFile(filepath.Join(blobs, d.Encoded()), data, 0o644); err != nil {
			b.Fatal(err)
		}
		img.size += int64(len(data))
		return ocispec.Descriptor{Digest: d, Size: int64(len(data))}
	}
	created := time.Unix(1739491200, 0).UTC()
	cfg := writeJSON(ocispec.Image{Created: &created, Platform: ocispec.Platform{OS: "linux", Architecture: hostArch()},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}})
	cfg.MediaType = ocispec.MediaTypeImageConfig
	man := writeJSON(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: layerDescs})
	man.MediaType = ocispec.MediaTypeImageManifest
	man.Annotations = map[string]string{"io.containerd.image.name": img.name, ocispec.AnnotationRefName: tag}
	idx, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{man}})
	if err := os.WriteFile(filepath.Join(img.ociDir, "index.json"), idx, 0o644); err != nil {
		b.Fatal(err)
	}
	layout := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := os.WriteFile(filepath.Join(img.ociDir, "oci-layout"), layout, 0o644); err != nil {
		b.Fatal(err)
	}
	var layerPaths []string
	for _, l := range img.layers {
		layerPaths = append(layerPaths, "blobs/sha256/"+l.Encoded())
	}
	mf, _ := json.Marshal([]map[string]any{{"Config": "blobs/sha256/" + cfg.Digest.Encoded(), "RepoTags": []string{"bench/big:" + tag}, "Layers": layerPaths}})

	// The archive, entries sorted by name as docker save writes them.
	out, err := os.Create(img.archive)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	tw := tar.NewWriter(bw)
	addDir := func(name string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
			b.Fatal(err)
		}
	}
	addBytes := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			b.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			b.Fatal(err)
		}
	}
	addDir("blobs/")
	addDir("blobs/sha256/")
	entries, err := os.ReadDir(blobs)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries { // ReadDir sorts by name
		f, err := os.Open(filepath.Join(blobs, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		st, _ := f.Stat()
		if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + e.Name(), Mode: 0o444, Size: st.Size(), Typeflag: tar.TypeReg}); err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(tw, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	addBytes("index.json", idx)
	addBytes("manifest.json", mf)
	addBytes("oci-layout", layout)
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	return img
}

func hostArch() string {
	if a := os.Getenv("GOARCH"); a != "" {
		return a
	}
	out, err := exec.Command("go", "env", "GOARCH").Output()
	if err != nil {
		return "amd64"
	}
	return strings.TrimSpace(string(out))
}

var (
	imagedBinOnce sync.Once
	imagedBinPath string
	imagedBinErr  error
)

// imagedBinary builds examples/imaged once per test binary.
func imagedBinary(b *testing.B) string {
	b.Helper()
	imagedBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imaged-bench-bin-")
		if err != nil {
			imagedBinErr = err
			return
		}
		imagedBinPath = filepath.Join(dir, "imaged")
		if out, err := exec.Command("go", "build", "-o", imagedBinPath, "github.com/imageapi/imageapi/examples/imaged").CombinedOutput(); err != nil {
			imagedBinErr = fmt.Errorf("building imaged: %v\n%s", err, out)
		}
	})
	if imagedBinErr != nil {
		b.Fatal(imagedBinErr)
	}
	return imagedBinPath
}

// benchDaemon is imaged running as a process of its own.
type benchDaemon struct {
	backend string
	addr    string // host:port of its TCP listener
	cmd     *exec.Cmd
	ctrd    *containerdtest.Daemon
	ns      string
	http    *http.Client
}

// startBenchDaemon starts imaged on backend with extra arguments; it stops when b ends.
func startBenchDaemon(b *testing.B, backend string, extra ...string) *benchDaemon {
	b.Helper()
	port, err := freePort()
	if err != nil {
		b.Fatal(err)
	}
	d := &benchDaemon{backend: backend, addr: fmt.Sprintf("127.0.0.1:%d", port), http: &http.Client{Transport: &http.Transport{DisableCompression: true}}}
	args := []string{"-H", "tcp://" + d.addr, "--data-root", filepath.Join(b.TempDir(), "data"), "--backend", backend, "--log-level", "error"}
	if backend == "containerd" {
		d.ctrd = containerdtest.Shared(b, containerdtest.Options{Version: containerdtest.Version2})
		d.ns = fmt.Sprintf("imaged-bench-%d-%d", os.Getpid(), nsCounter.Add(1))
		args = append(args, "--containerd", d.ctrd.Address(), "--containerd-namespace", d.ns, "--storage-driver", d.ctrd.Snapshotter())
	}
	d.cmd = exec.Command(imagedBinary(b), append(args, extra...)...)
	d.cmd.Stderr = os.Stderr
	if err := d.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = d.cmd.Process.Signal(os.Interrupt)
		_ = d.cmd.Wait()
	})
	for i := 0; ; i++ {
		resp, err := d.http.Get("http://" + d.addr + "/_ping")
		if err == nil {
			resp.Body.Close()
			return d
		}
		if i > 400 {
			b.Fatalf("imaged --backend %s did not answer: %v", backend, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// do sends a request to imaged and returns the answer, failing b unless it is 2xx.
func (d *benchDaemon) do(b *testing.B, method, path string, body io.Reader, hdr http.Header) *http.Response {
	b.Helper()
	req, err := http.NewRequest(method, "http://"+d.addr+path, body)
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := d.http.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.Fatalf("%s %s: %s: %s", method, path, resp.Status, msg)
	}
	return resp
}

// stream reads a JSON message stream to its end and fails b on an in-stream error.
func streamErr(b *testing.B, what string, r io.Reader) {
	b.Helper()
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return
		} else if err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		if m.Error != "" {
			b.Fatalf("%s: %s", what, m.Error)
		}
	}
}

// save writes the archive of name to w and returns the bytes written.
func (d *benchDaemon) save(b *testing.B, name string, w io.Writer) int64 {
	b.Helper()
	resp := d.do(b, http.MethodGet, "/images/get?"+url.Values{"names": {name}}.Encode(), nil, nil)
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// load loads the archive file.
func (d *benchDaemon) load(b *testing.B, file string) {
	b.Helper()
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	resp := d.do(b, http.MethodPost, "/images/load?quiet=1", f, http.Header{"Content-Type": {"application/x-tar"}})
	defer resp.Body.Close()
	streamErr(b, "load", resp.Body)
}

// remove removes name (force), which releases its content.
func (d *benchDaemon) remove(b *testing.B, name string) {
	b.Helper()
	d.do(b, http.MethodDelete, "/images/"+name+"?force=1", nil, nil).Body.Close()
}

// push pushes repo:tag anonymously.
func (d *benchDaemon) push(b *testing.B, repo, tag string) {
	b.Helper()
	auth := base64.URLEncoding.EncodeToString([]byte("{}"))
	resp := d.do(b, http.MethodPost, "/images/"+repo+"/push?tag="+tag, http.NoBody, http.Header{"X-Registry-Auth": {auth}})
	defer resp.Body.Close()
	streamErr(b, "push", resp.Body)
}

// tag tags src as repo:tag.
func (d *benchDaemon) tag(b *testing.B, src, repo, tag string) {
	b.Helper()
	d.do(b, http.MethodPost, "/images/"+src+"/tag?"+url.Values{"repo": {repo}, "tag": {tag}}.Encode(), nil, nil).Body.Close()
}

// gone fails b when a layer of img is still in containerd's content store (where the next
// import, in any namespace, would find it instead of writing it).
func (d *benchDaemon) gone(b *testing.B, img *benchImage) {
	b.Helper()
	for _, l := range img.layers {
		p := filepath.Join(d.ctrd.Root(), "io.containerd.content.v1.content", "blobs", "sha256", l.Encoded())
		if _, err := os.Stat(p); err == nil {
			b.Fatalf("layer %s is still in containerd's content store", l)
		}
	}
}

// run runs a reference tool and returns its wall time.
func runTool(b *testing.B, env []string, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return elapsed
}

func mbps(bytes int64, n int, d time.Duration) float64 {
	return float64(bytes) * float64(n) / 1e6 / d.Seconds()
}

// BenchmarkSaveLoad200MB saves an image of 8 layers of 25 MB to io.Discard and loads its
// archive, through imaged's HTTP API, and in the same iteration does the same with the
// reference tool: on containerd, ctr images export (of imaged's image, to /dev/null) and
// ctr images import into another namespace of the same daemon (both unpack, into the
// same snapshotter); on SQLite, whose store no other tool writes, skopeo copying between
// an OCI layout directory (a plain blob store on disk) and a docker save archive:
// oci:dir → docker-archive:/dev/null (read a blob store, write an archive) next to save,
// docker-archive:file → oci:dir (read an archive, verify and write a blob store) next to
// load. Every load starts from a store without the image's content.
func BenchmarkSaveLoad200MB(b *testing.B) {
	img := genImage(b, b.TempDir(), "200mb", 8, 25<<20)
	skopeo := testenv.Binary(b, "skopeo", "skopeo")
	for _, backend := range []string{"sqlite", "containerd"} {
		b.Run(backend, func(b *testing.B) {
			d := startBenchDaemon(b, backend)
			d.load(b, img.archive)
			var ctr string
			if backend == "containerd" {
				ctr = containerdtest.CtrBinary(b)
			}
			home := b.TempDir()
			var saveT, loadT, refSaveT, refLoadT time.Duration
			var archiveSize int64
			n := 0
			for b.Loop() {
				start := time.Now()
				archiveSize = d.save(b, img.name, io.Discard)
				saveT += time.Since(start)
				switch backend {
				case "containerd":
					refSaveT += runTool(b, nil, ctr, "--address", d.ctrd.Address(), "--namespace", d.ns, "images", "export", "/dev/null", img.name)
				default:
					refSaveT += runTool(b, []string{"HOME=" + home}, skopeo, "--insecure-policy", "copy", "-q", "oci:"+img.ociDir+":"+img.tag, "docker-archive:/dev/null:bench/big:"+img.tag)
				}

				d.remove(b, img.name)
				switch backend {
				case "containerd":
					d.gone(b, img)
					ns := fmt.Sprintf("ctr-bench-%d-%d", os.Getpid(), nsCounter.Add(1))
					refLoadT += runTool(b, nil, ctr, "--address", d.ctrd.Address(), "--namespace", ns, "images", "import", "--snapshotter", d.ctrd.Snapshotter(), img.archive)
					runTool(b, nil, ctr, "--address", d.ctrd.Address(), "--namespace", ns, "images", "rm", "--sync", img.name)
					d.gone(b, img)
				default:
					dst := filepath.Join(b.TempDir(), "oci")
					refLoadT += runTool(b, []string{"HOME=" + home}, skopeo, "--insecure-policy", "copy", "-q", "docker-archive:"+img.archive, "oci:"+dst+":"+img.tag)
					os.RemoveAll(dst)
				}
				start = time.Now()
				d.load(b, img.archive)
				loadT += time.Since(start)
				n++
			}
			st, _ := os.Stat(img.archive)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(mbps(archiveSize, n, saveT), "save-MB/s")
			b.ReportMetric(mbps(st.Size(), n, loadT), "load-MB/s")
			ref := "skopeo"
			if backend == "containerd" {
				ref = "ctr"
			}
			b.ReportMetric(mbps(archiveSize, n, refSaveT), ref+"-save-MB/s")
			b.ReportMetric(mbps(st.Size(), n, refLoadT), ref+"-load-MB/s")
		})
	}
}

// procStatusKB reads a field (VmHWM, VmRSS) of /proc/<pid>/status, in kB.
func procStatusKB(b *testing.B, pid int, field string) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// BenchmarkSaveRSS measures imaged's peak resident memory (VmHWM, reset before each save
// through /proc/<pid>/clear_refs) while it saves an image of 200 MB (8 × 25 MB) and one of
// 2 GB (8 × 256 MB) to a client that discards the archive. Bounded memory means the two
// peaks are about the same.
func BenchmarkSaveRSS(b *testing.B) {
	small := genImage(b, b.TempDir(), "200mb", 8, 25<<20)
	large := genImage(b, b.TempDir(), "2gb", 8, 256<<20)
	for _, backend := range []string{"sqlite", "containerd"} {
		b.Run(backend, func(b *testing.B) {
			d := startBenchDaemon(b, backend)
			d.load(b, small.archive)
			d.load(b, large.archive)
			pid := d.cmd.Process.Pid
			peak := func(img *benchImage) float64 {
				if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
					b.Fatalf("resetting VmHWM: %v", err)
				}
				d.save(b, img.name, io.Discard)
				return float64(procStatusKB(b, pid, "VmHWM")) / 1024
			}
			var p200, p2g float64
			for b.Loop() {
				p200 = max(p200, peak(small))
				p2g = max(p2g, peak(large))
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(p200, "peakRSS-200MB-MB")
			b.ReportMetric(p2g, "peakRSS-2GB-MB")
			b.ReportMetric(float64(procStatusKB(b, pid, "VmRSS"))/1024, "idleRSS-MB")
		})
	}
}

// benchRegistry runs Debian's docker-registry on addr with an empty root until stop.
func benchRegistry(b *testing.B, addr string) (stop func()) {
	b.Helper()
	dir, err := os.MkdirTemp("", "bench-registry-")
	if err != nil {
		b.Fatal(err)
	}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "root"), addr)
	cfgPath := filepath.Join(dir, "registry.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(registryBinary, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return stop
		}
		if i > 400 {
			stop()
			b.Fatalf("docker-registry on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// BenchmarkPush200MB pushes the 200 MB image (8 × 25 MB) through imaged to Debian's
// docker-registry on 127.0.0.1, and copies the same image with skopeo from an OCI layout
// directory to the same registry, in the same iteration, each into a registry started
// empty (so that every blob is sent; alternating which goes first). It reports both wall
// times and their ratio (target: imaged ≤ 1.1 × skopeo).
func BenchmarkPush200MB(b *testing.B) {
	if _, err := os.Stat(registryBinary); err != nil {
		if err := testenv.AptInstall("docker-registry"); err != nil {
			testenv.Unavailable(b, "docker-registry: %v", err)
		}
	}
	img := genImage(b, b.TempDir(), "200mb", 8, 25<<20)
	skopeo := testenv.Binary(b, "skopeo", "skopeo")
	port, err := freePort()
	if err != nil {
		b.Fatal(err)
	}
	reg := fmt.Sprintf("127.0.0.1:%d", port)
	for _, backend := range []string{"sqlite", "containerd"} {
		b.Run(backend, func(b *testing.B) {
			d := startBenchDaemon(b, backend, "--insecure-registry", reg)
			d.load(b, img.archive)
			repo := reg + "/bench/big"
			d.tag(b, img.name, repo, "1")
			home := b.TempDir()
			pushImaged := func() time.Duration {
				stop := benchRegistry(b, reg)
				defer stop()
				start := time.Now()
				d.push(b, repo, "1")
				return time.Since(start)
			}
			pushSkopeo := func() time.Duration {
				stop := benchRegistry(b, reg)
				defer stop()
				return runTool(b, []string{"HOME=" + home}, skopeo, "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
					"oci:"+img.ociDir+":"+img.tag, "docker://"+repo+":1")
			}
			var imagedT, skopeoT time.Duration
			n := 0
			for b.Loop() {
				if n%2 == 0 {
					imagedT += pushImaged()
					skopeoT += pushSkopeo()
				} else {
					skopeoT += pushSkopeo()
					imagedT += pushImaged()
				}
				n++
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(imagedT.Seconds()/float64(n), "imaged-s/op")
			b.ReportMetric(skopeoT.Seconds()/float64(n), "skopeo-s/op")
			b.ReportMetric(imagedT.Seconds()/skopeoT.Seconds(), "imaged/skopeo")
		})
	}
}
