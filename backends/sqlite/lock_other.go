//go:build !unix

package sqlite

import (
	"fmt"
	"os"
)

// lockRoot creates path; on this system the lock is not enforced across processes.
func lockRoot(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return f, nil
}
