package sqlite

import (
	"context"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/transfer"
)

var _ imagesvc.Pusher = (*Store)(nil)

// Push uploads the images req.Ref names to their registry (see [imagesvc.Pusher]), with
// Docker's containerd-store rules written once in package internal/transfer: this store
// supplies its content store and its catalog, read in short read-only transactions before
// the upload starts, and the registry configuration of its pulls (Options.HostsDir,
// Options.Insecure). req.Auth is used for this call only and never logged.
//
// Every blob the push reads is protected from garbage collection while it runs (a
// lease); the push writes no blob, only the distribution source labels of what it
// pushed, so that later pushes to other repositories of the registry mount it.
func (s *Store) Push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) (err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		if req.Ref != nil {
			progress.Report(imagesvc.PushRefersTo(req.Ref))
		}
		return err
	}
	defer done()
	l := s.leases.new()
	defer func() { s.endOperation(ctx, l, err) }()
	return transfer.Push(ctx, transfer.PushConfig{
		Content: s.leased(l),
		Records: func(ctx context.Context, fn func(model.TargetReader) error) error {
			return s.readRecords(ctx, func(st *txStore) error { return fn(st) })
		},
		Registry: s.puller,
		Platform: s.platform,
		Logger:   s.log,
		Events:   s.events,
		Labels:   s.eventLabels,
	}, req, progress)
}
