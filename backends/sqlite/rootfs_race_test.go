package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// TestPrepareRemoveRace prepares a view of an image while the image is removed (not
// forced) or pruned, many times, with the removal started at varying points of the
// prepare: an image is never deleted while a view of it exists. Either the prepare
// records its view first and the removal is a Conflict (the prune skips it), or the
// removal deletes the image first and the prepare fails with NotFound, leaving no view.
func TestPrepareRemoveRace(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "store"), Options{})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()
	const name = "race/img:v1"
	iref, err := imagesvc.ParseImageRef(name)
	require.NoError(t, err)
	rounds := 24
	if testing.Short() {
		rounds = 8
	}
	// How long a prepare takes alone: the removals start at random points within it.
	importAs(t, s, name, "race", "")
	img, err := s.ResolveRuntimeImage(ctx, iref, nil)
	require.NoError(t, err)
	start := time.Now()
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "solo", Image: img})
	require.NoError(t, err)
	span := time.Since(start) * 3 / 2
	require.NoError(t, s.RemoveRootFS(ctx, "solo"))
	var prepared, deleted int
	for i := range rounds {
		id := importAs(t, s, name, "race", "")
		img, err := s.ResolveRuntimeImage(ctx, iref, nil)
		require.NoError(t, err)
		key := fmt.Sprintf("race-%d", i)
		prune := i%4 == 3
		delay := time.Duration(rand.Int64N(int64(span)))
		var (
			wg        sync.WaitGroup
			prepErr   error
			rmErr     error
			pruneDone *imagesvc.PruneReport
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, prepErr = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: key, Image: img})
		}()
		go func() {
			defer wg.Done()
			time.Sleep(delay)
			if prune {
				pruneDone, rmErr = s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("dangling", "false"))})
			} else {
				_, rmErr = s.Remove(ctx, iref, imagesvc.RemoveOptions{})
			}
		}()
		wg.Wait()
		_, inspErr := s.Inspect(ctx, iref, imagesvc.InspectOptions{})
		exists := inspErr == nil
		if !exists {
			require.True(t, errdefs.IsNotFound(inspErr), "inspect: %v", inspErr)
		}
		views, err := s.RootFSViews(ctx)
		require.NoError(t, err)
		for _, v := range views {
			assert.True(t, exists, "round %d: view %s exists but its image %s was deleted (prepare: %v, removal: %v)", i, v.Key, v.Image, prepErr, rmErr)
			assert.Equal(t, id, v.Image)
		}
		if prepErr == nil {
			prepared++
			assert.Len(t, views, 1, "round %d: the prepared view is recorded", i)
			if !prune {
				assert.True(t, errdefs.IsConflict(rmErr), "round %d: remove of an image with a view: %v", i, rmErr)
			}
			require.NoError(t, s.RemoveRootFS(ctx, key))
		} else {
			assert.True(t, errdefs.IsNotFound(prepErr), "round %d: prepare: %v", i, prepErr)
			assert.Empty(t, views)
			assert.False(t, exists, "round %d: the prepare failed but the image stays", i)
		}
		if !exists {
			deleted++
			if prune {
				require.NotNil(t, pruneDone)
			}
		} else {
			_, err := s.Remove(ctx, iref, imagesvc.RemoveOptions{Force: true})
			require.NoError(t, err)
		}
	}
	t.Logf("%d rounds: %d prepared first, %d deleted first", rounds, prepared, deleted)
	assert.Zero(t, allSnapshotDirs(t, s), "every snapshot is freed, spares too")
}
