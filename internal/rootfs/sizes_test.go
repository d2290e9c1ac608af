package rootfs_test

import (
	"context"
	"os"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/backends/containerd"
	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

func TestMain(m *testing.M) {
	code := m.Run()
	containerdtest.StopShared()
	os.Exit(code)
}

// TestSizesAgree pulls the same image into the SQLite backend (embedded overlayfs
// snapshotter) and into containerd 2.x (its overlayfs snapshotter): list and inspect
// report the same size, the snapshotter's real usage of the unpacked layers plus the
// content, as Docker 29 does with layers unpacked.
func TestSizesAgree(t *testing.T) {
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	img, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{
		{
			{Name: "bin/"},
			{Name: "bin/tool", Data: make([]byte, 10000), Mode: 0o755},
			{Name: "etc/small", Data: []byte("x")},
			{Name: "etc/link", Typeflag: '2', Linkname: "small"},
			{Name: "usr/share/doc/"},
		},
		{
			{Name: "etc/.wh.small"},
			{Name: "var/lib/data", Data: make([]byte, 123457)},
			{Name: "var/empty/"},
		},
	}})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/sizes", "1", img))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	ctx := context.Background()

	sq, err := sqlite.Open(t.TempDir(), sqlite.Options{HostsDir: hosts, Platform: amd64, Snapshotter: sqlite.SnapshotterOverlay})
	if err != nil {
		testenv.Unavailable(t, "the SQLite backend on overlayfs: %v", err)
	}
	t.Cleanup(func() { _ = sq.Close() })
	// On the disk, as the SQLite store's directory: a tmpfs counts no blocks for
	// directories, a disk file system 4 KiB each, and the usage is counted in blocks.
	d := containerdtest.Shared(t, containerdtest.Options{Version: containerdtest.Version2, OnDisk: true})
	if d.Snapshotter() != "overlayfs" {
		testenv.Unavailable(t, "containerd's overlayfs snapshotter (the daemon uses %s)", d.Snapshotter())
	}
	ct, err := containerd.New(ctx, containerd.Options{Address: d.Address(), Namespace: "sizes-agree", HostsDir: hosts,
		Platform: amd64, Snapshotter: "overlayfs"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ct.Close() })

	named, err := imagesvc.ParsePullReference(reg.Host()+"/library/sizes:1", "", "")
	require.NoError(t, err)
	ref, err := imagesvc.ParseImageRef(named.String())
	require.NoError(t, err)
	var sizes [2]struct{ list, inspect, unpacked int64 }
	for i, svc := range []imagesvc.Service{sq, ct} {
		_, err := svc.Pull(ctx, imagesvc.PullRequest{Ref: named}, nil)
		require.NoError(t, err)
		sums, err := svc.List(ctx, imagesvc.ListOptions{Manifests: true})
		require.NoError(t, err)
		require.Len(t, sums, 1)
		require.Len(t, sums[0].Manifests, 1)
		in, err := svc.Inspect(ctx, ref, imagesvc.InspectOptions{})
		require.NoError(t, err)
		sizes[i].list, sizes[i].inspect = sums[0].Size, in.Size
		sizes[i].unpacked = sums[0].Manifests[0].ImageData.Unpacked
	}
	t.Logf("sqlite %+v, containerd %+v", sizes[0], sizes[1])
	assert.Positive(t, sizes[1].unpacked, "containerd unpacked the layers")
	assert.Equal(t, sizes[1], sizes[0], "SQLite (overlayfs) and containerd 2.x (overlayfs) agree")
	assert.Equal(t, sizes[0].list, sizes[0].inspect)
}
