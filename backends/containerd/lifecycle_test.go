package containerd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// importImage imports a one-layer image whose content comes from seed, named name ("" for
// none), with the config labels given as "k=v".
func importImage(t *testing.T, s *Store, name, seed string, labels ...string) digest.Digest {
	t.Helper()
	req := imagesvc.ImportRequest{
		Source:  bytes.NewReader(testimages.Tar([]testimages.File{{Name: "etc/seed", Data: []byte(seed + strings.Repeat("x", 3000))}})),
		Message: "Imported from -",
	}
	if name != "" {
		ref, err := imagesvc.ParseImportReference(name, "")
		require.NoError(t, err)
		req.Ref = ref
	}
	if len(labels) > 0 {
		ch, err := imagesvc.ParseChanges([]string{"LABEL " + strings.Join(labels, " ")})
		require.NoError(t, err)
		req.Changes = ch
	}
	id, err := s.Import(context.Background(), req, nil)
	require.NoError(t, err)
	return id
}

func tagRef(t *testing.T, s string) reference.NamedTagged {
	t.Helper()
	r, err := imagesvc.ParseTagReference(s, "")
	require.NoError(t, err)
	return r
}

// recordNames returns the names of the records in s's namespace, in order.
func recordNames(t *testing.T, s *Store) []string {
	t.Helper()
	recs, err := s.client.ImageService().List(s.nsContext(context.Background()))
	require.NoError(t, err)
	var out []string
	for _, r := range recs {
		out = append(out, r.Name)
	}
	return out
}

// blobs returns the digests of the blobs of s's namespace.
func blobs(t *testing.T, s *Store) map[digest.Digest]bool {
	t.Helper()
	out := map[digest.Digest]bool{}
	err := s.client.ContentStore().Walk(s.nsContext(context.Background()), func(info content.Info) error {
		out[info.Digest] = true
		return nil
	})
	require.NoError(t, err)
	return out
}

// snapshotNames returns the snapshots of s's namespace.
func snapshotNames(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	err := s.client.SnapshotService(s.snapshotter).Walk(s.nsContext(context.Background()), func(_ context.Context, info snapshots.Info) error {
		out = append(out, info.Name)
		return nil
	})
	require.NoError(t, err)
	return out
}

// tree returns the blobs of the image id, read from containerd before it is removed.
func tree(t *testing.T, s *Store, id digest.Digest) []digest.Digest {
	t.Helper()
	ctx := s.nsContext(context.Background())
	recs, err := s.client.ImageService().List(ctx, "target.digest=="+id.String())
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	descs, err := walkPresent(ctx, s.newContentView(nil), recs[0].Target)
	require.NoError(t, err)
	var out []digest.Digest
	for _, d := range descs {
		out = append(out, d.Digest)
	}
	return out
}

func assertGone(t *testing.T, s *Store, ds []digest.Digest) {
	t.Helper()
	have := blobs(t, s)
	for _, d := range ds {
		assert.False(t, have[d], "blob %s is still in the content store", d)
	}
}

// onDisk reports whether the daemon's content store directory holds the blob dg.
func onDisk(d *containerdtest.Daemon, dg digest.Digest) bool {
	_, err := os.Stat(filepath.Join(d.Root(), "io.containerd.content.v1.content", "blobs", "sha256", dg.Encoded()))
	return err == nil
}

// assertNotOnDisk checks that the daemon's content store directory has none of the
// blobs (the content of these tests is not shared with other namespaces).
func assertNotOnDisk(t *testing.T, d *containerdtest.Daemon, ds []digest.Digest) {
	t.Helper()
	for _, dg := range ds {
		assert.False(t, onDisk(d, dg), "blob %s is still on disk", dg)
	}
}

func short(d digest.Digest) string { return d.Encoded()[:12] }

func requireClass(t *testing.T, err error, class error, text string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, class)
	if text != "" {
		assert.Equal(t, text, err.Error())
	}
}

func listIDs(t *testing.T, s *Store, args ...string) []digest.Digest {
	t.Helper()
	var f filters.Args
	for i := 0; i+1 < len(args); i += 2 {
		f.Add(args[i], args[i+1])
	}
	sums, err := s.List(context.Background(), imagesvc.ListOptions{Filters: f})
	require.NoError(t, err)
	var out []digest.Digest
	for _, sum := range sums {
		out = append(out, sum.ID)
	}
	return out
}

// TestRemove runs Docker's remove rules (spec §2.2) on a real daemon, and checks that an
// image's content is gone from containerd once its last record is.
func TestRemove(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			t.Run("Names", func(t *testing.T) {
				s, d := open(t, v, Options{Platform: amd64})
				id := importImage(t, s, "foo:1", "names")
				require.NoError(t, s.Tag(ctx, mustRef(t, "foo:1"), tagRef(t, "bar:1")))
				content := tree(t, s, id)
				require.Len(t, content, 3, "manifest, config, layer")
				require.True(t, onDisk(d, content[2]))
				assert.Equal(t, []digest.Digest{id}, listIDs(t, s), "warm list cache")

				// Another name is left: untag only.
				out, err := s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "foo:1"}}, out)
				assert.Equal(t, []string{"docker.io/library/bar:1"}, recordNames(t, s))
				assert.Equal(t, []string{"bar:1"}, names(t, s))

				// By ID with several names: 409; forced: every name, then the image.
				require.NoError(t, s.Tag(ctx, mustRef(t, "bar:1"), tagRef(t, "foo:1")))
				_, err = s.Remove(ctx, mustRef(t, short(id)), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (must be forced) - image is referenced in multiple repositories")
				_, err = s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (must be forced) - image is referenced in multiple repositories")
				out, err = s.Remove(ctx, mustRef(t, short(id)), imagesvc.RemoveOptions{Force: true})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "bar:1"}, {Untagged: "foo:1"}, {Deleted: id}}, out)
				assert.Empty(t, recordNames(t, s))
				assert.Empty(t, listIDs(t, s))
				assertGone(t, s, content)
				assertNotOnDisk(t, d, content)
				assert.Empty(t, blobs(t, s))
				assert.Empty(t, snapshotNames(t, s), "the unpacked layer went with the image")

				_, err = s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrNotFound, "No such image: foo:1")
			})
			t.Run("Digest", func(t *testing.T) {
				s, _ := open(t, v, Options{Platform: amd64})
				id := importImage(t, s, "a/x:1", "digest")
				require.NoError(t, s.Tag(ctx, mustRef(t, "a/x:1"), tagRef(t, "b/y:1")))
				_, err := s.Remove(ctx, mustRef(t, "c/z@"+id.String()), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrNotFound, "No such image: c/z@"+id.String())
				out, err := s.Remove(ctx, mustRef(t, "a/x@"+id.String()), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "a/x:1"}}, out)
				assert.Equal(t, []string{"docker.io/b/y:1"}, recordNames(t, s))
				out, err = s.Remove(ctx, mustRef(t, "b/y@"+id.String()), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "b/y:1"}, {Deleted: id}}, out)
				assert.Empty(t, blobs(t, s))
			})
			t.Run("Dangling", func(t *testing.T) {
				s, _ := open(t, v, Options{Platform: amd64})
				keep := importImage(t, s, "keep:1", "keep")
				id := importImage(t, s, "", "dangling")
				content := tree(t, s, id)
				assert.Equal(t, []digest.Digest{id}, listIDs(t, s, "dangling", "true"))
				out, err := s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: id}}, out)
				assert.Equal(t, []digest.Digest{keep}, listIDs(t, s))
				assertGone(t, s, content)
				assert.Len(t, blobs(t, s), 3, "the other image's content stays")
			})
			t.Run("ProviderContainers", func(t *testing.T) {
				usage := &imagesvctest.UsageTable{}
				s, _ := open(t, v, Options{Platform: amd64, Usage: usage})
				id := importImage(t, s, "foo:1", "ctrs")
				ctrID := strings.Repeat("3f1c2b0a9d8e", 5) + "abcd"
				usage.SetContainer(imagesvc.Container{ID: ctrID, ImageID: id, Image: "foo:1"})

				_, err := s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrConflict, "conflict: unable to delete foo:1 (must be forced) - container 3f1c2b0a9d8e is using its referenced image "+short(id))
				_, err = s.Remove(ctx, mustRef(t, short(id)), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (must be forced) - image is being used by stopped container 3f1c2b0a9d8e")

				// Forced by name: untagged only; the image stays, dangling.
				out, err := s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{Force: true})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "foo:1"}}, out)
				assert.Equal(t, []string{model.DanglingName(id)}, recordNames(t, s))
				assert.Equal(t, []digest.Digest{id}, listIDs(t, s, "dangling", "true"))

				// Running: not even by force.
				usage.SetContainer(imagesvc.Container{ID: ctrID, ImageID: id, Image: "foo:1", Running: true})
				_, err = s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{Force: true})
				requireClass(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (cannot be forced) - image is being used by running container 3f1c2b0a9d8e")

				usage.RemoveContainer(ctrID)
				out, err = s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: id}}, out)
				assert.Empty(t, blobs(t, s))
			})
			t.Run("ContainerdContainers", func(t *testing.T) {
				s, _ := open(t, v, Options{Platform: amd64})
				id := importImage(t, s, "foo:1", "containerd-ctrs")
				nsctx := s.nsContext(ctx)
				_, err := s.client.ContainerService().Create(nsctx, containers.Container{
					ID: "c1", Image: "docker.io/library/foo:1",
					Runtime: containers.RuntimeInfo{Name: "io.containerd.runc.v2"},
					Spec:    &anypb.Any{TypeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec", Value: []byte("{}")},
				})
				require.NoError(t, err)
				_, err = s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrConflict, "conflict: unable to delete foo:1 (must be forced) - container c1 is using its referenced image "+short(id))
				_, err = s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{})
				requireClass(t, err, errdefs.ErrConflict, "conflict: unable to delete "+short(id)+" (must be forced) - image is being used by stopped container c1")
				// A prune keeps the image its container names.
				rep, err := s.Prune(ctx, pruneAll())
				require.NoError(t, err)
				assert.Nil(t, rep.ImagesDeleted)

				require.NoError(t, s.client.ContainerService().Delete(nsctx, "c1"))
				out, err := s.Remove(ctx, mustRef(t, "foo:1"), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "foo:1"}, {Deleted: id}}, out)
			})
			t.Run("Parents", func(t *testing.T) {
				s, _ := open(t, v, Options{Platform: amd64})
				base := importImage(t, s, "base:1", "base")
				child := importImage(t, s, "child:1", "child")
				setRecordLabel(t, s, "docker.io/library/child:1", model.LabelParent, base.String())

				// The parent of an image stays, dangling, when its name goes.
				out, err := s.Remove(ctx, mustRef(t, "base:1"), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "base:1"}, {Deleted: base}}, out)
				assert.Equal(t, []string{"docker.io/library/child:1", model.DanglingName(base)}, recordNames(t, s))
				// Removing the child takes its dangling parent along.
				out, err = s.Remove(ctx, mustRef(t, "child:1"), imagesvc.RemoveOptions{})
				require.NoError(t, err)
				assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "child:1"}, {Deleted: child}, {Deleted: base}}, out)
				assert.Empty(t, recordNames(t, s))
				assert.Empty(t, blobs(t, s))
			})
		})
	}
}

// setRecordLabel sets a label on a containerd image record.
func setRecordLabel(t *testing.T, s *Store, name, key, value string) {
	t.Helper()
	ctx := s.nsContext(context.Background())
	_, err := s.client.ImageService().Update(ctx, images.Image{Name: name, Labels: map[string]string{key: value}}, "labels."+key)
	require.NoError(t, err)
}

func pruneAll() imagesvc.PruneOptions {
	var f filters.Args
	f.Add("dangling", "false")
	return imagesvc.PruneOptions{Filters: f}
}

// multiWorld serves library/multi:1, an OCI index of linux/amd64 and linux/arm64/v8 with
// attestations, and returns the image and a hosts directory for it.
func multiWorld(t *testing.T) (*testimages.Image, *testregistry.Registry, string) {
	t.Helper()
	img, err := testimages.OCIIndex([]testimages.Config{
		{Platform: amd64, Labels: map[string]string{"com.example.kind": "multi"}, Seed: 31},
		{Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, Labels: map[string]string{"com.example.kind": "multi"}, Seed: 31},
	}, true)
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/multi", "1", img))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	return img, reg, hosts
}

func pullImage(t *testing.T, s *Store, ref string, p *ocispec.Platform) {
	t.Helper()
	named, err := imagesvc.ParsePullReference(ref, "", "")
	require.NoError(t, err)
	_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named, Platform: p}, nil)
	require.NoError(t, err)
}

// TestRemovePlatform deletes one platform of a multi-platform image (spec §2.5): its
// manifest, config and layers leave the content store, nothing is untagged, and the
// index lists the platform as not available.
func TestRemovePlatform(t *testing.T) {
	img, reg, hosts := multiWorld(t)
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	var amdManifest, armManifest digest.Digest
	for _, m := range img.Manifests() {
		if m.Platform != nil && m.Platform.Architecture == "arm64" {
			armManifest = m.Digest
		} else if m.Platform != nil && m.Platform.Architecture == "amd64" {
			amdManifest = m.Digest
		}
	}
	armMan, _, err := img.Manifest(armManifest)
	require.NoError(t, err)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			s, _ := open(t, v, Options{Platform: amd64, HostsDir: hosts})
			name := reg.Host() + "/library/multi:1"
			pullImage(t, s, name, &amd64)
			pullImage(t, s, name, &arm)
			id := img.Descriptor.Digest
			sums, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
			require.NoError(t, err)
			require.Len(t, sums, 1)
			available := func(sum imagesvc.Summary) map[digest.Digest]bool {
				out := map[digest.Digest]bool{}
				for _, m := range sum.Manifests {
					out[m.ID] = m.Available
				}
				return out
			}
			assert.True(t, available(sums[0])[armManifest])
			assert.True(t, available(sums[0])[amdManifest])

			_, err = s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{Platforms: []ocispec.Platform{arm}})
			requireClass(t, err, errdefs.ErrInvalidArgument, "Content will be removed from all images referencing this variant. Use \u2014-force to force delete.")

			out, err := s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{arm}})
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: armManifest}}, out)
			have := blobs(t, s)
			assert.False(t, have[armManifest])
			assert.False(t, have[armMan.Config.Digest])
			for _, l := range armMan.Layers {
				assert.False(t, have[l.Digest], "arm64 layer %s", l.Digest)
			}
			assert.True(t, have[amdManifest])
			assert.True(t, have[id])
			assert.Equal(t, []string{name}, recordNames(t, s), "nothing untagged")
			sums, err = s.List(ctx, imagesvc.ListOptions{Manifests: true})
			require.NoError(t, err)
			require.Len(t, sums, 1)
			assert.False(t, available(sums[0])[armManifest], "listed, not available")
			assert.True(t, available(sums[0])[amdManifest])

			// Not present any more.
			_, err = s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{arm}})
			requireClass(t, err, errdefs.ErrNotFound, "failed to delete platform linux/arm64/v8 for image "+id.String()+
				": image with reference "+name+" was found but does not provide any platform")

			// The last platform: the image stays, listed, and cannot be tagged.
			out, err = s.Remove(ctx, mustRef(t, id.String()), imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{amd64}})
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Deleted: amdManifest}}, out)
			assert.Equal(t, []digest.Digest{id}, listIDs(t, s))
			err = s.Tag(ctx, mustRef(t, name), tagRef(t, "other:1"))
			requireClass(t, err, errdefs.ErrNotFound, "image with reference "+name+" was found but does not provide any platform")

			// Then the whole image: only the index digest is reported; nothing is left.
			out, err = s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{})
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: name}, {Deleted: id}}, out)
			assert.Empty(t, blobs(t, s))
		})
	}
}

// TestTag checks Docker's createOrReplaceImage (spec §3.2): a new name, the same name
// again, a name moved from another image (which becomes dangling), and a dangling image
// named.
func TestTag(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			s, _ := open(t, v, Options{Platform: amd64})
			a := importImage(t, s, "a:1", "tag-a")
			setRecordLabel(t, s, "docker.io/library/a:1", "com.example.record", "a")
			setRecordLabel(t, s, "docker.io/library/a:1", images.AnnotationImageName, "docker.io/library/a:1")
			b := importImage(t, s, "", "tag-b")
			ns := s.nsContext(ctx)
			get := func(name string) images.Image {
				t.Helper()
				r, err := s.client.ImageService().Get(ns, name)
				require.NoError(t, err)
				return r
			}

			// New: the labels of the first record, a fresh creation time.
			before := time.Now().Add(-time.Second)
			require.NoError(t, s.Tag(ctx, mustRef(t, "a:1"), tagRef(t, "new:1")))
			n := get("docker.io/library/new:1")
			assert.Equal(t, a, n.Target.Digest)
			assert.Equal(t, "a", n.Labels["com.example.record"])
			assert.True(t, n.CreatedAt.After(before))
			assert.ElementsMatch(t, []string{"a:1", "new:1"}, names(t, s))

			// The same: nothing changes.
			require.NoError(t, s.Tag(ctx, mustRef(t, short(a)), tagRef(t, "new:1")))
			assert.Equal(t, n.UpdatedAt, get("docker.io/library/new:1").UpdatedAt)

			// A dangling image named: no longer dangling.
			require.NoError(t, s.Tag(ctx, mustRef(t, b.String()), tagRef(t, "b:1")))
			assert.Equal(t, []string{"docker.io/library/a:1", "docker.io/library/b:1", "docker.io/library/new:1"}, recordNames(t, s))
			assert.Empty(t, listIDs(t, s, "dangling", "true"))

			// Moving a's last name but one: a keeps a:1.
			require.NoError(t, s.Tag(ctx, mustRef(t, "b:1"), tagRef(t, "new:1")))
			assert.Equal(t, b, get("docker.io/library/new:1").Target.Digest)
			assert.Empty(t, listIDs(t, s, "dangling", "true"))
			// Moving a's last name: a is kept dangling, with its record labels but the name.
			require.NoError(t, s.Tag(ctx, mustRef(t, "b:1"), tagRef(t, "a:1")))
			assert.Equal(t, []string{"docker.io/library/a:1", "docker.io/library/b:1", "docker.io/library/new:1", model.DanglingName(a)}, recordNames(t, s))
			d := get(model.DanglingName(a))
			assert.Equal(t, "a", d.Labels["com.example.record"])
			assert.NotContains(t, d.Labels, images.AnnotationImageName)
			assert.Equal(t, []digest.Digest{a}, listIDs(t, s, "dangling", "true"))
			hist, err := s.History(ctx, mustRef(t, a.String()), imagesvc.HistoryOptions{})
			require.NoError(t, err)
			assert.Nil(t, hist[0].Tags)

			// Errors.
			err = s.Tag(ctx, mustRef(t, "nope:1"), tagRef(t, "x:1"))
			requireClass(t, err, errdefs.ErrNotFound, "No such image: nope:1")
			named, err := reference.ParseNormalizedNamed("sha256")
			require.NoError(t, err)
			sha, err := reference.WithTag(named, "1")
			require.NoError(t, err)
			err = s.Tag(ctx, mustRef(t, "b:1"), sha)
			requireClass(t, err, errdefs.ErrInvalidArgument, "refusing to create an ambiguous tag using digest algorithm as name")
		})
	}
}

// TestPrune checks Docker's prune (spec §4): the dangling default, label and until
// filters, dangling=false, the report's bytes, and the content store afterwards.
func TestPrune(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			usage := &imagesvctest.UsageTable{}
			s, d := open(t, v, Options{Platform: amd64, Usage: usage})
			dangling := importImage(t, s, "", "prune-dangling", "k=v")
			labelled := importImage(t, s, "labelled:1", "prune-labelled", "k=v")
			plain := importImage(t, s, "plain:1", "prune-plain")
			used := importImage(t, s, "used:1", "prune-used")
			require.NoError(t, s.Tag(ctx, mustRef(t, "used:1"), tagRef(t, "used:2")))
			usage.SetContainer(imagesvc.Container{ID: "c1", ImageID: used, Image: "used:1"})
			sizes := map[digest.Digest]int64{}
			sums, err := s.List(ctx, imagesvc.ListOptions{All: true})
			require.NoError(t, err)
			for _, sum := range sums {
				sizes[sum.ID] = sum.Size
			}
			danglingContent := tree(t, s, dangling)
			var everything []digest.Digest
			for _, id := range []digest.Digest{dangling, labelled, plain, used} {
				everything = append(everything, tree(t, s, id)...)
			}

			// Another prune running: Conflict, before the filters are looked at.
			require.NoError(t, s.pruneGate.Enter())
			var bad filters.Args
			bad.Add("color", "red")
			_, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: bad})
			requireClass(t, err, errdefs.ErrConflict, "a prune operation is already running")
			s.pruneGate.Exit()
			_, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: bad})
			requireClass(t, err, errdefs.ErrInvalidArgument, "invalid filter 'color'")

			// A label that only tagged images carry: nothing, as only dangling ones count.
			var f filters.Args
			f.Add("label", "nope")
			rep, err := s.Prune(ctx, imagesvc.PruneOptions{Filters: f})
			require.NoError(t, err)
			assert.Equal(t, &imagesvc.PruneReport{}, rep)

			// The default: dangling images. The bytes are those the list reported.
			rep, err = s.Prune(ctx, imagesvc.PruneOptions{})
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: dangling.String()}, {Deleted: dangling}}, rep.ImagesDeleted)
			assert.Equal(t, uint64(sizes[dangling]), rep.SpaceReclaimed)
			assertGone(t, s, danglingContent)

			// until in the past: nothing.
			f = filters.Args{}
			f.Add("dangling", "false")
			f.Add("until", "2000-01-01T00:00:00Z")
			rep, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: f})
			require.NoError(t, err)
			assert.Nil(t, rep.ImagesDeleted)

			// dangling=false with a label: the tagged image with it.
			f = filters.Args{}
			f.Add("dangling", "false")
			f.Add("label", "k=v")
			rep, err = s.Prune(ctx, imagesvc.PruneOptions{Filters: f})
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "labelled:1"}, {Deleted: labelled}}, rep.ImagesDeleted)
			assert.Equal(t, uint64(sizes[labelled]), rep.SpaceReclaimed)

			// All unused: the container keeps the name it was created with.
			rep, err = s.Prune(ctx, pruneAll())
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "plain:1"}, {Deleted: plain}, {Untagged: "used:2"}}, rep.ImagesDeleted)
			assert.Equal(t, uint64(sizes[plain]), rep.SpaceReclaimed)
			assert.Equal(t, []string{"docker.io/library/used:1"}, recordNames(t, s))

			// The container gone, everything goes: containerd holds no blob, no snapshot.
			usage.RemoveContainer("c1")
			rep, err = s.Prune(ctx, pruneAll())
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "used:1"}, {Deleted: used}}, rep.ImagesDeleted)
			assert.Equal(t, uint64(sizes[used]), rep.SpaceReclaimed)
			assert.Empty(t, blobs(t, s))
			assertNotOnDisk(t, d, everything)
			assert.Empty(t, snapshotNames(t, s))
			assert.Empty(t, listIDs(t, s))
		})
	}
}

// TestPruneShared prunes an image whose base layer another image keeps: only the pruned
// image's own content counts.
func TestPruneShared(t *testing.T) {
	base := []testimages.File{{Name: "base", Data: bytes.Repeat([]byte("base "), 2000)}}
	a, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base, {{Name: "a", Data: []byte("a")}}}})
	require.NoError(t, err)
	b, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base, {{Name: "b", Data: []byte("b")}}}})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/a", "1", a))
	require.NoError(t, reg.Put("library/b", "1", b))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	man, cfg, err := a.Manifest(a.Descriptor.Digest)
	require.NoError(t, err)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			usage := &imagesvctest.UsageTable{}
			s, _ := open(t, v, Options{Platform: amd64, HostsDir: hosts, Usage: usage})
			pullImage(t, s, reg.Host()+"/library/a:1", nil)
			pullImage(t, s, reg.Host()+"/library/b:1", nil)
			top := chainIDs(cfg.RootFS.DiffIDs)[1]
			u, err := s.client.SnapshotService(s.snapshotter).Usage(s.nsContext(ctx), top.String())
			require.NoError(t, err)
			usage.SetContainer(imagesvc.Container{ID: "c1", ImageID: b.Descriptor.Digest, Image: reg.Host() + "/library/b:1"})

			rep, err := s.Prune(ctx, pruneAll())
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: reg.Host() + "/library/a:1"}, {Deleted: a.Descriptor.Digest}}, rep.ImagesDeleted)
			assert.Equal(t, uint64(a.Descriptor.Size+man.Config.Size+man.Layers[1].Size+u.Size), rep.SpaceReclaimed,
				"the manifest, config, top layer and its snapshot; not the shared base")
			have := blobs(t, s)
			assert.True(t, have[man.Layers[0].Digest], "the shared layer stays")
			assert.False(t, have[man.Layers[1].Digest])
		})
	}
}

// TestHistory checks history rows (spec §5): newest first, sizes from the snapshotter,
// names on the first row, platforms.
func TestHistory(t *testing.T) {
	created := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	later := created.Add(time.Hour)
	img, err := testimages.OCIManifest(testimages.Config{
		Platform: amd64, Created: later,
		Layers: [][]testimages.File{
			{{Name: "one", Data: bytes.Repeat([]byte("1"), 5000)}},
			{{Name: "two", Data: bytes.Repeat([]byte("2"), 9000)}},
		},
		History: []ocispec.History{
			{Created: &created, CreatedBy: "ADD one /", Comment: "first"},
			{Created: &created, CreatedBy: "ENV X=1", EmptyLayer: true},
			{Created: &later, CreatedBy: "ADD two /"},
		},
	})
	require.NoError(t, err)
	multi, _, _ := multiWorld(t)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/hist", "1", img))
	require.NoError(t, reg.Put("library/multi", "1", multi))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	_, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	chains := chainIDs(cfg.RootFS.DiffIDs)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			s, _ := open(t, v, Options{Platform: amd64, HostsDir: hosts})
			name := reg.Host() + "/library/hist:1"
			pullImage(t, s, name, nil)
			require.NoError(t, s.Tag(ctx, mustRef(t, name), tagRef(t, "hist:2")))
			sn := s.client.SnapshotService(s.snapshotter)
			var usage []int64
			for _, ch := range chains {
				u, err := sn.Usage(s.nsContext(ctx), ch.String())
				require.NoError(t, err)
				usage = append(usage, u.Size)
			}
			hist, err := s.History(ctx, mustRef(t, "hist:2"), imagesvc.HistoryOptions{})
			require.NoError(t, err)
			id := img.Descriptor.Digest
			assert.Equal(t, []imagesvc.HistoryItem{
				{ID: id.String(), Created: later, CreatedBy: "ADD two /", Tags: []string{name, "hist:2"}, Size: usage[1]},
				{ID: imagesvc.MissingID, Created: created, CreatedBy: "ENV X=1"},
				{ID: imagesvc.MissingID, Created: created, CreatedBy: "ADD one /", Comment: "first", Size: usage[0]},
			}, hist)

			// Docker's classic builder chain: the entries below the newest name the parents.
			base := importImage(t, s, "base:1", "history-base")
			setRecordLabel(t, s, "docker.io/library/hist:2", model.LabelParent, base.String())
			hist, err = s.History(ctx, mustRef(t, "hist:2"), imagesvc.HistoryOptions{})
			require.NoError(t, err)
			require.Len(t, hist, 3)
			assert.Equal(t, []string{id.String(), base.String(), imagesvc.MissingID}, []string{hist[0].ID, hist[1].ID, hist[2].ID})
			assert.Equal(t, []string{"base:1"}, hist[1].Tags)
			assert.Nil(t, hist[2].Tags)

			// A platform the image lacks.
			arm := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
			_, err = s.History(ctx, mustRef(t, name), imagesvc.HistoryOptions{Platform: &arm})
			requireClass(t, err, errdefs.ErrNotFound, "image with reference "+name+" was found but does not provide the specified platform (linux/arm64/v8)")
			hist, err = s.History(ctx, mustRef(t, name), imagesvc.HistoryOptions{Platform: &amd64})
			require.NoError(t, err)
			assert.Len(t, hist, 3)
			_, err = s.History(ctx, mustRef(t, "nope"), imagesvc.HistoryOptions{})
			requireClass(t, err, errdefs.ErrNotFound, "No such image: nope:latest")

			// An index with only amd64 present: the index digest, the amd64 rows.
			mname := reg.Host() + "/library/multi:1"
			pullImage(t, s, mname, nil)
			hist, err = s.History(ctx, mustRef(t, mname), imagesvc.HistoryOptions{})
			require.NoError(t, err)
			require.Len(t, hist, 1)
			assert.Equal(t, multi.Descriptor.Digest.String(), hist[0].ID)
			assert.Equal(t, []string{mname}, hist[0].Tags)
			assert.Positive(t, hist[0].Size)
			_, err = s.History(ctx, mustRef(t, mname), imagesvc.HistoryOptions{Platform: &arm})
			requireClass(t, err, errdefs.ErrNotFound, fmt.Sprintf("image with reference %s was found but does not provide the specified platform (linux/arm64/v8)", mname))
		})
	}
}

// TestRemoveBehindItsBack removes images behind the Store's back (ctr images rm) and
// through it, with a warm list cache: each list shows the change at once.
func TestRemoveBehindItsBack(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			ctx := context.Background()
			s, d := open(t, v, Options{Platform: amd64})
			a := importImage(t, s, "a:1", "behind-a")
			b := importImage(t, s, "b:1", "behind-b")
			require.NoError(t, s.Tag(ctx, mustRef(t, "b:1"), tagRef(t, "b:2")))
			assert.ElementsMatch(t, []digest.Digest{a, b}, listIDs(t, s))

			d.Ctr(t, s.Namespace(), "images", "rm", "--sync", "docker.io/library/a:1")
			assert.Equal(t, []digest.Digest{b}, listIDs(t, s))
			_, err := s.Inspect(ctx, mustRef(t, a.String()), imagesvc.InspectOptions{})
			requireClass(t, err, errdefs.ErrNotFound, "")
			_, err = s.Remove(ctx, mustRef(t, "a:1"), imagesvc.RemoveOptions{})
			requireClass(t, err, errdefs.ErrNotFound, "No such image: a:1")

			d.Ctr(t, s.Namespace(), "images", "rm", "docker.io/library/b:2")
			assert.Equal(t, []string{"b:1"}, names(t, s))
			out, err := s.Remove(ctx, mustRef(t, b.String()), imagesvc.RemoveOptions{})
			require.NoError(t, err)
			assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "b:1"}, {Deleted: b}}, out)
			assert.Empty(t, listIDs(t, s))
			assert.Empty(t, blobs(t, s))
		})
	}
}
