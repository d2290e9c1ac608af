package sqlite

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// heldRegistry serves one image whose layer downloads wait for release.
type heldRegistry struct {
	reg      *testregistry.Registry
	hosts    string
	ref      imagesvc.PullRequest
	layerGet atomic.Int32  // layer downloads started
	started  chan struct{} // closed when the first layer download starts
	release  chan struct{} // close to let layer downloads proceed
	gone     chan struct{} // closed when a held download's client went away
}

func newHeldRegistry(t *testing.T) *heldRegistry {
	t.Helper()
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{32 << 10}, Seed: 11})
	require.NoError(t, err)
	h := &heldRegistry{
		reg:     testregistry.New(t, testregistry.Options{}),
		hosts:   filepath.Join(t.TempDir(), "hosts"),
		started: make(chan struct{}),
		release: make(chan struct{}),
		gone:    make(chan struct{}),
	}
	require.NoError(t, h.reg.Put("held/image", "v1", img))
	require.NoError(t, h.reg.WriteHostsDir(h.hosts))
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	layer := man.Layers[0].Digest
	var startOnce, goneOnce sync.Once
	h.reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if d, ok := testregistry.BlobRequest(req); ok && d == layer && req.Method == http.MethodGet {
			h.layerGet.Add(1)
			startOnce.Do(func() { close(h.started) })
			select {
			case <-h.release:
			case <-req.Context().Done():
				goneOnce.Do(func() { close(h.gone) })
				return
			}
		}
		next.ServeHTTP(w, req)
	})
	ref, err := imagesvc.ParsePullReference(h.reg.Host()+"/held/image", "v1", "")
	require.NoError(t, err)
	h.ref = imagesvc.PullRequest{Ref: ref}
	return h
}

func (h *heldRegistry) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-h.started:
	case <-time.After(time.Minute):
		t.Fatal("the layer download never started")
	}
}

type pullOutcome struct {
	pulled []imagesvc.PulledImage
	events int
	err    error
}

// startPull pulls in the background. The returned channel joined is closed when the
// caller received its first progress event, so it is surely part of the operation.
func startPull(ctx context.Context, s *Store, req imagesvc.PullRequest) (res <-chan pullOutcome, joined <-chan struct{}) {
	ch := make(chan pullOutcome, 1)
	first := make(chan struct{})
	go func() {
		var n atomic.Int32
		pulled, err := s.Pull(ctx, req, func(imagesvc.ProgressEvent) {
			if n.Add(1) == 1 {
				close(first)
			}
		})
		ch <- pullOutcome{pulled: pulled, events: int(n.Load()), err: err}
	}()
	return ch, first
}

func waitJoined(t *testing.T, joined <-chan struct{}) {
	t.Helper()
	select {
	case <-joined:
	case <-time.After(time.Minute):
		t.Fatal("the caller never received progress")
	}
}

func TestSharedPullSurvivesACallerLeaving(t *testing.T) {
	h := newHeldRegistry(t)
	s := openTest(t, Options{HostsDir: h.hosts})

	ctx1, cancel1 := context.WithCancel(context.Background())
	first, _ := startPull(ctx1, s, h.ref)
	h.waitStarted(t)
	second, joined := startPull(context.Background(), s, h.ref)
	waitJoined(t, joined)

	// Lists and inspects do not wait for the pull.
	done := make(chan error, 1)
	go func() {
		_, err := s.List(context.Background(), imagesvc.ListOptions{})
		if err == nil {
			_, err = s.Inspect(context.Background(), mustRef(t, "held/image:v1"), imagesvc.InspectOptions{})
			if errdefs.IsNotFound(err) {
				err = nil
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("List waited for a pull")
	}

	cancel1()
	r1 := <-first
	assert.True(t, errdefs.IsCanceled(r1.err), "the caller that left: %v", r1.err)
	select {
	case <-h.gone:
		t.Fatal("one caller leaving cancelled the shared download")
	case <-time.After(200 * time.Millisecond):
	}
	close(h.release)
	r2 := <-second
	require.NoError(t, r2.err)
	require.Len(t, r2.pulled, 1)
	assert.Positive(t, r2.events, "the caller that joined sees the progress, replayed")
	assert.Equal(t, int32(1), h.layerGet.Load(), "two pulls of one reference share one download")
}

func TestSharedPullCancelledByTheLastCaller(t *testing.T) {
	h := newHeldRegistry(t)
	s := openTest(t, Options{HostsDir: h.hosts})
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	first, _ := startPull(ctx1, s, h.ref)
	h.waitStarted(t)
	second, joined := startPull(ctx2, s, h.ref)
	waitJoined(t, joined)
	cancel1()
	cancel2()
	assert.True(t, errdefs.IsCanceled((<-first).err))
	assert.True(t, errdefs.IsCanceled((<-second).err))
	select {
	case <-h.gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the download went on after every caller left")
	}
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Empty(t, sums)
}

func TestCloseCancelsPulls(t *testing.T) {
	h := newHeldRegistry(t)
	s, err := Open(t.TempDir(), Options{HostsDir: h.hosts})
	require.NoError(t, err)
	res, _ := startPull(context.Background(), s, h.ref)
	h.waitStarted(t)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the pull instead of cancelling it")
	}
	r := <-res
	require.Error(t, r.err)
	assert.True(t, errdefs.IsUnavailable(r.err), "%v", r.err)
	_, err = s.Pull(context.Background(), h.ref, nil)
	assert.True(t, errdefs.IsUnavailable(err), "a pull after Close: %v", err)
}

func TestDifferentPlatformsDoNotShare(t *testing.T) {
	img, err := testimages.OCIIndex([]testimages.Config{
		{Seed: 21},
		{Platform: ociPlatform("linux", "arm64", "v8"), Seed: 21},
	}, false)
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("multi/image", "v1", img))
	hosts := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, reg.WriteHostsDir(hosts))
	s := openTest(t, Options{HostsDir: hosts, Platform: ociPlatform("linux", "amd64", "")})
	ref, err := imagesvc.ParsePullReference(reg.Host()+"/multi/image", "v1", "")
	require.NoError(t, err)

	arm := ociPlatform("linux", "arm64", "v8")
	var wg sync.WaitGroup
	for _, p := range []*ociPlatformT{nil, &arm} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref, Platform: p}, nil)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	sums, err := s.List(context.Background(), imagesvc.ListOptions{Manifests: true})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	available := map[digest.Digest]bool{}
	for _, m := range sums[0].Manifests {
		available[m.ID] = m.Available
	}
	for _, d := range img.Manifests() {
		assert.True(t, available[d.Digest], "both platforms were pulled: %s", d.Digest)
	}
	assert.Equal(t, "amd64", bestArch(t, s, reg.Host()+"/multi/image:v1"), "the host's platform is the best manifest")
}

func bestArch(t *testing.T, s *Store, name string) string {
	t.Helper()
	img, err := s.Inspect(context.Background(), mustRef(t, name), imagesvc.InspectOptions{})
	require.NoError(t, err)
	return img.Architecture
}
