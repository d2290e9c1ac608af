package plugins

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// A list answered from the cache is decoded anew from the messages kept: each answer is
// the list, and shares nothing that could be modified with another answer, whatever
// fields the types of imagesvc grow (the check walks them by reflection).
func TestCachedListDecodesACopy(t *testing.T) {
	var sums []imagesvc.Summary
	for range 10 { // several messages' worth
		sums = append(sums, sampleSummaries()...)
	}
	e := &cachedList{key: "k", etag: "e"}
	require.NoError(t, encodeList(sums, e.etag, func(m encodedList) error {
		e.chunks = append(e.chunks, string(*m.buf))
		listPool.Put(m.buf)
		return nil
	}))
	require.Greater(t, len(e.chunks), 1)

	first, err := e.decode()
	require.NoError(t, err)
	second, err := e.decode()
	require.NoError(t, err)
	require.Len(t, first, len(sums))
	require.Len(t, second, len(sums))
	for i := range sums {
		assertSameSummary(t, sums[i], first[i])
		assertSameSummary(t, sums[i], second[i])
	}
	assertNoSharing(t, reflect.ValueOf(first), reflect.ValueOf(second), "sums")

	// Empty and absent stay what they were.
	assert.NotNil(t, first[0].RepoTags)
	assert.Nil(t, first[0].Labels)
	assert.NotNil(t, first[2].Labels)
	assert.NotNil(t, first[2].Manifests)
	assert.Nil(t, first[3].Manifests)

	// What one caller does to its list is not seen by the next.
	first[1].RepoTags[0] = "changed"
	first[1].Labels["k"] = "changed"
	first[1].Descriptor.Platform.OS = "changed"
	first[1].Manifests[0].ImageData.Identity.Pull[0].Repository = "changed"
	first[3].RepoTags = append(first[3].RepoTags, "new:1")
	third, err := e.decode()
	require.NoError(t, err)
	for i := range sums {
		assertSameSummary(t, sums[i], third[i])
	}
}

// assertNoSharing fails when a and b (of the same type and equal) share memory that
// either side could modify: a slice's elements, a map, or what a pointer points to.
// time.Location is immutable and may be shared.
func assertNoSharing(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Type() == reflect.TypeFor[*time.Location]() {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s: shared pointer", path)
		assertNoSharing(t, a.Elem(), b.Elem(), "(*"+path+")")
	case reflect.Slice:
		if a.Len() > 0 {
			assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s: shared slice", path)
		}
		for i := range a.Len() {
			assertNoSharing(t, a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if a.IsNil() {
			return
		}
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s: shared map", path)
		iter := a.MapRange()
		for iter.Next() {
			assertNoSharing(t, iter.Value(), b.MapIndex(iter.Key()), fmt.Sprintf("%s[%v]", path, iter.Key()))
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue // time.Time's wall, ext and loc
			}
			assertNoSharing(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	case reflect.Interface:
		if !a.IsNil() {
			assertNoSharing(t, a.Elem(), b.Elem(), path)
		}
	}
}

func TestListCacheBounded(t *testing.T) {
	var c listCache
	for i := range 2 * maxCachedLists {
		c.put(&cachedList{key: fmt.Sprint(i), etag: fmt.Sprint("e", i)})
	}
	assert.Len(t, c.entries, maxCachedLists)
	assert.Nil(t, c.get("0"), "the least recently used went first")
	last := fmt.Sprint(2*maxCachedLists - 1)
	first := fmt.Sprint(maxCachedLists)
	require.NotNil(t, c.get(first))
	c.put(&cachedList{key: "new"})
	assert.NotNil(t, c.get(first), "a use keeps an entry")
	assert.Nil(t, c.get(fmt.Sprint(maxCachedLists+1)))
	assert.NotNil(t, c.get(last))

	e := &cachedList{key: last, etag: "replaced"}
	c.put(e)
	assert.Same(t, e, c.get(last))
	assert.Len(t, c.entries, maxCachedLists)
	c.drop(&cachedList{key: last})
	assert.Same(t, e, c.get(last), "drop removes only the entry given")
	c.drop(e)
	assert.Nil(t, c.get(last))
	c.clear()
	assert.Empty(t, c.entries)
}

func TestListKey(t *testing.T) {
	base := &pb.ListRequest{Filters: `{"label":{"a":true}}`}
	keys := map[string]bool{listKey(base): true}
	for _, r := range []*pb.ListRequest{
		{All: true, Filters: base.Filters},
		{SharedSize: true, Filters: base.Filters},
		{Manifests: true, Filters: base.Filters},
		{Manifests: true, Identity: true, Filters: base.Filters},
		{},
	} {
		k := listKey(r)
		assert.False(t, keys[k], "%v", r)
		keys[k] = true
	}
	assert.Equal(t, listKey(base), listKey(&pb.ListRequest{Filters: base.Filters, IfNoneMatch: "x"}))
}
