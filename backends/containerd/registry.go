package containerd

import (
	"context"

	"github.com/distribution/reference"

	"github.com/imageapi/imageapi/imagesvc"
)

var (
	_ imagesvc.RegistryAuthenticator = (*Store)(nil)
	_ imagesvc.DistributionInspector = (*Store)(nil)
)

// Login checks auth against its registry with the Store's registry configuration
// (Options.HostsDir, Options.Insecure) and returns the identity token the registry's token
// service gave, or "" (see [imagesvc.RegistryAuthenticator]). Nothing is stored; the
// credentials are used for this call only and never logged.
func (s *Store) Login(ctx context.Context, auth imagesvc.AuthConfig) (string, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	return s.puller.Login(ctx, auth)
}

// DistributionInspect describes ref as its registry serves it, without pulling (see
// [imagesvc.DistributionInspector]), with the Store's registry configuration and the
// credentials auth (nil for anonymous). Nothing is stored.
func (s *Store) DistributionInspect(ctx context.Context, ref reference.Named, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.puller.DistributionInspect(ctx, ref, auth)
}
