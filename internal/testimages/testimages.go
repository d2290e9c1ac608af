// Package testimages builds container images in memory for tests.
//
// Every image is built from a [Config] by one of [DockerSchema2], [OCIManifest], [OCIIndex]
// or [DockerManifestList]. The result is an [Image]: its top-level descriptor and every blob
// reachable from it. Building is deterministic: the same Config always yields the same bytes
// and therefore the same digests, and Configs that differ in their platform, labels, creation
// time or seed yield different images.
//
// Layers are gzip-compressed tar archives; the config's rootfs.diff_ids are the digests of the
// uncompressed tars, and every descriptor carries the exact size of its blob.
//
// Nothing is ever downloaded: tests that need a registry push these images to one with [Push]
// or store them directly in the in-process registry of package testregistry.
package testimages

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Annotations BuildKit puts on the index descriptor of an attestation manifest.
const (
	// AnnotationReferenceType marks a manifest in an index as referring to another one; its
	// value for attestations is [AttestationManifestType].
	AnnotationReferenceType = "vnd.docker.reference.type"
	// AnnotationReferenceDigest is the digest of the image manifest an attestation is for.
	AnnotationReferenceDigest = "vnd.docker.reference.digest"
	// AttestationManifestType is the value of [AnnotationReferenceType] on attestation manifests.
	AttestationManifestType = "attestation-manifest"
	// LabelParent is the label [Config.ParentLabel] sets: the ID of the image's parent.
	LabelParent = "org.mobyproject.image.parent"
)

// DefaultCreated is the creation time, in Unix seconds (2025-02-14T00:00:00Z), of images whose
// Config leaves Created zero, and the modification time of every file in every layer.
const DefaultCreated = 1739491200

func defaultCreated() time.Time { return time.Unix(DefaultCreated, 0).UTC() }

// Blob is one piece of content together with its descriptor.
type Blob struct {
	// Descriptor describes Data: media type, digest and exact size (plus platform and
	// annotations for manifests listed in an index).
	Descriptor ocispec.Descriptor
	// Data is the content. Callers must not modify it.
	Data []byte
}

// Image is a complete image: its top-level descriptor (a manifest or an index) and every blob
// reachable from it (index, manifests, configs, layers), keyed by digest.
type Image struct {
	// Descriptor is the top-level manifest or index.
	Descriptor ocispec.Descriptor
	// Blobs holds every blob reachable from Descriptor, including Descriptor's own.
	Blobs map[digest.Digest]Blob
}

// Blob returns the blob with digest d, if the image has it.
func (img *Image) Blob(d digest.Digest) (Blob, bool) {
	b, ok := img.Blobs[d]
	return b, ok
}

// Manifests returns the descriptors of the image's manifests: for an index or manifest list
// every entry in index order (attestation manifests included, with their platform and
// annotations), for a single manifest its top-level descriptor.
func (img *Image) Manifests() []ocispec.Descriptor {
	if !images.IsIndexType(img.Descriptor.MediaType) {
		return []ocispec.Descriptor{img.Descriptor}
	}
	b, ok := img.Blobs[img.Descriptor.Digest]
	if !ok {
		return nil
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b.Data, &idx); err != nil {
		return nil
	}
	return idx.Manifests
}

// Manifest returns the decoded manifest with digest d and its config's descriptor and
// decoded config. It fails if a blob is missing or d is not an image manifest.
func (img *Image) Manifest(d digest.Digest) (ocispec.Manifest, ocispec.Image, error) {
	var (
		m   ocispec.Manifest
		cfg ocispec.Image
	)
	b, ok := img.Blobs[d]
	if !ok {
		return m, cfg, fmt.Errorf("manifest %s: %w", d, errdefs.ErrNotFound)
	}
	if !images.IsManifestType(b.Descriptor.MediaType) {
		return m, cfg, fmt.Errorf("%s has media type %s, not a manifest: %w", d, b.Descriptor.MediaType, errdefs.ErrInvalidArgument)
	}
	if err := json.Unmarshal(b.Data, &m); err != nil {
		return m, cfg, fmt.Errorf("manifest %s: %w", d, err)
	}
	cb, ok := img.Blobs[m.Config.Digest]
	if !ok {
		return m, cfg, fmt.Errorf("config %s: %w", m.Config.Digest, errdefs.ErrNotFound)
	}
	if err := json.Unmarshal(cb.Data, &cfg); err != nil {
		return m, cfg, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	return m, cfg, nil
}

// Size returns the sum of the sizes of all the image's blobs.
func (img *Image) Size() int64 {
	var n int64
	for _, b := range img.Blobs {
		n += int64(len(b.Data))
	}
	return n
}

// Without returns a copy of img lacking the blobs with the given digests, to model partially
// present content. The top-level descriptor is kept even if its blob is removed. The blob
// data is shared with img.
func (img *Image) Without(ds ...digest.Digest) *Image {
	out := &Image{Descriptor: img.Descriptor, Blobs: make(map[digest.Digest]Blob, len(img.Blobs))}
	for d, b := range img.Blobs {
		if !slices.Contains(ds, d) {
			out.Blobs[d] = b
		}
	}
	return out
}

// Provider returns a content provider over the image's blobs. A digest the image lacks
// yields an error matching errdefs.ErrNotFound.
func (img *Image) Provider() content.Provider {
	return provider{blobs: img.Blobs}
}

type provider struct {
	blobs map[digest.Digest]Blob
}

func (p provider) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	b, ok := p.blobs[desc.Digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	return readerAt{bytes.NewReader(b.Data)}, nil
}

type readerAt struct{ *bytes.Reader }

func (readerAt) Close() error { return nil }

// File is one entry of a layer tarball.
type File struct {
	// Name is the path inside the layer, without a leading slash ("etc/hostname").
	Name string
	// Data is the content of a regular file.
	Data []byte
	// Mode is the permission bits; 0 means 0644 for files and 0755 for directories.
	Mode int64
	// Typeflag is the tar entry type; 0 means tar.TypeReg, or tar.TypeDir when Name ends
	// with "/".
	Typeflag byte
	// Linkname is the target of a symlink or hard link.
	Linkname string
	// Devmajor and Devminor are the device numbers of a character or block device
	// (tar.TypeChar, tar.TypeBlock).
	Devmajor, Devminor int64
}

// Config describes one platform image. The zero value is a valid linux/amd64 image with one
// small layer.
type Config struct {
	// Platform is the image's platform; the zero value means linux/amd64.
	Platform ocispec.Platform
	// Created is the image's creation time; the zero value means [DefaultCreated]. It is
	// stored in UTC.
	Created time.Time
	// Labels are the config labels.
	Labels map[string]string
	// Env is the config's environment, "KEY=value" entries.
	Env []string
	// Cmd is the config's default command.
	Cmd []string
	// Entrypoint is the config's entrypoint.
	Entrypoint []string
	// WorkingDir is the config's working directory.
	WorkingDir string
	// User is the config's user.
	User string
	// Layers lists the files of each layer, bottom first. When Layers, LayerSizes and
	// NoLayers are all unset the image has one layer holding one small file whose content is
	// derived from the rest of the Config, so that different Configs give different images.
	Layers [][]File
	// LayerSizes, when Layers is empty, asks for one layer per entry, each holding a single
	// file of that many bytes of deterministic pseudo-random, incompressible data (derived
	// from Seed and Platform). Use it for large benchmark images.
	LayerSizes []int64
	// NoLayers builds an image with zero layers.
	NoLayers bool
	// Seed varies the generated content so that otherwise equal Configs differ.
	Seed uint64
	// ParentLabel, when set, adds the label [LabelParent] with this value (parent chains).
	ParentLabel digest.Digest
	// History replaces the generated history (one entry per layer, "testimages layer N").
	// The caller must keep it consistent with the layers.
	History []ocispec.History
	// Author is the config's author field.
	Author string
	// Annotations are set on the image manifest.
	Annotations map[string]string
}

// platform returns c.Platform with defaults applied.
func (c *Config) platform() ocispec.Platform {
	p := c.Platform
	if p.OS == "" {
		p.OS = "linux"
	}
	if p.Architecture == "" {
		p.Architecture = "amd64"
	}
	return p
}

func (c *Config) created() time.Time {
	if c.Created.IsZero() {
		return defaultCreated()
	}
	return c.Created.UTC()
}

func (c *Config) labels() map[string]string {
	if len(c.Labels) == 0 && c.ParentLabel == "" {
		return nil
	}
	l := make(map[string]string, len(c.Labels)+1)
	for k, v := range c.Labels {
		l[k] = v
	}
	if c.ParentLabel != "" {
		l[LabelParent] = c.ParentLabel.String()
	}
	return l
}

// mediaTypes selects Docker or OCI media types.
type mediaTypes struct {
	manifest, config, layer, index string
}

var (
	dockerTypes = mediaTypes{
		manifest: images.MediaTypeDockerSchema2Manifest,
		config:   images.MediaTypeDockerSchema2Config,
		layer:    images.MediaTypeDockerSchema2LayerGzip,
		index:    images.MediaTypeDockerSchema2ManifestList,
	}
	ociTypes = mediaTypes{
		manifest: ocispec.MediaTypeImageManifest,
		config:   ocispec.MediaTypeImageConfig,
		layer:    ocispec.MediaTypeImageLayerGzip,
		index:    ocispec.MediaTypeImageIndex,
	}
)

// DockerSchema2 builds a single-platform Docker schema 2 image: a manifest of media type
// application/vnd.docker.distribution.manifest.v2+json, a config of type
// application/vnd.docker.container.image.v1+json and gzip layers of type
// application/vnd.docker.image.rootfs.diff.tar.gzip.
func DockerSchema2(c Config) (*Image, error) {
	return single(c, dockerTypes)
}

// OCIManifest builds a single-platform image with an OCI image manifest, OCI config and OCI
// gzip layers.
func OCIManifest(c Config) (*Image, error) {
	return single(c, ociTypes)
}

func single(c Config, mt mediaTypes) (*Image, error) {
	img := &Image{Blobs: map[digest.Digest]Blob{}}
	desc, err := buildManifest(img, c, mt)
	if err != nil {
		return nil, err
	}
	img.Descriptor = desc
	return img, nil
}

// OCIIndex builds an OCI image index with one OCI manifest per Config, in order, each listed
// with its platform. With attest, it also adds one BuildKit-style attestation manifest per
// image manifest, after all image manifests: platform unknown/unknown, annotations
// vnd.docker.reference.type=attestation-manifest and vnd.docker.reference.digest=<image
// manifest digest>, and a single in-toto layer (application/vnd.in-toto+json).
func OCIIndex(configs []Config, attest bool) (*Image, error) {
	return multi(configs, ociTypes, attest)
}

// DockerManifestList builds a Docker manifest list
// (application/vnd.docker.distribution.manifest.list.v2+json) of Docker schema 2 manifests,
// one per Config, each listed with its platform.
func DockerManifestList(configs []Config) (*Image, error) {
	return multi(configs, dockerTypes, false)
}

func multi(configs []Config, mt mediaTypes, attest bool) (*Image, error) {
	if len(configs) == 0 {
		return nil, fmt.Errorf("no configs: %w", errdefs.ErrInvalidArgument)
	}
	img := &Image{Blobs: map[digest.Digest]Blob{}}
	idx := ocispec.Index{MediaType: mt.index}
	idx.SchemaVersion = 2
	for _, c := range configs {
		desc, err := buildManifest(img, c, mt)
		if err != nil {
			return nil, err
		}
		p := c.platform()
		desc.Platform = &p
		img.Blobs[desc.Digest] = Blob{Descriptor: desc, Data: img.Blobs[desc.Digest].Data}
		idx.Manifests = append(idx.Manifests, desc)
	}
	if attest {
		for i, target := range slices.Clone(idx.Manifests) {
			desc, err := buildAttestation(img, configs[i], target)
			if err != nil {
				return nil, err
			}
			idx.Manifests = append(idx.Manifests, desc)
		}
	}
	desc, err := addJSON(img, mt.index, idx)
	if err != nil {
		return nil, err
	}
	img.Descriptor = desc
	return img, nil
}

// addJSON marshals v, stores it in img and returns its descriptor.
func addJSON(img *Image, mediaType string, v any) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return addBlob(img, mediaType, data), nil
}

func addBlob(img *Image, mediaType string, data []byte) ocispec.Descriptor {
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	img.Blobs[desc.Digest] = Blob{Descriptor: desc, Data: data}
	return desc
}

func buildManifest(img *Image, c Config, mt mediaTypes) (ocispec.Descriptor, error) {
	created := c.created()
	layers, err := buildLayers(c)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg := ocispec.Image{
		Created:  &created,
		Author:   c.Author,
		Platform: c.platform(),
		Config: ocispec.ImageConfig{
			User:       c.User,
			Env:        c.Env,
			Entrypoint: c.Entrypoint,
			Cmd:        c.Cmd,
			WorkingDir: c.WorkingDir,
			Labels:     c.labels(),
		},
		RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}},
		History: c.History,
	}
	m := ocispec.Manifest{MediaType: mt.manifest, Annotations: c.Annotations, Layers: []ocispec.Descriptor{}}
	m.SchemaVersion = 2
	for i, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
		if c.History == nil {
			cfg.History = append(cfg.History, ocispec.History{
				Created:   &created,
				CreatedBy: fmt.Sprintf("testimages layer %d", i),
			})
		}
		m.Layers = append(m.Layers, addBlob(img, mt.layer, l.data))
	}
	if m.Config, err = addJSON(img, mt.config, cfg); err != nil {
		return ocispec.Descriptor{}, err
	}
	return addJSON(img, mt.manifest, m)
}

// buildAttestation adds a BuildKit-style provenance attestation for target.
func buildAttestation(img *Image, c Config, target ocispec.Descriptor) (ocispec.Descriptor, error) {
	created := c.created()
	stmt := map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"predicateType": "https://slsa.dev/provenance/v0.2",
		"subject": []any{map[string]any{
			"name":   "_",
			"digest": map[string]string{target.Digest.Algorithm().String(): target.Digest.Encoded()},
		}},
		"predicate": map[string]any{
			"builder":   map[string]string{"id": "testimages"},
			"buildType": "https://mobyproject.org/buildkit@v1",
			"metadata":  map[string]any{"buildStartedOn": created.Format(time.RFC3339)},
		},
	}
	data, err := json.Marshal(stmt)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layer := addBlob(img, images.MediaTypeInToto, data)
	layer.Annotations = map[string]string{"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}
	cfg := ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{Architecture: "unknown", OS: "unknown"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}},
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Layers: []ocispec.Descriptor{layer}}
	m.SchemaVersion = 2
	if m.Config, err = addJSON(img, ocispec.MediaTypeImageConfig, cfg); err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := addJSON(img, ocispec.MediaTypeImageManifest, m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc.Platform = &ocispec.Platform{Architecture: "unknown", OS: "unknown"}
	desc.Annotations = map[string]string{
		AnnotationReferenceType:   AttestationManifestType,
		AnnotationReferenceDigest: target.Digest.String(),
	}
	img.Blobs[desc.Digest] = Blob{Descriptor: desc, Data: img.Blobs[desc.Digest].Data}
	return desc, nil
}

type layer struct {
	data   []byte // gzip
	diffID digest.Digest
}

func buildLayers(c Config) ([]layer, error) {
	switch {
	case c.NoLayers:
		return nil, nil
	case len(c.Layers) > 0:
		out := make([]layer, 0, len(c.Layers))
		for _, files := range c.Layers {
			raw := Tar(files)
			out = append(out, layer{data: Gzip(raw), diffID: digest.FromBytes(raw)})
		}
		return out, nil
	case len(c.LayerSizes) > 0:
		out := make([]layer, 0, len(c.LayerSizes))
		for i, n := range c.LayerSizes {
			l, err := randomLayer(c, i, n)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		return out, nil
	default:
		raw := Tar([]File{{Name: "testimage", Data: defaultContent(c)}})
		return []layer{{data: Gzip(raw), diffID: digest.FromBytes(raw)}}, nil
	}
}

// defaultContent derives the content of the default layer's file from everything that makes
// the Config distinct.
func defaultContent(c Config) []byte {
	data, _ := json.Marshal(struct {
		Platform   ocispec.Platform  `json:"platform"`
		Created    time.Time         `json:"created"`
		Seed       uint64            `json:"seed"`
		Labels     map[string]string `json:"labels,omitempty"`
		Env        []string          `json:"env,omitempty"`
		Cmd        []string          `json:"cmd,omitempty"`
		Entrypoint []string          `json:"entrypoint,omitempty"`
	}{c.platform(), c.created(), c.Seed, c.labels(), c.Env, c.Cmd, c.Entrypoint})
	return append(data, '\n')
}

// randomLayer builds a layer holding one file of n pseudo-random bytes, streaming the data
// through tar and gzip (stored, since it does not compress) so only the blob is held.
func randomLayer(c Config, index int, n int64) (layer, error) {
	if n < 0 {
		return layer{}, fmt.Errorf("layer %d: negative size %d: %w", index, n, errdefs.ErrInvalidArgument)
	}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[0:], c.Seed)
	binary.LittleEndian.PutUint64(seed[8:], uint64(index))
	p := c.platform()
	copy(seed[16:], digest.FromString(p.OS+"/"+p.Architecture+"/"+p.Variant).Encoded())
	rng := rand.NewChaCha8(seed)

	var buf bytes.Buffer
	// Stored deflate blocks add 5 bytes per 64 KiB; tar adds headers and padding.
	buf.Grow(int(n + n/8192 + 8192))
	zw, err := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	if err != nil {
		return layer{}, err
	}
	dd := digest.Canonical.Digester()
	tw := tar.NewWriter(io.MultiWriter(dd.Hash(), zw))
	hdr := &tar.Header{
		Name:     fmt.Sprintf("data/layer-%d", index),
		Typeflag: tar.TypeReg,
		Mode:     0o644,
		Size:     n,
		ModTime:  defaultCreated(),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return layer{}, err
	}
	if _, err := io.CopyN(tw, rng, n); err != nil {
		return layer{}, err
	}
	if err := tw.Close(); err != nil {
		return layer{}, err
	}
	if err := zw.Close(); err != nil {
		return layer{}, err
	}
	return layer{data: buf.Bytes(), diffID: dd.Digest()}, nil
}

// Tar builds an uncompressed tar archive of files, in the given order. Entries are owned by
// root and dated [DefaultCreated], so the archive depends only on files. Tar panics if an
// entry cannot be written (files are written by tests, not taken from untrusted input).
func Tar(files []File) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		typ := f.Typeflag
		if typ == 0 {
			typ = tar.TypeReg
			if strings.HasSuffix(f.Name, "/") {
				typ = tar.TypeDir
			}
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		hdr := &tar.Header{
			Name:     f.Name,
			Typeflag: typ,
			Mode:     mode,
			Linkname: f.Linkname,
			Devmajor: f.Devmajor,
			Devminor: f.Devminor,
			ModTime:  defaultCreated(),
			Format:   tar.FormatPAX,
		}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(f.Data))
		}
		// Writing to a bytes.Buffer cannot fail; an error here is a bad entry in files.
		if err := tw.WriteHeader(hdr); err != nil {
			panic(fmt.Sprintf("testimages.Tar: %s: %v", f.Name, err))
		}
		if typ == tar.TypeReg {
			_, _ = tw.Write(f.Data)
		}
	}
	_ = tw.Close()
	return buf.Bytes()
}

// Gzip compresses data with gzip at the default level and a fixed header, so the output
// depends only on data.
func Gzip(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return buf.Bytes()
}

// Layer builds a gzip layer blob of the given media type from files, returning the blob and
// its diff ID (the digest of the uncompressed tar).
func Layer(mediaType string, files []File) (Blob, digest.Digest) {
	raw := Tar(files)
	data := Gzip(raw)
	return Blob{
		Descriptor: ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))},
		Data:       data,
	}, digest.FromBytes(raw)
}

// Digests returns the digests of all the image's blobs, sorted.
func (img *Image) Digests() []digest.Digest {
	ds := make([]digest.Digest, 0, len(img.Blobs))
	for d := range img.Blobs {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds
}
