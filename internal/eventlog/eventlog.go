// Package eventlog keeps a service's image events and hands them to watchers: the
// [imagesvc.EventWatcher] of every backend in this module is a [Log], and the events a
// backend publishes are built by the constructors of this package, which hold Docker's rules
// for each action (spec docker-image-lifecycle.md §9.4) in one place.
package eventlog

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
)

// Options configure a [Log]. The zero value is Docker's behaviour.
type Options struct {
	// Retained is the number of past events kept for replay; 0 means
	// [imagesvc.EventsRetained].
	Retained int
	// Buffered is the number of live events held for one watcher whose callback has not
	// taken them; 0 means [imagesvc.EventsBuffered].
	Buffered int
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Log is a bounded log of image events with live watchers. It implements
// [imagesvc.EventWatcher]. Publishing never blocks: a watcher that falls more than
// Options.Buffered events behind is dropped. The zero value is not usable; call [New].
type Log struct {
	opts Options

	mu       sync.Mutex
	retained []imagesvc.Event // oldest first, at most opts.Retained
	last     time.Time        // time of the newest event, to keep times increasing
	watchers map[*watcher]struct{}
}

// watcher is one live WatchEvents call.
type watcher struct {
	ch chan imagesvc.Event // closed by Publish when the watcher is dropped
}

// New returns an empty Log.
func New(opts Options) *Log {
	if opts.Retained <= 0 {
		opts.Retained = imagesvc.EventsRetained
	}
	if opts.Buffered <= 0 {
		opts.Buffered = imagesvc.EventsBuffered
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Log{opts: opts, watchers: make(map[*watcher]struct{})}
}

// Publish records events in the order given and hands them to the live watchers. An
// event's zero Time is set to now; times are made strictly increasing, so that a watcher
// resuming with Since set to the last time it saw gets neither a gap nor, with a time just
// after it, a duplicate. Publish never blocks.
func (l *Log) Publish(events ...imagesvc.Event) {
	if len(events) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range events {
		if ev.Time.IsZero() {
			ev.Time = l.opts.Now()
		}
		ev.Time = ev.Time.UTC()
		if !ev.Time.After(l.last) {
			ev.Time = l.last.Add(time.Nanosecond)
		}
		l.last = ev.Time
		if ev.Attributes == nil {
			ev.Attributes = map[string]string{}
		}
		if len(l.retained) == l.opts.Retained {
			copy(l.retained, l.retained[1:])
			l.retained = l.retained[:len(l.retained)-1]
		}
		l.retained = append(l.retained, ev)
		for w := range l.watchers {
			select {
			case w.ch <- ev:
			default:
				close(w.ch)
				delete(l.watchers, w)
			}
		}
	}
}

// WatchEvents implements [imagesvc.EventWatcher].
func (l *Log) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	replay := !opts.Since.IsZero() || !opts.Until.IsZero()
	l.mu.Lock()
	var past []imagesvc.Event
	if replay {
		for _, ev := range l.retained {
			if ev.Time.Before(opts.Since) || (!opts.Until.IsZero() && ev.Time.After(opts.Until)) {
				continue
			}
			past = append(past, ev)
		}
	}
	ended := !opts.Until.IsZero() && !l.opts.Now().Before(opts.Until)
	var w *watcher
	if !ended {
		w = &watcher{ch: make(chan imagesvc.Event, l.opts.Buffered)}
		l.watchers[w] = struct{}{}
	}
	l.mu.Unlock()
	if w != nil {
		defer l.remove(w)
	}

	for _, ev := range past {
		if err := fn(copyEvent(ev)); err != nil {
			return err
		}
	}
	if w == nil {
		return nil
	}
	var until <-chan time.Time
	if !opts.Until.IsZero() {
		t := time.NewTimer(opts.Until.Sub(l.opts.Now()))
		defer t.Stop()
		until = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-until:
			return nil
		case ev, ok := <-w.ch:
			if !ok {
				return fmt.Errorf("%w: %w", errdefs.ErrResourceExhausted, imagesvc.ErrEventsDropped)
			}
			if err := fn(copyEvent(ev)); err != nil {
				return err
			}
		}
	}
}

// Watchers returns the number of live watchers, for tests and metrics.
func (l *Log) Watchers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.watchers)
}

func (l *Log) remove(w *watcher) {
	l.mu.Lock()
	delete(l.watchers, w)
	l.mu.Unlock()
}

// copyEvent gives each watcher its own Attributes, so that one callback changing them
// cannot change what another sees.
func copyEvent(ev imagesvc.Event) imagesvc.Event {
	attrs := make(map[string]string, len(ev.Attributes))
	maps.Copy(attrs, ev.Attributes)
	ev.Attributes = attrs
	return ev
}
