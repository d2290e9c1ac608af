package containerd

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// recordStore is [model.Store] over containerd's image service and content store, for
// one operation of the Store, which holds lockWrites meanwhile. Every read goes to the
// daemon, so that the operation sees its own changes at once; the list cache learns of
// them from containerd's events like of any other change.
type recordStore struct {
	s       *Store
	changed bool // some record or content was changed
}

var _ model.Store = (*recordStore)(nil)

// toRecords returns the model's view of containerd image records.
func toRecords(recs []images.Image) []model.Record {
	out := make([]model.Record, len(recs))
	for i, r := range recs {
		out[i] = toRecord(r)
	}
	return out
}

// toRecord returns the model's view of a containerd image record.
func toRecord(r images.Image) model.Record {
	return model.Record{Name: r.Name, Target: r.Target.Digest, Created: r.CreatedAt}
}

// list lists the records that match the containerd filters (all when none), without the
// temporary records of transfers, in name order.
func (st *recordStore) list(ctx context.Context, fs ...string) ([]images.Image, error) {
	recs, err := st.s.client.ImageService().List(ctx, fs...)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("listing images: %w", err))
	}
	recs = withoutPullRecords(recs)
	slices.SortFunc(recs, func(a, b images.Image) int { return strings.Compare(a.Name, b.Name) })
	return recs, nil
}

// recordsOf returns the containerd records whose target is d, in name order.
func (st *recordStore) recordsOf(ctx context.Context, d digest.Digest) ([]images.Image, error) {
	return st.list(ctx, "target.digest=="+d.String())
}

// Record implements [model.Store].
func (st *recordStore) Record(ctx context.Context, name string) (model.Record, bool, error) {
	if isPullRecord(name) {
		return model.Record{}, false, nil
	}
	r, err := st.s.client.ImageService().Get(ctx, name)
	if errdefs.IsNotFound(err) {
		return model.Record{}, false, nil
	}
	if err != nil {
		return model.Record{}, false, ctxErr(ctx, fmt.Errorf("reading image %s: %w", name, err))
	}
	return toRecord(r), true, nil
}

// RecordsOf implements [model.Store].
func (st *recordStore) RecordsOf(ctx context.Context, d digest.Digest) ([]model.Record, error) {
	recs, err := st.recordsOf(ctx, d)
	if err != nil {
		return nil, err
	}
	return toRecords(recs), nil
}

// TargetsWithPrefix implements [model.Store] with the regular expression filter Docker
// uses.
func (st *recordStore) TargetsWithPrefix(ctx context.Context, hex string) ([]digest.Digest, error) {
	if len(hex) > 64 {
		return nil, nil
	}
	re := fmt.Sprintf(`^sha256:%s[0-9a-fA-F]{%d}$`, regexp.QuoteMeta(hex), 64-len(hex))
	recs, err := st.list(ctx, "target.digest~="+strconv.Quote(re))
	if err != nil {
		return nil, err
	}
	var out []digest.Digest
	for _, r := range recs {
		if !slices.Contains(out, r.Target.Digest) {
			out = append(out, r.Target.Digest)
		}
	}
	return out, nil
}

// Parent implements [model.Store]: the parent label of the first record of d that has
// one.
func (st *recordStore) Parent(ctx context.Context, d digest.Digest) (digest.Digest, error) {
	recs, err := st.recordsOf(ctx, d)
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if p, err := digest.Parse(r.Labels[model.LabelParent]); err == nil {
			return p, nil
		}
	}
	return "", nil
}

// HasChildren implements [model.Store].
func (st *recordStore) HasChildren(ctx context.Context, d digest.Digest) (bool, error) {
	recs, err := st.list(ctx, fmt.Sprintf("labels.%q==%q", model.LabelParent, d.String()))
	if err != nil {
		return false, err
	}
	return len(recs) > 0, nil
}

// DeleteRecord implements [model.Store]. The deletion names the target it expects, so
// that a record moved meanwhile by another client stays (containerd 2.x checks it; 1.6
// ignores it); a record already gone is not an error.
func (st *recordStore) DeleteRecord(ctx context.Context, r model.Record, last bool) error {
	opts := []images.DeleteOpt{images.DeleteTarget(&ocispec.Descriptor{Digest: r.Target})}
	if last {
		opts = append(opts, images.SynchronousDelete())
	}
	st.changed = true
	err := st.s.client.ImageService().Delete(ctx, r.Name, opts...)
	if err != nil && !errdefs.IsNotFound(err) {
		return ctxErr(ctx, fmt.Errorf("deleting image %s: %w", r.Name, err))
	}
	st.s.unrecorded(r.Name)
	if last {
		st.s.cache.forget(r.Target)
	}
	return nil
}

// KeepDangling implements [model.Store].
func (st *recordStore) KeepDangling(ctx context.Context, r model.Record) error {
	recs, err := st.recordsOf(ctx, r.Target)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("image %s: %w", r.Target, errdefs.ErrNotFound)
	}
	from := recs[0]
	for _, rec := range recs {
		if rec.Name == r.Name {
			from = rec
		}
	}
	st.changed = true
	if err := st.s.ensureDangling(ctx, from); err != nil {
		return ctxErr(ctx, err)
	}
	return nil
}

// DeletePlatform implements [model.Store], as Docker's deleteImagePlatformByImageID: the
// best available manifest of the image that matches p strictly, then every present blob
// under it, deleted directly from the content store.
func (st *recordStore) DeletePlatform(ctx context.Context, d digest.Digest, p ocispec.Platform) ([]digest.Digest, bool, error) {
	recs, err := st.recordsOf(ctx, d)
	if err != nil {
		return nil, false, err
	}
	if len(recs) == 0 {
		return nil, false, fmt.Errorf("image %s: %w", d, errdefs.ErrNotFound)
	}
	v := st.s.newContentView(nil)
	ms, err := model.ReadManifests(ctx, v, recs[0].Target, model.ReadOptions{Logger: st.s.log})
	if err != nil {
		return nil, false, ctxErr(ctx, fmt.Errorf("reading image %s: %w", d, err))
	}
	matcher := platforms.OnlyStrict(p)
	var best *model.ManifestInfo
	for i := range ms {
		m := &ms[i]
		if !m.Available || m.Kind != imagesvc.KindImage || !matcher.Match(m.Platform) {
			continue
		}
		if best == nil || matcher.Less(m.Platform, best.Platform) {
			best = m
		}
	}
	if best == nil {
		return nil, false, nil
	}
	blobs, err := walkPresent(ctx, v, best.Descriptor)
	if err != nil {
		return nil, false, ctxErr(ctx, err)
	}
	cs := st.s.client.ContentStore()
	var deleted []digest.Digest
	for _, b := range blobs {
		st.changed = true
		if err := cs.Delete(ctx, b.Digest); err != nil {
			if errdefs.IsNotFound(err) {
				continue
			}
			return nil, false, ctxErr(ctx, fmt.Errorf("deleting %s: %w", b.Digest, err))
		}
		if images.IsManifestType(b.MediaType) || images.IsIndexType(b.MediaType) {
			deleted = append(deleted, b.Digest)
		}
	}
	return deleted, true, nil
}

// walkPresent returns the blobs of the tree under root that the content store has, each
// once, depth first, parents before their children (Docker's walkPresentChildren).
func walkPresent(ctx context.Context, v *contentView, root ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	seen := map[digest.Digest]bool{}
	err := images.Walk(ctx, images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if seen[desc.Digest] {
			return nil, images.ErrSkipDesc
		}
		seen[desc.Digest] = true
		if _, err := v.Info(ctx, desc.Digest); err != nil {
			if errdefs.IsNotFound(err) {
				return nil, images.ErrSkipDesc
			}
			return nil, err
		}
		out = append(out, desc)
		if !images.IsManifestType(desc.MediaType) && !images.IsIndexType(desc.MediaType) {
			return nil, nil
		}
		children, err := images.Children(ctx, v, desc)
		if errdefs.IsNotFound(err) {
			return nil, nil
		}
		return children, err
	}), root)
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", root.Digest, err)
	}
	return out, nil
}

// hostContainers returns the containers Docker's remove and prune rules consult: the
// usage provider's when it implements [imagesvc.ContainerLister]; none when it does not;
// without a provider, containerd's own containers of the namespace (see
// [Store.containerdContainers]). The Store's root filesystem views are added in every
// case, as stopped containers (see [Store.viewContainers]).
func (s *Store) hostContainers(ctx context.Context) ([]imagesvc.Container, error) {
	var (
		ctrs []imagesvc.Container
		err  error
	)
	if s.opts.Usage != nil {
		ctrs, err = model.HostContainers(ctx, s.opts.Usage)
	} else {
		ctrs, err = s.containerdContainers(ctx)
	}
	if err != nil {
		return nil, err
	}
	views, err := s.viewContainers(ctx)
	if err != nil {
		return nil, err
	}
	return append(ctrs, views...), nil
}

// containerdContainers returns containerd's containers of the namespace as Docker's
// rules see containers: ImageID is the target of the record the container's Image field
// names (or the digest of a digest reference whose record is gone), Image is that name,
// and the container runs while its task is running, pausing or paused. It costs a call
// to list the containers, and when there are some, one to list the tasks and one per
// distinct image name.
func (s *Store) containerdContainers(ctx context.Context) ([]imagesvc.Container, error) {
	cs, err := s.client.ContainerService().List(ctx)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("listing containers: %w", err))
	}
	if len(cs) == 0 {
		return nil, nil
	}
	resp, err := s.client.TaskService().List(ctx, &tasksapi.ListTasksRequest{})
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("listing tasks: %w", errgrpc.ToNative(err)))
	}
	running := map[string]bool{}
	for _, t := range resp.Tasks {
		switch t.Status {
		case tasktypes.Status_RUNNING, tasktypes.Status_PAUSED, tasktypes.Status_PAUSING:
			running[t.ID] = true
		}
	}
	targets := map[string]digest.Digest{}
	out := make([]imagesvc.Container, 0, len(cs))
	for _, c := range cs {
		id, ok := targets[c.Image]
		if !ok && c.Image != "" {
			r, err := s.client.ImageService().Get(ctx, c.Image)
			switch {
			case err == nil:
				id = r.Target.Digest
			case errdefs.IsNotFound(err):
				if ref, err := reference.ParseNormalizedNamed(c.Image); err == nil {
					if dg, ok := ref.(reference.Digested); ok {
						id = dg.Digest()
					}
				}
			default:
				return nil, ctxErr(ctx, fmt.Errorf("reading image %s of container %s: %w", c.Image, c.ID, err))
			}
			targets[c.Image] = id
		}
		out = append(out, imagesvc.Container{ID: c.ID, ImageID: id, Image: c.Image, Running: running[c.ID]})
	}
	return out, nil
}

// presentTree records what pruning the image whose target is target may free: the
// present blobs of its tree (walk order) and the usage of every layer chain of each of
// its configs (0 for a chain that is not unpacked).
func (s *Store) presentTree(ctx context.Context, target ocispec.Descriptor) ([]ocispec.Descriptor, map[digest.Digest]int64, error) {
	v := s.newContentView(nil)
	blobs, err := walkPresent(ctx, v, target)
	if err != nil {
		return nil, nil, err
	}
	chains := map[digest.Digest]int64{}
	sn := s.client.SnapshotService(s.snapshotter)
	for _, b := range blobs {
		if !images.IsConfigType(b.MediaType) {
			continue
		}
		cfg, err := model.ReadConfig(ctx, v, b)
		if err != nil {
			if errdefs.IsNotFound(err) || errdefs.IsInvalidArgument(err) {
				continue
			}
			return nil, nil, fmt.Errorf("reading config %s: %w", b.Digest, err)
		}
		for _, ch := range chainIDs(cfg.RootFS.DiffIDs) {
			if _, ok := chains[ch]; ok {
				continue
			}
			u, err := sn.Usage(ctx, ch.String())
			switch {
			case err == nil:
				chains[ch] = u.Size
			case errdefs.IsNotFound(err):
				chains[ch] = 0
			default:
				return nil, nil, fmt.Errorf("snapshot usage of %s: %w", ch, err)
			}
		}
	}
	return blobs, chains, nil
}

// gone reports which of the blobs and snapshots are no longer there.
func (s *Store) gone(ctx context.Context, blobs []ocispec.Descriptor, chains map[digest.Digest]int64) (goneBlobs []ocispec.Descriptor, goneChains []digest.Digest) {
	cs := s.client.ContentStore()
	for _, b := range blobs {
		if _, err := cs.Info(ctx, b.Digest); errdefs.IsNotFound(err) {
			goneBlobs = append(goneBlobs, b)
		}
	}
	sn := s.client.SnapshotService(s.snapshotter)
	for ch := range chains {
		if _, err := sn.Usage(ctx, ch.String()); errdefs.IsNotFound(err) {
			goneChains = append(goneChains, ch)
		}
	}
	return goneBlobs, goneChains
}

// chainIDs returns the layer chain IDs of diffIDs, bottom first, leaving diffIDs as it is.
func chainIDs(diffIDs []digest.Digest) []digest.Digest {
	return identity.ChainIDs(slices.Clone(diffIDs))
}

// isCanceled reports whether err is a context's end.
func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
