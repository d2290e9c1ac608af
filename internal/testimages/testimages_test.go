package testimages

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	amd64 = Config{Labels: map[string]string{"a": "b"}}
	arm64 = Config{Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, Labels: map[string]string{"a": "b"}}
)

// checkImage verifies that every blob is consistent with its descriptor and that every
// descriptor reachable from the top is present, returning the blobs reached.
func checkImage(t *testing.T, img *Image) map[digest.Digest]bool {
	t.Helper()
	for d, b := range img.Blobs {
		require.Equal(t, d, b.Descriptor.Digest)
		require.Equal(t, d, digest.FromBytes(b.Data), "blob %s", d)
		require.Equal(t, int64(len(b.Data)), b.Descriptor.Size)
		require.NotEmpty(t, b.Descriptor.MediaType)
	}
	seen := map[digest.Digest]bool{}
	handler := images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		b, ok := img.Blob(desc.Digest)
		require.True(t, ok, "missing %s", desc.Digest)
		require.Equal(t, desc.Size, b.Descriptor.Size)
		require.Equal(t, desc.MediaType, b.Descriptor.MediaType)
		seen[desc.Digest] = true
		return images.Children(ctx, img.Provider(), desc)
	})
	require.NoError(t, images.Walk(context.Background(), handler, img.Descriptor))
	require.Len(t, seen, len(img.Blobs), "unreachable blobs")
	return seen
}

func TestDeterministic(t *testing.T) {
	builders := map[string]func() (*Image, error){
		"schema2": func() (*Image, error) { return DockerSchema2(amd64) },
		"oci":     func() (*Image, error) { return OCIManifest(amd64) },
		"index":   func() (*Image, error) { return OCIIndex([]Config{amd64, arm64}, true) },
		"list":    func() (*Image, error) { return DockerManifestList([]Config{amd64, arm64}) },
		"files": func() (*Image, error) {
			return OCIManifest(Config{Layers: [][]File{{{Name: "etc/"}, {Name: "etc/x", Data: []byte("x")}}, {{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "etc/x"}}}})
		},
		"random": func() (*Image, error) { return DockerSchema2(Config{LayerSizes: []int64{1 << 16, 1000}}) },
	}
	for name, build := range builders {
		t.Run(name, func(t *testing.T) {
			a, err := build()
			require.NoError(t, err)
			b, err := build()
			require.NoError(t, err)
			require.Equal(t, a.Descriptor, b.Descriptor)
			require.Equal(t, a.Digests(), b.Digests())
			checkImage(t, a)
		})
	}
}

func TestDistinct(t *testing.T) {
	configs := []Config{
		{},
		{Seed: 1},
		{Labels: map[string]string{"x": "y"}},
		{Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Platform: ocispec.Platform{OS: "linux", Architecture: "arm64"}},
		{ParentLabel: digest.FromString("parent")},
	}
	layers := map[digest.Digest]int{}
	for i, c := range configs {
		img, err := OCIManifest(c)
		require.NoError(t, err)
		m, _, err := img.Manifest(img.Descriptor.Digest)
		require.NoError(t, err)
		require.Len(t, m.Layers, 1)
		prev, dup := layers[m.Layers[0].Digest]
		require.False(t, dup, "configs %d and %d share a layer", prev, i)
		layers[m.Layers[0].Digest] = i
	}
	// Random layers differ by seed.
	a, err := OCIManifest(Config{LayerSizes: []int64{100}})
	require.NoError(t, err)
	b, err := OCIManifest(Config{LayerSizes: []int64{100}, Seed: 2})
	require.NoError(t, err)
	require.NotEqual(t, a.Descriptor.Digest, b.Descriptor.Digest)
}

func TestSchema2(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	img, err := DockerSchema2(Config{
		Created:     created,
		Labels:      map[string]string{"l": "v"},
		Env:         []string{"A=1"},
		Cmd:         []string{"sh"},
		Entrypoint:  []string{"/bin/entry"},
		WorkingDir:  "/w",
		User:        "nobody",
		ParentLabel: digest.FromString("p"),
	})
	require.NoError(t, err)
	require.Equal(t, images.MediaTypeDockerSchema2Manifest, img.Descriptor.MediaType)
	require.Equal(t, []ocispec.Descriptor{img.Descriptor}, img.Manifests())
	m, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	require.Equal(t, images.MediaTypeDockerSchema2Manifest, m.MediaType)
	require.Equal(t, 2, m.SchemaVersion)
	require.Equal(t, images.MediaTypeDockerSchema2Config, m.Config.MediaType)
	require.Len(t, m.Layers, 1)
	require.Equal(t, images.MediaTypeDockerSchema2LayerGzip, m.Layers[0].MediaType)
	require.Equal(t, "linux", cfg.OS)
	require.Equal(t, "amd64", cfg.Architecture)
	require.Equal(t, created, *cfg.Created)
	require.Equal(t, map[string]string{"l": "v", LabelParent: digest.FromString("p").String()}, cfg.Config.Labels)
	require.Equal(t, []string{"A=1"}, cfg.Config.Env)
	require.Equal(t, []string{"sh"}, cfg.Config.Cmd)
	require.Equal(t, []string{"/bin/entry"}, cfg.Config.Entrypoint)
	require.Equal(t, "/w", cfg.Config.WorkingDir)
	require.Equal(t, "nobody", cfg.Config.User)
	require.Len(t, cfg.History, 1)
	checkImage(t, img)
}

func TestDiffIDs(t *testing.T) {
	files := [][]File{
		{{Name: "a", Data: []byte("hello")}},
		{{Name: "dir/"}, {Name: "dir/b", Data: bytes.Repeat([]byte("b"), 10000), Mode: 0o755}},
		{},
	}
	for _, c := range []Config{{Layers: files}, {LayerSizes: []int64{0, 1, 300000}}} {
		img, err := OCIManifest(c)
		require.NoError(t, err)
		m, cfg, err := img.Manifest(img.Descriptor.Digest)
		require.NoError(t, err)
		require.Len(t, cfg.RootFS.DiffIDs, len(m.Layers))
		require.Len(t, cfg.History, len(m.Layers))
		for i, l := range m.Layers {
			require.Equal(t, ocispec.MediaTypeImageLayerGzip, l.MediaType)
			b, _ := img.Blob(l.Digest)
			zr, err := gzip.NewReader(bytes.NewReader(b.Data))
			require.NoError(t, err)
			raw, err := io.ReadAll(zr)
			require.NoError(t, err)
			require.Equal(t, cfg.RootFS.DiffIDs[i], digest.FromBytes(raw), "layer %d", i)
			if c.Layers != nil {
				require.Equal(t, Tar(files[i]), raw)
				continue
			}
			// One file of exactly the requested size, incompressible.
			tr := tar.NewReader(bytes.NewReader(raw))
			hdr, err := tr.Next()
			require.NoError(t, err)
			require.Equal(t, c.LayerSizes[i], hdr.Size)
			require.GreaterOrEqual(t, l.Size, c.LayerSizes[i])
			_, err = tr.Next()
			require.ErrorIs(t, err, io.EOF)
		}
	}
}

func TestNoLayers(t *testing.T) {
	img, err := OCIManifest(Config{NoLayers: true})
	require.NoError(t, err)
	m, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	require.Empty(t, m.Layers)
	require.NotNil(t, cfg.RootFS.DiffIDs)
	raw := img.Blobs[img.Descriptor.Digest].Data
	require.Contains(t, string(raw), `"layers":[]`)
	checkImage(t, img)
}

func TestOCIIndex(t *testing.T) {
	img, err := OCIIndex([]Config{amd64, arm64}, true)
	require.NoError(t, err)
	require.Equal(t, ocispec.MediaTypeImageIndex, img.Descriptor.MediaType)
	checkImage(t, img)

	ms := img.Manifests()
	require.Len(t, ms, 4)
	require.Equal(t, &ocispec.Platform{OS: "linux", Architecture: "amd64"}, ms[0].Platform)
	require.Equal(t, &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, ms[1].Platform)
	for i, want := range []string{"amd64", "arm64"} {
		require.Equal(t, ocispec.MediaTypeImageManifest, ms[i].MediaType)
		require.Empty(t, ms[i].Annotations)
		_, cfg, err := img.Manifest(ms[i].Digest)
		require.NoError(t, err)
		require.Equal(t, want, cfg.Architecture)

		att := ms[i+2]
		require.Equal(t, &ocispec.Platform{OS: "unknown", Architecture: "unknown"}, att.Platform)
		require.Equal(t, map[string]string{
			AnnotationReferenceType:   AttestationManifestType,
			AnnotationReferenceDigest: ms[i].Digest.String(),
		}, att.Annotations)
		m, cfg, err := img.Manifest(att.Digest)
		require.NoError(t, err)
		require.Equal(t, "unknown", cfg.OS)
		require.Len(t, m.Layers, 1)
		require.Equal(t, images.MediaTypeInToto, m.Layers[0].MediaType)
		b, _ := img.Blob(m.Layers[0].Digest)
		var stmt struct {
			Subject []struct {
				Digest map[string]string `json:"digest"`
			} `json:"subject"`
		}
		require.NoError(t, json.Unmarshal(b.Data, &stmt))
		require.Equal(t, ms[i].Digest.Encoded(), stmt.Subject[0].Digest["sha256"])
	}

	noAttest, err := OCIIndex([]Config{amd64, arm64}, false)
	require.NoError(t, err)
	require.Len(t, noAttest.Manifests(), 2)
	require.Equal(t, ms[:2], noAttest.Manifests())

	_, err = OCIIndex(nil, false)
	require.ErrorIs(t, err, errdefs.ErrInvalidArgument)
}

func TestDockerManifestList(t *testing.T) {
	img, err := DockerManifestList([]Config{amd64, arm64})
	require.NoError(t, err)
	require.Equal(t, images.MediaTypeDockerSchema2ManifestList, img.Descriptor.MediaType)
	checkImage(t, img)
	ms := img.Manifests()
	require.Len(t, ms, 2)
	for _, m := range ms {
		require.Equal(t, images.MediaTypeDockerSchema2Manifest, m.MediaType)
		require.NotNil(t, m.Platform)
	}
	// The amd64 manifest is the same as a standalone schema 2 image.
	single, err := DockerSchema2(amd64)
	require.NoError(t, err)
	require.Equal(t, single.Descriptor.Digest, ms[0].Digest)
}

func TestProviderAndWithout(t *testing.T) {
	img, err := DockerSchema2(Config{})
	require.NoError(t, err)
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)

	data, err := content.ReadBlob(context.Background(), img.Provider(), m.Layers[0])
	require.NoError(t, err)
	require.Equal(t, img.Blobs[m.Layers[0].Digest].Data, data)

	partial := img.Without(m.Layers[0].Digest)
	require.Len(t, partial.Blobs, len(img.Blobs)-1)
	require.Len(t, img.Blobs, 3, "Without must not modify the original")
	_, err = content.ReadBlob(context.Background(), partial.Provider(), m.Layers[0])
	require.ErrorIs(t, err, errdefs.ErrNotFound)
	assert.Equal(t, img.Descriptor, partial.Descriptor)
	assert.Equal(t, img.Size(), partial.Size()+m.Layers[0].Size)
}

func TestLargeImage(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 25 << 20 // 8 layers x 25 MiB = 200 MiB
	sizes := make([]int64, 8)
	for i := range sizes {
		sizes[i] = n
	}
	start := time.Now()
	img, err := DockerSchema2(Config{LayerSizes: sizes})
	require.NoError(t, err)
	t.Logf("built %d bytes in %v", img.Size(), time.Since(start))
	require.Greater(t, img.Size(), int64(8*n))
	require.Less(t, img.Size(), int64(8*n+8*n/100))
}
