package plugins

import (
	"slices"
	"sync"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// The host's side of conditional lists (backend.proto, "Conditional lists"): each
// connection to a plugin process keeps the answers of its last few lists that the plugin
// labelled with an etag, and asks the plugin whether they still hold before taking a
// list across the boundary again.
//
// An answer is kept as it came: the ListResponse messages in wire format, in immutable
// strings. A list answered from the cache is decoded from them again, which gives the
// caller a list of its own, sharing nothing that either could modify, as a backend in
// process does. Decoding costs what a deep copy of the decoded list would (4 to 5 ms for
// 10,000 images, in two goroutines), but nothing has to be copied when the answer
// arrives, the strings are those the caller's list points into anyway, and they take
// half the memory of the decoded list.

// maxCachedLists bounds the lists a listCache keeps: one per set of options, and a host
// asks for few (the docker CLI's default list, with and without -a, a filter or two).
const maxCachedLists = 4

// maxCachedListBytes bounds the size of one kept answer (as received), so that the cache
// holds at most 4 × 32 MiB: a list of 10,000 images is about 5 MiB, and larger answers
// are taken across the boundary every time.
const maxCachedListBytes = 32 << 20

// listCache holds the last lists of one plugin process, most recently used first. Its
// entries are never modified once stored.
type listCache struct {
	mu      sync.Mutex
	entries []*cachedList
}

// cachedList is one list answer and the etag the plugin gave it.
type cachedList struct {
	key    string   // listKey of the request
	etag   string   // never empty
	chunks []string // the ListResponse messages of the answer
}

// decode decodes the answer anew: the caller owns the result.
func (e *cachedList) decode() ([]imagesvc.Summary, error) {
	var dec listDecoder
	for _, c := range e.chunks {
		if err := dec.add(c); err != nil {
			_, _ = dec.finish()
			return nil, err
		}
	}
	return dec.finish()
}

// listKey identifies the options of a list request: everything but if_none_match.
func listKey(req *pb.ListRequest) string {
	flags := []byte{'0', '0', '0', '0'}
	for i, f := range []bool{req.GetAll(), req.GetSharedSize(), req.GetManifests(), req.GetIdentity()} {
		if f {
			flags[i] = '1'
		}
	}
	return string(flags) + req.GetFilters()
}

// get returns the entry for key, or nil.
func (c *listCache) get(key string) *cachedList {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.key == key {
			// Move it to the front: it is the most recently used.
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			return e
		}
	}
	return nil
}

// put stores e, in the place of the entry with the same key or of the least recently
// used one.
func (c *listCache) put(e *cachedList) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = slices.DeleteFunc(c.entries, func(old *cachedList) bool { return old.key == e.key })
	if len(c.entries) >= maxCachedLists {
		c.entries = c.entries[:maxCachedLists-1]
	}
	c.entries = slices.Insert(c.entries, 0, e)
}

// drop forgets the entry for key, if it is still the one given.
func (c *listCache) drop(e *cachedList) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = slices.DeleteFunc(c.entries, func(old *cachedList) bool { return old == e })
}

// clear forgets every entry.
func (c *listCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}
