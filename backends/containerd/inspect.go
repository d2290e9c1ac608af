package containerd

import (
	"context"
	"slices"

	"github.com/containerd/platforms"

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
	snap, c, err := s.records(ctx)
	if err != nil {
		return nil, err
	}
	img, err := snap.resolve(ref)
	if err != nil {
		return nil, err
	}
	if err := s.describeImages(ctx, c, []*image{img}); err != nil {
		return nil, err
	}
	return s.inspect(ctx, snap, img, ref, opts)
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
	m := info.bestManifest()
	if opts.Platform != nil {
		want := platforms.Normalize(*opts.Platform)
		matcher := platforms.Only(want)
		m = nil
		for i := range info.manifests {
			c := &info.manifests[i]
			if c.Kind != imagesvc.KindImage || c.Config == nil || !matcher.Match(c.Platform) {
				continue
			}
			if m == nil || matcher.Less(c.Platform, m.Platform) {
				m = c
			}
		}
		if m == nil {
			return nil, imagesvc.PlatformNotFound(ref.String(), *opts.Platform)
		}
		out.ID = m.Descriptor.Digest
		out.Descriptor = model.CloneDescriptor(m.Descriptor)
	}
	if m != nil {
		out.Size = m.summary().Size.Total
		cfg := m.Config
		out.Config = cfg.Config
		out.Config.Labels = cloneMap(cfg.Config.Labels)
		out.Config.Env = slices.Clone(cfg.Config.Env)
		out.Config.Cmd = slices.Clone(cfg.Config.Cmd)
		out.Config.Entrypoint = slices.Clone(cfg.Config.Entrypoint)
		out.Config.OnBuild = slices.Clone(cfg.Config.OnBuild)
		out.Config.Shell = slices.Clone(cfg.Config.Shell)
		if cfg.Created != nil {
			out.Created = *cfg.Created
		}
		out.Author = cfg.Author
		out.Architecture = cfg.Architecture
		out.Variant = cfg.Variant
		out.OS = cfg.OS
		out.OSVersion = cfg.OSVersion
		out.DockerVersion = cfg.DockerVersion
		if n := len(cfg.History); n > 0 {
			out.Comment = cfg.History[n-1].Comment
		}
		out.RootFS = imagesvc.RootFS{Type: cfg.RootFS.Type, Layers: slices.Clone(cfg.RootFS.DiffIDs)}
		if out.Parent == "" && cfg.Parent != "" {
			out.Parent = cfg.Parent
		}
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

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
