// Package flight shares long-running operations, such as pulls, between the callers that ask
// for the same thing at the same time.
//
// A [Group] runs at most one operation per key. Callers of a key that is in flight join the
// running operation instead of starting another: each one receives every progress event of
// the operation (a replay of those already sent, then the live ones) and its result. The
// operation outlives any single caller: it is cancelled only when every caller has left.
package flight

import (
	"context"
	"fmt"
	"sync"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
)

// Group runs at most one operation per key at a time; callers of the same key share it.
// The zero value is ready to use. A Group must not be copied after first use.
type Group[T any] struct {
	mu    sync.Mutex
	calls map[string]*call[T]
}

// call is one operation in flight.
type call[T any] struct {
	cancel context.CancelFunc
	done   chan struct{} // closed once val and err are set

	// Set before done is closed; read only after.
	val T
	err error

	mu        sync.Mutex
	events    []imagesvc.ProgressEvent // every event so far, in order
	changed   chan struct{}            // closed and replaced when events grow
	finished  bool                     // fn has returned; later events are dropped
	waiters   int                      // callers still waiting (guarded by Group.mu)
	abandoned bool                     // every caller left; the op is being cancelled (Group.mu)
}

// Do joins or starts the operation for key and returns its result.
//
// If no operation for key is in flight, Do starts fn in a new goroutine. fn runs with a
// context that carries the values of the first caller's ctx (loggers, tracing) but none of
// its cancellation: it is cancelled only when every caller has left. fn must return once
// its context is done, and must not call its progress function after returning.
//
// Every caller receives all progress events of the operation through its own progress
// function (which may be nil): a caller that joins late first gets a replay of the events
// so far, then the live ones. Each caller's progress function is called from that caller's
// goroutine only, in order, and a slow caller does not hold up the operation or the other
// callers. When the operation ends, each caller still waiting gets every remaining event,
// then the result and error of fn.
//
// A caller whose ctx ends returns ctx.Err() at once, without waiting for the operation and
// without cancelling it for the others. When the last caller leaves, the operation's
// context is cancelled; a caller that arrives for the same key while that cancelled
// operation winds down waits for it to end and then starts a fresh one, so operations of a
// key never overlap.
//
// A panic in fn is recovered and returned to the callers as an error of class Internal.
func (g *Group[T]) Do(ctx context.Context, key string, progress imagesvc.ProgressFunc,
	fn func(ctx context.Context, progress imagesvc.ProgressFunc) (T, error)) (T, error) {
	var zero T
	for {
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		g.mu.Lock()
		c, ok := g.calls[key]
		if ok && c.abandoned {
			g.mu.Unlock()
			select {
			case <-c.done:
				continue
			case <-ctx.Done():
				return zero, ctx.Err()
			}
		}
		if !ok {
			c = g.start(ctx, key, fn)
		}
		c.waiters++
		g.mu.Unlock()
		return g.wait(ctx, c, progress)
	}
}

// start launches fn for key. g.mu must be held.
func (g *Group[T]) start(ctx context.Context, key string,
	fn func(ctx context.Context, progress imagesvc.ProgressFunc) (T, error)) *call[T] {
	opCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &call[T]{cancel: cancel, done: make(chan struct{}), changed: make(chan struct{})}
	if g.calls == nil {
		g.calls = make(map[string]*call[T])
	}
	g.calls[key] = c
	go func() {
		defer cancel()
		val, err := run(opCtx, c, fn)
		c.mu.Lock()
		c.finished = true
		c.mu.Unlock()
		g.mu.Lock()
		if g.calls[key] == c {
			delete(g.calls, key)
		}
		g.mu.Unlock()
		c.val, c.err = val, err
		close(c.done)
	}()
	return c
}

// run calls fn, turning a panic into an error.
func run[T any](ctx context.Context, c *call[T],
	fn func(ctx context.Context, progress imagesvc.ProgressFunc) (T, error)) (val T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			val, err = zero, fmt.Errorf("shared operation panicked: %v: %w", r, errdefs.ErrInternal)
		}
	}()
	return fn(ctx, c.publish)
}

// publish records ev and wakes the callers.
func (c *call[T]) publish(ev imagesvc.ProgressEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished {
		return
	}
	c.events = append(c.events, ev)
	close(c.changed)
	c.changed = make(chan struct{})
}

// pending returns the events from index next on, and a channel closed when more arrive.
func (c *call[T]) pending(next int) ([]imagesvc.ProgressEvent, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Elements before len(c.events) are never modified, so the slice can be read unlocked.
	return c.events[next:len(c.events):len(c.events)], c.changed
}

// wait forwards c's events to progress until c ends or ctx does.
func (g *Group[T]) wait(ctx context.Context, c *call[T], progress imagesvc.ProgressFunc) (T, error) {
	var zero T
	next := 0
	for {
		evs, changed := c.pending(next)
		for _, ev := range evs {
			if ctx.Err() != nil {
				g.leave(c)
				return zero, ctx.Err()
			}
			progress.Report(ev)
			next++
		}
		select {
		case <-changed:
		case <-c.done:
			// Events published before done was closed are all visible now.
			if evs, _ := c.pending(next); len(evs) > 0 {
				continue
			}
			g.leave(c)
			return c.val, c.err
		case <-ctx.Done():
			g.leave(c)
			return zero, ctx.Err()
		}
	}
}

// leave records that one caller of c stopped waiting, and cancels c when it was the last.
func (g *Group[T]) leave(c *call[T]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c.waiters--
	if c.waiters == 0 {
		select {
		case <-c.done:
			return
		default:
		}
		c.abandoned = true
		c.cancel()
	}
}
