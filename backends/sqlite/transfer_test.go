package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// TestLoadLeavesNothing loads archives that fail after blobs were written: each fails with
// its class, and the content store's blobs and ingest directories and the catalog are as
// before.
func TestLoadLeavesNothing(t *testing.T) {
	bad, err := testimages.BadArchives()
	require.NoError(t, err)
	pt, stores := t, map[int64]*Store{}
	for _, b := range bad {
		t.Run(b.Name, func(t *testing.T) {
			s := stores[b.MaxSize]
			if s == nil {
				var err error
				s, err = Open(pt.TempDir(), Options{MaxImportSize: b.MaxSize})
				require.NoError(t, err)
				pt.Cleanup(func() { s.Close() })
				stores[b.MaxSize] = s
			}
			src := b.Open()
			defer src.Close()
			out, err := s.Load(context.Background(), imagesvc.LoadRequest{Source: src})
			require.Error(t, err)
			assert.ErrorIs(t, err, b.Class, "%v", err)
			assert.Empty(t, out)
			assertNothingLoaded(t, s)
		})
	}
}

// assertNothingLoaded checks that s has no blob, no unfinished write and no image.
func assertNothingLoaded(t *testing.T, s *Store) {
	t.Helper()
	assert.Empty(t, blobsOnDisk(t, s), "no blob left behind")
	assert.Zero(t, ingests(t, s), "no unfinished write left behind")
	assert.Empty(t, listIDs(t, s, imagesvc.ListOptions{All: true}))
	checkCatalog(t, s, true)
}

// TestLoadStopsOnCancel loads an archive that never ends with a short deadline: the
// load returns the context's error promptly and leaves nothing.
func TestLoadStopsOnCancel(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := s.Load(ctx, imagesvc.LoadRequest{Source: testimages.EndlessArchive()})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second, "the load stops when its context ends")
	assert.Empty(t, out)
	assertNothingLoaded(t, s)
}

// TestLoadReportsRecordedNames loads an archive naming one image by a name that is not
// a reference and by a valid one: only the recorded name is reported, once.
func TestLoadReportsRecordedNames(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	img, err := testimages.OCIManifest(testimages.Config{Seed: 77})
	require.NoError(t, err)
	src := testimages.OCIArchive(img, "Not A Reference!", "foo:1")
	defer src.Close()
	out, err := s.Load(context.Background(), imagesvc.LoadRequest{Source: src})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.LoadedImage{{Name: "foo:1", ID: img.Descriptor.Digest}}, out)

	src2 := testimages.OCIArchive(img, "Not A Reference!")
	defer src2.Close()
	out, err = s.Load(context.Background(), imagesvc.LoadRequest{Source: src2})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.LoadedImage{{ID: img.Descriptor.Digest}}, out, "an unrecorded name is not reported")
}
