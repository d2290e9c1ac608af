package plugintest

import (
	"context"
	"sync"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
)

// Events is a small in-memory [imagesvc.EventWatcher] for tests of the transport of
// events (a fake: it is no backend's event source, and knows nothing of images). [Emit]
// records an event; WatchEvents keeps the contract, with the log every backend of this
// module uses (replay of the last [imagesvc.EventsRetained] events, a watcher more than
// [imagesvc.EventsBuffered] behind dropped with [imagesvc.ErrEventsDropped]). The zero
// value is ready to use; it is safe for concurrent use.
type Events struct {
	once sync.Once
	log  *eventlog.Log
}

var _ imagesvc.EventWatcher = (*Events)(nil)

func (e *Events) get() *eventlog.Log {
	e.once.Do(func() { e.log = eventlog.New(eventlog.Options{}) })
	return e.log
}

// Emit records ev (its Time set to now when zero, and kept increasing; its Attributes to
// an empty map when nil) and hands it to every watcher, without waiting for any.
func (e *Events) Emit(ev imagesvc.Event) { e.get().Publish(ev) }

// WatchEvents implements [imagesvc.EventWatcher].
func (e *Events) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	return e.get().WatchEvents(ctx, opts, fn)
}
