package pull

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

func TestLoginHost(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "docker.io",
		"https://index.docker.io/v1/": "docker.io",
		"registry-1.docker.io":        "docker.io",
		"127.0.0.1:5000":              "127.0.0.1:5000",
		"https://127.0.0.1:5000":      "127.0.0.1:5000",
		"http://registry.example/v2/": "registry.example",
		"myregistry":                  "myregistry",
		"[::1]:5000":                  "[::1]:5000",
	} {
		got, err := LoginHost(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"http://", "bad host", "ftp://x:y@z", "-lead.example", "https://alice:s3cret@bad host"} {
		_, err := LoginHost(in)
		assert.True(t, errdefs.IsInvalidArgument(err), "%q: %v", in, err)
		assert.NotContains(t, fmt.Sprint(err), "s3cret", "the address is never echoed")
	}
	got, err := LoginHost("https://alice:s3cret@registry.example:5000/v2/")
	require.NoError(t, err)
	assert.Equal(t, "registry.example:5000", got, "user information is dropped")
}

func TestLoginBasic(t *testing.T) {
	for name, private := range map[string]string{"protected base": "", "open base": "private/"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, testregistry.Options{Users: map[string]string{"alice": "s3cret"}, Private: private}, Options{})
			host := f.reg.Host()
			for _, addr := range []string{host, "http://" + host, "http://" + host + "/v2/"} {
				token, err := f.puller.Login(t.Context(), imagesvc.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: addr})
				require.NoError(t, err, addr)
				assert.Empty(t, token, "basic authentication gives no identity token")
			}
			token, err := f.puller.Login(t.Context(), imagesvc.AuthConfig{
				Auth: base64.StdEncoding.EncodeToString([]byte("alice:s3cret")), ServerAddress: host})
			require.NoError(t, err)
			assert.Empty(t, token)

			for _, auth := range []imagesvc.AuthConfig{
				{Username: "alice", Password: "wrong", ServerAddress: host},
				{Username: "bob", Password: "s3cret", ServerAddress: host},
			} {
				if private != "" {
					// An open /v2/ has nothing to check credentials against: Docker says
					// "Login Succeeded", and sends none.
					_, err := f.puller.Login(t.Context(), auth)
					require.NoError(t, err)
					continue
				}
				_, err := f.puller.Login(t.Context(), auth)
				require.Error(t, err)
				assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)
				assert.Equal(t, "login attempt to http://"+host+"/v2/ failed with status: 401 Unauthorized: unauthorized: authentication required", err.Error())
				assert.NotContains(t, err.Error(), auth.Password)
			}
		})
	}
}

func TestLoginWithoutCredentials(t *testing.T) {
	f := newFixture(t, testregistry.Options{Users: map[string]string{"alice": "s3cret"}}, Options{})
	_, err := f.puller.Login(t.Context(), imagesvc.AuthConfig{ServerAddress: f.reg.Host()})
	require.Error(t, err)
	assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)

	// An open registry accepts anyone, as in Docker.
	open := newFixture(t, testregistry.Options{}, Options{})
	_, err = open.puller.Login(t.Context(), imagesvc.AuthConfig{ServerAddress: open.reg.Host()})
	require.NoError(t, err)
}

func TestLoginUnreachableAndNotARegistry(t *testing.T) {
	addr := freePort(t)
	p, err := New(Options{Insecure: []string{addr}})
	require.NoError(t, err)
	_, err = p.Login(t.Context(), imagesvc.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: addr})
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "want Unavailable, got %v", err)
	assert.Contains(t, err.Error(), `Get "http://`+addr+`/v2/"`)
	assert.Contains(t, err.Error(), "connection refused")

	f := newFixture(t, testregistry.Options{}, Options{})
	f.reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		http.NotFound(w, req)
	})
	_, err = f.puller.Login(t.Context(), imagesvc.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: f.reg.Host()})
	require.Error(t, err)
	assert.True(t, errdefs.IsInvalidArgument(err), "want InvalidArgument, got %v", err)

	_, err = f.puller.Login(t.Context(), imagesvc.AuthConfig{ServerAddress: "not a host"})
	assert.True(t, errdefs.IsInvalidArgument(err), "want InvalidArgument, got %v", err)
}

func TestLoginCanceled(t *testing.T) {
	f := newFixture(t, testregistry.Options{Users: map[string]string{"alice": "s3cret"}}, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.puller.Login(ctx, imagesvc.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: f.reg.Host()})
	assert.ErrorIs(t, err, ctx.Err())
}

func inspect(t *testing.T, f *fixture, ref string, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	t.Helper()
	named, err := reference.ParseNormalizedNamed(f.reg.Host() + "/" + ref)
	require.NoError(t, err)
	return f.puller.DistributionInspect(t.Context(), named, auth)
}

func TestDistributionInspect(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	single, err := testimages.DockerSchema2(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/single", "latest", single))
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	multi, err := testimages.OCIIndex([]testimages.Config{{Platform: arm64, Seed: 1}, {Platform: amd64, Seed: 1}}, true)
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/multi", "1.0", multi))

	// A reference without a tag means :latest; the descriptor is what the registry serves.
	info, err := inspect(t, f, "library/single", nil)
	require.NoError(t, err)
	assert.Equal(t, ocispec.Descriptor{MediaType: images.MediaTypeDockerSchema2Manifest, Digest: single.Descriptor.Digest, Size: single.Descriptor.Size}, info.Descriptor)
	assert.Equal(t, []ocispec.Platform{{OS: "linux", Architecture: "arm", Variant: "v7"}}, info.Platforms)

	// An index: every entry's platform in index order, attestations included.
	info, err = inspect(t, f, "library/multi:1.0", nil)
	require.NoError(t, err)
	assert.Equal(t, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: multi.Descriptor.Digest, Size: multi.Descriptor.Size}, info.Descriptor)
	var want []ocispec.Platform
	for _, d := range multi.Manifests() {
		want = append(want, *d.Platform)
	}
	require.Len(t, want, 4)
	assert.Equal(t, want, info.Platforms)
	assert.Equal(t, arm64, info.Platforms[0])
	assert.Equal(t, amd64, info.Platforms[1])

	// By digest, of the index and of one of its manifests.
	info, err = inspect(t, f, "library/multi@"+multi.Descriptor.Digest.String(), nil)
	require.NoError(t, err)
	assert.Equal(t, multi.Descriptor.Digest, info.Descriptor.Digest)
	assert.Len(t, info.Platforms, 4)
	amdManifest := multi.Manifests()[1]
	info, err = inspect(t, f, "library/multi:ignored@"+amdManifest.Digest.String(), nil)
	require.NoError(t, err)
	assert.Equal(t, amdManifest.Digest, info.Descriptor.Digest)
	assert.Equal(t, amdManifest.Size, info.Descriptor.Size)
	assert.Equal(t, []ocispec.Platform{amd64}, info.Platforms)
}

func TestDistributionInspectErrors(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.OCIManifest(testimages.Config{})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))

	_, err = inspect(t, f, "library/app:v2", nil)
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, "manifest for "+f.reg.Host()+"/library/app:v2 not found: manifest unknown", err.Error())

	_, err = inspect(t, f, "library/nosuch:v1", nil)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Contains(t, err.Error(), "pull access denied for "+f.reg.Host()+"/library/nosuch")

	_, err = inspect(t, f, "library/app@"+digest.FromString("nothing").String(), nil)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

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
	_, err = inspect(t, f, "old/app", nil)
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.Contains(t, err.Error(), "schema 1 support has been removed")

	addr := freePort(t)
	p, err := New(Options{Insecure: []string{addr}})
	require.NoError(t, err)
	named, err := reference.ParseNormalizedNamed(addr + "/library/app:v1")
	require.NoError(t, err)
	_, err = p.DistributionInspect(t.Context(), named, nil)
	assert.True(t, errdefs.IsUnavailable(err), "want Unavailable, got %v", err)
}

func TestDistributionInspectPrivate(t *testing.T) {
	f := newFixture(t, testregistry.Options{Users: map[string]string{"alice": "s3cret"}, Private: "private/"}, Options{})
	img, err := testimages.OCIManifest(testimages.Config{Seed: 7})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("private/app", "v1", img))

	for _, auth := range []*imagesvc.AuthConfig{nil, {Username: "alice", Password: "wrong"}} {
		_, err = inspect(t, f, "private/app:v1", auth)
		require.Error(t, err)
		assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)
		assert.NotContains(t, err.Error(), "wrong")
	}
	info, err := inspect(t, f, "private/app:v1", &imagesvc.AuthConfig{Username: "alice", Password: "s3cret"})
	require.NoError(t, err)
	assert.Equal(t, img.Descriptor.Digest, info.Descriptor.Digest)
	assert.Len(t, info.Platforms, 1)
}

func TestDistributionInspectCorruptManifest(t *testing.T) {
	f := newFixture(t, testregistry.Options{}, Options{})
	img, err := testimages.OCIManifest(testimages.Config{Seed: 8})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("library/app", "v1", img))
	f.reg.CorruptBlob(img.Descriptor.Digest)
	_, err = inspect(t, f, "library/app:v1", nil)
	require.Error(t, err)
	assert.True(t, errdefs.IsDataLoss(err), "want DataLoss, got %v", err)
}

func TestLoginToken(t *testing.T) {
	f := newFixture(t, testregistry.Options{Users: map[string]string{"alice": "s3cret"}, Token: true}, Options{})
	host := f.reg.Host()
	identity, err := f.puller.Login(t.Context(), imagesvc.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: host})
	require.NoError(t, err)
	require.NotEmpty(t, identity, "the token service's refresh token is the identity token")
	assert.NotEqual(t, "s3cret", identity)

	// The identity token logs in again, and pulls, without the password.
	again, err := f.puller.Login(t.Context(), imagesvc.AuthConfig{IdentityToken: identity, ServerAddress: host})
	require.NoError(t, err)
	assert.NotEmpty(t, again)
	img, err := testimages.OCIManifest(testimages.Config{Seed: 3})
	require.NoError(t, err)
	require.NoError(t, f.reg.Put("private/app", "v1", img))
	info, err := inspect(t, f, "private/app:v1", &imagesvc.AuthConfig{IdentityToken: identity})
	require.NoError(t, err)
	assert.Equal(t, img.Descriptor.Digest, info.Descriptor.Digest)
	_, err = inspect(t, f, "private/app:v1", nil)
	assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)

	for _, auth := range []imagesvc.AuthConfig{
		{Username: "alice", Password: "wrong", ServerAddress: host},
		{IdentityToken: "forged", ServerAddress: host},
	} {
		_, err = f.puller.Login(t.Context(), auth)
		require.Error(t, err)
		assert.True(t, errdefs.IsUnauthorized(err), "want Unauthenticated, got %v", err)
		assert.NotContains(t, err.Error(), "wrong")
		assert.NotContains(t, err.Error(), "forged")
		assert.Contains(t, err.Error(), `Get "http://`+host+`/v2/": unauthorized: `)
	}
	_, err = f.puller.Login(t.Context(), imagesvc.AuthConfig{Username: "alice", Password: "wrong", ServerAddress: host})
	assert.Equal(t, `Get "http://`+host+`/v2/": unauthorized: incorrect username or password`, err.Error())
}

// TestCredentialsNeverReachAMirror: a mirror configured in hosts.toml never sees the
// registry's credentials, on a lookup, a pull or a login, as Docker keeps them from
// mirrors; the registry itself gets them.
func TestCredentialsNeverReachAMirror(t *testing.T) {
	up := testregistry.New(t, testregistry.Options{Users: map[string]string{"alice": "s3cret"}})
	mirror := testregistry.New(t, testregistry.Options{Users: map[string]string{"bob": "x"}})
	img, err := testimages.OCIManifest(testimages.Config{Seed: 9})
	require.NoError(t, err)
	require.NoError(t, up.Put("library/app", "v1", img))
	var mirrorSaw, upSaw atomic.Int32
	mirror.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if _, p, ok := req.BasicAuth(); ok && p == "s3cret" {
			mirrorSaw.Add(1)
		}
		next.ServeHTTP(w, req)
	})
	up.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if _, p, ok := req.BasicAuth(); ok && p == "s3cret" {
			upSaw.Add(1)
		}
		next.ServeHTTP(w, req)
	})
	dir := t.TempDir()
	require.NoError(t, testregistry.WriteMirrorHostsDir(dir, up.Host(), mirror.Host()))
	p, err := New(Options{HostsDir: dir, Insecure: []string{up.Host()}})
	require.NoError(t, err)
	auth := &imagesvc.AuthConfig{Username: "alice", Password: "s3cret"}

	_, err = p.Login(t.Context(), imagesvc.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: up.Host()})
	require.NoError(t, err)
	named, err := reference.ParseNormalizedNamed(up.Host() + "/library/app:v1")
	require.NoError(t, err)
	info, err := p.DistributionInspect(t.Context(), named, auth)
	require.NoError(t, err)
	assert.Equal(t, img.Descriptor.Digest, info.Descriptor.Digest)
	assert.Zero(t, mirrorSaw.Load(), "the mirror saw the registry's password")
	assert.Positive(t, upSaw.Load(), "the registry itself gets the credentials")
}
