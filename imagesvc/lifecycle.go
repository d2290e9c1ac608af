package imagesvc

import (
	"context"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/filters"
)

// The optional capabilities of a backend. A [Service] implements any of them, in its
// method set as with io.WriterTo beside io.Writer, or through [CapabilityProvider] when
// they are known only at run time; callers find out with [As]:
//
//	if r, ok := imagesvc.As[imagesvc.Remover](svc); ok { ... }
//
// Transports answer "not implemented" (HTTP 501) for an operation whose interface the
// service lacks. Docker's rules for each operation (spec docker-image-lifecycle.md §2–§5)
// are decided in one place that every backend of this module calls; a backend supplies
// only storage primitives.

// Remover removes images (DELETE /images/{name}).
type Remover interface {
	// Remove untags or deletes the image ref names, with Docker's containerd-store rules
	// (spec §2.2): by name with other names left, it only untags that name; the last name,
	// an ID or a short ID deletes the image with every record that targets it. It returns
	// the operations in the order they ran: an Untagged entry per removed name, then a
	// Deleted entry for the image ID (only the target digest: no layers). With
	// opts.Platforms it instead deletes the content of those platforms (spec §2.5) and
	// returns the manifest digests deleted, or nil when nothing was.
	//
	// Content that no remaining image references is released before Remove returns.
	//
	// Errors: InvalidArgument for invalid options ([RemoveOptions.Validate]); NotFound
	// when nothing matches ([ImageRef.NotFound]), for an ambiguous short ID
	// ([ErrAmbiguous]), or for a platform the image does not provide; Conflict when a
	// container uses the image (running: even with Force; stopped: without Force) or the
	// image has names in several repositories and Force is not set, with Docker's texts
	// ([DeleteConflict]). A conflict found after some records were removed leaves them
	// removed.
	Remove(ctx context.Context, ref ImageRef, opts RemoveOptions) ([]DeleteResponse, error)
}

// RemoveOptions are the options of [Remover.Remove].
type RemoveOptions struct {
	// Force removes the last name of an image in use by a stopped container (the image
	// then stays, dangling), deletes an image with names in several repositories, and is
	// required with Platforms.
	Force bool
	// NoPrune keeps the untagged parents (label org.mobyproject.image.parent) of a
	// deleted image, which are otherwise deleted with it.
	NoPrune bool
	// Platforms, when not empty, deletes only the content of these platforms of the image
	// (API 1.50+); Force is required.
	Platforms []ocispec.Platform
}

// Validate reports inconsistent options with class InvalidArgument and Docker's texts.
// Docker checks it before resolving the name, so a backend calls it first.
func (o RemoveOptions) Validate() error {
	if len(o.Platforms) > 0 && !o.Force {
		// The text really has an em dash before "-force" (spec §2.5).
		return errdefs.ErrInvalidArgument.WithMessage("Content will be removed from all images referencing this variant. Use \u2014-force to force delete.")
	}
	for _, p := range o.Platforms {
		if err := ValidatePlatform(p); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePlatform checks that p names an OS and an architecture, with the texts of
// Docker's DecodePlatform: "optional platform fields provided, but OS and Architecture are
// missing" when only optional fields are set, "both OS and Architecture must be provided"
// otherwise.
func ValidatePlatform(p ocispec.Platform) error {
	optional := p.Variant != "" || p.OSVersion != "" || len(p.OSFeatures) > 0
	if p.OS == "" && p.Architecture == "" && optional {
		return errdefs.ErrInvalidArgument.WithMessage("optional platform fields provided, but OS and Architecture are missing")
	}
	if p.OS == "" || p.Architecture == "" {
		return errdefs.ErrInvalidArgument.WithMessage("both OS and Architecture must be provided")
	}
	return nil
}

// DeleteResponse is one operation of a remove or a prune (DeleteResponse on the wire).
// Exactly one field is set.
type DeleteResponse struct {
	// Untagged is a removed name in familiar form ("foo:latest", "foo@sha256:..."); in a
	// prune report, a dangling image's ID ("sha256:...").
	Untagged string
	// Deleted is the digest of a deleted image, or of a manifest or index blob removed.
	Deleted digest.Digest
}

// DeleteConflict returns the Conflict error of a remove refused because of a container or
// of several names, with Docker's text: "conflict: unable to delete <what> (<must be
// forced|cannot be forced>) - <why>". what is a familiar name or 12 hex digits of an ID.
func DeleteConflict(what string, forceable bool, why string) error {
	how := "cannot be forced"
	if forceable {
		how = "must be forced"
	}
	return errdefs.ErrConflict.WithMessage("conflict: unable to delete " + what + " (" + how + ") - " + why)
}

// Tagger gives images new names (POST /images/{name}/tag).
type Tagger interface {
	// Tag points the name target at the image source resolves to (spec §3). When target
	// already names another image, it moves, and that image becomes dangling if it was its
	// last name; when it already names this image, nothing changes. A dangling image that
	// is tagged is no longer dangling.
	//
	// Errors: NotFound for every failure to resolve source ([ImageRef.NotFound],
	// [ErrAmbiguous]), and when the image has no locally available platform
	// ([PlatformNotFound] with no platform); InvalidArgument for a target that
	// [ParseTagReference] would refuse.
	Tag(ctx context.Context, source ImageRef, target reference.NamedTagged) error
}

// ParseTagReference builds the new name of a tag from the repo and tag parameters of POST
// /images/{name}/tag: tag replaces a tag in repo, ":latest" when there is none.
//
// Errors, all InvalidArgument with Docker's texts: an empty repo ("repository name must
// be given"; Docker answers 200 and does nothing, which this library does not follow), a
// malformed name or tag, a digest ("cannot import digest reference"), and a repository
// named "sha256" ("refusing to create an ambiguous tag using digest algorithm as name").
func ParseTagReference(repo, tag string) (reference.NamedTagged, error) {
	if repo == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("repository name must be given: the repo parameter is empty")
	}
	ref, err := ParseImportReference(repo, tag)
	if err != nil {
		return nil, err
	}
	if reference.FamiliarName(ref) == string(digest.Canonical) {
		return nil, errdefs.ErrInvalidArgument.WithMessage("refusing to create an ambiguous tag using digest algorithm as name")
	}
	return ref, nil
}

// Pruner removes unused images (POST /images/prune).
type Pruner interface {
	// Prune removes the images no container uses that match opts.Filters, with Docker's
	// containerd-store rules (spec §4): by default only dangling images; dangling=false
	// every unused image. It reports an Untagged entry per removed record (a dangling
	// image's ID as its name), a Deleted entry per manifest or index blob removed, and the
	// bytes of content that really disappeared.
	//
	// Errors: Conflict when another prune of the same service is running ("a prune
	// operation is already running"), checked before the filters; InvalidArgument for
	// invalid filters ([PruneOptions.Validate]). Any failure on one image fails the whole
	// prune with its class after the others were tried; the partial report is lost.
	Prune(ctx context.Context, opts PruneOptions) (*PruneReport, error)
}

// PruneOptions are the options of [Pruner.Prune].
type PruneOptions struct {
	// Filters are the filter arguments: dangling, label, label! and until.
	Filters filters.Args
}

// PruneKeys are the filter keys of a prune.
func PruneKeys() []string { return []string{"dangling", "label", "label!", "until"} }

// Validate reports unknown filter keys and invalid values, with class InvalidArgument and
// Docker's texts ("invalid filter 'color'", "invalid filter 'dangling=[x]'").
func (o PruneOptions) Validate() error {
	if err := o.Filters.Validate(PruneKeys()); err != nil {
		return err
	}
	_, err := o.Dangling()
	return err
}

// Dangling returns the value of the dangling filter: true (the default) prunes only
// dangling images, false every unused image.
func (o PruneOptions) Dangling() (bool, error) {
	return o.Filters.BoolOrDefault("dangling", true)
}

// PruneReport is the result of a prune (ImagesPruneReport on the wire).
type PruneReport struct {
	// ImagesDeleted lists the operations; nil when nothing was pruned.
	ImagesDeleted []DeleteResponse
	// SpaceReclaimed is the number of bytes of content removed.
	SpaceReclaimed uint64
}

// Historian tells how an image was built (GET /images/{name}/history).
type Historian interface {
	// History returns the history of the image ref resolves to (the best manifest for
	// the host, or opts.Platform's), newest first: one entry per history entry of its
	// config, empty layers included; nil when the config has no history (spec §5).
	//
	// Errors: NotFound when nothing matches or the image lacks the platform
	// ([PlatformNotFound]); InvalidArgument for an invalid platform; an error of class
	// Internal when the config has more non-empty history entries than layers ("unable
	// to find the size of the layer").
	History(ctx context.Context, ref ImageRef, opts HistoryOptions) ([]HistoryItem, error)
}

// HistoryOptions are the options of [Historian.History].
type HistoryOptions struct {
	// Platform selects a platform of a multi-platform image (API 1.48+), matched as
	// containerd's platforms.Only does; nil means the best one for the host.
	Platform *ocispec.Platform
}

// HistoryItem is one entry of an image's history (HistoryResponseItem on the wire).
type HistoryItem struct {
	// ID is the image ID on the newest entry, "<missing>" on the others.
	ID string
	// Created is the entry's creation time; zero when absent.
	Created time.Time
	// CreatedBy is the command that created the entry.
	CreatedBy string
	// Tags are the image's names, familiar, digest names included, on the entry that has
	// the ID; nil elsewhere and for a dangling image.
	Tags []string
	// Size is the unpacked size of the entry's layer; 0 for an empty layer or a layer that
	// is not unpacked.
	Size int64
	// Comment is the entry's comment.
	Comment string
}

// MissingID is the ID of the history entries that are not an image.
const MissingID = "<missing>"

// ListVersioner is an optional interface of a [Lister] whose lists and inspects change only
// when its version does. ListVersion returns a value that changes whenever a List or an
// Inspect with the same options could answer differently, except for two inputs the
// caller accounts for itself: the current time (the until filter) and a usage provider
// that implements [UsageTrackedPerCall]. Callers may then answer a repeated list or
// inspect at the same version from the answer they kept (a plugin host does; an HTTP
// transport derives an ETag from it and answers 304 Not Modified).
//
// The version must change no later than a write becomes visible: a List or Inspect that
// sees the write must not run while ListVersion still returns the version from before it.
// A backend that cannot order them makes ListVersion fail while a write is in progress
// (the SQLite backend answers Unavailable then). A caller reads the version before and
// after building an answer and keeps the answer only when both are equal.
//
// Errors: NotImplemented when the answers depend on something the version does not cover
// (a usage provider without [UsageTrackedPerCall]); Unavailable while a write is in
// progress; the caller then does not reuse answers.
type ListVersioner interface {
	ListVersion(ctx context.Context) (string, error)
}

// UsageOmitter is an optional interface of a [ListVersioner] whose versions can leave out
// its usage provider, one with [UsageTrackedPerCall]. When ListVersionOmitsUsage reports
// true, a caller that reuses answers by version must account for that provider's changes
// itself (httpadapter's Options.UsageVersion) or reuse nothing: httpadapter then sends no
// ETag and keeps no answer unless the host gave a usage version.
type UsageOmitter interface {
	ListVersionOmitsUsage() bool
}

// UsageTrackedPerCall is implemented by a [UsageProvider] whose answers the caller of List
// accounts for itself, call by call; a [ListVersioner] then need not cover its changes.
type UsageTrackedPerCall interface {
	UsageTrackedPerCall()
}

// Container is what Docker's rules need to know of a container that uses an image (spec
// §1.4).
type Container struct {
	// ID is the container ID (64 hex; messages print 12).
	ID string
	// ImageID is the ID (target digest) of the image the container was created from.
	ImageID digest.Digest
	// ImageManifest is the platform manifest the container runs, or "".
	ImageManifest digest.Digest
	// Image is the reference the user gave when creating the container ("alpine",
	// "82d1e9d", "a@sha256:..."); prune keeps the record it names.
	Image string
	// Running is true while the container runs, and also while it is paused or
	// restarting: a running container's image cannot be removed even with force.
	Running bool
	// ImageMounts are the IDs of images mounted into the container (mounts of type
	// "image").
	ImageMounts []digest.Digest
}

// ContainerLister is an optional interface of a [UsageProvider] that knows its containers
// in full: Remove and Prune consult it for Docker's conflict rules. A backend whose usage
// provider does not implement it treats every image as unused by Remove and Prune.
type ContainerLister interface {
	// Containers returns every container of the host.
	Containers(ctx context.Context) ([]Container, error)
}
