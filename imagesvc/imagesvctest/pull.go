package imagesvctest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

func (s *suite) testEmpty(t *testing.T) {
	svc := s.service(t)
	assert.Empty(t, list(t, svc, imagesvc.ListOptions{}))
	_, err := inspect(t, svc, "nosuch", imagesvc.InspectOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, "No such image: nosuch:latest", err.Error())
}

func (s *suite) testPullByTag(t *testing.T) {
	svc := s.service(t)
	id := s.w.single.Descriptor.Digest
	name := s.w.ref("library/single:1.0")

	res := s.pull(t, svc, s.w.ref("library/single"), "1.0", nil, nil)
	require.NoError(t, res.err)
	require.Equal(t, []imagesvc.PulledImage{{Ref: name, ID: id, Updated: true}}, res.pulled)

	ev := res.events
	require.NotEmpty(t, ev)
	assert.Equal(t, imagesvc.PullingFrom("library/single", "1.0"), ev[0], "first event")
	assert.Contains(t, ev, imagesvc.DigestStatus(id.String()))
	assert.Equal(t, imagesvc.PullStatus(name, true), ev[len(ev)-1], "last event")
	for _, layer := range layerIDs(t, s.w.single, id) {
		assert.True(t, hasEvent(ev, layer, imagesvc.StatusPullComplete), "layer %s has no %q event in %s", layer, imagesvc.StatusPullComplete, describe(ev))
	}
	for _, e := range ev {
		switch e.Status {
		case imagesvc.StatusPullingFSLayer, imagesvc.StatusDownloading, imagesvc.StatusDownloadComplete, imagesvc.StatusPullComplete, imagesvc.StatusAlreadyExists, imagesvc.StatusWaiting:
			assert.NotNil(t, e.Detail, "progress record %q must carry a detail", e.Status)
			assert.Len(t, e.ID, 12, "layer events are keyed by 12 hex digits")
		}
		if e.Status == imagesvc.StatusDownloading {
			assert.Positive(t, e.Detail.Total)
			assert.LessOrEqual(t, e.Detail.Current, e.Detail.Total)
		}
	}

	again := s.pull(t, svc, s.w.ref("library/single"), "1.0", nil, nil)
	require.NoError(t, again.err)
	assert.Equal(t, []imagesvc.PulledImage{{Ref: name, ID: id, Updated: false}}, again.pulled)
	assert.Equal(t, imagesvc.PullStatus(name, false), again.events[len(again.events)-1])

	sums := list(t, svc, imagesvc.ListOptions{})
	require.Len(t, sums, 1)
	sum := sums[0]
	assert.Equal(t, id, sum.ID)
	assert.Equal(t, []string{name}, sum.RepoTags)
	assert.Equal(t, []string{s.w.ref("library/single@" + id.String())}, sum.RepoDigests)
	assert.Equal(t, map[string]string{"com.example.kind": "single", "com.example.tier": "a"}, sum.Labels)
	assert.True(t, sum.Created.Equal(createdSingle), "Created %v", sum.Created)
	assert.Equal(t, int64(-1), sum.SharedSize)
	assert.Greater(t, sum.Size, s.w.single.Size()-s.w.single.Descriptor.Size, "Size counts content and unpacked layers")
	assert.Equal(t, id, sum.Descriptor.Digest)
	assert.Equal(t, s.w.single.Descriptor.MediaType, sum.Descriptor.MediaType)
	assert.Nil(t, sum.Manifests, "Manifests only when asked for")
	assert.Empty(t, sum.ParentID)

	s.mustPull(t, svc, "library/single", "latest")
	sums = list(t, svc, imagesvc.ListOptions{})
	require.Len(t, sums, 1, "two tags of one image list once")
	assert.ElementsMatch(t, []string{name, s.w.ref("library/single:latest")}, sums[0].RepoTags)
	assert.Equal(t, []string{s.w.ref("library/single@" + id.String())}, sums[0].RepoDigests)
}

func (s *suite) testPullByDigest(t *testing.T) {
	svc := s.service(t)
	id := s.w.single.Descriptor.Digest
	byDigest := s.w.ref("library/single@" + id.String())

	res := s.pull(t, svc, s.w.ref("library/single"), id.String(), nil, nil)
	require.NoError(t, res.err)
	require.Equal(t, []imagesvc.PulledImage{{Ref: byDigest, ID: id, Updated: true}}, res.pulled)
	require.NotEmpty(t, res.events)
	assert.Equal(t, "Pulling from library/single", res.events[0].Status)
	assert.Equal(t, imagesvc.PullStatus(byDigest, true), res.events[len(res.events)-1])

	sums := list(t, svc, imagesvc.ListOptions{})
	require.Len(t, sums, 1)
	assert.Contains(t, sums[0].RepoDigests, byDigest)
	assert.Empty(t, listFiltered(t, svc, "dangling", "true"), "an image pulled by digest is not dangling")
	assert.Len(t, listFiltered(t, svc, "dangling", "false"), 1)

	img, err := inspect(t, svc, byDigest, imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, img.ID)
}

func (s *suite) testPullAllTags(t *testing.T) {
	svc := s.service(t)
	res := s.pull(t, svc, s.w.ref("library/tags"), "", nil, nil)
	require.NoError(t, res.err)
	var want, got []digest.Digest
	var refs []string
	for _, img := range s.w.tags {
		want = append(want, img.Descriptor.Digest)
	}
	for _, p := range res.pulled {
		got = append(got, p.ID)
		refs = append(refs, p.Ref)
		assert.True(t, p.Updated)
	}
	assert.ElementsMatch(t, want, got)
	assert.ElementsMatch(t, []string{s.w.ref("library/tags:v1"), s.w.ref("library/tags:v2"), s.w.ref("library/tags:v3")}, refs)
	for _, r := range refs {
		assert.Contains(t, res.events, imagesvc.PullStatus(r, true))
	}
	sums := listFiltered(t, svc, "reference", s.w.ref("library/tags"))
	assert.ElementsMatch(t, want, ids(sums))
}

func (s *suite) testPullPlatform(t *testing.T) {
	svc := s.service(t)
	arm := &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	res := s.pull(t, svc, s.w.ref("library/multi"), "1.0", arm, nil)
	require.NoError(t, res.err)
	require.Len(t, res.pulled, 1)
	assert.Equal(t, s.w.multi.Descriptor.Digest, res.pulled[0].ID)

	sums := list(t, svc, imagesvc.ListOptions{Manifests: true})
	require.Len(t, sums, 1)
	armDesc := platformManifest(t, s.w.multi, "arm64")
	amdDesc := platformManifest(t, s.w.multi, "amd64")
	for _, m := range sums[0].Manifests {
		switch m.ID {
		case armDesc.Digest:
			assert.True(t, m.Available, "the pulled platform is available")
		case amdDesc.Digest:
			assert.False(t, m.Available, "a platform not pulled is not available")
		}
	}

	// With the host's platform absent, the best manifest is the one that is present.
	img, err := inspect(t, svc, s.w.ref("library/multi:1.0"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, s.w.multi.Descriptor.Digest, img.ID)
	assert.Equal(t, "arm64", img.Architecture)
	assert.Equal(t, "v8", img.Variant)
	img, err = inspect(t, svc, s.w.ref("library/multi:1.0"), imagesvc.InspectOptions{Platform: arm})
	require.NoError(t, err)
	assert.Equal(t, armDesc.Digest, img.ID)
}

func (s *suite) testMultiPlatformSummary(t *testing.T) {
	svc := s.service(t)
	s.mustPull(t, svc, "library/multi", "1.0")
	id := s.w.multi.Descriptor.Digest

	plain := list(t, svc, imagesvc.ListOptions{})
	require.Len(t, plain, 1)
	assert.Nil(t, plain[0].Manifests)

	sums := list(t, svc, imagesvc.ListOptions{Manifests: true, Identity: true})
	require.Len(t, sums, 1)
	sum := sums[0]
	assert.Equal(t, id, sum.ID)
	assert.Equal(t, ocispec.MediaTypeImageIndex, sum.Descriptor.MediaType)
	assert.Equal(t, map[string]string{"com.example.kind": "multi"}, sum.Labels)
	assert.True(t, sum.Created.Equal(createdMulti))
	assert.Equal(t, []string{s.w.ref("library/multi:1.0")}, sum.RepoTags)
	assert.Equal(t, []string{s.w.ref("library/multi@" + id.String())}, sum.RepoDigests)

	want := s.w.multi.Manifests()
	require.Len(t, sum.Manifests, len(want), "every manifest of the index is listed, present or not")
	var total int64
	for i, m := range sum.Manifests {
		d := want[i]
		assert.Equal(t, d.Digest, m.ID, "manifests come in index order")
		assert.Equal(t, d.Digest, m.Descriptor.Digest)
		assert.Equal(t, d.Platform, m.Descriptor.Platform)
		assert.Equal(t, d.Annotations, m.Descriptor.Annotations)
		total += m.Size.Total
		if ref, ok := d.Annotations["vnd.docker.reference.digest"]; ok {
			assert.Equal(t, imagesvc.KindAttestation, m.Kind, "manifest %d", i)
			require.NotNil(t, m.AttestationData, "an attestation always comes with AttestationData")
			assert.Equal(t, digest.Digest(ref), m.AttestationData.For)
			assert.Nil(t, m.ImageData)
			if ref == amd64(want).Digest.String() {
				// Docker 29 pulls the attestations of the selected platform with it.
				assert.True(t, m.Available, "the attestation of the pulled platform is pulled with it")
				assert.Equal(t, treeSize(t, s.w.multi, d), m.Size.Content, "an attestation's size is its content")
				assert.Equal(t, m.Size.Content, m.Size.Total)
			} else {
				assert.False(t, m.Available, "the attestations of other platforms are not pulled")
				assert.Zero(t, m.Size.Total)
			}
			continue
		}
		assert.Equal(t, imagesvc.KindImage, m.Kind, "manifest %d", i)
		require.NotNil(t, m.ImageData, "an image manifest always comes with ImageData")
		assert.Nil(t, m.AttestationData)
		assert.Equal(t, *d.Platform, m.ImageData.Platform)
		assert.Nil(t, m.ImageData.Containers)
		if d.Platform.Architecture == "amd64" {
			assert.True(t, m.Available, "the host platform was pulled")
			assert.Positive(t, m.ImageData.Unpacked)
			assert.Positive(t, m.Size.Content)
			assert.Equal(t, m.Size.Content+m.ImageData.Unpacked, m.Size.Total)
			require.NotNil(t, m.ImageData.Identity, "identity=1 fills the identity of available manifests")
			require.NotEmpty(t, m.ImageData.Identity.Pull)
			assert.Equal(t, s.w.ref("library/multi"), m.ImageData.Identity.Pull[0].Repository)
		} else {
			assert.False(t, m.Available, "other platforms are listed as not available")
			assert.Zero(t, m.ImageData.Unpacked)
			assert.Zero(t, m.Size.Content)
		}
	}
	assert.Equal(t, total, sum.Size, "Size is the total over all manifests")
}

// amd64 returns the linux/amd64 entry of an index's manifests.
func amd64(ms []ocispec.Descriptor) ocispec.Descriptor {
	for _, d := range ms {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
			return d
		}
	}
	return ocispec.Descriptor{}
}

// treeSize is the size of the manifest d of img with its config and layers.
func treeSize(t *testing.T, img *testimages.Image, d ocispec.Descriptor) int64 {
	t.Helper()
	b, ok := img.Blob(d.Digest)
	require.True(t, ok, "the test image has %s", d.Digest)
	var m ocispec.Manifest
	require.NoError(t, json.Unmarshal(b.Data, &m))
	n := d.Size + m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

func (s *suite) testPullErrors(t *testing.T) {
	svc := s.service(t)
	for _, tc := range []struct {
		name, from, tag string
		platform        *ocispec.Platform
		class           func(error) bool
		silent          bool // fails before any progress, so transports can send a real HTTP error
	}{
		{"UnknownRepository", s.w.ref("library/nosuch"), "1", nil, errdefs.IsNotFound, true},
		{"UnknownTag", s.w.ref("library/single"), "nosuchtag", nil, errdefs.IsNotFound, true},
		{"UnknownDigest", s.w.ref("library/single"), digest.FromString("nothing").String(), nil, errdefs.IsNotFound, true},
		{"MissingPlatform", s.w.ref("library/multi"), "1.0", &ocispec.Platform{OS: "linux", Architecture: "s390x"}, errdefs.IsNotFound, false},
		{"UnreachableRegistry", unreachableHost(t) + "/library/x", "1", nil, errdefs.IsUnavailable, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.pull(t, svc, tc.from, tc.tag, tc.platform, nil)
			require.Error(t, res.err)
			assert.True(t, tc.class(res.err), "wrong class: %v", res.err)
			assert.Empty(t, res.pulled)
			if tc.silent {
				assert.Empty(t, res.events, "errors found while resolving come before any progress")
			}
		})
	}
	t.Run("Canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res := s.pullCtx(t, ctx, svc, s.w.ref("library/single"), "1.0", nil, nil)
		require.Error(t, res.err)
		assert.True(t, errdefs.IsCanceled(res.err), "%v", res.err)
	})
	assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}), "a failed pull leaves no image behind")
}

func (s *suite) testPullCredentials(t *testing.T) {
	svc := s.service(t)
	from := s.w.ref("private/secret")
	res := s.pull(t, svc, from, "1", nil, nil)
	require.Error(t, res.err)
	assert.True(t, errdefs.IsUnauthorized(res.err), "no credentials: %v", res.err)
	assert.Empty(t, res.events)

	res = s.pull(t, svc, from, "1", nil, &imagesvc.AuthConfig{Username: privateUser, Password: "wrong"})
	require.Error(t, res.err)
	assert.True(t, errdefs.IsUnauthorized(res.err), "wrong credentials: %v", res.err)
	assert.NotContains(t, res.err.Error(), "wrong", "errors never carry the password")
	assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}))

	res = s.pull(t, svc, from, "1", nil, &imagesvc.AuthConfig{Username: privateUser, Password: privatePassword})
	require.NoError(t, res.err)
	require.Len(t, res.pulled, 1)
	assert.Equal(t, s.w.private.Descriptor.Digest, res.pulled[0].ID)
	assert.Len(t, list(t, svc, imagesvc.ListOptions{}), 1)
	assert.True(t, strings.HasPrefix(res.pulled[0].Ref, s.w.host+"/private/secret"))
}
