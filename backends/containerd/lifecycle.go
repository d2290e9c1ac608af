package containerd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/model"
)

var (
	_ imagesvc.Remover   = (*Store)(nil)
	_ imagesvc.Tagger    = (*Store)(nil)
	_ imagesvc.Pruner    = (*Store)(nil)
	_ imagesvc.Historian = (*Store)(nil)
)

// removeRetries is how many times Remove starts again when the records changed behind
// its back between its reads, before it gives up (Docker retries three times).
const removeRetries = 3

// Remove removes images with the rules of Docker's containerd image store (see
// [imagesvc.Remover]). Records are deleted from containerd's image service; the last
// record of an image is deleted synchronously, so that containerd's garbage collection
// has released the content and snapshots no other image uses when Remove returns. A
// platform delete removes the platform's blobs from the content store directly, as Docker
// does, even those other images share.
//
// Containers are those of the usage provider when it implements
// [imagesvc.ContainerLister] (none when it does not), else containerd's own containers of
// the namespace.
func (s *Store) Remove(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ctrs, err := s.hostContainers(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		st := &recordStore{s: s}
		out, evs, err := eventlog.Remove(ctx, st, ctrs, ref, opts)
		if err != nil && errdefs.IsAborted(err) && !st.changed && attempt < removeRetries {
			continue
		}
		s.publish(evs...)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		return out, nil
	}
}

// Tag names the image source resolves to target (see [imagesvc.Tagger]), as Docker's
// createOrReplaceImage does: a new record with the labels of the image's first record
// (in name order); a name that pointed at another image moves, and that image keeps a
// dangling record if it was its last name; the image's own dangling record goes.
func (s *Store) Tag(ctx context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	target, err := model.TagTarget(target)
	if err != nil {
		return err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	_, _, img, err := s.resolveDescribed(ctx, source)
	if err != nil {
		return err
	}
	if !model.HasAvailableImage(img.info.view, (*model.Manifest).View) {
		return imagesvc.PlatformNotFound(model.DisplayName(source, img.names, img.target), ocispec.Platform{})
	}
	first := img.records[0]
	if _, err = s.createOrReplace(ctx, images.Image{Name: target.String(), Target: first.Target, Labels: first.Labels}); err != nil {
		return err
	}
	s.publish(eventlog.Tag(first.Target.Digest, target, img.info.bestLabels()))
	return nil
}

// createOrReplace creates the record rec (Docker's createOrReplaceImage). When the name
// exists with the same target nothing changes and it returns false; with another target,
// the old record is deleted (its image kept dangling when it was its last record) and
// rec created. The dangling record of rec's target is then deleted.
func (s *Store) createOrReplace(ctx context.Context, rec images.Image) (bool, error) {
	return s.moveName(ctx, rec, true)
}

// Prune removes the unused images that match opts (see [imagesvc.Pruner]), with the rules
// of Docker's containerd image store: candidates in name order, containers from the
// usage provider (when it implements [imagesvc.ContainerLister]) or containerd's own.
// Each record is deleted synchronously; the report counts the blobs and snapshots that
// were really released.
//
// Docker also deletes its pulls' leases (label moby/prune.images) on a prune. This Store
// creates no such lease: its pulls and imports release their own when they end, so
// nothing is left to delete, and leases of other programs sharing the namespace are left
// alone.
func (s *Store) Prune(ctx context.Context, opts imagesvc.PruneOptions) (*imagesvc.PruneReport, error) {
	if err := s.pruneGate.Enter(); err != nil {
		return nil, err
	}
	defer s.pruneGate.Exit()
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := model.CompilePruneFilter(ctx, opts, time.Now)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	snap, c, err := s.records(ctx)
	if err != nil {
		return nil, err
	}

	var (
		all    []model.Record
		recs   = map[string]images.Image{}
		labels = map[digest.Digest][]map[string]string{}
	)
	var described []*image
	for _, img := range snap.images {
		if f.NeedsLabels() && (!f.DanglingOnly() || slices.ContainsFunc(img.records, func(r images.Image) bool { return isDangling(r.Name) })) {
			described = append(described, img)
		}
		for _, r := range img.records {
			all = append(all, toRecord(r))
			recs[r.Name] = r
		}
	}
	slices.SortFunc(all, func(a, b model.Record) int { return strings.Compare(a.Name, b.Name) })
	if len(described) > 0 {
		if err := s.describeImages(ctx, c, described); err != nil {
			return nil, err
		}
		for _, img := range described {
			labels[img.target] = img.info.configLabels
		}
	}
	var candidates []model.Record
	for _, r := range all {
		if f.Match(r, labels[r.Target]) {
			candidates = append(candidates, r)
		}
	}
	if len(candidates) == 0 {
		return &imagesvc.PruneReport{}, nil
	}
	ctrs, err := s.hostContainers(ctx)
	if err != nil {
		return nil, err
	}
	report := &imagesvc.PruneReport{}
	var errs []error
	for _, r := range model.PruneCandidates(all, candidates, ctrs) {
		if err := s.pruneRecord(ctx, recs[r.Name], report); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil || isCanceled(err) {
				break
			}
		}
	}
	if len(errs) > 0 {
		return nil, ctxErr(ctx, errors.Join(errs...))
	}
	return report, nil
}

// pruneRecord deletes one record for Prune and adds what it freed to report (Docker's
// pruneAll, for one image).
func (s *Store) pruneRecord(ctx context.Context, rec images.Image, report *imagesvc.PruneReport) error {
	blobs, chains, err := s.presentTree(ctx, rec.Target)
	if err != nil {
		return fmt.Errorf("pruning %s: %w", rec.Name, err)
	}
	err = s.client.ImageService().Delete(ctx, rec.Name, images.SynchronousDelete(), images.DeleteTarget(&rec.Target))
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("pruning %s: %w", rec.Name, err)
	}
	s.unrecorded(rec.Name)
	report.ImagesDeleted = append(report.ImagesDeleted, imagesvc.DeleteResponse{Untagged: toRecord(rec).Familiar()})
	goneBlobs, goneChains := s.gone(ctx, blobs, chains)
	freed := false
	for _, b := range goneBlobs {
		report.SpaceReclaimed += uint64(max(b.Size, 0))
		if images.IsManifestType(b.MediaType) || images.IsIndexType(b.MediaType) {
			report.ImagesDeleted = append(report.ImagesDeleted, imagesvc.DeleteResponse{Deleted: b.Digest})
			freed = true
		}
	}
	s.publish(eventlog.Pruned(toRecord(rec), freed)...)
	for _, ch := range goneChains {
		report.SpaceReclaimed += uint64(max(chains[ch], 0))
	}
	if len(goneBlobs) > 0 || len(goneChains) > 0 {
		s.cache.forget(rec.Target.Digest)
	}
	return nil
}

// History returns the history of the image ref resolves to (see [imagesvc.Historian]),
// from the config of its best manifest for the host, or of opts.Platform's (matched as
// platforms.Only does). Sizes are the snapshotter's usage of each layer's chain. For
// images built by Docker's classic builder, the entries below the newest carry the IDs
// and names of the parent chain (record label org.mobyproject.image.parent), as Docker
// shows them.
func (s *Store) History(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.HistoryOptions) ([]imagesvc.HistoryItem, error) {
	if opts.Platform != nil {
		if err := imagesvc.ValidatePlatform(*opts.Platform); err != nil {
			return nil, err
		}
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	snap, c, img, err := s.resolveDescribed(ctx, ref)
	if err != nil {
		return nil, err
	}
	info := img.info
	m := info.bestManifest()
	if opts.Platform != nil {
		m = nil
		if i := model.SelectPlatform(info.view, *opts.Platform); i >= 0 {
			m = &info.manifests[i]
		}
	}
	if m == nil {
		var want ocispec.Platform
		if opts.Platform != nil {
			want = *opts.Platform
		}
		return nil, imagesvc.PlatformNotFound(model.DisplayName(ref, img.names, img.target), want)
	}
	cfg := m.Config
	sizes := map[digest.Digest]int64{}
	if len(cfg.History) > 0 {
		_, gen := c.begin()
		defer c.end()
		for _, ch := range chainIDs(cfg.RootFS.DiffIDs) {
			n, err := s.chainUsage(ctx, c, ch, gen)
			if err != nil {
				return nil, fmt.Errorf("%w: failed to calculate disk usage of chain: %w", errdefs.ErrInternal, err)
			}
			sizes[ch] = max(n, 0)
		}
	}
	items, err := model.History(img.target, recordTags(snap, img), cfg.RootFS, cfg.History, func(ch digest.Digest) int64 { return sizes[ch] })
	if err != nil {
		return nil, err
	}
	// Docker's classic builder chain: each older entry is the parent of the one above,
	// as long as there is one.
	cur := resolvedRecord(snap, img, ref)
	rec, _ := snap.recordNamed(cur.Name)
	_ = model.ParentChain(items, img.target, func(digest.Digest) (digest.Digest, []string, bool, error) {
		p, err := digest.Parse(rec.Labels[model.LabelParent])
		if err != nil {
			return "", nil, false, nil
		}
		parent := snap.target(p)
		if parent == nil {
			return "", nil, false, nil
		}
		// The next step follows the parent's record that carries the label, as Docker's.
		rec = parent.records[0]
		for _, r := range parent.records {
			if _, ok := r.Labels[model.LabelParent]; ok {
				rec = r
			}
		}
		return p, recordTags(snap, parent), true, nil
	})
	return items, nil
}

// recordTags returns the names of img as history shows them: familiar, digest names
// included, in record order; nil for a dangling image.
func recordTags(snap *snapshot, img *image) []string {
	var out []string
	for _, r := range img.records {
		if isDangling(r.Name) {
			continue
		}
		if p := snap.names.get(r.Name); p.ok {
			out = append(out, p.familiar)
		}
	}
	return out
}

// resolvedRecord returns the record of img that Docker's resolveImage picks for ref, whose
// familiar name its messages show: the record ref names exactly; for a digest reference
// with a name, the first record of that repository; else the first record.
func resolvedRecord(snap *snapshot, img *image, ref imagesvc.ImageRef) model.Record {
	pick := img.records[0]
	if t := ref.Tagged(); t != nil && ref.Digest() == "" {
		if r, ok := snap.recordNamed(t.String()); ok && r.Target.Digest == img.target {
			pick = r
		}
	} else if named := ref.Named(); named != nil {
		for _, r := range img.records {
			if p := snap.names.get(r.Name); p.ok && p.repo == named.Name() {
				pick = r
				break
			}
		}
	}
	return toRecord(pick)
}

// recordNamed returns the record named name.
func (snap *snapshot) recordNamed(name string) (images.Image, bool) {
	img := snap.named(name)
	if img == nil {
		return images.Image{}, false
	}
	for _, r := range img.records {
		if r.Name == name {
			return r, true
		}
	}
	return images.Image{}, false
}
