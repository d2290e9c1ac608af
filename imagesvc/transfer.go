package imagesvc

import (
	"context"
	"io"
	"strconv"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Optional capabilities that move images in and out of the store without a pull: save to
// and load from tar archives (docker save, docker load, skopeo's docker-daemon: transport)
// and push to a registry (spec docker-image-lifecycle.md §6–§8). Docker's rules for them
// are written once in this module (internal/transfer) over containerd's archive and push
// libraries; a backend supplies its content store and its records.

// Saver exports images as a tar archive (GET /images/get, GET /images/{name}/get).
type Saver interface {
	// Save writes to w the archive of the images req.Refs name, in the shape Docker 29
	// writes it (spec §6.3): an OCI image layout (oci-layout, index.json with one
	// descriptor per name, blobs/sha256/...) plus Docker's manifest.json, entries sorted
	// by name. A tagged name is exported with its name; an ID, a short ID or a digested
	// reference unnamed; a bare repository ("foo") with every tag of the repository.
	// With no Refs the archive is empty (index.json and oci-layout only).
	//
	// Save resolves every name and prepares the archive's index and manifest.json before
	// it writes the first byte to w, so that an error returned when nothing was written
	// is the request's error; it then copies blobs from the content store to w without
	// holding them in memory, whatever their size. An error returned after the first byte
	// was written is a failure while streaming (the HTTP adapter appends it to the tar
	// stream, as Docker does). Content the archive reads cannot be released while it is
	// written.
	//
	// Errors: NotFound when a name matches nothing ([ImageRef.NotFound]; "No such image:
	// foo:latest" for a bare repository without tags), for an ambiguous short ID, or when
	// one requested platform is not present ("no suitable export target found: image
	// with reference ... was found but does not provide the specified platform (...)") or
	// several are and none matches ("no manifest found for platform: not found");
	// Conflict when one platform matches several manifests; the context's error when ctx
	// ends; the writer's error when w fails.
	Save(ctx context.Context, req SaveRequest, w io.Writer) error
}

// SaveRequest is what [Saver.Save] exports.
type SaveRequest struct {
	// Refs are the images to export, in the order of the archive's index.json.
	Refs []ImageRef
	// Platforms, when not empty, restricts the export to those platforms (strict match,
	// platforms.OnlyStrict): with one, the archive holds that platform's manifest and its
	// attestations; with several (API 1.52+), the image's index with the matching
	// manifests only. Empty exports every platform present.
	Platforms []ocispec.Platform
}

// Loader imports images from a tar archive (POST /images/load).
type Loader interface {
	// Load reads req.Source, a tar archive in Docker's format (manifest.json, as every
	// Docker version since 1.10 writes it) or an OCI image layout (oci-layout and
	// index.json; it wins when both are present), uncompressed or compressed with gzip,
	// bzip2, xz or zstd, and records its images with Docker's containerd-store rules
	// (spec §7.3): each index.json descriptor (or manifest.json entry) becomes a record
	// named by its io.containerd.image.name annotation, else its
	// org.opencontainers.image.ref.name verbatim, else a dangling record; a name that
	// already exists moves to the loaded image, and the image it pointed at stays,
	// dangling, if that was its last name. It returns one [LoadedImage] per record, in
	// the archive's order.
	//
	// Every blob is verified against its digest, and archive paths never leave the
	// content store. When Load fails before the images are recorded, nothing stays
	// behind: no record and no blob that no other image references.
	//
	// Errors: InvalidArgument for an archive that cannot be loaded ("unrecognized image
	// format" for an empty body or neither layout; the tar reader's errors for garbage or
	// a truncated archive; an unsafe path; a blob whose content does not match its
	// digest; a manifest naming a blob the archive lacks); ResourceExhausted when the
	// archive exceeds the backend's size bound; Internal when the store fails (a full
	// disk); NotFound for the platform errors of spec §7.5, those found after the images
	// were recorded returned together with them.
	Load(ctx context.Context, req LoadRequest) ([]LoadedImage, error)
}

// LoadRequest is what [Loader.Load] reads.
type LoadRequest struct {
	// Source is the archive. Load reads it to its end or until it fails; it does not
	// close it.
	Source io.Reader
	// Platforms, when not empty, loads only those platforms of the archive's images
	// (strict match). Empty loads everything the archive holds.
	Platforms []ocispec.Platform
}

// LoadedImage is one record a load created or updated.
type LoadedImage struct {
	// Name is the record's name as Docker prints it ("foo:latest", the familiar form with
	// the tag; a name that is not a reference verbatim), or "" for a dangling record.
	Name string
	// ID is the record's target: the digest of the archive's manifest or index.
	ID digest.Digest
}

// Message is the line Docker's load stream prints for l: "Loaded image: <name>" or
// "Loaded image ID: <id>" (without the newline).
func (l LoadedImage) Message() string {
	if l.Name != "" {
		return "Loaded image: " + l.Name
	}
	return "Loaded image ID: " + l.ID.String()
}

// Pusher uploads images to their registry (POST /images/{name}/push).
type Pusher interface {
	// Push uploads what req.Ref names to the registry of its domain, with the backend's
	// registry configuration (hosts.toml, plain-HTTP registries) and req.Auth for this
	// call only (never logged), reporting progress as Docker's containerd store does
	// (spec §8.3). A reference with a tag or a digest pushes the record with exactly that
	// name; a bare repository pushes every tag record of the repository, in name order.
	// Blobs the registry already has are not sent again ([StatusLayerAlreadyExists]),
	// and blobs pulled from another repository of the same registry are mounted from
	// there when the registry allows ([MountedFrom]).
	//
	// The first event is always [PushRefersTo]; each pushed tag ends with [PushDigest].
	// With req.Platform the platform's manifest is pushed instead of the image's index;
	// without, the record's target, or, when some of an index's content is missing
	// locally, the manifest Docker's fallback selects (reported by an event with
	// [PushAux]).
	//
	// Errors, all after the first event: NotFound when the tag does not exist ("tag does
	// not exist: foo:latest"), a bare repository has no tags ("An image does not exist
	// locally with the tag: foo"), the image lacks req.Platform, or content is missing;
	// Conflict when several manifests match and none was chosen; the registry's refusals
	// with Docker's texts (Unauthenticated, PermissionDenied: "push access denied, ...");
	// Unavailable when the registry cannot be reached; the context's error when ctx ends.
	Push(ctx context.Context, req PushRequest, progress ProgressFunc) error
}

// PushRequest is what [Pusher.Push] uploads.
type PushRequest struct {
	// Ref is a repository with a tag, with a digest, or with neither (every tag of the
	// repository), as the HTTP adapter parses it (spec §8.1).
	Ref reference.Named
	// Platform pushes only that platform's manifest (strict match); nil pushes the
	// record's target.
	Platform *ocispec.Platform
	// Auth holds the credentials for this one request; nil means anonymous (or the
	// backend's configured credentials). Backends never log or store them.
	Auth *AuthConfig
}

// The statuses of Docker's push stream (containerd store). Messages with a variable part
// are built with the functions below.
const (
	StatusPushing            = "Pushing"
	StatusPushed             = "Pushed"
	StatusLayerAlreadyExists = "Layer already exists"
	StatusUnavailable        = "Unavailable"
)

// PushRefersTo is the first event of a push: "The push refers to repository [<name>]",
// with the repository's full name (docker.io/library/foo).
func PushRefersTo(repo reference.Named) ProgressEvent {
	return ProgressEvent{Status: "The push refers to repository [" + repo.Name() + "]"}
}

// MountedFrom is the final status of a blob mounted from another repository of the same
// registry: "Mounted from <path>" (library/alpine).
func MountedFrom(path string) string { return "Mounted from " + path }

// PushDigest is the event that ends each pushed tag: "<tag>: digest: <digest> size:
// <size>", describing the pushed target.
func PushDigest(tag string, target ocispec.Descriptor) ProgressEvent {
	return ProgressEvent{Status: tag + ": digest: " + target.Digest.String() + " size: " + strconv.FormatInt(target.Size, 10)}
}

// PushAux is the auxiliary record of a push ({"progressDetail":{},"aux":{...}}): the
// index fallback of spec §8.2, or the content found missing.
type PushAux struct {
	// ManifestPushedInsteadOfIndex is set when the index's content was incomplete and
	// SelectedManifest was pushed instead of OriginalIndex.
	ManifestPushedInsteadOfIndex bool
	// OriginalIndex is the record's target (annotations included).
	OriginalIndex *ocispec.Descriptor
	// SelectedManifest is the manifest pushed instead.
	SelectedManifest *ocispec.Descriptor
	// ContentMissing is set when Desc is missing from the content store; the push then
	// fails with class NotFound.
	ContentMissing bool
	// Desc is the missing content's descriptor.
	Desc *ocispec.Descriptor
}
