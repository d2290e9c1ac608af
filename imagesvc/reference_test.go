package imagesvc_test

import (
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseImageRef(t *testing.T) {
	for _, tc := range []struct {
		in       string
		named    string
		tagged   string
		dgst     digest.Digest
		short    string
		notFound string
	}{
		{in: "foo", named: "docker.io/library/foo", tagged: "docker.io/library/foo:latest", notFound: "No such image: foo:latest"},
		{in: "foo:1", named: "docker.io/library/foo:1", tagged: "docker.io/library/foo:1", notFound: "No such image: foo:1"},
		{in: "localhost:5000/a/b:2", named: "localhost:5000/a/b:2", tagged: "localhost:5000/a/b:2", notFound: "No such image: localhost:5000/a/b:2"},
		{in: "abcd", named: "docker.io/library/abcd", tagged: "docker.io/library/abcd:latest", short: "abcd", notFound: "No such image: abcd:latest"},
		{in: "sha256:abcd", named: "docker.io/library/sha256:abcd", tagged: "docker.io/library/sha256:abcd", short: "abcd", notFound: "No such image: sha256:abcd"},
		{in: "abc", named: "docker.io/library/abc", tagged: "docker.io/library/abc:latest", notFound: "No such image: abc:latest"},
		{in: hex64, dgst: digest.Digest("sha256:" + hex64), short: hex64, notFound: "No such image: sha256:" + hex64},
		{in: "sha256:" + hex64, dgst: digest.Digest("sha256:" + hex64), short: hex64, notFound: "No such image: sha256:" + hex64},
		{in: "foo@sha256:" + hex64, named: "docker.io/library/foo@sha256:" + hex64, tagged: "docker.io/library/foo@sha256:" + hex64,
			dgst: digest.Digest("sha256:" + hex64), notFound: "No such image: foo@sha256:" + hex64},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := imagesvc.ParseImageRef(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.in, r.String())
			if tc.named == "" {
				assert.Nil(t, r.Named())
				assert.Nil(t, r.Tagged())
			} else {
				assert.Equal(t, tc.named, r.Named().String())
				assert.Equal(t, tc.tagged, r.Tagged().String())
			}
			assert.Equal(t, tc.dgst, r.Digest())
			assert.Equal(t, tc.short, r.ShortID())
			nf := r.NotFound()
			assert.True(t, errdefs.IsNotFound(nf))
			assert.Equal(t, tc.notFound, nf.Error())
		})
	}
}

func TestParseImageRefInvalid(t *testing.T) {
	for in, msg := range map[string]string{
		"Foo":   "invalid reference format: repository name (library/Foo) must be lowercase",
		"a b":   "invalid reference format",
		"ABCD":  "invalid reference format: repository name (library/ABCD) must be lowercase",
		"foo::": "invalid reference format",
	} {
		_, err := imagesvc.ParseImageRef(in)
		require.Error(t, err, in)
		assert.True(t, errdefs.IsInvalidArgument(err), in)
		assert.Equal(t, msg, err.Error(), in)
	}
	var zero imagesvc.ImageRef
	assert.Equal(t, "No such image: ", zero.NotFound().Error())
}

func TestParsePullReference(t *testing.T) {
	for _, tc := range []struct{ from, tag, registry, want string }{
		{"alpine", "", "", "docker.io/library/alpine"},
		{"alpine", "3.20", "", "docker.io/library/alpine:3.20"},
		{"alpine:", "", "", "docker.io/library/alpine"},
		{"alpine:3.19", "3.20", "", "docker.io/library/alpine:3.20"},
		{"docker.io/library/alpine", "sha256:" + hex64, "", "docker.io/library/alpine@sha256:" + hex64},
		{"alpine:3.19", "sha256:" + hex64, "", "docker.io/library/alpine@sha256:" + hex64},
		{"alpine@sha256:" + hex64, "3.20", "", "docker.io/library/alpine:3.20@sha256:" + hex64},
		{"x/y", "1", "127.0.0.1:5000", "127.0.0.1:5000/x/y:1"},
		{"x/y", "1", "https://127.0.0.1:5000/", "127.0.0.1:5000/x/y:1"},
		{"localhost/x", "1", "127.0.0.1:5000", "localhost/x:1"},
		{"reg.example:443/x", "1", "127.0.0.1:5000", "reg.example:443/x:1"},
		{"docker.io/x/y", "1", "127.0.0.1:5000", "docker.io/x/y:1"},
		{"index.docker.io/x", "1", "127.0.0.1:5000", "docker.io/library/x:1"},
		// An upper-case first component is a domain, as distribution/reference splits it.
		{"Team/app", "1", "127.0.0.1:5000", "Team/app:1"},
	} {
		ref, err := imagesvc.ParsePullReference(tc.from, tc.tag, tc.registry)
		require.NoError(t, err, tc)
		assert.Equal(t, tc.want, ref.String(), tc)
	}
	for _, tc := range []struct {
		from, tag, msg string
		class          func(error) bool
	}{
		{"Foo", "", "invalid reference format: repository name (library/Foo) must be lowercase", errdefs.IsInvalidArgument},
		{hex64, "", "invalid repository name (" + hex64 + "), cannot specify 64-byte hexadecimal strings", errdefs.IsInvalidArgument},
		{"alpine", "bad tag!", "invalid tag format", errdefs.IsInvalidArgument},
		{"scratch", "latest", "'scratch' is a reserved name", errdefs.IsPermissionDenied},
		{"docker.io/library/scratch", "", "'scratch' is a reserved name", errdefs.IsPermissionDenied},
	} {
		_, err := imagesvc.ParsePullReference(tc.from, tc.tag, "")
		require.Error(t, err, tc.from)
		assert.True(t, tc.class(err), "%s: %v", tc.from, err)
		assert.Equal(t, tc.msg, err.Error())
	}
}

func TestParseImportReference(t *testing.T) {
	ref, err := imagesvc.ParseImportReference("", "v1")
	require.NoError(t, err)
	assert.Nil(t, ref)
	for _, tc := range []struct{ repo, tag, want string }{
		{"myimg", "", "docker.io/library/myimg:latest"},
		{"myimg", "v1", "docker.io/library/myimg:v1"},
		{"myimg:v0", "v1", "docker.io/library/myimg:v1"},
		{"myimg:v0", "", "docker.io/library/myimg:v0"},
		{"localhost:5000/a", "", "localhost:5000/a:latest"},
	} {
		ref, err := imagesvc.ParseImportReference(tc.repo, tc.tag)
		require.NoError(t, err)
		assert.Equal(t, tc.want, ref.String())
	}
	for repo, msg := range map[string]string{
		"myimg@sha256:" + hex64: "cannot import digest reference",
		"MyImg":                 "invalid reference format: repository name (library/MyImg) must be lowercase",
	} {
		_, err := imagesvc.ParseImportReference(repo, "")
		require.Error(t, err)
		assert.True(t, errdefs.IsInvalidArgument(err))
		assert.Equal(t, msg, err.Error())
	}
	_, err = imagesvc.ParseImportReference("myimg", "bad tag")
	assert.True(t, errdefs.IsInvalidArgument(err))
}

func TestPlatformNotFound(t *testing.T) {
	err := imagesvc.PlatformNotFound("alpine:3.20", ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	assert.True(t, errdefs.IsNotFound(err))
	assert.Equal(t, "image with reference alpine:3.20 was found but does not provide the specified platform (linux/arm64/v8)", err.Error())
	err = imagesvc.PlatformNotFound("x", ocispec.Platform{})
	assert.Equal(t, "image with reference x was found but does not provide any platform", err.Error())
	assert.Equal(t, "linux", imagesvc.FormatPlatform(ocispec.Platform{OS: "linux", Variant: "v8"}))
	assert.True(t, errdefs.IsNotFound(imagesvc.ErrAmbiguous()))
	assert.Equal(t, "ambiguous reference", imagesvc.ErrAmbiguous().Error())
}
