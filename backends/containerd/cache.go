package containerd

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
)

// cache holds what List and Inspect know about image targets, kept right by containerd's
// events (see eventLoop):
//
//   - targets: the description of each target, valid for the records (name and update
//     time) it was computed for; a record that is new or was updated since makes it stale;
//   - an index from every blob and layer chain a description looked at to the targets
//     that looked, so that a content or snapshot event marks exactly those stale;
//   - usage: the disk usage of committed snapshots by name (immutable once committed);
//   - containers: containerd's container records (ID to image name), when no usage
//     provider is configured.
//
// Descriptions are computed outside the lock. An event that arrives while one is being
// computed may concern content the computation already read; the cache therefore keeps
// the invalidations that happened since the oldest computation in flight began, and a
// result that one of them touches is returned but not stored.
type cache struct {
	mu      sync.Mutex
	epoch   uint64 // bumped by reset: results begun before are not stored
	gen     uint64 // bumped by every invalidation
	targets map[digest.Digest]*cacheEntry
	byBlob  map[digest.Digest]map[digest.Digest]struct{}
	byChain map[digest.Digest]map[digest.Digest]struct{}
	usages  map[digest.Digest]int64 // -1: no such snapshot

	containers       map[string]string // container ID -> image name
	containersLoaded bool

	// views are the Store's root filesystem views, valid until a change of one
	// (viewEvent) bumps viewGen.
	views       []imagesvc.RootFSView
	viewsLoaded bool
	viewGen     uint64

	// The image records, kept from image events: a name an event mentions is dirty until
	// a view reads its record again.
	records        map[string]images.Image
	recordsLoaded  bool
	dirty          map[string]uint64 // name -> generation of its last event
	recordGen      uint64
	recordsVersion uint64    // bumped whenever records change
	snap           *snapshot // records grouped, for recordsVersion; nil when stale

	inflight int
	recent   []invalidation
}

type cacheEntry struct {
	info  *targetInfo
	names map[string]time.Time // the records (name -> update time) it is valid for
}

type invalidation struct {
	gen   uint64
	d     digest.Digest
	chain bool
}

func newCache() *cache {
	c := &cache{}
	c.clear()
	return c
}

func (c *cache) clear() {
	c.targets = map[digest.Digest]*cacheEntry{}
	c.byBlob = map[digest.Digest]map[digest.Digest]struct{}{}
	c.byChain = map[digest.Digest]map[digest.Digest]struct{}{}
	c.usages = map[digest.Digest]int64{}
	c.containers = map[string]string{}
	c.containersLoaded = false
	c.views, c.viewsLoaded = nil, false
	c.viewGen++
	c.records = map[string]images.Image{}
	c.recordsLoaded = false
	c.dirty = map[string]uint64{}
	c.recordsVersion++
	c.snap = nil
}

// reset forgets everything: the event stream was lost or (re)established.
func (c *cache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.gen++
	c.clear()
	if c.inflight > 0 {
		c.recent = append(c.recent, invalidation{gen: c.gen}) // touches everything
	}
}

// begin marks the start of a computation and returns the generation to pass to store.
func (c *cache) begin() (epoch, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight++
	return c.epoch, c.gen
}

// end marks the end of a computation begun with begin.
func (c *cache) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight--
	if c.inflight == 0 {
		c.recent = nil
	}
}

// lookup returns the description of target if it is valid for the records given as
// name -> update time.
func (c *cache) lookup(target digest.Digest, names map[string]time.Time) *targetInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.targets[target]
	if e == nil {
		return nil
	}
	for n, t := range names {
		if seen, ok := e.names[n]; !ok || !seen.Equal(t) {
			return nil
		}
	}
	return e.info
}

// described returns the cached description of target, whatever records it was computed
// for, or nil.
func (c *cache) described(target digest.Digest) *targetInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.targets[target]; e != nil {
		return e.info
	}
	return nil
}

// store records info for the records names, unless the cache was reset or something
// info depends on was invalidated since the computation began (epoch, gen).
func (c *cache) store(info *targetInfo, names map[string]time.Time, epoch, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch || c.touchedSince(info, gen) {
		return
	}
	d := info.target.Digest
	if old := c.targets[d]; old != nil {
		c.unindex(d, old.info)
	}
	c.targets[d] = &cacheEntry{info: info, names: names}
	for _, b := range info.touched {
		addIndex(c.byBlob, b, d)
	}
	for _, ch := range info.chainIDs {
		addIndex(c.byChain, ch, d)
	}
}

// touchedSince reports whether an invalidation after gen concerns info.
func (c *cache) touchedSince(info *targetInfo, gen uint64) bool {
	if gen == c.gen {
		return false
	}
	if len(c.recent) == 0 {
		return false
	}
	var blobs, chains map[digest.Digest]bool
	for _, inv := range c.recent {
		if inv.gen <= gen {
			continue
		}
		if blobs == nil {
			blobs, chains = map[digest.Digest]bool{}, map[digest.Digest]bool{}
			for _, b := range info.touched {
				blobs[b] = true
			}
			for _, ch := range info.chainIDs {
				chains[ch] = true
			}
		}
		if (inv.chain && chains[inv.d]) || (!inv.chain && blobs[inv.d]) || inv.d == "" {
			return true
		}
	}
	return false
}

func addIndex(idx map[digest.Digest]map[digest.Digest]struct{}, key, target digest.Digest) {
	set := idx[key]
	if set == nil {
		set = map[digest.Digest]struct{}{}
		idx[key] = set
	}
	set[target] = struct{}{}
}

func (c *cache) unindex(target digest.Digest, info *targetInfo) {
	for _, b := range info.touched {
		if set := c.byBlob[b]; set != nil {
			delete(set, target)
			if len(set) == 0 {
				delete(c.byBlob, b)
			}
		}
	}
	for _, ch := range info.chainIDs {
		if set := c.byChain[ch]; set != nil {
			delete(set, target)
			if len(set) == 0 {
				delete(c.byChain, ch)
			}
		}
	}
}

// drop forgets the description of target (after this Store changed it).
func (c *cache) drop(target digest.Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.inflight > 0 {
		c.recent = append(c.recent, invalidation{gen: c.gen, d: target})
	}
	if e := c.targets[target]; e != nil {
		c.unindex(target, e.info)
		delete(c.targets, target)
	}
}

// forget drops the description of target and everything cached about its layer chains,
// after this Store deleted the image: containerd's garbage collection removes content
// and snapshots without publishing events, so a chain it removed would otherwise keep
// its cached usage (and the descriptions of other images that looked at it).
func (c *cache) forget(target digest.Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.targets[target]
	c.gen++
	if c.inflight > 0 {
		c.recent = append(c.recent, invalidation{gen: c.gen, d: target})
	}
	if e == nil {
		return
	}
	c.unindex(target, e.info)
	delete(c.targets, target)
	for _, ch := range e.info.chainIDs {
		if c.inflight > 0 {
			c.recent = append(c.recent, invalidation{gen: c.gen, d: ch, chain: true})
		}
		delete(c.usages, ch)
		for t := range c.byChain[ch] {
			if o := c.targets[t]; o != nil {
				c.unindex(t, o.info)
				delete(c.targets, t)
			}
		}
	}
}

// invalidateBlob handles a content event for blob d.
func (c *cache) invalidateBlob(d digest.Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.inflight > 0 {
		c.recent = append(c.recent, invalidation{gen: c.gen, d: d})
	}
	for t := range c.byBlob[d] {
		if e := c.targets[t]; e != nil {
			c.unindex(t, e.info)
			delete(c.targets, t)
		}
	}
}

// invalidateChain handles a snapshot event for the snapshot named chain.
func (c *cache) invalidateChain(chain digest.Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.inflight > 0 {
		c.recent = append(c.recent, invalidation{gen: c.gen, d: chain, chain: true})
	}
	delete(c.usages, chain)
	for t := range c.byChain[chain] {
		if e := c.targets[t]; e != nil {
			c.unindex(t, e.info)
			delete(c.targets, t)
		}
	}
}

// usage returns the cached usage of the snapshot named chain (-1: absent).
func (c *cache) usage(chain digest.Digest) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.usages[chain]
	return n, ok
}

// setUsage records the usage of a snapshot, unless it was invalidated since gen.
func (c *cache) setUsage(chain digest.Digest, n int64, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, inv := range c.recent {
		if inv.gen > gen && (inv.d == "" || (inv.chain && inv.d == chain)) {
			return
		}
	}
	c.usages[chain] = n
}

// setContainers replaces the container records.
func (c *cache) setContainers(m map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.containers = m
	c.containersLoaded = true
}

// containerEvent records a created, updated (image != "" or not) or deleted container.
func (c *cache) containerEvent(id, image string, deleted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if deleted {
		delete(c.containers, id)
		return
	}
	c.containers[id] = image
}

// containerImages returns a copy of the container records, and whether they were loaded.
func (c *cache) containerImages() (map[string]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.containersLoaded {
		return nil, false
	}
	out := make(map[string]string, len(c.containers))
	for id, img := range c.containers {
		out[id] = img
	}
	return out, true
}

// cachedViews returns the views, whether they are loaded, and the generation to give
// setViews with views loaded now.
func (c *cache) cachedViews() ([]imagesvc.RootFSView, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.views, c.viewsLoaded, c.viewGen
}

// setViews records the views loaded at generation gen, unless a view changed since.
func (c *cache) setViews(vs []imagesvc.RootFSView, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.viewGen {
		c.views, c.viewsLoaded = vs, true
	}
}

// viewEvent records that a view was created or removed.
func (c *cache) viewEvent() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.viewGen++
	c.views, c.viewsLoaded = nil, false
}

// imageEvent records that the record name was created, updated or deleted.
func (c *cache) imageEvent(name string) {
	if isPullRecord(name) {
		return // a transfer's temporary record: never listed (see transfer.go)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recordGen++
	c.dirty[name] = c.recordGen
}

// recordState returns whether the records are loaded, the dirty names, and the
// generation and epoch to pass to applyRecords.
func (c *cache) recordState() (loaded bool, dirty []string, gen, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := range c.dirty {
		dirty = append(dirty, n)
	}
	return c.recordsLoaded, dirty, c.recordGen, c.epoch
}

// applyRecords stores records read after the generation gen: the whole list when full,
// else the records of the names read (a nil record: the name does not exist). Names
// whose events came after gen stay dirty. It returns false, storing nothing, when the
// cache was reset since epoch (events may have been lost in between).
func (c *cache) applyRecords(full bool, recs map[string]*images.Image, gen, epoch uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return false
	}
	changed := full
	if full {
		c.records = make(map[string]images.Image, len(recs))
		c.recordsLoaded = true
	}
	for name, r := range recs {
		old, had := c.records[name]
		if r == nil {
			delete(c.records, name)
			changed = changed || had
			continue
		}
		c.records[name] = *r
		changed = changed || !had || !sameRecord(old, *r)
	}
	if changed {
		c.recordsVersion++
		c.snap = nil
	}
	for name, g := range c.dirty {
		if g > gen {
			continue
		}
		if _, read := recs[name]; read || full {
			delete(c.dirty, name)
		}
	}
	return true
}

// sameRecord reports whether two reads of a record are the same version.
func sameRecord(a, b images.Image) bool {
	return a.Target.Digest == b.Target.Digest && a.UpdatedAt.Equal(b.UpdatedAt) && a.CreatedAt.Equal(b.CreatedAt)
}

// snapshot returns the records grouped by target, grouping them again only when they
// changed since the last call. Callers clone it before describing its images.
func (c *cache) snapshot(names *nameCache) *snapshot {
	c.mu.Lock()
	if c.snap != nil {
		snap := c.snap
		c.mu.Unlock()
		return snap
	}
	version := c.recordsVersion
	recs := make([]images.Image, 0, len(c.records))
	for _, r := range c.records {
		recs = append(recs, r)
	}
	c.mu.Unlock()
	slices.SortFunc(recs, func(a, b images.Image) int { return strings.Compare(a.Name, b.Name) })
	names.prune(len(recs))
	snap := group(recs, names)
	c.mu.Lock()
	if c.recordsVersion == version {
		c.snap = snap
	}
	c.mu.Unlock()
	return snap
}

// prune forgets the descriptions of targets no record points at any more, and the usage
// of snapshots no remaining description looks at, once they outnumber the live ones.
func (c *cache) prune(live map[digest.Digest]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.targets) <= 2*len(live)+64 && len(c.usages) <= 4*len(live)+256 {
		return
	}
	for d, e := range c.targets {
		if _, ok := live[d]; !ok {
			c.unindex(d, e.info)
			delete(c.targets, d)
		}
	}
	for ch := range c.usages {
		if len(c.byChain[ch]) == 0 {
			delete(c.usages, ch)
		}
	}
}
