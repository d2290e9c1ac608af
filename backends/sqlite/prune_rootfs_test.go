package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// diskState returns what the store holds on disk: the size of every blob ("blob:" and
// its digest) and the snapshotter's usage of every snapshot ("snapshot:" and its name).
func diskState(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	out := map[string]int64{}
	dir := filepath.Join(s.root, "content", "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		out["blob:"+e.Name()] = fi.Size()
	}
	var names []string
	require.NoError(t, s.walkSnapshots(ctx, func(info snapshots.Info) { names = append(names, info.Name) }))
	for _, n := range names {
		u, err := s.snaps.sn.Usage(ctx, n)
		require.NoError(t, err)
		out["snapshot:"+n] = u.Size
	}
	return out
}

// freedBetween returns the size of what before holds and after does not, and its keys.
func freedBetween(before, after map[string]int64) (uint64, []string) {
	var (
		n    uint64
		gone []string
	)
	for k, size := range before {
		if _, ok := after[k]; !ok {
			n += uint64(size)
			gone = append(gone, k)
		}
	}
	return n, gone
}

// TestPruneReclaimsOnlyWhatGoes: a view keeps the layer chain it was prepared on and every
// chain under it, also once its image was deleted with force (a view stands for a stopped
// container). A prune of another image with those chains frees its blobs but not the
// chains: its SpaceReclaimed is what left the disk, without them. Once the view is
// removed, a prune that frees the chains counts them, again what left the disk.
func TestPruneReclaimsOnlyWhatGoes(t *testing.T) {
	base := []testimages.File{{Name: "base", Data: []byte("the base layer, shared")}}
	top := []testimages.File{{Name: "top", Data: []byte("the view's image's own layer")}}
	for _, tc := range []struct {
		name string
		view [][]testimages.File // the layers of the image the view is prepared from
	}{
		{"the view's chain", [][]testimages.File{base}},
		{"a chain under the view", [][]testimages.File{base, top}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTest(t, Options{NoSpareViews: true})
			load := func(name string, layers [][]testimages.File, env string) {
				t.Helper()
				img, err := testimages.OCIManifest(testimages.Config{Layers: layers, Env: []string{env}})
				require.NoError(t, err)
				_, err = s.Load(ctx, imagesvc.LoadRequest{Source: testimages.OCIArchive(img, name)})
				require.NoError(t, err)
			}
			load("viewed:1", tc.view, "IMAGE=viewed")
			rimg, err := s.ResolveRuntimeImage(ctx, mustRef(t, "viewed:1"), nil)
			require.NoError(t, err)
			_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "ctr", Image: rimg})
			require.NoError(t, err)
			_, err = s.Remove(ctx, mustRef(t, "viewed:1"), imagesvc.RemoveOptions{})
			require.Error(t, err, "the view is a stopped container: a conflict unless forced")
			// Forced: the name goes, then the image by its ID.
			_, err = s.Remove(ctx, mustRef(t, "viewed:1"), imagesvc.RemoveOptions{Force: true})
			require.NoError(t, err)
			resp, err := s.Remove(ctx, mustRef(t, rimg.Target.Digest.String()), imagesvc.RemoveOptions{Force: true})
			require.NoError(t, err)
			require.Contains(t, resp, imagesvc.DeleteResponse{Deleted: rimg.Target.Digest})

			load("shares:1", [][]testimages.File{base}, "IMAGE=shares")
			all := imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("dangling", "false"))}
			before := diskState(t, s)
			report, err := s.Prune(ctx, all)
			require.NoError(t, err)
			require.Len(t, report.ImagesDeleted, 2, "shares:1 untagged and deleted")
			freed, gone := freedBetween(before, diskState(t, s))
			assert.Equal(t, freed, report.SpaceReclaimed, "what left the disk: %v", gone)
			assert.Contains(t, diskState(t, s), "snapshot:"+rimg.ChainIDs[0].String(), "the view keeps the base chain")

			// Without the view, the chains go with the last image that has them.
			require.NoError(t, s.RemoveRootFS(ctx, "ctr"))
			load("shares:1", [][]testimages.File{base}, "IMAGE=shares")
			before = diskState(t, s)
			require.Contains(t, before, "snapshot:"+rimg.ChainIDs[0].String())
			report, err = s.Prune(ctx, all)
			require.NoError(t, err)
			after := diskState(t, s)
			freed, gone = freedBetween(before, after)
			assert.NotContains(t, after, "snapshot:"+rimg.ChainIDs[0].String(), "the base chain is freed")
			assert.Equal(t, freed, report.SpaceReclaimed, "what left the disk: %v", gone)
			assert.Empty(t, after, "nothing is left")
			checkCatalog(t, s, true)
		})
	}
}

// TestPruneReclaimsListedSizeLazily: with Options.LazyUnpack an image never prepared has
// no snapshot; a prune of it alone still reclaims its listed size (the chain's size from
// the tar headers, as list counts it), and a prepared one what left the disk.
func TestPruneReclaimsListedSizeLazily(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{LazyUnpack: true, NoSpareViews: true})
	id := importAs(t, s, "", "never unpacked", "lazy")
	sums, err := s.List(ctx, imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	report, err := s.Prune(ctx, imagesvc.PruneOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: id.String()}, {Deleted: id}}, report.ImagesDeleted)
	assert.Equal(t, uint64(sums[0].Size), report.SpaceReclaimed)

	importAs(t, s, "prepared:1", "unpacked by a prepare", "lazy")
	rimg, err := s.ResolveRuntimeImage(ctx, mustRef(t, "prepared:1"), nil)
	require.NoError(t, err)
	_, err = s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "ctr", Image: rimg})
	require.NoError(t, err)
	require.NoError(t, s.RemoveRootFS(ctx, "ctr"))
	before := diskState(t, s)
	require.Contains(t, before, "snapshot:"+rimg.ChainIDs[0].String())
	report, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("dangling", "false"))})
	require.NoError(t, err)
	after := diskState(t, s)
	freed, gone := freedBetween(before, after)
	assert.Equal(t, freed, report.SpaceReclaimed, "what left the disk: %v", gone)
	assert.Empty(t, after)
}
