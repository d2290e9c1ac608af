package containerd

import (
	"context"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
)

// Import creates an image from a root filesystem archive.
func (s *Store) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	return "", errdefs.ErrNotImplemented
}
