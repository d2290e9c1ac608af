package imagesvctest

import (
	"context"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// The DiskUsage group: the image part of GET /system/df (lifecycle spec §10.2). The images
// are the list's (no All, no filters) with SharedSize and the usage provider's container
// counts; TotalSize counts every blob and layer chain of every image once, dangling and
// hidden parents included. The exact figures hold for single-platform images, whose Size
// is the sum of their blobs and unpacked layers on every backend.

func diskUsager(t *testing.T, svc imagesvc.Service) imagesvc.DiskUsager {
	t.Helper()
	du, ok := imagesvc.As[imagesvc.DiskUsager](svc)
	if !ok {
		t.Skipf("%T does not implement imagesvc.DiskUsager", svc)
	}
	return du
}

func diskUsage(t *testing.T, du imagesvc.DiskUsager) imagesvc.DiskUsage {
	t.Helper()
	out, err := du.DiskUsage(context.Background())
	require.NoError(t, err)
	return out
}

func (s *suite) testDiskUsage(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		got := diskUsage(t, diskUsager(t, s.service(t)))
		assert.Empty(t, got.Images)
		assert.Zero(t, got.TotalSize)
	})

	t.Run("SharedCountedOnce", func(t *testing.T) {
		svc := s.service(t)
		du := diskUsager(t, svc)
		s.mustPull(t, svc, "library/single", "1.0")
		single := s.w.single.Descriptor.Digest
		s.usage.set(t, single, "c1", "c2")

		// One image: everything it has, once.
		got := diskUsage(t, du)
		require.Len(t, got.Images, 1)
		assert.Equal(t, single, got.Images[0].ID)
		assert.Equal(t, int64(2), got.Images[0].Containers, "containers come from the usage provider")
		assert.Zero(t, got.Images[0].SharedSize)
		assert.Positive(t, got.Images[0].Size)
		assert.Equal(t, got.Images[0].Size, got.TotalSize, "one single-platform image takes its Size")

		// Two images that share their base layer, packed and unpacked.
		s.mustPull(t, svc, "library/tags", "v1")
		s.mustPull(t, svc, "library/tags", "v2")
		v1, v2 := s.w.tags["v1"].Descriptor.Digest, s.w.tags["v2"].Descriptor.Digest
		got = diskUsage(t, du)
		listed := list(t, svc, imagesvc.ListOptions{SharedSize: true})
		assert.Equal(t, ids(listed), ids(got.Images), "the images of the list, in its order")
		for _, want := range listed {
			sum := find(got.Images, want.ID)
			require.NotNil(t, sum)
			assert.Equal(t, want.Size, sum.Size, "%s", want.ID)
			assert.Equal(t, want.SharedSize, sum.SharedSize, "SharedSize as the list computes it: %s", want.ID)
		}
		a, b, c := find(got.Images, v1), find(got.Images, v2), find(got.Images, single)
		require.NotNil(t, a)
		require.NotNil(t, b)
		require.NotNil(t, c)
		assert.Positive(t, a.SharedSize, "v1 shares its base layer with v2")
		assert.Equal(t, a.SharedSize, b.SharedSize, "two images share the same things")
		assert.Zero(t, c.SharedSize)
		assert.Equal(t, int64(2), c.Containers)
		assert.Zero(t, a.Containers)
		assert.Equal(t, a.Size+b.Size+c.Size-a.SharedSize, got.TotalSize,
			"what v1 and v2 share is counted once")
	})

	t.Run("Dangling", func(t *testing.T) {
		svc := s.service(t)
		du := diskUsager(t, svc)
		id := s.mustImport(t, svc, "", nil)
		got := diskUsage(t, du)
		require.Len(t, got.Images, 1, "a dangling image is listed")
		assert.Equal(t, id, got.Images[0].ID)
		assert.Empty(t, got.Images[0].RepoTags)
		assert.Equal(t, got.Images[0].Size, got.TotalSize, "and counted")
	})

	t.Run("HiddenParent", func(t *testing.T) {
		svc := s.service(t)
		du := diskUsager(t, svc)
		parent := s.mustImport(t, svc, "", nil)
		child := s.mustImport(t, svc, "chain:child", []string{"LABEL " + testimages.LabelParent + "=" + parent.String()})
		got := diskUsage(t, du)
		assert.Equal(t, []digest.Digest{child}, ids(got.Images), "a dangling parent is hidden, as in the list")

		all := list(t, svc, imagesvc.ListOptions{All: true, SharedSize: true})
		p, c := find(all, parent), find(all, child)
		require.NotNil(t, p)
		require.NotNil(t, c)
		require.Equal(t, p.SharedSize, c.SharedSize, "the two imports share their layer")
		assert.Equal(t, p.Size+c.Size-c.SharedSize, got.TotalSize, "the hidden parent is counted, its shared layer once")
		assert.Zero(t, got.Images[0].SharedSize, "SharedSize counts among the returned images only")
	})
}
