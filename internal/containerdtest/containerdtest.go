// Package containerdtest starts real containerd daemons for tests, each on its own
// temporary root, state directory and socket, with the CRI and NRI plugins disabled.
//
// Two daemons are supported:
//
//   - [Version2]: containerd 2.x, built from the module cache at the version this module's
//     go.mod requires for the client (github.com/containerd/containerd/v2), with
//     containerd's own go.mod (GOFLAGS=-mod=mod, GOWORK=off, tag no_btrfs). The binary is
//     built once per machine and cached under os.UserCacheDir()/imageapi-containerd; a file
//     lock serializes concurrent builds. The first build takes a minute or two.
//   - [Version16]: Debian's containerd package (1.6), the oldest daemon the containerd
//     backend supports, installed on demand with apt-get (package testenv). The same
//     package provides ctr, see [Daemon.Ctr].
//
// A component that cannot be had (no root, no apt-get, a failed build) skips the test, and
// fails it in CI (see package testenv).
//
// Snapshotter: the overlayfs snapshotter is used when the daemon loaded it and an overlay
// mount works on the daemon's root file system; otherwise (some sandboxes forbid overlay
// mounts) the tests fall back to the native snapshotter. [Daemon.Snapshotter] tells which.
//
// Test binaries usually share one daemon: [Shared] starts it on first use, and TestMain
// stops it with [StopShared]:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		containerdtest.StopShared()
//		os.Exit(code)
//	}
package containerdtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/imageapi/imageapi/internal/testenv"
)

// The daemon versions [Options.Version] accepts.
const (
	// Version2 is containerd 2.x at the client's module version, built from source.
	Version2 = "2"
	// Version16 is Debian's containerd package, 1.6.
	Version16 = "1.6"
)

// clientModule is the module whose version the 2.x daemon is built at.
const clientModule = "github.com/containerd/containerd/v2"

// Options configures a daemon. The zero value starts containerd 2.x.
type Options struct {
	// Version is [Version2] (the default when empty) or [Version16].
	Version string
	// Snapshotter forces a snapshotter ("overlayfs", "native"); "" picks overlayfs when it
	// works, else native.
	Snapshotter string
	// OnDisk keeps the daemon's directories on the disk. By default they are on a tmpfs
	// mounted for the daemon (when the mount works): containerd's metadata database syncs
	// every transaction to disk, which makes tests that write many blobs slow for no
	// benefit to them.
	OnDisk bool
}

// Daemon is a running containerd.
type Daemon struct {
	version     string
	binary      string
	dir         string
	address     string
	snapshotter string
	logPath     string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}

	tmpfs    bool
	stopOnce sync.Once
	stopErr  error
}

// Address returns the daemon's gRPC socket path, for containerd.New and ctr --address.
func (d *Daemon) Address() string { return d.address }

// Snapshotter returns the snapshotter tests should use: "overlayfs" when it works on this
// machine, else "native".
func (d *Daemon) Snapshotter() string { return d.snapshotter }

// Version returns [Version2] or [Version16].
func (d *Daemon) Version() string { return d.version }

// OnTmpfs reports whether the daemon's directories are on a tmpfs.
func (d *Daemon) OnTmpfs() bool { return d.tmpfs }

// Root returns the daemon's root directory (content, metadata, snapshots).
func (d *Daemon) Root() string { return filepath.Join(d.dir, "root") }

// Log returns what the daemon has logged so far.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.logPath)
	return string(b)
}

// Start starts a daemon for the test t and stops it when t ends. A daemon that cannot be
// had skips t, or fails it in CI.
func Start(t testing.TB, opts Options) *Daemon {
	t.Helper()
	bin, err := binary(t, opts.Version)
	if err != nil {
		testenv.Unavailable(t, "containerd %s: %v", versionName(opts.Version), err)
	}
	d, err := launch(bin, opts)
	if err != nil {
		t.Fatalf("starting containerd %s: %v", versionName(opts.Version), err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("stopping containerd: %v", err)
		}
	})
	return d
}

var shared struct {
	mu      sync.Mutex
	daemons map[string]*Daemon
	errs    map[string]error
}

// Shared returns the daemon of this test binary for opts, starting it on first use. It
// keeps running until [StopShared]. Every test that asks for it gets the same daemon (one
// per Options value), so tests separate their data by containerd namespace.
func Shared(t testing.TB, opts Options) *Daemon {
	t.Helper()
	key := fmt.Sprintf("%s/%s/%v", versionName(opts.Version), opts.Snapshotter, opts.OnDisk)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if d := shared.daemons[key]; d != nil {
		return d
	}
	if err := shared.errs[key]; err != nil {
		testenv.Unavailable(t, "containerd %s: %v", versionName(opts.Version), err)
	}
	if shared.daemons == nil {
		shared.daemons = map[string]*Daemon{}
		shared.errs = map[string]error{}
	}
	bin, err := binary(t, opts.Version)
	if err != nil {
		shared.errs[key] = err
		testenv.Unavailable(t, "containerd %s: %v", versionName(opts.Version), err)
	}
	d, err := launch(bin, opts)
	if err != nil {
		shared.errs[key] = err
		t.Fatalf("starting containerd %s: %v", versionName(opts.Version), err)
	}
	shared.daemons[key] = d
	return d
}

// StopShared stops the daemons [Shared] started. Call it from TestMain after m.Run.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for key, d := range shared.daemons {
		if err := d.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "containerdtest: stopping %s: %v\n", key, err)
		}
		delete(shared.daemons, key)
	}
}

func versionName(v string) string {
	if v == "" {
		return Version2
	}
	return v
}

// binary returns the containerd binary of the version, building or installing it.
func binary(t testing.TB, version string) (string, error) {
	switch versionName(version) {
	case Version2:
		return Build()
	case Version16:
		const deb = "/usr/bin/containerd"
		if _, err := os.Stat(deb); err == nil && isDebian16(deb) {
			return deb, nil
		}
		if err := testenv.AptInstall("containerd"); err != nil {
			return "", err
		}
		if !isDebian16(deb) {
			return "", fmt.Errorf("%s is not containerd 1.6 after installing Debian's containerd", deb)
		}
		return deb, nil
	}
	return "", fmt.Errorf("unknown containerd version %q", version)
}

func isDebian16(bin string) bool {
	out, err := exec.Command(bin, "--version").Output()
	return err == nil && strings.Contains(string(out), " 1.6.")
}

// CtrBinary returns the path of ctr from Debian's containerd package, installing it if
// needed; it skips t (fails it in CI) when that is impossible. ctr 1.6 talks to 1.6 and
// 2.x daemons alike.
func CtrBinary(t testing.TB) string {
	t.Helper()
	return testenv.Binary(t, "ctr", "containerd", "/usr/bin/ctr")
}

// Ctr runs ctr against the daemon in namespace ns with args, and returns its combined
// output. It fails t when ctr fails.
func (d *Daemon) Ctr(t testing.TB, ns string, args ...string) string {
	t.Helper()
	out, err := d.CtrErr(t, ns, args...)
	if err != nil {
		t.Fatalf("ctr %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// CtrErr is [Daemon.Ctr] returning ctr's error instead of failing t.
func (d *Daemon) CtrErr(t testing.TB, ns string, args ...string) (string, error) {
	t.Helper()
	ctr := CtrBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	all := append([]string{"--address", d.address, "--namespace", ns}, args...)
	out, err := exec.CommandContext(ctx, ctr, all...).CombinedOutput()
	return string(out), err
}

// Build returns the path of a containerd 2.x binary at the version of the client module
// this module requires, building it from the module cache on first use (once per machine;
// concurrent callers wait for one build).
func Build() (string, error) { return buildCommand("containerd") }

// BuildCtr returns the path of ctr 2.x at the same version, built like [Build]. Unlike
// Debian's ctr 1.6, it pulls through the daemon's transfer service by default.
func BuildCtr() (string, error) { return buildCommand("ctr") }

// buildCommand builds ./cmd/<name> of the client module at its version, once per machine.
func buildCommand(name string) (string, error) {
	version := moduleVersion()
	if version == "" {
		return "", errors.New("cannot tell the version of " + clientModule)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "imageapi-containerd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name+"-"+version)
	if ok := executable(bin); ok {
		return bin, nil
	}
	lock, err := os.OpenFile(filepath.Join(dir, "build.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if executable(bin) {
		return bin, nil
	}
	src, err := moduleDir(version)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tmp := bin + ".tmp"
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "no_btrfs",
		"-ldflags", "-X "+clientModule+"/version.Version="+version, "-o", tmp, "./cmd/"+name)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s %s in %s: %v\n%s", name, version, src, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	return bin, nil
}

func executable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// moduleVersion returns the version of the containerd client module linked into this
// binary, or that go.mod requires.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == clientModule {
				if m.Replace != nil {
					return m.Replace.Version
				}
				return m.Version
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", clientModule).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// moduleDir returns the module cache directory of the client module at version,
// downloading it through the module proxy if needed.
func moduleDir(version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", clientModule+"@"+version)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	cmd.Dir = os.TempDir() // outside any module
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v\n%s", clientModule, version, err, stderr.String())
	}
	var info struct {
		Dir   string
		Error string
	}
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download: %v", err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", clientModule, version, info.Error)
	}
	return info.Dir, nil
}

// launch starts the daemon binary bin with a generated configuration and waits until it
// serves.
func launch(bin string, opts Options) (*Daemon, error) {
	// Unix socket paths are limited to about 100 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "ctrd")
	if err != nil {
		return nil, err
	}
	tmpfs := false
	if !opts.OnDisk {
		tmpfs = syscall.Mount("tmpfs", dir, "tmpfs", 0, "mode=0700") == nil
	}
	d := &Daemon{
		tmpfs:   tmpfs,
		version: versionName(opts.Version),
		binary:  bin,
		dir:     dir,
		address: filepath.Join(dir, "containerd.sock"),
		logPath: filepath.Join(dir, "containerd.log"),
	}
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(d.config()), 0o644); err != nil {
		d.Stop()
		return nil, err
	}
	if err := d.startProcess(); err != nil {
		log := d.Log()
		d.Stop()
		return nil, fmt.Errorf("%v\ndaemon log:\n%s", err, log)
	}
	d.snapshotter = opts.Snapshotter
	if d.snapshotter == "" {
		d.snapshotter = d.pickSnapshotter()
	}
	return d, nil
}

// startProcess starts the daemon process on d's configuration and waits until it serves.
func (d *Daemon) startProcess() error {
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(d.binary, "--config", filepath.Join(d.dir, "config.toml"), "--log-level", "info")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	d.mu.Lock()
	d.cmd, d.exited = cmd, exited
	d.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	return d.waitServing(30 * time.Second)
}

// stopProcess stops the daemon process: SIGTERM to its process group, SIGKILL after 10
// seconds.
func (d *Daemon) stopProcess() {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.cmd = nil
	d.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
}

// Restart stops the daemon and starts it again on the same root, state and socket, as a
// daemon upgrade or crash recovery would. Clients see their connections and event
// streams break, then the daemon serve again.
func (d *Daemon) Restart() error {
	d.stopProcess()
	if err := d.startProcess(); err != nil {
		return fmt.Errorf("%v\ndaemon log:\n%s", err, d.Log())
	}
	return nil
}

// config returns the daemon's config.toml.
func (d *Daemon) config() string {
	root, state := filepath.Join(d.dir, "root"), filepath.Join(d.dir, "state")
	var b strings.Builder
	if d.version == Version16 {
		b.WriteString("version = 2\n")
		b.WriteString(`disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", ` +
			`"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]` + "\n")
	} else {
		b.WriteString("version = 3\n")
		b.WriteString(`disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", ` +
			`"io.containerd.cri.v1.runtime", "io.containerd.nri.v1.nri", "io.containerd.podsandbox.controller.v1.podsandbox", ` +
			`"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", ` +
			`"io.containerd.snapshotter.v1.erofs"]` + "\n")
	}
	fmt.Fprintf(&b, "root = %q\nstate = %q\n", root, state)
	fmt.Fprintf(&b, "[grpc]\n  address = %q\n", d.address)
	fmt.Fprintf(&b, "[ttrpc]\n  address = %q\n", d.address+".ttrpc")
	fmt.Fprintf(&b, "[debug]\n  address = %q\n", "")
	fmt.Fprintf(&b, "[metrics]\n  address = %q\n", "")
	return b.String()
}

// waitServing waits until the daemon answers on its socket.
func (d *Daemon) waitServing(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	d.mu.Lock()
	exited := d.exited
	d.mu.Unlock()
	for {
		select {
		case <-exited:
			return errors.New("containerd exited during start-up")
		default:
		}
		if _, err := os.Stat(d.address); err == nil {
			c, err := containerd.New(d.address, containerd.WithTimeout(2*time.Second))
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				ok, serr := c.IsServing(ctx)
				cancel()
				c.Close()
				if serr == nil && ok {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd did not serve on %s within %v", d.address, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pickSnapshotter returns "overlayfs" when the daemon loaded the overlayfs snapshotter and
// an overlay mount works next to its root, else "native".
func (d *Daemon) pickSnapshotter() string {
	c, err := containerd.New(d.address)
	if err != nil {
		return "native"
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), "default"), 10*time.Second)
	defer cancel()
	resp, err := c.IntrospectionService().Plugins(ctx, `type=="io.containerd.snapshotter.v1",id=="overlayfs"`)
	if err != nil || len(resp.Plugins) == 0 || resp.Plugins[0].InitErr != nil {
		return "native"
	}
	if !overlayWorks(d.dir) {
		return "native"
	}
	return "overlayfs"
}

// overlayWorks tries an overlay mount in a directory under dir.
func overlayWorks(dir string) bool {
	probe, err := os.MkdirTemp(dir, "overlay-probe")
	if err != nil {
		return false
	}
	defer os.RemoveAll(probe)
	var paths [4]string
	for i, n := range []string{"lower", "upper", "work", "merged"} {
		paths[i] = filepath.Join(probe, n)
		if err := os.Mkdir(paths[i], 0o755); err != nil {
			return false
		}
	}
	if err := os.WriteFile(filepath.Join(paths[0], "f"), []byte("x"), 0o644); err != nil {
		return false
	}
	data := "lowerdir=" + paths[0] + ",upperdir=" + paths[1] + ",workdir=" + paths[2]
	if err := syscall.Mount("overlay", paths[3], "overlay", 0, data); err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(paths[3], "f"))
	_ = syscall.Unmount(paths[3], 0)
	return err == nil
}

// Stop stops the daemon (SIGTERM to its process group, SIGKILL after 10 seconds) and
// removes its directories. It is idempotent.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() {
		d.stopProcess()
		unmountUnder(d.dir)
		if d.tmpfs {
			_ = syscall.Unmount(d.dir, syscall.MNT_DETACH)
		}
		if err := os.RemoveAll(d.dir); err != nil {
			d.stopErr = err
		}
	})
	return d.stopErr
}

// unmountUnder unmounts whatever is still mounted below dir (a daemon killed during an
// unpack may leave a temporary mount behind).
func unmountUnder(dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var mounts []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			mounts = append(mounts, f[4])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
}
