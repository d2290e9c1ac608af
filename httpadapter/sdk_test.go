package httpadapter_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// sdkClient starts the adapter on a test server and returns an official Go SDK client that
// negotiates its API version with it.
func sdkClient(t *testing.T, f imagesvc.Service, opts httpadapter.Options) *client.Client {
	t.Helper()
	opts.Ping = true
	opts.Version = true
	srv := httptest.NewServer(httpadapter.New(f, opts))
	t.Cleanup(srv.Close)
	c, err := client.New(client.WithHost("tcp://"+strings.TrimPrefix(srv.URL, "http://")),
		client.WithHTTPClient(srv.Client()), client.WithAPIVersionNegotiation())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSDKPingNegotiation(t *testing.T) {
	ctx := context.Background()
	c := sdkClient(t, newFixture(), httpadapter.Options{MaxVersion: "1.48"})
	ping, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	require.NoError(t, err)
	assert.Equal(t, "1.48", ping.APIVersion)
	assert.NotEmpty(t, ping.OSType)
	assert.False(t, ping.Experimental)
	assert.Equal(t, "1.48", c.ClientVersion())

	v, err := c.ServerVersion(ctx, client.ServerVersionOptions{})
	require.NoError(t, err)
	assert.Equal(t, "1.48", v.APIVersion)
	assert.Equal(t, httpadapter.DefaultEngineVersion, v.Version)
}

func TestSDKImageList(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := sdkClient(t, f, httpadapter.Options{})

	res, err := c.ImageList(ctx, client.ImageListOptions{})
	require.NoError(t, err)
	require.Len(t, res.Items, 3)
	alpine := res.Items[0]
	assert.Equal(t, idAlpine.String(), alpine.ID)
	assert.Equal(t, []string{"alpine:3.20", "alpine:latest"}, alpine.RepoTags)
	assert.Equal(t, int64(1), alpine.Containers)
	assert.Equal(t, createdTime.Unix(), alpine.Created)
	assert.Equal(t, int64(-1), alpine.SharedSize)
	require.NotNil(t, alpine.Descriptor)
	assert.Equal(t, ocispec.MediaTypeImageIndex, alpine.Descriptor.MediaType)
	assert.Empty(t, alpine.Manifests)
	assert.Equal(t, map[string]string{"maintainer": "<someone@example.com>"}, res.Items[1].Labels)
	assert.Equal(t, []string{}, res.Items[2].RepoTags)

	// Filters, shared size and manifests.
	res, err = c.ImageList(ctx, client.ImageListOptions{
		Filters:    make(client.Filters).Add("reference", "alpine:3.20").Add("dangling", "false"),
		SharedSize: true,
		Manifests:  true,
		All:        true,
	})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	got := f.last().listOpts
	assert.True(t, got.All)
	assert.True(t, got.SharedSize)
	assert.True(t, got.Manifests)
	assert.Equal(t, []string{"alpine:3.20"}, got.Filters.Get("reference"))
	alpine = res.Items[0]
	assert.Equal(t, []string{"alpine:3.20"}, alpine.RepoTags)
	assert.Equal(t, int64(4096), alpine.SharedSize)
	require.Len(t, alpine.Manifests, 3)
	assert.Equal(t, image.ManifestKindImage, alpine.Manifests[0].Kind)
	require.NotNil(t, alpine.Manifests[0].ImageData)
	assert.Equal(t, int64(8848464), alpine.Manifests[0].ImageData.Size.Unpacked)
	assert.Equal(t, []string{"e3b0c442"}, alpine.Manifests[0].ImageData.Containers)
	assert.False(t, alpine.Manifests[1].Available)
	assert.Equal(t, image.ManifestKindAttestation, alpine.Manifests[2].Kind)
	require.NotNil(t, alpine.Manifests[2].AttestationData)
	assert.Equal(t, idAmd64, alpine.Manifests[2].AttestationData.For)

	// Identity (1.54+).
	res, err = c.ImageList(ctx, client.ImageListOptions{Identity: true})
	require.NoError(t, err)
	require.NotNil(t, res.Items[0].Manifests[0].ImageData.Identity)
	assert.Equal(t, "docker.io/library/alpine", res.Items[0].Manifests[0].ImageData.Identity.Pull[0].Repository)

	// A bad filter is the client's error with the server's text.
	_, err = c.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("foo", "bar")})
	require.Error(t, err)
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.Contains(t, err.Error(), "invalid filter 'foo'")
}

func TestSDKImageInspect(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := sdkClient(t, f, httpadapter.Options{})

	res, err := c.ImageInspect(ctx, "alpine:3.20")
	require.NoError(t, err)
	assert.Equal(t, idAlpine.String(), res.ID)
	assert.Equal(t, []string{"alpine:3.20", "alpine:latest"}, res.RepoTags)
	assert.Equal(t, "2025-02-14T00:00:00Z", res.Created)
	require.NotNil(t, res.Config)
	assert.Equal(t, []string{"/bin/sh"}, res.Config.Cmd)
	assert.Equal(t, tagTime, res.Metadata.LastTagTime.UTC())
	require.NotNil(t, res.Descriptor)
	assert.Equal(t, idAlpine, res.Descriptor.Digest)
	assert.Empty(t, res.Manifests)
	require.NotNil(t, res.Identity)

	res, err = c.ImageInspect(ctx, "alpine:3.20", client.ImageInspectWithManifests(true))
	require.NoError(t, err)
	require.Len(t, res.Manifests, 3)
	assert.True(t, f.last().inspectOpts.Manifests)

	res, err = c.ImageInspect(ctx, "alpine:3.20", client.ImageInspectWithPlatform(&ocispec.Platform{OS: "linux", Architecture: "amd64"}))
	require.NoError(t, err)
	assert.Equal(t, idAmd64.String(), res.ID)
	require.NotNil(t, f.last().inspectOpts.Platform)

	_, err = c.ImageInspect(ctx, "json")
	require.NoError(t, err, "an image named json")

	_, err = c.ImageInspect(ctx, "nothere")
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Contains(t, err.Error(), "No such image: nothere:latest")
}

func TestSDKImagePull(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := sdkClient(t, f, httpadapter.Options{})

	resp, err := c.ImagePull(ctx, "alpine:3.20", client.ImagePullOptions{
		RegistryAuth: "eyJ1c2VybmFtZSI6ImpvZSIsInBhc3N3b3JkIjoicyJ9", // {"username":"joe","password":"s"}
		Platforms:    []ocispec.Platform{{OS: "linux", Architecture: "arm64", Variant: "v8"}},
	})
	require.NoError(t, err)
	var msgs []jsonstream.Message
	for m, err := range resp.JSONMessages(ctx) {
		require.NoError(t, err)
		msgs = append(msgs, m)
	}
	require.Len(t, msgs, 8)
	assert.Equal(t, "Pulling from library/alpine", msgs[0].Status)
	assert.Equal(t, "3.20", msgs[0].ID)
	require.NotNil(t, msgs[2].Progress)
	assert.Equal(t, int64(3623807), msgs[2].Progress.Total)
	assert.Equal(t, "Status: Downloaded newer image for alpine:3.20", msgs[7].Status)
	req := f.last().pullReq
	assert.Equal(t, "docker.io/library/alpine:3.20", req.Ref.String())
	require.NotNil(t, req.Auth)
	assert.Equal(t, "joe", req.Auth.Username)
	require.NotNil(t, req.Platform)
	assert.Equal(t, "linux/arm64/v8", imagesvc.FormatPlatform(*req.Platform))

	// Wait reads the whole stream with the client's decoder.
	resp, err = c.ImagePull(ctx, "alpine:3.20", client.ImagePullOptions{})
	require.NoError(t, err)
	require.NoError(t, resp.Wait(ctx))

	// An in-stream error is the stream's error.
	f.pullFn = func(_ context.Context, _ imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
		progress.Report(imagesvc.PullingFrom("library/alpine", "3.20"))
		return nil, errors.New("unexpected EOF")
	}
	resp, err = c.ImagePull(ctx, "alpine:3.20", client.ImagePullOptions{})
	require.NoError(t, err)
	err = resp.Wait(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unexpected EOF")

	// A 401 before the stream lets the client retry with credentials.
	var tries int
	f.pullFn = func(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
		tries++
		if req.Auth == nil {
			return nil, errdefs.ErrUnauthenticated.WithMessage("authentication required")
		}
		return defaultPull(ctx, req, progress)
	}
	resp, err = c.ImagePull(ctx, "private/app:1", client.ImagePullOptions{
		PrivilegeFunc: func(context.Context) (string, error) {
			return "eyJ1c2VybmFtZSI6ImpvZSIsInBhc3N3b3JkIjoicyJ9", nil
		},
	})
	require.NoError(t, err)
	require.NoError(t, resp.Wait(ctx))
	assert.Equal(t, 2, tries)
}

func TestSDKImageImport(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := sdkClient(t, f, httpadapter.Options{})

	body := "a root filesystem archive"
	resp, err := c.ImageImport(ctx, client.ImageImportSource{Source: strings.NewReader(body), SourceName: "-"}, "myimg:v1",
		client.ImageImportOptions{Changes: []string{"ENV A=1", `CMD ["sh"]`}, Message: "hello",
			Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}})
	require.NoError(t, err)
	out, err := io.ReadAll(resp)
	require.NoError(t, err)
	require.NoError(t, resp.Close())
	assert.Equal(t, `{"status":"`+digest.FromString(body).String()+`"}`+"\r\n", string(out))

	last := f.last()
	assert.Equal(t, body, string(last.importBody))
	assert.Equal(t, "docker.io/library/myimg:v1", last.importReq.Ref.String())
	assert.Equal(t, "hello", last.importReq.Message)
	assert.Equal(t, 2, last.importReq.Changes.Len())
	require.NotNil(t, last.importReq.Platform)
	assert.Equal(t, "linux/amd64", imagesvc.FormatPlatform(*last.importReq.Platform))

	_, err = c.ImageImport(ctx, client.ImageImportSource{Source: strings.NewReader(body), SourceName: "-"}, "myimg:v1",
		client.ImageImportOptions{Changes: []string{"RUN rm -rf /"}})
	require.Error(t, err)
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.Contains(t, err.Error(), "RUN is not a valid change command")
}

// TestSDKLifecycle checks that the Go SDK's calls reach the service with their parameters
// and decode the answers.
func TestSDKLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newLifecycleFixture()
	c := sdkClient(t, f, httpadapter.Options{})

	f.removeOut = []imagesvc.DeleteResponse{{Untagged: "reg/x:1"}, {Deleted: idAlpine}}
	rm, err := c.ImageRemove(ctx, "localhost:5000/reg/x:1", client.ImageRemoveOptions{Force: true})
	require.NoError(t, err)
	assert.Equal(t, []image.DeleteResponse{{Untagged: "reg/x:1"}, {Deleted: idAlpine.String()}}, rm.Items)
	assert.Equal(t, "localhost:5000/reg/x:1", f.removeRef.String())
	assert.Equal(t, imagesvc.RemoveOptions{Force: true, NoPrune: true}, f.removeOpts, "PruneChildren false sends noprune=1")

	f.removeOut = nil
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	rm, err = c.ImageRemove(ctx, "reg/x@"+idAlpine.String(), client.ImageRemoveOptions{Force: true, PruneChildren: true, Platforms: []ocispec.Platform{amd64}})
	require.NoError(t, err)
	assert.Nil(t, rm.Items)
	assert.Equal(t, imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{amd64}}, f.removeOpts)
	assert.Equal(t, "reg/x@"+idAlpine.String(), f.removeRef.String())

	f.removeErr = imagesvc.DeleteConflict("9f8e7d6c5b4a", true, "image is referenced in multiple repositories")
	_, err = c.ImageRemove(ctx, "9f8e7d6c5b4a", client.ImageRemoveOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.Contains(t, err.Error(), "conflict: unable to delete 9f8e7d6c5b4a (must be forced) - image is referenced in multiple repositories")

	_, err = c.ImageTag(ctx, client.ImageTagOptions{Source: "alpine:3.20", Target: "localhost:5000/team/app:v2"})
	require.NoError(t, err)
	assert.Equal(t, "alpine:3.20", f.tagSource.String())
	assert.Equal(t, "localhost:5000/team/app:v2", f.tagTarget.String())
	f.tagErr = errdefs.ErrNotFound.WithMessage("No such image: nope:latest")
	_, err = c.ImageTag(ctx, client.ImageTagOptions{Source: "nope", Target: "x"})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

	f.pruneOut = &imagesvc.PruneReport{ImagesDeleted: []imagesvc.DeleteResponse{{Untagged: idDangling.String()}, {Deleted: idDangling}}, SpaceReclaimed: 4521984}
	pr, err := c.ImagePrune(ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add("dangling", "false").Add("label", "a=b")})
	require.NoError(t, err)
	assert.Equal(t, image.PruneReport{
		ImagesDeleted:  []image.DeleteResponse{{Untagged: idDangling.String()}, {Deleted: idDangling.String()}},
		SpaceReclaimed: 4521984,
	}, pr.Report)
	assert.Equal(t, []string{"false"}, f.pruneOpts.Filters.Get("dangling"))
	assert.Equal(t, []string{"a=b"}, f.pruneOpts.Filters.Get("label"))

	f.historyOut = []imagesvc.HistoryItem{
		{ID: idAlpine.String(), Created: createdTime, CreatedBy: "CMD", Tags: []string{"alpine:3.20"}},
		{ID: imagesvc.MissingID, Size: 42},
	}
	hist, err := c.ImageHistory(ctx, "alpine:3.20", client.ImageHistoryWithPlatform(amd64))
	require.NoError(t, err)
	assert.Equal(t, []image.HistoryResponseItem{
		{ID: idAlpine.String(), Created: createdTime.Unix(), CreatedBy: "CMD", Tags: []string{"alpine:3.20"}},
		{ID: "<missing>", Size: 42},
	}, hist.Items)
	assert.Equal(t, &amd64, f.historyOpts.Platform)
	assert.Equal(t, "alpine:3.20", f.historyRef.String())

	// A service without the capabilities: the SDK reports 501 as NotImplemented.
	plain := sdkClient(t, newFixture(), httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
	_, err = plain.ImageRemove(ctx, "alpine", client.ImageRemoveOptions{})
	assert.True(t, errdefs.IsNotImplemented(err), "%v", err)
	assert.ErrorContains(t, err, "image remove is not implemented by this image service")
	_, err = plain.ImageHistory(ctx, "alpine")
	assert.True(t, errdefs.IsNotImplemented(err), "%v", err)
}
