package imagesvctest

import (
	"context"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

// The groups of the capabilities that talk to registries without storing anything
// (RegistryAuthenticator, DistributionInspector). Like the lifecycle groups, each skips,
// naming the interface, when the service does not implement it.

// testLogin checks credentials against the suite's second registry, whose base endpoint
// wants alice's password; the first one's base endpoint is open, and a login there
// succeeds whatever the credentials, as in Docker.
func (s *suite) testLogin(t *testing.T) {
	svc := s.service(t)
	a := capability[imagesvc.RegistryAuthenticator](t, svc, "RegistryAuthenticator")
	ctx := context.Background()
	for _, addr := range []string{s.w.authHost, "http://" + s.w.authHost, "http://" + s.w.authHost + "/v2/"} {
		token, err := a.Login(ctx, imagesvc.AuthConfig{Username: privateUser, Password: privatePassword, ServerAddress: addr})
		require.NoError(t, err, "login to %s", addr)
		assert.Empty(t, token, "basic authentication gives no identity token")
	}

	_, err := a.Login(ctx, imagesvc.AuthConfig{Username: privateUser, Password: "wrong", ServerAddress: s.w.authHost})
	require.Error(t, err, "wrong password")
	assert.True(t, errdefs.IsUnauthorized(err), "wrong password: want Unauthenticated, got %v", err)
	assert.NotContains(t, err.Error(), "wrong", "errors never carry the password")

	_, err = a.Login(ctx, imagesvc.AuthConfig{Username: privateUser, Password: "wrong", ServerAddress: s.w.host})
	assert.NoError(t, err, "an open /v2/ takes any credentials, as in Docker")

	_, err = a.Login(ctx, imagesvc.AuthConfig{Username: privateUser, Password: privatePassword, ServerAddress: unreachableHost(t)})
	require.Error(t, err, "unreachable registry")
	assert.False(t, errdefs.IsUnauthorized(err), "an unreachable registry is not a refusal: %v", err)

	// The credentials are for that call only: a later pull without them is refused.
	res := s.pull(t, svc, s.w.ref("private/secret"), "1", nil, nil)
	require.Error(t, res.err)
	assert.True(t, errdefs.IsUnauthorized(res.err), "pull after login, no credentials: %v", res.err)
}

func (s *suite) distributionInspect(t *testing.T, d imagesvc.DistributionInspector, name string, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	t.Helper()
	ref, err := reference.ParseNormalizedNamed(s.w.ref(name))
	require.NoError(t, err, name)
	return d.DistributionInspect(context.Background(), ref, auth)
}

// testDistributionInspect describes the suite's images in the registry without pulling
// them.
func (s *suite) testDistributionInspect(t *testing.T) {
	svc := s.service(t)
	d := capability[imagesvc.DistributionInspector](t, svc, "DistributionInspector")

	// A single Docker schema 2 manifest, ":latest" added: its config's platform.
	info, err := s.distributionInspect(t, d, "library/single", nil)
	require.NoError(t, err)
	require.NotNil(t, info)
	assert.Equal(t, s.w.single.Descriptor.Digest, info.Descriptor.Digest)
	assert.Equal(t, s.w.single.Descriptor.Size, info.Descriptor.Size)
	assert.Equal(t, s.w.single.Descriptor.MediaType, info.Descriptor.MediaType)
	assert.Equal(t, []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}, info.Platforms)

	// An OCI index: its entries' platforms, in index order, attestations included.
	info, err = s.distributionInspect(t, d, "library/multi:1.0", nil)
	require.NoError(t, err)
	require.NotNil(t, info)
	assert.Equal(t, s.w.multi.Descriptor.Digest, info.Descriptor.Digest)
	assert.Equal(t, ocispec.MediaTypeImageIndex, info.Descriptor.MediaType)
	var want []ocispec.Platform
	for _, m := range s.w.multi.Manifests() {
		var p ocispec.Platform
		if m.Platform != nil {
			p = *m.Platform
		}
		want = append(want, p)
	}
	assert.Equal(t, want, info.Platforms)

	// By digest.
	info, err = s.distributionInspect(t, d, "library/multi@"+s.w.multi.Descriptor.Digest.String(), nil)
	require.NoError(t, err)
	assert.Equal(t, s.w.multi.Descriptor.Digest, info.Descriptor.Digest)
	assert.Equal(t, want, info.Platforms)

	_, err = s.distributionInspect(t, d, "library/single:nosuch", nil)
	assert.True(t, errdefs.IsNotFound(err), "unknown tag: want NotFound, got %v", err)

	// Nothing was pulled.
	assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}))
}

// testDistributionInspectPrivate describes the private image with and without
// credentials.
func (s *suite) testDistributionInspectPrivate(t *testing.T) {
	svc := s.service(t)
	d := capability[imagesvc.DistributionInspector](t, svc, "DistributionInspector")
	for _, auth := range []*imagesvc.AuthConfig{nil, {Username: privateUser, Password: "wrong"}} {
		_, err := s.distributionInspect(t, d, "private/secret:1", auth)
		require.Error(t, err)
		assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)
		assert.NotContains(t, err.Error(), "wrong", "errors never carry the password")
	}
	info, err := s.distributionInspect(t, d, "private/secret:1", &imagesvc.AuthConfig{Username: privateUser, Password: privatePassword})
	require.NoError(t, err)
	assert.Equal(t, s.w.private.Descriptor.Digest, info.Descriptor.Digest)
	assert.Equal(t, []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}, info.Platforms)
}
