package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/content/testsuite"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// openTest opens a store in a fresh directory and closes it when the test ends.
func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// TestContentStore runs containerd's content store suite against the labelled store: the
// local store with its labels in the catalog.
func TestContentStore(t *testing.T) {
	testsuite.ContentSuite(t, "sqlite", func(ctx context.Context, root string) (context.Context, content.Store, func() error, error) {
		s, err := Open(root, Options{})
		if err != nil {
			return ctx, nil, nil, err
		}
		return ctx, s.Content(), s.Close, nil
	})
}

func TestContentLabelsFollowDeletes(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	data := []byte("some blob")
	d := digest.FromBytes(data)
	require.NoError(t, content.WriteBlob(ctx, s.Content(), "ref", bytesReader(data), ocispecDesc(d, len(data)), content.WithLabels(map[string]string{"k": "v"})))
	info, err := s.Content().Info(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, info.Labels)
	require.NoError(t, s.Content().Delete(ctx, d))
	labels, err := s.labels.Get(d)
	require.NoError(t, err)
	assert.Nil(t, labels, "deleting a blob deletes its labels")
}

func TestOpenLocksTheRoot(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, Options{})
	require.NoError(t, err)
	_, err = Open(root, Options{})
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	s, err = Open(root, Options{})
	require.NoError(t, err, "the lock is released by Close")
	require.NoError(t, s.Close())

	_, err = s.List(context.Background(), imagesvc.ListOptions{})
	assert.True(t, errdefs.IsUnavailable(err), "a closed store fails: %v", err)
}

func TestSchemaVersion(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, Options{})
	require.NoError(t, err)
	var v int
	require.NoError(t, s.wdb.QueryRow("PRAGMA user_version").Scan(&v))
	assert.Equal(t, schemaVersion, v)
	_, err = s.wdb.Exec("PRAGMA user_version = 999")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = Open(root, Options{})
	require.Error(t, err)
	assert.True(t, errdefs.IsFailedPrecondition(err), "a catalog from the future: %v", err)
}

func TestSeededListAndInspect(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	imgs := benchImages(t, 30)
	require.NoError(t, s.seed(ctx, imgs))

	all, err := s.List(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	require.Len(t, all, 30)
	assert.Equal(t, imgs[29].img.Descriptor.Digest, all[0].ID, "newest first")
	assert.Len(t, all[0].RepoTags, 2)
	assert.Equal(t, []string{"example.com/r0009/app@" + all[0].ID.String()}, all[0].RepoDigests)

	for _, tc := range []struct {
		name  string
		pairs []string
		want  int
	}{
		{"reference repo", []string{"reference", "example.com/r0004/app"}, 3},
		{"reference tag glob", []string{"reference", "example.com/r000*/app:t1*"}, 10},
		{"reference without prefix", []string{"reference", "*/r0004/app"}, 3},
		{"reference two", []string{"reference", "example.com/r0004/app:t0a", "reference", "example.com/r0005/app"}, 4},
		{"label", []string{"label", "com.example.quarter=1"}, 8},
		{"label exists", []string{"label", "com.example.quarter"}, 30},
		{"label negated", []string{"label!", "com.example.quarter=1"}, 22},
		{"labels", []string{"label", "com.example.quarter=1", "label", "com.example.index=5"}, 1},
		{"dangling", []string{"dangling", "true"}, 0},
		{"not dangling", []string{"dangling", "false"}, 30},
		{"before", []string{"before", "example.com/r0002/app:t0a"}, 6},
		{"since", []string{"since", "example.com/r0002/app:t0a"}, 23},
		{"since short ID", []string{"since", all[1].ID.Encoded()[:12]}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args filters.Args
			for i := 0; i < len(tc.pairs); i += 2 {
				args.Add(tc.pairs[i], tc.pairs[i+1])
			}
			got, err := s.List(ctx, imagesvc.ListOptions{Filters: args})
			require.NoError(t, err)
			assert.Len(t, got, tc.want)
		})
	}

	ref, err := imagesvc.ParseImageRef(all[3].ID.Encoded()[:10])
	require.NoError(t, err)
	img, err := s.Inspect(ctx, ref, imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, all[3].ID, img.ID)
	assert.Equal(t, all[3].Labels, img.Config.Labels)
	assert.Len(t, img.RepoDigests, 1)
	assert.Equal(t, all[3].Created, img.Created)
}

func TestReopenKeepsTheCatalogAndCleansLeftovers(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	s, err := Open(root, Options{})
	require.NoError(t, err)
	require.NoError(t, s.seed(ctx, benchImages(t, 5)))
	// An unreferenced blob and an unfinished ingest, as a crash would leave them.
	data := []byte("orphan")
	d := digest.FromBytes(data)
	require.NoError(t, content.WriteBlob(ctx, s.Content(), "orphan", bytesReader(data), ocispecDesc(d, len(data))))
	w, err := s.Content().Writer(ctx, content.WithRef("unfinished"))
	require.NoError(t, err)
	_, err = w.Write([]byte("half"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, s.Close())

	s, err = Open(root, Options{ResumeGrace: -1})
	require.NoError(t, err)
	defer s.Close()
	sums, err := s.List(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Len(t, sums, 5)
	_, err = s.Content().Info(ctx, d)
	assert.True(t, errdefs.IsNotFound(err), "an unreferenced blob is collected: %v", err)
	st, err := s.Content().ListStatuses(ctx)
	require.NoError(t, err)
	assert.Empty(t, st, "unfinished ingests are removed")
	entries, err := os.ReadDir(filepath.Join(root, "content", "ingest"))
	if err == nil {
		assert.Empty(t, entries)
	}
}

// TestResultsAreCopies checks that callers may modify what List and Inspect return
// without changing what the next call returns (the store caches decoded rows).
func TestResultsAreCopies(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	require.NoError(t, s.seed(ctx, benchImages(t, 3)))
	ref := mustRef(t, "example.com/r0000/app:t0a")

	img, err := s.Inspect(ctx, ref, imagesvc.InspectOptions{Manifests: true})
	require.NoError(t, err)
	want := *img
	want.Config.Env = slices.Clone(img.Config.Env)
	img.Config.Env[0] = "CHANGED=1"
	img.Config.Labels["com.example.quarter"] = "changed"
	img.RepoTags[0] = "changed"
	img.RootFS.Layers[0] = ""
	img.Manifests[0].ImageData.Platform.OS = "changed"
	again, err := s.Inspect(ctx, ref, imagesvc.InspectOptions{Manifests: true})
	require.NoError(t, err)
	assert.Equal(t, want.Config.Env, again.Config.Env)
	assert.Equal(t, "0", again.Config.Labels["com.example.quarter"])
	assert.NotEqual(t, "changed", again.RepoTags[0])
	assert.NotEmpty(t, again.RootFS.Layers[0])
	assert.Equal(t, "linux", again.Manifests[0].ImageData.Platform.OS)

	sums, err := s.List(ctx, imagesvc.ListOptions{Manifests: true})
	require.NoError(t, err)
	for i := range sums {
		sums[i].Labels["com.example.quarter"] = "changed"
		sums[i].RepoTags[0] = "changed"
		sums[i].RepoDigests[0] = "changed"
		sums[i].Manifests[0].Descriptor.MediaType = "changed"
	}
	sums, err = s.List(ctx, imagesvc.ListOptions{Manifests: true})
	require.NoError(t, err)
	for _, sum := range sums {
		assert.NotEqual(t, "changed", sum.Labels["com.example.quarter"])
		assert.NotEqual(t, "changed", sum.RepoTags[0])
		assert.NotEqual(t, "changed", sum.RepoDigests[0])
		assert.NotEqual(t, "changed", sum.Manifests[0].Descriptor.MediaType)
	}
}

func TestDetailsCacheIsBounded(t *testing.T) {
	var c detailsCache
	for i := range int64(maxDetails + 10) {
		c.put(i, 1, &details{})
	}
	assert.Len(t, c.m, maxDetails)
	c.put(5000, 1, &details{})
	assert.NotNil(t, c.get(5000, 1))
	assert.Nil(t, c.get(5000, 2), "another revision is a miss")
}
