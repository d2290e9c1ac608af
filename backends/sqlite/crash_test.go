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
	s, err := Open(os.Getenv(envRoot), Options{HostsDir: os.Getenv(envHosts)})
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

	s := checkAfterCrash(t, root, Options{HostsDir: hosts}, true)
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

	s := checkAfterCrash(t, root, Options{}, false)
	ref, _ := imagesvc.ParseImportReference("crash/import", "v1")
	_, err := s.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(bigTar()), Ref: ref}, nil)
	require.NoError(t, err, "the import succeeds after the crash")
}
