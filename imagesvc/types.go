package imagesvc

import (
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Summary is one entry of a list (GET /images/json, ImageSummary on the wire).
type Summary struct {
	// ID is the digest of the image's target: the index, manifest list or manifest.
	ID digest.Digest
	// ParentID is the image's parent (label org.mobyproject.image.parent), or "".
	ParentID digest.Digest
	// RepoTags are the image's names in familiar form ("alpine:3.20",
	// "localhost:5000/x@sha256:..." for images pulled by digest). Never nil; empty for
	// dangling images. A list with a reference filter trims it to the matching names.
	RepoTags []string
	// RepoDigests are "<familiar repository>@<ID>" entries. Never nil.
	RepoDigests []string
	// Created is the creation time in the config of the image's best manifest (the host's
	// platform first); zero when the config has none.
	Created time.Time
	// Size is the total over all manifests of the locally present content plus the
	// unpacked size of each platform.
	Size int64
	// SharedSize is the size shared with other listed images, or -1 when
	// [ListOptions.SharedSize] was not set.
	SharedSize int64
	// Labels are the labels of the best manifest's config. Never nil for an image with an
	// image manifest; nil for the index-level fallback (no image manifest at all).
	Labels map[string]string
	// Containers is the number of containers using the image, as the [UsageProvider]
	// reports it, and the service's root filesystem views of it ([RootFSPreparer]); 0
	// without either.
	Containers int64
	// Descriptor is the target descriptor.
	Descriptor ocispec.Descriptor
	// Manifests describes each manifest of the image; filled only when
	// [ListOptions.Manifests] is set.
	Manifests []ManifestSummary
}

// ManifestKind classifies a manifest of an image.
type ManifestKind string

// The kinds of manifest, as Docker's containerd store decides them (spec §2.6).
const (
	// KindImage is a runnable image manifest, present or not.
	KindImage ManifestKind = "image"
	// KindAttestation is a BuildKit attestation manifest that names the manifest it attests.
	KindAttestation ManifestKind = "attestation"
	// KindUnknown is anything else: other pseudo-images, unreadable manifests.
	KindUnknown ManifestKind = "unknown"
)

// ManifestSummary describes one manifest of an image (ImageManifestSummary on the wire).
// A Kind of [KindImage] always comes with ImageData, and [KindAttestation] with
// AttestationData: the docker CLI dereferences both without checking.
type ManifestSummary struct {
	// ID is the manifest digest.
	ID digest.Digest
	// Descriptor is the descriptor as the parent index lists it (platform, annotations).
	Descriptor ocispec.Descriptor
	// Available reports whether the manifest, its config and all its layers are present.
	Available bool
	// Size holds the sizes of the manifest's content.
	Size ManifestSize
	// Kind classifies the manifest.
	Kind ManifestKind
	// ImageData is set when Kind is KindImage.
	ImageData *ImageData
	// AttestationData is set when Kind is KindAttestation.
	AttestationData *AttestationData
}

// ManifestSize holds the sizes of a manifest's content.
type ManifestSize struct {
	// Content is the size of the locally present blobs of the manifest's subtree, the
	// manifest itself included.
	Content int64
	// Total is Content plus kind-specific sizes (the unpacked size for images).
	Total int64
}

// ImageData describes a manifest of kind [KindImage].
type ImageData struct {
	// Platform is the descriptor's platform, else the config's, else zero.
	Platform ocispec.Platform
	// Identity is filled when [ListOptions.Identity] is set and the manifest is available.
	Identity *Identity
	// Unpacked is the unpacked (uncompressed) size of the layers; 0 when not unpacked.
	Unpacked int64
	// Containers are the IDs of containers created from this manifest; nil when none.
	Containers []string
}

// AttestationData describes a manifest of kind [KindAttestation].
type AttestationData struct {
	// For is the digest of the image manifest that is attested.
	For digest.Digest
}

// Identity tells where an image came from (API 1.53+).
type Identity struct {
	// Pull lists the repositories the image was pulled from.
	Pull []PullIdentity
	// Build lists the builds that produced the image.
	Build []BuildIdentity
}

// PullIdentity is a repository an image was pulled from.
type PullIdentity struct {
	// Repository is the canonical repository name, e.g. "docker.io/library/alpine".
	Repository string
}

// BuildIdentity is a build that produced an image.
type BuildIdentity struct {
	// Ref identifies the build request.
	Ref string
	// CreatedAt is when the build ran.
	CreatedAt time.Time
}

// Image is the result of an inspect (ImageInspect on the wire).
type Image struct {
	// ID is the target digest, or the platform manifest's digest when
	// [InspectOptions.Platform] selected one.
	ID digest.Digest
	// RepoTags are every name of the image in familiar form, digest-form names included.
	// Never nil.
	RepoTags []string
	// RepoDigests are "<repository>@<digest>" for each name. Never nil.
	RepoDigests []string
	// Parent is the parent image ID (legacy builder), or "".
	Parent digest.Digest
	// Comment is the comment of the last history entry.
	Comment string
	// Created is the config's creation time; zero when absent.
	Created time.Time
	// DockerVersion is the Docker version that built the image (legacy builder), or "".
	DockerVersion string
	// Author is the config's author.
	Author string
	// Config is the runtime configuration of the best (or selected) manifest.
	Config ImageConfig
	// Architecture, Variant, OS and OSVersion describe the platform of the config.
	Architecture, Variant, OS, OSVersion string
	// Size is the best manifest's total size (content plus unpacked); the total over all
	// manifests when there is no image manifest.
	Size int64
	// Driver names the storage that holds the unpacked layers (GraphDriver on the wire,
	// which Docker sends below API 1.52).
	Driver string
	// RootFS lists the layers (diff IDs) of the config.
	RootFS RootFS
	// LastTagTime is the latest time a name of the image was created or moved.
	LastTagTime time.Time
	// Descriptor is the target descriptor, or the selected platform manifest's.
	Descriptor ocispec.Descriptor
	// Manifests is filled when [InspectOptions.Manifests] is set.
	Manifests []ManifestSummary
	// Identity tells where the image came from; nil when unknown.
	Identity *Identity
}

// RootFS describes the layers of an image config.
type RootFS struct {
	// Type is "layers".
	Type string
	// Layers are the diff IDs, bottom first.
	Layers []digest.Digest
}

// ImageConfig is the runtime configuration of an image: the OCI image config plus the
// Docker extensions (Healthcheck, OnBuild, Shell). It marshals as Docker's
// DockerOCIImageConfig.
type ImageConfig struct {
	ocispec.ImageConfig
	// Healthcheck is the container health check.
	Healthcheck *HealthConfig `json:",omitempty"`
	// OnBuild holds ONBUILD triggers.
	OnBuild []string `json:",omitempty"`
	// Shell is the shell for shell-form RUN, CMD and ENTRYPOINT.
	Shell []string `json:",omitempty"`
}

// HealthConfig is a container health check. Durations marshal as nanoseconds.
type HealthConfig struct {
	// Test is the check: [] inherit, ["NONE"] disabled, ["CMD", args...] or
	// ["CMD-SHELL", command].
	Test []string `json:",omitempty"`
	// Interval is the time between checks.
	Interval time.Duration `json:",omitempty"`
	// Timeout is the time after which one check is considered hung.
	Timeout time.Duration `json:",omitempty"`
	// StartPeriod is the start-up time during which failures do not count.
	StartPeriod time.Duration `json:",omitempty"`
	// StartInterval is the time between checks during the start period.
	StartInterval time.Duration `json:",omitempty"`
	// Retries is the number of consecutive failures that make the container unhealthy.
	Retries int `json:",omitempty"`
}

// PulledImage is one image that a pull brought in or found up to date.
type PulledImage struct {
	// Ref is the name the image was stored under, in familiar form ("alpine:3.20",
	// "alpine@sha256:...").
	Ref string
	// ID is the image ID (the target digest).
	ID digest.Digest
	// Updated is true when the name is new or now points at another digest; false when the
	// image was already up to date.
	Updated bool
}
