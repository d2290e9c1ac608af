package imagesvc

import (
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageRef is a parsed image reference as GET /images/{name}/json accepts it. Backends
// resolve it in this order, as Docker's containerd store does:
//
//  1. [ImageRef.Digest] set (a full ID, "sha256:<64 hex>", or name@digest): the images
//     whose ID (target digest) equals it; with a name, only names of that repository
//     count. A config digest does not resolve.
//  2. [ImageRef.Named] set: the image named [ImageRef.Tagged] exactly.
//  3. [ImageRef.ShortID] not empty: the images whose ID starts with that hex prefix. Two
//     or more distinct IDs make the reference ambiguous ([ErrAmbiguous]).
//  4. Otherwise [ImageRef.NotFound].
//
// The zero ImageRef resolves to nothing.
type ImageRef struct {
	input  string
	named  reference.Named
	digest digest.Digest
	short  string
}

// ParseImageRef parses an image name, tag, digest, or full or short ID. Errors are of
// class InvalidArgument with Docker's texts ("invalid reference format: repository name
// (library/Foo) must be lowercase").
func ParseImageRef(s string) (ImageRef, error) {
	parsed, err := reference.ParseAnyReference(s)
	if err != nil {
		return ImageRef{}, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	r := ImageRef{input: s}
	switch v := parsed.(type) {
	case reference.Named:
		r.named = v
		if c, ok := v.(reference.Canonical); ok {
			r.digest = c.Digest()
		}
	case reference.Digested:
		r.digest = v.Digest()
	}
	if isShortID(s) {
		r.short = strings.TrimPrefix(s, "sha256:")
	}
	return r, nil
}

// isShortID reports whether s is 4 to 64 lowercase hex digits, with an optional
// "sha256:" prefix.
func isShortID(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// String returns the reference as it was given.
func (r ImageRef) String() string { return r.input }

// Named returns the normalized name ("docker.io/library/alpine:3.20"), or nil when the
// reference is a bare digest.
func (r ImageRef) Named() reference.Named { return r.named }

// Tagged returns the name to look up exactly: the name with ":latest" added when it has
// neither tag nor digest. It is nil when the reference is a bare digest.
func (r ImageRef) Tagged() reference.Named {
	if r.named == nil {
		return nil
	}
	return reference.TagNameOnly(r.named)
}

// Digest returns the digest of a bare ID or of a name@digest reference, or "".
func (r ImageRef) Digest() digest.Digest { return r.digest }

// ShortID returns the hex prefix (without "sha256:") when the reference could be a short
// or full image ID, or "".
func (r ImageRef) ShortID() string { return r.short }

// NotFound returns the NotFound error for r, with Docker's text: "No such image: " and
// the familiar form, ":latest" added to a name without tag or digest.
func (r ImageRef) NotFound() error {
	var s string
	switch {
	case r.named != nil:
		s = reference.FamiliarString(reference.TagNameOnly(r.named))
	case r.digest != "":
		s = r.digest.String()
	default:
		s = r.input
	}
	return errdefs.ErrNotFound.WithMessage("No such image: " + s)
}

// ErrAmbiguous returns the NotFound error of a short ID that matches several images.
func ErrAmbiguous() error {
	return errdefs.ErrNotFound.WithMessage("ambiguous reference")
}

// PlatformNotFound returns the NotFound error for an image that lacks the requested
// platform, with Docker's text: "image with reference <name> was found but does not
// provide the specified platform (linux/arm64/v8)", or "... does not provide any
// platform" when p is the zero platform (nothing of the image is present).
func PlatformNotFound(name string, p ocispec.Platform) error {
	msg := "image with reference " + name + " was found but does not provide "
	if p.OS != "" {
		msg += "the specified platform (" + FormatPlatform(p) + ")"
	} else {
		msg += "any platform"
	}
	return errdefs.ErrNotFound.WithMessage(msg)
}

// FormatPlatform renders p as os[/arch[/variant]].
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS
	if p.Architecture != "" {
		s += "/" + p.Architecture
		if p.Variant != "" {
			s += "/" + p.Variant
		}
	}
	return s
}

// ParsePullReference builds the reference of a pull from the fromImage, tag and legacy
// registry parameters of POST /images/create, as Docker does: a trailing ":" on fromImage
// is dropped; registry is put in front of fromImage when fromImage names no registry
// host; a tag that parses as a digest makes the reference repo@digest, any other tag
// replaces the tag in fromImage. The result has neither tag nor digest when the whole
// repository is to be pulled.
//
// Errors: InvalidArgument for a malformed name or tag; PermissionDenied for "scratch".
func ParsePullReference(fromImage, tag, registry string) (reference.Named, error) {
	fromImage = strings.TrimSuffix(fromImage, ":")
	if registry != "" && !hasDomain(fromImage) {
		registry = strings.TrimSuffix(registry, "/")
		if i := strings.Index(registry, "://"); i >= 0 {
			registry = registry[i+3:]
		}
		fromImage = registry + "/" + fromImage
	}
	ref, err := reference.ParseNormalizedNamed(fromImage)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if tag != "" {
		if dgst, derr := digest.Parse(tag); derr == nil {
			ref, err = reference.WithDigest(reference.TrimNamed(ref), dgst)
		} else {
			ref, err = reference.WithTag(ref, tag)
		}
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
	}
	if reference.FamiliarName(ref) == "scratch" {
		return nil, errdefs.ErrPermissionDenied.WithMessage("'scratch' is a reserved name")
	}
	return ref, nil
}

// hasDomain reports whether the first component of a name is a registry host, as
// distribution/reference's normalization decides it: a name whose normalized path does
// not start it names a domain ("localhost/x", "reg:5000/x", "Team/app" with its
// upper-case first component). A name that does not parse has a domain when its first
// component looks like one, by the same rules.
func hasDomain(name string) bool {
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return false
	}
	if ref, err := reference.ParseNormalizedNamed(name); err == nil {
		return !strings.HasPrefix(name, reference.Path(ref))
	}
	first := name[:i]
	return strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first
}

// ParseImportReference builds the name of an imported image from the repo and tag
// parameters of POST /images/create: nil when repo is empty (the image stays untagged);
// tag replaces a tag in repo; ":latest" when there is no tag at all.
//
// Errors: InvalidArgument for a malformed name or tag, or a repo with a digest ("cannot
// import digest reference").
func ParseImportReference(repo, tag string) (reference.NamedTagged, error) {
	if repo == "" {
		return nil, nil
	}
	ref, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	if _, ok := ref.(reference.Canonical); ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage("cannot import digest reference")
	}
	if tag != "" {
		ref, err = reference.WithTag(reference.TrimNamed(ref), tag)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
	}
	tagged, ok := reference.TagNameOnly(ref).(reference.NamedTagged)
	if !ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage("invalid reference format")
	}
	return tagged, nil
}
