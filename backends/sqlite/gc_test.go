package sqlite

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// TestCancelledPullFreesSpace cancels a pull in the middle of a layer, after another layer
// was committed: its partial download and its blob are removed within seconds, and the
// next pull works, with the same open store.
func TestCancelledPullFreesSpace(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{256 << 10, 8 << 20}, Seed: 61})
	require.NoError(t, err)
	r := newTestRegistry(t)
	require.NoError(t, r.Put("cancel/app", "1", img))
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	small, big := man.Layers[0].Digest, man.Layers[1].Digest

	// Serve the small layer, then half of the big one, and hold the rest until the client
	// goes away.
	halfway := make(chan struct{})
	var once sync.Once
	r.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if d, ok := testregistry.BlobRequest(req); ok && d == big && req.Method == http.MethodGet {
			next.ServeHTTP(&stallingWriter{ResponseWriter: w, limit: man.Layers[1].Size / 2, ctx: req.Context(), reached: func() {
				once.Do(func() { close(halfway) })
			}}, req)
			return
		}
		next.ServeHTTP(w, req)
	})
	s := openTest(t, Options{HostsDir: r.hosts, Concurrency: 1})
	ref, err := imagesvc.ParsePullReference(r.Host()+"/cancel/app", "1", "")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		_, err := s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil)
		res <- err
	}()
	select {
	case <-halfway:
	case <-time.After(time.Minute):
		t.Fatal("the pull never got half way through the layer")
	}
	require.Eventually(t, func() bool { return ingests(t, s) > 0 && blobsOnDisk(t, s)[small] }, 10*time.Second, 10*time.Millisecond,
		"the pull has a committed layer and an unfinished download")
	cancel()
	require.True(t, errdefs.IsCanceled(<-res))

	require.Eventually(t, func() bool { return ingests(t, s) == 0 && len(blobsOnDisk(t, s)) == 0 }, 10*time.Second, 10*time.Millisecond,
		"the space comes back: %d ingests, %d blobs", ingests(t, s), len(blobsOnDisk(t, s)))

	r.SetHook(nil)
	r.pull(t, s, "cancel/app:1", nil)
	checkCatalog(t, s, true)
	assert.Len(t, blobsOnDisk(t, s), len(img.Blobs))
}

// TestFailedPullLeavesNothing pulls an image whose last layer is corrupt: the pull fails
// and nothing of it stays, not even the blobs it verified and committed before.
func TestFailedPullLeavesNothing(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{4096, 8192}, Seed: 62})
	require.NoError(t, err)
	r := newTestRegistry(t)
	require.NoError(t, r.Put("fail/app", "1", img))
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	r.CorruptBlob(man.Layers[1].Digest)
	s := openTest(t, Options{HostsDir: r.hosts, Concurrency: 1})
	ref, err := imagesvc.ParsePullReference(r.Host()+"/fail/app", "1", "")
	require.NoError(t, err)
	_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.True(t, errdefs.IsDataLoss(err), "%v", err)
	assertNothingStored(t, s)
	assert.Zero(t, ingests(t, s))
}
