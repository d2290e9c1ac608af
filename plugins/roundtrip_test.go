package plugins_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// recorder is a backend that records what it is asked and answers what the test set.
type recorder struct {
	mu sync.Mutex

	listOpts    imagesvc.ListOptions
	listResult  []imagesvc.Summary
	inspectRef  imagesvc.ImageRef
	inspectOpts imagesvc.InspectOptions
	image       *imagesvc.Image
	pullReq     imagesvc.PullRequest
	events      []imagesvc.ProgressEvent
	pulled      []imagesvc.PulledImage
	importReq   imagesvc.ImportRequest
	importBody  []byte
	importErr   error // the error reading the archive ended with
	importID    digest.Digest
	err         error // returned by every call when set
	usage       map[digest.Digest][]string
	usageErr    error
	ctxErr      chan error // receives the context's error of a blocked call
	block       bool
}

func (r *recorder) wait(ctx context.Context) error {
	if !r.block {
		return nil
	}
	<-ctx.Done()
	if r.ctxErr != nil {
		r.ctxErr <- ctx.Err()
	}
	return ctx.Err()
}

func (r *recorder) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	r.mu.Lock()
	r.listOpts = opts
	r.mu.Unlock()
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	used, err := plugins.HostUsage().ContainersUsing(ctx, []digest.Digest{digest.FromString("a"), digest.FromString("b")})
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	r.mu.Lock()
	r.usage, r.usageErr = used, err
	r.mu.Unlock()
	return r.listResult, nil
}

func (r *recorder) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	r.mu.Lock()
	r.inspectRef, r.inspectOpts = ref, opts
	r.mu.Unlock()
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.image, nil
}

func (r *recorder) Pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	r.mu.Lock()
	r.pullReq = req
	r.mu.Unlock()
	for _, ev := range r.events {
		progress.Report(ev)
	}
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.pulled, nil
}

func (r *recorder) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	var body []byte
	var rerr error
	if req.Source != nil {
		body, rerr = io.ReadAll(req.Source)
	}
	r.mu.Lock()
	r.importReq, r.importBody, r.importErr = req, body, rerr
	r.mu.Unlock()
	for _, ev := range r.events {
		progress.Report(ev)
	}
	if rerr != nil {
		return "", fmt.Errorf("reading the archive: %w", rerr)
	}
	if r.err != nil {
		return "", r.err
	}
	return r.importID, nil
}

func richDescriptor() ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType:    ocispec.MediaTypeImageIndex,
		Digest:       digest.FromString("index"),
		Size:         1234,
		URLs:         []string{"https://example.com/blob"},
		Annotations:  map[string]string{"org.opencontainers.image.ref.name": "1.0"},
		Data:         []byte("{}"),
		Platform:     &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8", OSVersion: "1", OSFeatures: []string{"f"}},
		ArtifactType: "application/x-test",
	}
}

func richManifests() []imagesvc.ManifestSummary {
	img := digest.FromString("manifest")
	return []imagesvc.ManifestSummary{
		{
			ID: img, Descriptor: richDescriptor(), Available: true,
			Size: imagesvc.ManifestSize{Content: 10, Total: 30}, Kind: imagesvc.KindImage,
			ImageData: &imagesvc.ImageData{
				Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
				Identity: &imagesvc.Identity{
					Pull:  []imagesvc.PullIdentity{{Repository: "docker.io/library/alpine"}},
					Build: []imagesvc.BuildIdentity{{Ref: "build1", CreatedAt: time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)}},
				},
				Unpacked:   20,
				Containers: []string{"c1", "c2"},
			},
		},
		{
			ID: digest.FromString("att"), Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("att"), Size: 5},
			Kind: imagesvc.KindAttestation, AttestationData: &imagesvc.AttestationData{For: img},
		},
		{ID: digest.FromString("unknown"), Kind: imagesvc.KindUnknown},
	}
}

func TestListRoundTrip(t *testing.T) {
	r := &recorder{}
	created := time.Date(2023, 1, 2, 3, 4, 5, 6, time.FixedZone("", 2*3600))
	r.listResult = []imagesvc.Summary{
		{
			ID: digest.FromString("one"), ParentID: digest.FromString("parent"),
			RepoTags: []string{"a:1", "b:2"}, RepoDigests: []string{"a@" + digest.FromString("one").String()},
			Created: created, Size: 99, SharedSize: 7,
			Labels: map[string]string{"k": "v"}, Containers: 2,
			Descriptor: richDescriptor(), Manifests: richManifests(),
		},
		{ID: digest.FromString("two"), RepoTags: []string{}, RepoDigests: []string{}, SharedSize: -1, Labels: nil},
		{ID: digest.FromString("three"), RepoTags: []string{}, RepoDigests: []string{}, SharedSize: -1, Labels: map[string]string{}},
	}
	usage := imagesvc.UsageFunc(func(_ context.Context, ds []digest.Digest) (map[digest.Digest][]string, error) {
		return map[digest.Digest][]string{ds[0]: {"ctr1", "ctr2"}}, nil
	})
	c := plugintest.InProcess(t, r, plugins.Options{Usage: usage})

	args := filters.NewArgs(filters.Arg("label", "a=b"), filters.Arg("reference", "x*"))
	require.NoError(t, json(t, `{"dangling":{"true":false}}`, &args))
	opts := imagesvc.ListOptions{All: true, Filters: args, SharedSize: true, Manifests: true, Identity: true}
	got, err := c.List(context.Background(), opts)
	require.NoError(t, err)
	assert.Equal(t, r.listResult[:2], got[:2])
	assert.True(t, got[0].Created.Equal(created))
	_, off := got[0].Created.Zone()
	assert.Equal(t, 2*3600, off, "the zone offset survives")
	assert.NotNil(t, got[2].Labels, "empty labels stay distinct from absent labels")
	assert.Nil(t, got[1].Labels)

	r.mu.Lock()
	wantJSON, _ := opts.Filters.ToJSON()
	gotJSON, _ := r.listOpts.Filters.ToJSON()
	assert.JSONEq(t, wantJSON, gotJSON, "filters arrive intact, booleans included")
	r.listOpts.Filters, opts.Filters = filters.Args{}, filters.Args{}
	assert.Equal(t, opts, r.listOpts)
	assert.Equal(t, map[digest.Digest][]string{digest.FromString("a"): {"ctr1", "ctr2"}}, r.usage, "the host's usage provider answers the plugin")
	r.mu.Unlock()

	// Without Manifests, none come back; the empty list stays non-nil.
	r.listResult = []imagesvc.Summary{}
	got, err = c.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func json(t *testing.T, s string, a *filters.Args) error {
	t.Helper()
	parsed, err := filters.FromJSON(s)
	if err != nil {
		return err
	}
	for _, k := range a.Keys() {
		for _, v := range a.Get(k) {
			parsed.Add(k, v)
		}
	}
	*a = parsed
	return nil
}

func TestInspectRoundTrip(t *testing.T) {
	r := &recorder{}
	r.image = &imagesvc.Image{
		ID: digest.FromString("img"), RepoTags: []string{"alpine:3.20"}, RepoDigests: []string{"alpine@" + digest.FromString("img").String()},
		Parent: digest.FromString("p"), Comment: "c", Created: time.Date(2020, 1, 1, 0, 0, 0, 5, time.UTC),
		DockerVersion: "27", Author: "me",
		Config: imagesvc.ImageConfig{
			ImageConfig: ocispec.ImageConfig{
				User: "u", ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}}, Env: []string{"A=1"},
				Entrypoint: []string{"/e"}, Cmd: []string{"c"}, Volumes: map[string]struct{}{"/v": {}},
				WorkingDir: "/w", Labels: map[string]string{"l": "1"}, StopSignal: "SIGTERM", ArgsEscaped: true,
			},
			Healthcheck: &imagesvc.HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Second, Timeout: 2 * time.Second,
				StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5},
			OnBuild: []string{"RUN x"}, Shell: []string{"/bin/bash", "-c"},
		},
		Architecture: "arm64", Variant: "v8", OS: "linux", OSVersion: "x", Size: 42, Driver: "overlayfs",
		RootFS:      imagesvc.RootFS{Type: "layers", Layers: []digest.Digest{digest.FromString("l1"), digest.FromString("l2")}},
		LastTagTime: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		Descriptor:  richDescriptor(), Manifests: richManifests(),
		Identity: &imagesvc.Identity{Pull: []imagesvc.PullIdentity{{Repository: "docker.io/library/alpine"}}},
	}
	c := plugintest.InProcess(t, r, plugins.Options{})
	for _, name := range []string{"alpine", "alpine:3.20", "sha256:" + digest.FromString("img").Encoded()[:12], digest.FromString("img").String(),
		"localhost:5000/x/y@" + digest.FromString("img").String(), "1c4e"} {
		ref, err := imagesvc.ParseImageRef(name)
		require.NoError(t, err)
		opts := imagesvc.InspectOptions{Manifests: true}
		got, err := c.Inspect(context.Background(), ref, opts)
		require.NoError(t, err)
		assert.Equal(t, r.image, got)
		r.mu.Lock()
		assert.Equal(t, ref, r.inspectRef, "the reference is parsed again on the far side")
		assert.Equal(t, opts, r.inspectOpts)
		r.mu.Unlock()
	}
	ref, _ := imagesvc.ParseImageRef("alpine")
	opts := imagesvc.InspectOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}}
	_, err := c.Inspect(context.Background(), ref, opts)
	require.NoError(t, err)
	assert.Equal(t, opts, r.inspectOpts)

	// The zero ImageRef crosses as the zero ImageRef.
	_, err = c.Inspect(context.Background(), imagesvc.ImageRef{}, imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, imagesvc.ImageRef{}, r.inspectRef)
}

func TestPullRoundTrip(t *testing.T) {
	r := &recorder{
		events: []imagesvc.ProgressEvent{
			imagesvc.PullingFrom("library/alpine", "3.20"),
			{ID: "0123456789ab", Status: imagesvc.StatusPullingFSLayer, Detail: &imagesvc.ProgressDetail{}},
			{ID: "0123456789ab", Status: imagesvc.StatusDownloading, Detail: &imagesvc.ProgressDetail{Current: 5, Total: 10, Start: 1700000000, HideCounts: true, Units: "s"}},
			imagesvc.DigestStatus(digest.FromString("x").String()),
			imagesvc.PullStatus("alpine:3.20", true),
		},
		pulled: []imagesvc.PulledImage{{Ref: "alpine:3.20", ID: digest.FromString("x"), Updated: true}, {Ref: "alpine:3.21", ID: digest.FromString("y")}},
	}
	c := plugintest.InProcess(t, r, plugins.Options{})
	for _, tc := range []struct{ from, tag string }{{"alpine", "3.20"}, {"localhost:5000/app", ""}, {"alpine", digest.FromString("z").String()}} {
		ref, err := imagesvc.ParsePullReference(tc.from, tc.tag, "")
		require.NoError(t, err)
		req := imagesvc.PullRequest{
			Ref:      ref,
			Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"},
			Auth:     &imagesvc.AuthConfig{Username: "u", Password: "p", Auth: "a", ServerAddress: "s", IdentityToken: "i", RegistryToken: "r"},
		}
		var got []imagesvc.ProgressEvent
		pulled, err := c.Pull(context.Background(), req, func(ev imagesvc.ProgressEvent) { got = append(got, ev) })
		require.NoError(t, err)
		assert.Equal(t, r.pulled, pulled)
		assert.Equal(t, r.events, got, "progress arrives in order, details intact")
		r.mu.Lock()
		assert.Equal(t, req.Ref.String(), r.pullReq.Ref.String())
		assert.Equal(t, req.Platform, r.pullReq.Platform)
		assert.Equal(t, req.Auth, r.pullReq.Auth, "credentials reach the plugin")
		r.mu.Unlock()
	}
	// Anonymous pulls stay anonymous; a nil progress func is fine.
	ref, _ := imagesvc.ParsePullReference("alpine", "", "")
	_, err := c.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.NoError(t, err)
	assert.Nil(t, r.pullReq.Auth)
	assert.Nil(t, r.pullReq.Platform)
}

func TestImportRoundTrip(t *testing.T) {
	r := &recorder{importID: digest.FromString("imported"), events: []imagesvc.ProgressEvent{{ID: "abc", Status: imagesvc.StatusImporting, Detail: &imagesvc.ProgressDetail{Current: 1}}}}
	c := plugintest.InProcess(t, r, plugins.Options{})
	body := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16+7) // 5 MiB and a bit: several chunks
	named, err := imagesvc.ParseImportReference("example.com/repo", "v1")
	require.NoError(t, err)
	changes, err := imagesvc.ParseChanges([]string{"ENV A=1", `CMD ["sh", "-c", "x"]`, "LABEL a=b \\\n c=d"})
	require.NoError(t, err)
	req := imagesvc.ImportRequest{
		Source: bytes.NewReader(body), Ref: named, Message: "hello", Changes: changes,
		Platform: &ocispec.Platform{OS: "linux", Architecture: "s390x"},
	}
	var got []imagesvc.ProgressEvent
	id, err := c.Import(context.Background(), req, func(ev imagesvc.ProgressEvent) { got = append(got, ev) })
	require.NoError(t, err)
	assert.Equal(t, r.importID, id)
	assert.Equal(t, r.events, got)
	r.mu.Lock()
	assert.True(t, bytes.Equal(body, r.importBody), "the archive arrives intact (%d of %d bytes)", len(r.importBody), len(body))
	assert.Equal(t, named.String(), r.importReq.Ref.String())
	assert.Equal(t, "hello", r.importReq.Message)
	// The changes cross as the config they produce, not as text parsed again.
	assert.Equal(t, changes.Config(), r.importReq.Changes.Config())
	assert.Nil(t, r.importReq.Changes.Lines())
	assert.Equal(t, req.Platform, r.importReq.Platform)
	assert.Nil(t, r.importReq.URL)
	r.mu.Unlock()

	// A URL source, no archive.
	u, _ := url.Parse("https://example.com/rootfs.tar?x=1")
	_, err = c.Import(context.Background(), imagesvc.ImportRequest{URL: u}, nil)
	require.NoError(t, err)
	r.mu.Lock()
	assert.Equal(t, u.String(), r.importReq.URL.String())
	assert.Nil(t, r.importReq.Source, "no source crosses as no source")
	assert.Nil(t, r.importReq.Ref)
	r.mu.Unlock()

	// An empty archive is an archive.
	_, err = c.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(nil)}, nil)
	require.NoError(t, err)
	r.mu.Lock()
	assert.NotNil(t, r.importReq.Source)
	assert.Empty(t, r.importBody)
	r.mu.Unlock()

	// A source that fails mid-way fails the plugin's read with the same class and text.
	src := io.MultiReader(bytes.NewReader(body[:3<<20]), errReader{errdefs.ErrResourceExhausted.WithMessage("body too large")})
	_, err = c.Import(context.Background(), imagesvc.ImportRequest{Source: src}, nil)
	require.Error(t, err)
	assert.True(t, errdefs.IsResourceExhausted(err), "%v", err)
	r.mu.Lock()
	assert.EqualError(t, r.importErr, "body too large")
	assert.True(t, errdefs.IsResourceExhausted(r.importErr))
	r.mu.Unlock()
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestErrorClasses(t *testing.T) {
	r := &recorder{}
	c := plugintest.InProcess(t, r, plugins.Options{})
	ref, _ := imagesvc.ParseImageRef("foo")
	for _, tc := range []struct {
		err   error
		class func(error) bool
	}{
		{ref.NotFound(), errdefs.IsNotFound},
		{imagesvc.ErrAmbiguous(), errdefs.IsNotFound},
		{errdefs.ErrInvalidArgument.WithMessage("invalid reference format: repository name (library/Foo) must be lowercase"), errdefs.IsInvalidArgument},
		{fmt.Errorf("tag is in use: %w", errdefs.ErrConflict), errdefs.IsConflict},
		{errdefs.ErrConflict.WithMessage("conflict without the word"), errdefs.IsConflict},
		{errdefs.ErrFailedPrecondition.WithMessage("precondition"), errdefs.IsFailedPrecondition},
		{errdefs.ErrUnauthenticated.WithMessage("pull access denied for private/secret"), errdefs.IsUnauthorized},
		{errdefs.ErrPermissionDenied.WithMessage("'scratch' is a reserved name"), errdefs.IsPermissionDenied},
		{fmt.Errorf("registry: %w", errdefs.ErrUnavailable), errdefs.IsUnavailable},
		{errdefs.ErrResourceExhausted.WithMessage("too big"), errdefs.IsResourceExhausted},
		{errdefs.ErrNotImplemented.WithMessage("nope"), errdefs.IsNotImplemented},
		{errdefs.ErrAlreadyExists.WithMessage("exists"), errdefs.IsAlreadyExists},
		{errdefs.ErrDataLoss.WithMessage("lost"), errdefs.IsDataLoss},
		{errors.New("no class at all"), errdefs.IsUnknown},
		{fmt.Errorf("backend gave up: %w", context.Canceled), errdefs.IsCanceled},
		{fmt.Errorf("backend timed out: %w", context.DeadlineExceeded), errdefs.IsDeadlineExceeded},
	} {
		r.err = tc.err
		_, err := c.Inspect(context.Background(), ref, imagesvc.InspectOptions{})
		require.Error(t, err)
		assert.Equal(t, tc.err.Error(), err.Error(), "the text survives")
		assert.True(t, tc.class(err), "class of %q: got %v", tc.err, errdefs.Resolve(err))
		_, err = c.List(context.Background(), imagesvc.ListOptions{})
		assert.True(t, tc.class(err), "List: class of %q", tc.err)
		_, err = c.Pull(context.Background(), imagesvc.PullRequest{}, nil)
		assert.True(t, tc.class(err), "Pull: class of %q", tc.err)
		_, err = c.Import(context.Background(), imagesvc.ImportRequest{}, nil)
		assert.True(t, tc.class(err), "Import: class of %q", tc.err)
	}
}

func TestUsageErrors(t *testing.T) {
	r := &recorder{}
	usage := imagesvc.UsageFunc(func(context.Context, []digest.Digest) (map[digest.Digest][]string, error) {
		return nil, errdefs.ErrUnavailable.WithMessage("runtime is down")
	})
	c := plugintest.InProcess(t, r, plugins.Options{Usage: usage})
	_, err := c.List(context.Background(), imagesvc.ListOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Equal(t, "usage: runtime is down", err.Error())

	// Without a provider, the plugin sees no containers.
	c2 := plugintest.InProcess(t, r, plugins.Options{})
	_, err = c2.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, r.usage)
}

func TestCancellation(t *testing.T) {
	r := &recorder{block: true, ctxErr: make(chan error, 1)}
	c := plugintest.InProcess(t, r, plugins.Options{})
	ref, _ := imagesvc.ParseImageRef("foo")

	// The host's deadline reaches the plugin, and the caller gets its context's error.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Inspect(ctx, ref, imagesvc.InspectOptions{})
	assert.True(t, errdefs.IsDeadlineExceeded(err), "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
	select {
	case perr := <-r.ctxErr:
		assert.Error(t, perr, "the plugin saw the call end")
	case <-time.After(5 * time.Second):
		t.Fatal("the plugin never saw the cancellation")
	}

	// Cancellation during a pull's progress.
	ctx, cancel = context.WithCancel(context.Background())
	r.events = []imagesvc.ProgressEvent{{Status: "started"}}
	pullRef, _ := imagesvc.ParsePullReference("alpine", "", "")
	_, err = c.Pull(ctx, imagesvc.PullRequest{Ref: pullRef}, func(ev imagesvc.ProgressEvent) { cancel() })
	assert.True(t, errdefs.IsCanceled(err), "%v", err)
	select {
	case perr := <-r.ctxErr:
		assert.ErrorIs(t, perr, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the plugin never saw the cancellation")
	}

	// An import whose archive never ends is cancelled too, and Import returns.
	r.block = false
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write(make([]byte, 1000)) }()
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Import(ctx, imagesvc.ImportRequest{Source: &unblockOnCancel{ctx: ctx, r: pr}}, nil)
		done <- err
	}()
	select {
	case err := <-done:
		assert.True(t, errdefs.IsDeadlineExceeded(err), "%v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Import did not return after its context ended")
	}
}

// unblockOnCancel is an archive that blocks until ctx ends, as an HTTP request body does
// when its connection closes.
type unblockOnCancel struct {
	ctx context.Context
	r   io.Reader
}

func (u *unblockOnCancel) Read(p []byte) (int, error) {
	type res struct {
		n   int
		err error
	}
	ch := make(chan res, 1)
	go func() { n, err := u.r.Read(p); ch <- res{n, err} }()
	select {
	case r := <-ch:
		return r.n, r.err
	case <-u.ctx.Done():
		return 0, u.ctx.Err()
	}
}

// Credentials cross for the one call and appear in no log line of either side, even at
// the most verbose level.
func TestCredentialsNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	r := &recorder{err: errdefs.ErrUnauthenticated.WithMessage("pull access denied")}
	c := plugintest.InProcess(t, r, plugins.Options{Logger: logger})
	ref, _ := imagesvc.ParsePullReference("localhost:5000/private", "1", "")
	const secret = "s3cr3t-Pa55"
	_, err := c.Pull(context.Background(), imagesvc.PullRequest{Ref: ref, Auth: &imagesvc.AuthConfig{
		Username: "user", Password: secret, IdentityToken: secret + "-id", RegistryToken: secret + "-reg", Auth: secret + "-auth",
	}}, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
	require.NoError(t, c.Close())
	mu.Lock()
	defer mu.Unlock()
	assert.NotEmpty(t, logs.String(), "the test logs something at all")
	assert.NotContains(t, logs.String(), secret)
	assert.Equal(t, secret, r.pullReq.Auth.Password)
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// After Close, calls fail as unavailable and name the reason.
func TestClosed(t *testing.T) {
	c := plugintest.InProcess(t, plugintest.NewMemService(), plugins.Options{})
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
	_, err := c.List(context.Background(), imagesvc.ListOptions{})
	assert.ErrorIs(t, err, plugins.ErrClosed)
	assert.True(t, errdefs.IsUnavailable(err))
}

// Many calls at once share one connection.
func TestConcurrentCalls(t *testing.T) {
	mem := plugintest.NewMemService()
	mem.Seed(50)
	c := plugintest.InProcess(t, mem, plugins.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				switch (i + j) % 3 {
				case 0:
					sums, err := c.List(context.Background(), imagesvc.ListOptions{Manifests: true})
					if err == nil && len(sums) < 50 {
						err = fmt.Errorf("listed %d", len(sums))
					}
					if err != nil {
						errs <- err
					}
				case 1:
					ref, _ := imagesvc.ParseImageRef("seed3:latest")
					if _, err := c.Inspect(context.Background(), ref, imagesvc.InspectOptions{}); err != nil {
						errs <- err
					}
				case 2:
					_, err := c.Import(context.Background(), imagesvc.ImportRequest{Source: strings.NewReader(fmt.Sprint(i, j))}, nil)
					if err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_ = reference.FamiliarName
}
