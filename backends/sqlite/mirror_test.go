package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// mirrorHostsDir writes an absolute hosts directory in which upstream's pulls and
// resolves go to mirror first, then to upstream itself, both over plain HTTP.
func mirrorHostsDir(t *testing.T, upstream, mirror string) string {
	t.Helper()
	dir := t.TempDir()
	require.True(t, filepath.IsAbs(dir))
	require.NoError(t, testregistry.WriteMirrorHostsDir(dir, upstream, mirror))
	return dir
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	addr, err := testregistry.UnusedAddr()
	require.NoError(t, err)
	return addr
}

// blobPaths returns the "GET" lines a full fetch of img's blobs in repo produces.
func blobPaths(img *testimages.Image, repo string) []string {
	var out []string
	for _, d := range img.Digests() {
		if d == img.Descriptor.Digest {
			continue
		}
		out = append(out, "GET /v2/"+repo+"/blobs/"+d.String())
	}
	return out
}

// TestMirror pulls through a registry mirror configured in hosts.toml (issue 13): a
// working mirror serves the whole image and the upstream registry is asked for nothing;
// a mirror that is down (a closed port) is skipped and the upstream registry serves it.
func TestMirror(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{Seed: 1301})
	require.NoError(t, err)
	const repo = "library/mirrored"

	t.Run("served by the mirror", func(t *testing.T) {
		up := testregistry.New(t, testregistry.Options{})
		mirror := testregistry.New(t, testregistry.Options{})
		require.NoError(t, up.Put(repo, "v1", img))
		require.NoError(t, mirror.Put(repo, "v1", img))
		var upLog, mirrorLog testregistry.AccessLog
		upLog.Watch(up)
		mirrorLog.Watch(mirror)
		s := openTest(t, Options{HostsDir: mirrorHostsDir(t, up.Host(), mirror.Host())})

		pulled := pullMirrored(t, s, up.Host()+"/"+repo)
		assert.Equal(t, img.Descriptor.Digest, pulled[0].ID)
		assert.Empty(t, upLog.Fetches(), "the upstream registry served a manifest or blob")
		assert.Empty(t, upLog.All(), "the upstream registry was asked anything at all")
		assert.Empty(t, upLog.BlobRequests(), "the upstream registry was asked about a blob")
		for _, p := range blobPaths(img, repo) {
			assert.Contains(t, mirrorLog.Fetches(), p, "the mirror served every blob")
		}
	})

	t.Run("mirror down", func(t *testing.T) {
		up := testregistry.New(t, testregistry.Options{})
		require.NoError(t, up.Put(repo, "v1", img))
		var upLog testregistry.AccessLog
		upLog.Watch(up)
		s := openTest(t, Options{HostsDir: mirrorHostsDir(t, up.Host(), closedPort(t))})

		pulled := pullMirrored(t, s, up.Host()+"/"+repo)
		assert.Equal(t, img.Descriptor.Digest, pulled[0].ID)
		fetches := upLog.Fetches()
		assert.Contains(t, upLog.All(), "HEAD /v2/"+repo+"/manifests/v1", "the upstream registry resolved the tag")
		assert.Contains(t, fetches, "GET /v2/"+repo+"/manifests/"+img.Descriptor.Digest.String(), "the upstream registry served the manifest")
		for _, p := range blobPaths(img, repo) {
			assert.Contains(t, fetches, p, "the upstream registry served every blob")
		}
	})
}

// pullMirrored pulls name:v1 into s and checks it is listed under that name.
func pullMirrored(t *testing.T, s *Store, name string) []imagesvc.PulledImage {
	t.Helper()
	ref, err := imagesvc.ParsePullReference(name, "v1", "")
	require.NoError(t, err)
	pulled, err := s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.NoError(t, err)
	require.Len(t, pulled, 1)
	sums, err := s.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	assert.Equal(t, []string{name + ":v1"}, sums[0].RepoTags)
	return pulled
}
