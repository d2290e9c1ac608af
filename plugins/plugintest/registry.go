package plugintest

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// The credentials MemService's made-up registry accepts (Login and DistributionInspect).
const (
	// MemUser and MemPassword are the one user and password it accepts.
	MemUser = "mem-user"
	// MemPassword: see MemUser.
	MemPassword = "mem-password"
	// MemIdentityToken is the identity token Login returns for MemUser, which it then
	// accepts instead of the password.
	MemIdentityToken = "mem-identity-token"
)

var (
	_ imagesvc.RegistryAuthenticator = (*MemService)(nil)
	_ imagesvc.DistributionInspector = (*MemService)(nil)
)

// Login implements [imagesvc.RegistryAuthenticator] against a made-up registry that
// accepts [MemUser] with [MemPassword] (and returns [MemIdentityToken]) or with the
// identity token (and returns none). Other credentials are refused with class
// Unauthenticated and Docker's text; an address with a path or spaces is invalid.
func (m *MemService) Login(ctx context.Context, auth imagesvc.AuthConfig) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	host, err := memRegistryHost(auth.ServerAddress)
	if err != nil {
		return "", err
	}
	switch {
	case auth.Username == MemUser && auth.Password == MemPassword:
		return MemIdentityToken, nil
	case auth.IdentityToken == MemIdentityToken:
		return "", nil
	}
	return "", errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf(
		"login attempt to https://%s/v2/ failed with status: 401 Unauthorized", host))
}

// memRegistryHost returns the registry host an AuthConfig.ServerAddress names.
func memRegistryHost(addr string) (string, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(addr, "https://"), "http://")
	host = strings.TrimSuffix(host, "/")
	switch {
	case host == "" || host == "index.docker.io" || strings.HasPrefix(host, "index.docker.io/v1"):
		return "registry-1.docker.io", nil
	case strings.ContainsAny(host, "/ \t\n"):
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid registry address %q: not a host[:port]", addr))
	}
	return host, nil
}

// DistributionInspect implements [imagesvc.DistributionInspector] against the made-up
// registry of Pull: a tag resolves to the manifest Pull would store (a linux/amd64
// image), a digest to a manifest of that digest. Credentials, when given, must be those
// Login accepts (class Unauthenticated otherwise).
func (m *MemService) DistributionInspect(ctx context.Context, ref reference.Named, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ref == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("no reference to inspect")
	}
	if auth != nil && !auth.Empty() {
		a := *auth
		a.ServerAddress = reference.Domain(ref)
		if _, err := m.Login(ctx, a); err != nil {
			return nil, err
		}
	}
	named := reference.TagNameOnly(ref)
	id := digest.FromString("pulled " + named.String())
	if c, ok := ref.(reference.Canonical); ok {
		id = c.Digest()
	}
	return &imagesvc.DistributionInfo{
		Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: id, Size: 512},
		Platforms:  []ocispec.Platform{{OS: "linux", Architecture: "amd64"}},
	}, nil
}
