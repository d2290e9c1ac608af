package httpadapter

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind (streams, test servers, clients).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
