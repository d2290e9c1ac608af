package containerd

import (
	"context"
	"io"
	"math"
	"net/url"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/importer"
)

// Import creates an image from a root filesystem archive (package internal/importer): a
// gzip layer, an OCI config with req's changes, message and platform, and an OCI
// manifest, whose digest is the image ID, all written to containerd's content store
// under a lease. The layer is then unpacked into the snapshotter, and only once that
// succeeded is the image record created (named req.Ref, or "moby-dangling@<ID>"). An
// import that fails therefore leaves no record behind (Docker 29 leaves a broken one when
// the unpack fails), and its content goes with the lease.
//
// The archive is bounded by [Options.MaxImportSize]. URL sources need
// [Options.AllowURLImport].
func (s *Store) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	switch {
	case req.Source == nil && req.URL == nil:
		return "", errdefs.ErrInvalidArgument.WithMessage("import: no archive to import")
	case req.Source != nil && req.URL != nil:
		return "", errdefs.ErrInvalidArgument.WithMessage("import: both an archive and a URL to import")
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer done()

	var sourceSize int64
	if req.URL != nil {
		body, size, err := s.fetchURL(ctx, req.URL, progress)
		if err != nil {
			return "", err
		}
		defer body.Close()
		req.Source, req.URL, sourceSize = body, nil, size
	} else {
		// Docker reports no progress for a request body.
		progress = nil
	}

	ctx, release, err := s.client.WithLease(ctx)
	if err != nil {
		return "", ctxErr(ctx, err)
	}
	defer release(context.WithoutCancel(ctx))

	maxSize := s.opts.MaxImportSize
	switch {
	case maxSize == 0:
		maxSize = defaultMaxImportSize
	case maxSize < 0:
		maxSize = math.MaxInt64
	}
	res, err := importer.Import(ctx, s.client.ContentStore(), req, importer.Options{
		MaxSize:    maxSize,
		Platform:   s.platform,
		SourceSize: sourceSize,
	}, progress)
	if err != nil {
		return "", ctxErr(ctx, err)
	}
	id := res.Manifest.Digest
	name := danglingName(id)
	if req.Ref != nil {
		name = req.Ref.String()
	}
	if err := s.unpack(ctx, name, res.Manifest); err != nil {
		return "", err
	}
	_, err = s.setName(ctx, name, res.Manifest)
	s.cache.drop(id)
	if err != nil {
		return "", err
	}
	return id, nil
}

// fetchURL starts the download of a URL source, when URL sources are allowed.
func (s *Store) fetchURL(ctx context.Context, u *url.URL, progress imagesvc.ProgressFunc) (io.ReadCloser, int64, error) {
	if !s.opts.AllowURLImport {
		return nil, 0, errdefs.ErrPermissionDenied.WithMessage("importing from a URL is disabled on this server")
	}
	body, size, err := importer.FetchURL(ctx, s.opts.HTTPClient, u)
	if err != nil {
		return nil, 0, err
	}
	progress.Report(imagesvc.ProgressEvent{Status: "Downloading from " + u.String()})
	return body, size, nil
}
