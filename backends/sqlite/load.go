package sqlite

import (
	"context"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/importer"
	"github.com/imageapi/imageapi/internal/transfer"
)

var _ imagesvc.Loader = (*Store)(nil)

// Load implements [imagesvc.Loader] with Docker 29's rules (package internal/transfer):
// containerd's archive importer writes the archive's blobs to the content store under a
// lease, and the images are recorded in one catalog transaction, each name moved to its
// loaded image (the image it left becomes dangling when that was its last name). When
// the load fails before that, the lease's release removes every blob it wrote that no
// image references, and its unfinished writes.
//
// Differences from Docker's containerd store, which keeps names verbatim: a name from
// the archive is recorded in its canonical form ("latest" as
// docker.io/library/latest:latest), and a name that is not a reference is not recorded
// (the image is recorded without a name, and reported by its ID). The archive is
// bounded by [Options.MaxImportSize].
func (s *Store) Load(ctx context.Context, req imagesvc.LoadRequest) (_ []imagesvc.LoadedImage, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	l := s.leases.new()
	defer func() { s.endOperation(ctx, l, err) }()
	cs := s.leased(l)
	opts := transfer.LoadOptions{MaxSize: s.opts.MaxImportSize, Host: s.platform}
	out, err := transfer.Load(ctx, cs, req, opts, func(ctx context.Context, recs []transfer.LoadRecord) error {
		var targets []ocispec.Descriptor
		seen := map[digest.Digest]bool{}
		for _, r := range recs {
			if !seen[r.Target.Digest] {
				seen[r.Target.Digest] = true
				targets = append(targets, r.Target)
			}
		}
		// Unpacked before the records are written, as a pull is (Options.LazyUnpack
		// aside): the loaded platforms, or the host's best one.
		return s.unpackThenRecord(ctx, l, targets, req.Platforms, func() error {
			var (
				items []entryToWrite
				at    = map[digest.Digest]int{}
			)
			for _, r := range recs {
				i, ok := at[r.Target.Digest]
				if !ok {
					rec, det, err := s.describeFrom(ctx, cs, r.Target)
					if err != nil {
						return err
					}
					i = len(items)
					at[r.Target.Digest] = i
					items = append(items, entryToWrite{rec: rec, det: det})
				}
				if r.Named != nil {
					items[i].names = append(items[i].names, reference.TagNameOnly(r.Named))
				}
			}
			// Recorded: the events, even if the load then fails (the images stay).
			if _, err := s.put(ctx, items, func([][]bool) {
				s.events.Publish(transfer.LoadEvents(ctx, recs, s.eventLabels)...)
			}); err != nil {
				if isNoSpace(err) {
					return importer.StoreError("recording the images", err)
				}
				return err
			}
			return nil
		})
	})
	return out, err
}
