package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
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

// TestCollectorDoesNotBlockPrepares: while a load of two platforms is stopped in the
// second's layer (the first platform's chain committed, with no snapshot above it, and
// the image not recorded yet), a Remove of another image collects snapshots and a
// prepare of a third image's view succeeds, neither waiting for the unpack; the
// collection keeps the unpack's chain (pinned), so the load then finishes with both
// platforms unpacked.
func TestCollectorDoesNotBlockPrepares(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"), Options{})
	require.NoError(t, err)
	defer s.Close()
	importAs(t, s, "pins/run:v1", "run", "")
	importAs(t, s, "pins/gone:v1", "gone", "")
	run, err := s.ResolveRuntimeImage(ctx, mustImageRef(t, "pins/run:v1"), nil)
	require.NoError(t, err)

	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	img, err := testimages.OCIIndex([]testimages.Config{
		{Platform: amd64, LayerSizes: []int64{16 << 10}, Seed: 77},
		{Platform: arm64, LayerSizes: []int64{32 << 10}, Seed: 78},
	}, false)
	require.NoError(t, err)
	var second digest.Digest
	for _, d := range img.Manifests() {
		if d.Platform != nil && d.Platform.Architecture == "arm64" {
			m, _, err := img.Manifest(d.Digest)
			require.NoError(t, err)
			second = m.Layers[0].Digest
		}
	}
	require.NotEmpty(t, second)
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.snaps.wrapProvider = func(p content.Provider) content.Provider {
		return blockingProvider{Provider: p, on: second, reached: func() { once.Do(func() { close(reached) }) }, release: release}
	}
	loaded := make(chan error, 1)
	go func() {
		_, err := s.Load(ctx, imagesvc.LoadRequest{Source: testimages.OCIArchive(img, "pins/loaded:v1"), Platforms: []ocispec.Platform{amd64, arm64}})
		loaded <- err
	}()
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the load did not reach its second platform's layer")
	}
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	removed := make(chan error, 1)
	go func() {
		_, err := s.Remove(ctx, mustImageRef(t, "pins/gone:v1"), imagesvc.RemoveOptions{})
		removed <- err
	}()
	select {
	case err := <-removed:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the Remove waited for the unpack in progress")
	}
	prepared := make(chan error, 1)
	go func() {
		_, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c", Image: run})
		prepared <- err
	}()
	select {
	case err := <-prepared:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the prepare waited for the unpack in progress")
	}

	close(release)
	released = true
	require.NoError(t, <-loaded)
	lref := mustImageRef(t, "pins/loaded:v1")
	for _, p := range []ocispec.Platform{amd64, arm64} {
		limg, err := s.ResolveRuntimeImage(ctx, lref, &p)
		require.NoError(t, err)
		_, unpacked := unpackedSize(t, s, limg)
		assert.True(t, unpacked, "%s: the collection kept the chain the unpack had committed", p.Architecture)
	}
}

func mustImageRef(t *testing.T, s string) imagesvc.ImageRef {
	t.Helper()
	ref, err := imagesvc.ParseImageRef(s)
	require.NoError(t, err)
	return ref
}

// blockingProvider stops the reads of the blob on until release is closed, calling
// reached at the first.
type blockingProvider struct {
	content.Provider
	on      digest.Digest
	reached func()
	release chan struct{}
}

func (p blockingProvider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ra, err := p.Provider.ReaderAt(ctx, desc)
	if err != nil || desc.Digest != p.on {
		return ra, err
	}
	return blockingReaderAt{ReaderAt: ra, p: p}, nil
}

type blockingReaderAt struct {
	content.ReaderAt
	p blockingProvider
}

func (r blockingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	r.p.reached()
	<-r.p.release
	return r.ReaderAt.ReadAt(b, off)
}

// TestViewsCountAsContainers: a view counts as a container of its image's manifest in
// List and Inspect, and ListVersion changes when a view is prepared or removed.
func TestViewsCountAsContainers(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"), Options{})
	require.NoError(t, err)
	defer s.Close()
	importAs(t, s, "views/count:v1", "count", "")
	ref := mustImageRef(t, "views/count:v1")
	img, err := s.ResolveRuntimeImage(ctx, ref, nil)
	require.NoError(t, err)
	users := func() []string {
		t.Helper()
		sums, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
		require.NoError(t, err)
		require.Len(t, sums, 1)
		require.Len(t, sums[0].Manifests, 1)
		got := sums[0].Manifests[0].ImageData.Containers
		assert.Equal(t, int64(len(got)), sums[0].Containers)
		insp, err := s.Inspect(ctx, ref, imagesvc.InspectOptions{Manifests: true})
		require.NoError(t, err)
		require.Len(t, insp.Manifests, 1)
		assert.Equal(t, got, insp.Manifests[0].ImageData.Containers, "inspect agrees")
		return got
	}
	version := func() string {
		t.Helper()
		v, err := s.ListVersion(ctx)
		require.NoError(t, err)
		return v
	}
	assert.Empty(t, users())
	v0 := version()
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "rw", Image: img})
	require.NoError(t, err)
	v1 := version()
	assert.NotEqual(t, v0, v1)
	assert.Equal(t, []string{"rw"}, users())
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "ro", Image: img, ReadOnly: true})
	require.NoError(t, err)
	v2 := version()
	assert.NotEqual(t, v1, v2)
	assert.ElementsMatch(t, []string{"rw", "ro"}, users())
	require.NoError(t, s.RemoveRootFS(ctx, "rw"))
	require.NoError(t, s.RemoveRootFS(ctx, "ro"))
	assert.NotEqual(t, v2, version())
	assert.Empty(t, users())
}

// TestCollectionAfterPins: a collection that keeps a snapshot only because an operation
// pinned it runs again once that operation unpins it, so that what the operation did not
// end up using is freed without waiting for the next removal.
func TestCollectionAfterPins(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "store"), Options{NoSpareViews: true})
	require.NoError(t, err)
	defer s.Close()
	importAs(t, s, "pins/again:v1", "again", "")
	ref := mustImageRef(t, "pins/again:v1")
	img, err := s.ResolveRuntimeImage(context.Background(), ref, nil)
	require.NoError(t, err)
	require.Equal(t, 1, snapshotDirs(t, s))
	unpin, err := s.snaps.pinChains(context.Background(), img)
	require.NoError(t, err)
	_, err = s.Remove(context.Background(), ref, imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, snapshotDirs(t, s), "the pinned chain stays")
	unpin()
	assert.Zero(t, snapshotDirs(t, s), "unpinned, it is collected")
}

// TestPinWaitsForCollectionOrContext: a pin of a snapshot the running collection removes
// waits for the collection to end, and gives up with the caller's context.
func TestPinWaitsForCollectionOrContext(t *testing.T) {
	st := &snapshotState{}
	st.mu.Lock()
	st.doomed = map[string]bool{"c": true}
	st.undoomed = make(chan struct{})
	st.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := st.pin(ctx, "a", "c")
	require.ErrorIs(t, err, context.Canceled)
	unpinA, err := st.pin(context.Background(), "a")
	require.NoError(t, err, "a name not doomed is pinned at once")
	pinned := make(chan error, 1)
	go func() {
		unpin, err := st.pin(context.Background(), "c")
		if err == nil {
			unpin()
		}
		pinned <- err
	}()
	select {
	case err := <-pinned:
		t.Fatalf("the pin of a doomed name returned during the collection: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	st.mu.Lock()
	st.doomed = nil
	close(st.undoomed)
	st.mu.Unlock()
	require.NoError(t, <-pinned)
	unpinA()
	st.mu.Lock()
	defer st.mu.Unlock()
	assert.Empty(t, st.pins)
}

// TestCollectionAfterRelease: a chain an operation unpins while a collection runs (after
// the collection read the catalog, which the operation may have written since) is kept by
// that collection, and collected by the next one it starts, when nothing recorded it.
func TestCollectionAfterRelease(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "store"), Options{NoSpareViews: true})
	require.NoError(t, err)
	defer s.Close()
	importAs(t, s, "pins/released:v1", "released", "")
	ref := mustImageRef(t, "pins/released:v1")
	img, err := s.ResolveRuntimeImage(context.Background(), ref, nil)
	require.NoError(t, err)
	unpin, err := s.snaps.pinChains(context.Background(), img)
	require.NoError(t, err)
	var once sync.Once
	s.snaps.beforeDoom = func() { once.Do(unpin) }
	_, err = s.Remove(context.Background(), ref, imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Zero(t, snapshotDirs(t, s), "released during the collection, collected by the next")
}
