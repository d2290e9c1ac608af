// Package imagesvc is the contract between the transports of imageapi (the net/http adapter,
// the go-plugin bridge) and the backends that store images (SQLite, containerd, plugins).
//
// A backend implements [Service], which is composed of three small interfaces: [Lister]
// (GET /images/json), [Inspector] (GET /images/{name}/json) and [Creator]
// (POST /images/create: pull and import). Ask for the narrowest one a function needs.
//
// # Model
//
// Every backend follows the model of Docker Engine's containerd image store: an image is
// identified by the digest of its target (an OCI index, a Docker manifest list, or a single
// manifest). A multi-platform image is one entry whose [ManifestSummary] list describes each
// platform manifest and attestation, including platforms whose content is not present
// locally ([ManifestSummary.Available] false).
//
// # Values, not wire formats
//
// The types here are Go values (time.Time, digest.Digest, image-spec Platform and
// Descriptor). How they render on the wire for each Docker API version (placeholder
// "<none>:<none>" tags, VirtualSize, Containers = -1, alphabetical keys, ...) is the job of
// the HTTP adapter, not of the backend. Inputs are parsed at the edge into typed values
// ([ParseImageRef], [ParsePullReference], [ParseImportReference], [ParseChanges],
// [filters.FromJSON]); backends never see raw query strings.
//
// # Errors
//
// Every error a Service returns carries a class from github.com/containerd/errdefs
// (NotFound, InvalidArgument, Unauthenticated, PermissionDenied, Unavailable, Conflict,
// NotImplemented, ...), wrapped with %w and context, or built with the class's WithMessage
// when the text must match Docker's exactly. Transports map the class to a status code; an
// error without a class is an internal error. Context cancellation is reported as the
// context's error (errdefs.IsCanceled / IsDeadlineExceeded).
package imagesvc
