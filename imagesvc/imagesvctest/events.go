package imagesvctest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

// The events group (spec docker-image-lifecycle.md §9.4, §2.4, §4.4). It skips, naming the
// interface, when the service lacks EventWatcher; each action it performs through another
// optional capability is left out (with its events) when the service lacks that one.

// eventSink collects the events of one WatchEvents call running in the background.
type eventSink struct {
	mu     sync.Mutex
	events []imagesvc.Event
	more   chan struct{} // signalled after each event
	done   chan error    // WatchEvents' result
	cancel context.CancelFunc
}

// watch starts WatchEvents(opts) in the background. Callers that must not miss an event
// set opts.Since to a time before their first action: the replay covers the time before
// the watch is live.
func watch(t *testing.T, w imagesvc.EventWatcher, opts imagesvc.EventOptions) *eventSink {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &eventSink{more: make(chan struct{}, 1), done: make(chan error, 1), cancel: cancel}
	go func() {
		s.done <- w.WatchEvents(ctx, opts, func(ev imagesvc.Event) error {
			s.mu.Lock()
			s.events = append(s.events, ev)
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	t.Cleanup(cancel)
	return s
}

// wait returns the events once there are n of them, failing t after a timeout.
func (s *eventSink) wait(t *testing.T, n int) []imagesvc.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		got := append([]imagesvc.Event(nil), s.events...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-s.more:
		case err := <-s.done:
			require.Failf(t, "the watch ended early", "after %d of %d events: %v\n%s", len(got), n, err, describeEvents(got))
		case <-deadline:
			require.Failf(t, "timed out waiting for events", "%d of %d events:\n%s", len(got), n, describeEvents(got))
		}
	}
}

func describeEvents(evs []imagesvc.Event) string {
	var out string
	for _, ev := range evs {
		out += fmt.Sprintf("  %s %s %v\n", ev.Action, ev.ID, ev.Attributes)
	}
	return out
}

// expected returns the event Docker sends: labels first, then "name".
func expected(action imagesvc.EventAction, id string, labels map[string]string, name string) imagesvc.Event {
	attrs := map[string]string{}
	for k, v := range labels {
		attrs[k] = v
	}
	attrs["name"] = name
	return imagesvc.Event{Action: action, ID: id, Attributes: attrs}
}

// withoutTimes returns evs with their times cleared, after checking them: set, in UTC,
// and not decreasing.
func withoutTimes(t *testing.T, evs []imagesvc.Event, notBefore time.Time) []imagesvc.Event {
	t.Helper()
	out := make([]imagesvc.Event, len(evs))
	prev := notBefore
	for i, ev := range evs {
		assert.False(t, ev.Time.IsZero(), "event %d (%s) has no time", i, ev.Action)
		assert.False(t, ev.Time.Before(prev), "event %d (%s) at %s is before the one before it (%s)", i, ev.Action, ev.Time, prev)
		assert.Equal(t, time.UTC, ev.Time.Location(), "event %d: times are UTC", i)
		assert.NotNil(t, ev.Attributes, "event %d: Attributes is never nil", i)
		prev = ev.Time
		ev.Time = time.Time{}
		out[i] = ev
	}
	return out
}

// testEvents performs every image action the service has and checks the events a watcher
// receives, in order, with Docker's IDs and attributes (spec §9.4): pull (ID the familiar
// reference, name its repository), tag and a re-tag that changes nothing (name the new
// reference), a delete that only untags, import with a repository (tag, then import) and
// without, save, load, push (tag event, then push), a full delete (untag, then delete
// with the digest as name and no labels) and a prune of a dangling image (untag and
// delete, both named by the digest). Labels of the image's config are copied into the
// attributes, and a label called "name" is overwritten.
func (s *suite) testEvents(t *testing.T) {
	svc := s.service(t)
	w := capability[imagesvc.EventWatcher](t, svc, "EventWatcher")
	start := time.Now().Add(-time.Millisecond)
	live := watch(t, w, imagesvc.EventOptions{Since: start})

	single := s.w.single.Descriptor.Digest
	singleLabels := map[string]string{"com.example.kind": "single", "com.example.tier": "a"}
	singleRef := s.w.ref("library/single:1.0")
	var want []imagesvc.Event

	// Pull: ID the familiar reference, name the familiar repository.
	s.mustPull(t, svc, "library/single", "1.0")
	want = append(want, expected(imagesvc.EventPull, singleRef, singleLabels, s.w.ref("library/single")))

	tg, hasTag := imagesvc.As[imagesvc.Tagger](svc)
	if hasTag {
		require.NoError(t, s.tryTag(t, tg, singleRef, "ev:1"))
		require.NoError(t, s.tryTag(t, tg, singleRef, "ev:1")) // changes nothing, still an event
		want = append(want,
			expected(imagesvc.EventTag, single.String(), singleLabels, "ev:1"),
			expected(imagesvc.EventTag, single.String(), singleLabels, "ev:1"))
	}
	r, hasRemove := imagesvc.As[imagesvc.Remover](svc)
	if hasTag && hasRemove {
		// Other names remain: untag only, no labels.
		resp := mustRemove(t, r, "ev:1", imagesvc.RemoveOptions{})
		require.Equal(t, []imagesvc.DeleteResponse{{Untagged: "ev:1"}}, resp)
		want = append(want, expected(imagesvc.EventUntag, single.String(), nil, "ev:1"))
	}

	// Import with a repository: tag first, then import; a label "name" is overwritten.
	imported := s.mustImport(t, svc, "evimp:1", []string{"LABEL name=bogus org.example.ev=yes"})
	importLabels := map[string]string{"org.example.ev": "yes"}
	want = append(want,
		expected(imagesvc.EventTag, imported.String(), importLabels, "evimp:1"),
		expected(imagesvc.EventImport, imported.String(), importLabels, imported.String()))
	dangling := s.mustImport(t, svc, "", nil)
	want = append(want, expected(imagesvc.EventImport, dangling.String(), nil, dangling.String()))

	if sv, ok := imagesvc.As[imagesvc.Saver](svc); ok {
		data, err := save(t, sv, nil, singleRef)
		require.NoError(t, err)
		want = append(want, expected(imagesvc.EventSave, single.String(), singleLabels, single.String()))
		if l, ok := imagesvc.As[imagesvc.Loader](svc); ok {
			out, err := load(t, l, data)
			require.NoError(t, err)
			require.Len(t, out, 1, "%v", out)
			// Loading what is already there changes nothing and is still an event.
			want = append(want, expected(imagesvc.EventLoad, single.String(), singleLabels, single.String()))
		}
	}

	if p, ok := imagesvc.As[imagesvc.Pusher](svc); ok && hasTag {
		pushed := s.w.ref("push/events:1")
		require.NoError(t, s.tryTag(t, tg, singleRef, pushed))
		s.mustPush(t, p, pushed, nil, nil)
		want = append(want,
			expected(imagesvc.EventTag, single.String(), singleLabels, pushed),
			expected(imagesvc.EventPush, pushed, singleLabels, s.w.ref("push/events")))
	}

	if hasRemove {
		// The last name: untag, then delete named by the digest, without labels.
		resp := mustRemove(t, r, "evimp:1", imagesvc.RemoveOptions{})
		require.Equal(t, []imagesvc.DeleteResponse{{Untagged: "evimp:1"}, {Deleted: imported}}, resp)
		want = append(want,
			expected(imagesvc.EventUntag, imported.String(), nil, "evimp:1"),
			expected(imagesvc.EventDelete, imported.String(), nil, imported.String()))
	}
	if p, ok := imagesvc.As[imagesvc.Pruner](svc); ok {
		// A dangling image: untag and delete, both named by the digest.
		rep := mustPrune(t, p)
		require.Len(t, rep.ImagesDeleted, 2, "%v", rep.ImagesDeleted)
		want = append(want,
			expected(imagesvc.EventUntag, dangling.String(), nil, dangling.String()),
			expected(imagesvc.EventDelete, dangling.String(), nil, dangling.String()))
	}
	end := time.Now().Add(time.Millisecond)

	got := live.wait(t, len(want))
	assert.Equal(t, want, withoutTimes(t, got, start), "the events, in order:\n%s", describeEvents(got))
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, live.wait(t, len(want)), len(want), "no other event")
	live.cancel()
	select {
	case err := <-live.done:
		assert.ErrorIs(t, err, context.Canceled, "a cancelled watch returns the context's error")
	case <-time.After(10 * time.Second):
		t.Fatal("WatchEvents did not return after its context was cancelled")
	}

	// Replay: a past Until returns after the retained events of [Since, Until].
	replay := func(opts imagesvc.EventOptions) []imagesvc.Event {
		t.Helper()
		var out []imagesvc.Event
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := w.WatchEvents(ctx, opts, func(ev imagesvc.Event) error {
			out = append(out, ev)
			return nil
		})
		require.NoError(t, err, "a watch whose Until has passed ends by itself")
		return out
	}
	assert.Equal(t, got, replay(imagesvc.EventOptions{Since: start, Until: end}), "the replay of everything")
	assert.Equal(t, got, replay(imagesvc.EventOptions{Until: end}), "Until alone replays too")
	if len(got) >= 4 {
		// Since and Until are inclusive.
		assert.Equal(t, got[1:3], replay(imagesvc.EventOptions{Since: got[1].Time, Until: got[2].Time}))
	}
	assert.Empty(t, replay(imagesvc.EventOptions{Since: start.Add(-time.Hour), Until: start.Add(-time.Minute)}))

	// A future Until ends a live watch when it passes, with what happened before it.
	until := time.Now().Add(300 * time.Millisecond)
	began := time.Now()
	assert.Len(t, replay(imagesvc.EventOptions{Until: until}), len(got))
	assert.False(t, time.Now().Before(until), "the watch ended %s before Until", until.Sub(time.Now()))
	assert.Less(t, time.Since(began), 10*time.Second)

	// An error from the callback ends the watch and is returned as is.
	errStop := errors.New("stop")
	err := w.WatchEvents(context.Background(), imagesvc.EventOptions{Since: start}, func(imagesvc.Event) error { return errStop })
	assert.ErrorIs(t, err, errStop)
}

// eventBuffers holds the buffer sizes factories register with [Harness.EventsBuffered],
// per test.
type eventBuffers struct {
	mu sync.Mutex
	m  map[*testing.T]int
}

func (b *eventBuffers) register(t *testing.T, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[*testing.T]int{}
	}
	b.m[t] = n
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.m, t)
	})
}

// get returns the size registered for t, 0 for none.
func (b *eventBuffers) get(t *testing.T) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[t]
}

// testEventsSlowWatcher checks that a watcher that does not take its events never blocks
// the service: its actions complete while the callback is stuck. When the factory
// registered the watcher buffer it opened the backend with ([Harness.EventsBuffered]), the
// stuck watcher falls well past it and, once released, must receive a prefix of the
// events in order and then end with ErrEventsDropped (class ResourceExhausted). Without
// one, 40 events are sent and the released watcher either receives every event in order
// or ends with ErrEventsDropped.
func (s *suite) testEventsSlowWatcher(t *testing.T) {
	svc := s.service(t)
	w := capability[imagesvc.EventWatcher](t, svc, "EventWatcher")
	tg := capability[imagesvc.Tagger](t, svc, "Tagger")
	buffered := s.buffers.get(t)
	s.mustPull(t, svc, "library/single", "1.0")
	singleRef := s.w.ref("library/single:1.0")

	release := make(chan struct{})
	var (
		mu      sync.Mutex
		seen    []string
		relOnce sync.Once
		entered = make(chan struct{})
		entOnce sync.Once
	)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	// A failure before the release must not leave the callback stuck: the service's
	// Close would wait for the watch forever and hide the failure.
	t.Cleanup(func() { relOnce.Do(func() { close(release) }) })
	t.Cleanup(cancel)
	started := time.Now()
	go func() {
		done <- w.WatchEvents(ctx, imagesvc.EventOptions{Since: started}, func(ev imagesvc.Event) error {
			entOnce.Do(func() { close(entered) })
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			mu.Lock()
			seen = append(seen, ev.Attributes["name"])
			mu.Unlock()
			return nil
		})
	}()

	n := 40
	if buffered > 0 {
		// The buffer, the event the callback holds, and as many again: past the buffer
		// however a backend counts it.
		n = 2*buffered + 2
	}
	finished := make(chan error, 1)
	go func() {
		for i := range n {
			if err := s.tryTag(t, tg, singleRef, fmt.Sprintf("slow:%d", i)); err != nil {
				finished <- err
				return
			}
			if i == 0 {
				// The watcher holds its first event: it is live, and every later event
				// goes to its buffer rather than to its replay.
				select {
				case <-entered:
				case <-time.After(20 * time.Second):
					finished <- fmt.Errorf("the watcher did not receive the first event")
					return
				}
			}
		}
		finished <- nil
	}()
	select {
	case err := <-finished:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("a watcher that does not take its events blocked the service")
	}
	// Every action's event was published, in order: a replay (a live watcher that keeps
	// up would see the same, but on a loaded machine even a fast one can fall a small
	// buffer behind and be dropped, as it should).
	evs := watch(t, w, imagesvc.EventOptions{Since: started, Until: time.Now()}).wait(t, n)
	require.Len(t, evs, n)
	for i, ev := range evs {
		assert.Equal(t, fmt.Sprintf("slow:%d", i), ev.Attributes["name"])
	}

	relOnce.Do(func() { close(release) })
	inOrder := func() int {
		mu.Lock()
		defer mu.Unlock()
		for i, name := range seen {
			assert.Equal(t, fmt.Sprintf("slow:%d", i), name)
		}
		return len(seen)
	}
	if buffered > 0 {
		select {
		case err := <-done:
			require.ErrorIs(t, err, imagesvc.ErrEventsDropped, "a watcher %d events behind a buffer of %d was not dropped", n, buffered)
			assert.True(t, errdefs.IsResourceExhausted(err), "class ResourceExhausted: %v", err)
			got := inOrder()
			assert.Less(t, got, n, "the dropped watcher received every event")
		case <-time.After(20 * time.Second):
			t.Fatalf("a watcher %d events behind a buffer of %d was not dropped (it received %d)", n, buffered, inOrder())
		}
		return
	}
	deadline := time.After(20 * time.Second)
	for {
		got := inOrder()
		if got == n {
			break
		}
		select {
		case err := <-done:
			require.ErrorIs(t, err, imagesvc.ErrEventsDropped, "a watch that ends early was dropped")
			return
		case <-deadline:
			t.Fatalf("the released watcher received %d of %d events", got, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}
