package imagesvctest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWorld checks the suite's own fixtures: every image is served, the twins share a
// short-ID prefix, and the multi-platform index has attestations.
func TestWorld(t *testing.T) {
	w := newWorld(t)
	a, b := w.twinA.Descriptor.Digest.Encoded(), w.twinB.Descriptor.Digest.Encoded()
	assert.Equal(t, a[:4], b[:4])
	assert.NotEqual(t, a, b)
	assert.Len(t, w.multi.Manifests(), 4, "two platforms and two attestations")
	assert.Len(t, w.tags, 3)
	require.NotEmpty(t, w.host)
	assert.DirExists(t, w.hostsDir)
	assert.NotEmpty(t, layerIDs(t, w.single, w.single.Descriptor.Digest))
}
