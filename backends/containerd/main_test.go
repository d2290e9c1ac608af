package containerd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/imageapi/imageapi/internal/containerdtest"
)

func TestMain(m *testing.M) {
	if os.Getenv("ROOTFS_CRASH_ADDRESS") != "" {
		os.Exit(crashChild())
	}
	code := m.Run()
	containerdtest.StopShared()
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreCurrent()); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// daemons are the containerd versions the tests run against: 2.x at the client's
// version, and Debian's 1.6, the oldest supported.
var daemons = []string{containerdtest.Version2, containerdtest.Version16}

var nsCounter atomic.Int64

// namespace returns a fresh containerd namespace for t.
func namespace(t testing.TB) string {
	name := strings.NewReplacer("/", "-", "_", "-", " ", "-").Replace(strings.ToLower(t.Name()))
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	name = strings.Trim(name, "-.")
	return fmt.Sprintf("t%d-%s", nsCounter.Add(1), name)
}

// open returns a Store on the shared daemon of version v, in a fresh namespace.
func open(t testing.TB, v string, opts Options) (*Store, *containerdtest.Daemon) {
	t.Helper()
	d := containerdtest.Shared(t, containerdtest.Options{Version: v, OnDisk: os.Getenv("CONTAINERD_ON_DISK") != ""})
	if opts.Address == "" && opts.Client == nil {
		opts.Address = d.Address()
	}
	if opts.Namespace == "" {
		opts.Namespace = namespace(t)
	}
	if opts.Snapshotter == "" {
		opts.Snapshotter = d.Snapshotter()
	}
	s, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, d
}
