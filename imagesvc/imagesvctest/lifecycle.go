package imagesvctest

import (
	"context"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// The groups of the optional capabilities (spec docker-image-lifecycle.md §2–§5). Each
// skips, naming the interface, when the service does not implement it, as testing/fstest
// does, so that authors of partial backends run the suite too.

// capability returns svc as the optional interface T, or skips the test.
func capability[T any](t *testing.T, svc imagesvc.Service, name string) T {
	t.Helper()
	c, ok := imagesvc.As[T](svc)
	if !ok {
		t.Skipf("%T does not implement imagesvc.%s", svc, name)
	}
	return c
}

// Container IDs of the suite's containers: 64 hex digits, printed as 12.
var (
	ctrStopped = strings.Repeat("5709ed", 10) + "0001"
	ctrRunning = strings.Repeat("a11e55", 10) + "0002"
)

func short(d digest.Digest) string { return d.Encoded()[:12] }

func remove(t *testing.T, r imagesvc.Remover, name string, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	t.Helper()
	ref, err := imagesvc.ParseImageRef(name)
	require.NoError(t, err, name)
	return r.Remove(context.Background(), ref, opts)
}

func mustRemove(t *testing.T, r imagesvc.Remover, name string, opts imagesvc.RemoveOptions) []imagesvc.DeleteResponse {
	t.Helper()
	out, err := remove(t, r, name, opts)
	require.NoError(t, err, "remove %s", name)
	return out
}

func requireErr(t *testing.T, err error, class error, text string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, class, "error %q", err)
	assert.Equal(t, text, err.Error())
}

func (s *suite) notFound(t *testing.T, svc imagesvc.Inspector, name string) {
	t.Helper()
	_, err := inspect(t, svc, name, imagesvc.InspectOptions{})
	assert.ErrorIs(t, err, errdefs.ErrNotFound, "%s should be gone", name)
}

func (s *suite) testRemove(t *testing.T) {
	svc := s.service(t)
	r := capability[imagesvc.Remover](t, svc, "Remover")
	id := s.w.single.Descriptor.Digest
	single := s.w.ref("library/single:1.0")
	latest := s.w.ref("library/single:latest")

	// Nothing: 404 with Docker's texts.
	_, err := remove(t, r, "nope", imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrNotFound, "No such image: nope:latest")
	other := digest.FromString("nothing")
	_, err = remove(t, r, other.String(), imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrNotFound, "No such image: "+other.String())

	// Other names left: untag only.
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/single", "latest")
	out := mustRemove(t, r, single, imagesvc.RemoveOptions{})
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: single}}, out)
	s.notFound(t, svc, single)
	img, err := inspect(t, svc, latest, imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{latest}, img.RepoTags)

	// The last name: untag and delete.
	out = mustRemove(t, r, latest, imagesvc.RemoveOptions{})
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: latest}, {Deleted: id}}, out)
	s.notFound(t, svc, id.String())
	assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}))

	// Pulled again, the content comes back complete.
	s.mustPull(t, svc, "library/single", "1.0")
	img, err = inspect(t, svc, single, imagesvc.InspectOptions{Manifests: true})
	require.NoError(t, err)
	require.Len(t, img.Manifests, 1)
	assert.True(t, img.Manifests[0].Available)

	// By ID with names in several repositories: a conflict, unless forced; then every name
	// goes, in name order.
	s.mustPull(t, svc, "library/single", "latest")
	tagged := s.tag(t, svc, id.String(), "other/single:x")
	_, err = remove(t, r, short(id), imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (must be forced) - image is referenced in multiple repositories")
	_, err = remove(t, r, id.String(), imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (must be forced) - image is referenced in multiple repositories")
	if tagged {
		out = mustRemove(t, r, short(id), imagesvc.RemoveOptions{Force: true})
		assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: single}, {Untagged: latest}, {Untagged: "other/single:x"}, {Deleted: id}}, out)
		assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}))
	}
}

func (s *suite) testRemoveDigestNames(t *testing.T) {
	svc := s.service(t)
	r := capability[imagesvc.Remover](t, svc, "Remover")
	id := s.w.single.Descriptor.Digest
	single := s.w.ref("library/single:1.0")
	byDigest := s.w.ref("library/single@" + id.String())

	// A tag and a digest name of one repository go together.
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/single", id.String())
	out := mustRemove(t, r, single, imagesvc.RemoveOptions{})
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: single}, {Untagged: byDigest}, {Deleted: id}}, out)
	assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}))

	// repo@digest of a repository that does not have the image: 404.
	s.mustPull(t, svc, "library/single", "1.0")
	_, err := remove(t, r, s.w.ref("library/other@"+id.String()), imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrNotFound, "No such image: "+s.w.ref("library/other@"+id.String()))

	// repo@digest when another repository also has the image: untag that repository only.
	if s.tag(t, svc, single, "keep/me:1") {
		out = mustRemove(t, r, s.w.ref("library/single@"+id.String()), imagesvc.RemoveOptions{})
		assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: single}}, out)
		img, err := inspect(t, svc, "keep/me:1", imagesvc.InspectOptions{})
		require.NoError(t, err)
		assert.Equal(t, id, img.ID)
	}

	// An ambiguous short ID.
	s.mustPull(t, svc, "library/twin", "a")
	s.mustPull(t, svc, "library/twin", "b")
	_, err = remove(t, r, s.w.twinA.Descriptor.Digest.Encoded()[:4], imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrNotFound, "ambiguous reference")
}

func (s *suite) testRemoveDangling(t *testing.T) {
	svc := s.service(t)
	r := capability[imagesvc.Remover](t, svc, "Remover")
	id := s.mustImport(t, svc, "", nil)
	out := mustRemove(t, r, id.String(), imagesvc.RemoveOptions{})
	assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: id}}, out, "a dangling image has no name to untag")
	s.notFound(t, svc, id.String())

	id = s.mustImport(t, svc, "", nil)
	out = mustRemove(t, r, short(id), imagesvc.RemoveOptions{})
	assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: id}}, out)
}

func (s *suite) testRemoveContainers(t *testing.T) {
	svc := s.service(t)
	r := capability[imagesvc.Remover](t, svc, "Remover")
	id := s.w.single.Descriptor.Digest
	single := s.w.ref("library/single:1.0")
	s.mustPull(t, svc, "library/single", "1.0")

	s.usage.SetContainer(imagesvc.Container{ID: ctrStopped, ImageID: id, Image: single})
	t.Cleanup(func() { s.usage.RemoveContainer(ctrStopped) })

	// By name, the last name of an image a stopped container uses needs force.
	_, err := remove(t, r, single, imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrConflict, "conflict: unable to delete "+single+" (must be forced) - container "+ctrStopped[:12]+" is using its referenced image "+short(id))
	// By ID, a stopped container is a soft conflict.
	_, err = remove(t, r, id.String(), imagesvc.RemoveOptions{})
	requireErr(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (must be forced) - image is being used by stopped container "+ctrStopped[:12])

	// Forced by name: the name goes, the image stays, dangling.
	out := mustRemove(t, r, single, imagesvc.RemoveOptions{Force: true})
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: single}}, out)
	img, err := inspect(t, svc, id.String(), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Empty(t, img.RepoTags)
	dangling := listFiltered(t, svc, "dangling", "true")
	assert.Equal(t, []digest.Digest{id}, ids(dangling))

	// A running container: even force fails.
	s.usage.SetContainer(imagesvc.Container{ID: ctrRunning, ImageID: id, Image: id.String(), Running: true})
	t.Cleanup(func() { s.usage.RemoveContainer(ctrRunning) })
	_, err = remove(t, r, id.String(), imagesvc.RemoveOptions{Force: true})
	requireErr(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (cannot be forced) - image is being used by running container "+ctrRunning[:12])

	// Once the containers are gone, the image goes.
	s.usage.RemoveContainer(ctrRunning)
	s.usage.RemoveContainer(ctrStopped)
	out = mustRemove(t, r, short(id), imagesvc.RemoveOptions{})
	assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: id}}, out)
}

func (s *suite) testRemovePlatforms(t *testing.T) {
	svc := s.service(t)
	r := capability[imagesvc.Remover](t, svc, "Remover")
	multi := s.w.ref("library/multi:1.0")
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}

	// Force is required, checked before the name is resolved.
	_, err := remove(t, r, "nope", imagesvc.RemoveOptions{Platforms: []ocispec.Platform{amd64}})
	requireErr(t, err, errdefs.ErrInvalidArgument, "Content will be removed from all images referencing this variant. Use \u2014-force to force delete.")

	s.mustPull(t, svc, "library/multi", "1.0") // the host's platform: amd64
	id := s.w.multi.Descriptor.Digest
	_, err = remove(t, r, multi, imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{arm64}})
	requireErr(t, err, errdefs.ErrNotFound, "failed to delete platform linux/arm64/v8 for image "+id.String()+
		": image with reference "+multi+" was found but does not provide any platform")

	m := platformManifest(t, s.w.multi, "amd64")
	out := mustRemove(t, r, multi, imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{amd64}})
	assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: m.Digest}}, out)

	// The image stays listed, under its name, with the platform no longer available.
	sums := list(t, svc, imagesvc.ListOptions{Manifests: true})
	require.Len(t, sums, 1)
	assert.Equal(t, id, sums[0].ID)
	assert.Equal(t, []string{multi}, sums[0].RepoTags)
	for _, ms := range sums[0].Manifests {
		if ms.ID == m.Digest {
			assert.False(t, ms.Available, "the deleted platform is no longer available")
		}
	}
}

// tag tags the image source as target (a familiar name) when the service is a Tagger, and
// reports whether it did.
func (s *suite) tag(t *testing.T, svc imagesvc.Service, source, target string) bool {
	t.Helper()
	tg, ok := imagesvc.As[imagesvc.Tagger](svc)
	if !ok {
		return false
	}
	require.NoError(t, s.tryTag(t, tg, source, target), "tag %s %s", source, target)
	return true
}

func (s *suite) tryTag(t *testing.T, tg imagesvc.Tagger, source, target string) error {
	t.Helper()
	src, err := imagesvc.ParseImageRef(source)
	require.NoError(t, err)
	dst, err := imagesvc.ParseTagReference(target, "")
	require.NoError(t, err)
	return tg.Tag(context.Background(), src, dst)
}

func (s *suite) testTag(t *testing.T) {
	svc := s.service(t)
	tg := capability[imagesvc.Tagger](t, svc, "Tagger")
	id := s.w.single.Descriptor.Digest
	single := s.w.ref("library/single:1.0")

	err := s.tryTag(t, tg, "nope", "x:1")
	requireErr(t, err, errdefs.ErrNotFound, "No such image: nope:latest")

	s.mustPull(t, svc, "library/single", "1.0")
	for i, src := range []string{single, id.String(), short(id), s.w.ref("library/single@" + id.String())} {
		require.NoError(t, s.tryTag(t, tg, src, "copy:"+string(rune('a'+i))), src)
	}
	img, err := inspect(t, svc, single, imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Len(t, img.RepoTags, 5, "%v", img.RepoTags)

	// The same name again changes nothing.
	require.NoError(t, s.tryTag(t, tg, single, "again:1"))
	require.NoError(t, s.tryTag(t, tg, single, "again:1"))
	img, err = inspect(t, svc, "again:1", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, img.ID)

	// Moving an image's last name leaves it dangling; tagging it again un-dangles it.
	lonely := s.mustImport(t, svc, "lonely:1", nil)
	require.NoError(t, s.tryTag(t, tg, single, "lonely:1"))
	img, err = inspect(t, svc, "lonely:1", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, img.ID)
	assert.Equal(t, []digest.Digest{lonely}, ids(listFiltered(t, svc, "dangling", "true")))
	require.NoError(t, s.tryTag(t, tg, lonely.String(), "lonely:2"))
	assert.Empty(t, listFiltered(t, svc, "dangling", "true"))
	img, err = inspect(t, svc, lonely.String(), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"lonely:2"}, img.RepoTags)

	// Ambiguous sources are not found.
	s.mustPull(t, svc, "library/twin", "a")
	s.mustPull(t, svc, "library/twin", "b")
	err = s.tryTag(t, tg, s.w.twinA.Descriptor.Digest.Encoded()[:4], "twin:x")
	requireErr(t, err, errdefs.ErrNotFound, "ambiguous reference")

	// An image with no platform left cannot be tagged.
	r, ok := imagesvc.As[imagesvc.Remover](svc)
	if !ok {
		return
	}
	s.mustPull(t, svc, "library/multi", "1.0")
	multi := s.w.ref("library/multi:1.0")
	mustRemove(t, r, multi, imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}})
	err = s.tryTag(t, tg, multi, "multi:copy")
	requireErr(t, err, errdefs.ErrNotFound, "image with reference "+multi+" was found but does not provide any platform")
}

func prune(t *testing.T, p imagesvc.Pruner, pairs ...string) (*imagesvc.PruneReport, error) {
	t.Helper()
	var args filters.Args
	for i := 0; i+1 < len(pairs); i += 2 {
		args.Add(pairs[i], pairs[i+1])
	}
	return p.Prune(context.Background(), imagesvc.PruneOptions{Filters: args})
}

func mustPrune(t *testing.T, p imagesvc.Pruner, pairs ...string) *imagesvc.PruneReport {
	t.Helper()
	rep, err := prune(t, p, pairs...)
	require.NoError(t, err, "prune %v", pairs)
	require.NotNil(t, rep)
	return rep
}

func (s *suite) testPrune(t *testing.T) {
	svc := s.service(t)
	p := capability[imagesvc.Pruner](t, svc, "Pruner")

	_, err := prune(t, p, "color", "x")
	requireErr(t, err, errdefs.ErrInvalidArgument, "invalid filter 'color'")
	_, err = prune(t, p, "dangling", "x")
	requireErr(t, err, errdefs.ErrInvalidArgument, "invalid filter 'dangling=[x]'")

	// Nothing to prune: a null list.
	rep := mustPrune(t, p)
	assert.Nil(t, rep.ImagesDeleted)
	assert.Zero(t, rep.SpaceReclaimed)

	// By default only dangling images go; a lone image reclaims exactly its size.
	s.mustPull(t, svc, "library/single", "1.0")
	dangling := s.mustImport(t, svc, "", nil)
	size := find(list(t, svc, imagesvc.ListOptions{}), dangling).Size
	rep = mustPrune(t, p)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: dangling.String()}, {Deleted: dangling}}, rep.ImagesDeleted)
	assert.Equal(t, uint64(size), rep.SpaceReclaimed, "a pruned image that shares nothing reclaims its size")
	assert.Equal(t, []digest.Digest{s.w.single.Descriptor.Digest}, ids(list(t, svc, imagesvc.ListOptions{All: true})))

	// until compares when the record was made: images made just now are kept.
	recent := s.mustImport(t, svc, "", nil)
	rep = mustPrune(t, p, "until", "1h")
	assert.Nil(t, rep.ImagesDeleted)

	// label alone still prunes only dangling images.
	labelled := s.mustImport(t, svc, "", []string{"LABEL prune=me"})
	s.mustImport(t, svc, "named:1", []string{"LABEL prune=me"})
	rep = mustPrune(t, p, "label", "prune=me")
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: labelled.String()}, {Deleted: labelled}}, rep.ImagesDeleted)

	// dangling=false prunes every unused image; a container's image keeps the name it was
	// created with.
	s.mustPull(t, svc, "library/tags", "v1")
	s.mustPull(t, svc, "library/tags", "v2")
	v1 := s.w.tags["v1"].Descriptor.Digest
	s.usage.SetContainer(imagesvc.Container{ID: ctrStopped, ImageID: v1, Image: s.w.ref("library/tags:v1")})
	t.Cleanup(func() { s.usage.RemoveContainer(ctrStopped) })
	rep = mustPrune(t, p, "dangling", "false", "label!", "com.example.tag=v2")
	var untagged []string
	for _, d := range rep.ImagesDeleted {
		if d.Untagged != "" {
			untagged = append(untagged, d.Untagged)
		}
	}
	assert.ElementsMatch(t, []string{s.w.ref("library/single:1.0"), "named:1", recent.String()}, untagged,
		"v1 is used by a container, v2 is filtered out: %v", rep.ImagesDeleted)
	assert.Positive(t, rep.SpaceReclaimed)
	left := list(t, svc, imagesvc.ListOptions{All: true})
	assert.ElementsMatch(t, []digest.Digest{v1, s.w.tags["v2"].Descriptor.Digest}, ids(left))

	rep = mustPrune(t, p, "dangling", "false")
	require.Len(t, rep.ImagesDeleted, 2, "%v", rep.ImagesDeleted)
	assert.Equal(t, s.w.ref("library/tags:v2"), rep.ImagesDeleted[0].Untagged)
	assert.Equal(t, []digest.Digest{v1}, ids(list(t, svc, imagesvc.ListOptions{All: true})))
}

func (s *suite) testHistory(t *testing.T) {
	svc := s.service(t)
	h := capability[imagesvc.Historian](t, svc, "Historian")
	history := func(name string, p *ocispec.Platform) ([]imagesvc.HistoryItem, error) {
		t.Helper()
		ref, err := imagesvc.ParseImageRef(name)
		require.NoError(t, err)
		return h.History(context.Background(), ref, imagesvc.HistoryOptions{Platform: p})
	}

	_, err := history("nope", nil)
	requireErr(t, err, errdefs.ErrNotFound, "No such image: nope:latest")

	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/single", "latest")
	id := s.w.single.Descriptor.Digest
	_, cfg, err := s.w.single.Manifest(id)
	require.NoError(t, err)
	rows, err := history(s.w.ref("library/single:1.0"), nil)
	require.NoError(t, err)
	require.Len(t, rows, len(cfg.History))
	for i, row := range rows {
		want := cfg.History[len(cfg.History)-1-i]
		assert.Equal(t, want.CreatedBy, row.CreatedBy)
		assert.Equal(t, want.Comment, row.Comment)
		assert.True(t, row.Created.Equal(*want.Created), "row %d created %v", i, row.Created)
		if i == 0 {
			assert.Equal(t, id.String(), row.ID)
			assert.Equal(t, []string{s.w.ref("library/single:1.0"), s.w.ref("library/single:latest")}, row.Tags)
		} else {
			assert.Equal(t, imagesvc.MissingID, row.ID)
			assert.Nil(t, row.Tags)
		}
		assert.Positive(t, row.Size, "every layer of the image is unpacked or counted")
	}

	// A multi-platform image: the index digest, for the present platform only.
	s.mustPull(t, svc, "library/multi", "1.0")
	multi := s.w.ref("library/multi:1.0")
	rows, err = history(multi, &ocispec.Platform{OS: "linux", Architecture: "amd64"})
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	assert.Equal(t, s.w.multi.Descriptor.Digest.String(), rows[0].ID)
	_, err = history(multi, &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	requireErr(t, err, errdefs.ErrNotFound, "image with reference "+multi+" was found but does not provide the specified platform (linux/arm64/v8)")

	// An imported image: one row with the message as comment; dangling: no tags.
	imported := s.mustImport(t, svc, "", nil)
	rows, err = history(imported.String(), nil)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, imported.String(), rows[0].ID)
	assert.Equal(t, "Imported from -", rows[0].Comment)
	assert.Empty(t, rows[0].CreatedBy)
	assert.Nil(t, rows[0].Tags)
}
