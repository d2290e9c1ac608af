package containerd

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// TestBehindItsBack changes the image store with containerd's own tool, ctr, while a
// Store with a warm cache watches, and checks that every List reflects each change at
// once: images pulled, tagged, imported and removed; content and snapshots removed;
// containers created and removed.
func TestBehindItsBack(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			testBehindItsBack(t, v)
		})
	}
}

func testBehindItsBack(t *testing.T, v string) {
	reg := testregistry.New(t, testregistry.Options{})
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	img, err := testimages.OCIManifest(testimages.Config{
		Platform: amd64, Labels: map[string]string{"com.example.behind": "yes"},
		Created: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		Layers: [][]testimages.File{
			{{Name: "etc/os-release", Data: []byte("behind\n")}},
			{{Name: "bin/tool", Data: bytes.Repeat([]byte("t"), 8192), Mode: 0o755}},
		},
	})
	require.NoError(t, err)
	require.NoError(t, reg.Put("library/alpha", "1", img))
	require.NoError(t, reg.Put("library/alpha", "2", img))
	id := img.Descriptor.Digest
	src := reg.Host() + "/library/alpha:1"

	s, d := open(t, v, Options{Platform: amd64})
	ns := s.Namespace()
	ctx := context.Background()
	ls := func() []imagesvc.Summary {
		t.Helper()
		out, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
		require.NoError(t, err)
		return out
	}
	require.Empty(t, ls())

	// Pulled by ctr: listed with its name, its content and its unpacked size.
	d.Ctr(t, ns, "images", "pull", "--plain-http", "--snapshotter", d.Snapshotter(), src)
	sums := ls()
	require.Len(t, sums, 1)
	sum := sums[0]
	assert.Equal(t, id, sum.ID)
	assert.Equal(t, []string{src}, sum.RepoTags)
	assert.Equal(t, []string{reg.Host() + "/library/alpha@" + id.String()}, sum.RepoDigests)
	assert.Equal(t, map[string]string{"com.example.behind": "yes"}, sum.Labels)
	require.Len(t, sum.Manifests, 1)
	m := sum.Manifests[0]
	assert.True(t, m.Available)
	assert.Equal(t, img.Size(), m.Size.Content, "content: manifest, config and layers")
	assert.Positive(t, m.ImageData.Unpacked, "ctr unpacked it")
	assert.Equal(t, m.Size.Content+m.ImageData.Unpacked, sum.Size)
	assert.Zero(t, sum.Containers)
	inspected, err := s.Inspect(ctx, mustRef(t, src), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, inspected.ID)
	require.NotNil(t, inspected.Identity, "ctr records the distribution source")
	assert.Equal(t, reg.Host()+"/library/alpha", inspected.Identity.Pull[0].Repository)

	// Tagged.
	d.Ctr(t, ns, "images", "tag", src, reg.Host()+"/library/alpha:2")
	sums = ls()
	require.Len(t, sums, 1)
	assert.ElementsMatch(t, []string{src, reg.Host() + "/library/alpha:2"}, sums[0].RepoTags)

	// A name removed.
	d.Ctr(t, ns, "images", "rm", src)
	sums = ls()
	require.Len(t, sums, 1)
	assert.Equal(t, []string{reg.Host() + "/library/alpha:2"}, sums[0].RepoTags)

	// A container created from it, then removed (no usage provider: containerd's records).
	d.Ctr(t, ns, "containers", "create", "--snapshotter", d.Snapshotter(), reg.Host()+"/library/alpha:2", "c1")
	sums = ls()
	require.Len(t, sums, 1)
	assert.Equal(t, int64(1), sums[0].Containers)
	assert.Equal(t, []string{"c1"}, sums[0].Manifests[0].ImageData.Containers)
	d.Ctr(t, ns, "containers", "rm", "c1")
	sums = ls()
	assert.Zero(t, sums[0].Containers)
	assert.Nil(t, sums[0].Manifests[0].ImageData.Containers)

	// The top layer snapshot removed: not unpacked any more.
	_, cfg, err := img.Manifest(id)
	require.NoError(t, err)
	chain := identity.ChainIDs(cfg.RootFS.DiffIDs)
	d.Ctr(t, ns, "snapshots", "--snapshotter", d.Snapshotter(), "rm", chain[len(chain)-1].String())
	sums = ls()
	assert.Zero(t, sums[0].Manifests[0].ImageData.Unpacked, "the top snapshot is gone")

	// A layer removed from the content store: not available any more.
	man, _, err := img.Manifest(id)
	require.NoError(t, err)
	d.Ctr(t, ns, "content", "rm", man.Layers[1].Digest.String())
	sums = ls()
	assert.False(t, sums[0].Manifests[0].Available, "a layer is missing")
	assert.Equal(t, img.Size()-man.Layers[1].Size, sums[0].Manifests[0].Size.Content)

	// Pulled again: complete again.
	d.Ctr(t, ns, "images", "pull", "--plain-http", "--snapshotter", d.Snapshotter(), reg.Host()+"/library/alpha:2")
	sums = ls()
	require.Len(t, sums, 1)
	assert.True(t, sums[0].Manifests[0].Available)
	assert.Positive(t, sums[0].Manifests[0].ImageData.Unpacked)

	// Imported by ctr from an OCI archive.
	other, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Seed: 7, Labels: map[string]string{"com.example.imported": "ctr"}})
	require.NoError(t, err)
	archive := filepath.Join(t.TempDir(), "image.tar")
	require.NoError(t, os.WriteFile(archive, ociArchive(t, other, "docker.io/library/imported:ctr"), 0o644))
	d.Ctr(t, ns, "images", "import", "--snapshotter", d.Snapshotter(), archive)
	sums = ls()
	require.Len(t, sums, 2)
	imp := findSummary(sums, other.Descriptor.Digest)
	require.NotNil(t, imp)
	assert.Equal(t, []string{"imported:ctr"}, imp.RepoTags)
	assert.Equal(t, map[string]string{"com.example.imported": "ctr"}, imp.Labels)
	assert.True(t, imp.Manifests[0].Available)

	// Docker's own records: a parent label on the record, and an image kept without a name
	// as "moby-dangling@<digest>".
	d.Ctr(t, ns, "images", "label", "docker.io/library/imported:ctr", "org.mobyproject.image.parent="+id.String())
	imp = findSummary(ls(), other.Descriptor.Digest)
	require.NotNil(t, imp)
	assert.Equal(t, id, imp.ParentID)
	d.Ctr(t, ns, "images", "tag", "docker.io/library/imported:ctr", "moby-dangling@"+other.Descriptor.Digest.String())
	d.Ctr(t, ns, "images", "rm", "docker.io/library/imported:ctr")
	imp = findSummary(ls(), other.Descriptor.Digest)
	require.NotNil(t, imp, "a dangling image is listed")
	assert.Empty(t, imp.RepoTags)
	assert.Empty(t, imp.RepoDigests)
	var dangling filters.Args
	dangling.Add("dangling", "true")
	only, err := s.List(ctx, imagesvc.ListOptions{Filters: dangling})
	require.NoError(t, err)
	require.Len(t, only, 1)
	assert.Equal(t, other.Descriptor.Digest, only[0].ID)
	d.Ctr(t, ns, "images", "rm", "moby-dangling@"+other.Descriptor.Digest.String())

	// Everything removed.
	d.Ctr(t, ns, "images", "rm", reg.Host()+"/library/alpha:2")
	assert.Empty(t, ls())
	_, err = s.Inspect(ctx, mustRef(t, id.String()), imagesvc.InspectOptions{})
	assert.Error(t, err)
}

func mustRef(t *testing.T, s string) imagesvc.ImageRef {
	t.Helper()
	r, err := imagesvc.ParseImageRef(s)
	require.NoError(t, err)
	return r
}

func findSummary(sums []imagesvc.Summary, id digest.Digest) *imagesvc.Summary {
	for i := range sums {
		if sums[i].ID == id {
			return &sums[i]
		}
	}
	return nil
}

// ociArchive returns img as an OCI image layout tarball whose index names it name, as
// ctr images import reads it.
func ociArchive(t *testing.T, img *testimages.Image, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(path string, data []byte) {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: path, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(data)
		require.NoError(t, err)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	desc := img.Descriptor
	tag := name[strings.LastIndex(name, ":")+1:]
	desc.Annotations = map[string]string{
		"io.containerd.image.name":          name,
		"org.opencontainers.image.ref.name": tag,
	}
	idx, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{desc}})
	require.NoError(t, err)
	add("index.json", idx)
	for _, d := range img.Digests() {
		add("blobs/sha256/"+d.Encoded(), img.Blobs[d].Data)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}
