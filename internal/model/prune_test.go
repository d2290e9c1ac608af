package model

import (
	"context"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

func names(rs []Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestPruneCandidates(t *testing.T) {
	all := []Record{rec(lib("busybox:a"), idX), rec(lib("busybox:b"), idX), rec(lib("busybox:c"), idX), rec(lib("other:1"), idY)}
	// A container created by ID keeps the lexically last name (TestPruneLexographicalOrder).
	got := PruneCandidates(all, all, []imagesvc.Container{{ID: "c1", ImageID: idX, Image: idX.Encoded()[:12]}})
	assert.Equal(t, []string{lib("busybox:a"), lib("busybox:b"), lib("other:1")}, names(got))
	// A container created by name keeps that name only (TestPruneDontDeleteUsedImage).
	got = PruneCandidates(all, all, []imagesvc.Container{{ID: "c1", ImageID: idX, Image: "busybox:a"}})
	assert.Equal(t, []string{lib("busybox:b"), lib("busybox:c"), lib("other:1")}, names(got))
	// The dangling record of a container's image stays.
	d := []Record{rec(DanglingName(idX), idX)}
	assert.Empty(t, PruneCandidates(d, d, []imagesvc.Container{{ID: "c1", ImageID: idX, Image: "gone:1"}}))
	// A container whose reference is unknown keeps its image's last record, as one
	// created by ID does.
	one := []Record{rec(lib("solo:1"), idY)}
	assert.Empty(t, PruneCandidates(one, one, []imagesvc.Container{{ID: "c2", ImageID: idY}}))
	// repo:tag@digest keeps repo:tag.
	got = PruneCandidates(all, all, []imagesvc.Container{{ID: "c1", ImageID: idX, Image: "busybox:b@" + idX.String()}})
	assert.Equal(t, []string{lib("busybox:a"), lib("busybox:c"), lib("other:1")}, names(got))
}

func TestPruneFilter(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	compile := func(pairs ...filters.KeyValuePair) (*PruneFilter, error) {
		return CompilePruneFilter(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(pairs...)}, clock)
	}
	dangling := Record{Name: DanglingName(idX), Target: idX, Created: now.Add(-time.Hour)}
	tagged := Record{Name: lib("foo:1"), Target: idY, Created: now.Add(-time.Hour)}

	f, err := compile()
	require.NoError(t, err)
	assert.True(t, f.Match(dangling, nil))
	assert.False(t, f.Match(tagged, nil), "dangling=true is the default")

	f, err = compile(filters.Arg("dangling", "false"))
	require.NoError(t, err)
	assert.True(t, f.Match(tagged, nil), "dangling=false means every image")
	assert.True(t, f.Match(dangling, nil))

	f, err = compile(filters.Arg("dangling", "false"), filters.Arg("until", "30m"))
	require.NoError(t, err)
	assert.True(t, f.Match(tagged, nil))
	f, err = compile(filters.Arg("dangling", "false"), filters.Arg("until", "2h"))
	require.NoError(t, err)
	assert.False(t, f.Match(tagged, nil))

	f, err = compile(filters.Arg("dangling", "false"), filters.Arg("label", "k=v"))
	require.NoError(t, err)
	assert.True(t, f.Match(tagged, []map[string]string{{"k": "v"}}))
	assert.False(t, f.Match(tagged, []map[string]string{{"k": "w"}}))
	assert.False(t, f.Match(tagged, nil), "a label filter cannot match an image without config")
	f, err = compile(filters.Arg("dangling", "false"), filters.Arg("label!", "k=v"))
	require.NoError(t, err)
	assert.False(t, f.Match(tagged, nil), "nor can label!")
	assert.True(t, f.Match(tagged, []map[string]string{{}}))

	_, err = compile(filters.Arg("color", "x"))
	assert.ErrorIs(t, err, errdefs.ErrInvalidArgument)
	assert.EqualError(t, err, "invalid filter 'color'")
	_, err = compile(filters.Arg("dangling", "x"))
	assert.EqualError(t, err, "invalid filter 'dangling=[x]'")

	var g PruneGate
	require.NoError(t, g.Enter())
	err = g.Enter()
	assert.ErrorIs(t, err, errdefs.ErrConflict)
	assert.EqualError(t, err, "a prune operation is already running")
	g.Exit()
	require.NoError(t, g.Enter())
}
