package main

// Daemons of their own for the tests that remove images: an image prune, above all with
// --all, removes whatever no container uses, so these tests cannot share the fixture's
// imaged. Each test body gets a new imaged per backend (SQLite, containerd, plugin), with
// an empty store (its own data root; its own namespace in the shared containerd), behind a
// validating proxy of its own that checks the answers against moby's Swagger documents as
// the fixture's does. Names and images therefore never meet those of other tests, and a
// second run of the same test (-count=2) starts from an empty store again.

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/internal/containerdtest"
)

// backends are the backends the lifecycle tests run on.
var backends = []string{"sqlite", "containerd", "plugin"}

// daemon is an imaged of one test, on one backend.
type daemon struct {
	backend  string
	dataRoot string
	sock     string
	proxy    string // the validating proxy's host:port, the address the clients use
	logs     *syncBuffer

	// ctrd and ns are the containerd daemon and namespace of the containerd backend.
	ctrd *containerdtest.Daemon
	ns   string
}

// hostURL is the Docker host URL of the daemon's validating proxy.
func (d *daemon) hostURL() string { return "tcp://" + d.proxy }

// eachBackend runs body once per backend, each in a subtest named after it with a new
// daemon.
func eachBackend(t *testing.T, body func(t *testing.T, f *fixture, d *daemon)) {
	f := env(t)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			body(t, f, startDaemon(t, f, b))
		})
	}
}

var (
	pluginOnce sync.Once
	pluginBin  string
	pluginErr  error
	nsCounter  atomic.Int64
)

// pluginBinary builds examples/plugin-sqlite once per test binary.
func pluginBinary(t *testing.T, f *fixture) string {
	t.Helper()
	pluginOnce.Do(func() {
		bin := filepath.Join(f.tmp, "plugin-sqlite")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/imageapi/imageapi/examples/plugin-sqlite").CombinedOutput()
		if err != nil {
			pluginErr = fmt.Errorf("building examples/plugin-sqlite: %v\n%s", err, out)
			return
		}
		pluginBin = bin
	})
	if pluginErr != nil {
		t.Fatal(pluginErr)
	}
	return pluginBin
}

// startDaemon starts imaged on backend for t, with the command-line arguments extra added;
// it stops when t ends, and must stop cleanly.
func startDaemon(t *testing.T, f *fixture, backend string, extra ...string) *daemon {
	t.Helper()
	dir, err := os.MkdirTemp(f.tmp, "lc-"+backend+"-")
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{
		backend:  backend,
		dataRoot: filepath.Join(dir, "data"),
		sock:     filepath.Join(dir, "imaged.sock"),
		logs:     &syncBuffer{},
	}
	args := []string{"-H", "unix://" + d.sock, "--data-root", d.dataRoot, "--insecure-registry", f.reg, "--backend", backend}
	switch backend {
	case "containerd":
		d.ctrd = containerdtest.Shared(t, containerdtest.Options{Version: containerdtest.Version2})
		// A namespace per daemon: the containerd daemon is shared by the whole test binary.
		d.ns = fmt.Sprintf("imaged-lc-%d-%d", os.Getpid(), nsCounter.Add(1))
		args = append(args, "--containerd", d.ctrd.Address(), "--containerd-namespace", d.ns, "--storage-driver", d.ctrd.Snapshotter())
	case "plugin":
		args = append(args, "--plugin", pluginBinary(t, f))
	}
	args = append(args, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan []net.Addr, 1)
	go func() { done <- run(ctx, args, d.logs, func(a []net.Addr) { ready <- a }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("imaged --backend %s stopped before it served: %v\n%s", backend, err, d.logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("imaged --backend %s not ready within 60s\n%s", backend, d.logs.String())
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	d.proxy = l.Addr().String()
	srv := &http.Server{Handler: &validatingProxy{sock: d.sock, val: f.val}, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(l) }()

	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("proxy shutdown: %v", err)
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("imaged --backend %s stopped with %v", backend, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("imaged --backend %s did not stop within 30s of its context's end", backend)
		}
		if t.Failed() {
			t.Logf("imaged --backend %s log:\n%s", backend, d.logs.String())
		}
	})
	return d
}

// docker runs the docker CLI against the daemon.
func (d *daemon) docker(t *testing.T, f *fixture, args ...string) cliResult {
	t.Helper()
	return docker(t, f, []string{"DOCKER_HOST=" + d.hostURL()}, nil, args...)
}

// mustDocker runs the docker CLI against the daemon and fails t unless it exits 0.
func (d *daemon) mustDocker(t *testing.T, f *fixture, args ...string) cliResult {
	t.Helper()
	r := d.docker(t, f, args...)
	if r.code != 0 {
		t.Fatalf("docker %s (backend %s): %s", strings.Join(args, " "), d.backend, r)
	}
	return r
}

// blobs returns the digests of the content blobs the daemon's store holds: the files under
// <data-root>/content/blobs for the SQLite backend and the plugin (which serves SQLite),
// containerd's content store in the daemon's namespace for containerd.
func (d *daemon) blobs(t *testing.T) []digest.Digest {
	t.Helper()
	var out []digest.Digest
	if d.backend == "containerd" {
		for _, line := range strings.Split(d.ctrd.Ctr(t, d.ns, "content", "ls", "-q"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, digest.Digest(line))
			}
		}
		return out
	}
	root := filepath.Join(d.dataRoot, "content", "blobs")
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		if e.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			alg, hex, _ := strings.Cut(filepath.ToSlash(rel), "/")
			out = append(out, digest.NewDigestFromEncoded(digest.Algorithm(alg), hex))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	return out
}

// checkBlobs fails t if the store holds a blob of gone, or lacks one of kept.
func (d *daemon) checkBlobs(t *testing.T, what string, gone, kept []digest.Digest) {
	t.Helper()
	have := d.blobs(t)
	for _, g := range gone {
		if slices.Contains(have, g) && !slices.Contains(kept, g) {
			t.Errorf("%s (backend %s): blob %s of a removed image is still in the store", what, d.backend, g)
		}
	}
	for _, k := range kept {
		if !slices.Contains(have, k) {
			t.Errorf("%s (backend %s): blob %s of a remaining image is gone", what, d.backend, k)
		}
	}
}

// sdkFor returns a Go SDK client of the daemon's validating proxy.
func sdkFor(t *testing.T, d *daemon, opts ...client.Opt) *client.Client {
	t.Helper()
	c, err := client.New(append([]client.Opt{client.WithHost(d.hostURL())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
