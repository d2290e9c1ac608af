package main

// The end-to-end tests of imaged. One fixture per test binary, started by the first test that
// asks for it ([env]) and stopped by TestMain:
//
//   - Debian's docker-registry (distribution 2.8) on 127.0.0.1, holding images built by
//     package testimages and pushed with containerd's pusher;
//   - imaged itself, in-process through run(), on the SQLite backend, listening on a unix
//     socket and on 127.0.0.1;
//   - a validating proxy on 127.0.0.1 in front of imaged's unix socket: every client (the
//     docker CLI, the Go SDK, docker-py) talks through it, and every answer of the image
//     endpoints that passes is checked against moby's Swagger documents (see
//     e2e_swagger_test.go). The direct requests of TestSwaggerEveryEndpoint use imaged's TCP
//     listener, so both listeners serve real traffic.
//
// The fixture pulls and imports a known set of images before the tests start (see
// setupImages), so that each test can assert exact answers; tests that pull or import
// more use names of their own and remove them when they end (removeWhenDone), so that
// they pass in any order and any number of times (go test -count=N). Tests that remove images run daemons of their own, one per
// backend (e2e_backends_test.go).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// fx is the fixture of this test binary, started by the first call of env.
var (
	fxOnce sync.Once
	fx     *fixture
	fxErr  error
)

// errUnavailable marks a setup failure caused by a missing component (testenv.Unavailable).
type errUnavailable struct{ msg string }

func (e errUnavailable) Error() string { return e.msg }

func TestMain(m *testing.M) {
	code := m.Run()
	containerdtest.StopShared()
	if fx != nil {
		if err := fx.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the e2e fixture:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// env returns the fixture, starting it on first use. Swagger violations of the answers
// that passed through the proxy while t ran are reported as errors of t when it ends.
func env(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() { fx, fxErr = start() })
	if fxErr != nil {
		if u, ok := errors.AsType[errUnavailable](fxErr); ok {
			testenv.Unavailable(t, "%s", u.msg)
		}
		t.Fatalf("e2e fixture: %v", fxErr)
	}
	fx.val.claim(t)
	return fx
}

// fixture is everything the tests talk to.
type fixture struct {
	tmp string

	// reg is the registry's host:port; regCmd its process.
	reg       string
	regCmd    *exec.Cmd
	regExited chan struct{} // closed when regCmd has exited (and been reaped)
	regLog    *syncBuffer

	// sock is imaged's unix socket, tcp its TCP address (host:port).
	sock string
	tcp  string
	// proxy is the validating proxy's host:port, the address every client uses.
	proxy string

	cancel   context.CancelFunc
	done     chan error
	log      *syncBuffer
	proxySrv *http.Server

	val *validator

	host, other ocispec.Platform // the host platform and another one multi-platform images carry

	// The fixture's images, pushed to the registry; the ones marked "pulled" are pulled
	// (or imported) by setupImages.
	base, child, app, multi *testimages.Image // pulled
	cliImg, sdkImg, pyImg   *testimages.Image // pulled by the client tests
	// hist has a history of its own (an empty layer, comments, a long command); only the
	// lifecycle tests pull it, into daemons of their own (e2e_backends_test.go).
	hist *testimages.Image
	// until is a time between the pulls of base and app and everything else (until filter).
	until time.Time
	// danglingID and importedID are the IDs of the fixture's imports: one without a name
	// and e2e/imported:fixture.
	danglingID, importedID string
	// importErr is why the fixture's imports failed, if they did: the tests that need
	// them fail with it, the others go on.
	importErr error
}

// ref returns the registry reference of repo:tag.
func (f *fixture) ref(repoTag string) string { return f.reg + "/" + repoTag }

// hostURL is the Docker host URL of the validating proxy.
func (f *fixture) hostURL() string { return "tcp://" + f.proxy }

func start() (f *fixture, err error) {
	f = &fixture{}
	defer func() {
		if err != nil {
			if serr := f.stop(); serr != nil {
				err = fmt.Errorf("%w (and stopping: %v)", err, serr)
			}
			if f.log != nil && f.log.Len() > 0 {
				err = fmt.Errorf("%w\nimaged log:\n%s", err, f.log.String())
			}
			f = nil
		}
	}()
	if f.tmp, err = os.MkdirTemp("", "imaged-e2e-"); err != nil {
		return f, err
	}
	if f.val, err = newValidator(); err != nil {
		return f, err
	}
	if err := f.startRegistry(); err != nil {
		return f, err
	}
	if err := f.buildAndPush(); err != nil {
		return f, err
	}
	if err := f.startImaged(); err != nil {
		return f, err
	}
	if err := f.startProxy(); err != nil {
		return f, err
	}
	if err := f.setupImages(); err != nil {
		return f, err
	}
	return f, nil
}

// stop stops everything that runs and removes the temporary files. imaged's run must
// return nil once its context is cancelled.
func (f *fixture) stop() error {
	var errs []error
	if f.proxySrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := f.proxySrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("proxy shutdown: %w", err))
		}
		cancel()
	}
	if f.cancel != nil {
		f.cancel()
		select {
		case err := <-f.done:
			if err != nil {
				errs = append(errs, fmt.Errorf("imaged run returned %w", err))
			}
		case <-time.After(30 * time.Second):
			errs = append(errs, errors.New("imaged run did not return within 30s of its context's end"))
		}
	}
	if f.regCmd != nil {
		_ = f.regCmd.Process.Kill()
		select {
		case <-f.regExited:
		case <-time.After(10 * time.Second):
			errs = append(errs, errors.New("docker-registry did not exit within 10s of SIGKILL"))
		}
	}
	if f.tmp != "" {
		if err := os.RemoveAll(f.tmp); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// registryBinary is Debian's docker-registry, installed with apt when missing.
const registryBinary = "/usr/bin/docker-registry"

func (f *fixture) startRegistry() error {
	if _, err := os.Stat(registryBinary); err != nil {
		if err := testenv.AptInstall("docker-registry"); err != nil {
			return errUnavailable{fmt.Sprintf("docker-registry (Debian package docker-registry): %v", err)}
		}
		if _, err := os.Stat(registryBinary); err != nil {
			return errUnavailable{"docker-registry installed but " + registryBinary + " is missing"}
		}
	}
	// The Debian package's own service (if the machine runs one) listens on :5000 with
	// htpasswd auth; this registry has a port, a root and a config of its own, so the two
	// never meet.
	port, err := freePort()
	if err != nil {
		return err
	}
	f.reg = fmt.Sprintf("127.0.0.1:%d", port)
	root := filepath.Join(f.tmp, "registry")
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, root, f.reg)
	cfgPath := filepath.Join(f.tmp, "registry.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	f.regLog = &syncBuffer{}
	cmd := exec.Command(registryBinary, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = f.regLog, f.regLog
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start docker-registry: %w", err)
	}
	f.regCmd = cmd
	f.regExited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(f.regExited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + f.reg + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			return fmt.Errorf("docker-registry at %s: GET /v2/ answered %s (auth configured?)", f.reg, resp.Status)
		}
		select {
		case <-f.regExited:
			return fmt.Errorf("docker-registry exited: %s", f.regLog.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("docker-registry did not answer on %s within 20s: %v\n%s", f.reg, err, f.regLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// histCreatedBy are the commands of e2e/lc-hist's history, oldest first: a layer, an empty
// layer, a layer with a command longer than the 45 characters the CLI shows.
var histCreatedBy = []string{
	"/bin/sh -c #(nop) ADD file:4f2bcd10 in / ",
	"ENV LC=history",
	"RUN /bin/sh -c echo 'a command long enough for the CLI to truncate it' > /srv/lc-app # buildkit",
}

// The labels of the fixture's images.
const (
	labelTeam = "org.example.team"
	labelTier = "org.example.tier"
	labelRole = "org.example.role"
)

// buildAndPush builds the test images and pushes them:
//
//	e2e/base:1                  schema 2, created 2024-06-01, role=base
//	e2e/child:1                 schema 2, created 2025-06-01, parent label -> base, shares base's layer
//	e2e/app:v1, v2, latest      schema 2, created 2025-01-01, team=blue tier=web, a full config
//	e2e/multi:1.0               OCI index: host platform + another + attestations, created 2025-03-01, team=red
//	e2e/cli:1, e2e/py:1         schema 2 images the CLI and docker-py tests pull
//	e2e/sdk:1                   OCI index the Go SDK test pulls, one platform at a time
//	e2e/lc-hist:1               schema 2, two layers and three history entries (histCreatedBy)
func (f *fixture) buildAndPush() error {
	f.host = platforms.Normalize(platforms.DefaultSpec())
	f.host.OSVersion, f.host.OSFeatures = "", nil
	if f.host.Architecture == "arm64" {
		f.other = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	} else {
		f.other = ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	}
	baseFiles := []testimages.File{{Name: "etc/"}, {Name: "etc/base-release", Data: []byte("e2e base\n")}}
	var err error
	if f.base, err = testimages.DockerSchema2(testimages.Config{
		Created: date("2024-06-01"),
		Labels:  map[string]string{labelRole: "base"},
		Layers:  [][]testimages.File{baseFiles},
	}); err != nil {
		return err
	}
	if f.child, err = testimages.DockerSchema2(testimages.Config{
		Created:     date("2025-06-01"),
		Labels:      map[string]string{labelRole: "child", labelTeam: "blue"},
		ParentLabel: f.base.Descriptor.Digest,
		Layers:      [][]testimages.File{baseFiles, {{Name: "srv/child", Data: []byte("child\n")}}},
	}); err != nil {
		return err
	}
	if f.app, err = testimages.DockerSchema2(testimages.Config{
		Created:    date("2025-01-01"),
		Labels:     map[string]string{labelTeam: "blue", labelTier: "web"},
		Env:        []string{"PATH=/usr/bin:/bin", "APP_MODE=e2e"},
		Cmd:        []string{"serve", "--port", "8080"},
		Entrypoint: []string{"/bin/app"},
		WorkingDir: "/srv",
		User:       "app",
		Author:     "imageapi e2e",
	}); err != nil {
		return err
	}
	multiCfg := func(p ocispec.Platform, seed uint64, created string) testimages.Config {
		return testimages.Config{Platform: p, Created: date(created), Labels: map[string]string{labelTeam: "red"}, Seed: seed}
	}
	if f.multi, err = testimages.OCIIndex([]testimages.Config{multiCfg(f.host, 1, "2025-03-01"), multiCfg(f.other, 1, "2025-03-01")}, true); err != nil {
		return err
	}
	if f.sdkImg, err = testimages.OCIIndex([]testimages.Config{multiCfg(f.host, 2, "2025-04-01"), multiCfg(f.other, 2, "2025-04-01")}, true); err != nil {
		return err
	}
	if f.cliImg, err = testimages.DockerSchema2(testimages.Config{Created: date("2025-05-01"), Seed: 3}); err != nil {
		return err
	}
	if f.pyImg, err = testimages.DockerSchema2(testimages.Config{Created: date("2025-05-02"), Seed: 4, Labels: map[string]string{labelTier: "py"}}); err != nil {
		return err
	}
	histFiles := [][]testimages.File{
		{{Name: "etc/"}, {Name: "etc/lc-release", Data: []byte("history base\n")}},
		{{Name: "srv/"}, {Name: "srv/lc-app", Data: []byte("history app\n")}},
	}
	histTimes := []time.Time{date("2025-02-01"), date("2025-02-02"), date("2025-02-03")}
	if f.hist, err = testimages.DockerSchema2(testimages.Config{
		Created: histTimes[2],
		Labels:  map[string]string{labelRole: "history"},
		Layers:  histFiles,
		History: []ocispec.History{
			{Created: &histTimes[0], CreatedBy: histCreatedBy[0]},
			{Created: &histTimes[1], CreatedBy: histCreatedBy[1], Comment: "buildkit.dockerfile.v0", EmptyLayer: true},
			{Created: &histTimes[2], CreatedBy: histCreatedBy[2], Comment: "buildkit.dockerfile.v0"},
		},
	}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, p := range []struct {
		repo, tag string
		img       *testimages.Image
	}{
		{"e2e/base", "1", f.base},
		{"e2e/child", "1", f.child},
		{"e2e/app", "v1", f.app},
		{"e2e/app", "v2", f.app},
		{"e2e/app", "latest", f.app},
		{"e2e/multi", "1.0", f.multi},
		{"e2e/sdk", "1", f.sdkImg},
		{"e2e/cli", "1", f.cliImg},
		{"e2e/py", "1", f.pyImg},
		{"e2e/lc-hist", "1", f.hist},
	} {
		if err := testimages.Push(ctx, f.reg, p.repo, p.tag, p.img, true, nil); err != nil {
			return fmt.Errorf("push to docker-registry: %w\n%s", err, f.regLog.String())
		}
	}
	return nil
}

func (f *fixture) startImaged() error {
	f.sock = filepath.Join(f.tmp, "imaged.sock")
	f.log = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.done = make(chan error, 1)
	ready := make(chan []net.Addr, 1)
	args := []string{
		"-H", "unix://" + f.sock,
		"-H", "tcp://127.0.0.1:0",
		"--data-root", filepath.Join(f.tmp, "data"),
		"--insecure-registry", f.reg,
		"--log-level", "info",
	}
	go func() { f.done <- run(ctx, args, f.log, func(a []net.Addr) { ready <- a }) }()
	select {
	case addrs := <-ready:
		for _, a := range addrs {
			if a.Network() == "tcp" {
				f.tcp = a.String()
			}
		}
		if f.tcp == "" {
			return fmt.Errorf("imaged listens on %v: no TCP address", addrs)
		}
		return nil
	case err := <-f.done:
		f.cancel = nil
		return fmt.Errorf("imaged run returned before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		return errors.New("imaged was not ready within 60s")
	}
}

func (f *fixture) startProxy() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	f.proxy = l.Addr().String()
	f.proxySrv = &http.Server{Handler: &validatingProxy{sock: f.sock, val: f.val}, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = f.proxySrv.Serve(l) }()
	return nil
}

// setupImages pulls base and app, marks the until time, pulls child and multi, and imports
// a dangling image and e2e/imported:fixture, all through the validating proxy. A failed
// pull fails the setup; failed imports are kept in importErr.
func (f *fixture) setupImages() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pull := func(repo, tag string) error {
		q := url.Values{"fromImage": {f.ref(repo)}, "tag": {tag}}
		body, err := f.post(ctx, "", q, nil)
		if err != nil {
			return err
		}
		if !bytes.Contains(body, []byte("Status: Downloaded newer image for "+f.ref(repo+":"+tag))) {
			return fmt.Errorf("pull %s:%s: unexpected stream:\n%s", repo, tag, body)
		}
		return nil
	}
	for _, p := range [][2]string{{"e2e/base", "1"}, {"e2e/app", "v1"}, {"e2e/app", "v2"}, {"e2e/app", "latest"}} {
		if err := pull(p[0], p[1]); err != nil {
			return err
		}
	}
	time.Sleep(50 * time.Millisecond)
	f.until = time.Now()
	time.Sleep(50 * time.Millisecond)
	for _, p := range [][2]string{{"e2e/child", "1"}, {"e2e/multi", "1.0"}} {
		if err := pull(p[0], p[1]); err != nil {
			return err
		}
	}
	imp := func(q url.Values, files []testimages.File) (string, error) {
		q.Set("fromSrc", "-")
		body, err := f.post(ctx, "", q, bytes.NewReader(testimages.Tar(files)))
		if err != nil {
			return "", err
		}
		id := lastStatus(body)
		if _, err := digest.Parse(id); err != nil {
			return "", fmt.Errorf("import %v: the stream does not end with the image ID:\n%s", q, body)
		}
		return id, nil
	}
	var errs []error
	var err error
	if f.danglingID, err = imp(url.Values{}, []testimages.File{{Name: "dangling", Data: []byte("no name\n")}}); err != nil {
		errs = append(errs, err)
	}
	if f.importedID, err = imp(url.Values{
		"repo": {"e2e/imported"}, "tag": {"fixture"}, "message": {"fixture import"},
		"changes": {"ENV IMPORTED=1", `LABEL org.example.team="green"`, "WORKDIR /data"},
	}, []testimages.File{{Name: "data/"}, {Name: "data/hello", Data: []byte("hello\n")}}); err != nil {
		errs = append(errs, err)
	}
	f.importErr = errors.Join(errs...)
	return nil
}

// needImports fails t if the fixture's imports failed.
func (f *fixture) needImports(t *testing.T) {
	t.Helper()
	if f.importErr != nil {
		t.Fatalf("the fixture's imports failed: %v", f.importErr)
	}
}

// removeWhenDone removes refs from the fixture's imaged when t ends (DELETE /images/{ref}
// with force, on imaged's TCP listener), so that a test that pulls or imports into the
// shared daemon leaves it as it found it: the next run of the test (go test -count=N)
// pulls for the first time again and finds no image of a former run. A ref that is not
// there (the test failed before it made it) is not an error.
func (f *fixture) removeWhenDone(t *testing.T, refs ...string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, ref := range refs {
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, "http://"+f.tcp+"/images/"+ref+"?force=1", nil)
			if err != nil {
				t.Errorf("remove %s at the end of the test: %v", ref, err)
				continue
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("remove %s at the end of the test: %v", ref, err)
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
				t.Errorf("remove %s at the end of the test: %s: %s", ref, resp.Status, body)
			}
		}
	})
}

// post sends POST /images/create (under the version prefix v, "" for none) through the
// proxy and returns the body; a status other than 200 is an error.
func (f *fixture) post(ctx context.Context, v string, q url.Values, body io.Reader) ([]byte, error) {
	return doRequest(ctx, http.MethodPost, "http://"+f.proxy+versionPrefix(v)+"/images/create?"+q.Encode(), body)
}

func versionPrefix(v string) string {
	if v == "" {
		return ""
	}
	return "/v" + v
}

func doRequest(ctx context.Context, method, u string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return data, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, data)
	}
	return data, nil
}

// lastStatus returns the status of the last message of a JSON stream.
func lastStatus(stream []byte) string {
	lines := strings.Split(strings.TrimSpace(string(stream)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	const p = `{"status":"`
	if strings.HasPrefix(last, p) && strings.HasSuffix(last, `"}`) {
		return strings.TrimSuffix(strings.TrimPrefix(last, p), `"}`)
	}
	return ""
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// platformString formats p as os/arch[/variant], as the CLI and Docker's messages do.
func (f *fixture) platformString(p ocispec.Platform) string { return platforms.Format(p) }
