package imagesvctest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

func (s *suite) testListOrderAndNames(t *testing.T) {
	svc := s.service(t)
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/multi", "1.0")
	s.mustPull(t, svc, "library/tags", "")
	sums := list(t, svc, imagesvc.ListOptions{})
	require.Len(t, sums, 5)
	for i := 1; i < len(sums); i++ {
		assert.False(t, sums[i].Created.After(sums[i-1].Created), "newest first: %v after %v", sums[i].Created, sums[i-1].Created)
	}
	assert.Equal(t, s.w.single.Descriptor.Digest, sums[4].ID, "the oldest comes last")
	for _, sum := range sums {
		assert.NotNil(t, sum.RepoTags)
		assert.NotNil(t, sum.RepoDigests)
		assert.Len(t, sum.RepoTags, 1)
		assert.Len(t, sum.RepoDigests, 1)
		assert.True(t, strings.HasSuffix(sum.RepoDigests[0], "@"+sum.ID.String()))
	}
}

func (s *suite) testListFilters(t *testing.T) {
	svc := s.service(t)
	single := s.w.single.Descriptor.Digest
	multi := s.w.multi.Descriptor.Digest
	v1, v2, v3 := s.w.tags["v1"].Descriptor.Digest, s.w.tags["v2"].Descriptor.Digest, s.w.tags["v3"].Descriptor.Digest
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/single", "latest")
	s.mustPull(t, svc, "library/multi", "1.0")
	s.mustPull(t, svc, "library/tags", "")
	dangling := s.mustImport(t, svc, "", nil)
	everything := []digest.Digest{single, multi, v1, v2, v3, dangling}

	for _, tc := range []struct {
		name  string
		pairs []string
		want  []digest.Digest
	}{
		{"none", nil, everything},
		{"dangling=true", []string{"dangling", "true"}, []digest.Digest{dangling}},
		{"dangling=1", []string{"dangling", "1"}, []digest.Digest{dangling}},
		{"dangling=false", []string{"dangling", "false"}, []digest.Digest{single, multi, v1, v2, v3}},
		{"label exists", []string{"label", "com.example.kind"}, []digest.Digest{single, multi, v1, v2, v3}},
		{"label=value", []string{"label", "com.example.kind=tags"}, []digest.Digest{v1, v2, v3}},
		{"two labels", []string{"label", "com.example.kind=tags", "label", "com.example.tag=v2"}, []digest.Digest{v2}},
		{"label! absent", []string{"label!", "com.example.tier"}, []digest.Digest{multi, v1, v2, v3, dangling}},
		{"label!=value", []string{"label!", "com.example.kind=tags"}, []digest.Digest{single, multi, dangling}},
		{"label key!=value", []string{"label", "com.example.kind!=tags"}, []digest.Digest{single, multi, dangling}},
		{"reference repo", []string{"reference", s.w.ref("library/tags")}, []digest.Digest{v1, v2, v3}},
		{"reference tag", []string{"reference", s.w.ref("library/tags:v1")}, []digest.Digest{v1}},
		{"reference glob", []string{"reference", s.w.host + "/library/*"}, []digest.Digest{single, multi, v1, v2, v3}},
		{"reference glob tag", []string{"reference", s.w.ref("library/tags:v*")}, []digest.Digest{v1, v2, v3}},
		{"reference two", []string{"reference", s.w.ref("library/multi"), "reference", s.w.ref("library/tags:v2")}, []digest.Digest{multi, v2}},
		{"reference none", []string{"reference", "nosuch"}, nil},
		{"before", []string{"before", s.w.ref("library/multi:1.0")}, []digest.Digest{single}},
		{"before by ID", []string{"before", multi.String()}, []digest.Digest{single}},
		{"since", []string{"since", s.w.ref("library/tags:v1")}, []digest.Digest{v2, v3, dangling}},
		{"since and before", []string{"since", s.w.ref("library/single:1.0"), "before", s.w.ref("library/tags:v2")}, []digest.Digest{multi, v1}},
		{"label and since", []string{"label", "com.example.kind=tags", "since", s.w.ref("library/tags:v1")}, []digest.Digest{v2, v3}},
		{"until future", []string{"until", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, everything},
		{"until past", []string{"until", "2000-01-01"}, nil},
		{"until duration", []string{"until", "1h"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := listFiltered(t, svc, tc.pairs...)
			assert.ElementsMatch(t, tc.want, ids(got))
		})
	}

	t.Run("reference trims names", func(t *testing.T) {
		got := listFiltered(t, svc, "reference", s.w.ref("library/single:1.0"))
		require.Len(t, got, 1)
		assert.Equal(t, []string{s.w.ref("library/single:1.0")}, got[0].RepoTags)
		got = listFiltered(t, svc, "reference", s.w.ref("library/single"))
		require.Len(t, got, 1)
		assert.ElementsMatch(t, []string{s.w.ref("library/single:1.0"), s.w.ref("library/single:latest")}, got[0].RepoTags)
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			pairs []string
			class func(error) bool
			msg   string
		}{
			{[]string{"before", "nosuch"}, errdefs.IsNotFound, "No such image: nosuch:latest"},
			{[]string{"since", s.w.ref("library/single:nosuch")}, errdefs.IsNotFound, ""},
			{[]string{"colour", "red"}, errdefs.IsInvalidArgument, "invalid filter 'colour'"},
			{[]string{"dangling", "maybe"}, errdefs.IsInvalidArgument, "invalid filter 'dangling=[maybe]'"},
			{[]string{"until", "yesterday"}, errdefs.IsInvalidArgument, ""},
		} {
			var args filters.Args
			args.Add(tc.pairs[0], tc.pairs[1])
			_, err := svc.List(context.Background(), imagesvc.ListOptions{Filters: args})
			require.Error(t, err, tc.pairs)
			assert.True(t, tc.class(err), "%v: %v", tc.pairs, err)
			if tc.msg != "" {
				assert.Equal(t, tc.msg, err.Error())
			}
		}
		_, err := svc.List(context.Background(), imagesvc.ListOptions{Identity: true})
		assert.True(t, errdefs.IsInvalidArgument(err), "identity without manifests: %v", err)
	})
}

func (s *suite) testListAllAndParents(t *testing.T) {
	svc := s.service(t)
	parent := s.mustImport(t, svc, "", nil)
	child := s.mustImport(t, svc, "chain:child", []string{"LABEL " + testimages.LabelParent + "=" + parent.String()})

	visible := list(t, svc, imagesvc.ListOptions{})
	assert.Equal(t, []digest.Digest{child}, ids(visible), "a dangling parent is hidden without all")
	all := list(t, svc, imagesvc.ListOptions{All: true})
	assert.ElementsMatch(t, []digest.Digest{child, parent}, ids(all))
	c := find(all, child)
	require.NotNil(t, c)
	assert.Equal(t, parent, c.ParentID)
	p := find(all, parent)
	require.NotNil(t, p)
	assert.Empty(t, p.RepoTags)
	assert.Empty(t, p.RepoDigests)
	assert.NotNil(t, p.RepoTags)
	assert.NotNil(t, p.RepoDigests)

	img, err := inspect(t, svc, "chain:child", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, parent, img.Parent)

	// A name that moves to another image leaves the old one dangling, and listed.
	first := s.mustImport(t, svc, "chain:moving", nil)
	second := s.mustImport(t, svc, "chain:moving", []string{"ENV GENERATION=2"})
	require.NotEqual(t, first, second)
	sums := list(t, svc, imagesvc.ListOptions{})
	old := find(sums, first)
	require.NotNil(t, old, "an image that lost its last name stays listed")
	assert.Empty(t, old.RepoTags)
	assert.Contains(t, ids(listFiltered(t, svc, "dangling", "true")), first)
	img, err = inspect(t, svc, "chain:moving", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, second, img.ID)
}

func (s *suite) testSharedSize(t *testing.T) {
	svc := s.service(t)
	s.mustPull(t, svc, "library/tags", "")
	s.mustPull(t, svc, "library/single", "1.0")
	man, _, err := s.w.tags["v1"].Manifest(s.w.tags["v1"].Descriptor.Digest)
	require.NoError(t, err)
	sharedLayer := man.Layers[0].Size

	for _, sum := range list(t, svc, imagesvc.ListOptions{}) {
		assert.Equal(t, int64(-1), sum.SharedSize, "SharedSize is -1 unless asked for")
	}
	sums := list(t, svc, imagesvc.ListOptions{SharedSize: true})
	for _, tag := range []string{"v1", "v2", "v3"} {
		sum := find(sums, s.w.tags[tag].Descriptor.Digest)
		require.NotNil(t, sum)
		assert.Greater(t, sum.SharedSize, sharedLayer, "%s shares its base layer, packed and unpacked", tag)
		assert.Less(t, sum.SharedSize, sum.Size)
	}
	assert.Zero(t, find(sums, s.w.single.Descriptor.Digest).SharedSize)

	// Sharing is counted among the listed images only.
	var args filters.Args
	args.Add("reference", s.w.ref("library/tags:v1"))
	only := list(t, svc, imagesvc.ListOptions{SharedSize: true, Filters: args})
	require.Len(t, only, 1)
	assert.Zero(t, only[0].SharedSize)
}

func (s *suite) testContainers(t *testing.T) {
	svc := s.service(t)
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/multi", "1.0")
	amd := platformManifest(t, s.w.multi, "amd64")
	s.usage.set(t, s.w.single.Descriptor.Digest, "c1", "c2")
	s.usage.set(t, amd.Digest, "c3")

	sums := list(t, svc, imagesvc.ListOptions{Manifests: true})
	single := find(sums, s.w.single.Descriptor.Digest)
	require.NotNil(t, single)
	assert.Equal(t, int64(2), single.Containers)
	require.Len(t, single.Manifests, 1)
	assert.ElementsMatch(t, []string{"c1", "c2"}, single.Manifests[0].ImageData.Containers)

	multi := find(sums, s.w.multi.Descriptor.Digest)
	require.NotNil(t, multi)
	assert.Equal(t, int64(1), multi.Containers)
	for _, m := range multi.Manifests {
		if m.ID == amd.Digest {
			assert.Equal(t, []string{"c3"}, m.ImageData.Containers)
		} else if m.ImageData != nil {
			assert.Nil(t, m.ImageData.Containers)
		}
	}
}
