package containerd

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testInfo(target, blob, chain digest.Digest) *targetInfo {
	return &targetInfo{
		target:   ocispec.Descriptor{Digest: target},
		touched:  []digest.Digest{target, blob},
		chainIDs: []digest.Digest{chain},
		best:     -1,
	}
}

func TestCacheValidity(t *testing.T) {
	c := newCache()
	target, blob, chain := digest.FromString("t"), digest.FromString("b"), digest.FromString("c")
	t0 := time.Unix(100, 0)
	names := map[string]time.Time{"a:1": t0}

	epoch, gen := c.begin()
	c.store(testInfo(target, blob, chain), names, epoch, gen)
	c.end()
	require.NotNil(t, c.lookup(target, names))
	assert.Nil(t, c.lookup(target, map[string]time.Time{"a:1": t0.Add(time.Second)}), "a record updated since")
	assert.Nil(t, c.lookup(target, map[string]time.Time{"a:1": t0, "a:2": t0}), "a new record")
	assert.NotNil(t, c.lookup(target, map[string]time.Time{}), "a removed record does not matter")

	c.invalidateBlob(blob)
	assert.Nil(t, c.lookup(target, names), "a content event on a blob it read")

	epoch, gen = c.begin()
	c.store(testInfo(target, blob, chain), names, epoch, gen)
	c.end()
	c.invalidateChain(chain)
	assert.Nil(t, c.lookup(target, names), "a snapshot event on one of its chains")

	// An event during the computation: the result is not kept.
	epoch, gen = c.begin()
	c.invalidateBlob(blob)
	c.store(testInfo(target, blob, chain), names, epoch, gen)
	c.end()
	assert.Nil(t, c.lookup(target, names))
	// An unrelated event during the computation does not matter.
	epoch, gen = c.begin()
	c.invalidateBlob(digest.FromString("other"))
	c.store(testInfo(target, blob, chain), names, epoch, gen)
	c.end()
	assert.NotNil(t, c.lookup(target, names))
	// A reset during the computation: not kept.
	epoch, gen = c.begin()
	c.reset()
	c.store(testInfo(target, blob, chain), names, epoch, gen)
	c.end()
	assert.Nil(t, c.lookup(target, names))

	// Usage: invalidated by its snapshot's events, also during a computation.
	_, gen = c.begin()
	c.invalidateChain(chain)
	c.setUsage(chain, 10, gen)
	c.end()
	_, ok := c.usage(chain)
	assert.False(t, ok)
	_, gen = c.begin()
	c.setUsage(chain, 10, gen)
	c.end()
	n, ok := c.usage(chain)
	assert.True(t, ok)
	assert.Equal(t, int64(10), n)
	_, gen = c.begin()
	c.reset()
	c.setUsage(chain, 11, gen)
	c.end()
	_, ok = c.usage(chain)
	assert.False(t, ok, "not kept across a reset")
}

func TestCacheRecords(t *testing.T) {
	c := newCache()
	loaded, dirty, gen, epoch := c.recordState()
	assert.False(t, loaded)
	assert.Empty(t, dirty)
	r1 := images.Image{Name: "b", Target: ocispec.Descriptor{Digest: digest.FromString("1")}}
	r2 := images.Image{Name: "a", Target: ocispec.Descriptor{Digest: digest.FromString("2")}}
	require.True(t, c.applyRecords(true, map[string]*images.Image{"b": &r1, "a": &r2}, gen, epoch))
	recs := c.recordList()
	require.Len(t, recs, 2)
	assert.Equal(t, "a", recs[0].Name, "sorted by name, as containerd lists")

	c.imageEvent("a")
	c.imageEvent("c")
	loaded, dirty, gen, epoch = c.recordState()
	assert.True(t, loaded)
	assert.ElementsMatch(t, []string{"a", "c"}, dirty)
	c.imageEvent("c") // again, after the read began: stays dirty
	r3 := images.Image{Name: "c", Target: ocispec.Descriptor{Digest: digest.FromString("3")}}
	require.True(t, c.applyRecords(false, map[string]*images.Image{"a": nil, "c": &r3}, gen, epoch))
	_, dirty, _, _ = c.recordState()
	assert.Equal(t, []string{"c"}, dirty)
	recs = c.recordList()
	require.Len(t, recs, 2)
	assert.Equal(t, []string{"b", "c"}, []string{recs[0].Name, recs[1].Name})

	// Records read before a reset are not kept.
	_, _, gen, epoch = c.recordState()
	c.reset()
	assert.False(t, c.applyRecords(true, map[string]*images.Image{"b": &r1}, gen, epoch))
	loaded, _, _, _ = c.recordState()
	assert.False(t, loaded)
}

func TestCachePrune(t *testing.T) {
	c := newCache()
	live := map[digest.Digest]int{}
	for i := range 200 {
		target := digest.FromString(string(rune(i)))
		epoch, gen := c.begin()
		c.store(testInfo(target, digest.FromString("b"+string(rune(i))), digest.FromString("c"+string(rune(i)))), nil, epoch, gen)
		c.end()
		if i < 10 {
			live[target] = i
		}
	}
	c.prune(live)
	assert.Len(t, c.targets, 10)
	assert.LessOrEqual(t, len(c.byBlob), 20)
}

// recordList returns the records, sorted by name as containerd lists them.
func (c *cache) recordList() []images.Image {
	c.mu.Lock()
	out := make([]images.Image, 0, len(c.records))
	for _, r := range c.records {
		out = append(out, r)
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b images.Image) int { return strings.Compare(a.Name, b.Name) })
	return out
}
