package imagesvctest

import (
	"context"
	"fmt"
	"sync"
	"testing"

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
