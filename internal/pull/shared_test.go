package pull

import (
	"testing"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

func TestPrepare(t *testing.T) {
	host := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	ref, err := imagesvc.ParsePullReference("alpine", "3.20", "")
	require.NoError(t, err)

	req, key, err := Prepare(imagesvc.PullRequest{Ref: ref}, host)
	require.NoError(t, err)
	assert.Equal(t, host, *req.Platform, "the default platform fills a request without one")
	arm := ocispec.Platform{OS: "linux", Architecture: "aarch64"}
	armReq, armKey, err := Prepare(imagesvc.PullRequest{Ref: ref, Platform: &arm}, host)
	require.NoError(t, err)
	assert.Equal(t, "arm64", armReq.Platform.Architecture, "platforms are normalized")
	assert.NotEqual(t, key, armKey, "other platforms do not share a download")

	alice := &imagesvc.AuthConfig{Username: "alice", Password: "s3cret"}
	_, aliceKey, err := Prepare(imagesvc.PullRequest{Ref: ref, Auth: alice}, host)
	require.NoError(t, err)
	assert.NotEqual(t, key, aliceKey, "other credentials do not share a download")
	assert.NotContains(t, aliceKey, "s3cret")
	_, again, _ := Prepare(imagesvc.PullRequest{Ref: ref, Auth: &imagesvc.AuthConfig{Username: "alice", Password: "s3cret"}}, host)
	assert.Equal(t, aliceKey, again)
	_, emptyAuth, _ := Prepare(imagesvc.PullRequest{Ref: ref, Auth: &imagesvc.AuthConfig{}}, host)
	assert.Equal(t, key, emptyAuth, "empty credentials are no credentials")

	_, _, err = Prepare(imagesvc.PullRequest{}, host)
	assert.True(t, errdefs.IsInvalidArgument(err))
	scratch, err := imagesvc.ParsePullReference("alpine", "", "")
	require.NoError(t, err)
	_, _, err = Prepare(imagesvc.PullRequest{Ref: scratch}, host)
	require.NoError(t, err)
}
