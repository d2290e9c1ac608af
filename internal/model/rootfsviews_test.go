package model

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

func TestAddViewUsage(t *testing.T) {
	m1, m2 := digest.FromString("m1"), digest.FromString("m2")
	usage := map[digest.Digest][]string{m1: {"c1"}}
	views := []imagesvc.RootFSView{{Key: "c1", Manifest: m1}, {Key: "v2", Manifest: m1}, {Key: "v3", Manifest: m2}}
	got := AddViewUsage(usage, views)
	assert.Equal(t, map[digest.Digest][]string{m1: {"c1", "v2"}, m2: {"v3"}}, got, "a view named like a reported container is counted once")
	assert.Equal(t, map[digest.Digest][]string{m1: {"c1"}}, usage, "the provider's answer is not modified")
	assert.Equal(t, map[digest.Digest][]string{m2: {"v3"}}, AddViewUsage(nil, views[2:]))
	assert.Nil(t, AddViewUsage(nil, nil))
}

// vanishing is a content store whose blobs are all reported present by Info but whose
// reads of gone fail with NotFound: a blob deleted between the two (a concurrent
// removal's garbage collection).
type vanishing struct {
	ContentStore
	gone digest.Digest
}

func (v vanishing) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if desc.Digest == v.gone {
		return nil, fmt.Errorf("content %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	return v.ContentStore.ReaderAt(ctx, desc)
}

// TestManifestGoneMidRead: a manifest deleted after it was found present is absent, not
// a manifest of an unknown kind (which a prepare would refuse as not runnable, 400).
func TestManifestGoneMidRead(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{Seed: 3})
	require.NoError(t, err)
	cs := testimages.NewContentStore(t)
	ctx := context.Background()
	for _, d := range img.Digests() {
		b, _ := img.Blob(d)
		require.NoError(t, content.WriteBlob(ctx, cs, d.String(), bytes.NewReader(b.Data), b.Descriptor))
	}
	ms, err := ReadManifests(ctx, vanishing{ContentStore: cs, gone: img.Descriptor.Digest}, img.Descriptor, ReadOptions{})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, imagesvc.KindImage, ms[0].Kind)
	assert.False(t, ms[0].Available)
}
