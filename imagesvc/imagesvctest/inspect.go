package imagesvctest

import (
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

func (s *suite) testInspect(t *testing.T) {
	svc := s.service(t)
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/single", "latest")
	id := s.w.single.Descriptor.Digest
	_, cfg, err := s.w.single.Manifest(id)
	require.NoError(t, err)

	for _, name := range []string{
		s.w.ref("library/single:1.0"),
		s.w.ref("library/single"), // implicit latest
		s.w.ref("library/single@" + id.String()),
		s.w.ref("library/single:1.0@" + id.String()),
		id.String(),
		id.Encoded(),
		id.Encoded()[:4],
		id.Encoded()[:12],
		id.Encoded()[:63],
		"sha256:" + id.Encoded()[:12],
	} {
		img, err := inspect(t, svc, name, imagesvc.InspectOptions{})
		if !assert.NoError(t, err, name) {
			continue
		}
		assert.Equal(t, id, img.ID, name)
	}

	img, err := inspect(t, svc, s.w.ref("library/single:1.0"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{s.w.ref("library/single:1.0"), s.w.ref("library/single:latest")}, img.RepoTags)
	assert.Equal(t, []string{s.w.ref("library/single@" + id.String())}, img.RepoDigests)
	assert.Equal(t, cfg.Config.Labels, img.Config.Labels)
	assert.Equal(t, []string{"PATH=/usr/bin"}, img.Config.Env)
	assert.Equal(t, []string{"/bin/sh"}, img.Config.Cmd)
	assert.Equal(t, "amd64", img.Architecture)
	assert.Equal(t, "linux", img.OS)
	assert.True(t, img.Created.Equal(createdSingle), "Created %v", img.Created)
	assert.Equal(t, "layers", img.RootFS.Type)
	assert.Equal(t, cfg.RootFS.DiffIDs, img.RootFS.Layers)
	assert.Positive(t, img.Size)
	assert.Equal(t, id, img.Descriptor.Digest)
	assert.False(t, img.LastTagTime.IsZero(), "LastTagTime is when a name was last set")
	assert.Nil(t, img.Manifests)

	img, err = inspect(t, svc, id.String(), imagesvc.InspectOptions{Manifests: true})
	require.NoError(t, err)
	require.Len(t, img.Manifests, 1)
	assert.Equal(t, imagesvc.KindImage, img.Manifests[0].Kind)
	assert.True(t, img.Manifests[0].Available)
	assert.Equal(t, id, img.Manifests[0].ID)

	for name, msg := range map[string]string{
		"nosuch":                                "No such image: nosuch:latest",
		s.w.ref("library/nosuch"):               "No such image: " + s.w.ref("library/nosuch:latest"),
		s.w.ref("library/single:nosuch"):        "No such image: " + s.w.ref("library/single:nosuch"),
		digest.FromString("x").String():         "No such image: " + digest.FromString("x").String(),
		s.w.ref("library/other@" + id.String()): "No such image: " + s.w.ref("library/other@"+id.String()),
		"abc":                                   "No such image: abc:latest", // too short for a short ID
	} {
		_, err := inspect(t, svc, name, imagesvc.InspectOptions{})
		require.Error(t, err, name)
		assert.True(t, errdefs.IsNotFound(err), "%s: %v", name, err)
		assert.Equal(t, msg, err.Error())
	}
	// A config digest is not an image ID in this model.
	_, err = inspect(t, svc, digest.FromBytes(mustConfigBytes(t, s)).String(), imagesvc.InspectOptions{})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

	_, err = imagesvc.ParseImageRef("Single")
	assert.True(t, errdefs.IsInvalidArgument(err), "a malformed reference is an invalid argument")
	_, err = inspect(t, svc, id.String(), imagesvc.InspectOptions{Manifests: true, Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}})
	assert.True(t, errdefs.IsInvalidArgument(err), "manifests and platform together: %v", err)
}

func mustConfigBytes(t *testing.T, s *suite) []byte {
	t.Helper()
	man, _, err := s.w.single.Manifest(s.w.single.Descriptor.Digest)
	require.NoError(t, err)
	b, ok := s.w.single.Blob(man.Config.Digest)
	require.True(t, ok)
	return b.Data
}

func (s *suite) testInspectShortIDs(t *testing.T) {
	svc := s.service(t)
	s.mustPull(t, svc, "library/twin", "a")
	s.mustPull(t, svc, "library/twin", "b")
	a, b := s.w.twinA.Descriptor.Digest.Encoded(), s.w.twinB.Descriptor.Digest.Encoded()
	common := 0
	for common < len(a) && a[common] == b[common] {
		common++
	}
	require.GreaterOrEqual(t, common, 4)

	_, err := inspect(t, svc, a[:4], imagesvc.InspectOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, imagesvc.ErrAmbiguous().Error(), err.Error())
	_, err = inspect(t, svc, "sha256:"+a[:common], imagesvc.InspectOptions{})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

	img, err := inspect(t, svc, a[:common+1], imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, s.w.twinA.Descriptor.Digest, img.ID)
	img, err = inspect(t, svc, "sha256:"+b[:common+1], imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, s.w.twinB.Descriptor.Digest, img.ID)
}

func (s *suite) testInspectPlatform(t *testing.T) {
	svc := s.service(t)
	s.mustPull(t, svc, "library/multi", "1.0")
	amd := platformManifest(t, s.w.multi, "amd64")

	img, err := inspect(t, svc, s.w.ref("library/multi:1.0"), imagesvc.InspectOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}})
	require.NoError(t, err)
	assert.Equal(t, amd.Digest, img.ID, "a selected platform makes the ID its manifest's digest")
	assert.Equal(t, amd.Digest, img.Descriptor.Digest)
	assert.Equal(t, "amd64", img.Architecture)

	img, err = inspect(t, svc, s.w.ref("library/multi:1.0"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, s.w.multi.Descriptor.Digest, img.ID)
	assert.Equal(t, "amd64", img.Architecture, "the host's platform is the best manifest")

	_, err = inspect(t, svc, s.w.ref("library/multi:1.0"), imagesvc.InspectOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Contains(t, err.Error(), "does not provide the specified platform (linux/arm64/v8)")

	img, err = inspect(t, svc, s.w.ref("library/multi:1.0"), imagesvc.InspectOptions{Manifests: true})
	require.NoError(t, err)
	assert.Len(t, img.Manifests, len(s.w.multi.Manifests()))
}
