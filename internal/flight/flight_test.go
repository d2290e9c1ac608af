package flight

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/imageapi/imageapi/imagesvc"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// recorder collects the events given to a progress func, checking that calls never overlap.
type recorder struct {
	mu     sync.Mutex
	busy   atomic.Bool
	events []string
	t      *testing.T
}

func (r *recorder) progress(ev imagesvc.ProgressEvent) {
	if !r.busy.CompareAndSwap(false, true) {
		r.t.Error("progress called concurrently")
	}
	defer r.busy.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev.Status)
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func TestSharedOperation(t *testing.T) {
	var g Group[int]
	var runs atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	fn := func(ctx context.Context, progress imagesvc.ProgressFunc) (int, error) {
		runs.Add(1)
		progress(imagesvc.ProgressEvent{Status: "one"})
		close(started)
		<-release
		progress(imagesvc.ProgressEvent{Status: "two"})
		return 42, nil
	}

	const callers = 5
	recs := make([]*recorder, callers)
	results := make([]int, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	recs[0] = &recorder{t: t}
	wg.Go(func() { results[0], errs[0] = g.Do(t.Context(), "k", recs[0].progress, fn) })
	<-started
	for i := 1; i < callers; i++ {
		recs[i] = &recorder{t: t}
		wg.Go(func() {
			results[i], errs[i] = g.Do(t.Context(), "k", recs[i].progress, func(context.Context, imagesvc.ProgressFunc) (int, error) {
				t.Error("second operation started")
				return 0, nil
			})
		})
	}
	// Late joiners get the replay of "one" before the operation goes on.
	require.Eventually(t, func() bool {
		for _, r := range recs[1:] {
			if len(r.got()) != 1 {
				return false
			}
		}
		return true
	}, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()

	assert.EqualValues(t, 1, runs.Load())
	for i := range callers {
		require.NoError(t, errs[i])
		assert.Equal(t, 42, results[i])
		assert.Equal(t, []string{"one", "two"}, recs[i].got(), "caller %d", i)
	}

	// Once finished, the key starts a fresh operation.
	v, err := g.Do(t.Context(), "k", nil, func(context.Context, imagesvc.ProgressFunc) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
}

func TestErrorSharedAndKeysIndependent(t *testing.T) {
	var g Group[string]
	boom := errors.New("boom")
	release := make(chan struct{})
	var wg sync.WaitGroup
	var errA1, errA2, errB error
	var b string
	started := make(chan struct{})
	wg.Go(func() {
		_, errA1 = g.Do(t.Context(), "a", nil, func(context.Context, imagesvc.ProgressFunc) (string, error) {
			close(started)
			<-release
			return "", boom
		})
	})
	<-started
	wg.Go(func() {
		_, errA2 = g.Do(t.Context(), "a", nil, func(context.Context, imagesvc.ProgressFunc) (string, error) { return "", nil })
	})
	// Another key does not wait for "a".
	b, errB = g.Do(t.Context(), "b", nil, func(context.Context, imagesvc.ProgressFunc) (string, error) { return "b", nil })
	require.NoError(t, errB)
	assert.Equal(t, "b", b)
	// Wait until the second caller joined.
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.calls["a"] != nil && g.calls["a"].waiters == 2
	}, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	assert.ErrorIs(t, errA1, boom)
	assert.ErrorIs(t, errA2, boom)
}

func TestLeavingDoesNotCancelOthers(t *testing.T) {
	var g Group[int]
	release := make(chan struct{})
	started := make(chan struct{})
	var opCtx context.Context
	fn := func(ctx context.Context, progress imagesvc.ProgressFunc) (int, error) {
		opCtx = ctx
		close(started)
		select {
		case <-release:
			return 1, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	ctx1, cancel1 := context.WithCancel(t.Context())
	defer cancel1()
	var wg sync.WaitGroup
	var err1, err2 error
	var v2 int
	wg.Go(func() { _, err1 = g.Do(ctx1, "k", nil, fn) })
	<-started
	joined := make(chan struct{})
	wg.Go(func() {
		close(joined)
		v2, err2 = g.Do(t.Context(), "k", nil, fn)
	})
	<-joined
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.calls["k"].waiters == 2
	}, 5*time.Second, time.Millisecond)

	cancel1()
	// The first caller returns at once with its context's error.
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.calls["k"].waiters == 1
	}, 5*time.Second, time.Millisecond)
	assert.NoError(t, opCtx.Err(), "operation cancelled while a caller remains")
	close(release)
	wg.Wait()
	assert.ErrorIs(t, err1, context.Canceled)
	require.NoError(t, err2)
	assert.Equal(t, 1, v2)
}

type ctxKey struct{}

func TestLastLeavingCancels(t *testing.T) {
	var g Group[int]
	opDone := make(chan error, 1)
	started := make(chan struct{})
	var sawValue atomic.Value
	fn := func(ctx context.Context, progress imagesvc.ProgressFunc) (int, error) {
		sawValue.Store(fmt.Sprint(ctx.Value(ctxKey{})))
		close(started)
		<-ctx.Done()
		opDone <- ctx.Err()
		return 0, ctx.Err()
	}
	ctx1, cancel1 := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "logger"))
	ctx2, cancel2 := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var err1, err2 error
	wg.Go(func() { _, err1 = g.Do(ctx1, "k", nil, fn) })
	<-started
	wg.Go(func() { _, err2 = g.Do(ctx2, "k", nil, fn) })
	require.Eventually(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.calls["k"].waiters == 2
	}, 5*time.Second, time.Millisecond)
	cancel1()
	select {
	case <-opDone:
		t.Fatal("operation cancelled while a caller remains")
	case <-time.After(50 * time.Millisecond):
	}
	cancel2()
	select {
	case err := <-opDone:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("operation not cancelled after the last caller left")
	}
	wg.Wait()
	assert.ErrorIs(t, err1, context.Canceled)
	assert.ErrorIs(t, err2, context.Canceled)
	assert.Equal(t, "logger", sawValue.Load(), "values of the first caller are kept")

	// A new caller starts a fresh operation once the cancelled one has ended.
	v, err := g.Do(t.Context(), "k", nil, func(ctx context.Context, _ imagesvc.ProgressFunc) (int, error) { return 3, ctx.Err() })
	require.NoError(t, err)
	assert.Equal(t, 3, v)
}

func TestNewCallerWaitsForAbandonedOperation(t *testing.T) {
	var g Group[int]
	started := make(chan struct{})
	finish := make(chan struct{})
	ctx1, cancel1 := context.WithCancel(t.Context())
	var active atomic.Int32
	errc := make(chan error, 1)
	go func() {
		_, err := g.Do(ctx1, "k", nil, func(ctx context.Context, _ imagesvc.ProgressFunc) (int, error) {
			active.Add(1)
			defer active.Add(-1)
			close(started)
			<-ctx.Done()
			<-finish // winds down slowly
			return 0, ctx.Err()
		})
		errc <- err
	}()
	<-started
	cancel1()
	assert.ErrorIs(t, <-errc, context.Canceled)

	got := make(chan int, 1)
	go func() {
		v, _ := g.Do(t.Context(), "k", nil, func(context.Context, imagesvc.ProgressFunc) (int, error) {
			if active.Load() != 0 {
				t.Error("operations overlap")
			}
			return 9, nil
		})
		got <- v
	}()
	select {
	case <-got:
		t.Fatal("new operation started before the abandoned one ended")
	case <-time.After(50 * time.Millisecond):
	}
	close(finish)
	assert.Equal(t, 9, <-got)
}

func TestPanicBecomesError(t *testing.T) {
	var g Group[int]
	_, err := g.Do(t.Context(), "k", nil, func(context.Context, imagesvc.ProgressFunc) (int, error) { panic("oops") })
	require.Error(t, err)
	assert.True(t, errdefs.IsInternal(err))
	assert.Contains(t, err.Error(), "oops")
}

func TestCancelledBeforeStart(t *testing.T) {
	var g Group[int]
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := g.Do(ctx, "k", nil, func(context.Context, imagesvc.ProgressFunc) (int, error) {
		t.Error("operation started for a cancelled caller")
		return 0, nil
	})
	assert.ErrorIs(t, err, context.Canceled)
}
