package sqlite

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/rootfs"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// crashUnpack is the child of TestCrashDuringUnpack: it pulls the image lazily, then
// prepares a view whose unpack stalls half way through the second layer, after saying
// "stalled" on stdout; the parent kills it there.
func crashUnpack(ctx context.Context, s *Store) {
	ref, err := imagesvc.ParsePullReference(os.Getenv(envRef), "", "")
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	if _, err := s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil); err != nil {
		fmt.Println("pull:", err)
		os.Exit(2)
	}
	iref, _ := imagesvc.ParseImageRef(os.Getenv(envRef))
	img, err := s.ResolveRuntimeImage(ctx, iref, nil)
	if err != nil {
		fmt.Println("resolve:", err)
		os.Exit(2)
	}
	stallOn := img.Layers[1].Digest
	s.snaps.wrapProvider = func(p content.Provider) content.Provider {
		return stallingProvider{Provider: p, stallOn: stallOn.String()}
	}
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "crash", Image: img})
	fmt.Println("prepare returned:", err)
}

// stallingProvider serves the blob stallOn up to its middle, then blocks for ever.
type stallingProvider struct {
	content.Provider
	stallOn string
}

func (p stallingProvider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ra, err := p.Provider.ReaderAt(ctx, desc)
	if err != nil || desc.Digest.String() != p.stallOn {
		return ra, err
	}
	return &stallingReaderAt{ReaderAt: ra}, nil
}

type stallingReaderAt struct {
	content.ReaderAt
	once sync.Once
}

func (r *stallingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if off >= r.Size()/2 {
		r.once.Do(func() { fmt.Println("stalled") })
		select {}
	}
	return r.ReaderAt.ReadAt(b, off)
}

// TestCrashDuringUnpack kills a process in the middle of unpacking a layer (an
// extraction snapshot exists and is half written) and reopens the store: the half-applied
// snapshot is removed and never used, the view of the crashed prepare is not there, and
// the next prepare unpacks the layer again and works.
func TestCrashDuringUnpack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{64 << 10, 4 << 20}, Seed: 14})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("crash/unpack", "v1", img))
	hosts := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, reg.WriteHostsDir(hosts))
	name := reg.Host() + "/crash/unpack:v1"

	root := filepath.Join(t.TempDir(), "store")
	cmd, out := startHelper(t, "unpack", root, envHosts+"="+hosts, envRef+"="+name)
	lines := make(chan string, 1)
	go func() {
		line, _ := out.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out) //nolint:errcheck // drain
	}()
	select {
	case line := <-lines:
		require.Equal(t, "stalled\n", line, "the child's first line")
	case <-time.After(time.Minute):
		t.Fatal("the child never reached the middle of the layer")
	}
	time.Sleep(50 * time.Millisecond) // let the applier write what it read
	kill(t, cmd)

	// What the crash left: an extraction snapshot, as the snapshotter records it.
	s, err := Open(root, Options{HostsDir: hosts, LazyUnpack: true})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	var names []string
	require.NoError(t, s.walkSnapshots(ctx, func(info snapshots.Info) {
		names = append(names, info.Name)
		assert.False(t, rootfs.IsExtractKey(info.Name), "Open removed the unfinished unpack: %s", info.Name)
		assert.Equal(t, snapshots.KindCommitted, info.Kind, "%s", info.Name)
	}))
	iref, err := imagesvc.ParseImageRef(name)
	require.NoError(t, err)
	rimg, err := s.ResolveRuntimeImage(ctx, iref, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{rimg.ChainIDs[0].String()}, names, "only the first layer, committed before the crash, is left")
	n, err := countDirs(s.SnapshotsDir())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the half-written snapshot's directory is gone")
	views, err := s.RootFSViews(ctx)
	require.NoError(t, err)
	assert.Empty(t, views)

	ms, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "crash", Image: rimg})
	require.NoError(t, err, "the next prepare works")
	if os.Geteuid() != 0 {
		return
	}
	dir := t.TempDir()
	require.NoError(t, mount.All(rootfs.ToContainerd(ms), dir))
	defer mount.UnmountAll(dir, 0) //nolint:errcheck
	fi, err := os.Stat(filepath.Join(dir, "data/layer-1"))
	require.NoError(t, err)
	assert.Equal(t, int64(4<<20), fi.Size(), "the second layer is whole")
	assert.True(t, strings.HasPrefix(ms[0].Type, "overlay") || ms[0].Type == "bind")
}
