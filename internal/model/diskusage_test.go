package model

import (
	"slices"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
)

func TestDiskUsageFigures(t *testing.T) {
	base, top1, top2 := digest.FromString("base"), digest.FromString("top1"), digest.FromString("top2")
	a := &Footprint{
		Blobs:  []Sized{{base, 100}, {top1, 10}},
		Chains: []Sized{{base, 300}, {digest.FromString("chain1"), 30}}, // base's chain ID is its diff ID
	}
	b := &Footprint{
		Blobs:  []Sized{{base, 100}, {top2, 20}},
		Chains: []Sized{{base, 300}, {digest.FromString("chain2"), 40}},
	}
	lone := &Footprint{Blobs: []Sized{{digest.FromString("lone"), 7}}}
	assert.Equal(t, []int64{400, 400, 0}, SharedSizes([]*Footprint{a, b, lone}))
	assert.Equal(t, []int64{0}, SharedSizes([]*Footprint{a}), "only the listed images count")
	// A blob and a chain with the same digest are different things: both count.
	assert.Equal(t, int64(100+10+20+300+30+40+7), TotalSize(slices.Values([]*Footprint{a, b, lone})))
	assert.Zero(t, TotalSize(slices.Values([]*Footprint(nil))))
}
