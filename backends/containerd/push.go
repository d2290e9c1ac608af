package containerd

import (
	"context"
	"fmt"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/transfer"
)

var _ imagesvc.Pusher = (*Store)(nil)

// Push uploads the images req.Ref names to their registry (see [imagesvc.Pusher]), with
// Docker's containerd-store rules written once in package internal/transfer, from
// containerd's content store through containerd's pusher in this process, with the
// registry configuration of the Store's pulls (Options.HostsDir, Options.Insecure).
// req.Auth is used for this call only and never logged.
//
// The content the push reads is held by a containerd lease while it runs; the push adds
// the pushed repository to the content's distribution source labels, as Docker does.
func (s *Store) Push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		if req.Ref != nil {
			progress.Report(imagesvc.PushRefersTo(req.Ref))
		}
		return err
	}
	defer done()
	ctx, release, err := s.client.WithLease(ctx)
	if err != nil {
		if req.Ref != nil {
			progress.Report(imagesvc.PushRefersTo(req.Ref))
		}
		return ctxErr(ctx, fmt.Errorf("creating a lease: %w", err))
	}
	defer release(context.WithoutCancel(ctx))
	st := &recordStore{s: s}
	return transfer.Push(ctx, transfer.PushConfig{
		Content:  s.client.ContentStore(),
		Records:  func(_ context.Context, fn func(model.TargetReader) error) error { return fn(st) },
		Registry: s.puller,
		Platform: s.platform,
		Logger:   s.log,
		Events:   s.watch.log,
		Labels:   s.targetLabels,
	}, req, progress)
}
