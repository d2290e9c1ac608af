package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// Annotations BuildKit puts on the index entry of an attestation manifest.
const (
	// AnnotationReferenceType marks an index entry that refers to another manifest; its
	// value for attestations is [AttestationManifestType].
	AnnotationReferenceType = "vnd.docker.reference.type"
	// AnnotationReferenceDigest is the digest of the manifest an attestation is for.
	AnnotationReferenceDigest = "vnd.docker.reference.digest"
	// AttestationManifestType is the [AnnotationReferenceType] of attestation manifests.
	AttestationManifestType = "attestation-manifest"
)

// LabelReferrerPrefix starts the content label by which a manifest refers to a referrer
// (an attestation, a signature): the prefix, then 12 hex digits of the referrer's digest,
// with the referrer's digest as the value, as containerd's images.SetChildrenMappedLabels
// writes it. containerd's garbage collector follows it, and the archive exporter exports
// the referrers it names.
const LabelReferrerPrefix = "containerd.io/gc.ref.content.referrer.sha256."

// ReferrerLabel returns the label key by which a manifest refers to the referrer d, which
// must be a valid digest.
func ReferrerLabel(d digest.Digest) string {
	enc := d.Encoded()
	return LabelReferrerPrefix + enc[:min(12, len(enc))]
}

// Labels the pull engine and the backends set on layer blobs.
const (
	// LabelUncompressed holds a layer's diff ID, the digest of its uncompressed tar
	// (containerd's own label).
	LabelUncompressed = labels.LabelUncompressed
	// LabelUnpackedSize holds the size in bytes of a layer's uncompressed tar, in decimal.
	LabelUnpackedSize = "imageapi.io/unpacked-size"
)

// UnpackedFromLabels reads the unpacked size of a layer from its labels: both
// [LabelUncompressed] and [LabelUnpackedSize] must be valid.
func UnpackedFromLabels(lbls map[string]string) (int64, bool) {
	if _, err := digest.Parse(lbls[LabelUncompressed]); err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(lbls[LabelUnpackedSize], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// ConfigFile is an image config as Docker reads and writes it: the OCI image config, with
// the runtime configuration extended by Docker's fields (Healthcheck, OnBuild, Shell) and
// the legacy builder's top-level fields.
type ConfigFile struct {
	ocispec.Image
	// Config is the runtime configuration ("config"); it replaces the embedded
	// ocispec.Image.Config, which stays empty.
	Config imagesvc.ImageConfig `json:"config"`
	// Parent is the parent image ID the legacy builder records ("parent").
	Parent digest.Digest `json:"parent,omitempty"`
	// DockerVersion is the Docker version that built the image ("docker_version").
	DockerVersion string `json:"docker_version,omitempty"`
	// Comment is the legacy top-level comment ("comment").
	Comment string `json:"comment,omitempty"`
}

// ContentStore is what [ReadManifests] needs of a content store.
type ContentStore interface {
	content.Provider
	content.InfoProvider
}

// ReadOptions are the options of [ReadManifests].
type ReadOptions struct {
	// UnpackedSize, if not nil, is asked for the unpacked size of a layer whose blob has
	// no [LabelUnpackedSize] label (stores without labels, where the backend records
	// [Layer.Unpacked] itself). It returns false when it does not know.
	UnpackedSize func(ctx context.Context, layer digest.Digest) (int64, bool)
	// Logger receives a warning for each manifest that cannot be read; nil discards.
	Logger *slog.Logger
}

// ManifestInfo is what the stored content says about one manifest of an image: the
// material of an [imagesvc.ManifestSummary] and of the image-level fields.
type ManifestInfo struct {
	// Descriptor is the manifest's descriptor as its parent index lists it (platform and
	// annotations included), or the image's target for a single-manifest image.
	Descriptor ocispec.Descriptor
	// Kind classifies the manifest as Docker does (spec §2.6).
	Kind imagesvc.ManifestKind
	// Available reports whether the manifest, its config and all its layers are present.
	Available bool
	// ContentSize is the size of the present blobs of the manifest's subtree: the manifest,
	// its config and its layers (each distinct blob once).
	ContentSize int64
	// Unpacked is the sum of the unpacked sizes of the layers, when every layer is present
	// and its size is known; 0 otherwise (as Docker reports images that are not unpacked).
	Unpacked int64
	// Platform is, for KindImage, the descriptor's platform, else the config's, else zero.
	Platform ocispec.Platform
	// AttestationFor is, for KindAttestation, the digest of the attested manifest.
	AttestationFor digest.Digest
	// Manifest is the decoded manifest; nil when it is not present or not readable.
	Manifest *ocispec.Manifest
	// Config is the decoded image config; nil when it is absent, unreadable, or not an
	// image config (artifacts, attestations).
	Config *ConfigFile
}

// ReadManifests describes every manifest of the image whose target is target, from the
// content in store. For an index (or manifest list) it walks the entries in index order,
// descending into nested indexes whose blobs are present (a nested index that is absent
// adds nothing); entries whose manifest is absent are listed too, not available. For a
// single manifest it returns one entry.
//
// Kinds follow Docker's containerd store: an entry is a pseudo-image when its descriptor
// carries the annotation vnd.docker.reference.type, when its platform is unknown/unknown,
// or when its manifest has layers none of which has a layer media type. A pseudo-image
// annotated as an attestation-manifest with a valid vnd.docker.reference.digest is
// KindAttestation; other pseudo-images are KindUnknown; everything else, including
// manifests with no layers and manifests that are absent, is KindImage. A manifest that
// is present but cannot be read is logged and listed as KindUnknown.
//
// Errors: NotFound when target is an index that is not in the store; the context's
// error; errors of the store.
func ReadManifests(ctx context.Context, store ContentStore, target ocispec.Descriptor, opts ReadOptions) ([]ManifestInfo, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := reader{store: store, opts: opts, log: log, seen: map[digest.Digest]bool{}}
	if !images.IsIndexType(target.MediaType) {
		m, err := r.manifest(ctx, target)
		if err != nil {
			return nil, err
		}
		return []ManifestInfo{m}, nil
	}
	var out []ManifestInfo
	if err := r.index(ctx, target, 0, &out, true); err != nil {
		return nil, err
	}
	return out, nil
}

type reader struct {
	store ContentStore
	opts  ReadOptions
	log   *slog.Logger
	seen  map[digest.Digest]bool // indexes walked, against cycles
}

// index appends the manifests of the index desc to out.
func (r *reader) index(ctx context.Context, desc ocispec.Descriptor, depth int, out *[]ManifestInfo, top bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if depth > MaxIndexDepth || r.seen[desc.Digest] {
		return nil
	}
	r.seen[desc.Digest] = true
	data, err := ReadMetadata(ctx, r.store, desc)
	if err != nil {
		if errdefs.IsNotFound(err) && !top {
			return nil
		}
		return fmt.Errorf("reading index %s: %w", desc.Digest, err)
	}
	idx, err := ParseIndex(data, desc)
	if err != nil {
		if top {
			return err
		}
		r.log.Warn("skipping an unreadable nested index", "digest", desc.Digest.String(), "error", err)
		return nil
	}
	for _, d := range idx.Manifests {
		switch {
		case images.IsIndexType(d.MediaType):
			if err := r.index(ctx, d, depth+1, out, false); err != nil {
				return err
			}
		case images.IsManifestType(d.MediaType):
			m, err := r.manifest(ctx, d)
			if err != nil {
				return err
			}
			*out = append(*out, m)
		}
	}
	return nil
}

// present returns the size of the blob if the store has it.
func (r *reader) present(ctx context.Context, d digest.Digest) (content.Info, bool, error) {
	info, err := r.store.Info(ctx, d)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return content.Info{}, false, nil
		}
		return content.Info{}, false, err
	}
	return info, true, nil
}

// manifest describes one manifest.
func (r *reader) manifest(ctx context.Context, desc ocispec.Descriptor) (ManifestInfo, error) {
	m := ManifestInfo{Descriptor: desc, Kind: imagesvc.KindImage}
	_, annotated := desc.Annotations[AnnotationReferenceType]
	pseudo := annotated || (desc.Platform != nil && desc.Platform.OS == "unknown" && desc.Platform.Architecture == "unknown")

	info, ok, err := r.present(ctx, desc.Digest)
	if err != nil {
		return m, err
	}
	if ok {
		m.ContentSize += info.Size
		m.Available = true
		data, err := ReadMetadata(ctx, r.store, desc)
		var mf ocispec.Manifest
		if err == nil {
			mf, err = ParseManifest(data, desc)
		}
		if err != nil {
			if ctx.Err() != nil {
				return m, ctx.Err()
			}
			if errdefs.IsNotFound(err) {
				// Deleted since it was found present (a concurrent removal's garbage
				// collection): absent, not a manifest of an unknown kind.
				m.ContentSize -= info.Size
				m.Available = false
				return m, nil
			}
			r.log.Warn("cannot read manifest", "digest", desc.Digest.String(), "error", err)
			m.Kind = imagesvc.KindUnknown
			m.Available = false
			return m, nil
		}
		m.Manifest = &mf
		if err := r.subtree(ctx, &m); err != nil {
			return m, err
		}
		if len(mf.Layers) > 0 {
			known := false
			for _, l := range mf.Layers {
				if images.IsLayerType(l.MediaType) {
					known = true
					break
				}
			}
			pseudo = pseudo || !known
		}
	}

	if pseudo {
		m.Kind = imagesvc.KindUnknown
		m.Unpacked = 0
		if desc.Annotations[AnnotationReferenceType] == AttestationManifestType {
			if d, err := digest.Parse(desc.Annotations[AnnotationReferenceDigest]); err == nil {
				m.Kind = imagesvc.KindAttestation
				m.AttestationFor = d
			}
		}
		return m, nil
	}
	switch {
	case desc.Platform != nil:
		m.Platform = *desc.Platform
	case m.Config != nil:
		m.Platform = ConfigPlatform(m.Config)
	}
	return m, nil
}

// subtree adds the config and layers of a present manifest to m: sizes, availability,
// the decoded config and the unpacked size.
func (r *reader) subtree(ctx context.Context, m *ManifestInfo) error {
	mf := m.Manifest
	counted := map[digest.Digest]bool{m.Descriptor.Digest: true}
	info, ok, err := r.present(ctx, mf.Config.Digest)
	if err != nil {
		return err
	}
	if ok {
		if !counted[mf.Config.Digest] {
			counted[mf.Config.Digest] = true
			m.ContentSize += info.Size
		}
		if images.IsConfigType(mf.Config.MediaType) {
			cfg, err := readConfig(ctx, r.store, mf.Config)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.log.Warn("cannot read image config", "digest", mf.Config.Digest.String(), "error", err)
			} else {
				m.Config = cfg
			}
		}
	} else {
		m.Available = false
	}
	var unpacked int64
	unpackedKnown := true
	for _, l := range mf.Layers {
		info, ok, err := r.present(ctx, l.Digest)
		if err != nil {
			return err
		}
		if !ok {
			m.Available = false
			unpackedKnown = false
			continue
		}
		if counted[l.Digest] {
			continue
		}
		counted[l.Digest] = true
		m.ContentSize += info.Size
		if !images.IsLayerType(l.MediaType) {
			continue
		}
		if n, ok := UnpackedFromLabels(info.Labels); ok {
			unpacked += n
		} else if r.opts.UnpackedSize != nil {
			n, ok := r.opts.UnpackedSize(ctx, l.Digest)
			unpacked += n
			unpackedKnown = unpackedKnown && ok
		} else {
			unpackedKnown = false
		}
	}
	if unpackedKnown {
		m.Unpacked = unpacked
	}
	return nil
}

// readConfig reads and decodes an image config.
func readConfig(ctx context.Context, p content.Provider, desc ocispec.Descriptor) (*ConfigFile, error) {
	if desc.Size > MaxConfigSize {
		return nil, fmt.Errorf("config %s of %d bytes exceeds the limit of %d bytes: %w", desc.Digest, desc.Size, MaxConfigSize, errdefs.ErrInvalidArgument)
	}
	data, err := ReadMetadata(ctx, p, desc)
	if err != nil {
		return nil, err
	}
	var c ConfigFile
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decoding config %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return &c, nil
}

// ReadConfig reads the image config desc from p. Errors: NotFound when it is absent,
// InvalidArgument when it is not a valid image config.
func ReadConfig(ctx context.Context, p content.Provider, desc ocispec.Descriptor) (*ConfigFile, error) {
	if !images.IsConfigType(desc.MediaType) {
		return nil, fmt.Errorf("%s has media type %q, not an image config: %w", desc.Digest, desc.MediaType, errdefs.ErrInvalidArgument)
	}
	return readConfig(ctx, p, desc)
}

// Limits on the metadata that is read into memory.
const (
	// MaxIndexDepth bounds the nesting of indexes.
	MaxIndexDepth = 8
	// MaxConfigSize bounds the size of an image config.
	MaxConfigSize = 32 << 20
	// MaxManifestSize bounds the size of a manifest or index (containerd's resolver's
	// limit).
	MaxManifestSize = 4 << 20
)

// MetadataLimit returns the bound on a blob of mediaType that is read whole into
// memory: [MaxConfigSize] for an image config, [MaxManifestSize] for anything else
// (manifests and indexes).
func MetadataLimit(mediaType string) int64 {
	if images.IsConfigType(mediaType) {
		return MaxConfigSize
	}
	return MaxManifestSize
}

// CheckMetadataSize fails with InvalidArgument when desc is a manifest, an index or an
// image config and size, its blob's real size (not the size desc claims), exceeds
// [MetadataLimit]. Other blobs (layers) are streamed, never bounded here.
func CheckMetadataSize(desc ocispec.Descriptor, size int64) error {
	mt := desc.MediaType
	kind := "config"
	switch {
	case images.IsIndexType(mt):
		kind = "index"
	case images.IsManifestType(mt):
		kind = "manifest"
	case !images.IsConfigType(mt):
		return nil
	}
	if limit := MetadataLimit(mt); size > limit {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s %s of %d bytes exceeds the limit of %d bytes", kind, desc.Digest, size, limit))
	}
	return nil
}

// ReadMetadata reads the blob desc whole from p, checking first that the stored blob
// is not larger than [MetadataLimit] of its media type (whatever desc.Size claims), so
// that a manifest, index or config never costs more memory than that. Errors:
// InvalidArgument above the bound; those of p.
func ReadMetadata(ctx context.Context, p content.Provider, desc ocispec.Descriptor) ([]byte, error) {
	ra, err := p.ReaderAt(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer ra.Close()
	size := ra.Size()
	if limit := MetadataLimit(desc.MediaType); size > limit {
		kind := "blob"
		if desc.MediaType != "" {
			kind = desc.MediaType
		}
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s %s of %d bytes exceeds the limit of %d bytes", kind, desc.Digest, size, limit))
	}
	data := make([]byte, size)
	n, err := ra.ReadAt(data, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, err
	}
	if int64(n) != size {
		return nil, fmt.Errorf("reading %s: %w", desc.Digest, io.ErrUnexpectedEOF)
	}
	return data, nil
}

// BoundedProvider returns p whose readers of manifests, indexes and image configs fail
// with InvalidArgument when the blob exceeds [MetadataLimit] (see [CheckMetadataSize]),
// for code that reads them whole through p (containerd's images.Children,
// images.Platforms).
func BoundedProvider(p content.Provider) content.Provider { return boundedProvider{p} }

type boundedProvider struct{ p content.Provider }

func (b boundedProvider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ra, err := b.p.ReaderAt(ctx, desc)
	if err != nil {
		return nil, err
	}
	if err := CheckMetadataSize(desc, ra.Size()); err != nil {
		ra.Close()
		return nil, err
	}
	return ra, nil
}

// ParseIndex decodes an index or manifest list and checks its entries.
func ParseIndex(data []byte, desc ocispec.Descriptor) (ocispec.Index, error) {
	var doc struct {
		ocispec.Index
		Config json.RawMessage `json:"config"`
		Layers json.RawMessage `json:"layers"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return ocispec.Index{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid index %s: %v", desc.Digest, err))
	}
	if doc.Config != nil || doc.Layers != nil {
		return ocispec.Index{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("index %s has media type %s but holds a manifest", desc.Digest, desc.MediaType))
	}
	for _, d := range doc.Manifests {
		if err := d.Digest.Validate(); err != nil {
			return ocispec.Index{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("index %s lists an invalid digest %q: %v", desc.Digest, d.Digest, err))
		}
	}
	return doc.Index, nil
}

// ParseManifest decodes an image manifest and checks its descriptors.
func ParseManifest(data []byte, desc ocispec.Descriptor) (ocispec.Manifest, error) {
	var doc struct {
		ocispec.Manifest
		Manifests json.RawMessage `json:"manifests"`
		FSLayers  json.RawMessage `json:"fsLayers"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return ocispec.Manifest{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid manifest %s: %v", desc.Digest, err))
	}
	if doc.Manifests != nil || doc.FSLayers != nil {
		return ocispec.Manifest{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("manifest %s has media type %s but is not an image manifest", desc.Digest, desc.MediaType))
	}
	m := doc.Manifest
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if err := d.Digest.Validate(); err != nil {
			return ocispec.Manifest{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("manifest %s lists an invalid digest %q: %v", desc.Digest, d.Digest, err))
		}
		if d.Size < 0 {
			return ocispec.Manifest{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("manifest %s lists a negative size for %s", desc.Digest, d.Digest))
		}
	}
	return m, nil
}

// ConfigPlatform returns the platform an image config describes.
func ConfigPlatform(c *ConfigFile) ocispec.Platform {
	return ocispec.Platform{
		OS:           c.OS,
		Architecture: c.Architecture,
		Variant:      c.Variant,
		OSVersion:    c.OSVersion,
		OSFeatures:   c.OSFeatures,
	}
}
