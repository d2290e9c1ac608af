package sqlite

import (
	"context"
	"math"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/importer"
)

// Import creates an image from a root filesystem archive (package internal/importer): a
// gzip layer, an OCI config with req's changes, message and platform, and an OCI
// manifest, whose digest is the image ID. The image is recorded, under req.Ref or
// dangling, once the three blobs are committed; when the import fails, its blobs are
// removed again unless something else uses them, and nothing is listed.
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

	l := s.leases.new()
	recorded := false
	defer func() { l.release(context.WithoutCancel(ctx), s, !recorded) }()

	maxSize := s.opts.MaxImportSize
	switch {
	case maxSize == 0:
		maxSize = defaultMaxImportSize
	case maxSize < 0:
		maxSize = math.MaxInt64
	}
	res, err := importer.Import(ctx, s.leased(l), req, importer.Options{
		MaxSize:    maxSize,
		Platform:   s.platform,
		Now:        s.now,
		SourceSize: sourceSize,
	}, progress)
	if err != nil {
		return "", err
	}
	rec, det, err := s.describe(ctx, res.Manifest)
	if err != nil {
		return "", err
	}
	it := entryToWrite{rec: rec, det: det}
	if req.Ref != nil {
		it.names = []reference.Named{req.Ref}
	}
	if _, err := s.put(ctx, []entryToWrite{it}); err != nil {
		return "", err
	}
	recorded = true
	return res.Manifest.Digest, nil
}
