package sqlite

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
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

// Bounds on the JSON blobs the record builder reads into memory.
const (
	maxManifestSize = 8 << 20
	maxConfigSize   = 16 << 20
	maxIndexDepth   = 4
)

// record is what the catalog stores for an image (images.summary): everything List needs
// except the names, computed once when content arrives.
type record struct {
	// Target is the image's target descriptor; its digest is the image ID.
	Target ocispec.Descriptor `json:"target"`
	// Created is the best manifest's config creation time.
	Created *time.Time `json:"created,omitempty"`
	// Labels are the best manifest's config labels; nil when there is no image manifest.
	Labels map[string]string `json:"labels,omitempty"`
	// Parent is the label org.mobyproject.image.parent of the best config.
	Parent digest.Digest `json:"parent,omitempty"`
	// Size is the total over all manifests of content plus unpacked sizes.
	Size int64 `json:"size"`
	// Best is the index in Manifests of the best image manifest, -1 when there is none.
	Best int `json:"best"`
	// Manifests are the image's manifests in index order.
	Manifests []manifestRecord `json:"manifests"`
	// Blobs are the distinct blobs present in the image's tree, with their sizes.
	Blobs []sized `json:"blobs,omitempty"`
	// Chains are the distinct layer chain IDs of the available image manifests, with the
	// uncompressed size of the chain's top layer.
	Chains []sized `json:"chains,omitempty"`
	// Sources are the canonical repositories the image was pulled from.
	Sources []string `json:"sources,omitempty"`
}

// sized is a digest and a size.
type sized struct {
	Digest digest.Digest `json:"d"`
	Size   int64         `json:"s"`
}

// manifestRecord describes one manifest of an image.
type manifestRecord struct {
	Descriptor ocispec.Descriptor    `json:"descriptor"`
	Kind       imagesvc.ManifestKind `json:"kind"`
	Available  bool                  `json:"available,omitempty"`
	Content    int64                 `json:"content,omitempty"`
	Unpacked   int64                 `json:"unpacked,omitempty"`
	// Platform is set for KindImage.
	Platform *ocispec.Platform `json:"platform,omitempty"`
	// For is set for KindAttestation.
	For digest.Digest `json:"for,omitempty"`
	// HasConfig reports that the config was read: Labels are meaningful and the details
	// of the manifest are stored.
	HasConfig bool              `json:"hasConfig,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// total is the manifest's Size.Total.
func (m *manifestRecord) total() int64 { return m.Content + m.Unpacked }

// details is the inspect payload of an image (images.details): one entry per manifest of
// the record, nil where no config was read.
type details struct {
	Manifests []*configDetails `json:"manifests"`
}

// configDetails is what Inspect shows of one platform's config.
type configDetails struct {
	Created       *time.Time           `json:"created,omitempty"`
	Author        string               `json:"author,omitempty"`
	Comment       string               `json:"comment,omitempty"`
	DockerVersion string               `json:"dockerVersion,omitempty"`
	Config        imagesvc.ImageConfig `json:"config"`
	Architecture  string               `json:"architecture,omitempty"`
	Variant       string               `json:"variant,omitempty"`
	OS            string               `json:"os,omitempty"`
	OSVersion     string               `json:"osVersion,omitempty"`
	RootFS        imagesvc.RootFS      `json:"rootfs"`
}

// imageConfig is the part of an image config (OCI or Docker) the catalog reads.
type imageConfig struct {
	Created       *time.Time           `json:"created,omitempty"`
	Author        string               `json:"author,omitempty"`
	Architecture  string               `json:"architecture"`
	Variant       string               `json:"variant,omitempty"`
	OS            string               `json:"os"`
	OSVersion     string               `json:"os.version,omitempty"`
	Config        imagesvc.ImageConfig `json:"config"`
	RootFS        ocispec.RootFS       `json:"rootfs"`
	History       []ocispec.History    `json:"history,omitempty"`
	Comment       string               `json:"comment,omitempty"`
	DockerVersion string               `json:"docker_version,omitempty"`
}

// source is where the record builder reads content from.
type source interface {
	content.Provider
	content.InfoProvider
}

// builder computes the record and details of an image from its content.
type builder struct {
	src  source
	best platforms.MatchComparer
	// unpacked returns the uncompressed size of a present layer blob.
	unpacked func(ctx context.Context, desc ocispec.Descriptor) (int64, error)

	rec   *record
	det   *details
	blobs map[digest.Digest]bool
	chain map[digest.Digest]bool
}

// build describes the image whose target is target. The target must be present; the
// rest of the tree may be partly missing (platforms not pulled).
func (b *builder) build(ctx context.Context, target ocispec.Descriptor) (*record, *details, error) {
	b.rec = &record{Target: target, Best: -1}
	b.det = &details{}
	b.blobs = map[digest.Digest]bool{}
	b.chain = map[digest.Digest]bool{}
	if _, err := b.src.Info(ctx, target.Digest); err != nil {
		return nil, nil, fmt.Errorf("image %s: %w", target.Digest, err)
	}
	switch {
	case images.IsIndexType(target.MediaType):
		if err := b.index(ctx, target, 0); err != nil {
			return nil, nil, err
		}
	case images.IsManifestType(target.MediaType):
		if err := b.manifest(ctx, target); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("image %s: unsupported media type %q: %w", target.Digest, target.MediaType, errdefs.ErrInvalidArgument)
	}

	rec := b.rec
	for i := range rec.Manifests {
		m := &rec.Manifests[i]
		rec.Size += m.total()
		if m.Kind != imagesvc.KindImage || !m.Available || !m.HasConfig {
			continue
		}
		if rec.Best < 0 || b.best.Less(platforms.Normalize(*m.Platform), platforms.Normalize(*rec.Manifests[rec.Best].Platform)) {
			rec.Best = i
		}
	}
	if rec.Best >= 0 {
		m := &rec.Manifests[rec.Best]
		rec.Labels = m.Labels
		if rec.Labels == nil {
			rec.Labels = map[string]string{}
		}
		rec.Created = b.det.Manifests[rec.Best].Created
		rec.Parent = digest.Digest(rec.Labels[labelParent])
	}
	return rec, b.det, nil
}

// add appends m and its details to the record.
func (b *builder) add(m manifestRecord, d *configDetails) {
	b.rec.Manifests = append(b.rec.Manifests, m)
	b.det.Manifests = append(b.det.Manifests, d)
}

// present reports whether d is in the source, recording it among the image's blobs.
func (b *builder) present(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	info, err := b.src.Info(ctx, desc.Digest)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	if !b.blobs[desc.Digest] {
		b.blobs[desc.Digest] = true
		b.rec.Blobs = append(b.rec.Blobs, sized{Digest: desc.Digest, Size: info.Size})
	}
	return true, nil
}

// read reads a present JSON blob of at most limit bytes.
func (b *builder) read(ctx context.Context, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("blob %s: %d bytes is over the limit of %d: %w", desc.Digest, desc.Size, limit, errdefs.ErrInvalidArgument)
	}
	return content.ReadBlob(ctx, b.src, desc)
}

func (b *builder) index(ctx context.Context, desc ocispec.Descriptor, depth int) error {
	ok, err := b.present(ctx, desc)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("index %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	data, err := b.read(ctx, desc, maxManifestSize)
	if err != nil {
		return err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return fmt.Errorf("index %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	for _, m := range idx.Manifests {
		if images.IsIndexType(m.MediaType) && depth < maxIndexDepth {
			ok, err := b.present(ctx, m)
			if err != nil {
				return err
			}
			if ok {
				if err := b.index(ctx, m, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		if err := b.manifest(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// manifest describes one manifest, as Docker's containerd store does (spec §2.6).
func (b *builder) manifest(ctx context.Context, desc ocispec.Descriptor) error {
	m := manifestRecord{Descriptor: desc}
	_, hasRefType := desc.Annotations[annotationReferenceType]
	pseudo := hasRefType || (desc.Platform != nil && desc.Platform.OS == "unknown" && desc.Platform.Architecture == "unknown")

	var (
		cfg    *imageConfig
		layers []ocispec.Descriptor
	)
	ok, err := b.present(ctx, desc)
	if err != nil {
		return err
	}
	if ok {
		m.Content = desc.Size
		data, err := b.read(ctx, desc, maxManifestSize)
		if err != nil {
			return err
		}
		var man ocispec.Manifest
		if err := json.Unmarshal(data, &man); err != nil || !images.IsManifestType(desc.MediaType) {
			// Unreadable: an entry of kind unknown, as Docker does.
			m.Kind = imagesvc.KindUnknown
			b.add(m, nil)
			return nil
		}
		layers = man.Layers
		available := true
		cfgPresent, err := b.present(ctx, man.Config)
		if err != nil {
			return err
		}
		if cfgPresent {
			m.Content += man.Config.Size
		} else {
			available = false
		}
		known := false
		for _, l := range man.Layers {
			if images.IsLayerType(l.MediaType) {
				known = true
			}
			ok, err := b.present(ctx, l)
			if err != nil {
				return err
			}
			if ok {
				m.Content += l.Size
			} else {
				available = false
			}
		}
		if len(man.Layers) > 0 && !known {
			pseudo = true
		}
		m.Available = available
		if cfgPresent && !pseudo {
			data, err := b.read(ctx, man.Config, maxConfigSize)
			if err != nil {
				return err
			}
			cfg = &imageConfig{}
			if err := json.Unmarshal(data, cfg); err != nil {
				return fmt.Errorf("config %s: %v: %w", man.Config.Digest, err, errdefs.ErrInvalidArgument)
			}
		}
	}

	if pseudo {
		m.Kind = imagesvc.KindUnknown
		if desc.Annotations[annotationReferenceType] == attestationManifestType {
			if d, err := digest.Parse(desc.Annotations[annotationReferenceDigest]); err == nil {
				m.Kind = imagesvc.KindAttestation
				m.For = d
			}
		}
		b.add(m, nil)
		return nil
	}

	m.Kind = imagesvc.KindImage
	var p ocispec.Platform
	switch {
	case desc.Platform != nil:
		p = *desc.Platform
	case cfg != nil:
		p = ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant, OSVersion: cfg.OSVersion}
	}
	m.Platform = &p
	if cfg == nil {
		b.add(m, nil)
		return nil
	}
	m.HasConfig = true
	m.Labels = cfg.Config.Labels
	det := &configDetails{
		Created:       cfg.Created,
		Author:        cfg.Author,
		Comment:       cfg.Comment,
		DockerVersion: cfg.DockerVersion,
		Config:        cfg.Config,
		Architecture:  cfg.Architecture,
		Variant:       cfg.Variant,
		OS:            cfg.OS,
		OSVersion:     cfg.OSVersion,
		RootFS:        imagesvc.RootFS{Type: cfg.RootFS.Type, Layers: cfg.RootFS.DiffIDs},
	}
	if n := len(cfg.History); n > 0 {
		det.Comment = cfg.History[n-1].Comment
	}
	if m.Available {
		chains := identity.ChainIDs(append([]digest.Digest(nil), cfg.RootFS.DiffIDs...))
		for i, l := range layers {
			if !images.IsLayerType(l.MediaType) {
				continue
			}
			n, err := b.unpacked(ctx, l)
			if err != nil {
				return err
			}
			m.Unpacked += n
			if i < len(chains) && !b.chain[chains[i]] {
				b.chain[chains[i]] = true
				b.rec.Chains = append(b.rec.Chains, sized{Digest: chains[i], Size: n})
			}
		}
	}
	b.add(m, det)
	return nil
}

// preferring returns a comparer that matches every platform and orders those of p (as
// containerd's platforms.Only(p) matches them) first.
func preferring(p ocispec.Platform) platforms.MatchComparer {
	return preferComparer{host: platforms.Only(p)}
}

type preferComparer struct{ host platforms.MatchComparer }

func (c preferComparer) Match(ocispec.Platform) bool { return true }

func (c preferComparer) Less(a, b ocispec.Platform) bool {
	ma, mb := c.host.Match(a), c.host.Match(b)
	if ma != mb {
		return ma
	}
	return ma && c.host.Less(a, b)
}

// uncompressedSize returns the size of the decompressed stream r: gzip, zstd or
// uncompressed. Errors have class InvalidArgument when the stream is corrupt.
func uncompressedSize(r io.Reader) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	var (
		dr  io.Reader = br
		err error
	)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(br); err != nil {
			return 0, fmt.Errorf("decompressing: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		defer zr.Close()
		dr = zr
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return 0, fmt.Errorf("decompressing: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		defer zr.Close()
		dr = zr
	}
	n, err := io.Copy(io.Discard, dr)
	if err != nil {
		return 0, fmt.Errorf("decompressing: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	return n, nil
}

// layerUnpacked returns the uncompressed size of a layer in the store, from its label
// when it has one, otherwise by decompressing it once and labelling it.
func (s *Store) layerUnpacked(ctx context.Context, desc ocispec.Descriptor) (int64, error) {
	info, err := s.content.Info(ctx, desc.Digest)
	if err != nil {
		return 0, err
	}
	if v, ok := info.Labels[labelUnpackedSize]; ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n, nil
		}
	}
	ra, err := s.content.ReaderAt(ctx, desc)
	if err != nil {
		return 0, err
	}
	defer ra.Close()
	n, err := uncompressedSize(content.NewReader(ra))
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	info.Labels = map[string]string{labelUnpackedSize: strconv.FormatInt(n, 10)}
	if _, err := s.content.Update(ctx, info, "labels."+labelUnpackedSize); err != nil {
		s.log.Warn("labelling a layer with its uncompressed size", "digest", desc.Digest, "error", err)
	}
	return n, nil
}

// describe builds the record and details of the image target from the store's content.
func (s *Store) describe(ctx context.Context, target ocispec.Descriptor) (*record, *details, error) {
	b := &builder{src: s.content, best: s.best, unpacked: s.layerUnpacked}
	return b.build(ctx, target)
}
