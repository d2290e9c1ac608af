package pull

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// Prepare checks a pull request as every backend must before pulling, and fixes its
// platform: req.Platform, or defaultPlatform when it has none, normalized. It returns the
// request with that platform set and the key under which identical pulls share one
// download (internal/flight): the same reference, platform and credentials. The key holds
// a digest of the credentials, never the credentials themselves.
//
// Errors: InvalidArgument without a reference; PermissionDenied for "scratch".
func Prepare(req imagesvc.PullRequest, defaultPlatform ocispec.Platform) (imagesvc.PullRequest, string, error) {
	if req.Ref == nil {
		return req, "", errdefs.ErrInvalidArgument.WithMessage("no image reference to pull")
	}
	if reference.FamiliarName(req.Ref) == "scratch" {
		return req, "", errdefs.ErrPermissionDenied.WithMessage("'scratch' is a reserved name")
	}
	platform := defaultPlatform
	if req.Platform != nil {
		platform = *req.Platform
	}
	platform = platforms.Normalize(platform)
	req.Platform = &platform
	key := req.Ref.String() + "\x00" + platforms.FormatAll(platform) + "\x00" + authKey(req.Auth)
	return req, key, nil
}

// authKey identifies credentials without holding them: a digest of their JSON form.
func authKey(a *imagesvc.AuthConfig) string {
	if a.Empty() {
		return ""
	}
	b, _ := json.Marshal(a)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
