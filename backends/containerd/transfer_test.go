package containerd

import (
	"context"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// TestLoadLeavesNothing loads archives that fail after blobs were written: each fails with
// its class, and the namespace has no content, no unfinished write and no record after.
func TestLoadLeavesNothing(t *testing.T) {
	bad, err := testimages.BadArchives()
	require.NoError(t, err)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			pt, stores := t, map[int64]*Store{}
			for _, b := range bad {
				t.Run(b.Name, func(t *testing.T) {
					s := stores[b.MaxSize]
					if s == nil {
						s, _ = open(pt, v, Options{MaxImportSize: b.MaxSize})
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
		})
	}
}

// assertNothingLoaded checks that s's namespace has no content, no unfinished write and
// no record.
func assertNothingLoaded(t *testing.T, s *Store) {
	t.Helper()
	ctx := s.nsContext(context.Background())
	cs := s.client.ContentStore()
	var blobs []digest.Digest
	require.NoError(t, cs.Walk(ctx, func(info content.Info) error {
		blobs = append(blobs, info.Digest)
		return nil
	}))
	assert.Empty(t, blobs, "no blob left behind")
	st, err := cs.ListStatuses(ctx)
	require.NoError(t, err)
	assert.Empty(t, st, "no unfinished write left behind")
	recs, err := s.client.ImageService().List(ctx)
	require.NoError(t, err)
	assert.Empty(t, recs, "no record")
}

// TestLoadStopsOnCancel loads an archive that never ends with a short deadline: the
// load returns the context's error promptly and leaves nothing.
func TestLoadStopsOnCancel(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			out, err := s.Load(ctx, imagesvc.LoadRequest{Source: testimages.EndlessArchive()})
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 5*time.Second, "the load stops when its context ends")
			assert.Empty(t, out)
			assertNothingLoaded(t, s)
		})
	}
}

// TestLoadKeepsReplacedImageDangling loads an archive naming image B "foo:1" (verbatim,
// not normalized) over an earlier load of image A as "foo:1": the name moves to B and A
// stays as moby-dangling@A. A nameless descriptor of an image the archive also names
// adds no dangling record.
func TestLoadKeepsReplacedImageDangling(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{})
			ctx := context.Background()
			a, err := testimages.OCIManifest(testimages.Config{Seed: 1})
			require.NoError(t, err)
			b, err := testimages.OCIManifest(testimages.Config{Seed: 2})
			require.NoError(t, err)
			for _, img := range []*testimages.Image{a, b} {
				src := testimages.OCIArchive(img, "foo:1")
				out, err := s.Load(ctx, imagesvc.LoadRequest{Source: src})
				src.Close()
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.LoadedImage{{Name: "foo:1", ID: img.Descriptor.Digest}}, out)
			}
			nctx := s.nsContext(ctx)
			is := s.client.ImageService()
			rec, err := is.Get(nctx, "foo:1")
			require.NoError(t, err)
			assert.Equal(t, b.Descriptor.Digest, rec.Target.Digest)
			old, err := is.Get(nctx, danglingName(a.Descriptor.Digest))
			require.NoError(t, err, "the replaced image is kept dangling")
			assert.Equal(t, a.Descriptor.Digest, old.Target.Digest)
			_, err = is.Get(nctx, danglingName(b.Descriptor.Digest))
			assert.True(t, errdefs.IsNotFound(err), "no dangling twin of a named image: %v", err)
		})
	}
}
