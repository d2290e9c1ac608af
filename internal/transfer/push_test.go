package transfer_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
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

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// These tests run Push through the SQLite backend (a real content store and catalog)
// against in-process registries; the conformance suite covers both backends.

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

type env struct {
	src, dst *testregistry.Registry // pulled from, pushed to
	store    *sqlite.Store
	logs     *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

const (
	user     = "alice"
	password = "pw-that-must-not-leak"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		src:  testregistry.New(t, testregistry.Options{}),
		dst:  testregistry.New(t, testregistry.Options{Users: map[string]string{user: password}, Private: "private/"}),
		logs: &syncBuffer{},
	}
	hosts := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, e.src.WriteHostsDir(hosts))
	require.NoError(t, e.dst.WriteHostsDir(hosts))
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := sqlite.Open(t.TempDir(), sqlite.Options{HostsDir: hosts, Platform: amd64, Logger: log})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	e.store = s
	return e
}

// seed serves img as repo:tag on the source registry and pulls it.
func (e *env) seed(t *testing.T, repo, tag string, img *testimages.Image, platform *ocispec.Platform) {
	t.Helper()
	require.NoError(t, e.src.Put(repo, tag, img))
	ref, err := reference.ParseNormalizedNamed(e.src.Host() + "/" + repo + ":" + tag)
	require.NoError(t, err)
	_, err = e.store.Pull(context.Background(), imagesvc.PullRequest{Ref: ref, Platform: platform}, nil)
	require.NoError(t, err)
}

// tag names the image src as dst (both full references).
func (e *env) tag(t *testing.T, src, dst string) {
	t.Helper()
	s, err := imagesvc.ParseImageRef(src)
	require.NoError(t, err)
	d, err := imagesvc.ParseTagReference(dst, "")
	require.NoError(t, err)
	require.NoError(t, e.store.Tag(context.Background(), s, d))
}

type events struct {
	mu  sync.Mutex
	evs []imagesvc.ProgressEvent
}

func (r *events) report(ev imagesvc.ProgressEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

func (r *events) all() []imagesvc.ProgressEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]imagesvc.ProgressEvent(nil), r.evs...)
}

func (e *env) push(ctx context.Context, t *testing.T, name string, platform *ocispec.Platform, auth *imagesvc.AuthConfig) (*events, error) {
	t.Helper()
	ref, err := reference.ParseNormalizedNamed(name)
	require.NoError(t, err)
	rec := &events{}
	err = e.store.Push(ctx, imagesvc.PushRequest{Ref: ref, Platform: platform, Auth: auth}, rec.report)
	return rec, err
}

// TestPushProgress slows the registry's uploads down so that the 100 ms ticker shows the
// unfinished uploads, again and again: "Pushing" with the blob's size, then "Pushed";
// the config and manifest are never shown.
func TestPushProgress(t *testing.T) {
	e := newEnv(t)
	img, err := testimages.OCIManifest(testimages.Config{Platform: amd64, LayerSizes: []int64{32 << 10, 48 << 10}, Seed: 7})
	require.NoError(t, err)
	e.seed(t, "library/slow", "1", img, nil)
	name := e.dst.Host() + "/team/slow:1"
	e.tag(t, e.src.Host()+"/library/slow:1", name)
	e.dst.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if strings.Contains(req.URL.Path, "/blobs/uploads/") && (req.Method == http.MethodPut || req.Method == http.MethodPatch) {
			select {
			case <-time.After(350 * time.Millisecond):
			case <-req.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, req)
	})

	rec, err := e.push(context.Background(), t, name, nil, nil)
	require.NoError(t, err)
	evs := rec.all()
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	for _, l := range m.Layers {
		id := l.Digest.Encoded()[:12]
		var pushing, total int
		var last imagesvc.ProgressEvent
		for _, ev := range evs {
			if ev.ID != id {
				continue
			}
			total++
			last = ev
			require.NotNil(t, ev.Detail, "%+v", ev)
			if ev.Status == imagesvc.StatusPushing {
				pushing++
				assert.Equal(t, l.Size, ev.Detail.Total, "Pushing carries the blob's size")
			}
		}
		assert.GreaterOrEqual(t, pushing, 2, "the ticker re-emits unfinished uploads: %v", evs)
		assert.Equal(t, imagesvc.StatusPushed, last.Status)
		assert.Greater(t, total, pushing)
	}
	for _, ev := range evs {
		assert.NotEqual(t, m.Config.Digest.Encoded()[:12], ev.ID, "the config is hidden")
		assert.NotEqual(t, img.Descriptor.Digest.Encoded()[:12], ev.ID, "the manifest is hidden")
	}
	assert.Equal(t, imagesvc.PushDigest("1", img.Descriptor), evs[len(evs)-1])
}

// TestPushContentMissing pushes an image one of whose layers is gone from the store: the
// contentMissing aux record, then NotFound.
func TestPushContentMissing(t *testing.T) {
	e := newEnv(t)
	img, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Seed: 3})
	require.NoError(t, err)
	e.seed(t, "library/holey", "1", img, nil)
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	require.NoError(t, e.store.Content().Delete(context.Background(), m.Layers[0].Digest))

	// To another registry: the source registry has the layer, which is then not read.
	name := e.dst.Host() + "/team/holey:1"
	e.tag(t, e.src.Host()+"/library/holey:1", name)
	rec, err := e.push(context.Background(), t, name, nil, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, errdefs.ErrNotFound, "%v", err)
	evs := rec.all()
	var aux []imagesvc.PushAux
	for _, ev := range evs {
		if ev.Aux != nil {
			aux = append(aux, *ev.Aux)
		}
	}
	require.Len(t, aux, 1, "%v", evs)
	assert.True(t, aux[0].ContentMissing)
	require.NotNil(t, aux[0].Desc)
	assert.Equal(t, img.Descriptor.Digest, aux[0].Desc.Digest)
	for _, ev := range evs {
		assert.False(t, strings.Contains(ev.Status, ": digest: "), "no final record after a failure: %v", ev)
	}
}

// TestPushFallbackConflict: an index with several present manifests, none of the host's
// platform, and one missing: without a platform Docker cannot choose.
func TestPushFallbackConflict(t *testing.T) {
	e := newEnv(t)
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	s390x := ocispec.Platform{OS: "linux", Architecture: "s390x"}
	riscv := ocispec.Platform{OS: "linux", Architecture: "riscv64"}
	img, err := testimages.OCIIndex([]testimages.Config{{Platform: arm64}, {Platform: s390x}, {Platform: riscv}}, false)
	require.NoError(t, err)
	e.seed(t, "library/many", "1", img, &arm64)
	e.seed(t, "library/many", "1", img, &s390x)
	name := e.dst.Host() + "/team/many:1"
	e.tag(t, e.src.Host()+"/library/many:1", name)

	_, err = e.push(context.Background(), t, name, nil, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, errdefs.ErrConflict)
	assert.Equal(t, "multiple matching manifests found but no specific platform requested", err.Error())

	rec, err := e.push(context.Background(), t, name, &s390x, nil)
	require.NoError(t, err)
	evs := rec.all()
	var want ocispec.Descriptor
	for _, d := range img.Manifests() {
		if d.Platform != nil && d.Platform.Architecture == "s390x" {
			want = d
		}
	}
	assert.Equal(t, imagesvc.PushDigest("1", want), evs[len(evs)-1])
}

// TestPushCredentials: the credentials reach the registry, and never the logs or the
// errors; a wrong password is refused.
func TestPushCredentials(t *testing.T) {
	e := newEnv(t)
	img, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Seed: 5})
	require.NoError(t, err)
	e.seed(t, "library/app", "1", img, nil)
	name := e.dst.Host() + "/private/app:1"
	e.tag(t, e.src.Host()+"/library/app:1", name)

	_, err = e.push(context.Background(), t, name, nil, &imagesvc.AuthConfig{Username: user, Password: "not-" + password})
	require.Error(t, err)
	assert.ErrorIs(t, err, errdefs.ErrUnauthenticated)
	assert.NotContains(t, err.Error(), password)

	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	_, err = e.push(context.Background(), t, name, nil, &imagesvc.AuthConfig{Auth: basic})
	require.NoError(t, err, "the auth field's credentials")
	_, err = e.push(context.Background(), t, name, nil, &imagesvc.AuthConfig{Username: user, Password: password})
	require.NoError(t, err)

	logs := e.logs.String()
	require.NotEmpty(t, logs, "debug logging was on")
	assert.NotContains(t, logs, password)
	assert.NotContains(t, logs, basic)
}

// TestPushCancel: a push whose context ends while the registry holds its uploads returns
// the context's error at once, and reports nothing afterwards.
func TestPushCancel(t *testing.T) {
	e := newEnv(t)
	img, err := testimages.OCIManifest(testimages.Config{Platform: amd64, LayerSizes: []int64{16 << 10}, Seed: 9})
	require.NoError(t, err)
	e.seed(t, "library/stuck", "1", img, nil)
	name := e.dst.Host() + "/team/stuck:1"
	e.tag(t, e.src.Host()+"/library/stuck:1", name)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.dst.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if strings.Contains(req.URL.Path, "/blobs/uploads/") && req.Method != http.MethodPost {
			once.Do(func() { close(started) })
			// The server notices a client that went away only once it reads the body.
			select {
			case <-req.Context().Done():
			case <-release:
			}
			return
		}
		next.ServeHTTP(w, req)
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	begin := time.Now()
	rec, err := e.push(ctx, t, name, nil, nil)
	close(release)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Less(t, time.Since(begin), 10*time.Second)
	n := len(rec.all())
	time.Sleep(250 * time.Millisecond)
	assert.Len(t, rec.all(), n, "no event after Push returned")
	assert.Empty(t, digestOf(t, e.dst, "team/stuck", "1"))
}

func digestOf(t *testing.T, reg *testregistry.Registry, repo, tag string) digest.Digest {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, "http://"+reg.Host()+"/v2/"+repo+"/manifests/"+tag, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest+", "+ocispec.MediaTypeImageIndex)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return digest.Digest(resp.Header.Get("Docker-Content-Digest"))
}
