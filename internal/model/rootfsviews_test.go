package model

import (
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"

	"github.com/imageapi/imageapi/imagesvc"
)

func TestAddViewUsage(t *testing.T) {
	m1, m2 := digest.FromString("m1"), digest.FromString("m2")
	usage := map[digest.Digest][]string{m1: {"c1"}}
	views := []imagesvc.RootFSView{{Key: "c1", Manifest: m1}, {Key: "v2", Manifest: m1}, {Key: "v3", Manifest: m2}}
	got := AddViewUsage(usage, views)
	assert.Equal(t, map[digest.Digest][]string{m1: {"c1", "v2"}, m2: {"v3"}}, got, "a view named like a reported container is counted once")
	assert.Equal(t, map[digest.Digest][]string{m1: {"c1"}}, usage, "the provider's answer is not modified")
	assert.Equal(t, map[digest.Digest][]string{m2: {"v3"}}, AddViewUsage(nil, views[2:]))
	assert.Nil(t, AddViewUsage(nil, nil))
}
