package sqlite

import (
	"context"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/importer"
)

// Import creates an image from a root filesystem archive (package internal/importer): a
// gzip layer, an OCI config with req's changes, message and platform, and an OCI
// manifest, whose digest is the image ID. The image is recorded, under req.Ref or
// dangling, once the three blobs are committed; when the import fails, its unfinished
// write and its blobs are removed again unless something else uses them, and nothing is
// listed. A write that finds the disk full fails with class Internal ("no space left on
// device while storing the import: ..."), is logged at error level, and sweeps what no
// image references (see [Store.Pull]).
//
// The archive is bounded by [Options.MaxImportSize]. URL sources need
// [Options.AllowURLImport].
func (s *Store) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (_ digest.Digest, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	src, err := importer.OpenSource(ctx, req, importer.SourceOptions{AllowURL: s.opts.AllowURLImport, Client: s.httpClient}, progress)
	if err != nil {
		return "", err
	}
	defer src.Close()
	req = src.Request

	l := s.leases.new()
	defer func() { s.endOperation(ctx, l, err) }()

	res, err := importer.Import(ctx, s.leased(l), req, importer.Options{
		MaxSize:    importer.MaxSize(s.opts.MaxImportSize),
		Platform:   s.platform,
		Now:        s.now,
		SourceSize: src.Size,
	}, src.Progress)
	if err != nil {
		return "", err
	}
	// Unpacked before the record is written, as a pull is (Options.LazyUnpack aside).
	err = s.unpackThenRecord(ctx, l, []ocispec.Descriptor{res.Manifest}, nil, func() error {
		rec, det, err := s.describeFrom(ctx, s.leased(l), res.Manifest)
		if err != nil {
			return err
		}
		it := entryToWrite{rec: rec, det: det}
		if req.Ref != nil {
			it.names = []reference.Named{req.Ref}
		}
		if _, err := s.put(ctx, []entryToWrite{it}, func([][]bool) {
			s.events.Publish(eventlog.ImportEvents(ctx, res.Manifest.Digest, req.Ref, s.eventLabels)...)
		}); err != nil {
			if isNoSpace(err) {
				return importer.StoreError("recording the image", err)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return res.Manifest.Digest, nil
}
