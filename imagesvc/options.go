package imagesvc

import (
	"io"
	"log/slog"
	"net/url"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/filters"
)

// ListOptions are the options of [Lister.List].
type ListOptions struct {
	// All includes intermediate images: dangling images that are the parent
	// (org.mobyproject.image.parent) of another image.
	All bool
	// Filters are the filter arguments; keys must be among [filters.ImageListKeys].
	Filters filters.Args
	// SharedSize computes [Summary.SharedSize] across the listed images.
	SharedSize bool
	// Manifests fills [Summary.Manifests].
	Manifests bool
	// Identity fills [ImageData.Identity]; it requires Manifests.
	Identity bool
}

// Validate reports inconsistent options and unknown filter keys, with class
// InvalidArgument and Docker's texts.
func (o ListOptions) Validate() error {
	if o.Identity && !o.Manifests {
		return errdefs.ErrInvalidArgument.WithMessage("conflicting options: identity requires manifests=1")
	}
	return o.Filters.Validate(filters.ImageListKeys())
}

// InspectOptions are the options of [Inspector.Inspect].
type InspectOptions struct {
	// Manifests fills [Image.Manifests].
	Manifests bool
	// Platform selects one platform manifest of a multi-platform image; nil means the best
	// manifest for the host. It cannot be combined with Manifests.
	Platform *ocispec.Platform
}

// Validate reports inconsistent options with class InvalidArgument and Docker's texts.
func (o InspectOptions) Validate() error {
	if o.Manifests && o.Platform != nil {
		return errdefs.ErrInvalidArgument.WithMessage("conflicting options: manifests and platform options cannot both be set")
	}
	if p := o.Platform; p != nil {
		return ValidatePlatform(*p)
	}
	return nil
}

// PullRequest asks [Creator.Pull] to fetch an image.
type PullRequest struct {
	// Ref is the image to pull, as [ParsePullReference] returns it: a repository with a
	// tag, a digest, both (the digest wins), or neither (every tag of the repository).
	Ref reference.Named
	// Platform is the platform to fetch; nil means the backend's default (the host's).
	Platform *ocispec.Platform
	// Auth holds the credentials for this one request; nil means anonymous (or the
	// backend's configured credentials). Backends never log or store them.
	Auth *AuthConfig
}

// ImportRequest asks [Creator.Import] to create an image from a root filesystem archive.
// Exactly one of Source and URL is set.
type ImportRequest struct {
	// Source is the archive: a tar, uncompressed or compressed with gzip, bzip2, xz or
	// zstd. The backend reads it to EOF or until it fails; it does not close it.
	Source io.Reader
	// URL is where to fetch the archive from, when the backend allows URL sources.
	URL *url.URL
	// Ref names the new image, as [ParseImportReference] returns it; nil leaves it
	// untagged (dangling).
	Ref reference.NamedTagged
	// Message is the history comment of the layer ("Imported from -" by Docker's rule,
	// which transports apply).
	Message string
	// Changes are applied to the image config.
	Changes Changes
	// Platform is the image's platform; nil means the backend's default (the host's).
	Platform *ocispec.Platform
}

// AuthConfig holds registry credentials (the decoded X-Registry-Auth header). It never
// prints or logs its secrets: String and LogValue redact them.
type AuthConfig struct {
	// Username and Password are basic credentials.
	Username string `json:"username,omitempty"`
	// Password goes with Username.
	Password string `json:"password,omitempty"`
	// Auth is base64("username:password"), an alternative to Username and Password.
	Auth string `json:"auth,omitempty"`
	// ServerAddress is the registry the credentials are for; informative.
	ServerAddress string `json:"serveraddress,omitempty"`
	// IdentityToken is an OAuth refresh token, exchanged for an access token.
	IdentityToken string `json:"identitytoken,omitempty"`
	// RegistryToken is a bearer token sent as is.
	RegistryToken string `json:"registrytoken,omitempty"`
}

// Empty reports whether a carries no credentials.
func (a *AuthConfig) Empty() bool {
	return a == nil || (a.Username == "" && a.Password == "" && a.Auth == "" &&
		a.IdentityToken == "" && a.RegistryToken == "")
}

// String describes a without its secrets.
func (a *AuthConfig) String() string {
	if a.Empty() {
		return "AuthConfig{}"
	}
	return "AuthConfig{username=" + a.Username + " server=" + a.ServerAddress + " secrets=redacted}"
}

// LogValue makes slog print a without its secrets.
func (a *AuthConfig) LogValue() slog.Value {
	if a == nil {
		return slog.GroupValue()
	}
	return slog.GroupValue(slog.String("username", a.Username), slog.String("serveraddress", a.ServerAddress))
}
