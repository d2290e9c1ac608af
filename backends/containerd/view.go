package containerd

import (
	"context"
	"fmt"
	"sync"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
)

// fillWalkThreshold is the number of images to describe above which a fill lists the
// whole content store once instead of asking about each blob.
const fillWalkThreshold = 8

// records syncs the cache with containerd's events (one call: a barrier) and returns the
// image records with the cache to use. In sync, the records come from the cache, kept by
// image events: only the records named by events since the last view are read again (all
// of them at first). Out of sync, every record is listed and a throwaway cache returned
// (work from scratch, keep nothing).
func (s *Store) records(ctx context.Context) (*snapshot, *cache, error) {
	if !s.events.sync(ctx) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		snap, err := s.listRecords(ctx)
		if err != nil {
			return nil, nil, err
		}
		return snap, newCache(), nil
	}
	c := s.cache
	loaded, dirty, gen, epoch := c.recordState()
	var full []images.Image
	if loaded && len(dirty) > 0 && len(dirty) <= maxRecordGets {
		m, err := s.getRecords(ctx, dirty)
		if err != nil {
			return nil, nil, err
		}
		if !c.applyRecords(false, m, gen, epoch) {
			loaded = false // the cache was reset meanwhile: list everything
		}
	}
	if !loaded || len(dirty) > maxRecordGets {
		recs, err := s.client.ImageService().List(ctx)
		if err != nil {
			return nil, nil, ctxErr(ctx, fmt.Errorf("listing images: %w", err))
		}
		recs = withoutPullRecords(recs)
		m := make(map[string]*images.Image, len(recs))
		for i := range recs {
			m[recs[i].Name] = &recs[i]
		}
		if !c.applyRecords(true, m, gen, epoch) {
			full = recs
		}
	}
	if full != nil {
		// The cache was reset while the records were read: events may have been lost
		// in between, so nothing read now may be kept.
		return group(full, &s.names), newCache(), nil
	}
	snap := c.snapshot(&s.names)
	c.prune(snap.byTarget)
	out := snap.clone()
	out.cached = true
	return out, c, nil
}

// maxRecordGets is the number of changed records above which a view lists every record
// rather than reading the changed ones.
const maxRecordGets = 32

// getRecords reads the records of names (nil for those that do not exist).
func (s *Store) getRecords(ctx context.Context, names []string) (map[string]*images.Image, error) {
	var mu sync.Mutex
	out := make(map[string]*images.Image, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, name := range names {
		g.Go(func() error {
			r, err := s.client.ImageService().Get(gctx, name)
			switch {
			case err == nil:
				mu.Lock()
				out[name] = &r
				mu.Unlock()
			case errdefs.IsNotFound(err):
				mu.Lock()
				out[name] = nil
				mu.Unlock()
			default:
				return fmt.Errorf("reading image %s: %w", name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, ctxErr(ctx, err)
	}
	return out, nil
}

// describeImages attaches its description to each image: from c when it holds one valid
// for the image's records, else computed (concurrently, at most Options.FillConcurrency
// at a time) and stored in c.
func (s *Store) describeImages(ctx context.Context, c *cache, imgs []*image) error {
	var missing []*image
	for _, img := range imgs {
		if img.info = c.lookup(img.target, img.key); img.info == nil {
			missing = append(missing, img)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return s.fill(ctx, c, missing)
}

// view lists the image records and describes every image. Warm, it costs one containerd
// call: the barrier that syncs the cache with the events.
func (s *Store) view(ctx context.Context) (*snapshot, error) {
	snap, c, err := s.records(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.describeImages(ctx, c, snap.images); err != nil {
		return nil, err
	}
	return snap, nil
}

// fill describes the images and stores the descriptions in c.
func (s *Store) fill(ctx context.Context, c *cache, imgs []*image) error {
	epoch, gen := c.begin()
	defer c.end()
	var p presence
	if len(imgs) > fillWalkThreshold {
		var err error
		if p, err = s.walkContent(ctx); err != nil {
			return ctxErr(ctx, err)
		}
	}
	limit := s.opts.FillConcurrency
	if limit <= 0 {
		limit = DefaultFillConcurrency
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, img := range imgs {
		g.Go(func() error {
			// Concurrent views share one description of a target. It runs detached from
			// the caller that started it (but not from Close), so that a caller giving up
			// does not fail the others.
			ch := s.describeGroup.DoChan(img.target.String(), func() (any, error) {
				dctx, cancel := context.WithCancel(context.WithoutCancel(gctx))
				defer cancel()
				defer context.AfterFunc(s.ctx, cancel)()
				return s.describe(dctx, c, img.records[0].Target, p, gen)
			})
			var res singleflight.Result
			select {
			case res = <-ch:
			case <-gctx.Done():
				return gctx.Err()
			}
			if res.Err != nil {
				return res.Err
			}
			img.info = res.Val.(*targetInfo)
			c.store(img.info, img.key, epoch, gen)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return ctxErr(ctx, fmt.Errorf("describing images: %w", err))
	}
	return nil
}
