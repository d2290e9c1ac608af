package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/testimages"
)

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// TestListCacheAfterRowidReuse deletes an image and records another that takes its rowid:
// lists and inspects answer for the new image, not from the entries cached for the old.
func TestListCacheAfterRowidReuse(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{Now: newClock().Now})
	first := importAs(t, s, "first:1", "the first image", "first")
	sums, err := s.List(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	img, err := s.Inspect(ctx, mustRef(t, "first:1"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	require.Equal(t, "first", img.Comment)
	var rowFirst int64
	require.NoError(t, s.rdb.QueryRow("SELECT rowid FROM images WHERE id = ?", first.String()).Scan(&rowFirst))

	s.cache.mu.RLock()
	stale := s.cache.m[rowFirst]
	s.cache.mu.RUnlock()
	require.NotNil(t, stale)

	_, err = s.Remove(ctx, mustRef(t, "first:1"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	// A list that read the catalog before the delete can put the entry back after Remove
	// evicted it: the revision alone must keep it from being served.
	s.cache.mu.Lock()
	s.cache.m[rowFirst] = stale
	s.cache.mu.Unlock()
	s.detailsCache.put(rowFirst, stale.rev, &details{Manifests: []*model.Config{{Comment: "stale"}}})
	second := importAs(t, s, "second:1", "the second image", "second")
	var rowSecond int64
	require.NoError(t, s.rdb.QueryRow("SELECT rowid FROM images WHERE id = ?", second.String()).Scan(&rowSecond))
	require.Equal(t, rowFirst, rowSecond, "the new image reuses the rowid of the deleted one")

	sums, err = s.List(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	assert.Equal(t, second, sums[0].ID)
	assert.Equal(t, []string{"second:1"}, sums[0].RepoTags)
	for _, ref := range []string{"second:1", second.String(), second.Encoded()[:12]} {
		img, err = s.Inspect(ctx, mustRef(t, ref), imagesvc.InspectOptions{})
		require.NoError(t, err)
		assert.Equal(t, second, img.ID)
		assert.Equal(t, "second", img.Comment, "the payload is the new image's")
		assert.Equal(t, []string{"second:1"}, img.RepoTags)
	}
	_, err = s.Inspect(ctx, mustRef(t, first.String()), imagesvc.InspectOptions{})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	checkCatalog(t, s, true)
}

func TestRemoveUntagsThenDeletes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{Now: newClock().Now, Platform: amd64})
	id := importAs(t, s, "foo:1", "shared layer", "foo")
	other := importAs(t, s, "other:1", "shared layer", "other")
	require.NoError(t, s.Tag(ctx, mustRef(t, "foo:1"), tagRef(t, "bar", "")))
	blobs, otherBlobs := blobsOf(t, s, id), blobsOf(t, s, other)
	shared := slices.DeleteFunc(slices.Clone(blobs), func(d digest.Digest) bool { return !slices.Contains(otherBlobs, d) })
	require.Len(t, shared, 1, "the two images share their layer")

	resp, err := s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "foo:1"}}, resp, "another name is left: untag only")
	for _, d := range blobs {
		assert.True(t, blobsOnDisk(t, s)[d], "an untag deletes no blob")
	}

	resp, err = s.Remove(ctx, mustRef(t, id.Encoded()[:12]), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "bar:latest"}, {Deleted: id}}, resp)
	disk := blobsOnDisk(t, s)
	for _, d := range blobs {
		assert.Equal(t, d == shared[0], disk[d], "blob %s: only the blob another image uses stays", d)
	}
	for _, d := range otherBlobs {
		assert.True(t, disk[d], "the other image keeps its blobs")
	}
	_, err = s.Inspect(ctx, mustRef(t, id.String()), imagesvc.InspectOptions{})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.Equal(t, []digest.Digest{other}, listIDs(t, s, imagesvc.ListOptions{}))
	checkCatalog(t, s, true)

	_, err = s.Remove(ctx, mustRef(t, "nope"), imagesvc.RemoveOptions{})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.EqualError(t, err, "No such image: nope:latest")
}

func TestRemoveConflicts(t *testing.T) {
	ctx := context.Background()
	usage := &imagesvctest.UsageTable{}
	s := openTest(t, Options{Now: newClock().Now, Usage: usage})
	id := importAs(t, s, "foo:1", "conflicts", "m")
	blobs := blobsOf(t, s, id)
	require.NoError(t, s.Tag(ctx, mustRef(t, "foo:1"), tagRef(t, "bar", "1")))
	short := id.Encoded()[:12]

	_, err := s.Remove(ctx, mustRef(t, short), imagesvc.RemoveOptions{})
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.EqualError(t, err, "conflict: unable to delete "+short+" (must be forced) - image is referenced in multiple repositories")
	resp, err := s.Remove(ctx, mustRef(t, "bar:1"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "bar:1"}}, resp)

	ctr := strings.Repeat("3f1c2b0a9d8e", 5) + "abcd"
	usage.SetContainer(imagesvc.Container{ID: ctr, ImageID: id, Image: "foo:1"})
	_, err = s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{})
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.EqualError(t, err, "conflict: unable to delete foo:1 (must be forced) - container 3f1c2b0a9d8e is using its referenced image "+short)
	resp, err = s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{Force: true})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "foo:1"}}, resp, "forced: the name goes, the image stays")
	assert.Equal(t, []digest.Digest{id}, listIDs(t, s, imagesvc.ListOptions{Filters: filters.NewArgs(filters.Arg("dangling", "true"))}))
	for _, d := range blobs {
		assert.True(t, blobsOnDisk(t, s)[d])
	}

	usage.SetContainer(imagesvc.Container{ID: ctr, ImageID: id, Running: true})
	_, err = s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{Force: true})
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.EqualError(t, err, "conflict: unable to delete "+short+" (cannot be forced) - image is being used by running container 3f1c2b0a9d8e")

	usage.RemoveContainer(ctr)
	resp, err = s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: id}}, resp, "a dangling image: no Untagged")
	assert.Empty(t, blobsOnDisk(t, s))
	checkCatalog(t, s, true)
}

// multiPlatform serves an index of linux/amd64 and linux/arm64/v8 with attestations and
// history entries (one empty layer each side of the layer), and pulls both platforms.
func multiPlatform(t *testing.T, s *Store, r *testRegistry, repoTag string) *testimages.Image {
	t.Helper()
	created := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	history := []ocispec.History{
		{Created: &created, CreatedBy: "FROM scratch", EmptyLayer: true},
		{Created: &created, CreatedBy: "COPY data /", Comment: "the layer"},
		{Created: &created, CreatedBy: `CMD ["/data"]`, EmptyLayer: true},
	}
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	img, err := testimages.OCIIndex([]testimages.Config{
		{Platform: amd64, Seed: 9, History: history, LayerSizes: []int64{3000}},
		{Platform: arm, Seed: 9, History: history, LayerSizes: []int64{5000}},
	}, true)
	require.NoError(t, err)
	repo, tag, _ := strings.Cut(repoTag, ":")
	require.NoError(t, r.Put(repo, tag, img))
	r.pull(t, s, repoTag, &amd64)
	r.pull(t, s, repoTag, &arm)
	return img
}

func TestRemovePlatform(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t)
	s := openTest(t, Options{HostsDir: r.hosts, Platform: amd64, Now: newClock().Now})
	img := multiPlatform(t, s, r, "multi/app:1")
	id := img.Descriptor.Digest
	name := r.Host() + "/multi/app:1"
	amdManifest := img.Manifests()[0]
	amdMf, _, err := img.Manifest(amdManifest.Digest)
	require.NoError(t, err)
	amdBlobs := []digest.Digest{amdManifest.Digest, amdMf.Config.Digest, amdMf.Layers[0].Digest}
	// The index, and the manifest, config and layer of each platform and of its
	// attestation, which comes with it.
	const pulled = 13
	require.Len(t, blobsOnDisk(t, s), pulled, "both platforms are pulled")

	_, err = s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{Platforms: []ocispec.Platform{amd64}})
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	_, err = s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{{OS: "linux", Architecture: "s390x"}}})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.EqualError(t, err, "failed to delete platform linux/s390x for image "+id.String()+": image with reference "+name+" was found but does not provide any platform")

	resp, err := s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{amd64}})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: amdManifest.Digest}}, resp)
	disk := blobsOnDisk(t, s)
	for _, d := range amdBlobs {
		assert.False(t, disk[d], "the platform's blob %s is deleted", d)
	}
	assert.Len(t, disk, pulled-len(amdBlobs))

	sums, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
	require.NoError(t, err)
	require.Len(t, sums, 1, "the image stays listed")
	avail := map[string]bool{}
	for _, m := range sums[0].Manifests {
		if m.Kind == imagesvc.KindImage {
			avail[m.ImageData.Platform.Architecture] = m.Available
		}
	}
	assert.Equal(t, map[string]bool{"amd64": false, "arm64": true}, avail)
	inspected, err := s.Inspect(ctx, mustRef(t, name), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, "arm64", inspected.Architecture, "the platform left is the best one")
	checkCatalog(t, s, true)

	// The last platform: the image stays, with nothing available.
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	_, err = s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{arm}})
	require.NoError(t, err)
	inspected, err = s.Inspect(ctx, mustRef(t, name), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Empty(t, inspected.Architecture)
	assert.Empty(t, inspected.RootFS.Layers)
	err = s.Tag(ctx, mustRef(t, name), tagRef(t, "copy", "1"))
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.EqualError(t, err, "image with reference "+name+" was found but does not provide any platform")

	resp, err = s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: name}, {Deleted: id}}, resp)
	assert.Empty(t, blobsOnDisk(t, s), "the index goes with the image")
	checkCatalog(t, s, true)
}

func TestRemoveDanglingParents(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t)
	s := openTest(t, Options{HostsDir: r.hosts, Platform: amd64})
	parent, err := testimages.OCIManifest(testimages.Config{Seed: 31})
	require.NoError(t, err)
	child, err := testimages.OCIManifest(testimages.Config{Seed: 32, ParentLabel: parent.Descriptor.Digest})
	require.NoError(t, err)
	require.NoError(t, r.Put("chain/parent", "1", parent))
	require.NoError(t, r.Put("chain/child", "1", child))
	r.pull(t, s, "chain/parent:1", nil)
	r.pull(t, s, "chain/child:1", nil)

	// The parent's last name goes, but it has a child: it stays, dangling (Docker still
	// reports it Deleted).
	resp, err := s.Remove(ctx, mustRef(t, r.Host()+"/chain/parent:1"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: r.Host() + "/chain/parent:1"}, {Deleted: parent.Descriptor.Digest}}, resp)
	assert.Equal(t, sortedIDs(parent.Descriptor.Digest, child.Descriptor.Digest), listIDs(t, s, imagesvc.ListOptions{}))

	resp, err = s.Remove(ctx, mustRef(t, r.Host()+"/chain/child:1"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{
		{Untagged: r.Host() + "/chain/child:1"}, {Deleted: child.Descriptor.Digest}, {Deleted: parent.Descriptor.Digest},
	}, resp, "the dangling parent goes with its child")
	assert.Empty(t, blobsOnDisk(t, s))
	checkCatalog(t, s, true)
}

func TestTag(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{Now: newClock().Now})
	a := importAs(t, s, "a:1", "image a", "a")
	b := importAs(t, s, "b:1", "image b", "b")

	require.NoError(t, s.Tag(ctx, mustRef(t, "a:1"), tagRef(t, "b", "1")), "b:1 moves to a")
	dangling := imagesvc.ListOptions{Filters: filters.NewArgs(filters.Arg("dangling", "true"))}
	assert.Equal(t, []digest.Digest{b}, listIDs(t, s, dangling), "b lost its last name")
	img, err := s.Inspect(ctx, mustRef(t, "b:1"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, a, img.ID)
	assert.Equal(t, []string{"a:1", "b:1"}, img.RepoTags)

	gen := s.gen.Load()
	require.NoError(t, s.Tag(ctx, mustRef(t, a.String()), tagRef(t, "b", "1")))
	assert.Equal(t, gen, s.gen.Load(), "a name that already points at the image changes nothing")

	require.NoError(t, s.Tag(ctx, mustRef(t, b.Encoded()[:12]), tagRef(t, "localhost:5000/team/b", "v2")))
	assert.Empty(t, listIDs(t, s, dangling), "tagging a dangling image un-dangles it")
	img, err = s.Inspect(ctx, mustRef(t, b.String()), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"localhost:5000/team/b:v2"}, img.RepoTags)

	err = s.Tag(ctx, mustRef(t, "nope"), tagRef(t, "x", "1"))
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.EqualError(t, err, "No such image: nope:latest")
	err = s.Tag(ctx, mustRef(t, "sha256:"+strings.Repeat("0", 64)), tagRef(t, "x", "1"))
	assert.True(t, errdefs.IsNotFound(err), "%v", err)

	withDigest, err := reference.ParseNormalizedNamed("x:1@" + a.String())
	require.NoError(t, err)
	err = s.Tag(ctx, mustRef(t, "a:1"), withDigest.(reference.NamedTagged))
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.EqualError(t, err, "cannot import digest reference")
	algo, err := reference.ParseNormalizedNamed("sha256:1")
	require.NoError(t, err)
	err = s.Tag(ctx, mustRef(t, "a:1"), algo.(reference.NamedTagged))
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	checkCatalog(t, s, true)
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{Now: newClock().Now, Platform: amd64})
	d1 := importAs(t, s, "", "dangling one", "m")
	d2 := importAs(t, s, "", "dangling two", "m")
	kept := importAs(t, s, "keep:1", "tagged", "m")
	size := map[digest.Digest]int64{}
	sums, err := s.List(ctx, imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	for _, sum := range sums {
		size[sum.ID] = sum.Size
	}
	dangling := map[digest.Digest][]digest.Digest{d1: blobsOf(t, s, d1), d2: blobsOf(t, s, d2)}
	keptBlobs := blobsOf(t, s, kept)

	report, err := s.Prune(ctx, imagesvc.PruneOptions{})
	require.NoError(t, err)
	first, second := d1, d2
	if model.DanglingName(d2) < model.DanglingName(d1) {
		first, second = d2, d1
	}
	assert.Equal(t, []imagesvc.DeleteResponse{
		{Untagged: first.String()}, {Deleted: first}, {Untagged: second.String()}, {Deleted: second},
	}, report.ImagesDeleted)
	assert.Equal(t, uint64(size[d1]+size[d2]), report.SpaceReclaimed, "a pruned image alone reclaims its listed size")
	disk := blobsOnDisk(t, s)
	for _, bs := range dangling {
		for _, d := range bs {
			assert.False(t, disk[d], "the blobs of the pruned images are gone")
		}
	}
	for _, d := range keptBlobs {
		assert.True(t, disk[d])
	}
	assert.Equal(t, []digest.Digest{kept}, listIDs(t, s, imagesvc.ListOptions{}))

	report, err = s.Prune(ctx, imagesvc.PruneOptions{})
	require.NoError(t, err)
	assert.Nil(t, report.ImagesDeleted, "nothing to prune")
	assert.Zero(t, report.SpaceReclaimed)
	checkCatalog(t, s, true)
}

func TestPruneSharedContent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{Now: newClock().Now})
	tagged := importAs(t, s, "t:1", "the same layer", "tagged")
	d := importAs(t, s, "", "the same layer", "dangling")
	own := slices.DeleteFunc(blobsOf(t, s, d), func(b digest.Digest) bool { return slices.Contains(blobsOf(t, s, tagged), b) })
	require.Len(t, own, 2, "the manifest and the config are the dangling image's own")
	var want uint64
	for _, b := range own {
		info, err := s.Content().Info(ctx, b)
		require.NoError(t, err)
		want += uint64(info.Size)
	}
	report, err := s.Prune(ctx, imagesvc.PruneOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: d.String()}, {Deleted: d}}, report.ImagesDeleted)
	assert.Equal(t, want, report.SpaceReclaimed, "the shared layer and its chain count nothing")
	for _, b := range blobsOf(t, s, tagged) {
		assert.True(t, blobsOnDisk(t, s)[b])
	}
	checkCatalog(t, s, true)
}

func TestPruneAllUnused(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	usage := &imagesvctest.UsageTable{}
	s := openTest(t, Options{Now: clock.Now, Usage: usage})
	a := importAs(t, s, "a:1", "image a", "a")
	require.NoError(t, s.Tag(ctx, mustRef(t, "a:1"), tagRef(t, "a", "2")))
	b := importAs(t, s, "b:1", "image b", "b")
	d := importAs(t, s, "", "dangling in use", "d")
	usage.SetContainer(imagesvc.Container{ID: strings.Repeat("c", 64), ImageID: a, Image: "a:1"})
	usage.SetContainer(imagesvc.Container{ID: strings.Repeat("d", 64), ImageID: d, Image: "gone:1"})
	clock.Add(2 * time.Hour)
	recent := importAs(t, s, "recent:1", "recent", "r")

	report, err := s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("dangling", "false"), filters.Arg("until", "1h"))})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "a:2"}, {Untagged: "b:1"}, {Deleted: b}}, report.ImagesDeleted,
		"a container created by a:1 keeps it (a:2 goes), the dangling image a container uses stays, and recent:1 is too new")
	assert.Equal(t, sortedIDs(a, d, recent), listIDs(t, s, imagesvc.ListOptions{}))
	checkCatalog(t, s, true)

	// Labels: only dangling images by default.
	changes, err := imagesvc.ParseChanges([]string{"LABEL team=blue"})
	require.NoError(t, err)
	for _, name := range []string{"", "labelled:1"} {
		var ref reference.NamedTagged
		if name != "" {
			ref = tagRef(t, "labelled", "1")
		}
		_, err := s.Import(ctx, imagesvc.ImportRequest{Source: strings.NewReader(string(testimages.Tar([]testimages.File{{Name: "f", Data: []byte(name + "x")}}))), Ref: ref, Changes: changes}, nil)
		require.NoError(t, err)
	}
	report, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("label", "team=blue"))})
	require.NoError(t, err)
	require.Len(t, report.ImagesDeleted, 2, "the dangling labelled image only: %v", report.ImagesDeleted)
	_, err = s.Inspect(ctx, mustRef(t, "labelled:1"), imagesvc.InspectOptions{})
	require.NoError(t, err)

	// One prune at a time, checked before the filters.
	require.NoError(t, s.prunes.Enter())
	_, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("color", "x"))})
	assert.True(t, errdefs.IsConflict(err), "%v", err)
	assert.EqualError(t, err, "a prune operation is already running")
	s.prunes.Exit()
	_, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("color", "x"))})
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	checkCatalog(t, s, true)
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t)
	clock := newClock()
	s := openTest(t, Options{HostsDir: r.hosts, Platform: amd64, Now: clock.Now})
	img := multiPlatform(t, s, r, "hist/app:1")
	id := img.Descriptor.Digest
	name := r.Host() + "/hist/app:1"
	// A digest name too.
	r.pull(t, s, "hist/app@"+id.String(), &amd64)

	sums, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	unpacked := map[string]int64{}
	for _, m := range sums[0].Manifests {
		if m.Kind == imagesvc.KindImage {
			unpacked[m.ImageData.Platform.Architecture] = m.ImageData.Unpacked
		}
	}
	require.Positive(t, unpacked["arm64"])

	created := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	want := func(arch string) []imagesvc.HistoryItem {
		return []imagesvc.HistoryItem{
			{ID: id.String(), Created: created, CreatedBy: `CMD ["/data"]`, Tags: []string{name, r.Host() + "/hist/app@" + id.String()}},
			{ID: imagesvc.MissingID, Created: created, CreatedBy: "COPY data /", Comment: "the layer", Size: unpacked[arch]},
			{ID: imagesvc.MissingID, Created: created, CreatedBy: "FROM scratch"},
		}
	}
	h, err := s.History(ctx, mustRef(t, name), imagesvc.HistoryOptions{})
	require.NoError(t, err)
	assert.Equal(t, want("amd64"), h)
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	h, err = s.History(ctx, mustRef(t, id.Encoded()[:12]), imagesvc.HistoryOptions{Platform: &arm})
	require.NoError(t, err)
	assert.Equal(t, want("arm64"), h, "the ID is the index's, with a platform too")

	_, err = s.History(ctx, mustRef(t, name), imagesvc.HistoryOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "s390x"}})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	assert.EqualError(t, err, "image with reference "+name+" was found but does not provide the specified platform (linux/s390x)")
	_, err = s.History(ctx, mustRef(t, name), imagesvc.HistoryOptions{Platform: &ocispec.Platform{OS: "linux"}})
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	_, err = s.History(ctx, mustRef(t, "nope"), imagesvc.HistoryOptions{})
	assert.EqualError(t, err, "No such image: nope:latest")

	// An import: one entry, the import's message; dangling: no tags.
	dangling := importAs(t, s, "", "imported", "Imported from -")
	h, err = s.History(ctx, mustRef(t, dangling.String()), imagesvc.HistoryOptions{})
	require.NoError(t, err)
	require.Len(t, h, 1)
	assert.Equal(t, dangling.String(), h[0].ID)
	assert.Nil(t, h[0].Tags)
	assert.Equal(t, "Imported from -", h[0].Comment)
	assert.Equal(t, clock.Now(), h[0].Created)
	assert.Positive(t, h[0].Size)

	// More entries with layers than layers.
	bad, err := testimages.OCIManifest(testimages.Config{Seed: 3, History: []ocispec.History{{CreatedBy: "one"}, {CreatedBy: "two"}}})
	require.NoError(t, err)
	require.NoError(t, r.Put("hist/bad", "1", bad))
	r.pull(t, s, "hist/bad:1", nil)
	_, err = s.History(ctx, mustRef(t, r.Host()+"/hist/bad:1"), imagesvc.HistoryOptions{})
	assert.True(t, errdefs.IsInternal(err), "%v", err)
	assert.EqualError(t, err, "unable to find the size of the layer")
}

func TestHistoryParentChain(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t)
	s := openTest(t, Options{HostsDir: r.hosts, Platform: amd64})
	parent, err := testimages.OCIManifest(testimages.Config{Seed: 41})
	require.NoError(t, err)
	child, err := testimages.OCIManifest(testimages.Config{Seed: 42, ParentLabel: parent.Descriptor.Digest, LayerSizes: []int64{10, 20}})
	require.NoError(t, err)
	require.NoError(t, r.Put("chain/parent", "1", parent))
	require.NoError(t, r.Put("chain/child", "1", child))
	r.pull(t, s, "chain/parent:1", nil)
	r.pull(t, s, "chain/child:1", nil)
	h, err := s.History(ctx, mustRef(t, r.Host()+"/chain/child:1"), imagesvc.HistoryOptions{})
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, child.Descriptor.Digest.String(), h[0].ID)
	assert.Equal(t, parent.Descriptor.Digest.String(), h[1].ID, "the classic builder's parent chain")
	assert.Equal(t, []string{r.Host() + "/chain/parent:1"}, h[1].Tags)
}

// TestPruneUntilDanglingSince: an image that loses its last name becomes dangling at that
// moment, as Docker creates its moby-dangling@ record then; prune's until compares that
// time, not when the image was first stored.
func TestPruneUntilDanglingSince(t *testing.T) {
	clk := newClock()
	s, err := Open(filepath.Join(t.TempDir(), "s"), Options{Now: clk.Now})
	require.NoError(t, err)
	defer s.Close()
	old := importAs(t, s, "foo:1", "a", "")
	clk.Add(48 * time.Hour)
	importAs(t, s, "foo:1", "b", "") // the old image is dangling from now on
	args, err := filters.FromJSON(`{"until":["24h"]}`)
	require.NoError(t, err)
	rep, err := s.Prune(context.Background(), imagesvc.PruneOptions{Filters: args})
	require.NoError(t, err)
	require.Nil(t, rep.ImagesDeleted, "dangling for no time: too young for until=24h")

	clk.Add(48 * time.Hour)
	rep, err = s.Prune(context.Background(), imagesvc.PruneOptions{Filters: args})
	require.NoError(t, err)
	require.Equal(t, []imagesvc.DeleteResponse{{Untagged: old.String()}, {Deleted: old}}, rep.ImagesDeleted)
}
