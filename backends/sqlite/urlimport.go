package sqlite

import (
	"context"
	"io"
	"net/url"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
)

// fetchURL opens the archive of a URL import, when the store allows them.
func (s *Store) fetchURL(ctx context.Context, u *url.URL, progress imagesvc.ProgressFunc) (io.ReadCloser, int64, error) {
	if !s.opts.AllowURLImport {
		return nil, 0, errdefs.ErrPermissionDenied.WithMessage("importing from a URL is disabled on this server")
	}
	return nil, 0, errdefs.ErrNotImplemented.WithMessage("importing from a URL is not implemented yet")
}
