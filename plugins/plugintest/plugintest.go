// Package plugintest helps test imageapi plugins and hosts: it builds plugin programs,
// opens them (or serves a backend in process) with cleanup, counts the plugin processes
// left behind, and provides [MemService], a small in-memory backend for exercising the
// transport.
//
// A plugin author runs the conformance suite across the protocol in two ways:
//
//	func TestConformanceInProcess(t *testing.T) {
//		imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
//			svc := openMyBackend(t, h, plugins.HostUsage())
//			return plugintest.InProcess(t, svc, plugins.Options{Usage: h.Usage})
//		})
//	}
//
//	func TestConformancePlugin(t *testing.T) {
//		bin := plugintest.Build(t, "example.com/mybackend/cmd/plugin")
//		imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
//			return plugintest.Open(t, bin, plugins.Options{
//				Args:  []string{"--root", t.TempDir(), "--hosts-dir", h.HostsDir},
//				Usage: h.Usage,
//			})
//		})
//	}
package plugintest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
)

// InProcess serves impl in this process through the plugin protocol
// ([plugins.OpenInProcess]) and returns the host's side. It is closed when t ends.
func InProcess(t testing.TB, impl imagesvc.Service, opts plugins.Options) plugins.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := plugins.OpenInProcess(ctx, impl, opts)
	if err != nil {
		t.Fatalf("plugins.OpenInProcess: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Open launches the plugin program at path ([plugins.Open]). It is closed when t ends.
func Open(t testing.TB, path string, opts plugins.Options) plugins.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := plugins.Open(ctx, path, opts)
	if err != nil {
		t.Fatalf("plugins.Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var builds struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// Build compiles the main package pkg (an import path or a directory, as `go build`
// takes it) with the go command on PATH and returns the binary's path. Builds are cached
// for the life of the test binary, so every test may call it; the binaries live in a
// directory removed by [Cleanup] (call it from TestMain) or left in the system's
// temporary directory otherwise.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if p, ok := builds.bins[pkg]; ok {
		return p
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "plugintest-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir = dir
		builds.bins = map[string]string{}
	}
	out := filepath.Join(builds.dir, fmt.Sprintf("plugin-%d-%s", len(builds.bins), filepath.Base(pkg)))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgoEnabled())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	builds.bins[pkg] = out
	return out
}

func cgoEnabled() string {
	if v := os.Getenv("CGO_ENABLED"); v != "" {
		return v
	}
	return "1"
}

// Cleanup removes the binaries [Build] made. Call it at the end of TestMain.
func Cleanup() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
		builds.dir, builds.bins = "", nil
	}
}

// Process is a child process of the test.
type Process struct {
	// PID is the process ID.
	PID int
	// Command is the process's command name (comm).
	Command string
	// State is the state letter of /proc/PID/stat ("Z" for a zombie nobody waited for).
	State string
}

// Children returns the child processes of this process, zombies included, from /proc
// (Linux only; elsewhere it returns an error).
func Children() ([]Process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	me := os.Getpid()
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may contain spaces and parentheses.
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil || ppid != me {
			continue
		}
		out = append(out, Process{PID: pid, Command: s[open+1 : end], State: fields[0]})
	}
	return out, nil
}

// WaitNoChildren fails t unless this process has no child processes left, waiting up
// to timeout for them to go.
func WaitNoChildren(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		kids, err := Children()
		if err != nil {
			t.Fatalf("listing child processes: %v", err)
		}
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d child processes outlived their clients: %+v", len(kids), kids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
