package sqlite

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// TestLoadLeavesNothing loads archives that fail after blobs were written: each fails with
// its class, and the content store's blobs and ingest directories and the catalog are as
// before.
func TestLoadLeavesNothing(t *testing.T) {
	bad, err := testimages.BadArchives()
	require.NoError(t, err)
	pt, stores := t, map[int64]*Store{}
	for _, b := range bad {
		t.Run(b.Name, func(t *testing.T) {
			s := stores[b.MaxSize]
			if s == nil {
				var err error
				s, err = Open(pt.TempDir(), Options{MaxImportSize: b.MaxSize})
				require.NoError(t, err)
				pt.Cleanup(func() { s.Close() })
				stores[b.MaxSize] = s
			}
			src := b.Open()
			defer src.Close()
			out, err := s.Load(context.Background(), imagesvc.LoadRequest{Source: src})
			require.Error(t, err)
			assert.ErrorIs(t, err, b.Class, "%v", err)
			assert.Empty(t, out)
			assertNothingLoaded(t, s)
		})
	}
}

// assertNothingLoaded checks that s has no blob, no unfinished write and no image.
func assertNothingLoaded(t *testing.T, s *Store) {
	t.Helper()
	assert.Empty(t, blobsOnDisk(t, s), "no blob left behind")
	assert.Zero(t, ingests(t, s), "no unfinished write left behind")
	assert.Empty(t, listIDs(t, s, imagesvc.ListOptions{All: true}))
	checkCatalog(t, s, true)
}

// TestLoadStopsOnCancel loads an archive that never ends with a short deadline: the
// load returns the context's error promptly and leaves nothing.
func TestLoadStopsOnCancel(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := s.Load(ctx, imagesvc.LoadRequest{Source: testimages.EndlessArchive()})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second, "the load stops when its context ends")
	assert.Empty(t, out)
	assertNothingLoaded(t, s)
}

// TestLoadReportsRecordedNames loads an archive naming one image by a name that is not
// a reference and by a valid one: only the recorded name is reported, once.
func TestLoadReportsRecordedNames(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	img, err := testimages.OCIManifest(testimages.Config{Seed: 77})
	require.NoError(t, err)
	src := testimages.OCIArchive(img, "Not A Reference!", "foo:1")
	defer src.Close()
	out, err := s.Load(context.Background(), imagesvc.LoadRequest{Source: src})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.LoadedImage{{Name: "foo:1", ID: img.Descriptor.Digest}}, out)

	src2 := testimages.OCIArchive(img, "Not A Reference!")
	defer src2.Close()
	out, err = s.Load(context.Background(), imagesvc.LoadRequest{Source: src2})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.LoadedImage{{ID: img.Descriptor.Digest}}, out, "an unrecorded name is not reported")
}

// TestLoadKeepsReferrers loads the save of one platform of a multi-platform image (its
// manifest, then its attestation as a referrer): the attestation is the image's content,
// kept when the load's lease ends, and a save of the platform exports it again.
func TestLoadKeepsReferrers(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t)
	s := openTest(t, Options{HostsDir: r.hosts, Platform: amd64})
	img := multiPlatform(t, s, r, "multi/app:1")
	name := mustRef(t, r.Host()+"/multi/app:1")
	var att digest.Digest
	for _, m := range img.Manifests() {
		if m.Annotations["vnd.docker.reference.digest"] == img.Manifests()[0].Digest.String() {
			att = m.Digest
		}
	}
	require.NotEmpty(t, att, "the test image has an attestation for amd64")

	saveIndex := func() ([]byte, ocispec.Index) {
		t.Helper()
		var buf bytes.Buffer
		require.NoError(t, s.Save(ctx, imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{name}, Platforms: []ocispec.Platform{amd64}}, &buf))
		tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
		for {
			hdr, err := tr.Next()
			require.NoError(t, err, "index.json is in the archive")
			if hdr.Name == "index.json" {
				var idx ocispec.Index
				require.NoError(t, json.NewDecoder(tr).Decode(&idx))
				return buf.Bytes(), idx
			}
		}
	}
	archive, idx := saveIndex()
	require.Len(t, idx.Manifests, 2, "the platform's manifest and its attestation")
	require.Equal(t, att, idx.Manifests[1].Digest)

	_, err := s.Remove(ctx, name, imagesvc.RemoveOptions{Force: true})
	require.NoError(t, err)
	require.False(t, blobsOnDisk(t, s)[att], "the attestation went with the image")

	_, err = s.Load(ctx, imagesvc.LoadRequest{Source: bytes.NewReader(archive)})
	require.NoError(t, err)
	assert.True(t, blobsOnDisk(t, s)[att], "the loaded attestation stays once the load has ended")
	_, idx = saveIndex()
	require.Len(t, idx.Manifests, 2, "a save after the load exports the attestation again")
	assert.Equal(t, att, idx.Manifests[1].Digest)
	checkCatalog(t, s, true)
}
