package model

import (
	"maps"
	"slices"
	"time"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// The image view: how list and inspect show an image, from a backend-neutral description
// of its manifests and configs (docker-image-api.md §2.5–§2.6, §3). Backends keep
// [Manifest] and [Config] values (the SQLite catalog stores them as JSON: their field
// names are part of its format) and build their answers with these functions.

// Manifest is what list and inspect show of one manifest of an image.
type Manifest struct {
	// Descriptor is the manifest's descriptor as its parent index lists it, or the
	// image's target for a single-manifest image.
	Descriptor ocispec.Descriptor `json:"descriptor"`
	// Kind classifies the manifest as Docker does.
	Kind imagesvc.ManifestKind `json:"kind"`
	// Available reports whether the manifest, its config and all its layers are present.
	Available bool `json:"available,omitempty"`
	// Content is the size of the present blobs of the manifest's subtree.
	Content int64 `json:"content,omitempty"`
	// Unpacked is the unpacked size of the layers; 0 when not unpacked.
	Unpacked int64 `json:"unpacked,omitempty"`
	// Platform is set for KindImage: the descriptor's platform, else the config's.
	Platform *ocispec.Platform `json:"platform,omitempty"`
	// For is set for KindAttestation: the manifest attested.
	For digest.Digest `json:"for,omitempty"`
	// HasConfig reports that the config was read.
	HasConfig bool `json:"hasConfig,omitempty"`
}

// ManifestOf is the view of what the content says of a manifest.
func ManifestOf(mi ManifestInfo) Manifest {
	m := Manifest{
		Descriptor: mi.Descriptor,
		Kind:       mi.Kind,
		Available:  mi.Available,
		Content:    mi.ContentSize,
		Unpacked:   mi.Unpacked,
		For:        mi.AttestationFor,
		HasConfig:  mi.Kind == imagesvc.KindImage && mi.Config != nil,
	}
	if mi.Kind == imagesvc.KindImage {
		p := mi.Platform
		m.Platform = &p
	}
	return m
}

// View returns m itself: the accessor of [ContainersOf] for a slice of Manifest, and,
// promoted, for backend records that embed one.
func (m *Manifest) View() *Manifest { return m }

// Total is the manifest's Size.Total: content plus unpacked size.
func (m *Manifest) Total() int64 { return m.Content + m.Unpacked }

// platform is the manifest's platform, normalized; zero when it has none.
func (m *Manifest) platform() ocispec.Platform {
	if m.Platform == nil {
		return ocispec.Platform{}
	}
	return platforms.Normalize(*m.Platform)
}

// Summary returns the manifest's summary (a copy the caller owns), with the containers
// created from it (nil for none) and, for an available image manifest, identity.
func (m *Manifest) Summary(containers []string, identity *imagesvc.Identity) imagesvc.ManifestSummary {
	s := imagesvc.ManifestSummary{
		ID:         m.Descriptor.Digest,
		Descriptor: CloneDescriptor(m.Descriptor),
		Available:  m.Available,
		Size:       imagesvc.ManifestSize{Content: m.Content, Total: m.Content},
		Kind:       m.Kind,
	}
	switch m.Kind {
	case imagesvc.KindImage:
		s.Size.Total += m.Unpacked
		d := &imagesvc.ImageData{Unpacked: m.Unpacked}
		if m.Platform != nil {
			d.Platform = ClonePlatform(*m.Platform)
		}
		if len(containers) > 0 {
			d.Containers = slices.Clone(containers)
		}
		if m.Available {
			d.Identity = identity
		}
		s.ImageData = d
	case imagesvc.KindAttestation:
		s.AttestationData = &imagesvc.AttestationData{For: m.For}
	}
	return s
}

// ManifestSummaries describes the manifests ms of an image: usage maps manifest digests
// to the containers created from them; identity, when not nil, is what an available
// image manifest says of where the image came from.
func ManifestSummaries(ms []Manifest, usage map[digest.Digest][]string, identity func(i int) *imagesvc.Identity) []imagesvc.ManifestSummary {
	out := make([]imagesvc.ManifestSummary, len(ms))
	for i := range ms {
		var id *imagesvc.Identity
		if identity != nil && ms[i].Available && ms[i].Kind == imagesvc.KindImage {
			id = identity(i)
		}
		out[i] = ms[i].Summary(usage[ms[i].Descriptor.Digest], id)
	}
	return out
}

// ContainersOf returns the distinct containers that use the image id or one of its
// manifests ms, as usage reports them. ms may be any backend's manifest records, view
// giving the shared view of one, so that no copy is made on the list path. The result
// may share memory with usage: callers do not modify it.
func ContainersOf[M any](id digest.Digest, ms []M, view func(*M) *Manifest, usage map[digest.Digest][]string) []string {
	ids := usage[id]
	for i := range ms {
		d := view(&ms[i]).Descriptor.Digest
		if d == id {
			continue
		}
		for _, c := range usage[d] {
			if !slices.Contains(ids, c) {
				ids = append(slices.Clip(ids), c)
			}
		}
	}
	return ids
}

// ListBest returns the index in ms of the manifest a list entry's Created and Labels come
// from, as Docker's multiPlatformSummary picks it: among every image manifest, present or
// not, the best match for the host platform, else the first one. It returns -1 when
// there is no image manifest (the list entry then falls back to the index).
func ListBest(ms []Manifest, host ocispec.Platform) int {
	return best(ms, platforms.Only(host), func(*Manifest) bool { return true })
}

// InspectBest returns the index in ms of the manifest an inspect shows when no platform
// is requested, as Docker's getBestPresentImageManifest picks it: among the available
// image manifests whose config was read, the best match for the host platform, else the
// first one. It returns -1 when there is none.
func InspectBest(ms []Manifest, host ocispec.Platform) int {
	return best(ms, platforms.Only(host), present)
}

// SelectPlatform returns the index in ms of the available image manifest that provides
// the platform p (matched as platforms.Only does, best match first), or -1.
func SelectPlatform(ms []Manifest, p ocispec.Platform) int {
	m := platforms.Only(platforms.Normalize(p))
	i := best(ms, m, present)
	if i >= 0 && !m.Match(ms[i].platform()) {
		return -1
	}
	return i
}

func present(m *Manifest) bool { return m.Available && m.HasConfig }

// best returns the image manifest of ms that ok accepts and that m prefers, else the
// first one ok accepts; -1 when ok accepts none.
func best(ms []Manifest, m platforms.MatchComparer, ok func(*Manifest) bool) int {
	bestIdx, firstIdx := -1, -1
	for i := range ms {
		c := &ms[i]
		if c.Kind != imagesvc.KindImage || !ok(c) {
			continue
		}
		if firstIdx < 0 {
			firstIdx = i
		}
		p := c.platform()
		if !m.Match(p) {
			continue
		}
		if bestIdx < 0 || m.Less(p, ms[bestIdx].platform()) {
			bestIdx = i
		}
	}
	if bestIdx >= 0 {
		return bestIdx
	}
	return firstIdx
}

// Config is what inspect shows of one platform's config.
type Config struct {
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
	// Parent is the legacy builder's parent image ID ("parent" in the config).
	Parent digest.Digest `json:"parent,omitempty"`
}

// ConfigOf is the view of a config. Comment is the comment of the last history entry,
// else the legacy top-level comment.
func ConfigOf(cfg *ConfigFile) *Config {
	c := &Config{
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
		Parent:        cfg.Parent,
	}
	if n := len(cfg.History); n > 0 {
		c.Comment = cfg.History[n-1].Comment
	}
	return c
}

// Fill sets the fields of img that come from the config, with copies img owns. A parent
// already set (from a label) is kept.
func (c *Config) Fill(img *imagesvc.Image) {
	img.Comment = c.Comment
	if c.Created != nil {
		img.Created = *c.Created
	}
	img.DockerVersion = c.DockerVersion
	img.Author = c.Author
	img.Config = CloneConfig(c.Config)
	img.Architecture, img.Variant, img.OS, img.OSVersion = c.Architecture, c.Variant, c.OS, c.OSVersion
	img.RootFS = imagesvc.RootFS{Type: c.RootFS.Type, Layers: slices.Clone(c.RootFS.Layers)}
	if img.Parent == "" && c.Parent != "" {
		img.Parent = c.Parent
	}
}

// CloneConfig copies c deeply enough that callers may modify the result.
func CloneConfig(c imagesvc.ImageConfig) imagesvc.ImageConfig {
	c.ExposedPorts = maps.Clone(c.ExposedPorts)
	c.Env = slices.Clone(c.Env)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Cmd = slices.Clone(c.Cmd)
	c.Volumes = maps.Clone(c.Volumes)
	c.Labels = maps.Clone(c.Labels)
	c.OnBuild = slices.Clone(c.OnBuild)
	c.Shell = slices.Clone(c.Shell)
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = slices.Clone(h.Test)
		c.Healthcheck = &h
	}
	return c
}

// CloneDescriptor copies d deeply enough that callers may modify the result.
func CloneDescriptor(d ocispec.Descriptor) ocispec.Descriptor {
	if d.Annotations != nil {
		d.Annotations = maps.Clone(d.Annotations)
	}
	if d.Platform != nil {
		p := ClonePlatform(*d.Platform)
		d.Platform = &p
	}
	if d.URLs != nil {
		d.URLs = slices.Clone(d.URLs)
	}
	if d.Data != nil {
		d.Data = slices.Clone(d.Data)
	}
	return d
}

// ClonePlatform copies p deeply enough that callers may modify the result.
func ClonePlatform(p ocispec.Platform) ocispec.Platform {
	if p.OSFeatures != nil {
		p.OSFeatures = slices.Clone(p.OSFeatures)
	}
	return p
}

// HasAvailableImage reports whether some image manifest of ms is available locally: what
// Tag needs of its source. ms may be any backend's manifest records, as for ContainersOf.
func HasAvailableImage[M any](ms []M, view func(*M) *Manifest) bool {
	for i := range ms {
		if m := view(&ms[i]); m.Kind == imagesvc.KindImage && m.Available {
			return true
		}
	}
	return false
}
