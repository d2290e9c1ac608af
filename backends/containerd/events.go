package containerd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/v2/core/events"
	"github.com/containerd/typeurl/v2"
	"github.com/opencontainers/go-digest"
)

// barrierTopic is the topic of the events this backend publishes to itself. containerd
// delivers the events of a subscriber in the order they were published, so once a
// barrier published after a change comes back, the change's event has been handled.
const barrierTopic = "/imageapi/barrier"

// barrierTimeout bounds the wait for a barrier; past it the event stream is considered
// lost.
const barrierTimeout = 5 * time.Second

// eventLoop follows containerd's events for the Store's namespace and keeps the cache
// right: content and snapshot events invalidate the descriptions that depend on them,
// container events maintain the container records. The cache is trusted only while the
// subscription is live; it is reset whenever the subscription is (re)established or
// lost, and List bypasses it meanwhile.
//
// A List makes sure every event published before it began has been handled by publishing
// a barrier event and waiting for it to come back ([eventLoop.sync]).
type eventLoop struct {
	s     *Store
	token string

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	seq           atomic.Uint64 // barriers published
	subscriptions atomic.Int64  // subscriptions confirmed, for tests

	mu    sync.Mutex
	live  bool
	acked uint64        // highest barrier handled in the current subscription
	ackCh chan struct{} // closed and replaced when acked grows or liveness changes
	kick  chan struct{} // wakes the loop's back-off
}

func newEventLoop(s *Store) *eventLoop {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	ctx, cancel := context.WithCancel(s.nsContext(context.Background()))
	return &eventLoop{
		s:      s,
		token:  hex.EncodeToString(b),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		ackCh:  make(chan struct{}),
		kick:   make(chan struct{}, 1),
	}
}

func (l *eventLoop) start() { go l.run() }

func (l *eventLoop) stop() {
	l.cancel()
	<-l.done
}

// filters selects the events of the namespace that the cache cares about.
func (l *eventLoop) filters() []string {
	ns := strconv.Quote(l.s.ns)
	var out []string
	for _, prefix := range []string{"/images/", "/content/", "/snapshot/", "/containers/", barrierTopic, viewTopic} {
		out = append(out, fmt.Sprintf(`namespace==%s,topic~=%s`, ns, strconv.Quote("^"+prefix)))
	}
	return out
}

// run subscribes, and subscribes again after each failure, with back-off.
func (l *eventLoop) run() {
	defer close(l.done)
	backoff := 100 * time.Millisecond
	for l.ctx.Err() == nil {
		start := time.Now()
		err := l.follow()
		l.setLive(false)
		l.s.cache.reset()
		l.s.versions.bump() // events may be missed from now on
		if l.ctx.Err() != nil {
			return
		}
		l.s.log.Warn("containerd event stream lost; the list cache is bypassed until it is back", "error", err)
		if time.Since(start) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-time.After(backoff):
		case <-l.kick:
		case <-l.ctx.Done():
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// follow runs one subscription until it fails.
func (l *eventLoop) follow() error {
	ctx, cancel := context.WithCancel(l.ctx)
	defer cancel()
	ch, errs := l.s.client.Subscribe(ctx, l.filters()...)

	// The subscription is in place once a barrier published after it comes back. The
	// call that subscribes may return before the daemon registered the subscriber, and a
	// barrier published before that is never seen: publish again, more and more slowly,
	// until one comes back.
	want := l.seq.Add(1)
	pubErr := make(chan error, 4)
	republish := func(seq uint64) {
		go func() {
			if err := l.publish(ctx, seq); err != nil && ctx.Err() == nil {
				pubErr <- err
			}
		}()
	}
	republish(want)
	retry := 20 * time.Millisecond
	retryTimer := time.NewTimer(retry)
	defer retryTimer.Stop()
	confirm := time.NewTimer(barrierTimeout)
	defer confirm.Stop()
	confirmed := false
	for {
		select {
		case env := <-ch:
			if env == nil {
				continue
			}
			if seq, ok := l.barrierSeq(env); ok {
				if !confirmed && seq >= want {
					confirmed = true
					confirm.Stop()
					retryTimer.Stop()
					l.subscriptions.Add(1)
					l.s.cache.reset()
					l.s.versions.bump() // events may have been missed before
					if l.s.opts.Usage == nil {
						if err := l.loadContainers(ctx); err != nil {
							return err
						}
					}
					l.ack(seq, true)
					l.s.watch.resync()
				} else if confirmed {
					l.ack(seq, true)
				}
				continue
			}
			l.handle(env)
		case err := <-errs:
			if err == nil {
				err = fmt.Errorf("event stream closed")
			}
			return err
		case err := <-pubErr:
			return fmt.Errorf("publishing a barrier: %w", err)
		case <-retryTimer.C:
			if !confirmed {
				republish(l.seq.Add(1))
				retry = min(2*retry, 500*time.Millisecond)
				retryTimer.Reset(retry)
			}
		case <-confirm.C:
			if !confirmed {
				return fmt.Errorf("the event subscription was not confirmed within %v", barrierTimeout)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// loadContainers reads containerd's container records into the cache.
func (l *eventLoop) loadContainers(ctx context.Context) error {
	cs, err := l.s.client.ContainerService().List(ctx)
	if err != nil {
		return fmt.Errorf("listing containers: %w", err)
	}
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		m[c.ID] = c.Image
	}
	l.s.cache.setContainers(m)
	return nil
}

// publish publishes barrier seq.
func (l *eventLoop) publish(ctx context.Context, seq uint64) error {
	return l.s.client.EventService().Publish(ctx, barrierTopic, &eventstypes.NamespaceUpdate{
		Name:   l.s.ns,
		Labels: map[string]string{"token": l.token, "seq": strconv.FormatUint(seq, 10)},
	})
}

// barrierSeq returns the sequence number of one of this loop's barriers.
func (l *eventLoop) barrierSeq(env *events.Envelope) (uint64, bool) {
	if env.Topic != barrierTopic || env.Event == nil {
		return 0, false
	}
	var ev eventstypes.NamespaceUpdate
	if err := typeurl.UnmarshalTo(env.Event, &ev); err != nil || ev.Labels["token"] != l.token {
		return 0, env.Topic == barrierTopic
	}
	seq, err := strconv.ParseUint(ev.Labels["seq"], 10, 64)
	return seq, err == nil
}

// handle applies one event to the cache. Before that, it bumps ListVersion's generation
// for each event that can change a List or an Inspect: any change of an image record but
// a transfer's temporary one, content created or deleted, a snapshot of the Store's
// snapshotter committed or removed, a view prepared (views count as containers; for a
// read-only View, which containerd publishes nothing for, the Store that prepared it
// publishes viewTopic), and, when the Store counts containerd's containers (no
// Options.Usage), a container record created, updated or deleted. An event that cannot
// be decoded counts. Each event is decoded once.
func (l *eventLoop) handle(env *events.Envelope) {
	if env.Event == nil {
		return
	}
	c := l.s.cache
	bump := func(changes bool) {
		if changes {
			l.s.versions.bump()
		}
	}
	image := func(name string, err error) {
		bump(err != nil || !isPullRecord(name))
		if err == nil {
			c.imageEvent(name)
			l.s.watch.changed(name)
		}
	}
	container := func(id, img string, deleted bool, err error) {
		bump(l.s.opts.Usage == nil)
		if err == nil {
			c.containerEvent(id, img, deleted)
		}
	}
	switch env.Topic {
	case "/images/create":
		var ev eventstypes.ImageCreate
		err := typeurl.UnmarshalTo(env.Event, &ev)
		image(ev.Name, err)
	case "/images/update":
		var ev eventstypes.ImageUpdate
		err := typeurl.UnmarshalTo(env.Event, &ev)
		image(ev.Name, err)
	case "/images/delete":
		var ev eventstypes.ImageDelete
		err := typeurl.UnmarshalTo(env.Event, &ev)
		image(ev.Name, err)
	case "/content/delete":
		bump(true)
		var ev eventstypes.ContentDelete
		if typeurl.UnmarshalTo(env.Event, &ev) == nil {
			c.invalidateBlob(digest.Digest(ev.Digest))
		}
	case "/content/create":
		bump(true)
		var ev eventstypes.ContentCreate
		if typeurl.UnmarshalTo(env.Event, &ev) == nil {
			c.invalidateBlob(digest.Digest(ev.Digest))
		}
	case "/snapshot/commit":
		var ev eventstypes.SnapshotCommit
		err := typeurl.UnmarshalTo(env.Event, &ev)
		bump(err != nil || l.ours(ev.Snapshotter))
		if err == nil && l.ours(ev.Snapshotter) {
			c.invalidateChain(digest.Digest(ev.Name))
		}
	case "/snapshot/prepare":
		var ev eventstypes.SnapshotPrepare
		err := typeurl.UnmarshalTo(env.Event, &ev)
		view := err == nil && l.ours(ev.Snapshotter) && isViewKey(ev.Key)
		bump(err != nil || view)
		if view {
			c.viewEvent()
		}
	case viewTopic:
		bump(true)
		c.viewEvent()
	case "/snapshot/remove":
		var ev eventstypes.SnapshotRemove
		err := typeurl.UnmarshalTo(env.Event, &ev)
		bump(err != nil || l.ours(ev.Snapshotter))
		if err == nil && l.ours(ev.Snapshotter) {
			c.invalidateChain(digest.Digest(ev.Key))
			if isViewKey(ev.Key) {
				c.viewEvent()
			}
		}
	case "/containers/create":
		var ev eventstypes.ContainerCreate
		err := typeurl.UnmarshalTo(env.Event, &ev)
		container(ev.ID, ev.Image, false, err)
	case "/containers/update":
		var ev eventstypes.ContainerUpdate
		err := typeurl.UnmarshalTo(env.Event, &ev)
		container(ev.ID, ev.Image, false, err)
	case "/containers/delete":
		var ev eventstypes.ContainerDelete
		err := typeurl.UnmarshalTo(env.Event, &ev)
		container(ev.ID, "", true, err)
	}
}

// ours reports whether a snapshot event is about the Store's snapshotter (daemons before
// 2.0 do not say which snapshotter).
func (l *eventLoop) ours(snapshotter string) bool {
	return snapshotter == "" || snapshotter == l.s.snapshotter
}

// waitLive waits until the subscription is live, at most for timeout.
func (l *eventLoop) waitLive(ctx context.Context, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		l.mu.Lock()
		live, ch := l.live, l.ackCh
		l.mu.Unlock()
		if live {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (l *eventLoop) setLive(live bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live != live {
		l.live = live
		l.acked = 0
		close(l.ackCh)
		l.ackCh = make(chan struct{})
	}
}

// ack records that barrier seq was handled.
func (l *eventLoop) ack(seq uint64, live bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live = live
	if seq > l.acked {
		l.acked = seq
	}
	close(l.ackCh)
	l.ackCh = make(chan struct{})
}

// sync waits until every event published before it was called has been handled. It
// returns false when the cache cannot be trusted (no live subscription, or the barrier
// did not come back in time); callers then work without the cache.
func (l *eventLoop) sync(ctx context.Context) bool {
	l.mu.Lock()
	live := l.live
	l.mu.Unlock()
	if !live {
		select {
		case l.kick <- struct{}{}:
		default:
		}
		return false
	}
	seq := l.seq.Add(1)
	if err := l.publish(ctx, seq); err != nil {
		return false
	}
	timer := time.NewTimer(barrierTimeout)
	defer timer.Stop()
	for {
		l.mu.Lock()
		live, acked, ch := l.live, l.acked, l.ackCh
		l.mu.Unlock()
		if !live {
			return false
		}
		if acked >= seq {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			l.s.log.Warn("containerd did not return a barrier event in time; bypassing the list cache")
			return false
		case <-ctx.Done():
			return false
		}
	}
}
