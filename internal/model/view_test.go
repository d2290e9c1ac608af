package model

import (
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
)

func TestCloneDescriptor(t *testing.T) {
	d := ocispec.Descriptor{
		Annotations: map[string]string{"a": "1"}, URLs: []string{"u"}, Data: []byte("x"),
		Platform: &ocispec.Platform{OS: "linux", OSFeatures: []string{"f"}},
	}
	c := CloneDescriptor(d)
	assert.Equal(t, d, c)
	c.Annotations["a"] = "2"
	c.URLs[0] = "v"
	c.Data[0] = 'y'
	c.Platform.OS = "windows"
	c.Platform.OSFeatures[0] = "g"
	assert.Equal(t, "1", d.Annotations["a"])
	assert.Equal(t, "u", d.URLs[0])
	assert.Equal(t, byte('x'), d.Data[0])
	assert.Equal(t, "linux", d.Platform.OS)
	assert.Equal(t, "f", d.Platform.OSFeatures[0])
	assert.Equal(t, ocispec.Descriptor{}, CloneDescriptor(ocispec.Descriptor{}))
}
