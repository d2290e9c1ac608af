package sqlite

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory for the test and unmounts it
// when the test ends (after the store, opened later, is closed). It needs root: a failure
// to mount is a skip, and a failure in CI.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		testenv.Unavailable(t, "mounting a tmpfs of %s on %s (needs root): %v", size, dir, err)
	}
	t.Cleanup(func() {
		// containerd's fs-verity probe (internal/fsverity.Enable, when the local store
		// opens) leaves a file open until the garbage collector finalizes it.
		var err error
		for range 50 {
			runtime.GC()
			if err = syscall.Unmount(dir, 0); err != syscall.EBUSY {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			fds, _ := os.ReadDir("/proc/self/fd")
			for _, fd := range fds {
				if l, _ := os.Readlink("/proc/self/fd/" + fd.Name()); strings.HasPrefix(l, dir) {
					t.Logf("open: %s", l)
				}
			}
			t.Errorf("unmounting the tmpfs: %v", err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// usedBytes returns the bytes used on the file system of dir.
func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &st))
	return int64(st.Blocks-st.Bfree) * st.Bsize
}

// TestDiskFull pulls an image larger than the disk: the pull fails, and within seconds the
// space is back (its partial downloads and committed blobs, and an unfinished write that
// no operation uses) and a smaller pull works, with the same open store.
func TestDiskFull(t *testing.T) {
	root := mountTmpfs(t, "16m")
	big, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{2 << 20, 8 << 20, 8 << 20}, Seed: 51})
	require.NoError(t, err)
	small, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{1 << 20}, Seed: 52})
	require.NoError(t, err)
	r := newTestRegistry(t)
	require.NoError(t, r.Put("full/big", "1", big))
	require.NoError(t, r.Put("full/small", "1", small))
	s, err := Open(filepath.Join(root, "store"), Options{HostsDir: r.hosts, Concurrency: 1})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	empty := usedBytes(t, root)

	// An unfinished write that nothing uses any more: the sweep takes it too.
	w, err := s.Content().Writer(context.Background(), content.WithRef("abandoned"))
	require.NoError(t, err)
	_, err = w.Write(bytes.Repeat([]byte{1}, 2<<20))
	require.NoError(t, err)
	require.NoError(t, w.Close())

	ref, err := imagesvc.ParsePullReference(r.Host()+"/full/big", "1", "")
	require.NoError(t, err)
	_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.Error(t, err, "the image does not fit")
	t.Logf("pull: %v", err)
	assert.True(t, isNoSpace(err), "the error says the disk is full: %v", err)

	const slack = 2 << 20 // the catalog and its log
	require.Eventually(t, func() bool { return usedBytes(t, root) < empty+slack }, 10*time.Second, 20*time.Millisecond,
		"the space comes back: %d bytes used, %d when empty", usedBytes(t, root), empty)
	assert.Zero(t, ingests(t, s), "no unfinished download is left")
	assert.Empty(t, blobsOnDisk(t, s), "no blob of the failed pull is left")

	r.pull(t, s, "full/small:1", nil)
	assert.Equal(t, []string{r.Host() + "/full/small:1"}, func() []string {
		sums, err := s.List(context.Background(), imagesvc.ListOptions{})
		require.NoError(t, err)
		require.Len(t, sums, 1)
		return sums[0].RepoTags
	}())
	checkCatalog(t, s, true)
}

// lockedBuffer is a log destination that goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestImportDiskFull imports an archive larger than the disk: the server's failure, so
// class Internal (500, not 400 "invalid archive") with a clear message, logged at error
// level; nothing is left behind and the same store imports a smaller archive after.
func TestImportDiskFull(t *testing.T) {
	root := mountTmpfs(t, "4m")
	var logs lockedBuffer
	s, err := Open(filepath.Join(root, "store"), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	empty := usedBytes(t, root)

	random := func(n int, seed byte) []byte {
		data := make([]byte, n)
		_, _ = rand.NewChaCha8([32]byte{seed}).Read(data) // incompressible
		return testimages.Tar([]testimages.File{{Name: "random", Data: data}})
	}
	err = importBody(t, s, random(6<<20, 1))
	require.Error(t, err, "the archive does not fit")
	t.Logf("import: %v", err)
	assert.True(t, errdefs.IsInternal(err), "want Internal, got %v", err)
	assert.False(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.True(t, strings.HasPrefix(err.Error(), "no space left on device while storing the import: "), err.Error())
	assert.Contains(t, logs.String(), "level=ERROR")
	assert.Contains(t, logs.String(), "no space left on device")

	const slack = 2 << 20 // the catalog and its log
	require.Eventually(t, func() bool { return usedBytes(t, root) < empty+slack }, 10*time.Second, 20*time.Millisecond,
		"the space comes back: %d bytes used, %d when empty", usedBytes(t, root), empty)
	assert.Zero(t, ingests(t, s), "no unfinished import is left")
	assertNothingStored(t, s)

	require.NoError(t, importBody(t, s, random(256<<10, 2)), "a smaller import works after")
	sums, err := s.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	assert.Equal(t, []string{"bad/input:v1"}, sums[0].RepoTags)
	checkCatalog(t, s, true)
}
