package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// The crash tests run a pull or an import in a child process (this test binary, running
// TestHelperProcess), kill it with SIGKILL in the middle, reopen the store, and check that
// nothing is listed, the catalog is sound, and the leftovers are cleaned.

const (
	envHelper = "SQLITE_TEST_HELPER" // "pull", "import", "delete" or "prune"
	envRoot   = "SQLITE_TEST_ROOT"
	envHosts  = "SQLITE_TEST_HOSTS"
	envRef    = "SQLITE_TEST_REF"
)

// TestHelperProcess is the child of the crash tests; it does nothing in a normal run.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		t.Skip("the child process of the crash tests")
	}
	s, err := Open(os.Getenv(envRoot), Options{HostsDir: os.Getenv(envHosts), LazyUnpack: mode == "unpack"})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	switch mode {
	case "pull":
		ref, err := imagesvc.ParsePullReference(os.Getenv(envRef), "", "")
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil)
		fmt.Println("pull returned:", err)
	case "import":
		ref, _ := imagesvc.ParseImportReference("crash/import", "v1")
		_, err := s.Import(ctx, imagesvc.ImportRequest{Source: &stallingReader{r: bytes.NewReader(bigTar())}, Ref: ref}, nil)
		fmt.Println("import returned:", err)
	case "delete":
		crashDeletes(ctx, s)
	case "unpack":
		crashUnpack(ctx, s)
	case "prune":
		fmt.Println("pruning")
		_, err := s.Prune(ctx, imagesvc.PruneOptions{})
		fmt.Println("prune returned:", err)
	}
	os.Exit(3) // the parent kills the child before it gets here
}

// bigTar is a valid 8 MiB root filesystem.
func bigTar() []byte {
	return testimages.Tar([]testimages.File{{Name: "big", Data: bytes.Repeat([]byte("0123456789abcdef"), 512<<10)}})
}

// stallingReader reads half of r, says so on stdout, and then blocks for ever.
type stallingReader struct {
	r    *bytes.Reader
	once sync.Once
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.r.Len() <= int(s.r.Size())/2 {
		s.once.Do(func() { fmt.Println("stalled") })
		select {}
	}
	return s.r.Read(p)
}

// startHelper starts the child in mode and returns it with its stdout.
func startHelper(t *testing.T, mode, root string, env ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), append(env, envHelper+"="+mode, envRoot+"="+root)...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewReader(out)
}

// kill sends SIGKILL to the child and reaps it.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
}

// files counts the regular files under dir.
func files(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// checkAfterCrash reopens the store at root and checks that it is sound and empty, with
// no leftovers. The crashed child must have left some: blobs when blobs is set, and an
// unfinished ingest.
func checkAfterCrash(t *testing.T, root string, opts Options, blobs bool) *Store {
	t.Helper()
	require.Positive(t, files(filepath.Join(root, "content", "ingest")), "the child left an unfinished ingest")
	if blobs {
		require.Positive(t, files(filepath.Join(root, "content", "blobs")), "the child left committed blobs")
	}
	s, err := Open(root, opts)
	require.NoError(t, err, "the store opens after a crash")
	t.Cleanup(func() { s.Close() })
	var check string
	require.NoError(t, s.wdb.QueryRow("PRAGMA integrity_check").Scan(&check))
	assert.Equal(t, "ok", check, "the catalog is not corrupt")
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Empty(t, sums, "nothing is listed after a crash in the middle")
	st, err := s.Content().ListStatuses(context.Background())
	require.NoError(t, err)
	assert.Empty(t, st, "unfinished ingests are cleaned")
	var left []string
	require.NoError(t, s.Content().Walk(context.Background(), func(info content.Info) error {
		left = append(left, info.Digest.String())
		return nil
	}))
	assert.Empty(t, left, "blobs that no image references are cleaned")
	return s
}

func TestCrashDuringPull(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{64 << 10, 4 << 20}, Seed: 7})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("crash/pull", "v1", img))
	hosts := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, reg.WriteHostsDir(hosts))
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	big := man.Layers[1].Digest

	// Serve half of the big layer, then hold the response until the client goes away.
	halfway := make(chan struct{})
	var once sync.Once
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if d, ok := testregistry.BlobRequest(req); ok && d == big && req.Method == http.MethodGet {
			next.ServeHTTP(&stallingWriter{ResponseWriter: w, limit: man.Layers[1].Size / 2, ctx: req.Context(), reached: func() {
				once.Do(func() { close(halfway) })
			}}, req)
			return
		}
		next.ServeHTTP(w, req)
	})

	root := filepath.Join(t.TempDir(), "store")
	cmd, _ := startHelper(t, "pull", root, envHosts+"="+hosts, envRef+"="+reg.Host()+"/crash/pull:v1")
	select {
	case <-halfway:
	case <-time.After(time.Minute):
		t.Fatal("the child never got half way through the layer")
	}
	time.Sleep(50 * time.Millisecond) // let the child write what it received
	kill(t, cmd)
	reg.SetHook(nil)

	s := checkAfterCrash(t, root, Options{HostsDir: hosts, ResumeGrace: -1}, true)
	ref, err := imagesvc.ParsePullReference(reg.Host()+"/crash/pull", "v1", "")
	require.NoError(t, err)
	pulled, err := s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.NoError(t, err, "the pull succeeds after the crash")
	require.Len(t, pulled, 1)
	sums, err := s.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, sums, 1)
}

// stallingWriter passes limit bytes of a response, then blocks until ctx ends.
type stallingWriter struct {
	http.ResponseWriter
	limit   int64
	written int64
	ctx     context.Context
	reached func()
}

func (w *stallingWriter) Write(p []byte) (int, error) {
	if w.written+int64(len(p)) > w.limit {
		n := int(w.limit - w.written)
		if n > 0 {
			w.ResponseWriter.Write(p[:n])
		}
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		w.reached()
		<-w.ctx.Done()
		return n, w.ctx.Err()
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

func TestCrashDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	root := filepath.Join(t.TempDir(), "store")
	cmd, out := startHelper(t, "import", root)
	line := make(chan string, 1)
	go func() {
		for {
			l, err := out.ReadString('\n')
			if strings.Contains(l, "stalled") || err != nil {
				line <- l
				io.Copy(io.Discard, out)
				return
			}
		}
	}()
	select {
	case l := <-line:
		require.Contains(t, l, "stalled")
	case <-time.After(time.Minute):
		t.Fatal("the child never stalled")
	}
	time.Sleep(50 * time.Millisecond)
	kill(t, cmd)

	s := checkAfterCrash(t, root, Options{ResumeGrace: -1}, false)
	ref, _ := imagesvc.ParseImportReference("crash/import", "v1")
	_, err := s.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(bigTar()), Ref: ref}, nil)
	require.NoError(t, err, "the import succeeds after the crash")
}

// crashMidPull pulls img (8 layers of 3 MiB) in a child and kills it once every layer but
// the last is committed and 1 MiB of the last one is written: over 90 % of the
// image. It returns
// the store's root, the pull reference and the registry.
func crashMidPull(t *testing.T) (root, ref, hosts string, reg *testregistry.Registry, img *testimages.Image) {
	t.Helper()
	sizes := make([]int64, 8)
	for i := range sizes {
		// Large enough that the content store writes part of the last one: it copies
		// in 1 MiB reads.
		sizes[i] = 3 << 20
	}
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: sizes, Seed: 11})
	require.NoError(t, err)
	reg = testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("crash/resume", "v1", img))
	hosts = filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, reg.WriteHostsDir(hosts))
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	last := man.Layers[len(man.Layers)-1]

	stalled := make(chan struct{})
	var once sync.Once
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if d, ok := testregistry.BlobRequest(req); ok && d == last.Digest && req.Method == http.MethodGet {
			next.ServeHTTP(&stallingWriter{ResponseWriter: w, limit: last.Size * 6 / 10, ctx: req.Context(), reached: func() {
				once.Do(func() { close(stalled) })
			}}, req)
			return
		}
		next.ServeHTTP(w, req)
	})
	root = filepath.Join(t.TempDir(), "store")
	ref = reg.Host() + "/crash/resume:v1"
	cmd, _ := startHelper(t, "pull", root, envHosts+"="+hosts, envRef+"="+ref)
	select {
	case <-stalled:
	case <-time.After(time.Minute):
		t.Fatal("the child never got to the last layer")
	}
	// Wait until the child committed every other layer and wrote what it received of the
	// last one.
	require.Eventually(t, func() bool {
		for _, l := range man.Layers[:len(man.Layers)-1] {
			if _, err := os.Stat(filepath.Join(root, "content", "blobs", "sha256", l.Digest.Encoded())); err != nil {
				return false
			}
		}
		n := int64(0)
		filepath.WalkDir(filepath.Join(root, "content", "ingest"), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "data" {
				if fi, err := d.Info(); err == nil {
					n += fi.Size()
				}
			}
			return nil
		})
		return n >= 1<<20
	}, 30*time.Second, 20*time.Millisecond)
	kill(t, cmd)
	reg.SetHook(nil)
	return root, ref, hosts, reg, img
}

// TestPullResumesAfterCrash kills a pull at about 95 % and checks that the pull after the
// restart fetches only what was missing: the complete layers are kept (each was verified
// when committed) and the unfinished one resumes with a range request.
func TestPullResumesAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	root, ref, hosts, reg, img := crashMidPull(t)

	var served atomicCounter
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if _, ok := testregistry.BlobRequest(req); ok && req.Method == http.MethodGet {
			next.ServeHTTP(&countingWriter{ResponseWriter: w, n: &served}, req)
			return
		}
		next.ServeHTTP(w, req)
	})
	s, err := Open(root, Options{HostsDir: hosts})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	named, err := imagesvc.ParsePullReference(ref, "", "")
	require.NoError(t, err)
	_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named}, nil)
	require.NoError(t, err, "the pull succeeds after the crash")

	total := img.Size()
	fetched := served.Load()
	t.Logf("second pull fetched %d of %d bytes (%.1f %%)", fetched, total, 100*float64(fetched)/float64(total))
	assert.LessOrEqual(t, fetched, total*15/100, "the pull after the crash fetches at most 15 %% of the image")
	assert.Positive(t, fetched, "the unfinished layer is fetched")

	sums, err := s.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	assert.Equal(t, img.Descriptor.Digest, sums[0].ID)
}

// TestResumeGraceEnds checks that what a crash left is deleted once the grace period ends
// when no pull took it up.
func TestResumeGraceEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	root, _, hosts, _, _ := crashMidPull(t)
	s, err := Open(root, Options{HostsDir: hosts, ResumeGrace: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.Positive(t, files(filepath.Join(root, "content", "blobs")), "the layers are kept for the grace period")
	require.Positive(t, files(filepath.Join(root, "content", "ingest")), "the unfinished download is kept for the grace period")
	require.Eventually(t, func() bool {
		return files(filepath.Join(root, "content", "blobs")) == 0 && files(filepath.Join(root, "content", "ingest")) == 0
	}, 20*time.Second, 50*time.Millisecond, "the grace period ends with a sweep")
}

// atomicCounter counts bytes from several handlers.
type atomicCounter struct {
	mu sync.Mutex
	n  int64
}

func (c *atomicCounter) Add(n int64) { c.mu.Lock(); c.n += n; c.mu.Unlock() }

func (c *atomicCounter) Load() int64 { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// countingWriter counts the body bytes of a response.
type countingWriter struct {
	http.ResponseWriter
	n *atomicCounter
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}
