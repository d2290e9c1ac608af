package sqlite

import (
	"context"

	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
)

var _ imagesvc.EventWatcher = (*Store)(nil)

// WatchEvents implements [imagesvc.EventWatcher]: the events of this store's own actions
// (pull, push, tag, untag, delete, import, load, save), each published once the action's
// change is committed, with Docker's IDs and attributes (package internal/eventlog). The
// store keeps the last [imagesvc.EventsRetained] for replay, in memory: a new Store
// starts with none. Close ends every watch with its context's error class Unavailable.
func (s *Store) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	err = s.events.WatchEvents(ctx, opts, fn)
	if err != nil && ctx.Err() != nil && s.ctx.Err() != nil {
		return errClosed
	}
	return err
}

// eventLabels returns the config labels of the image whose ID is d, as the list shows
// them (nil when d is no image's ID): the labels of its events (eventlog.Labels).
func (s *Store) eventLabels(ctx context.Context, d digest.Digest) map[string]string {
	ref, err := imagesvc.ParseImageRef(d.String())
	if err != nil {
		return nil
	}
	e, err := s.resolve(context.WithoutCancel(ctx), ref)
	if err != nil || e.id != d {
		return nil
	}
	return e.rec.bestLabels().Map()
}
