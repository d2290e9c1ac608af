package testregistry

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Helpers for tests of registry mirrors: where requests went, and a hosts.toml that puts
// a mirror in front of a registry.

// AccessLog records the requests a registry receives, as "METHOD /path" lines. The zero
// value is ready; [AccessLog.Watch] installs it.
type AccessLog struct {
	mu    sync.Mutex
	lines []string
}

// Watch installs the log as reg's hook (replacing any other).
func (l *AccessLog) Watch(reg *Registry) {
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		l.mu.Lock()
		l.lines = append(l.lines, req.Method+" "+req.URL.Path)
		l.mu.Unlock()
		next.ServeHTTP(w, req)
	})
}

// All returns every logged request.
func (l *AccessLog) All() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Fetches returns the logged GETs of manifests and blobs.
func (l *AccessLog) Fetches() []string {
	var out []string
	for _, line := range l.All() {
		if strings.HasPrefix(line, http.MethodGet+" ") && (strings.Contains(line, "/manifests/") || strings.Contains(line, "/blobs/")) {
			out = append(out, line)
		}
	}
	return out
}

// BlobRequests returns the logged requests of any method for blobs.
func (l *AccessLog) BlobRequests() []string {
	var out []string
	for _, line := range l.All() {
		if strings.Contains(line, "/blobs/") {
			out = append(out, line)
		}
	}
	return out
}

// WriteMirrorHostsDir writes dir/<upstream>/hosts.toml in containerd's layout, so that
// pulls and resolves of upstream go to mirror first, then to upstream itself, both over
// plain HTTP.
func WriteMirrorHostsDir(dir, upstream, mirror string) error {
	if err := os.MkdirAll(filepath.Join(dir, upstream), 0o755); err != nil {
		return err
	}
	toml := fmt.Sprintf("server = \"http://%s\"\n\n[host.\"http://%s\"]\n  capabilities = [\"pull\", \"resolve\"]\n", upstream, mirror)
	return os.WriteFile(filepath.Join(dir, upstream, "hosts.toml"), []byte(toml), 0o644)
}

// UnusedAddr returns a loopback host:port on which nothing listens (one that was just
// free): a registry that is down.
func UnusedAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
