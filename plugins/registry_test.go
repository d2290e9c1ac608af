package plugins_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

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

// registryRecorder records the arguments of Login and DistributionInspect and answers
// what the test set (a test double of a registry: these tests are of the transport); the
// rest is a MemService.
type registryRecorder struct {
	*plugintest.MemService

	mu       sync.Mutex
	auth     imagesvc.AuthConfig  // Login's
	ref      reference.Named      // DistributionInspect's
	distAuth *imagesvc.AuthConfig // DistributionInspect's
	token    string
	info     *imagesvc.DistributionInfo
	err      error
}

func (r *registryRecorder) Login(_ context.Context, auth imagesvc.AuthConfig) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.auth = auth
	return r.token, r.err
}

func (r *registryRecorder) DistributionInspect(_ context.Context, ref reference.Named, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ref, r.distAuth = ref, auth
	return r.info, r.err
}

func mustNamed(t *testing.T, s string) reference.Named {
	t.Helper()
	n, err := reference.ParseNormalizedNamed(s)
	require.NoError(t, err)
	return n
}

// Every argument and result of Login and DistributionInspect crosses the protocol intact,
// and their errors keep class and text.
func TestRegistryRoundTrip(t *testing.T) {
	r := &registryRecorder{MemService: plugintest.NewMemService()}
	c := plugintest.InProcess(t, r, plugins.Options{})
	assertCapabilities(t, plugins.AllCapabilities, c)
	login := c.(imagesvc.RegistryAuthenticator)
	dist := c.(imagesvc.DistributionInspector)
	ctx := context.Background()

	auth := imagesvc.AuthConfig{Username: "u", Password: "p", Auth: "dTpw", ServerAddress: "https://localhost:5000/",
		IdentityToken: "id-tok", RegistryToken: "reg-tok"}
	r.token = "new-identity-token"
	token, err := login.Login(ctx, auth)
	require.NoError(t, err)
	assert.Equal(t, "new-identity-token", token)
	assert.Equal(t, auth, r.auth)
	r.token = ""
	token, err = login.Login(ctx, imagesvc.AuthConfig{})
	require.NoError(t, err)
	assert.Empty(t, token)
	assert.Equal(t, imagesvc.AuthConfig{}, r.auth, "Docker Hub, no credentials")

	id := digest.FromString("index")
	r.info = &imagesvc.DistributionInfo{
		Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: id, Size: 1<<33 + 7,
			Annotations: map[string]string{"org.opencontainers.image.ref.name": "v1"}},
		Platforms: []ocispec.Platform{
			{OS: "linux", Architecture: "arm64", Variant: "v8"},
			{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763.1", OSFeatures: []string{"win32k"}},
			{OS: "unknown", Architecture: "unknown"},
		},
	}
	for _, s := range []string{"localhost:5000/team/app:v1", "alpine", "alpine@" + id.String(), "r.example/a:t@" + id.String()} {
		ref := mustNamed(t, s)
		info, err := dist.DistributionInspect(ctx, ref, &auth)
		require.NoError(t, err, s)
		assert.Equal(t, r.info, info, s)
		assert.Equal(t, ref.String(), r.ref.String(), "the reference crosses as given: %s", s)
		assert.Equal(t, &auth, r.distAuth)
	}
	_, err = dist.DistributionInspect(ctx, mustNamed(t, "alpine"), nil)
	require.NoError(t, err)
	assert.Nil(t, r.distAuth, "anonymous stays nil")

	r.info = &imagesvc.DistributionInfo{Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: id, Size: 2}}
	info, err := dist.DistributionInspect(ctx, mustNamed(t, "alpine"), nil)
	require.NoError(t, err)
	assert.Nil(t, info.Platforms, "platforms not known stay nil")
	assert.Equal(t, r.info, info)
	r.info.Platforms = []ocispec.Platform{}
	info, err = dist.DistributionInspect(ctx, mustNamed(t, "alpine"), nil)
	require.NoError(t, err)
	assert.Equal(t, []ocispec.Platform{}, info.Platforms, "an empty list stays empty")

	r.info = nil
	_, err = dist.DistributionInspect(ctx, mustNamed(t, "alpine"), nil)
	assert.True(t, errdefs.IsInternal(err), "a backend without result nor error: %v", err)

	for _, e := range []error{
		errdefs.ErrUnauthenticated.WithMessage("login attempt to https://localhost:5000/v2/ failed with status: 401 Unauthorized"),
		errdefs.ErrNotFound.WithMessage("docker.io/library/nope:latest: not found"),
		errdefs.ErrUnavailable.WithMessage("Get \"https://localhost:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused"),
		errdefs.ErrInvalidArgument.WithMessage("unsupported schema 1 manifest"),
	} {
		r.err = e
		_, err1 := login.Login(ctx, auth)
		_, err2 := dist.DistributionInspect(ctx, mustNamed(t, "alpine"), &auth)
		for _, err := range []error{err1, err2} {
			require.Error(t, err)
			assert.Equal(t, e.Error(), err.Error())
			assert.Equal(t, errdefs.Resolve(e), errdefs.Resolve(err), "class of %q", err)
		}
	}
	// The plugin is still there: errors of the backend are not faults of the process.
	_, err = c.List(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
}

// A plugin that lacks the two capabilities (as one built before they existed) gives a
// Client without the interfaces; the others are unaffected.
func TestRegistryCapabilitiesAbsent(t *testing.T) {
	old := plugins.CapRemove | plugins.CapTag | plugins.CapPrune | plugins.CapHistory
	for name, c := range map[string]plugins.Client{
		"in-process": plugintest.InProcess(t, plugintest.Without(plugintest.NewMemService(), plugins.CapLogin|plugins.CapDistribution|plugins.CapSave|plugins.CapLoad|plugins.CapPush|plugins.CapEvents|plugins.CapDiskUsage|plugins.CapRootFS), plugins.Options{}),
		"plugin":     plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-hide", "login,distribution,save,load,push,events,disk_usage,rootfs"}}),
	} {
		assert.Equal(t, old, c.Info().Capabilities, name)
		assertCapabilities(t, old, c)
		_, err := c.(imagesvc.Remover).Remove(context.Background(), mustRef(t, "nothing"), imagesvc.RemoveOptions{})
		assert.True(t, errdefs.IsNotFound(err), "%s: %v", name, err)
	}
}

// Through a plugin process, MemService's made-up registry answers Login,
// DistributionInspect and Push; the credentials, and the token Login returns, appear in no log
// line of either side even at the most verbose level, nor in errors.
func TestRegistryPluginNeverLogsCredentials(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	for name, c := range map[string]plugins.Client{
		"in-process": plugintest.InProcess(t, plugintest.NewMemService(), plugins.Options{Logger: logger}),
		"plugin":     plugintest.Open(t, testPlugin(t), plugins.Options{Logger: logger}),
	} {
		ctx := context.Background()
		login := c.(imagesvc.RegistryAuthenticator)
		token, err := login.Login(ctx, imagesvc.AuthConfig{Username: plugintest.MemUser, Password: plugintest.MemPassword, ServerAddress: "localhost:5000"})
		require.NoError(t, err, name)
		assert.Equal(t, plugintest.MemIdentityToken, token, name)
		token, err = login.Login(ctx, imagesvc.AuthConfig{IdentityToken: plugintest.MemIdentityToken})
		require.NoError(t, err, name)
		assert.Empty(t, token, name)
		_, err = login.Login(ctx, imagesvc.AuthConfig{Username: plugintest.MemUser, Password: "wrong-" + plugintest.MemPassword, ServerAddress: "localhost:5000"})
		assert.True(t, errdefs.IsUnauthorized(err), "%s: %v", name, err)
		assert.Equal(t, "login attempt to https://localhost:5000/v2/ failed with status: 401 Unauthorized", err.Error(), name)
		_, err = login.Login(ctx, imagesvc.AuthConfig{ServerAddress: "localhost:5000/some/path"})
		assert.True(t, errdefs.IsInvalidArgument(err), "%s: %v", name, err)

		ref := mustNamed(t, "localhost:5000/app:v1")
		info, err := c.(imagesvc.DistributionInspector).DistributionInspect(ctx, ref,
			&imagesvc.AuthConfig{Username: plugintest.MemUser, Password: plugintest.MemPassword})
		require.NoError(t, err, name)
		want, err := plugintest.NewMemService().DistributionInspect(ctx, ref, nil)
		require.NoError(t, err)
		assert.Equal(t, want, info, name)
		_, err = c.(imagesvc.DistributionInspector).DistributionInspect(ctx, ref,
			&imagesvc.AuthConfig{Username: plugintest.MemUser, Password: "wrong-" + plugintest.MemPassword})
		assert.True(t, errdefs.IsUnauthorized(err), "%s: %v", name, err)
		assert.NotContains(t, err.Error(), plugintest.MemPassword, name)

		// A push with credentials, good and wrong.
		pushRef := mustNamed(t, "localhost:5000/app:v1")
		_, err = c.Pull(ctx, imagesvc.PullRequest{Ref: pushRef}, nil)
		require.NoError(t, err, name)
		require.NoError(t, c.(imagesvc.Pusher).Push(ctx, imagesvc.PushRequest{Ref: pushRef,
			Auth: &imagesvc.AuthConfig{Username: plugintest.MemUser, Password: plugintest.MemPassword}}, nil), name)
		err = c.(imagesvc.Pusher).Push(ctx, imagesvc.PushRequest{Ref: pushRef,
			Auth: &imagesvc.AuthConfig{Username: plugintest.MemUser, Password: "wrong-" + plugintest.MemPassword}}, nil)
		assert.True(t, errdefs.IsUnauthorized(err), "%s: %v", name, err)
		assert.NotContains(t, err.Error(), plugintest.MemPassword, name)
		require.NoError(t, c.Close())
	}
	mu.Lock()
	defer mu.Unlock()
	out := logs.String()
	assert.Contains(t, out, "plugin started", "the test logs something at all")
	for _, secret := range []string{plugintest.MemPassword, plugintest.MemIdentityToken} {
		assert.False(t, strings.Contains(out, secret), "the logs contain %q:\n%s", secret, out)
	}
}
