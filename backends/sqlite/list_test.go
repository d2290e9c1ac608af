package sqlite

import (
	"bytes"
	"context"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

func TestUnpackRows(t *testing.T) {
	rr, err := unpackRows([]byte("3 1 300 1 7 -9223372036854775808 2 2 100 4 1 300"))
	require.NoError(t, err)
	assert.Equal(t, []rowRev{
		{rowid: 3, rev: 1, created: 300}, {rowid: 4, rev: 1, created: 300},
		{rowid: 2, rev: 2, created: 100}, {rowid: 1, rev: 7, created: -9223372036854775808},
	}, rr, "newest first, ties in the order given, no creation time last")
	rr, err = unpackRows(nil)
	require.NoError(t, err)
	assert.Empty(t, rr)
	for _, bad := range []string{"1 2", "1 x 3", "1 2 3 4"} {
		_, err := unpackRows([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestLiteralPrefix(t *testing.T) {
	for pattern, want := range map[string]string{
		"example.com/r0001/app":   "example.com/r0001/app",
		"example.com/r*/app:v1":   "example.com/r",
		"*/app":                   "",
		"ex?mple":                 "ex",
		"[ab]cd":                  "",
		`a\*b`:                    "a",
		"docker.io/library/tags:": "docker.io/library/tags:",
	} {
		assert.Equal(t, want, literalPrefix(pattern), pattern)
	}
}

// TestListQueryCache checks that a repeated list is answered from the remembered rows
// until a write, and that a write is seen at once.
func TestListQueryCache(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	imgs := benchImages(t, 6)
	require.NoError(t, s.seed(ctx, imgs[:3]))
	var args filters.Args
	args.Add("label", "com.example.quarter=1")
	count := func(opts imagesvc.ListOptions) int {
		sums, err := s.List(ctx, opts)
		require.NoError(t, err)
		return len(sums)
	}
	assert.Equal(t, 3, count(imagesvc.ListOptions{}))
	assert.Equal(t, 1, count(imagesvc.ListOptions{Filters: args}))
	assert.Len(t, s.queries.items, 2)
	assert.Equal(t, 3, count(imagesvc.ListOptions{}))

	require.NoError(t, s.seed(ctx, imgs[3:]))
	assert.Equal(t, 6, count(imagesvc.ListOptions{}), "a write is seen by the next list")
	assert.Equal(t, 2, count(imagesvc.ListOptions{Filters: args}))
	assert.Len(t, s.queries.items, 2, "results of older generations are dropped")
}

// TestListVersion checks that the version changes with every write a list can see (an
// import, a pull, a name moved to another image), stays while nothing is written, and
// fails once the store is closed.
func TestListVersion(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{Layers: [][]testimages.File{{{Name: "f", Data: []byte("pulled")}}}})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("version/app", "v1", img))
	dir := t.TempDir()
	s, err := Open(dir, Options{Insecure: []string{reg.Host()}})
	require.NoError(t, err)
	ctx := context.Background()

	seen := map[string]bool{}
	version := func() string {
		t.Helper()
		v, err := s.ListVersion(ctx)
		require.NoError(t, err)
		return v
	}
	changed := func(what string) {
		t.Helper()
		v := version()
		assert.False(t, seen[v], "%s: the version %s was seen before", what, v)
		seen[v] = true
		assert.Equal(t, v, version(), "%s: nothing written since", what)
		_, err := s.List(ctx, imagesvc.ListOptions{})
		require.NoError(t, err)
		assert.Equal(t, v, version(), "%s: a list writes nothing", what)
	}
	changed("open")

	importTar := func(content, tag string) {
		t.Helper()
		ref, err := imagesvc.ParseImportReference("example.com/version/imported", tag)
		require.NoError(t, err)
		body := testimages.Tar([]testimages.File{{Name: "f", Data: []byte(content)}})
		_, err = s.Import(ctx, imagesvc.ImportRequest{Source: bytes.NewReader(body), Ref: ref}, nil)
		require.NoError(t, err)
	}
	importTar("one", "v1")
	changed("import")
	importTar("two", "v1")
	changed("import moving the tag to another image")

	ref, err := imagesvc.ParsePullReference(reg.Host()+"/version/app", "v1", "")
	require.NoError(t, err)
	_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil)
	require.NoError(t, err)
	changed("pull")

	require.NoError(t, s.Close())
	_, err = s.ListVersion(ctx)
	assert.True(t, errdefs.IsUnavailable(err), "closed: %v", err)

	// The same catalog opened again starts its generation again: the version must still
	// differ from every one of the store before.
	s, err = Open(dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	changed("reopened")
}

// trackedUsage is a usage provider whose answers the caller of List accounts for, as
// plugins.HostUsage.
type trackedUsage struct{ imagesvc.UsageFunc }

func (trackedUsage) UsageTrackedPerCall() {}

// noContainers reports that no container uses any image.
var noContainers imagesvc.UsageFunc = func(context.Context, []digest.Digest) (map[digest.Digest][]string, error) {
	return map[digest.Digest][]string{}, nil
}

// TestListVersionWithUsage checks that a store whose lists depend on a usage provider has
// no version, unless the provider's answers are tracked by the caller.
func TestListVersionWithUsage(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{Usage: noContainers})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.ListVersion(ctx)
	assert.True(t, errdefs.IsNotImplemented(err), "%v", err)

	s2, err := Open(t.TempDir(), Options{Usage: trackedUsage{noContainers}})
	require.NoError(t, err)
	defer s2.Close()
	_, err = s2.ListVersion(ctx)
	assert.NoError(t, err)
}
