package containerd

import (
	"context"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
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
