package containerd

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// List returns the images that match opts, newest first, with the semantics of Docker's
// containerd image store (spec §2). Warm, it costs one containerd call (the barrier that
// syncs the cache with the events; see the package documentation); records named by
// events since the last list are read again, and the descriptions of images that are new,
// or whose content or snapshots changed, are computed and cached.
func (s *Store) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	snap, err := s.view(ctx)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, snap, opts)
}

// list is List on the records of snap.
func (s *Store) list(ctx context.Context, snap *snapshot, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	m, err := filters.Compile(ctx, opts.Filters, filters.CompileOptions{
		Resolve: func(_ context.Context, ref string) (time.Time, error) {
			r, err := imagesvc.ParseImageRef(ref)
			if err != nil {
				return time.Time{}, err
			}
			img, err := snap.resolve(r)
			if err != nil {
				return time.Time{}, err
			}
			return img.info.created, nil
		},
	})
	if err != nil {
		return nil, err
	}

	parents := map[digest.Digest]bool{}
	for _, img := range snap.images {
		if p := parentOf(img); p != "" {
			parents[p] = true
		}
	}
	var kept []*image
	for _, img := range snap.images {
		if !opts.All && img.dangling && parents[img.target] {
			continue
		}
		fi := filters.Image{
			ID:            img.target,
			Names:         img.names,
			Dangling:      img.dangling,
			Labels:        img.info.configLabels,
			Created:       img.info.created,
			RecordCreated: img.created,
		}
		if m.Match(&fi) {
			kept = append(kept, img)
		}
	}
	usage, err := s.containerUsage(ctx, snap, kept)
	if err != nil {
		return nil, err
	}
	refs := len(m.References()) > 0
	out := make([]imagesvc.Summary, len(kept))
	for i, img := range kept {
		summarize(snap, &out[i], img, m, refs, opts, usage)
	}
	if opts.SharedSize {
		sharedSizes(out, kept)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(out[b].Created.Unix(), out[a].Created.Unix()); c != 0 {
			return c
		}
		return cmp.Compare(out[a].ID, out[b].ID)
	})
	sorted := make([]imagesvc.Summary, len(out))
	for i, j := range order {
		sorted[i] = out[j]
	}
	return sorted, nil
}

// parentOf returns the parent of an image: the record label, else the label of the best
// config.
func parentOf(img *image) digest.Digest {
	if img.parent != "" {
		return img.parent
	}
	if img.info != nil && img.info.labels != nil {
		if d, err := digest.Parse(img.info.labels[labelParent]); err == nil {
			return d
		}
	}
	return ""
}

// summarize fills sum from img.
func summarize(snap *snapshot, sum *imagesvc.Summary, img *image, m *filters.Matcher, refs bool, opts imagesvc.ListOptions, usage map[digest.Digest][]string) {
	info := img.info
	sum.ID = img.target
	sum.ParentID = parentOf(img)
	sum.Created = info.created
	sum.Size = info.size
	sum.SharedSize = -1
	sum.Descriptor = model.CloneDescriptor(info.target)

	names := img.names
	if refs {
		names = m.MatchNames(names)
	}
	sum.RepoTags = slices.Clone(names)
	if sum.RepoTags == nil {
		sum.RepoTags = []string{}
	}
	switch {
	case info.listBest < 0:
		sum.RepoDigests = []string{img.target.String()}
	default:
		sum.RepoDigests = []string{}
		if rd := snap.listRepoDigest(names, img.target); rd != "" {
			sum.RepoDigests = []string{rd}
		}
		sum.Labels = maps.Clone(info.labels)
		if sum.Labels == nil {
			sum.Labels = map[string]string{}
		}
	}
	if usage != nil {
		sum.Containers = int64(len(containersOf(img, usage)))
	}
	if opts.Manifests {
		sum.Manifests = manifestSummaries(snap, img, usage, opts.Identity)
	}
}

// containersOf returns the distinct containers that use the image or one of its manifests.
func containersOf(img *image, usage map[digest.Digest][]string) []string {
	return model.ContainersOf(img.target, img.info.view, (*model.Manifest).View, usage)
}

// manifestSummaries describes the manifests of img.
func manifestSummaries(snap *snapshot, img *image, usage map[digest.Digest][]string, identity bool) []imagesvc.ManifestSummary {
	info := img.info
	var id func(int) *imagesvc.Identity
	if identity {
		id = func(i int) *imagesvc.Identity { return snap.identity(img, info.manifests[i].sources) }
	}
	return model.ManifestSummaries(info.view, usage, id)
}

// sharedSizes sets SharedSize as Docker's containerd store does, counting only across
// the listed images: the size of every blob, and the usage of every layer snapshot, that
// another listed image uses too.
func sharedSizes(out []imagesvc.Summary, imgs []*image) {
	fps := make([]*model.Footprint, len(imgs))
	for i, img := range imgs {
		fps[i] = &img.info.footprint
	}
	for i, n := range model.SharedSizes(fps) {
		out[i].SharedSize = n
	}
}

// containerUsage returns which containers use which image and manifest digests: from the
// usage provider when there is one (asked once, about every digest of imgs), else from
// containerd's container records, each counted for the best manifest of the image its
// Image field names; and the Store's root filesystem views (model.AddViewUsage).
func (s *Store) containerUsage(ctx context.Context, snap *snapshot, imgs []*image) (map[digest.Digest][]string, error) {
	if len(imgs) == 0 {
		return map[digest.Digest][]string{}, nil
	}
	u, err := s.containerUsers(ctx, snap, imgs)
	if err != nil {
		return nil, err
	}
	views, err := s.cachedViews(ctx, snap)
	if err != nil {
		return nil, err
	}
	return model.AddViewUsage(u, views), nil
}

// cachedViews returns the Store's views: from the cache when snap comes from it (the
// events keep both right), else from the daemon.
func (s *Store) cachedViews(ctx context.Context, snap *snapshot) ([]imagesvc.RootFSView, error) {
	if !snap.cached {
		return s.views(ctx)
	}
	vs, ok, gen := s.cache.cachedViews()
	if ok {
		return vs, nil
	}
	vs, err := s.views(ctx)
	if err != nil {
		return nil, err
	}
	s.cache.setViews(vs, gen)
	return vs, nil
}

// containerUsers returns the containers that use imgs: the usage provider's, else
// containerd's container records.
func (s *Store) containerUsers(ctx context.Context, snap *snapshot, imgs []*image) (map[digest.Digest][]string, error) {
	if s.opts.Usage != nil {
		var ds []digest.Digest
		for _, img := range imgs {
			ds = append(ds, img.target)
			for _, m := range img.info.manifests {
				if m.Descriptor.Digest != img.target {
					ds = append(ds, m.Descriptor.Digest)
				}
			}
		}
		u, err := s.opts.Usage.ContainersUsing(ctx, ds)
		if err != nil {
			return nil, fmt.Errorf("asking which containers use the images: %w", err)
		}
		if u == nil {
			u = map[digest.Digest][]string{}
		}
		return u, nil
	}
	records, ok := s.cache.containerImages()
	if !ok {
		cs, err := s.client.ContainerService().List(ctx)
		if err != nil {
			return nil, ctxErr(ctx, fmt.Errorf("listing containers: %w", err))
		}
		records = make(map[string]string, len(cs))
		for _, c := range cs {
			records[c.ID] = c.Image
		}
	}
	u := map[digest.Digest][]string{}
	ids := slices.Sorted(maps.Keys(records))
	for _, id := range ids {
		img := snap.named(records[id])
		if img == nil || img.info == nil {
			continue
		}
		d := img.target
		if b := img.info.bestManifest(); b != nil {
			d = b.Descriptor.Digest
		}
		u[d] = append(u[d], id)
	}
	return u, nil
}
