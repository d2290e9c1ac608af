package model

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

// fakeStore is an in-memory Store: records by name, plus parents.
type fakeStore struct {
	recs    map[string]Record
	parents map[digest.Digest]digest.Digest
	gone    []digest.Digest // images whose last record was deleted
	ops     []string
}

func newFake(recs ...Record) *fakeStore {
	f := &fakeStore{recs: map[string]Record{}, parents: map[digest.Digest]digest.Digest{}}
	for _, r := range recs {
		f.recs[r.Name] = r
	}
	return f
}

func (f *fakeStore) Record(_ context.Context, name string) (Record, bool, error) {
	r, ok := f.recs[name]
	return r, ok, nil
}

func (f *fakeStore) RecordsOf(_ context.Context, d digest.Digest) ([]Record, error) {
	var out []Record
	for _, r := range f.recs {
		if r.Target == d {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *fakeStore) TargetsWithPrefix(_ context.Context, hex string) ([]digest.Digest, error) {
	var out []digest.Digest
	for _, r := range f.recs {
		if strings.HasPrefix(r.Target.String(), "sha256:"+hex) && !slices.Contains(out, r.Target) {
			out = append(out, r.Target)
		}
	}
	return out, nil
}

func (f *fakeStore) Parent(_ context.Context, d digest.Digest) (digest.Digest, error) {
	return f.parents[d], nil
}

func (f *fakeStore) HasChildren(_ context.Context, d digest.Digest) (bool, error) {
	for _, p := range f.parents {
		if p == d {
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeStore) DeleteRecord(_ context.Context, r Record, last bool) error {
	delete(f.recs, r.Name)
	f.ops = append(f.ops, "delete "+r.Name)
	if last {
		f.gone = append(f.gone, r.Target)
	}
	return nil
}

func (f *fakeStore) KeepDangling(_ context.Context, r Record) error {
	f.recs[DanglingName(r.Target)] = Record{Name: DanglingName(r.Target), Target: r.Target}
	f.ops = append(f.ops, "dangling "+r.Target.String())
	return nil
}

func (f *fakeStore) DeletePlatform(_ context.Context, d digest.Digest, p ocispec.Platform) ([]digest.Digest, bool, error) {
	if p.Architecture != "amd64" {
		return nil, false, nil
	}
	return []digest.Digest{digest.FromString("amd64 manifest of " + d.String())}, true, nil
}

var (
	idX = digest.FromString("image X")
	idY = digest.FromString("image Y")
)

func rec(name string, d digest.Digest) Record { return Record{Name: name, Target: d} }

func lib(name string) string { return "docker.io/library/" + name }

func mustRef(t *testing.T, s string) imagesvc.ImageRef {
	t.Helper()
	r, err := imagesvc.ParseImageRef(s)
	require.NoError(t, err)
	return r
}

// TestRemoveExamples runs the worked examples of spec §2.3.
func TestRemoveExamples(t *testing.T) {
	x12 := idX.Encoded()[:12]
	ctr := strings.Repeat("3f1c2b0a9d8e", 5) + "abcd"
	for _, tc := range []struct {
		name    string
		recs    []Record
		ctrs    []imagesvc.Container
		ref     string
		opts    imagesvc.RemoveOptions
		want    []imagesvc.DeleteResponse
		err     string
		class   error
		left    []string // record names left
		deleted bool     // the image is gone
	}{
		{
			name: "one name", recs: []Record{rec(lib("foo:latest"), idX)}, ref: "foo",
			want:    []imagesvc.DeleteResponse{{Untagged: "foo:latest"}, {Deleted: idX}},
			deleted: true,
		},
		{
			name: "other names left", recs: []Record{rec(lib("foo:latest"), idX), rec(lib("bar:latest"), idX)}, ref: "foo",
			want: []imagesvc.DeleteResponse{{Untagged: "foo:latest"}},
			left: []string{lib("bar:latest")},
		},
		{
			name: "by ID with several names", recs: []Record{rec(lib("foo:latest"), idX), rec(lib("bar:latest"), idX)}, ref: x12,
			err:   "conflict: unable to delete " + x12 + " (must be forced) - image is referenced in multiple repositories",
			class: errdefs.ErrConflict, left: []string{lib("bar:latest"), lib("foo:latest")},
		},
		{
			name: "by ID forced", recs: []Record{rec(lib("foo:latest"), idX), rec(lib("bar:latest"), idX)}, ref: x12,
			opts:    imagesvc.RemoveOptions{Force: true},
			want:    []imagesvc.DeleteResponse{{Untagged: "bar:latest"}, {Untagged: "foo:latest"}, {Deleted: idX}},
			deleted: true,
		},
		{
			name: "by full ID forced", recs: []Record{rec(lib("foo:latest"), idX), rec(lib("bar:latest"), idX)}, ref: idX.String(),
			opts:    imagesvc.RemoveOptions{Force: true},
			want:    []imagesvc.DeleteResponse{{Untagged: "bar:latest"}, {Untagged: "foo:latest"}, {Deleted: idX}},
			deleted: true,
		},
		{
			name: "tag and digest of one repository", recs: []Record{rec(lib("foo:latest"), idX), rec(lib("foo@"+idX.String()), idX)}, ref: "foo",
			want:    []imagesvc.DeleteResponse{{Untagged: "foo:latest"}, {Untagged: "foo@" + idX.String()}, {Deleted: idX}},
			deleted: true,
		},
		{
			name: "by digest of another repository's image", recs: []Record{rec(lib("busybox:latest"), idX), rec(lib("t:latest"), idX)}, ref: "t@" + idX.String(),
			want: []imagesvc.DeleteResponse{{Untagged: "t:latest"}},
			left: []string{lib("busybox:latest")},
		},
		{
			name: "dangling by ID", recs: []Record{rec(DanglingName(idX), idX)}, ref: idX.String(),
			want:    []imagesvc.DeleteResponse{{Deleted: idX}},
			deleted: true,
		},
		{
			name: "stopped container, by name", recs: []Record{rec(lib("foo:latest"), idX)}, ref: "foo",
			ctrs:  []imagesvc.Container{{ID: ctr, ImageID: idX}},
			err:   "conflict: unable to delete foo:latest (must be forced) - container 3f1c2b0a9d8e is using its referenced image " + x12,
			class: errdefs.ErrConflict, left: []string{lib("foo:latest")},
		},
		{
			name: "stopped container, by name, forced", recs: []Record{rec(lib("foo:latest"), idX)}, ref: "foo",
			ctrs: []imagesvc.Container{{ID: ctr, ImageID: idX}}, opts: imagesvc.RemoveOptions{Force: true},
			want: []imagesvc.DeleteResponse{{Untagged: "foo:latest"}},
			left: []string{DanglingName(idX)},
		},
		{
			name: "stopped container, by ID", recs: []Record{rec(lib("foo:latest"), idX)}, ref: x12,
			ctrs:  []imagesvc.Container{{ID: ctr, ImageID: idX}},
			err:   "conflict: unable to delete " + x12 + " (must be forced) - image is being used by stopped container 3f1c2b0a9d8e",
			class: errdefs.ErrConflict, left: []string{lib("foo:latest")},
		},
		{
			name: "running container, by ID, forced", recs: []Record{rec(lib("foo:latest"), idX)}, ref: idX.String(),
			ctrs: []imagesvc.Container{{ID: ctr, ImageID: idX, Running: true}}, opts: imagesvc.RemoveOptions{Force: true},
			err:   "conflict: unable to delete " + x12 + " (cannot be forced) - image is being used by running container 3f1c2b0a9d8e",
			class: errdefs.ErrConflict, left: []string{lib("foo:latest")},
		},
		{
			name: "nothing", ref: "nope", err: "No such image: nope:latest", class: errdefs.ErrNotFound,
		},
		{
			name: "full ID of nothing", recs: []Record{rec(lib("foo:latest"), idX)}, ref: idY.String(),
			err: "No such image: " + idY.String(), class: errdefs.ErrNotFound, left: []string{lib("foo:latest")},
		},
		{
			name: "digest of a repository without it", recs: []Record{rec(lib("foo:latest"), idX)}, ref: "other@" + idX.String(),
			err: "No such image: other@" + idX.String(), class: errdefs.ErrNotFound, left: []string{lib("foo:latest")},
		},
		{
			name: "digest of one of two repositories", recs: []Record{rec("docker.io/a/x:1", idX), rec("docker.io/b/y:1", idX)}, ref: "a/x@" + idX.String(),
			want: []imagesvc.DeleteResponse{{Untagged: "a/x:1"}},
			left: []string{"docker.io/b/y:1"},
		},
		{
			name: "ambiguous short ID", recs: []Record{rec(lib("a:1"), digest.Digest("sha256:abcd"+idX.Encoded()[4:])), rec(lib("b:1"), digest.Digest("sha256:abcd"+idY.Encoded()[4:]))}, ref: "abcd",
			err: "ambiguous reference", class: errdefs.ErrNotFound, left: []string{lib("a:1"), lib("b:1")},
		},
		{
			name: "platforms without force", recs: []Record{rec(lib("foo:latest"), idX)}, ref: "nope",
			opts: imagesvc.RemoveOptions{Platforms: []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}},
			err:  "Content will be removed from all images referencing this variant. Use \u2014-force to force delete.", class: errdefs.ErrInvalidArgument,
			left: []string{lib("foo:latest")},
		},
		{
			name: "platform delete", recs: []Record{rec(lib("foo:latest"), idX)}, ref: "foo",
			opts: imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}},
			want: []imagesvc.DeleteResponse{{Deleted: digest.FromString("amd64 manifest of " + idX.String())}},
			left: []string{lib("foo:latest")},
		},
		{
			name: "platform not present", recs: []Record{rec("docker.io/reg/multi:1", idX)}, ref: "reg/multi:1",
			opts:  imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
			err:   "failed to delete platform linux/arm64/v8 for image " + idX.String() + ": image with reference reg/multi:1 was found but does not provide any platform",
			class: errdefs.ErrNotFound, left: []string{"docker.io/reg/multi:1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(tc.recs...)
			got, err := Remove(context.Background(), f, tc.ctrs, mustRef(t, tc.ref), tc.opts)
			if tc.err != "" {
				require.Error(t, err)
				assert.Equal(t, tc.err, err.Error())
				assert.ErrorIs(t, err, tc.class)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
			var left []string
			for n := range f.recs {
				left = append(left, n)
			}
			slices.Sort(left)
			assert.Equal(t, tc.left, left)
			assert.Equal(t, tc.deleted, len(f.gone) == 1, "image gone: %v", f.gone)
		})
	}
}

func TestRemoveDanglingParents(t *testing.T) {
	child := digest.FromString("child")
	f := newFake(rec(lib("child:1"), child), rec(DanglingName(idX), idX), rec(DanglingName(idY), idY), rec(lib("keep:1"), digest.FromString("keep")))
	f.parents[child] = idX
	f.parents[idX] = idY
	f.parents[idY] = digest.FromString("keep")
	got, err := Remove(context.Background(), f, nil, mustRef(t, "child:1"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "child:1"}, {Deleted: child}, {Deleted: idX}, {Deleted: idY}}, got)
	assert.Len(t, f.recs, 1)

	// noprune keeps them.
	f = newFake(rec(lib("child:1"), child), rec(DanglingName(idX), idX))
	f.parents[child] = idX
	got, err = Remove(context.Background(), f, nil, mustRef(t, "child:1"), imagesvc.RemoveOptions{NoPrune: true})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "child:1"}, {Deleted: child}}, got)
}

func TestRemoveKeepsParentOfChildren(t *testing.T) {
	child := digest.FromString("child")
	f := newFake(rec(lib("child:1"), child), rec(lib("base:1"), idX))
	f.parents[child] = idX
	got, err := Remove(context.Background(), f, nil, mustRef(t, "base:1"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "base:1"}, {Deleted: idX}}, got)
	_, ok := f.recs[DanglingName(idX)]
	assert.True(t, ok, "the parent of an image stays, dangling")
	assert.Empty(t, f.gone)
}
