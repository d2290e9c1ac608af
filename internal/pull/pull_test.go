package pull

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// events records progress, failing the test on concurrent calls.
type events struct {
	mu   sync.Mutex
	busy bool
	list []imagesvc.ProgressEvent
	t    *testing.T
}

func (e *events) progress(ev imagesvc.ProgressEvent) {
	e.mu.Lock()
	if e.busy {
		e.t.Error("progress called concurrently")
	}
	e.busy = true
	e.list = append(e.list, ev)
	e.busy = false
	e.mu.Unlock()
}

// lines renders the events as "id: status", collapsing runs of Downloading per layer.
func (e *events) lines() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	last := map[string]string{}
	for _, ev := range e.list {
		if ev.Status == imagesvc.StatusDownloading && last[ev.ID] == imagesvc.StatusDownloading {
			continue
		}
		last[ev.ID] = ev.Status
		if ev.ID == "" {
			out = append(out, ev.Status)
		} else {
			out = append(out, ev.ID+": "+ev.Status)
		}
	}
	return out
}

type fixture struct {
	reg    *testregistry.Registry
	puller *Puller
	store  content.Store
}

func newFixture(t *testing.T, regOpts testregistry.Options, opts Options) *fixture {
	t.Helper()
	reg := testregistry.New(t, regOpts)
	opts.Insecure = append(opts.Insecure, reg.Host())
	p, err := New(opts)
	require.NoError(t, err)
	return &fixture{reg: reg, puller: p, store: testimages.NewContentStore(t)}
}

func (f *fixture) ref(t *testing.T, s string) reference.Named {
	t.Helper()
	named, err := reference.ParseNormalizedNamed(f.reg.Host() + "/" + s)
	require.NoError(t, err)
	return named
}

func (f *fixture) fetch(t *testing.T, req imagesvc.PullRequest) ([]Target, *events, error) {
	t.Helper()
	ev := &events{t: t}
	targets, err := f.puller.Fetch(t.Context(), f.store, req, ev.progress)
	return targets, ev, err
}

func layerIDs(t *testing.T, img *testimages.Image, d digest.Digest) []string {
	t.Helper()
	m, _, err := img.Manifest(d)
	require.NoError(t, err)
	var ids []string
	for _, l := range m.Layers {
		ids = append(ids, l.Digest.Encoded()[:12])
	}
	return ids
}

func assertBlobs(t *testing.T, cs content.Store, img *testimages.Image, ds ...digest.Digest) {
	t.Helper()
	for _, d := range ds {
		data, err := content.ReadBlob(t.Context(), cs, ocispec.Descriptor{Digest: d})
		require.NoError(t, err, "blob %s", d)
		assert.Equal(t, img.Blobs[d].Data, data, "blob %s", d)
	}
}

func assertAbsent(t *testing.T, cs content.Store, ds ...digest.Digest) {
	t.Helper()
	for _, d := range ds {
		_, err := cs.Info(t.Context(), d)
		assert.True(t, errdefs.IsNotFound(err), "blob %s should be absent, got %v", d, err)
	}
}

func TestPullByTagDockerSchema2(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.DockerSchema2(testimages.Config{Layers: [][]testimages.File{
		{{Name: "etc/"}, {Name: "etc/hostname", Data: []byte("box\n")}},
		{{Name: "bin/tool", Data: []byte(strings.Repeat("x", 100000))}},
	}})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))
	named := f.ref(t, "library/app:v1")

	targets, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: named})
	require.NoError(t, err)
	require.Len(t, targets, 1)
	tg := targets[0]
	assert.Equal(t, named.String(), tg.Name.String())
	assert.Equal(t, img.Descriptor.Digest, tg.Target.Digest)
	assert.Equal(t, images.MediaTypeDockerSchema2Manifest, tg.Target.MediaType)
	assert.Equal(t, img.Descriptor.Digest, tg.Manifest.Digest)
	assert.Equal(t, "linux", tg.Platform.OS)
	assert.Equal(t, "amd64", tg.Platform.Architecture)

	m, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	assert.Equal(t, m.Config.Digest, tg.Config.Digest)
	require.Len(t, tg.Layers, 2)
	assertBlobs(t, f.store, img, img.Digests()...)
	for i, l := range tg.Layers {
		assert.Equal(t, m.Layers[i].Digest, l.Descriptor.Digest)
		assert.Equal(t, cfg.RootFS.DiffIDs[i], l.DiffID)
		info, err := f.store.Info(t.Context(), l.Descriptor.Digest)
		require.NoError(t, err)
		assert.Equal(t, cfg.RootFS.DiffIDs[i].String(), info.Labels[LabelUncompressed])
		assert.Equal(t, strconv.FormatInt(l.Unpacked, 10), info.Labels[LabelUnpackedSize])
	}
	assert.Greater(t, tg.Layers[1].Unpacked, int64(100000))
	// GC labels on the manifest.
	info, err := f.store.Info(t.Context(), img.Descriptor.Digest)
	require.NoError(t, err)
	assert.Equal(t, m.Config.Digest.String(), info.Labels["containerd.io/gc.ref.content.config"])
	assert.Equal(t, m.Layers[0].Digest.String(), info.Labels["containerd.io/gc.ref.content.l.0"])
	assert.Equal(t, m.Layers[1].Digest.String(), info.Labels["containerd.io/gc.ref.content.l.1"])

	ids := layerIDs(t, img, img.Descriptor.Digest)
	assert.Equal(t, []string{
		"v1: Pulling from library/app",
		ids[0] + ": Pulling fs layer",
		ids[1] + ": Pulling fs layer",
	}, ev.lines()[:3])
	assert.Equal(t, "v1", ev.list[0].ID)
	assert.Nil(t, ev.list[0].Detail)
	for _, id := range ids {
		var seq []string
		for _, e := range ev.list {
			if e.ID == id {
				seq = append(seq, e.Status)
				require.NotNil(t, e.Detail)
				switch e.Status {
				case imagesvc.StatusDownloading:
					assert.Positive(t, e.Detail.Current)
					assert.LessOrEqual(t, e.Detail.Current, e.Detail.Total)
				case imagesvc.StatusDownloadComplete, imagesvc.StatusPullComplete:
					assert.True(t, e.Detail.HideCounts)
				}
			}
		}
		seq = compactDownloading(seq)
		assert.Equal(t, []string{"Pulling fs layer", "Downloading", "Download complete", "Pull complete"}, seq, "layer %s", id)
	}
	last := ev.list[len(ev.list)-1]
	assert.Equal(t, imagesvc.DigestStatus(img.Descriptor.Digest.String()), last)

	// Second pull: everything is there.
	targets2, ev2, err := f.fetch(t, imagesvc.PullRequest{Ref: named})
	require.NoError(t, err)
	assert.Equal(t, targets[0].Layers, targets2[0].Layers)
	assert.Equal(t, []string{
		"v1: Pulling from library/app",
		ids[0] + ": Already exists",
		ids[1] + ": Already exists",
		"Digest: " + img.Descriptor.Digest.String(),
	}, ev2.lines())
	assert.Equal(t, &imagesvc.ProgressDetail{}, ev2.list[1].Detail)
}

func compactDownloading(seq []string) []string {
	var out []string
	for _, s := range seq {
		if s == imagesvc.StatusDownloading && len(out) > 0 && out[len(out)-1] == s {
			continue
		}
		out = append(out, s)
	}
	return out
}

func TestPullByDigest(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.OCIManifest(testimages.Config{Seed: 2})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("team/app", "", img))
	named := f.ref(t, "team/app@"+img.Descriptor.Digest.String())

	targets, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: named})
	require.NoError(t, err)
	require.Len(t, targets, 1)
	assert.Equal(t, named.String(), targets[0].Name.String())
	assert.Equal(t, img.Descriptor.Digest, targets[0].Target.Digest)
	assertBlobs(t, f.store, img, img.Digests()...)
	assert.Equal(t, imagesvc.PullingFrom("team/app", named.String()), ev.list[0])

	// A tag given with the digest is dropped: the digest wins.
	both, err := reference.WithDigest(f.ref(t, "team/app:nosuchtag"), img.Descriptor.Digest)
	require.NoError(t, err)
	targets, _, err = f.fetch(t, imagesvc.PullRequest{Ref: both})
	require.NoError(t, err)
	assert.Equal(t, named.String(), targets[0].Name.String())

	// Unknown digest.
	missing := f.ref(t, "team/app@"+digest.FromString("nothing").String())
	_, ev, err = f.fetch(t, imagesvc.PullRequest{Ref: missing})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, "manifest for "+reference.FamiliarString(missing)+" not found: manifest unknown", err.Error())
	assert.Empty(t, ev.list)
}

func TestPullAllTags(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	var imgs []*testimages.Image
	for i, tag := range []string{"b", "a", "c"} {
		img, err := testimages.DockerSchema2(testimages.Config{Seed: uint64(i + 10)})
		require.NoError(t, err)
		require.NoError(t, f.reg.Put("library/multi", tag, img))
		imgs = append(imgs, img)
	}
	var seen []string
	ev := &events{t: t}
	err := f.puller.FetchEach(t.Context(), f.store, imagesvc.PullRequest{Ref: f.ref(t, "library/multi")}, ev.progress, func(tg Target) error {
		seen = append(seen, reference.FamiliarString(tg.Name))
		ev.progress(imagesvc.PullStatus(reference.FamiliarString(tg.Name), true))
		return nil
	})
	require.NoError(t, err)
	host := f.reg.Host()
	assert.Equal(t, []string{host + "/library/multi:a", host + "/library/multi:b", host + "/library/multi:c"}, seen)
	var pulling, status []string
	for _, e := range ev.list {
		if strings.HasPrefix(e.Status, "Pulling from") {
			pulling = append(pulling, e.ID)
		}
		if strings.HasPrefix(e.Status, "Status:") || strings.HasPrefix(e.Status, "Digest:") {
			status = append(status, e.Status)
		}
	}
	assert.Equal(t, []string{"a", "b", "c"}, pulling)
	assert.Equal(t, []string{
		"Digest: " + imgs[1].Descriptor.Digest.String(), "Status: Downloaded newer image for " + host + "/library/multi:a",
		"Digest: " + imgs[0].Descriptor.Digest.String(), "Status: Downloaded newer image for " + host + "/library/multi:b",
		"Digest: " + imgs[2].Descriptor.Digest.String(), "Status: Downloaded newer image for " + host + "/library/multi:c",
	}, status)

	// All tags of an unknown repository.
	_, _, err = f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/none")})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Contains(t, err.Error(), "pull access denied for "+host+"/library/none")
}

func TestPlatformSelection(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{Platform: platforms.MustParse("linux/amd64")})
	amd := testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Labels: map[string]string{"arch": "amd64"}}
	arm := testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, Labels: map[string]string{"arch": "arm64"}}
	img, err := testimages.OCIIndex([]testimages.Config{amd, arm}, true)
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/multi", "latest", img))
	mans := img.Manifests()
	require.Len(t, mans, 4)

	arm64 := platforms.MustParse("linux/arm64")
	targets, _, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/multi:latest"), Platform: &arm64})
	require.NoError(t, err)
	tg := targets[0]
	assert.Equal(t, img.Descriptor.Digest, tg.Target.Digest)
	assert.Equal(t, mans[1].Digest, tg.Manifest.Digest)
	assert.Equal(t, "arm64", tg.Platform.Architecture)
	assert.Equal(t, "v8", tg.Platform.Variant)

	armM, _, err := img.Manifest(mans[1].Digest)
	require.NoError(t, err)
	assertBlobs(t, f.store, img, img.Descriptor.Digest, mans[1].Digest, armM.Config.Digest, armM.Layers[0].Digest)
	// Other platforms and their attestations are not fetched; the attestation of the
	// selected platform is, as Docker 29 does.
	amdM, _, err := img.Manifest(mans[0].Digest)
	require.NoError(t, err)
	assertAbsent(t, f.store, mans[0].Digest, amdM.Config.Digest, amdM.Layers[0].Digest, mans[2].Digest)
	assertBlobs(t, f.store, img, mans[3].Digest)
	info3, err := f.store.Info(t.Context(), img.Descriptor.Digest)
	require.NoError(t, err)
	assert.Equal(t, mans[3].Digest.String(), info3.Labels["containerd.io/gc.ref.content.m.3"], "the index references the attestation")
	// The index references the fetched manifest by its position.
	info, err := f.store.Info(t.Context(), img.Descriptor.Digest)
	require.NoError(t, err)
	assert.Equal(t, mans[1].Digest.String(), info.Labels["containerd.io/gc.ref.content.m.1"])

	ms, err := model.ReadManifests(t.Context(), f.store, tg.Target, model.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, ms, 4)
	assert.Equal(t, imagesvc.KindImage, ms[0].Kind)
	assert.False(t, ms[0].Available)
	assert.Equal(t, "amd64", ms[0].Platform.Architecture)
	assert.Zero(t, ms[0].ContentSize)
	assert.Equal(t, imagesvc.KindImage, ms[1].Kind)
	assert.True(t, ms[1].Available)
	assert.Equal(t, tg.Layers[0].Unpacked, ms[1].Unpacked)
	assert.Equal(t, mans[1].Size+armM.Config.Size+armM.Layers[0].Size, ms[1].ContentSize)
	require.NotNil(t, ms[1].Config)
	assert.Equal(t, "arm64", ms[1].Config.Config.Labels["arch"])
	for _, a := range ms[2:] {
		assert.Equal(t, imagesvc.KindAttestation, a.Kind)
	}
	assert.False(t, ms[2].Available)
	assert.True(t, ms[3].Available, "the attestation of arm64 came with it")
	assert.Positive(t, ms[3].ContentSize)
	assert.Equal(t, mans[0].Digest, ms[2].AttestationFor)
	assert.Equal(t, mans[1].Digest, ms[3].AttestationFor)

	views := func(ms []model.ManifestInfo) []model.Manifest {
		out := make([]model.Manifest, len(ms))
		for i, m := range ms {
			out[i] = model.ManifestOf(m)
		}
		return out
	}
	vs := views(ms)
	sum := vs[1].Summary(nil, nil)
	assert.Equal(t, sum.Size.Content+ms[1].Unpacked, sum.Size.Total)
	require.NotNil(t, sum.ImageData)
	assert.Equal(t, "arm64", sum.ImageData.Platform.Architecture)
	require.NotNil(t, vs[3].Summary(nil, nil).AttestationData)
	assert.Nil(t, vs[3].Summary(nil, nil).ImageData)

	best := model.InspectBest(vs, platforms.MustParse("linux/amd64"))
	require.GreaterOrEqual(t, best, 0)
	assert.Equal(t, mans[1].Digest, ms[best].Descriptor.Digest, "the only available image manifest")

	// The default platform, then both are available and the host's is best.
	_, _, err = f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/multi:latest")})
	require.NoError(t, err)
	info, err = f.store.Info(t.Context(), img.Descriptor.Digest)
	require.NoError(t, err)
	assert.Equal(t, mans[0].Digest.String(), info.Labels["containerd.io/gc.ref.content.m.0"])
	assert.Equal(t, mans[1].Digest.String(), info.Labels["containerd.io/gc.ref.content.m.1"])
	ms, err = model.ReadManifests(t.Context(), f.store, tg.Target, model.ReadOptions{})
	require.NoError(t, err)
	best = model.InspectBest(views(ms), platforms.MustParse("linux/amd64"))
	require.GreaterOrEqual(t, best, 0)
	assert.Equal(t, mans[0].Digest, ms[best].Descriptor.Digest)

	// A platform the index lacks.
	s390x := platforms.MustParse("linux/s390x")
	_, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/multi:latest"), Platform: &s390x})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, "no matching manifest for linux/s390x in the manifest list entries", err.Error())
	assert.Empty(t, ev.list)
}

func TestDockerManifestListVariant(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	v6 := testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}}
	v7 := testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}}
	img, err := testimages.DockerManifestList([]testimages.Config{v6, v7})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/arm", "latest", img))
	p := platforms.MustParse("linux/arm/v7")
	targets, _, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/arm:latest"), Platform: &p})
	require.NoError(t, err)
	assert.Equal(t, img.Manifests()[1].Digest, targets[0].Manifest.Digest, "v7 preferred over v6")
}

func TestUnknownRepositoryAndTag(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.DockerSchema2(testimages.Config{})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))

	named := f.ref(t, "library/nosuch:v1")
	_, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: named})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, "pull access denied for "+f.reg.Host()+"/library/nosuch, repository does not exist or may require 'docker login'", err.Error())
	assert.Empty(t, ev.list)

	named = f.ref(t, "library/app:v2")
	_, ev, err = f.fetch(t, imagesvc.PullRequest{Ref: named})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, "manifest for "+f.reg.Host()+"/library/app:v2 not found: manifest unknown", err.Error())
	assert.Empty(t, ev.list)
}

func TestCredentials(t *testing.T) {
	f := newFixture(t, testregistry.Options{Users: map[string]string{"alice": "secret"}}, Options{})
	img, err := testimages.DockerSchema2(testimages.Config{Seed: 5})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("private/app", "v1", img))
	named := f.ref(t, "private/app:v1")

	for name, auth := range map[string]*imagesvc.AuthConfig{
		"none":           nil,
		"empty":          {},
		"wrong password": {Username: "alice", Password: "nope"},
		"unknown user":   {Username: "bob", Password: "secret"},
		"registry token": {RegistryToken: "opaque"},
	} {
		t.Run(name, func(t *testing.T) {
			_, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: named, Auth: auth})
			require.Error(t, err)
			assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)
			assert.Contains(t, err.Error(), "pull access denied for "+f.reg.Host()+"/private/app")
			assert.NotContains(t, err.Error(), "secret")
			assert.Empty(t, ev.list)
		})
	}
	for name, auth := range map[string]*imagesvc.AuthConfig{
		"password": {Username: "alice", Password: "secret"},
		"auth":     {Auth: base64.StdEncoding.EncodeToString([]byte("alice:secret"))},
	} {
		t.Run(name, func(t *testing.T) {
			store := testimages.NewContentStore(t)
			targets, err := f.puller.Fetch(t.Context(), store, imagesvc.PullRequest{Ref: named, Auth: auth}, nil)
			require.NoError(t, err)
			assert.Equal(t, img.Descriptor.Digest, targets[0].Target.Digest)
			assertBlobs(t, store, img, img.Digests()...)
		})
	}
	t.Run("all tags", func(t *testing.T) {
		_, _, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "private/app")})
		assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)
		targets, _, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "private/app"), Auth: &imagesvc.AuthConfig{Username: "alice", Password: "secret"}})
		require.NoError(t, err)
		require.Len(t, targets, 1)
	})
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestUnreachable(t *testing.T) {
	addr := freePort(t)
	p, err := New(Options{Insecure: []string{addr}})
	require.NoError(t, err)
	named, err := reference.ParseNormalizedNamed(addr + "/library/app:v1")
	require.NoError(t, err)
	ev := &events{t: t}
	_, err = p.Fetch(t.Context(), testimages.NewContentStore(t), imagesvc.PullRequest{Ref: named}, ev.progress)
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "want Unavailable, got %v", err)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Empty(t, ev.list)
}

func TestLoopbackIsNotInsecureByDefault(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{})
	img, err := testimages.DockerSchema2(testimages.Config{})
	require.NoError(t, err)
	require.NoError(t, reg.Put("library/app", "v1", img))
	named, err := reference.ParseNormalizedNamed(reg.Host() + "/library/app:v1")
	require.NoError(t, err)

	p, err := New(Options{})
	require.NoError(t, err)
	_, err = p.Fetch(t.Context(), testimages.NewContentStore(t), imagesvc.PullRequest{Ref: named}, nil)
	require.Error(t, err, "HTTPS to a plain HTTP registry")
	assert.True(t, errdefs.IsUnavailable(err), "want Unavailable, got %v", err)

	// A hosts.toml that says plain HTTP is enough.
	dir := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(dir))
	p, err = New(Options{HostsDir: dir})
	require.NoError(t, err)
	targets, err := p.Fetch(t.Context(), testimages.NewContentStore(t), imagesvc.PullRequest{Ref: named}, nil)
	require.NoError(t, err)
	assert.Equal(t, img.Descriptor.Digest, targets[0].Target.Digest)
}

func TestCorruptLayer(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.DockerSchema2(testimages.Config{Seed: 7})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	layer := m.Layers[0].Digest
	f.reg.CorruptBlob(layer)

	_, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/app:v1")})
	require.Error(t, err)
	assert.True(t, errdefs.IsDataLoss(err), "want DataLoss, got %v", err)
	assert.Contains(t, err.Error(), layer.String())
	assertAbsent(t, f.store, layer)
	statuses, err := f.store.ListStatuses(t.Context())
	require.NoError(t, err)
	assert.Empty(t, statuses, "the ingest of the corrupt blob is aborted")
	assert.Equal(t, "Pulling from library/app", ev.list[0].Status)
	for _, e := range ev.list {
		assert.NotEqual(t, imagesvc.StatusPullComplete, e.Status)
		assert.False(t, strings.HasPrefix(e.Status, "Digest:"))
	}
}

func TestCorruptManifest(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.DockerSchema2(testimages.Config{Seed: 8})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))
	f.reg.CorruptBlob(img.Descriptor.Digest)
	_, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/app:v1")})
	require.Error(t, err)
	assert.True(t, errdefs.IsDataLoss(err), "want DataLoss, got %v", err)
	assertAbsent(t, f.store, img.Descriptor.Digest)
	assert.Empty(t, ev.list, "fails before any progress")
}

func TestConcurrencyAndWaiting(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{Concurrency: 2})
	var layers [][]testimages.File
	for i := range 5 {
		layers = append(layers, []testimages.File{{Name: fmt.Sprintf("f%d", i), Data: []byte(strings.Repeat(strconv.Itoa(i), 1000))}})
	}
	img, err := testimages.DockerSchema2(testimages.Config{Layers: layers})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/wide", "v1", img))

	var (
		mu             sync.Mutex
		active, maxAct int
	)
	f.reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		d, ok := testregistry.BlobRequest(req)
		if !ok || req.Method != http.MethodGet || img.Blobs[d].Descriptor.MediaType != images.MediaTypeDockerSchema2LayerGzip {
			next.ServeHTTP(w, req)
			return
		}
		mu.Lock()
		active++
		maxAct = max(maxAct, active)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		next.ServeHTTP(w, req)
		mu.Lock()
		active--
		mu.Unlock()
	})
	_, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/wide:v1")})
	require.NoError(t, err)
	assert.LessOrEqual(t, maxAct, 2)
	ids := layerIDs(t, img, img.Descriptor.Digest)
	lines := ev.lines()
	want := []string{"v1: Pulling from library/wide"}
	for _, id := range ids {
		want = append(want, id+": Pulling fs layer")
	}
	for _, id := range ids[2:] {
		want = append(want, id+": Waiting")
	}
	assert.Equal(t, want, lines[:len(want)])
}

func TestSchema1Refused(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	body := []byte(`{"schemaVersion":1,"name":"old/app","tag":"latest","fsLayers":[]}`)
	dgst := digest.FromBytes(body)
	f.reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if !strings.HasPrefix(req.URL.Path, "/v2/old/app/manifests/") {
			next.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Content-Type", images.MediaTypeDockerSchema1Manifest)
		w.Header().Set("Docker-Content-Digest", dgst.String())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if req.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
	named := f.ref(t, "old/app:latest")
	_, ev, err := f.fetch(t, imagesvc.PullRequest{Ref: named})
	require.Error(t, err)
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.Contains(t, err.Error(), "schema 1 support has been removed. Suggest the author of "+named.String())
	assert.Empty(t, ev.list)
}

func TestCancelLeavesNoPartialBlob(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.DockerSchema2(testimages.Config{LayerSizes: []int64{4 << 20}})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/big", "v1", img))
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	layer := m.Layers[0].Digest

	started := make(chan struct{})
	var once sync.Once
	f.reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if d, ok := testregistry.BlobRequest(req); ok && d == layer && req.Method == http.MethodGet {
			// Send part of the blob, then stall until the client goes away.
			w.Header().Set("Content-Length", strconv.Itoa(len(img.Blobs[d].Data)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(img.Blobs[d].Data[:1<<20])
			_ = http.NewResponseController(w).Flush()
			once.Do(func() { close(started) })
			<-req.Context().Done()
			return
		}
		next.ServeHTTP(w, req)
	})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := f.puller.Fetch(ctx, f.store, imagesvc.PullRequest{Ref: f.ref(t, "library/big:v1")}, nil)
		errc <- err
	}()
	select {
	case <-started:
	case err := <-errc:
		t.Fatalf("fetch ended before the download started: %v", err)
	}
	cancel()
	err = <-errc
	assert.ErrorIs(t, err, context.Canceled)
	assertAbsent(t, f.store, layer)

	// The next pull resumes and completes.
	f.reg.SetHook(nil)
	targets, _, err := f.fetch(t, imagesvc.PullRequest{Ref: f.ref(t, "library/big:v1")})
	require.NoError(t, err)
	assertBlobs(t, f.store, img, layer)
	assert.Greater(t, targets[0].Layers[0].Unpacked, int64(4<<20))
}

func TestStoreWithoutLabels(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	cs, err := local.NewStore(t.TempDir())
	require.NoError(t, err)
	img, err := testimages.DockerSchema2(testimages.Config{Seed: 3})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))
	targets, err := f.puller.Fetch(t.Context(), cs, imagesvc.PullRequest{Ref: f.ref(t, "library/app:v1")}, nil)
	require.NoError(t, err)
	_, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	l := targets[0].Layers[0]
	assert.Equal(t, cfg.RootFS.DiffIDs[0], l.DiffID)
	assert.Positive(t, l.Unpacked)

	ms, err := model.ReadManifests(t.Context(), cs, targets[0].Target, model.ReadOptions{})
	require.NoError(t, err)
	assert.Zero(t, ms[0].Unpacked, "unknown without labels")
	ms, err = model.ReadManifests(t.Context(), cs, targets[0].Target, model.ReadOptions{
		UnpackedSize: func(_ context.Context, d digest.Digest) (int64, bool) { return l.Unpacked, d == l.Descriptor.Digest },
	})
	require.NoError(t, err)
	assert.Equal(t, l.Unpacked, ms[0].Unpacked)
}

func TestConcurrentFetchesShareBlobs(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.DockerSchema2(testimages.Config{LayerSizes: []int64{1 << 20, 1 << 20}})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.puller.Fetch(t.Context(), f.store, imagesvc.PullRequest{Ref: f.ref(t, "library/app:v1")}, nil)
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assertBlobs(t, f.store, img, img.Digests()...)
}

func TestNewValidates(t *testing.T) {
	_, err := New(Options{Concurrency: -1})
	assert.True(t, errdefs.IsInvalidArgument(err))
	_, err = New(Options{Insecure: []string{"http://host"}})
	assert.True(t, errdefs.IsInvalidArgument(err))
	p, err := New(Options{})
	require.NoError(t, err)
	assert.Equal(t, platforms.DefaultSpec().OS, p.platform.OS)
	_, err = p.Fetch(t.Context(), testimages.NewContentStore(t), imagesvc.PullRequest{}, nil)
	assert.True(t, errdefs.IsInvalidArgument(err))
	assert.False(t, errors.Is(err, context.Canceled))
}

// TestLayerFetcher checks the delegation of layers: the fetcher gets the manifest, the
// layers and the missing ones after their "Pulling fs layer"; its progress is passed on,
// every missing layer gets one "Pull complete", and its diff IDs are checked against the
// config's.
func TestLayerFetcher(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.OCIManifest(testimages.Config{Seed: 31, Layers: [][]testimages.File{
		{{Name: "a", Data: []byte("a")}},
		{{Name: "b", Data: []byte("b")}},
	}})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/delegated", "1", img))
	m, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	auth := &imagesvc.AuthConfig{Username: "u", Password: "p"}

	var got LayerRequest
	fetcher := func(ctx context.Context, req LayerRequest) ([]Layer, error) {
		got = req
		if len(req.Missing) > 0 {
			first := ShortID(req.Missing[0].Digest)
			req.Report(imagesvc.ProgressEvent{ID: first, Status: imagesvc.StatusDownloading, Detail: &imagesvc.ProgressDetail{Current: 1, Total: 2}})
			req.Report(imagesvc.ProgressEvent{ID: first, Status: imagesvc.StatusPullComplete})
			req.Report(imagesvc.ProgressEvent{ID: first, Status: imagesvc.StatusExtracting}) // dropped: after Pull complete
		}
		out := make([]Layer, len(req.Layers))
		for i := range out {
			out[i].DiffID = req.DiffIDs[i]
		}
		return out, nil
	}
	ev := &events{t: t}
	var out []Target
	err = f.puller.FetchEach(t.Context(), f.store, imagesvc.PullRequest{Ref: f.ref(t, "library/delegated:1"), Auth: auth}, ev.progress,
		func(tg Target) error { out = append(out, tg); return nil }, WithLayerFetcher(fetcher))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, img.Descriptor.Digest, got.Manifest.Digest)
	assert.Equal(t, m.Layers, got.Layers)
	assert.Equal(t, m.Layers, got.Missing)
	assert.Equal(t, cfg.RootFS.DiffIDs, got.DiffIDs)
	assert.Same(t, auth, got.Auth)
	for i, l := range out[0].Layers {
		assert.Equal(t, m.Layers[i], l.Descriptor)
		assert.Equal(t, cfg.RootFS.DiffIDs[i], l.DiffID)
	}
	assertAbsent(t, f.store, m.Layers[0].Digest, m.Layers[1].Digest) // the fetcher fetched nothing
	ids := layerIDs(t, img, img.Descriptor.Digest)
	assert.Equal(t, []string{
		"1: Pulling from library/delegated",
		ids[0] + ": Pulling fs layer",
		ids[1] + ": Pulling fs layer",
		ids[0] + ": Downloading",
		ids[0] + ": Pull complete",
		ids[1] + ": Pull complete",
		"Digest: " + img.Descriptor.Digest.String(),
	}, ev.lines())

	t.Run("NothingMissing", func(t *testing.T) {
		// The same image again into a store that has its layers (the fake fetcher
		// above fetched nothing): the fetcher is still asked, for the diff IDs, with
		// nothing to fetch.
		for _, l := range m.Layers {
			require.NoError(t, content.WriteBlob(t.Context(), f.store, l.Digest.String(), bytes.NewReader(img.Blobs[l.Digest].Data), l))
		}
		got = LayerRequest{}
		calls := 0
		counting := func(ctx context.Context, req LayerRequest) ([]Layer, error) {
			calls++
			return fetcher(ctx, req)
		}
		err := f.puller.FetchEach(t.Context(), f.store, imagesvc.PullRequest{Ref: f.ref(t, "library/delegated:1")}, nil, nil, WithLayerFetcher(counting))
		require.NoError(t, err)
		assert.Equal(t, 1, calls)
		assert.Empty(t, got.Missing)
		assert.Equal(t, m.Layers, got.Layers)
	})
	t.Run("WrongDiffID", func(t *testing.T) {
		f.store = testimages.NewContentStore(t)
		bad := func(ctx context.Context, req LayerRequest) ([]Layer, error) {
			return make([]Layer, len(req.Layers)), nil
		}
		err := f.puller.FetchEach(t.Context(), f.store, imagesvc.PullRequest{Ref: f.ref(t, "library/delegated:1")}, nil, nil, WithLayerFetcher(bad))
		assert.True(t, errdefs.IsDataLoss(err), "%v", err)
	})
	t.Run("Error", func(t *testing.T) {
		f.store = testimages.NewContentStore(t)
		failing := func(ctx context.Context, req LayerRequest) ([]Layer, error) {
			return nil, errdefs.ErrUnavailable.WithMessage("registry gone")
		}
		err := f.puller.FetchEach(t.Context(), f.store, imagesvc.PullRequest{Ref: f.ref(t, "library/delegated:1")}, nil, nil, WithLayerFetcher(failing))
		assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	})
}
