package imagesvc

import (
	"context"

	"github.com/opencontainers/go-digest"
)

// Service is a complete image backend: everything the three image endpoints need.
//
// Implementations are safe for concurrent use. Lists and inspects must not wait for pulls
// or imports in progress; an image becomes visible only once all of its content is
// committed and verified.
type Service interface {
	Lister
	Inspector
	Creator
}

// Lister lists images (GET /images/json).
type Lister interface {
	// List returns the images that match opts, newest first by [Summary.Created]. It returns
	// an empty, non-nil slice when nothing matches.
	//
	// Errors: InvalidArgument for invalid options or filter values (see
	// [ListOptions.Validate] and package filters); NotFound when a before or since filter
	// names an image that does not exist ("No such image: ..."); the context's error when
	// ctx ends.
	List(ctx context.Context, opts ListOptions) ([]Summary, error)
}

// Inspector inspects one image (GET /images/{name}/json).
type Inspector interface {
	// Inspect returns the image that ref resolves to (see [ImageRef] for the resolution
	// order).
	//
	// Errors: NotFound when nothing matches ([ImageRef.NotFound] text, "No such image:
	// foo:latest"), when a short ID is ambiguous ("ambiguous reference"), or when
	// opts.Platform is set and the image does not provide it ([PlatformNotFound]);
	// InvalidArgument when opts are inconsistent ([InspectOptions.Validate]).
	Inspect(ctx context.Context, ref ImageRef, opts InspectOptions) (*Image, error)
}

// Creator brings images into the store (POST /images/create).
type Creator interface {
	// Pull fetches req.Ref from its registry, reporting progress to progress (which may be
	// nil). It returns one entry per tag pulled: one for a tag or digest reference, every
	// tag of the repository when the reference has neither.
	//
	// Errors, all returned before any progress is reported unless noted:
	// InvalidArgument for a malformed request or an unsupported manifest (schema 1);
	// PermissionDenied for the reserved name "scratch"; NotFound for an unknown
	// repository, tag, digest, or a platform the image does not provide; Unauthenticated
	// when the registry refuses the credentials (or asks for some); Unavailable when the
	// registry cannot be reached. Errors after progress has started (a layer failing its
	// digest check, a disk full) carry their own class; transports report them in-stream.
	Pull(ctx context.Context, req PullRequest, progress ProgressFunc) ([]PulledImage, error)

	// Import creates an image from a root filesystem archive and returns its ID (the
	// manifest digest). Nothing is stored when it fails.
	//
	// Errors: InvalidArgument for a source that is not a tar archive (in any supported
	// compression), a truncated or corrupt stream, or an invalid request; PermissionDenied
	// when req.URL is set but the backend does not allow URL sources; ResourceExhausted
	// when the archive is larger than the backend's bound; for URL sources, the class of
	// the fetch failure (NotFound, Unauthenticated, PermissionDenied, Unavailable).
	Import(ctx context.Context, req ImportRequest, progress ProgressFunc) (digest.Digest, error)
}

// UsageProvider tells a backend which containers use which images. Runtimes that link the
// library know their containers; the library does not. A backend given no UsageProvider
// reports no containers (the containerd backend consults containerd's own records).
type UsageProvider interface {
	// ContainersUsing returns, for those of the given image IDs or manifest digests that
	// some container was created from, the IDs of those containers. Digests used by no
	// container may be absent from the map. It is called on the list path, once per List,
	// with every digest of the listed images: it must be fast.
	ContainersUsing(ctx context.Context, digests []digest.Digest) (map[digest.Digest][]string, error)
}

// UsageFunc adapts a function to [UsageProvider].
type UsageFunc func(ctx context.Context, digests []digest.Digest) (map[digest.Digest][]string, error)

// ContainersUsing calls f.
func (f UsageFunc) ContainersUsing(ctx context.Context, digests []digest.Digest) (map[digest.Digest][]string, error) {
	return f(ctx, digests)
}
