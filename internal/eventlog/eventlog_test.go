package eventlog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

var target = digest.FromString("image")

func ref(t *testing.T, s string) reference.Named {
	t.Helper()
	r, err := reference.ParseNormalizedNamed(s)
	require.NoError(t, err)
	return r
}

// collect watches until fn has seen n events, then cancels.
func collect(t *testing.T, l *Log, opts imagesvc.EventOptions, n int) ([]imagesvc.Event, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []imagesvc.Event
	err := l.WatchEvents(ctx, opts, func(ev imagesvc.Event) error {
		got = append(got, ev)
		if len(got) == n {
			cancel()
		}
		return nil
	})
	return got, err
}

func TestReplayAndUntil(t *testing.T) {
	l := New(Options{Retained: 3})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		l.Publish(imagesvc.Event{Action: imagesvc.EventTag, ID: target.String(), Time: base.Add(time.Duration(i) * time.Second)})
	}
	// Only the last three are retained; a past until ends the watch after the replay.
	var got []imagesvc.Event
	err := l.WatchEvents(context.Background(), imagesvc.EventOptions{Since: base, Until: base.Add(3 * time.Second)}, func(ev imagesvc.Event) error {
		got = append(got, ev)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, base.Add(2*time.Second), got[0].Time)
	assert.Equal(t, base.Add(3*time.Second), got[1].Time)
	assert.NotNil(t, got[0].Attributes)
	assert.Zero(t, l.Watchers())

	// Without since or until there is no replay: only live events.
	done := make(chan []imagesvc.Event)
	go func() {
		evs, err := collect(t, l, imagesvc.EventOptions{}, 1)
		assert.ErrorIs(t, err, context.Canceled)
		done <- evs
	}()
	require.Eventually(t, func() bool { return l.Watchers() == 1 }, 5*time.Second, time.Millisecond)
	l.Publish(Untag(target, "foo:latest"))
	evs := <-done
	require.Len(t, evs, 1)
	assert.Equal(t, imagesvc.EventUntag, evs[0].Action)
}

func TestTimesIncrease(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(Options{Now: func() time.Time { return at }})
	l.Publish(Load(target, nil), Load(target, nil), Save(target, nil))
	got, err := collect(t, l, imagesvc.EventOptions{Since: at}, 3)
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, got, 3)
	assert.True(t, got[0].Time.Before(got[1].Time) && got[1].Time.Before(got[2].Time))
}

func TestSlowWatcherIsDropped(t *testing.T) {
	l := New(Options{Buffered: 2})
	block := make(chan struct{})
	errc := make(chan error, 1)
	seen := 0
	go func() {
		errc <- l.WatchEvents(context.Background(), imagesvc.EventOptions{}, func(imagesvc.Event) error {
			seen++
			<-block
			return nil
		})
	}()
	require.Eventually(t, func() bool { return l.Watchers() == 1 }, 5*time.Second, time.Millisecond)
	// One event is in the callback, two fill the buffer, the fourth drops the watcher;
	// Publish does not block on it.
	for range 4 {
		l.Publish(Tag(target, ref(t, "foo"), nil))
		time.Sleep(10 * time.Millisecond)
	}
	assert.Zero(t, l.Watchers())
	close(block)
	err := <-errc
	require.Error(t, err)
	assert.True(t, errdefs.IsResourceExhausted(err), "%v", err)
	assert.True(t, errors.Is(err, imagesvc.ErrEventsDropped))
	assert.Equal(t, 3, seen, "the buffered events are delivered before the error")
}

func TestFutureUntilEndsLiveWatch(t *testing.T) {
	l := New(Options{})
	start := time.Now()
	err := l.WatchEvents(context.Background(), imagesvc.EventOptions{Until: start.Add(50 * time.Millisecond)}, func(imagesvc.Event) error { return nil })
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
}

func TestCallbackErrorEndsWatch(t *testing.T) {
	l := New(Options{})
	l.Publish(Import(target, nil))
	stop := errors.New("stop")
	err := l.WatchEvents(context.Background(), imagesvc.EventOptions{Since: time.Unix(0, 0)}, func(imagesvc.Event) error { return stop })
	assert.Equal(t, stop, err)
	assert.Zero(t, l.Watchers())
}

func TestActions(t *testing.T) {
	labels := map[string]string{"name": "label", "maintainer": "x"}
	pull := Pull(ref(t, "alpine"), labels)
	assert.Equal(t, "alpine:latest", pull.ID)
	assert.Equal(t, map[string]string{"name": "alpine", "maintainer": "x"}, pull.Attributes)
	assert.Equal(t, "label", labels["name"], "the caller's labels are not changed")

	push := Push(ref(t, "127.0.0.1:5000/foo:v1"), nil)
	assert.Equal(t, "127.0.0.1:5000/foo:v1", push.ID)
	assert.Equal(t, "127.0.0.1:5000/foo", push.Attributes["name"])

	tag := Tag(target, ref(t, "docker.io/library/foo:v1"), labels)
	assert.Equal(t, target.String(), tag.ID)
	assert.Equal(t, "foo:v1", tag.Attributes["name"])

	del := Delete(target, nil)
	assert.Equal(t, map[string]string{"name": target.String()}, del.Attributes)
	assert.Equal(t, map[string]string{"name": "foo:v1"}, PruneDelete(target, "foo:v1").Attributes)
	assert.Equal(t, map[string]string{"name": "foo:v1"}, Untag(target, "foo:v1").Attributes)
}
