package containerd

import (
	"context"
	"slices"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// Inspect returns the image ref resolves to, resolved as Docker's containerd store does
// (see [imagesvc.ImageRef]): a digest matches record targets (index or manifest digests,
// never config digests), a name matches one record, and a short ID matches target digest
// prefixes.
func (s *Store) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	snap, _, img, err := s.resolveDescribed(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.inspect(ctx, snap, img, ref, opts)
}

// resolveDescribed resolves ref among the namespace's records and describes the image it
// names (from the cache when it can): what inspect, history and tag start from.
func (s *Store) resolveDescribed(ctx context.Context, ref imagesvc.ImageRef) (*snapshot, *cache, *image, error) {
	snap, c, err := s.records(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	img, err := snap.resolve(ref)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.describeImages(ctx, c, []*image{img}); err != nil {
		return nil, nil, nil, err
	}
	return snap, c, img, nil
}

// inspect builds the inspect result of img.
func (s *Store) inspect(ctx context.Context, snap *snapshot, img *image, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	info := img.info
	out := &imagesvc.Image{
		ID:          img.target,
		RepoTags:    slices.Clone(img.names),
		RepoDigests: snap.inspectRepoDigests(img),
		Parent:      parentOf(img),
		Size:        info.size,
		Driver:      s.snapshotter,
		LastTagTime: img.updated,
		Descriptor:  model.CloneDescriptor(info.target),
	}
	if out.RepoTags == nil {
		out.RepoTags = []string{}
	}
	idx := info.best
	if opts.Platform != nil {
		if idx = model.SelectPlatform(info.view, *opts.Platform); idx < 0 {
			return nil, imagesvc.PlatformNotFound(ref.String(), *opts.Platform)
		}
		m := &info.manifests[idx]
		out.ID = m.Descriptor.Digest
		out.Descriptor = model.CloneDescriptor(m.Descriptor)
	}
	if idx >= 0 {
		m := &info.manifests[idx]
		out.Size = info.view[idx].Total()
		model.ConfigOf(m.Config).Fill(out)
		if m.Available {
			out.Identity = snap.identity(img, m.sources)
		}
	}
	if opts.Manifests {
		usage, err := s.containerUsage(ctx, snap, []*image{img})
		if err != nil {
			return nil, err
		}
		out.Manifests = manifestSummaries(snap, img, usage, true)
	}
	return out, nil
}
