package imagesvctest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

// testConcurrency runs pulls (several of the same reference), imports, lists and inspects
// at the same time; run it under -race.
func (s *suite) testConcurrency(t *testing.T) {
	svc := s.service(t)
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		pulled  = map[digest.Digest]int{}
		imports []digest.Digest
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	done := make(chan struct{})

	pull := func(repo, tag string) {
		defer wg.Done()
		ref, err := imagesvc.ParsePullReference(s.w.ref(repo), tag, "")
		if err != nil {
			fail(err)
			return
		}
		rec := &recorder{}
		res, err := svc.Pull(ctx, imagesvc.PullRequest{Ref: ref}, rec.report)
		if err != nil {
			fail(fmt.Errorf("pull %s: %w", ref, err))
			return
		}
		if rec.overlap.Load() {
			fail(fmt.Errorf("pull %s: overlapping progress calls", ref))
		}
		mu.Lock()
		for _, p := range res {
			pulled[p.ID]++
		}
		mu.Unlock()
	}
	for range 4 {
		wg.Add(1)
		go pull("library/single", "1.0")
	}
	wg.Add(3)
	go pull("library/tags", "v1")
	go pull("library/tags", "v2")
	go pull("library/multi", "1.0")
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := importRequest(t, fmt.Sprintf("concurrent:%d", i), []string{fmt.Sprintf("ENV N=%d", i)}, rootfs())
			id, err := svc.Import(ctx, req, nil)
			if err != nil {
				fail(fmt.Errorf("import %d: %w", i, err))
				return
			}
			mu.Lock()
			imports = append(imports, id)
			mu.Unlock()
		}()
	}

	var readers sync.WaitGroup
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				sums, err := svc.List(ctx, imagesvc.ListOptions{Manifests: true, SharedSize: true})
				if err != nil {
					fail(fmt.Errorf("list: %w", err))
					return
				}
				for _, sum := range sums {
					if _, err := svc.Inspect(ctx, refOf(sum.ID), imagesvc.InspectOptions{}); err != nil {
						fail(fmt.Errorf("inspect %s, just listed: %w", sum.ID, err))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	require.Empty(t, errs)

	assert.Equal(t, 4, pulled[s.w.single.Descriptor.Digest], "every caller of a shared pull gets the result")
	want := []digest.Digest{s.w.single.Descriptor.Digest, s.w.tags["v1"].Descriptor.Digest, s.w.tags["v2"].Descriptor.Digest, s.w.multi.Descriptor.Digest}
	want = append(want, imports...)
	assert.ElementsMatch(t, want, ids(list(t, svc, imagesvc.ListOptions{})))
}

func refOf(id digest.Digest) imagesvc.ImageRef {
	r, err := imagesvc.ParseImageRef(id.String())
	if err != nil {
		panic(err) // an ID from List always parses
	}
	return r
}

// testLifecycleConcurrency runs removes, tags and prunes while pulls, imports, lists and
// inspects run, then checks that the store is consistent: every listed image inspects
// with its content available, and a pull racing a remove of the same name ends either with
// the image named and complete, or with the name gone. Run it under -race.
func (s *suite) testLifecycleConcurrency(t *testing.T) {
	svc := s.service(t)
	r := capability[imagesvc.Remover](t, svc, "Remover")
	ctx := context.Background()
	single := s.w.ref("library/single:1.0")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	const rounds = 8
	run := func(f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if err := f(i); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	pull := func(repo, tag string) error {
		ref, err := imagesvc.ParsePullReference(s.w.ref(repo), tag, "")
		if err != nil {
			return err
		}
		if _, err := svc.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil); err != nil {
			return fmt.Errorf("pull %s: %w", ref, err)
		}
		return nil
	}
	run(func(int) error { return pull("library/single", "1.0") })
	run(func(int) error { return pull("library/tags", "v1") })
	run(func(i int) error {
		_, err := svc.Import(ctx, importRequest(t, fmt.Sprintf("churn:%d", i%3), nil, rootfs()), nil)
		return err
	})
	run(func(int) error {
		for _, name := range []string{single, s.w.ref("library/tags:v1"), "churn:1"} {
			ref, _ := imagesvc.ParseImageRef(name)
			if _, err := r.Remove(ctx, ref, imagesvc.RemoveOptions{}); err != nil && !errdefs.IsNotFound(err) && !errdefs.IsConflict(err) {
				return fmt.Errorf("remove %s: %w", name, err)
			}
		}
		return nil
	})
	if tg, ok := imagesvc.As[imagesvc.Tagger](svc); ok {
		run(func(i int) error {
			src, _ := imagesvc.ParseImageRef(single)
			dst, _ := imagesvc.ParseTagReference(fmt.Sprintf("copy:%d", i%2), "")
			if err := tg.Tag(ctx, src, dst); err != nil && !errdefs.IsNotFound(err) {
				return fmt.Errorf("tag: %w", err)
			}
			return nil
		})
	}
	if p, ok := imagesvc.As[imagesvc.Pruner](svc); ok {
		run(func(int) error {
			if _, err := p.Prune(ctx, imagesvc.PruneOptions{}); err != nil {
				return fmt.Errorf("prune: %w", err)
			}
			return nil
		})
	}
	run(func(int) error {
		sums, err := svc.List(ctx, imagesvc.ListOptions{Manifests: true, SharedSize: true})
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		for _, sum := range sums {
			if _, err := svc.Inspect(ctx, refOf(sum.ID), imagesvc.InspectOptions{}); err != nil && !errdefs.IsNotFound(err) {
				return fmt.Errorf("inspect %s: %w", sum.ID, err)
			}
		}
		return nil
	})
	wg.Wait()
	require.Empty(t, errs)

	// A pull racing a remove of the same name: one consistent end.
	var race sync.WaitGroup
	race.Add(2)
	go func() {
		defer race.Done()
		if err := pull("library/single", "1.0"); err != nil {
			fail(err)
		}
	}()
	go func() {
		defer race.Done()
		ref, _ := imagesvc.ParseImageRef(single)
		if _, err := r.Remove(ctx, ref, imagesvc.RemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
			fail(fmt.Errorf("remove: %w", err))
		}
	}()
	race.Wait()
	require.Empty(t, errs)
	if img, err := inspect(t, svc, single, imagesvc.InspectOptions{Manifests: true}); err == nil {
		assert.Equal(t, s.w.single.Descriptor.Digest, img.ID)
		for _, m := range img.Manifests {
			assert.True(t, m.Available, "a named image is complete")
		}
	} else {
		assert.ErrorIs(t, err, errdefs.ErrNotFound)
	}

	// Every image left is whole (History, when the service has it, reads the config back),
	// and a pull still works.
	hist, _ := imagesvc.As[imagesvc.Historian](svc)
	for _, sum := range list(t, svc, imagesvc.ListOptions{All: true, Manifests: true}) {
		_, err := svc.Inspect(ctx, refOf(sum.ID), imagesvc.InspectOptions{})
		assert.NoError(t, err, "listed image %s", sum.ID)
		if hist != nil {
			_, err := hist.History(ctx, refOf(sum.ID), imagesvc.HistoryOptions{})
			assert.NoError(t, err, "history of listed image %s", sum.ID)
		}
		for _, m := range sum.Manifests {
			if m.Kind == imagesvc.KindImage {
				assert.True(t, m.Available, "image %s manifest %s", sum.ID, m.ID)
			}
		}
	}
	require.NoError(t, pull("library/single", "1.0"))
	img, err := inspect(t, svc, single, imagesvc.InspectOptions{Manifests: true})
	require.NoError(t, err)
	assert.True(t, img.Manifests[0].Available)
}
