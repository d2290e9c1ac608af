// Package testenv gives tests the real components they need: it finds a program, installs
// the Debian package that provides it when it is missing (tests run as root on the project's
// machines), and decides what happens when that is impossible: in CI (the CI environment
// variable is set) the test fails, so a missing component is never a silent skip; elsewhere
// it is skipped with the reason.
package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI, where every component must be present.
func InCI() bool { return os.Getenv("CI") != "" }

// Unavailable stops t because a component is missing: a failure in CI, a skip elsewhere.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("required component missing in CI: %s", msg)
	}
	t.Skipf("component missing (set CI=1 to make this a failure): %s", msg)
}

// Binary returns the path of the program name, installing the Debian package pkg with
// apt-get when it is not on PATH (or at one of extra, absolute paths tried first).
func Binary(t testing.TB, name, pkg string, extra ...string) string {
	t.Helper()
	if p := find(name, extra); p != "" {
		return p
	}
	if err := AptInstall(pkg); err != nil {
		Unavailable(t, "%s (Debian package %s): %v", name, pkg, err)
	}
	if p := find(name, extra); p != "" {
		return p
	}
	Unavailable(t, "%s: package %s installed but the program is not on PATH", name, pkg)
	return ""
}

func find(name string, extra []string) string {
	for _, p := range extra {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// AptInstall installs Debian packages. Test binaries of several packages run at once, so
// installs are serialized with a lock file; the package lists are updated once a day at
// most.
func AptInstall(pkgs ...string) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("no apt-get on this machine")
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("installing packages needs root")
	}
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "imageapi-apt.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	stamp := filepath.Join(os.TempDir(), "imageapi-apt-updated")
	if st, err := os.Stat(stamp); err != nil || time.Since(st.ModTime()) > 24*time.Hour {
		if out, err := aptGet(ctx, "update"); err != nil {
			return fmt.Errorf("apt-get update: %v\n%s", err, out)
		}
		_ = os.WriteFile(stamp, nil, 0o600)
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)
	if out, err := aptGet(ctx, args...); err != nil {
		return fmt.Errorf("apt-get install %v: %v\n%s", pkgs, err, out)
	}
	return nil
}

func aptGet(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "apt-get", append([]string{"-q", "-o", "DPkg::Lock::Timeout=300"}, args...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	return cmd.CombinedOutput()
}
