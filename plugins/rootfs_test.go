package plugins_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// rootfsStore is the SQLite backend with a RootFSPreparer added by this test. It is a
// FAKE FOR THE TRANSPORT ONLY: it unpacks nothing and mounts nothing. It answers what the
// test gave it (runtime images by reference, mounts by key) and records what it received,
// so that the tests compare both directions of every call; references it was not given
// are resolved by the real store's Inspect, whose errors (Docker's "No such image")
// cross the boundary. The backends' own root filesystems are theirs (backends/sqlite,
// containerd), tested there and by the conformance suite's RootFS group, which
// examples/plugin-sqlite runs through the plugin; this type only gives the protocol a
// backend whose every value and error the test chooses.
type rootfsStore struct {
	*sqlite.Store

	mu       sync.Mutex
	images   map[string]imagesvc.RuntimeImage // by reference, as the test gave them
	views    []imagesvc.RootFSView            // oldest first
	mounts   map[string][]imagesvc.Mount      // by key
	errs     map[string]error                 // the error every call about this key or reference returns
	resolved []resolveCall                    // what ResolveRuntimeImage received
	prepared []imagesvc.PrepareRequest        // what PrepareRootFS received
	canceled chan error                       // a blocked prepare's ctx.Err(), when the host cancelled it
	blocked  chan struct{}                    // closed when a prepare of "block" is waiting
}

type resolveCall struct {
	ref      string
	platform *ocispec.Platform
}

var _ imagesvc.RootFSPreparer = (*rootfsStore)(nil)

func newRootFSStore(t *testing.T) *rootfsStore {
	t.Helper()
	store, err := sqlite.Open(t.TempDir(), sqlite.Options{Usage: plugins.HostUsage()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return &rootfsStore{
		Store:    store,
		images:   map[string]imagesvc.RuntimeImage{},
		mounts:   map[string][]imagesvc.Mount{},
		errs:     map[string]error{},
		canceled: make(chan error, 1),
		blocked:  make(chan struct{}),
	}
}

func (s *rootfsStore) ResolveRuntimeImage(ctx context.Context, ref imagesvc.ImageRef, platform *ocispec.Platform) (imagesvc.RuntimeImage, error) {
	s.mu.Lock()
	s.resolved = append(s.resolved, resolveCall{ref.String(), platform})
	img, ok := s.images[ref.String()]
	err := s.errs[ref.String()]
	s.mu.Unlock()
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	if ok {
		return img, nil
	}
	if _, err := s.Store.Inspect(ctx, ref, imagesvc.InspectOptions{}); err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	return imagesvc.RuntimeImage{}, errdefs.ErrInvalidArgument.WithMessage("image " + ref.String() + " cannot be run: its config has no rootfs")
}

func (s *rootfsStore) PrepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) ([]imagesvc.Mount, error) {
	if req.Key == "block" {
		close(s.blocked)
		<-ctx.Done()
		s.canceled <- ctx.Err()
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prepared = append(s.prepared, req)
	if err := s.errs[req.Key]; err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid view key \"\": empty")
	}
	if _, ok := s.mounts[req.Key]; ok {
		return nil, errdefs.ErrAlreadyExists.WithMessage(fmt.Sprintf("view %q: already exists", req.Key))
	}
	ms := overlayMounts(req.Key, len(req.Image.ChainIDs), req.ReadOnly)
	s.mounts[req.Key] = ms
	chain := digest.Digest("")
	if n := len(req.Image.ChainIDs); n > 0 {
		chain = req.Image.ChainIDs[n-1]
	}
	s.views = append(s.views, imagesvc.RootFSView{
		Key: req.Key, Image: req.Image.Target.Digest, Manifest: req.Image.Manifest.Digest, ChainID: chain, ReadOnly: req.ReadOnly,
		Created: time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC).Add(time.Duration(len(s.views)) * time.Second),
	})
	return ms, nil
}

func (s *rootfsStore) RootFSMounts(_ context.Context, key string) ([]imagesvc.Mount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errs[key]; err != nil {
		return nil, err
	}
	ms, ok := s.mounts[key]
	if !ok {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("view %q: not found", key))
	}
	return ms, nil
}

func (s *rootfsStore) RootFSViews(context.Context) ([]imagesvc.RootFSView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]imagesvc.RootFSView{}, s.views...), nil
}

func (s *rootfsStore) RemoveRootFS(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errs[key]; err != nil {
		return err
	}
	if _, ok := s.mounts[key]; !ok {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("view %q: not found", key))
	}
	delete(s.mounts, key)
	for i, v := range s.views {
		if v.Key == key {
			s.views = append(s.views[:i], s.views[i+1:]...)
			break
		}
	}
	return nil
}

// overlayMounts are the mounts of an overlay view on n layers, as containerd's overlay
// snapshotter returns them (a read-only view on one layer is a bind mount).
func overlayMounts(key string, n int, readOnly bool) []imagesvc.Mount {
	root := "/var/lib/imaged/snapshots/overlay/snapshots"
	if readOnly && n == 1 {
		return []imagesvc.Mount{{Type: "bind", Source: root + "/1/fs", Options: []string{"ro", "rbind"}}}
	}
	var lower []string
	for i := n; i >= 1; i-- {
		lower = append(lower, fmt.Sprintf("%s/%d/fs", root, i))
	}
	opts := []string{"index=off", "userxattr"}
	if !readOnly {
		opts = append(opts, "workdir="+root+"/"+key+"/work", "upperdir="+root+"/"+key+"/fs")
	}
	opts = append(opts, "lowerdir="+strings.Join(lower, ":"))
	return []imagesvc.Mount{{Type: "overlay", Source: "overlay", Options: opts}}
}

// runtimeImage is a RuntimeImage with every field set, as a backend resolves a platform
// of a multi-platform image: the index as target, the manifest with its platform, a
// config with environment, entrypoint, labels, history and a creation time to the
// nanosecond, and two layers with their diff and chain IDs.
func runtimeImage() imagesvc.RuntimeImage {
	created := time.Date(2024, 11, 2, 3, 4, 5, 678901234, time.UTC)
	older := created.Add(-time.Hour)
	platform := ocispec.Platform{Architecture: "arm64", OS: "linux", Variant: "v8", OSVersion: "6.1", OSFeatures: []string{"sse4"}}
	diffIDs := []digest.Digest{digest.FromString("layer 0 tar"), digest.FromString("layer 1 tar")}
	chainIDs := []digest.Digest{diffIDs[0], digest.FromString(diffIDs[0].String() + " " + diffIDs[1].String())}
	return imagesvc.RuntimeImage{
		Target: ocispec.Descriptor{
			MediaType:   ocispec.MediaTypeImageIndex,
			Digest:      digest.FromString("index"),
			Size:        1234,
			Annotations: map[string]string{"org.opencontainers.image.ref.name": "v1"},
		},
		Manifest: ocispec.Descriptor{
			MediaType: ocispec.MediaTypeImageManifest,
			Digest:    digest.FromString("manifest"),
			Size:      567,
			Platform:  &platform,
		},
		ConfigDescriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromString("config"), Size: 890},
		Config: ocispec.Image{
			Created:  &created,
			Author:   "imageapi tests",
			Platform: platform,
			Config: ocispec.ImageConfig{
				User:         "1000:1000",
				ExposedPorts: map[string]struct{}{"8080/tcp": {}},
				Env:          []string{"PATH=/usr/bin:/bin", "GREETING=hello world"},
				Entrypoint:   []string{"/bin/busybox", "sh", "-c"},
				Cmd:          []string{"echo ok"},
				Volumes:      map[string]struct{}{"/data": {}},
				WorkingDir:   "/srv",
				Labels:       map[string]string{"org.opencontainers.image.title": "busybox", "empty": ""},
				StopSignal:   "SIGTERM",
				ArgsEscaped:  true,
			},
			RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
			History: []ocispec.History{
				{Created: &older, CreatedBy: "ADD rootfs.tar /", Comment: "base"},
				{Created: &created, CreatedBy: "ENV GREETING", EmptyLayer: true},
				{CreatedBy: "RUN rm /etc/motd", Author: "someone"},
			},
		},
		Layers: []ocispec.Descriptor{
			{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromString("layer 0"), Size: 100},
			{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromString("layer 1"), Size: 200, URLs: []string{"https://example.com/l1"}},
		},
		DiffIDs:  diffIDs,
		ChainIDs: chainIDs,
	}
}

// sparseImage is a RuntimeImage whose config has the members image-spec omits when empty
// present but empty, and others absent, which must not trade places across the boundary.
func sparseImage() imagesvc.RuntimeImage {
	img := imagesvc.RuntimeImage{
		Target:           ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("sparse"), Size: 10},
		ConfigDescriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromString("sparse config"), Size: 20},
		Config: ocispec.Image{
			Platform: ocispec.Platform{Architecture: "amd64", OS: "linux", OSFeatures: []string{}},
			Config: ocispec.ImageConfig{
				ExposedPorts: map[string]struct{}{},
				Env:          []string{},
				Cmd:          []string{},
				Volumes:      map[string]struct{}{},
				Labels:       map[string]string{},
				// Entrypoint absent
			},
			RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}},
			History: []ocispec.History{},
		},
	}
	img.Manifest = img.Target
	return img
}

// The plugin announces rootfs in the handshake when its backend has it, and the Client
// hands it out through imagesvc.As only; hidden, it is not announced and As does not find
// it. A plugin process announces it from its backend too.
func TestRootFSCapability(t *testing.T) {
	store := newRootFSStore(t)
	c := plugintest.InProcess(t, store, plugins.Options{})
	assert.True(t, c.Info().Capabilities.Has(plugins.CapRootFS), "%s", c.Info().Capabilities)
	assert.Contains(t, c.Info().Capabilities.String(), "rootfs")
	_, ok := imagesvc.As[imagesvc.RootFSPreparer](c)
	assert.True(t, ok)
	_, typed := c.(imagesvc.RootFSPreparer)
	assert.False(t, typed, "capabilities after the ninth are found with imagesvc.As only")

	hidden := plugintest.InProcess(t, plugintest.Without(store, plugins.CapRootFS), plugins.Options{})
	assert.Equal(t, plugins.CapabilitiesOf(store)&^plugins.CapRootFS, hidden.Info().Capabilities)
	_, ok = imagesvc.As[imagesvc.RootFSPreparer](hidden)
	assert.False(t, ok, "Without hides it")
	_, ok = imagesvc.As[imagesvc.Remover](hidden)
	assert.True(t, ok, "and only it")

	caps, err := plugins.ParseCapabilities("rootfs")
	require.NoError(t, err)
	assert.Equal(t, plugins.CapRootFS, caps)

	bin := testPlugin(t)
	proc := plugintest.Open(t, bin, plugins.Options{})
	assert.True(t, proc.Info().Capabilities.Has(plugins.CapRootFS), "%s", proc.Info().Capabilities)
	_, ok = imagesvc.As[imagesvc.RootFSPreparer](proc)
	assert.True(t, ok)
	partial := plugintest.Open(t, bin, plugins.Options{Args: []string{"-hide", "rootfs"}})
	assert.False(t, partial.Info().Capabilities.Has(plugins.CapRootFS), "%s", partial.Info().Capabilities)
	assert.True(t, partial.Info().Capabilities.Has(plugins.CapDiskUsage), "%s", partial.Info().Capabilities)
	_, ok = imagesvc.As[imagesvc.RootFSPreparer](partial)
	assert.False(t, ok, "a plugin that does not announce it")
}

// Every method carries its values exactly, both ways: the runtime image the backend
// resolved (config, platform, descriptors, diff and chain IDs), the request the backend
// receives, the mounts with their options in order, and the views.
func TestRootFSRoundTrip(t *testing.T) {
	store := newRootFSStore(t)
	want, sparse := runtimeImage(), sparseImage()
	store.images["example.com/app:v1"] = want
	store.images["sparse"] = sparse
	c := plugintest.InProcess(t, store, plugins.Options{})
	p, ok := imagesvc.As[imagesvc.RootFSPreparer](c)
	require.True(t, ok)
	ctx := context.Background()

	platform := &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	got, err := p.ResolveRuntimeImage(ctx, mustRef(t, "example.com/app:v1"), platform)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, "v8", got.Manifest.Platform.Variant, "the manifest's platform")
	assert.True(t, want.Config.Created.Equal(*got.Config.Created))
	gotSparse, err := p.ResolveRuntimeImage(ctx, mustRef(t, "sparse"), nil)
	require.NoError(t, err)
	assert.Equal(t, sparse, gotSparse, "empty members stay empty, absent ones absent")
	assert.NotNil(t, gotSparse.Config.Config.Cmd)
	assert.Nil(t, gotSparse.Config.Config.Entrypoint)
	assert.Nil(t, gotSparse.Config.Created)
	store.mu.Lock()
	assert.Equal(t, []resolveCall{{"example.com/app:v1", platform}, {"sparse", nil}}, store.resolved, "the backend got the reference and platform, or none")
	store.mu.Unlock()

	mounts, err := p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "container-1", Image: got})
	require.NoError(t, err)
	assert.Equal(t, overlayMounts("container-1", 2, false), mounts)
	require.Len(t, mounts, 1)
	assert.Equal(t, "lowerdir=/var/lib/imaged/snapshots/overlay/snapshots/2/fs:/var/lib/imaged/snapshots/overlay/snapshots/1/fs", mounts[0].Options[4])
	roMounts, err := p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "ro-view", Image: gotSparse, ReadOnly: true})
	require.NoError(t, err)
	assert.Equal(t, overlayMounts("ro-view", 0, true), roMounts)
	store.mu.Lock()
	assert.Equal(t, []imagesvc.PrepareRequest{
		{Key: "container-1", Image: want},
		{Key: "ro-view", Image: sparse, ReadOnly: true},
	}, store.prepared, "the backend got the request as the runtime made it")
	store.mu.Unlock()

	again, err := p.RootFSMounts(ctx, "container-1")
	require.NoError(t, err)
	assert.Equal(t, mounts, again)

	views, err := p.RootFSViews(ctx)
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.RootFSView{
		{Key: "container-1", Image: want.Target.Digest, Manifest: want.Manifest.Digest, ChainID: want.ChainIDs[1],
			Created: time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)},
		{Key: "ro-view", Image: sparse.Target.Digest, Manifest: sparse.Manifest.Digest, ReadOnly: true,
			Created: time.Date(2025, 3, 4, 5, 6, 8, 123456789, time.UTC)},
	}, views)

	require.NoError(t, p.RemoveRootFS(ctx, "container-1"))
	require.NoError(t, p.RemoveRootFS(ctx, "ro-view"))
	views, err = p.RootFSViews(ctx)
	require.NoError(t, err)
	assert.NotNil(t, views)
	assert.Empty(t, views)
}

// Errors keep their class and their text across the boundary.
func TestRootFSErrors(t *testing.T) {
	store := newRootFSStore(t)
	img := runtimeImage()
	store.images["app:v1"] = img
	store.errs["unrunnable:v1"] = errdefs.ErrInvalidArgument.WithMessage("image unrunnable:v1 cannot be run: it is an attestation manifest")
	store.errs["busy"] = errdefs.ErrConflict.WithMessage("conflict: view busy is mounted")
	store.errs["gone"] = errdefs.ErrNotFound.WithMessage("No such image: sha256:" + strings.Repeat("ab", 32))
	c := plugintest.InProcess(t, store, plugins.Options{})
	p, ok := imagesvc.As[imagesvc.RootFSPreparer](c)
	require.True(t, ok)
	ctx := context.Background()

	_, err := p.ResolveRuntimeImage(ctx, mustRef(t, "missing:v1"), nil)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, "No such image: missing:v1", err.Error(), "the real store's text")
	_, err = p.ResolveRuntimeImage(ctx, mustRef(t, "unrunnable:v1"), nil)
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.Equal(t, "image unrunnable:v1 cannot be run: it is an attestation manifest", err.Error())

	_, err = p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "", Image: img})
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	_, err = p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c1", Image: img})
	require.NoError(t, err)
	_, err = p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c1", Image: img})
	assert.True(t, errdefs.IsAlreadyExists(err), "%v", err)
	assert.Equal(t, `view "c1": already exists`, err.Error())
	_, err = p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "gone", Image: img})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

	_, err = p.RootFSMounts(ctx, "nope")
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, `view "nope": not found`, err.Error())
	err = p.RemoveRootFS(ctx, "nope")
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	err = p.RemoveRootFS(ctx, "busy")
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.False(t, errdefs.IsFailedPrecondition(err), "conflict stays conflict, not its gRPC code's other class")
	assert.Equal(t, "conflict: view busy is mounted", err.Error())
}

// Cancelling a prepare on the host cancels the backend's (an unpack can take seconds), and
// the host's caller gets its context's error; the plugin keeps serving.
func TestRootFSPrepareCancel(t *testing.T) {
	store := newRootFSStore(t)
	c := plugintest.InProcess(t, store, plugins.Options{})
	p, ok := imagesvc.As[imagesvc.RootFSPreparer](c)
	require.True(t, ok)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "block", Image: runtimeImage()})
		done <- err
	}()
	select {
	case <-store.blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("the prepare did not reach the backend")
	}
	cancel()
	select {
	case err := <-store.canceled:
		assert.ErrorIs(t, err, context.Canceled, "the backend's context was cancelled")
	case <-time.After(10 * time.Second):
		t.Fatal("the cancellation did not reach the backend")
	}
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("PrepareRootFS did not return")
	}
	_, err := p.RootFSViews(context.Background())
	assert.NoError(t, err)
}

// Across processes: a deadline on a prepare reaches the plugin process, and a plugin that
// crashes in the middle of a prepare fails it with class Unavailable; the next call
// launches a new process, which serves root filesystems again.
func TestRootFSPluginProcess(t *testing.T) {
	events := filepath.Join(t.TempDir(), "events")
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "2"}, Env: []string{"TESTPLUGIN_EVENTS=" + events}})
	p, ok := imagesvc.As[imagesvc.RootFSPreparer](c)
	require.True(t, ok)
	ctx := context.Background()
	img, err := p.ResolveRuntimeImage(ctx, mustRef(t, "seed1:latest"), nil)
	require.NoError(t, err)
	require.NotNil(t, img.Manifest.Platform)
	assert.Equal(t, "linux", img.Manifest.Platform.OS)
	assert.Equal(t, []string{"/bin/sh"}, img.Config.Config.Cmd)
	require.Len(t, img.ChainIDs, 1)

	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	_, err = p.PrepareRootFS(short, imagesvc.PrepareRequest{Key: "block", Image: img})
	assert.True(t, errdefs.IsDeadlineExceeded(err), "%v", err)
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(events)
		return strings.Contains(string(b), "prepare canceled")
	}, 5*time.Second, 20*time.Millisecond, "the plugin saw the cancellation")

	mounts, err := p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c1", Image: img})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.Mount{{Type: "bind", Source: "/plugintest/rootfs/c1", Options: []string{"rbind", "rw"}}}, mounts)

	_, err = p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "crash", Image: img})
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.False(t, errors.Is(err, context.Canceled))

	views, err := p.RootFSViews(ctx)
	require.NoError(t, err, "a new process answers")
	assert.Empty(t, views, "the views of the process that crashed were its own (a fake's, in memory)")
	assert.True(t, c.Info().Capabilities.Has(plugins.CapRootFS))
}
