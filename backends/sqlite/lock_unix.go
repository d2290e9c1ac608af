//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/containerd/errdefs"
)

// lockRoot takes an exclusive advisory lock on path, creating it if needed. The lock is
// released when the returned file is closed or the process exits, however it exits.
func lockRoot(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sqlite store: %s is in use by another store: %w", path, errdefs.ErrUnavailable)
		}
		return nil, fmt.Errorf("sqlite store: locking %s: %w", path, err)
	}
	return f, nil
}
