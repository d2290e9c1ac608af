package sqlite

import (
	"fmt"
	"os"
	"testing"

	"github.com/containerd/log"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// containerd's local store warns on every open of a file system without fs-verity.
	_ = log.SetLevel("error")
	code := m.Run()
	closeBench()
	if code == 0 {
		// Every store the tests opened is closed: nothing may be left running.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}
