package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/pull"
)

// Annotations and labels with a meaning for the catalog.
const (
	annotationReferenceType   = "vnd.docker.reference.type"
	annotationReferenceDigest = "vnd.docker.reference.digest"
	attestationManifestType   = "attestation-manifest"
	labelParent               = "org.mobyproject.image.parent"

	// labelUnpackedSize is the content store label that holds the uncompressed size of a
	// layer blob, in decimal bytes; the pull engine sets it, and the catalog sets it when
	// it computes the size itself, so that a layer is decompressed at most once.
	labelUnpackedSize = pull.LabelUnpackedSize
)

// record is what the catalog stores for an image (image_data.summary): everything List
// needs except the names, computed once when content arrives.
type record struct {
	// Target is the image's target descriptor; its digest is the image ID.
	Target ocispec.Descriptor `json:"target"`
	// Created is the best manifest's config creation time.
	Created *time.Time `json:"created,omitempty"`
	// Parent is the label org.mobyproject.image.parent of the best config.
	Parent digest.Digest `json:"parent,omitempty"`
	// Size is the total over all manifests of content plus unpacked sizes.
	Size int64 `json:"size"`
	// Best is the index in Manifests of the manifest inspect shows (model.InspectBest),
	// -1 when there is none.
	Best int `json:"best"`
	// ListBest is the index in Manifests of the manifest the list's Created and Labels
	// come from (model.ListBest), -1 when there is no image manifest. Records written
	// before it existed lack it: Best stands for it.
	ListBest *int `json:"listBest,omitempty"`
	// Manifests are the image's manifests in index order.
	Manifests []manifestRecord `json:"manifests"`
	// Sources are the canonical repositories the image was pulled from.
	Sources []string `json:"sources,omitempty"`

	// Sharing is stored apart (image_data.sharing) and read only for SharedSize.
	Sharing sharing `json:"-"`
}

// sharing is what SharedSize and DiskUsage need of an image (image_data.sharing): the
// distinct blobs present in the image's tree with their sizes, and the distinct layer
// chain IDs of the available image manifests with the uncompressed size of the chain's
// top layer (the store unpacks nothing: see DiskUsage).
type sharing = model.Footprint

// listBest returns the index of the manifest the list shows (see ListBest).
func (r *record) listBest() int {
	if r.ListBest != nil && *r.ListBest < len(r.Manifests) {
		return *r.ListBest
	}
	return r.Best
}

// views returns the shared view of the manifests.
func (r *record) views() []model.Manifest {
	out := make([]model.Manifest, len(r.Manifests))
	for i := range r.Manifests {
		out[i] = r.Manifests[i].Manifest
	}
	return out
}

// bestLabels returns the labels of the config of the manifest the list shows: nil when
// there is no image manifest, empty when that manifest's config is absent. It reads the
// compact form of a cached record (see entry).
func (r *record) bestLabels() labelPairs {
	i := r.listBest()
	if i < 0 || i >= len(r.Manifests) {
		return nil
	}
	return r.Manifests[i].pairs
}

// sized is a digest and a size.
type sized = model.Sized

// manifestRecord describes one manifest of an image: the shared view of it, and the
// labels of its config (meaningful when HasConfig).
type manifestRecord struct {
	model.Manifest
	Labels map[string]string `json:"labels,omitempty"`

	// pairs are the Labels of a cached record, in compact form (see entry.compact);
	// Labels is then nil.
	pairs labelPairs
}

// details is the inspect payload of an image (images.details): one entry per manifest of
// the record, nil where no config was read.
type details struct {
	Manifests []*model.Config `json:"manifests"`
}

// builder computes the record and details of an image from its content.
type builder struct {
	src      model.ContentStore
	platform ocispec.Platform // the host's, for the best manifest
	log      *slog.Logger
	// unpacked returns the uncompressed size and digest of a present layer blob that has
	// no labels saying so.
	unpacked func(ctx context.Context, desc ocispec.Descriptor) (int64, error)
	// missingTgtOK describes an image whose target is a manifest that is absent (its
	// platform was deleted) as one manifest that is not available, instead of failing.
	missingTgtOK bool
	// snapshotUsage, if not nil, returns the disk usage of the unpacked snapshot of a
	// layer chain (its own layer) and whether it is unpacked.
	snapshotUsage func(ctx context.Context, chain digest.Digest) (int64, bool)

	blobs  map[digest.Digest]int64 // present blobs of the tree and their sizes
	layers map[digest.Digest]int64 // unpacked sizes of the layers, as known
}

// recorder is the builder's view of its source: it notes every present blob the walk
// looks at (the image's tree), and the unpacked size labels of layers.
type recorder struct{ b *builder }

func (r recorder) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	info, err := r.b.src.Info(ctx, d)
	if err == nil {
		r.b.blobs[d] = info.Size
		if n, err := strconv.ParseInt(info.Labels[labelUnpackedSize], 10, 64); err == nil && n >= 0 {
			r.b.layers[d] = n
		}
	}
	return info, err
}

func (r recorder) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ra, err := r.b.src.ReaderAt(ctx, desc)
	if err == nil {
		r.b.blobs[desc.Digest] = ra.Size()
	}
	return ra, err
}

// build describes the image whose target is target. The target must be present; the
// rest of the tree may be partly missing (platforms not pulled). The manifests are read
// by the pull engine's reader (model.ReadManifests), so that every backend describes
// stored content alike.
func (b *builder) build(ctx context.Context, target ocispec.Descriptor) (*record, *details, error) {
	b.blobs = map[digest.Digest]int64{}
	b.layers = map[digest.Digest]int64{}
	r := recorder{b}
	if _, err := r.Info(ctx, target.Digest); err != nil && !(b.missingTgtOK && errdefs.IsNotFound(err) && images.IsManifestType(target.MediaType)) {
		return nil, nil, fmt.Errorf("image %s: %w", target.Digest, err)
	}
	if !images.IsIndexType(target.MediaType) && !images.IsManifestType(target.MediaType) {
		return nil, nil, fmt.Errorf("image %s: unsupported media type %q: %w", target.Digest, target.MediaType, errdefs.ErrInvalidArgument)
	}
	ms, err := model.ReadManifests(ctx, r, target, model.ReadOptions{UnpackedSize: b.unpackedSize, Logger: b.log})
	if err != nil {
		return nil, nil, err
	}

	rec := &record{Target: target, Best: -1}
	det := &details{Manifests: make([]*model.Config, len(ms))}
	chains := map[digest.Digest]bool{}
	views := make([]model.Manifest, len(ms))
	for i, mi := range ms {
		m := manifestRecord{Manifest: model.ManifestOf(mi)}
		if mi.Available && mi.Manifest != nil && mi.Config != nil {
			b.useSnapshotSizes(ctx, &ms[i])
			m.Manifest = model.ManifestOf(ms[i])
		}
		if cfg := mi.Config; m.HasConfig {
			m.Labels = cfg.Config.Labels
			det.Manifests[i] = model.ConfigOf(cfg)
			if mi.Available && mi.Manifest != nil {
				b.addChains(rec, chains, mi.Manifest.Layers, cfg.RootFS.DiffIDs)
			}
		}
		rec.Manifests = append(rec.Manifests, m)
		views[i] = m.Manifest
		rec.Size += m.Total()
	}
	rec.Best = model.InspectBest(views, b.platform)
	listBest := model.ListBest(views, b.platform)
	rec.ListBest = &listBest
	if listBest >= 0 && det.Manifests[listBest] != nil {
		rec.Created = det.Manifests[listBest].Created
		rec.Parent = digest.Digest(rec.Manifests[listBest].Labels[labelParent])
	}
	for _, mi := range ms {
		if mi.Available {
			b.addReferrers(ctx, r, mi.Descriptor.Digest)
		}
	}
	for d, n := range b.blobs {
		rec.Sharing.Blobs = append(rec.Sharing.Blobs, sized{Digest: d, Size: n})
	}
	slices.SortFunc(rec.Sharing.Blobs, func(x, y sized) int { return strings.Compare(string(x.Digest), string(y.Digest)) })
	return rec, det, nil
}

// addReferrers adds to the image's blobs the present referrers of the manifest d (an
// attestation that a save of one platform appended to its archive, recorded by a load)
// with their config and layers: containerd's collector keeps them with their subject
// through its referrer labels ([model.LabelReferrerPrefix]), and so does the catalog.
// What cannot be read is left out.
func (b *builder) addReferrers(ctx context.Context, r recorder, d digest.Digest) {
	info, err := b.src.Info(ctx, d)
	if err != nil {
		return
	}
	for k, v := range info.Labels {
		ref, err := digest.Parse(v)
		if !strings.HasPrefix(k, model.LabelReferrerPrefix) || err != nil {
			continue
		}
		if _, seen := b.blobs[ref]; seen {
			continue // in the image's tree already (an attestation listed in its index)
		}
		ri, err := r.Info(ctx, ref)
		if err != nil {
			continue
		}
		data, err := model.ReadMetadata(ctx, r, ocispec.Descriptor{Digest: ref, Size: ri.Size, MediaType: ocispec.MediaTypeImageManifest})
		if err != nil {
			continue
		}
		var m ocispec.Manifest
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		for _, c := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
			if c.Digest.Validate() == nil {
				r.Info(ctx, c.Digest) //nolint:errcheck // absent blobs are not the image's
			}
		}
	}
}

// addChains records the chain IDs of an available manifest's layers with the unpacked
// size of each chain's top layer, for SharedSize.
func (b *builder) addChains(rec *record, seen map[digest.Digest]bool, layers []ocispec.Descriptor, diffIDs []digest.Digest) {
	var known []ocispec.Descriptor
	for _, l := range layers {
		if images.IsLayerType(l.MediaType) {
			known = append(known, l)
		}
	}
	if len(known) != len(diffIDs) {
		return
	}
	ids := identity.ChainIDs(slices.Clone(diffIDs))
	for i, id := range ids {
		if !seen[id] {
			seen[id] = true
			rec.Sharing.Chains = append(rec.Sharing.Chains, sized{Digest: id, Size: b.layers[known[i].Digest]})
		}
	}
}

// useSnapshotSizes replaces the unpacked size of the manifest mi, computed from its
// layers' tar headers, with the disk usage of its snapshots when every layer is
// unpacked (Docker 29 reports the snapshotter's usage), and the sizes of its layers
// likewise, for the layer chains of SharedSize.
func (b *builder) useSnapshotSizes(ctx context.Context, mi *model.ManifestInfo) {
	if b.snapshotUsage == nil {
		return
	}
	var known []ocispec.Descriptor
	for _, l := range mi.Manifest.Layers {
		if images.IsLayerType(l.MediaType) {
			known = append(known, l)
		}
	}
	diffIDs := mi.Config.RootFS.DiffIDs
	if len(known) != len(diffIDs) || len(known) == 0 {
		return
	}
	ids := identity.ChainIDs(slices.Clone(diffIDs))
	sizes := make([]int64, len(ids))
	var total int64
	for i, id := range ids {
		n, ok := b.snapshotUsage(ctx, id)
		if !ok {
			return
		}
		sizes[i] = n
		total += n
	}
	for i, l := range known {
		b.layers[l.Digest] = sizes[i]
	}
	mi.Unpacked = total
}

// unpackedSize is the reader's fallback for layers without an unpacked size label.
func (b *builder) unpackedSize(ctx context.Context, d digest.Digest) (int64, bool) {
	if b.unpacked == nil {
		return 0, false
	}
	n, err := b.unpacked(ctx, ocispec.Descriptor{Digest: d, Size: b.blobs[d]})
	if err != nil {
		if b.log != nil {
			b.log.Warn("cannot compute the unpacked size of a layer", "digest", d, "error", err)
		}
		return 0, false
	}
	b.layers[d] = n
	return n, true
}

// layerUnpacked computes the uncompressed size of a layer in the store that the pull
// engine did not label (an import, content written by other means) by decompressing it,
// and labels it as the pull engine does, so that it is decompressed at most once.
func (s *Store) layerUnpacked(ctx context.Context, desc ocispec.Descriptor) (int64, error) {
	n, diffID, err := s.uncompressedLayer(ctx, desc)
	if err != nil {
		return 0, err
	}
	info := content.Info{Digest: desc.Digest, Labels: map[string]string{
		labelUnpackedSize:      strconv.FormatInt(n, 10),
		pull.LabelUncompressed: diffID.String(),
	}}
	if _, err := s.content.Update(ctx, info, "labels."+labelUnpackedSize, "labels."+pull.LabelUncompressed); err != nil {
		s.log.Warn("labelling a layer with its unpacked size", "digest", desc.Digest, "error", err)
	}
	return n, nil
}

// uncompressedLayer decompresses the layer desc and returns its size and digest.
func (s *Store) uncompressedLayer(ctx context.Context, desc ocispec.Descriptor) (int64, digest.Digest, error) {
	l, err := pull.ComputeLayer(ctx, s.content, desc)
	if err != nil {
		return 0, "", err
	}
	return l.Unpacked, l.DiffID, nil
}

// computeUnpacked is layerUnpacked without labelling the layer, for a builder that runs
// inside a write transaction of the catalog (the labels are written through another).
func (s *Store) computeUnpacked(ctx context.Context, desc ocispec.Descriptor) (int64, error) {
	n, _, err := s.uncompressedLayer(ctx, desc)
	return n, err
}

// describeFrom builds the record and details of the image target from src, a view of
// the store's content (a pull's or an import's leased view, so that every blob the image
// is described with is protected until the image is recorded).
func (s *Store) describeFrom(ctx context.Context, src model.ContentStore, target ocispec.Descriptor) (*record, *details, error) {
	b := &builder{src: src, platform: s.platform, log: s.log, unpacked: s.layerUnpacked, snapshotUsage: s.chainUsage}
	return b.build(ctx, target)
}
