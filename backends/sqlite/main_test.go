package sqlite

import (
	"os"
	"testing"

	"github.com/containerd/log"
)

func TestMain(m *testing.M) {
	// containerd's local store warns on every open of a file system without fs-verity.
	_ = log.SetLevel("error")
	code := m.Run()
	closeBench()
	os.Exit(code)
}
