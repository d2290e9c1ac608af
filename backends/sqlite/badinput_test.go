package sqlite

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// assertNothingStored checks that s lists no image and holds no blob.
func assertNothingStored(t *testing.T, s *Store) {
	t.Helper()
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Empty(t, sums, "nothing is listed")
	var blobs []digest.Digest
	require.NoError(t, s.Content().Walk(context.Background(), func(info content.Info) error {
		blobs = append(blobs, info.Digest)
		return nil
	}))
	assert.Empty(t, blobs, "no blob is left behind")
}

func importBody(t *testing.T, s *Store, body []byte) error {
	t.Helper()
	ref, err := imagesvc.ParseImportReference("bad/input", "v1")
	require.NoError(t, err)
	_, err = s.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(body), Ref: ref, Message: "Imported from -"}, nil)
	return err
}

func TestImportBadInput(t *testing.T) {
	good := bigTar()
	gz := testimages.Gzip(good)
	for name, body := range map[string][]byte{
		"NotATar":       bytes.Repeat([]byte("definitely not a tar archive\n"), 200),
		"TruncatedGzip": gz[:len(gz)/2],
		"TruncatedTar":  good[:len(good)/3],
		"GzipOfGarbage": testimages.Gzip(bytes.Repeat([]byte("garbage"), 500)),
	} {
		t.Run(name, func(t *testing.T) {
			s := openTest(t, Options{})
			err := importBody(t, s, body)
			require.Error(t, err)
			assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
			assertNothingStored(t, s)
		})
	}

	t.Run("OverTheBound", func(t *testing.T) {
		s := openTest(t, Options{MaxImportSize: 1 << 20})
		err := importBody(t, s, good)
		require.Error(t, err)
		assert.True(t, errdefs.IsResourceExhausted(err), "%v", err)
		assertNothingStored(t, s)

		// A gzip bomb: small as sent, over the bound once decompressed.
		err = importBody(t, s, gz)
		require.Error(t, err)
		assert.Less(t, len(gz), 1<<20)
		assert.True(t, errdefs.IsResourceExhausted(err), "%v", err)
		assert.Equal(t, "archive exceeds the import size limit of 1048576 bytes once decompressed; the host raises the limit with the backend option MaxImportSize", err.Error())
		assertNothingStored(t, s)
	})

	t.Run("URLWithoutPermission", func(t *testing.T) {
		s := openTest(t, Options{})
		u, _ := url.Parse("http://127.0.0.1:1/rootfs.tar")
		_, err := s.Import(context.Background(), imagesvc.ImportRequest{URL: u}, nil)
		require.Error(t, err)
		assert.True(t, errdefs.IsPermissionDenied(err), "%v", err)
		assertNothingStored(t, s)
	})
}

// TestImportUnsafePaths imports archives whose entries would escape a directory they were
// extracted to. The store never extracts a layer: the archive is stored as it is, as a
// layer blob, and nothing is written outside the store.
func TestImportUnsafePaths(t *testing.T) {
	parent := t.TempDir()
	s, err := Open(filepath.Join(parent, "store"), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	archive := testimages.Tar([]testimages.File{
		{Name: "../../escaped", Data: []byte("out of the store")},
		{Name: "etc/", Typeflag: '5'},
		{Name: "etc/passwd", Typeflag: '2', Linkname: "/etc/passwd"},
		{Name: "abs", Typeflag: '2', Linkname: "/"},
		{Name: "abs/escaped-too", Data: []byte("through a symlink")},
		{Name: "/absolute", Data: []byte("absolute path")},
	})
	ref, err := imagesvc.ParseImportReference("unsafe/paths", "v1")
	require.NoError(t, err)
	id, err := s.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(archive), Ref: ref}, nil)
	require.NoError(t, err, "unsafe entries are data; the archive is stored as a layer")

	img, err := s.Inspect(context.Background(), mustRef(t, id.String()), imagesvc.InspectOptions{})
	require.NoError(t, err)
	require.Len(t, img.RootFS.Layers, 1)
	assert.Equal(t, digest.FromBytes(archive), img.RootFS.Layers[0], "the layer is the archive itself")

	for _, p := range []string{
		filepath.Join(parent, "escaped"), filepath.Join(filepath.Dir(parent), "escaped"),
		filepath.Join(parent, "store", "escaped"), "/escaped-too", "/absolute",
	} {
		_, err := os.Lstat(p)
		assert.True(t, os.IsNotExist(err), "%s must not exist: %v", p, err)
	}
}

func mustRef(t testing.TB, s string) imagesvc.ImageRef {
	t.Helper()
	r, err := imagesvc.ParseImageRef(s)
	require.NoError(t, err)
	return r
}

// TestPullCorruptBlob pulls from a registry that serves a layer whose bytes do not match
// its digest: the pull fails with DataLoss, nothing is listed and the bad bytes are not
// stored.
func TestPullCorruptBlob(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{4096, 8192}, Seed: 3})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("bad/corrupt", "v1", img))
	hosts := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, reg.WriteHostsDir(hosts))
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	bad := man.Layers[1].Digest
	reg.CorruptBlob(bad)

	s := openTest(t, Options{HostsDir: hosts})
	ref, err := imagesvc.ParsePullReference(reg.Host()+"/bad/corrupt", "v1", "")
	require.NoError(t, err)
	_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.Error(t, err)
	assert.True(t, errdefs.IsDataLoss(err), "%v", err)
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Empty(t, sums, "a pull that fails verification lists nothing")
	_, err = s.Content().Info(context.Background(), bad)
	assert.True(t, errdefs.IsNotFound(err), "the corrupt blob is not stored: %v", err)

	_, err = s.Inspect(context.Background(), mustRef(t, reg.Host()+"/bad/corrupt:v1"), imagesvc.InspectOptions{})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
}

// TestPullCorruptManifest is the same for the manifest itself.
func TestPullCorruptManifest(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{Seed: 4})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("bad/manifest", "v1", img))
	hosts := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, reg.WriteHostsDir(hosts))
	reg.CorruptBlob(img.Descriptor.Digest)

	s := openTest(t, Options{HostsDir: hosts})
	ref, err := imagesvc.ParsePullReference(reg.Host()+"/bad/manifest@"+img.Descriptor.Digest.String(), "", "")
	require.NoError(t, err)
	_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.Error(t, err)
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Empty(t, sums)
}
