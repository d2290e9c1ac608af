package imagesvc

import (
	"context"

	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Optional capabilities that talk to registries without storing anything (docker login,
// docker-py's get_registry_data, compose and buildx). Backends that pull through
// internal/pull share one implementation; transports answer 501 without them.

// RegistryAuthenticator checks registry credentials (POST /auth).
type RegistryAuthenticator interface {
	// Login checks auth against the registry auth.ServerAddress names (a host[:port], a
	// URL, or "" for Docker Hub), following the registry's challenge (basic or token
	// authentication), with the backend's registry configuration (hosts.toml, plain-HTTP
	// registries). It returns the identity token the registry's token service gave, or ""
	// when there is none; the credentials are used for this call only and never logged.
	//
	// Errors: Unauthenticated when the registry refuses the credentials, with the
	// registry's reason; InvalidArgument for an address that is not a registry host;
	// Unavailable when the registry cannot be reached.
	Login(ctx context.Context, auth AuthConfig) (identityToken string, err error)
}

// DistributionInspector describes an image in its registry without pulling it (GET
// /distribution/{name}/json).
type DistributionInspector interface {
	// DistributionInspect resolves ref (a tag, ":latest" added when it has neither tag
	// nor digest, or a digest) in its registry with the credentials auth (nil for
	// anonymous) and returns the descriptor of its manifest or index and the platforms
	// it provides: those of an index's entries, or of a manifest's config.
	//
	// Errors: NotFound for an unknown repository, tag or digest; Unauthenticated when
	// the registry wants credentials or refuses them; InvalidArgument for a schema 1
	// manifest; Unavailable when the registry cannot be reached.
	DistributionInspect(ctx context.Context, ref reference.Named, auth *AuthConfig) (*DistributionInfo, error)
}

// DistributionInfo is what a registry says of an image (DistributionInspect on the wire).
type DistributionInfo struct {
	// Descriptor is the descriptor of the manifest or index the reference resolves to.
	Descriptor ocispec.Descriptor
	// Platforms are the platforms the image provides, in index order; nil when unknown.
	Platforms []ocispec.Platform
}
