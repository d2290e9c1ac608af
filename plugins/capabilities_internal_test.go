package plugins

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/imageapi/imageapi/imagesvc"
)

// Every combination of capabilities has a generated type with exactly the first nine of
// them in its method set, which withCapabilities returns for it (the client implements
// them all), and whose As hands out exactly them all.
func TestEveryCombination(t *testing.T) {
	c := newClient("", Options{})
	for caps := range AllCapabilities + 1 {
		c.caps = caps // As hands out the capabilities the plugin announced
		got := withCapabilities(c, caps, c)
		assert.Equal(t, caps, CapabilitiesOf(got), "combination %s", caps)
		_, typed := got.(imagesvc.EventWatcher)
		assert.False(t, typed, "capabilities after the ninth are found with imagesvc.As only")
	}
}
