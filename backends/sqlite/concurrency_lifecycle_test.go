package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// TestPullRacingDelete pulls an image while its name is removed, many times: each round
// ends with one consistent answer, either the image with its name and all its blobs, or
// no image and none of its blobs.
func TestPullRacingDelete(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t)
	img, err := testimages.OCIManifest(testimages.Config{LayerSizes: []int64{64 << 10, 32 << 10}, Seed: 71})
	require.NoError(t, err)
	require.NoError(t, r.Put("race/app", "1", img))
	s := openTest(t, Options{HostsDir: r.hosts})
	name := r.Host() + "/race/app:1"
	ref, err := imagesvc.ParsePullReference(name, "", "")
	require.NoError(t, err)

	outcomes := map[bool]int{}
	for round := range 20 {
		// The remover starts when the pull reports progress, and removes the name a few
		// times, until the pull returns. On odd rounds the image is there before the pull,
		// which then finds its blobs present.
		started, pulled := make(chan struct{}), make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(pulled)
			_, err := s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, func(imagesvc.ProgressEvent) { once.Do(func() { close(started) }) })
			once.Do(func() { close(started) })
			assert.NoError(t, err)
		}()
		go func() {
			defer wg.Done()
			<-started
			for range 1 + round%4 {
				_, err := s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{})
				if err != nil && !errdefs.IsNotFound(err) {
					t.Errorf("remove: %v", err)
				}
				select {
				case <-pulled:
					return
				case <-time.After(time.Duration(round) * time.Millisecond):
				}
			}
		}()
		wg.Wait()
		_, err := s.Inspect(ctx, mustRef(t, name), imagesvc.InspectOptions{})
		exists := err == nil
		if !exists {
			require.True(t, errdefs.IsNotFound(err), "%v", err)
		}
		outcomes[exists]++
		disk := blobsOnDisk(t, s)
		if exists {
			assert.Len(t, disk, len(img.Blobs), "the image is there with all its blobs")
		} else {
			assert.Empty(t, disk, "the image is gone with all its blobs")
		}
		assert.Zero(t, ingests(t, s))
		checkCatalog(t, s, true)
		if round%2 == 0 && !exists {
			r.pull(t, s, "race/app:1", nil)
		} else if round%2 == 1 && exists {
			_, err := s.Remove(ctx, mustRef(t, name), imagesvc.RemoveOptions{})
			require.NoError(t, err)
		}
	}
	t.Logf("outcomes (image left): %v", outcomes)
}

// TestLifecycleConcurrency runs deletes, tags and prunes while pulls, imports and lists
// run, under -race, and checks the store at the end: sound catalog, no blob that no
// image references, no unfinished download.
func TestLifecycleConcurrency(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t)
	const repos = 3
	for i := range repos {
		img, err := testimages.OCIManifest(testimages.Config{
			Layers: [][]testimages.File{{{Name: "shared", Data: []byte("a base layer every image shares")}}, {{Name: "own", Data: []byte(fmt.Sprint(i))}}},
		})
		require.NoError(t, err)
		require.NoError(t, r.Put(fmt.Sprintf("conc/app%d", i), "1", img))
	}
	s := openTest(t, Options{HostsDir: r.hosts})
	name := func(i int) string { return fmt.Sprintf("%s/conc/app%d:1", r.Host(), i%repos) }

	// Errors a racing operation may meet: the image it names is gone, another prune runs.
	expected := func(err error) bool { return err == nil || errdefs.IsNotFound(err) || errdefs.IsConflict(err) }
	const rounds = 15
	var wg sync.WaitGroup
	run := func(what string, fn func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if err := fn(i); !expected(err) {
					t.Errorf("%s %d: %v", what, i, err)
				}
			}
		}()
	}
	run("pull", func(i int) error {
		ref, err := imagesvc.ParsePullReference(name(i), "", "")
		if err != nil {
			return err
		}
		_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil)
		return err
	})
	run("import", func(i int) error {
		var ref = tagRef(t, "conc/imported", fmt.Sprint(i%4))
		if i%3 == 0 {
			ref = nil // dangling
		}
		archive := testimages.Tar([]testimages.File{{Name: "f", Data: []byte(fmt.Sprint("import ", i))}})
		_, err := s.Import(ctx, imagesvc.ImportRequest{Source: bytes.NewReader(archive), Ref: ref}, nil)
		return err
	})
	run("delete", func(i int) error {
		_, err := s.Remove(ctx, mustRef(t, name(i+1)), imagesvc.RemoveOptions{Force: i%2 == 0})
		return err
	})
	run("tag", func(i int) error {
		return s.Tag(ctx, mustRef(t, name(i+2)), tagRef(t, "conc/tagged", fmt.Sprint(i%2)))
	})
	run("untag", func(i int) error {
		_, err := s.Remove(ctx, mustRef(t, fmt.Sprintf("conc/tagged:%d", i%2)), imagesvc.RemoveOptions{})
		return err
	})
	run("prune", func(i int) error {
		args := filters.NewArgs()
		if i%3 == 2 {
			args = filters.NewArgs(filters.Arg("dangling", "false"))
		}
		_, err := s.Prune(ctx, imagesvc.PruneOptions{Filters: args})
		return err
	})
	run("prune too", func(int) error {
		_, err := s.Prune(ctx, imagesvc.PruneOptions{})
		return err
	})
	run("list", func(i int) error {
		sums, err := s.List(ctx, imagesvc.ListOptions{All: true, SharedSize: i%2 == 0})
		if err != nil {
			return err
		}
		for _, sum := range sums {
			if _, err := s.Inspect(ctx, mustRef(t, sum.ID.String()), imagesvc.InspectOptions{}); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
			if _, err := s.History(ctx, mustRef(t, sum.ID.String()), imagesvc.HistoryOptions{}); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
		}
		return nil
	})
	wg.Wait()

	checkCatalog(t, s, true)
	assert.Zero(t, ingests(t, s), "no unfinished download is left")
	report, err := s.Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(filters.Arg("dangling", "false"))})
	require.NoError(t, err)
	t.Logf("%d records pruned at the end", len(report.ImagesDeleted))
	assert.Empty(t, blobsOnDisk(t, s), "once every image is pruned, no blob is left")
	checkCatalog(t, s, true)
}
