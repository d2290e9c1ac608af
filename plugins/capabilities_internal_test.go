package plugins

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every combination of capabilities has a generated type with exactly those interfaces,
// which withCapabilities returns for it (the client implements them all).
func TestEveryCombination(t *testing.T) {
	c := newClient("", Options{})
	for caps := range AllCapabilities + 1 {
		got := withCapabilities(c, caps, c)
		assert.Equal(t, caps, CapabilitiesOf(got), "combination %s", caps)
	}
}
