package plugintest

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
)

// Events is a small in-memory [imagesvc.EventWatcher] for tests of the transport of
// events (a fake: it is no backend's event source, and knows nothing of images). [Emit]
// records an event; WatchEvents keeps the contract: it replays the last
// [imagesvc.EventsRetained] events within Since and Until, then follows new events until
// ctx is done or Until passes, and drops a watcher whose callback has more than
// [imagesvc.EventsBuffered] events waiting, with class ResourceExhausted wrapping
// [imagesvc.ErrEventsDropped]. The zero value is ready to use; it is safe for concurrent
// use.
type Events struct {
	mu       sync.Mutex
	past     []imagesvc.Event // the last EventsRetained, oldest first
	watchers map[*watcher]struct{}
}

var _ imagesvc.EventWatcher = (*Events)(nil)

// watcher is one live watch.
type watcher struct {
	ch      chan imagesvc.Event // EventsBuffered
	dropped chan struct{}       // closed when it fell behind
	gone    bool                // dropped already
}

// Emit records ev (its Time set to now, in UTC, when zero; its Attributes to an empty
// map when nil) and hands it to every watcher, without waiting for any.
func (e *Events) Emit(ev imagesvc.Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if ev.Attributes == nil {
		ev.Attributes = map[string]string{}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.past = append(e.past, ev)
	if n := len(e.past) - imagesvc.EventsRetained; n > 0 {
		e.past = append(e.past[:0:0], e.past[n:]...)
	}
	for w := range e.watchers {
		if w.gone {
			continue
		}
		select {
		case w.ch <- clone(ev):
		default:
			w.gone = true
			close(w.dropped)
		}
	}
}

func clone(ev imagesvc.Event) imagesvc.Event {
	ev.Attributes = maps.Clone(ev.Attributes)
	return ev
}

// WatchEvents implements [imagesvc.EventWatcher].
func (e *Events) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	replay := !opts.Since.IsZero() || !opts.Until.IsZero()
	e.mu.Lock()
	var past []imagesvc.Event
	if replay {
		for _, ev := range e.past {
			if (opts.Since.IsZero() || !ev.Time.Before(opts.Since)) && (opts.Until.IsZero() || !ev.Time.After(opts.Until)) {
				past = append(past, clone(ev))
			}
		}
	}
	w := &watcher{ch: make(chan imagesvc.Event, imagesvc.EventsBuffered), dropped: make(chan struct{})}
	if e.watchers == nil {
		e.watchers = map[*watcher]struct{}{}
	}
	e.watchers[w] = struct{}{}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.watchers, w)
		e.mu.Unlock()
	}()

	for _, ev := range past {
		if err := fn(ev); err != nil {
			return err
		}
	}
	var until <-chan time.Time
	if !opts.Until.IsZero() {
		wait := time.Until(opts.Until)
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		until = t.C
	}
	deliver := func(ev imagesvc.Event) (bool, error) {
		if !opts.Until.IsZero() && ev.Time.After(opts.Until) {
			return true, nil
		}
		return false, fn(ev)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-until:
			return nil
		case ev := <-w.ch:
			if done, err := deliver(ev); done || err != nil {
				return err
			}
		case <-w.dropped:
			// What was buffered still goes out, then the watcher ends.
			for {
				select {
				case ev := <-w.ch:
					if done, err := deliver(ev); done || err != nil {
						return err
					}
					continue
				default:
				}
				break
			}
			return fmt.Errorf("%w: %w", errdefs.ErrResourceExhausted, imagesvc.ErrEventsDropped)
		}
	}
}
