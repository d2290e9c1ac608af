package plugins_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// eventfulStore is the SQLite backend with an EventWatcher and a DiskUsager added by this
// test. It is a FAKE FOR THE TRANSPORT ONLY: its events are those of its imports and tags
// (emitted here, after the store's own call succeeded) and those the tests emit, kept by
// plugintest.Events; its disk usage is the store's list with shared sizes and their sum.
// The backends' own events and disk usage are theirs (backends/sqlite, containerd) and
// are tested there and by the conformance suite; this type only gives the plugin
// protocol a real backend to carry them from.
type eventfulStore struct {
	*sqlite.Store
	events plugintest.Events

	mu       sync.Mutex
	opts     []imagesvc.EventOptions // of every WatchEvents call, as the backend got them
	gate     chan struct{}           // when set, the second event of a watch waits for it
	finished chan error              // the result of every WatchEvents, as the backend returned it
}

var (
	_ imagesvc.EventWatcher = (*eventfulStore)(nil)
	_ imagesvc.DiskUsager   = (*eventfulStore)(nil)
)

func newEventfulStore(t *testing.T) *eventfulStore {
	t.Helper()
	store, err := sqlite.Open(t.TempDir(), sqlite.Options{Usage: plugins.HostUsage()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return &eventfulStore{Store: store, finished: make(chan error, 16)}
}

func (s *eventfulStore) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	id, err := s.Store.Import(ctx, req, progress)
	if err == nil {
		attrs := map[string]string{}
		if req.Ref != nil {
			attrs["name"] = reference.FamiliarString(req.Ref)
		}
		s.events.Emit(imagesvc.Event{Action: imagesvc.EventImport, ID: id.String(), Attributes: attrs})
	}
	return id, err
}

func (s *eventfulStore) Tag(ctx context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	if err := s.Store.Tag(ctx, source, target); err != nil {
		return err
	}
	img, err := s.Store.Inspect(ctx, source, imagesvc.InspectOptions{})
	if err != nil {
		return err
	}
	s.events.Emit(imagesvc.Event{Action: imagesvc.EventTag, ID: img.ID.String(), Attributes: map[string]string{"name": reference.FamiliarString(target)}})
	return nil
}

func (s *eventfulStore) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	s.mu.Lock()
	s.opts = append(s.opts, opts)
	gate := s.gate
	s.mu.Unlock()
	n := 0
	err := s.events.WatchEvents(ctx, opts, func(ev imagesvc.Event) error {
		if n++; n == 2 && gate != nil {
			<-gate // a consumer that falls behind, on the plugin's side
		}
		return fn(ev)
	})
	s.finished <- err
	return err
}

func (s *eventfulStore) DiskUsage(ctx context.Context) (imagesvc.DiskUsage, error) {
	sums, err := s.Store.List(ctx, imagesvc.ListOptions{SharedSize: true})
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	du := imagesvc.DiskUsage{Images: sums}
	for _, s := range sums {
		du.TotalSize += s.Size
	}
	return du, nil
}

// rootfs is a small root filesystem archive with one file.
func rootfs(t *testing.T, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}))
	_, err := tw.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func importRootfs(t *testing.T, svc imagesvc.Service, name, content string) digest.Digest {
	t.Helper()
	named, err := reference.ParseNormalizedNamed(name)
	require.NoError(t, err)
	id, err := svc.Import(context.Background(), imagesvc.ImportRequest{
		Source: bytes.NewReader(rootfs(t, content)),
		Ref:    named.(reference.NamedTagged),
	}, nil)
	require.NoError(t, err)
	return id
}

// watch runs WatchEvents in the background; the events arrive on the first channel, the
// result on the second.
func watch(ctx context.Context, w imagesvc.EventWatcher, opts imagesvc.EventOptions) (<-chan imagesvc.Event, <-chan error) {
	events := make(chan imagesvc.Event, 4096)
	done := make(chan error, 1)
	go func() {
		done <- w.WatchEvents(ctx, opts, func(ev imagesvc.Event) error {
			events <- ev
			return nil
		})
	}()
	return events, done
}

func next(t *testing.T, events <-chan imagesvc.Event) imagesvc.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
		return imagesvc.Event{}
	}
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("WatchEvents did not end")
		return nil
	}
}

// The plugin announces events and disk_usage in the handshake when its backend has them,
// and the Client hands them out through imagesvc.As only; hidden, they are not announced
// and As does not find them.
func TestEventsCapabilities(t *testing.T) {
	store := newEventfulStore(t)
	c := plugintest.InProcess(t, store, plugins.Options{})
	assert.True(t, c.Info().Capabilities.Has(plugins.CapEvents|plugins.CapDiskUsage), "%s", c.Info().Capabilities)
	_, ok := imagesvc.As[imagesvc.EventWatcher](c)
	assert.True(t, ok)
	_, ok = imagesvc.As[imagesvc.DiskUsager](c)
	assert.True(t, ok)
	_, typed := c.(imagesvc.EventWatcher)
	assert.False(t, typed, "capabilities after the ninth are found with imagesvc.As only")
	_, typed = c.(imagesvc.DiskUsager)
	assert.False(t, typed)

	for _, hide := range []plugins.Capabilities{plugins.CapEvents, plugins.CapDiskUsage, plugins.CapEvents | plugins.CapDiskUsage} {
		c := plugintest.InProcess(t, plugintest.Without(store, hide), plugins.Options{})
		assert.Equal(t, plugins.CapabilitiesOf(store)&^hide, c.Info().Capabilities)
		_, watcher := imagesvc.As[imagesvc.EventWatcher](c)
		assert.Equal(t, !hide.Has(plugins.CapEvents), watcher, "hidden %s", hide)
		_, usager := imagesvc.As[imagesvc.DiskUsager](c)
		assert.Equal(t, !hide.Has(plugins.CapDiskUsage), usager, "hidden %s", hide)
		_, remover := imagesvc.As[imagesvc.Remover](c)
		assert.True(t, remover, "the frozen capabilities are handed out by As too")
	}
}

// Events cross in order, with their Time to the nanosecond and their Attributes; those
// of the backend's own actions as those emitted.
func TestWatchEventsStream(t *testing.T) {
	store := newEventfulStore(t)
	c := plugintest.InProcess(t, store, plugins.Options{})
	w, ok := imagesvc.As[imagesvc.EventWatcher](c)
	require.True(t, ok)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, done := watch(ctx, w, imagesvc.EventOptions{})
	// The watch is registered once an event emitted now arrives.
	require.Eventually(t, func() bool {
		store.events.Emit(imagesvc.Event{Action: "ready"})
		select {
		case <-events:
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}, 10*time.Second, time.Millisecond)
	for len(events) > 0 {
		<-events
	}

	id := importRootfs(t, c, "foo:1", "one")
	ev := next(t, events)
	assert.Equal(t, imagesvc.EventImport, ev.Action)
	assert.Equal(t, id.String(), ev.ID)
	assert.Equal(t, map[string]string{"name": "foo:1"}, ev.Attributes)
	assert.WithinDuration(t, time.Now(), ev.Time, time.Minute)
	target, _ := reference.ParseNormalizedNamed("bar:2")
	require.NoError(t, c.(imagesvc.Tagger).Tag(context.Background(), mustRef(t, "foo:1"), target.(reference.NamedTagged)))
	ev = next(t, events)
	assert.Equal(t, imagesvc.Event{Action: imagesvc.EventTag, ID: id.String(), Attributes: map[string]string{"name": "bar:2"}, Time: ev.Time}, ev)

	// After the events above (the log keeps times increasing), with nanoseconds that
	// must survive the boundary.
	base := time.Now().UTC().Add(time.Hour).Truncate(time.Second).Add(123456789)
	var want []imagesvc.Event
	for i := range 300 {
		e := imagesvc.Event{
			Action:     imagesvc.EventPull,
			ID:         "foo:" + string(rune('a'+i%26)),
			Attributes: map[string]string{"name": "foo", "i": string(rune('0' + i%10)), "org.opencontainers.image.title": "x"},
			Time:       base.Add(time.Duration(i) * 7 * time.Nanosecond),
		}
		if i%3 == 0 {
			e.Attributes = map[string]string{}
		}
		want = append(want, e)
		store.events.Emit(e)
	}
	for i, e := range want {
		got := next(t, events)
		require.Equal(t, e, got, "event %d", i)
		require.True(t, got.Time.Equal(e.Time) && got.Time.Nanosecond() == e.Time.Nanosecond(), "event %d: %s", i, got.Time)
	}
	cancel()
	assert.ErrorIs(t, result(t, done), context.Canceled)
}

// Since and until reach the backend as given; the replayed events come back; a past until
// ends the watch with no error once they are sent.
func TestWatchEventsSinceUntil(t *testing.T) {
	store := newEventfulStore(t)
	c := plugintest.InProcess(t, store, plugins.Options{})
	w, _ := imagesvc.As[imagesvc.EventWatcher](c)
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Add(987654321)
	var past []imagesvc.Event
	for i := range 5 {
		e := imagesvc.Event{Action: imagesvc.EventDelete, ID: digest.FromString(string(rune(i))).String(), Attributes: map[string]string{"name": "x"}, Time: t0.Add(time.Duration(i) * time.Minute)}
		past = append(past, e)
		store.events.Emit(e)
	}
	opts := imagesvc.EventOptions{Since: past[1].Time, Until: past[3].Time}
	events, done := watch(context.Background(), w, opts)
	require.NoError(t, result(t, done), "a past until ends the watch")
	require.Len(t, events, 3)
	for _, e := range past[1:4] {
		assert.Equal(t, e, <-events)
	}
	store.mu.Lock()
	got := store.opts[len(store.opts)-1]
	store.mu.Unlock()
	assert.True(t, got.Since.Equal(opts.Since) && got.Until.Equal(opts.Until), "the backend got %+v, want %+v", got, opts)
	assert.Equal(t, opts.Since.Nanosecond(), got.Since.Nanosecond())

	// Since alone: the replay, then live events until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	events, done = watch(ctx, w, imagesvc.EventOptions{Since: past[3].Time})
	assert.Equal(t, past[3], next(t, events))
	assert.Equal(t, past[4], next(t, events))
	live := imagesvc.Event{Action: imagesvc.EventSave, ID: "x", Attributes: map[string]string{}, Time: time.Now().UTC()}
	store.events.Emit(live)
	assert.Equal(t, live.Time.UnixNano(), next(t, events).Time.UnixNano())
	cancel()
	assert.ErrorIs(t, result(t, done), context.Canceled)

	// A future until ends the watch when it passes.
	start := time.Now()
	_, done = watch(context.Background(), w, imagesvc.EventOptions{Until: time.Now().Add(300 * time.Millisecond)})
	require.NoError(t, result(t, done))
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)
}

// The host's cancellation ends the backend's watch, and so does a failing callback, whose
// error the host's WatchEvents returns as is.
func TestWatchEventsCancellation(t *testing.T) {
	store := newEventfulStore(t)
	c := plugintest.InProcess(t, store, plugins.Options{})
	w, _ := imagesvc.As[imagesvc.EventWatcher](c)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := w.WatchEvents(ctx, imagesvc.EventOptions{}, func(imagesvc.Event) error { return nil })
	assert.True(t, errdefs.IsDeadlineExceeded(err), "%v", err)
	select {
	case berr := <-store.finished:
		assert.Error(t, berr, "the backend's watch ended with the cancellation")
	case <-time.After(10 * time.Second):
		t.Fatal("the backend's watch outlived the host's cancellation")
	}

	stop := errors.New("enough")
	store.events.Emit(imagesvc.Event{Action: imagesvc.EventTag, ID: "a", Time: time.Now().UTC()})
	err = w.WatchEvents(context.Background(), imagesvc.EventOptions{Since: time.Now().Add(-time.Hour)}, func(imagesvc.Event) error { return stop })
	assert.Same(t, stop, err, "the callback's error, as is")
	select {
	case berr := <-store.finished:
		assert.Error(t, berr)
	case <-time.After(10 * time.Second):
		t.Fatal("the backend's watch outlived the host's callback")
	}
}

// A watcher the backend drops (it fell behind on the plugin's side) gets the events that
// were buffered, then an error of class ResourceExhausted that is imagesvc.ErrEventsDropped,
// with the backend's text.
func TestWatchEventsDropped(t *testing.T) {
	store := newEventfulStore(t)
	store.gate = make(chan struct{})
	c := plugintest.InProcess(t, store, plugins.Options{})
	w, _ := imagesvc.As[imagesvc.EventWatcher](c)
	events, done := watch(context.Background(), w, imagesvc.EventOptions{})
	require.Eventually(t, func() bool {
		store.events.Emit(imagesvc.Event{Action: "ready"})
		select {
		case <-events:
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}, 10*time.Second, time.Millisecond)
	base := time.Now().UTC()
	const n = imagesvc.EventsBuffered + 2
	for i := range n {
		store.events.Emit(imagesvc.Event{Action: imagesvc.EventPull, ID: "n", Time: base.Add(time.Duration(i))})
	}
	close(store.gate)
	err := result(t, done)
	require.Error(t, err)
	assert.ErrorIs(t, err, imagesvc.ErrEventsDropped)
	assert.True(t, errdefs.IsResourceExhausted(err), "%v", err)
	berr := <-store.finished
	assert.Equal(t, berr.Error(), err.Error(), "the backend's text")
	var got []imagesvc.Event
	for len(events) > 0 {
		if ev := <-events; ev.Action != "ready" {
			got = append(got, ev)
		}
	}
	assert.GreaterOrEqual(t, len(got), imagesvc.EventsBuffered, "the buffered events came first")
	assert.Less(t, len(got), n)
	for i, ev := range got {
		require.Equal(t, base.Add(time.Duration(i)), ev.Time, "in order")
	}
}

// DiskUsage's images and total cross intact.
func TestDiskUsageRoundTrip(t *testing.T) {
	store := newEventfulStore(t)
	c := plugintest.InProcess(t, store, plugins.Options{})
	d, ok := imagesvc.As[imagesvc.DiskUsager](c)
	require.True(t, ok)
	empty, err := d.DiskUsage(context.Background())
	require.NoError(t, err)
	assert.Empty(t, empty.Images)
	assert.Zero(t, empty.TotalSize)

	importRootfs(t, c, "foo:1", "one")
	importRootfs(t, c, "bar:1", "two, a bit longer")
	want, err := store.DiskUsage(context.Background())
	require.NoError(t, err)
	require.Len(t, want.Images, 2)
	require.NotZero(t, want.TotalSize)
	got, err := d.DiskUsage(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// A plugin process that dies during a watch ends the host's watch with Unavailable; the
// next call relaunches it.
func TestCrashMidWatch(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "1"}})
	assert.True(t, c.Info().Capabilities.Has(plugins.CapEvents|plugins.CapDiskUsage), "announced by the process: %s", c.Info().Capabilities)
	w, ok := imagesvc.As[imagesvc.EventWatcher](c)
	require.True(t, ok)
	events, done := watch(context.Background(), w, imagesvc.EventOptions{})
	ref, _ := reference.ParseNormalizedNamed("watched:1")
	require.Eventually(t, func() bool {
		_, err := c.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
		require.NoError(t, err)
		select {
		case ev := <-events:
			return ev.Action == imagesvc.EventPull && ev.ID == "watched:1"
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}, 10*time.Second, time.Millisecond, "the pull's event crossed from the process")

	kids := pids(t)
	require.Len(t, kids, 1)
	p, err := os.FindProcess(kids[0])
	require.NoError(t, err)
	require.NoError(t, p.Kill())
	err = result(t, done)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Contains(t, err.Error(), "WatchEvents")

	d, ok := imagesvc.As[imagesvc.DiskUsager](c)
	require.True(t, ok)
	du, err := d.DiskUsage(context.Background())
	require.NoError(t, err, "the next call relaunches the plugin")
	assert.Len(t, du.Images, 1)
}
