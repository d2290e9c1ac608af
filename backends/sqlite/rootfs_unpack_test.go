package sqlite

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// snapshotDirs counts the snapshot directories on disk.
func snapshotDirs(t *testing.T, s *Store) int {
	t.Helper()
	n, err := layerAndViewDirs(s)
	require.NoError(t, err)
	return n
}

// allSnapshotDirs counts every snapshot directory, spares included, once no spare is
// being prepared.
func allSnapshotDirs(t *testing.T, s *Store) int {
	t.Helper()
	_, err := layerAndViewDirs(s)
	require.NoError(t, err)
	n, err := countDirs(s.SnapshotsDir())
	require.NoError(t, err)
	return n
}

// unpackedSize is the snapshotter's usage of img's chains, as inspect reports it once
// they are unpacked; ok is false when one is not unpacked.
func unpackedSize(t *testing.T, s *Store, img imagesvc.RuntimeImage) (int64, bool) {
	t.Helper()
	var total int64
	for _, c := range img.ChainIDs {
		n, ok := s.chainUsage(context.Background(), c)
		if !ok {
			return 0, false
		}
		total += n
	}
	return total, true
}

// TestUnpackAtImportAndLoad: an import and a load unpack the image before recording it,
// as a pull does, so that list and inspect report the snapshotter's sizes at once, the
// same as after a pull of the same image; with Options.LazyUnpack they unpack nothing
// (sizes from the layers' tar headers), and the first prepare does.
func TestUnpackAtImportAndLoad(t *testing.T) {
	ctx := context.Background()
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{32 << 10, 48 << 10}, Seed: 41})
	require.NoError(t, err)
	reg := newTestRegistry(t)
	require.NoError(t, reg.Put("unpack/load", "v1", img))
	pulled, err := Open(filepath.Join(t.TempDir(), "store"), Options{HostsDir: reg.hosts})
	require.NoError(t, err)
	defer pulled.Close()
	reg.pull(t, pulled, "unpack/load:v1", nil)
	pref, err := imagesvc.ParseImageRef(reg.Host() + "/unpack/load:v1")
	require.NoError(t, err)
	afterPull, err := pulled.Inspect(ctx, pref, imagesvc.InspectOptions{})
	require.NoError(t, err)

	sizes := map[bool][2]int64{} // lazy -> inspect sizes after import, after load
	for _, lazy := range []bool{false, true} {
		s, err := Open(filepath.Join(t.TempDir(), "store"), Options{LazyUnpack: lazy})
		require.NoError(t, err)
		defer s.Close()

		importAs(t, s, "unpack/import:v1", "imported", "")
		ref, err := imagesvc.ParseImageRef("unpack/import:v1")
		require.NoError(t, err)
		rimg, err := s.ResolveRuntimeImage(ctx, ref, nil)
		require.NoError(t, err)
		_, unpacked := unpackedSize(t, s, rimg)
		assert.Equal(t, !lazy, unpacked, "lazy=%v: import unpacked", lazy)
		insp, err := s.Inspect(ctx, ref, imagesvc.InspectOptions{})
		require.NoError(t, err)
		importSize := insp.Size
		if lazy {
			assert.Zero(t, snapshotDirs(t, s))
		} else {
			assert.Equal(t, 1, snapshotDirs(t, s))
		}

		out, err := s.Load(ctx, imagesvc.LoadRequest{Source: testimages.OCIArchive(img, "unpack/load:v1")})
		require.NoError(t, err)
		require.Len(t, out, 1)
		lref, err := imagesvc.ParseImageRef("unpack/load:v1")
		require.NoError(t, err)
		limg, err := s.ResolveRuntimeImage(ctx, lref, nil)
		require.NoError(t, err)
		_, unpacked = unpackedSize(t, s, limg)
		assert.Equal(t, !lazy, unpacked, "lazy=%v: load unpacked", lazy)
		insp, err = s.Inspect(ctx, lref, imagesvc.InspectOptions{})
		require.NoError(t, err)
		sizes[lazy] = [2]int64{importSize, insp.Size}
		if lazy {
			assert.Zero(t, snapshotDirs(t, s))
		} else {
			assert.Equal(t, 3, snapshotDirs(t, s))
			assert.Equal(t, afterPull.Size, insp.Size, "inspect after load reports the size a pull does")
		}
		_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "v", Image: limg})
		require.NoError(t, err)
		require.NoError(t, s.RemoveRootFS(ctx, "v"))
		_, err = s.Remove(ctx, ref, imagesvc.RemoveOptions{})
		require.NoError(t, err)
		_, err = s.Remove(ctx, lref, imagesvc.RemoveOptions{})
		require.NoError(t, err)
		assert.Zero(t, allSnapshotDirs(t, s), "lazy=%v: deleting the images frees their snapshots (spares too)", lazy)
	}
	// The tar headers' sizes differ from the snapshotter's usage (blocks, directories).
	assert.NotEqual(t, sizes[true][0], sizes[false][0], "import: the snapshotter's size, not the tar's")
	assert.NotEqual(t, sizes[true][1], sizes[false][1], "load: the snapshotter's size, not the tar's")
}

// TestFailedUnpackLeavesNothing: a load whose second layer fails to unpack (its blob
// breaks half way, a fault no real archive produces once its digest was checked) fails
// and leaves no snapshot, no blob and no record: the first layer's committed chain is
// removed too. The same for an import.
func TestFailedUnpackLeavesNothing(t *testing.T) {
	ctx := context.Background()
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{32 << 10, 256 << 10}, Seed: 42})
	require.NoError(t, err)
	s, err := Open(filepath.Join(t.TempDir(), "store"), Options{})
	require.NoError(t, err)
	defer s.Close()
	var broken []digest.Digest
	s.snaps.wrapProvider = func(p content.Provider) content.Provider {
		return failingProvider{Provider: p, failOn: broken}
	}
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	broken = []digest.Digest{m.Layers[1].Digest}
	_, err = s.Load(ctx, imagesvc.LoadRequest{Source: testimages.OCIArchive(img, "unpack/broken:v1")})
	require.Error(t, err)
	assert.ErrorContains(t, err, "unpack")
	assert.Zero(t, snapshotDirs(t, s), "no snapshot left by the failed load")
	assertNothingLoaded(t, s)

	// An import's single layer.
	s.snaps.wrapProvider = func(p content.Provider) content.Provider {
		return failingProvider{Provider: p, all: true}
	}
	archive := testimages.Tar([]testimages.File{{Name: "data", Data: []byte("x")}})
	_, err = s.Import(ctx, imagesvc.ImportRequest{Source: bytes.NewReader(archive)}, nil)
	require.Error(t, err)
	assert.Zero(t, snapshotDirs(t, s), "no snapshot left by the failed import")
	assertNothingLoaded(t, s)
}

// failingProvider fails the reads of the blobs failOn (all: every blob) half way.
type failingProvider struct {
	content.Provider
	failOn []digest.Digest
	all    bool
}

func (p failingProvider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ra, err := p.Provider.ReaderAt(ctx, desc)
	if err != nil {
		return ra, err
	}
	for _, d := range p.failOn {
		if d == desc.Digest {
			return failingReaderAt{ra}, nil
		}
	}
	if p.all {
		return failingReaderAt{ra}, nil
	}
	return ra, nil
}

type failingReaderAt struct{ content.ReaderAt }

func (r failingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if off >= r.Size()/2 {
		return 0, errors.New("injected read failure")
	}
	if max := r.Size()/2 - off; int64(len(b)) > max {
		b = b[:max]
	}
	return r.ReaderAt.ReadAt(b, off)
}

// TestSpareViews: a writable prepare takes the spare snapshot prepared in the background
// after the previous one on the same chain, and its view is the catalog row naming the
// spare. What a crash can leave is cleaned up at Open: a spare no row names (never
// handed out, or its row lost) is removed, a view whose row names a snapshot that is gone
// is forgotten, and views that were recorded work after the reopen.
func TestSpareViews(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "store")
	s, err := Open(root, Options{})
	require.NoError(t, err)
	importAs(t, s, "spare/img:v1", "spare", "")
	ref, err := imagesvc.ParseImageRef("spare/img:v1")
	require.NoError(t, err)
	img, err := s.ResolveRuntimeImage(ctx, ref, nil)
	require.NoError(t, err)
	first, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "first", Image: img})
	require.NoError(t, err)
	assert.Equal(t, 2, snapshotDirs(t, s), "the layer and the view")
	assert.Equal(t, 3, allSnapshotDirs(t, s), "and a spare")
	second, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "second", Image: img})
	require.NoError(t, err)
	snap, err := s.viewSnapshot(ctx, "second")
	require.NoError(t, err)
	assert.True(t, isSpareKey(snap), "the second view took the spare: %s", snap)
	assert.NotEqual(t, first, second)
	again, err := s.RootFSMounts(ctx, "second")
	require.NoError(t, err)
	assert.Equal(t, second, again)
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "second", Image: img})
	assert.True(t, errdefs.IsAlreadyExists(err), "%v", err)
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: spareKeyPrefix + "x", Image: img})
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.Equal(t, 4, allSnapshotDirs(t, s), "layer, two views and a new spare")
	// A crash (power loss) that lost the row of "second" after it took the spare, while
	// "first" and the spare in the pool stay.
	_, err = s.wdb.ExecContext(ctx, `DELETE FROM rootfs_views WHERE key = 'second'`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = Open(root, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 2, allSnapshotDirs(t, s), "Open removed the spares no row names: the layer and the first view are left")
	views, err := s.RootFSViews(ctx)
	require.NoError(t, err)
	require.Len(t, views, 1)
	assert.Equal(t, "first", views[0].Key)
	ms, err := s.RootFSMounts(ctx, "first")
	require.NoError(t, err)
	assert.Equal(t, first, ms)
	_, err = s.Remove(ctx, ref, imagesvc.RemoveOptions{})
	assert.True(t, errdefs.IsConflict(err), "the view keeps its image: %v", err)
	require.NoError(t, s.RemoveRootFS(ctx, "first"))
	_, err = s.Remove(ctx, ref, imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Zero(t, allSnapshotDirs(t, s))
}

// TestNoSpareViews: with Options.NoSpareViews no spare is prepared, and every view is
// the snapshot of its own key.
func TestNoSpareViews(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"), Options{NoSpareViews: true})
	require.NoError(t, err)
	defer s.Close()
	importAs(t, s, "spare/img:v1", "spare", "")
	ref, err := imagesvc.ParseImageRef("spare/img:v1")
	require.NoError(t, err)
	img, err := s.ResolveRuntimeImage(ctx, ref, nil)
	require.NoError(t, err)
	for _, key := range []string{"first", "second"} {
		_, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: key, Image: img})
		require.NoError(t, err)
		snap, err := s.viewSnapshot(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, key, snap)
	}
	assert.Equal(t, 3, allSnapshotDirs(t, s), "the layer and two views, no spare")
}
