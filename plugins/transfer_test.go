package plugins_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// transferFake is a backend whose Save, Load and Push run what the test sets, to inject
// faults no real backend produces on demand; the rest is a MemService.
type transferFake struct {
	*plugintest.MemService
	save func(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error
	load func(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error)
	push func(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error
}

func (f *transferFake) Save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error {
	return f.save(ctx, req, w)
}

func (f *transferFake) Load(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
	return f.load(ctx, req)
}

func (f *transferFake) Push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	return f.push(ctx, req, progress)
}

// writes records the size of every write.
type writes struct {
	bytes.Buffer
	sizes []int
}

func (w *writes) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

// A save through the plugin and a load of its archive through another give back the
// images, names and platforms as the backend wrote them; errors keep their class.
func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := plugintest.NewMemService()
	src.Seed(2)
	c := plugintest.InProcess(t, src, plugins.Options{})
	saver := c.(imagesvc.Saver)

	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	var archive writes
	err := saver.Save(ctx, imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{mustRef(t, "seed0:latest"), mustRef(t, "seed1")}, Platforms: []ocispec.Platform{amd64}}, &archive)
	require.NoError(t, err)
	var direct bytes.Buffer
	require.NoError(t, src.Save(ctx, imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{mustRef(t, "seed0:latest"), mustRef(t, "seed1")}, Platforms: []ocispec.Platform{amd64}}, &direct))
	assert.Equal(t, direct.Bytes(), archive.Bytes(), "the archive crosses unchanged")

	// A name that resolves to nothing: the request's error, before any byte.
	var none writes
	err = saver.Save(ctx, imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{mustRef(t, "nope:1")}}, &none)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.EqualError(t, err, "No such image: nope:1")
	assert.Zero(t, none.Len())

	dst := plugintest.NewMemService()
	loader := plugintest.InProcess(t, dst, plugins.Options{}).(imagesvc.Loader)
	loaded, err := loader.Load(ctx, imagesvc.LoadRequest{Source: bytes.NewReader(archive.Bytes()), Platforms: []ocispec.Platform{amd64}})
	require.NoError(t, err)
	require.Len(t, loaded, 2)
	assert.Equal(t, "seed0:latest", loaded[0].Name)
	assert.Equal(t, "seed1:latest", loaded[1].Name)
	assert.Equal(t, "Loaded image: seed0:latest", loaded[0].Message())
	for _, name := range []string{"seed0:latest", "seed1:latest"} {
		want, err := src.Inspect(ctx, mustRef(t, name), imagesvc.InspectOptions{})
		require.NoError(t, err)
		got, err := dst.Inspect(ctx, mustRef(t, name), imagesvc.InspectOptions{})
		require.NoError(t, err)
		assert.Equal(t, want.ID, got.ID)
		assert.Equal(t, want.Config, got.Config)
	}

	// Images that come with an error are kept, and so is the error's class.
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	loaded, err = loader.Load(ctx, imagesvc.LoadRequest{Source: bytes.NewReader(archive.Bytes()), Platforms: []ocispec.Platform{arm}})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.ErrorContains(t, err, "were loaded, but don't provide the requested platform")
	assert.Len(t, loaded, 2)

	// Garbage and an empty body: InvalidArgument with the backend's text, nothing loaded.
	for _, body := range []string{"", strings.Repeat("garbage", 100)} {
		loaded, err = loader.Load(ctx, imagesvc.LoadRequest{Source: strings.NewReader(body)})
		assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
		assert.Empty(t, loaded)
	}
}

// The host's reader failing reaches the backend's reader with its class and text.
func TestLoadSourceError(t *testing.T) {
	var seen atomic.Value
	f := &transferFake{MemService: plugintest.NewMemService(), load: func(_ context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
		_, err := io.Copy(io.Discard, req.Source)
		seen.Store(err)
		return nil, err
	}}
	loader := plugintest.InProcess(t, f, plugins.Options{}).(imagesvc.Loader)
	src := io.MultiReader(strings.NewReader("some bytes"), errReader{errdefs.ErrResourceExhausted.WithMessage("request body too large")})
	_, err := loader.Load(context.Background(), imagesvc.LoadRequest{Source: src})
	assert.True(t, errdefs.IsResourceExhausted(err), "%v", err)
	assert.EqualError(t, err, "request body too large")
	perr, _ := seen.Load().(error)
	assert.True(t, errdefs.IsResourceExhausted(perr), "the plugin's reader failed with the class: %v", perr)
}

// A save that fails after writing: the host gets what was written, then the error, with
// its class; so the HTTP adapter appends it to the archive.
func TestSaveFailsMidStream(t *testing.T) {
	f := &transferFake{MemService: plugintest.NewMemService(), save: func(_ context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
		if _, err := w.Write([]byte("partial")); err != nil {
			return err
		}
		return errdefs.ErrDataLoss.WithMessage("blob sha256:1 is corrupt")
	}}
	saver := plugintest.InProcess(t, f, plugins.Options{}).(imagesvc.Saver)
	var out writes
	err := saver.Save(context.Background(), imagesvc.SaveRequest{}, &out)
	assert.True(t, errdefs.IsDataLoss(err), "%v", err)
	assert.EqualError(t, err, "blob sha256:1 is corrupt")
	assert.Equal(t, "partial", out.String(), "what was written before the error arrives first")

	// A writer that fails ends the plugin's save.
	ended := make(chan error, 1)
	f.save = func(ctx context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
		for {
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				ended <- err
				return err
			}
		}
	}
	writeErr := errors.New("client went away")
	err = saver.Save(context.Background(), imagesvc.SaveRequest{}, &failingWriter{after: 2 << 20, err: writeErr})
	assert.ErrorIs(t, err, writeErr)
	select {
	case perr := <-ended:
		assert.Error(t, perr)
	case <-time.After(10 * time.Second):
		t.Fatal("the plugin's save did not stop when the host's writer failed")
	}
}

type failingWriter struct {
	after int
	err   error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, w.err
	}
	w.after -= len(p)
	return len(p), nil
}

// Large archives cross in chunks of at most ImportChunkSize, in both directions, never
// one large message, with memory bounded whatever the archive's size.
func TestLargeArchives(t *testing.T) {
	const size = 64 << 20
	layer := func() io.Reader { return io.LimitReader(rand.NewChaCha8([32]byte{1}), size) }
	want := sha256.New()
	_, _ = io.Copy(want, layer())

	var loadedSum []byte
	f := &transferFake{MemService: plugintest.NewMemService(),
		save: func(_ context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
			_, err := io.Copy(w, layer()) // 32 KiB writes, gathered into chunks
			return err
		},
		load: func(_ context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
			h := sha256.New()
			if _, err := io.Copy(h, req.Source); err != nil {
				return nil, err
			}
			loadedSum = h.Sum(nil)
			return []imagesvc.LoadedImage{{ID: digest.FromString("x")}}, nil
		}}
	c := plugintest.InProcess(t, f, plugins.Options{})

	peak := watchHeap(t)
	h := &chunkHasher{h: sha256.New()}
	require.NoError(t, c.(imagesvc.Saver).Save(context.Background(), imagesvc.SaveRequest{}, h))
	assert.Equal(t, int64(size), h.n)
	assert.Equal(t, want.Sum(nil), h.h.Sum(nil))
	assert.LessOrEqual(t, h.max, plugins.ImportChunkSize, "no save message above the chunk size")
	assert.Greater(t, h.writes, size/plugins.ImportChunkSize-1)

	_, err := c.(imagesvc.Loader).Load(context.Background(), imagesvc.LoadRequest{Source: layer()})
	require.NoError(t, err)
	assert.Equal(t, want.Sum(nil), loadedSum)
	grown := peak()
	t.Logf("heap grew by at most %d MiB while 2 × 64 MiB crossed", grown>>20)
	assert.Less(t, grown, uint64(size/2), "memory stays bounded: well below one archive")
}

// chunkHasher hashes what is written and records the largest write.
type chunkHasher struct {
	h      hash.Hash
	n      int64
	max    int
	writes int
}

func (c *chunkHasher) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.max = max(c.max, len(p))
	c.writes++
	return c.h.Write(p)
}

// watchHeap samples the heap until the returned function is called, which reports the
// largest growth above the heap at the start.
func watchHeap(t *testing.T) func() uint64 {
	// Collect often, so that the heap is close to what is live rather than garbage.
	old := debug.SetGCPercent(10)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
		}
	}()
	t.Cleanup(func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak.Load()
	}
}

// Push's progress crosses in order, aux records included; credentials reach the backend;
// errors keep their class after the events sent before them.
func TestPushRoundTrip(t *testing.T) {
	mem := plugintest.NewMemService()
	mem.Seed(1)
	pusher := plugintest.InProcess(t, mem, plugins.Options{}).(imagesvc.Pusher)
	ref, err := reference.ParseNormalizedNamed("seed0:latest")
	require.NoError(t, err)
	var events []imagesvc.ProgressEvent
	record := func(ev imagesvc.ProgressEvent) { events = append(events, ev) }
	require.NoError(t, pusher.Push(context.Background(), imagesvc.PushRequest{Ref: ref, Auth: &imagesvc.AuthConfig{Username: plugintest.MemUser, Password: plugintest.MemPassword}}, record))
	var direct []imagesvc.ProgressEvent
	require.NoError(t, mem.Push(context.Background(), imagesvc.PushRequest{Ref: ref}, func(ev imagesvc.ProgressEvent) { direct = append(direct, ev) }))
	assert.Equal(t, direct, events)
	require.NotEmpty(t, events)
	assert.Equal(t, "The push refers to repository [docker.io/library/seed0]", events[0].Status)

	// Wrong credentials: the start, then Unauthenticated.
	events = nil
	err = pusher.Push(context.Background(), imagesvc.PushRequest{Ref: ref, Auth: &imagesvc.AuthConfig{Username: "u", Password: "wrong"}}, record)
	assert.True(t, errdefs.IsUnauthorized(err), "%v", err)
	assert.Len(t, events, 1)

	// The content-missing aux, with its descriptor, then NotFound.
	events = nil
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	err = pusher.Push(context.Background(), imagesvc.PushRequest{Ref: ref, Platform: &arm}, record)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	require.Len(t, events, 2)
	require.NotNil(t, events[1].Aux)
	assert.True(t, events[1].Aux.ContentMissing)
	require.NotNil(t, events[1].Aux.Desc)
	img, err := mem.Inspect(context.Background(), mustRef(t, "seed0"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, img.Descriptor, *events[1].Aux.Desc)

	// The index fallback aux, every field.
	index := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromString("i"), Size: 9,
		Annotations: map[string]string{"io.containerd.image.name": "docker.io/library/seed0:latest"}}
	manifest := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("m"), Size: 7,
		Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}}
	var got imagesvc.PushRequest
	f := &transferFake{MemService: mem, push: func(_ context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
		got = req
		progress.Report(imagesvc.PushRefersTo(req.Ref))
		progress.Report(imagesvc.ProgressEvent{Aux: &imagesvc.PushAux{ManifestPushedInsteadOfIndex: true, OriginalIndex: &index, SelectedManifest: &manifest}})
		return nil
	}}
	events = nil
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64", Variant: "v2"}
	require.NoError(t, plugintest.InProcess(t, f, plugins.Options{}).(imagesvc.Pusher).Push(context.Background(),
		imagesvc.PushRequest{Ref: ref, Platform: &amd64, Auth: &imagesvc.AuthConfig{IdentityToken: "tok"}}, record))
	require.Len(t, events, 2)
	assert.Equal(t, &imagesvc.PushAux{ManifestPushedInsteadOfIndex: true, OriginalIndex: &index, SelectedManifest: &manifest}, events[1].Aux)
	assert.Equal(t, "docker.io/library/seed0:latest", got.Ref.String())
	assert.Equal(t, &amd64, got.Platform)
	assert.Equal(t, "tok", got.Auth.IdentityToken)
}

// The host's cancellation reaches the plugin's save, load and push, and each call returns
// the context's error.
func TestTransferCancellation(t *testing.T) {
	seen := make(chan error, 3)
	f := &transferFake{MemService: plugintest.NewMemService(),
		save: func(ctx context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
			_, _ = w.Write(make([]byte, 2<<20)) // the archive has started
			<-ctx.Done()
			seen <- ctx.Err()
			return ctx.Err()
		},
		load: func(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
			<-ctx.Done()
			seen <- ctx.Err()
			return nil, ctx.Err()
		},
		push: func(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
			progress.Report(imagesvc.PushRefersTo(req.Ref))
			<-ctx.Done()
			seen <- ctx.Err()
			return ctx.Err()
		}}
	c := plugintest.InProcess(t, f, plugins.Options{})
	ref, _ := reference.ParseNormalizedNamed("foo:1")
	calls := map[string]func(ctx context.Context) error{
		"save": func(ctx context.Context) error {
			return c.(imagesvc.Saver).Save(ctx, imagesvc.SaveRequest{}, io.Discard)
		},
		"load": func(ctx context.Context) error {
			_, err := c.(imagesvc.Loader).Load(ctx, imagesvc.LoadRequest{Source: strings.NewReader("x")})
			return err
		},
		"push": func(ctx context.Context) error {
			return c.(imagesvc.Pusher).Push(ctx, imagesvc.PushRequest{Ref: ref}, nil)
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err := call(ctx)
			assert.True(t, errdefs.IsDeadlineExceeded(err), "%v", err)
			select {
			case perr := <-seen:
				assert.Error(t, perr)
			case <-time.After(10 * time.Second):
				t.Fatal("the plugin never saw the cancellation")
			}
		})
	}
}

// A plugin process that dies during a save, a load or a push ends the host's call with
// Unavailable; the host stops sending the archive; the next call works.
func TestCrashMidTransfer(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "1"}})
	var out writes
	err := c.(imagesvc.Saver).Save(context.Background(), imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{mustRef(t, "crashsave")}}, &out)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Contains(t, err.Error(), "Save")
	for _, n := range out.sizes {
		assert.LessOrEqual(t, n, plugins.ImportChunkSize)
	}

	src := &countingReader{r: io.LimitReader(zeros{}, 64<<20)}
	_, err = c.(imagesvc.Loader).Load(context.Background(), imagesvc.LoadRequest{Source: src, Platforms: []ocispec.Platform{{OS: "crash", Architecture: "x"}}})
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Less(t, src.n, int64(64<<20), "the host stopped sending")

	ref, _ := reference.ParseNormalizedNamed("crashpush:1")
	var events []imagesvc.ProgressEvent
	err = c.(imagesvc.Pusher).Push(context.Background(), imagesvc.PushRequest{Ref: ref}, func(ev imagesvc.ProgressEvent) { events = append(events, ev) })
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Len(t, events, 1, "the start crossed before the crash")

	out.Reset()
	require.NoError(t, c.(imagesvc.Saver).Save(context.Background(), imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{mustRef(t, "seed0")}}, &out))
	assert.NotZero(t, out.Len())
}
