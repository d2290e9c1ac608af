package containerd

import (
	"context"
	"errors"

	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/importer"
)

// Import creates an image from a root filesystem archive (package internal/importer): a
// gzip layer, an OCI config with req's changes, message and platform, and an OCI
// manifest, whose digest is the image ID, all written to containerd's content store
// under a lease. The layer is then unpacked into the snapshotter, and only once that
// succeeded is the image record created (named req.Ref, or "moby-dangling@<ID>"). An
// import that fails therefore leaves no record behind (Docker 29 leaves a broken one when
// the unpack fails), and its content goes with the lease. A content store that runs out
// of disk fails the import with class Internal ("no space left on device while storing
// the import: ..."), logged at error level.
//
// The archive is bounded by [Options.MaxImportSize]. URL sources need
// [Options.AllowURLImport].
func (s *Store) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	src, err := importer.OpenSource(ctx, req, importer.SourceOptions{AllowURL: s.opts.AllowURLImport, Client: s.opts.HTTPClient}, progress)
	if err != nil {
		return "", err
	}
	defer src.Close()
	req = src.Request

	ctx, release, err := s.client.WithLease(ctx)
	if err != nil {
		return "", ctxErr(ctx, err)
	}
	defer release(context.WithoutCancel(ctx))

	res, err := importer.Import(ctx, s.client.ContentStore(), req, importer.Options{
		MaxSize:    importer.MaxSize(s.opts.MaxImportSize),
		Platform:   s.platform,
		SourceSize: src.Size,
	}, src.Progress)
	if err != nil {
		var nse *importer.NoSpaceError
		if errors.As(err, &nse) {
			// The server's failure, which the host must see: the client only gets a 500.
			s.log.Error("the disk is full", "error", err)
		}
		return "", ctxErr(ctx, err)
	}
	id := res.Manifest.Digest
	name := danglingName(id)
	if req.Ref != nil {
		name = req.Ref.String()
	}
	// Unpacking and naming are a write for ListVersion (see version.go).
	end := s.versions.beginWrite()
	defer end()
	if err := s.unpack(ctx, name, res.Manifest); err != nil {
		return "", err
	}
	_, err = s.setName(ctx, name, res.Manifest, func(bool) {
		s.publish(eventlog.ImportEvents(ctx, id, req.Ref, s.knownLabels(res.Manifest))...)
	})
	s.cache.drop(id)
	if err != nil {
		return "", err
	}
	return id, nil
}
