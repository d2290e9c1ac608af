package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imageapi/imageapi/internal/testenv"
)

// testcontainers-node, as npm installs it. Its undici (7.17 and later) needs Node 22's
// zstd; the override keeps it on a version that runs on the Node 20 of Debian.
const (
	testcontainersVersion = "12.2.0"
	testcontainersPackage = `{"private": true, "dependencies": {"testcontainers": "` + testcontainersVersion + `"},
 "overrides": {"undici": "7.16.0"}}`
)

// tcScript starts a container from the image argv[2] and prints how that ended, as JSON.
const tcScript = `const { GenericContainer } = require("testcontainers");
(async () => {
  try {
    const c = await new GenericContainer(process.argv[2]).start();
    console.log(JSON.stringify({ started: true, id: c.getId() }));
  } catch (e) {
    console.log(JSON.stringify({ started: false, statusCode: e && e.statusCode ? e.statusCode : 0, message: String(e && e.message) }));
  }
})();
`

// TestTestcontainers: testcontainers for Node (from npm) starts against imaged on each
// backend and gets as far as creating the container, which is the host's endpoint: it
// reads /info, looks for the image, pulls it (from the test's registry: the image is built
// by the test, nothing comes from a public registry) and then asks for the container. The
// reaper (Ryuk) is disabled: it is a container too. testcontainers lists containers before
// it creates one (looking for a reaper to reuse); the test's front answers that with [] as
// a host without containers would, and every other request goes to imaged. The container
// create must be a clean 404 from imaged.
func TestTestcontainers(t *testing.T) {
	f := env(t)
	node := testenv.Binary(t, "node", "nodejs")
	npm := testenv.Binary(t, "npm", "npm")
	dir := installTestcontainers(t, npm)
	script := filepath.Join(dir, "start.js")
	if err := os.WriteFile(script, []byte(tcScript), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, b := range dfBackends {
		t.Run(b, func(t *testing.T) {
			d := startDaemon(t, f, b)
			front := newHostFront(t, d)
			image := f.ref("e2e/cli:1")

			// First the image is pulled; then it is there.
			inspect := "GET /images/" + image + "/json"
			runTestcontainers(t, node, script, front, image, []string{
				"GET /info 200", inspect + " 404", "POST /images/create 200", "GET /containers/json 200", "POST /containers/create 404",
			})
			runTestcontainers(t, node, script, front, image, []string{
				"GET /info 200", inspect + " 200", "GET /containers/json 200", "POST /containers/create 404",
			})
		})
	}
}

// runTestcontainers starts a container from image with testcontainers, through front,
// and checks that it ended with the 404 of the container create, after the requests want
// (method, path without version and query, status), which must be all it sent.
func runTestcontainers(t *testing.T, node, script string, front *hostFront, image string, want []string) {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + home, // testcontainers' lock file
		"DOCKER_HOST=tcp://" + front.addr,
		"DOCKER_CONFIG=" + filepath.Join(home, ".docker"),
		"TESTCONTAINERS_RYUK_DISABLED=true",
		"DEBUG=testcontainers*",
	}
	var stdout, stderr bytes.Buffer
	for attempt := 1; ; attempt++ {
		stdout.Reset()
		stderr.Reset()
		front.reset()
		cmd := exec.CommandContext(ctx, node, script, image)
		cmd.Dir, cmd.Env = filepath.Dir(script), env
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("node %s: %v\nstdout: %s\nstderr: %s", script, err, stdout.String(), stderr.String())
		}
		// Rarely (1 run in about 30 under -race), node ends without a word right after
		// sending the container create, its request dropped on a kept-alive connection
		// (ReverseProxy: "use of closed network connection"); once more, then it fails.
		if strings.TrimSpace(stdout.String()) != "" || attempt == 2 {
			break
		}
		t.Logf("testcontainers ended without an answer; once more\nstderr: %s", stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var res struct {
		Started    bool
		StatusCode int
		Message    string
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("testcontainers: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if res.Started || res.StatusCode != http.StatusNotFound || !strings.Contains(res.Message, "page not found") {
		t.Errorf("testcontainers ended with %+v, want the 404 of the container create\nstderr: %s", res, stderr.String())
	}
	if got := front.log(); !slices.Equal(got, want) {
		t.Errorf("testcontainers asked for\n  %s\nwant\n  %s\nstderr: %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), stderr.String())
	}
}

// installTestcontainers installs testcontainers with npm once per version, under the user's
// cache directory (npm's own cache with it), so that later runs take no time; it returns
// the directory that holds node_modules.
func installTestcontainers(t *testing.T, npm string) string {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	root := filepath.Join(base, "imageapi", "npm")
	dir := filepath.Join(root, "testcontainers-"+testcontainersVersion)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "testcontainers", "package.json")); err == nil {
		return dir
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(root, "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(testcontainersPackage), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--cache", filepath.Join(root, "cache"))
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "HOME="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		// Not Unavailable: npm is there; the package must install, in CI and elsewhere.
		t.Fatalf("npm install testcontainers@%s: %v\n%s", testcontainersVersion, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "node_modules", "testcontainers", "package.json")); serr != nil {
			t.Fatalf("installing testcontainers: %v", err)
		}
		// Another test binary installed it meanwhile.
	}
	return dir
}

// hostFront stands for a host that mounts imaged's handler: it answers the container list
// with [] (no containers) and passes everything else on to the daemon, recording each
// request and its status.
type hostFront struct {
	addr string
	mu   sync.Mutex
	reqs []string
}

func newHostFront(t *testing.T, d *daemon) *hostFront {
	t.Helper()
	target, err := url.Parse("http://" + d.proxy)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	h := &hostFront{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = l.Addr().String()
	srv := &http.Server{ReadHeaderTimeout: 30 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		path := versionRe.ReplaceAllString(r.URL.Path, "$2")
		if r.Method == http.MethodGet && path == "/containers/json" {
			rec.Header().Set("Content-Type", "application/json")
			_, _ = rec.Write([]byte("[]\n"))
		} else {
			rp.ServeHTTP(rec, r)
		}
		h.mu.Lock()
		h.reqs = append(h.reqs, fmt.Sprintf("%s %s %d", r.Method, path, rec.status))
		h.mu.Unlock()
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return h
}

func (h *hostFront) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = nil
}

func (h *hostFront) log() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

// statusRecorder records the status of an answer; it passes Flush through.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
