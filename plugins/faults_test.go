package plugins_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

const testPluginPkg = "github.com/imageapi/imageapi/plugins/internal/testplugin"

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines outlived the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func testPlugin(t *testing.T) string {
	t.Helper()
	return plugintest.Build(t, testPluginPkg)
}

func mustRef(t *testing.T, s string) imagesvc.ImageRef {
	t.Helper()
	r, err := imagesvc.ParseImageRef(s)
	require.NoError(t, err)
	return r
}

func pids(t *testing.T) []int {
	t.Helper()
	kids, err := plugintest.Children()
	require.NoError(t, err)
	var out []int
	for _, k := range kids {
		out = append(out, k.PID)
	}
	return out
}

// A plugin that crashes in the middle of a call fails that call as Unavailable; the next
// call launches a new process and works. No process is left behind.
func TestCrashMidCall(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "3"}})
	before := pids(t)
	require.Len(t, before, 1)

	_, err := c.Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "a crash is Unavailable (503): %v", err)
	assert.Contains(t, err.Error(), "Inspect")

	sums, err := c.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err, "the next call relaunches the plugin")
	assert.Len(t, sums, 3)
	after := pids(t)
	require.Len(t, after, 1, "the crashed process was reaped: %v", after)
	assert.NotEqual(t, before, after)

	require.NoError(t, c.Close())
	plugintest.WaitNoChildren(t, 5*time.Second)
}

// A crash during a pull's progress: the events sent before arrive, then Unavailable.
func TestCrashMidPull(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{})
	ref, err := imagesvc.ParsePullReference("example.com/crashpull", "", "")
	require.NoError(t, err)
	var events []imagesvc.ProgressEvent
	_, err = c.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, func(ev imagesvc.ProgressEvent) { events = append(events, ev) })
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Len(t, events, 2, "progress reported before the crash arrives")

	ref, _ = imagesvc.ParsePullReference("example.com/fine", "1", "")
	pulled, err := c.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.NoError(t, err)
	require.Len(t, pulled, 1)
}

// A crash while the archive streams: Import returns Unavailable and stops reading.
func TestCrashMidImport(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{})
	src := &countingReader{r: io.LimitReader(zeros{}, 64<<20)}
	_, err := c.Import(context.Background(), imagesvc.ImportRequest{Source: src, Message: "crash"}, nil)
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Less(t, src.n, int64(64<<20), "the host stopped sending")

	id, err := c.Import(context.Background(), imagesvc.ImportRequest{Source: strings.NewReader("fine")}, nil)
	require.NoError(t, err)
	assert.Equal(t, digest.FromString("fine"), id)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A plugin killed while idle is relaunched by the next call.
func TestKilledWhileIdle(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "1"}})
	kids := pids(t)
	require.Len(t, kids, 1)
	p, err := os.FindProcess(kids[0])
	require.NoError(t, err)
	require.NoError(t, p.Kill())
	require.Eventually(t, func() bool {
		_, err := c.List(context.Background(), imagesvc.ListOptions{})
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
	_, err = c.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
}

// A plugin that keeps crashing is relaunched with growing delays.
func TestRestartBackoff(t *testing.T) {
	const step = time.Second // well above the time a launch takes, even on a loaded machine
	c := plugintest.Open(t, testPlugin(t), plugins.Options{MinRestartDelay: step, MaxRestartDelay: 2 * step})
	crash := func() {
		_, err := c.Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
		require.True(t, errdefs.IsUnavailable(err), "%v", err)
	}
	timed := func() time.Duration {
		start := time.Now()
		_, err := c.List(context.Background(), imagesvc.ListOptions{})
		require.NoError(t, err)
		return time.Since(start)
	}
	crash()
	assert.Less(t, timed(), step, "the first relaunch is immediate")
	// The successful List reset the count. Two crashes in a row now:
	crash()
	crash() // relaunched immediately, crashes again: the second failure in a row
	assert.GreaterOrEqual(t, timed(), step, "the second relaunch in a row waits")

	// A caller whose deadline ends before the next launch is told so at once.
	crash()
	crash()
	crash()
	ctx, cancel := context.WithTimeout(context.Background(), step/10)
	defer cancel()
	_, err := c.List(ctx, imagesvc.ListOptions{})
	require.Error(t, err)
	assert.True(t, errdefs.IsUnavailable(err) || errdefs.IsDeadlineExceeded(err), "%v", err)
}

// A relaunch that hangs holds callers only as long as their contexts allow, then fails as
// a start timeout with class Unavailable.
func TestRelaunchHangs(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-hang-after", marker}, StartTimeout: 2 * time.Second})
	_, err := c.Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
	require.True(t, errdefs.IsUnavailable(err), "%v", err)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.List(ctx, imagesvc.ListOptions{})
	assert.True(t, errdefs.IsDeadlineExceeded(err), "%v", err)
	assert.Less(t, time.Since(start), time.Second, "the caller waited for its deadline only")

	_, err = c.List(context.Background(), imagesvc.ListOptions{})
	require.Error(t, err)
	assert.ErrorIs(t, err, plugins.ErrStartTimeout)
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	require.NoError(t, c.Close())
	plugintest.WaitNoChildren(t, 5*time.Second)
}

// Close fails the calls in progress as Unavailable and leaves no process behind.
func TestCloseDuringCall(t *testing.T) {
	c, err := plugins.Open(context.Background(), testPlugin(t), plugins.Options{})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.Inspect(context.Background(), mustRef(t, "block"), imagesvc.InspectOptions{})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, c.Close())
	select {
	case err := <-done:
		require.Error(t, err)
		assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the call outlived Close")
	}
	plugintest.WaitNoChildren(t, 5*time.Second)
}

// Cancelling a call on the host cancels it in the plugin process.
func TestCancelReachesPlugin(t *testing.T) {
	events := filepath.Join(t.TempDir(), "events")
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Env: []string{"TESTPLUGIN_EVENTS=" + events}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Inspect(ctx, mustRef(t, "block"), imagesvc.InspectOptions{})
	assert.True(t, errdefs.IsDeadlineExceeded(err), "%v", err)
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(events)
		return strings.Contains(string(b), "canceled")
	}, 5*time.Second, 20*time.Millisecond, "the plugin saw the cancellation")
	_, err = c.List(context.Background(), imagesvc.ListOptions{})
	assert.NoError(t, err, "a cancelled call does not cost the process")
}

// The host's usage provider answers the plugin process through the broker.
func TestUsageAcrossProcesses(t *testing.T) {
	usage := imagesvc.UsageFunc(func(_ context.Context, ds []digest.Digest) (map[digest.Digest][]string, error) {
		out := map[digest.Digest][]string{}
		for _, d := range ds {
			out[d] = []string{"c1", "c2"}
		}
		return out, nil
	})
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "2"}, Usage: usage})
	sums, err := c.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	require.Len(t, sums, 2)
	for _, s := range sums {
		assert.Equal(t, int64(2), s.Containers)
	}
	// Still there after a relaunch.
	_, _ = c.Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
	sums, err = c.List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(2), sums[0].Containers)
}

func TestStartFailures(t *testing.T) {
	bin := testPlugin(t)
	open := func(opts plugins.Options) error {
		c, err := plugins.Open(context.Background(), bin, opts)
		if err == nil {
			_ = c.Close()
		}
		return err
	}

	t.Run("Hang", func(t *testing.T) {
		start := time.Now()
		err := open(plugins.Options{Args: []string{"-mode", "hang"}, StartTimeout: time.Second})
		require.Error(t, err)
		assert.ErrorIs(t, err, plugins.ErrStartTimeout)
		assert.Contains(t, err.Error(), bin)
		assert.Contains(t, err.Error(), "1s")
		assert.Less(t, time.Since(start), 10*time.Second)
		plugintest.WaitNoChildren(t, 5*time.Second)
	})
	t.Run("NotAPlugin", func(t *testing.T) {
		err := open(plugins.Options{Args: []string{"-mode", "notplugin"}})
		require.Error(t, err)
		assert.ErrorIs(t, err, plugins.ErrNotPlugin)
		assert.Contains(t, err.Error(), bin)
		assert.Contains(t, err.Error(), "hello, I am not a plugin")
		assert.Contains(t, err.Error(), "version 1")
	})
	t.Run("ExitsAtStart", func(t *testing.T) {
		err := open(plugins.Options{Args: []string{"-mode", "exit"}})
		require.Error(t, err)
		assert.ErrorIs(t, err, plugins.ErrNotPlugin)
		assert.Contains(t, err.Error(), "failing at start on purpose", "the plugin's stderr is quoted")
	})
	t.Run("SystemBinary", func(t *testing.T) {
		for _, p := range []string{"/bin/true", "/bin/echo"} {
			if _, err := os.Stat(p); err != nil {
				continue
			}
			c, err := plugins.Open(context.Background(), p, plugins.Options{StartTimeout: 5 * time.Second})
			if c != nil {
				_ = c.Close()
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, plugins.ErrNotPlugin, "%v", err)
			assert.Contains(t, err.Error(), p)
		}
	})
	t.Run("OtherVersion", func(t *testing.T) {
		err := open(plugins.Options{Args: []string{"-mode", "version2"}})
		require.Error(t, err)
		assert.ErrorIs(t, err, plugins.ErrProtocolVersion)
		assert.True(t, errdefs.IsFailedPrecondition(err))
		assert.Contains(t, err.Error(), bin)
		assert.Contains(t, err.Error(), "version 2")
		assert.Contains(t, err.Error(), "version 1")
	})
	t.Run("Missing", func(t *testing.T) {
		err := open(plugins.Options{})
		require.NoError(t, err)
		_, err = plugins.Open(context.Background(), filepath.Join(t.TempDir(), "nosuch"), plugins.Options{})
		assert.True(t, errdefs.IsNotFound(err), "%v", err)
		assert.Contains(t, err.Error(), "nosuch")
	})
	t.Run("Checksum", func(t *testing.T) {
		b, err := os.ReadFile(bin)
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		require.NoError(t, open(plugins.Options{Checksum: sum[:]}))
		bad := bytes.Clone(sum[:])
		bad[0] ^= 0xff
		err = open(plugins.Options{Checksum: bad})
		assert.ErrorIs(t, err, plugins.ErrChecksum)
		assert.Contains(t, err.Error(), bin)
	})
	plugintest.WaitNoChildren(t, 5*time.Second)
}

// No plugin process outlives Close, whatever happened before.
func TestNoProcessOutlivesClose(t *testing.T) {
	plugintest.WaitNoChildren(t, 5*time.Second)
	bin := testPlugin(t)
	var clients []plugins.Client
	for range 4 {
		c, err := plugins.Open(context.Background(), bin, plugins.Options{Args: []string{"-seed", "1"}})
		require.NoError(t, err)
		clients = append(clients, c)
	}
	assert.Len(t, pids(t), 4)
	// One crashed and relaunched, one crashed and not relaunched, one busy.
	_, _ = clients[0].Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
	_, err := clients[0].List(context.Background(), imagesvc.ListOptions{})
	require.NoError(t, err)
	_, _ = clients[1].Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
	go func() {
		_, _ = clients[2].Inspect(context.Background(), mustRef(t, "block"), imagesvc.InspectOptions{})
	}()
	time.Sleep(100 * time.Millisecond)
	for _, c := range clients {
		require.NoError(t, c.Close())
	}
	kids, err := plugintest.Children()
	require.NoError(t, err)
	assert.Empty(t, kids, "no child process right after Close (zombies included)")
}
