package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unique"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// nameRow is one name of an image.
type nameRow struct {
	familiar string // alpine:3.20
	updated  int64  // Unix ns: when the name was created or last moved
}

// entry is the decoded catalog row of one image and its names, at one revision. It is
// immutable once built and shared by concurrent lists and inspects: callers copy what they
// hand out. It holds what List needs and no more (see record), with repeated strings
// interned, so that the cache of a large catalog stays small.
type entry struct {
	rowid int64
	rev   int64
	id    digest.Digest
	rec   *record

	familiar      []string  // the familiar names (RepoTags), in the order of the canonical names
	lastTag       int64     // the latest updated_at of the names, Unix ns; 0 without names
	repoDigest    string    // the list's RepoDigests entry; "" when dangling
	recordCreated time.Time // when the image row was first written
}

// newEntry decodes a catalog row and its names.
func newEntry(rowid, rev int64, id string, recordCreated int64, summary []byte, names []nameRow) (*entry, error) {
	e := &entry{rowid: rowid, rev: rev, id: digest.Digest(id), recordCreated: time.Unix(0, recordCreated)}
	e.rec = &record{}
	if err := json.Unmarshal(summary, e.rec); err != nil {
		return nil, fmt.Errorf("catalog: image %s: %w", id, err)
	}
	e.rec.compact(e.id)
	e.familiar = make([]string, len(names))
	for i, n := range names {
		e.familiar[i] = n.familiar
		e.lastTag = max(e.lastTag, n.updated)
	}
	if len(names) > 0 {
		e.repoDigest = repoDigest(names[len(names)-1].familiar, e.id)
	}
	return e, nil
}

// filterImage describes e to a filters.Matcher, without labels (see configLabels).
func (e *entry) filterImage() filters.Image {
	return filters.Image{
		ID:            e.id,
		Names:         e.familiar,
		Dangling:      len(e.familiar) == 0,
		Created:       e.created(),
		RecordCreated: e.recordCreated,
	}
}

// configLabels returns the labels of each config of e as maps, for a filters.Matcher with
// label checks. The maps are those of *scratch, cleared and refilled: they are valid
// until the next call with the same scratch, which saves a map per image and list.
func (e *entry) configLabels(scratch *[]map[string]string) []map[string]string {
	n := 0
	for _, m := range e.rec.Manifests {
		if !m.HasConfig {
			continue
		}
		if n == len(*scratch) {
			*scratch = append(*scratch, map[string]string{})
		}
		l := (*scratch)[n]
		clear(l)
		for i := 0; i+1 < len(m.pairs); i += 2 {
			l[m.pairs[i]] = m.pairs[i+1]
		}
		n++
	}
	return (*scratch)[:n]
}

// labelPairs are labels in compact form: keys and values alternating, sorted by key.
type labelPairs []string

// pairsOf returns the labels m in compact form, with interned keys.
func pairsOf(m map[string]string) labelPairs {
	if len(m) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(m))
	p := make(labelPairs, 0, 2*len(keys))
	for _, k := range keys {
		p = append(p, unique.Make(k).Value(), m[k])
	}
	return p
}

// Map returns the labels as a new map, {} when there are none.
func (p labelPairs) Map() map[string]string {
	m := make(map[string]string, len(p)/2)
	for i := 0; i+1 < len(p); i += 2 {
		m[p[i]] = p[i+1]
	}
	return m
}

// Get returns the value of label k.
func (p labelPairs) Get(k string) string {
	for i := 0; i+1 < len(p); i += 2 {
		if p[i] == k {
			return p[i+1]
		}
	}
	return ""
}

// compact makes a decoded record small for the cache: the strings that repeat across
// images (media types, platforms, the image's own digest) are shared, and label maps
// become labelPairs.
func (r *record) compact(id digest.Digest) {
	in := func(s string) string { return unique.Make(s).Value() }
	desc := func(d *ocispec.Descriptor) {
		d.MediaType = in(d.MediaType)
		if d.Digest == id {
			d.Digest = id
		}
	}
	desc(&r.Target)
	for i := range r.Manifests {
		m := &r.Manifests[i]
		desc(&m.Descriptor)
		m.Kind = imagesvc.ManifestKind(in(string(m.Kind)))
		for _, p := range []*ocispec.Platform{m.Platform, m.Descriptor.Platform} {
			if p != nil {
				p.OS, p.Architecture, p.Variant = in(p.OS), in(p.Architecture), in(p.Variant)
			}
		}
		m.pairs, m.Labels = pairsOf(m.Labels), nil
	}
	for i, src := range r.Sources {
		r.Sources[i] = in(src)
	}
}

// familiarRepo returns the repository of a familiar reference: "alpine" for
// "alpine:3.20", "localhost:5000/x" for "localhost:5000/x@sha256:...".
func familiarRepo(familiar string) string {
	if i := strings.IndexByte(familiar, '@'); i >= 0 {
		familiar = familiar[:i]
	}
	if i := strings.LastIndexByte(familiar, ':'); i > strings.LastIndexByte(familiar, '/') {
		familiar = familiar[:i]
	}
	return familiar
}

// repoDigest returns "<familiar repo>@<id>" for the familiar name n.
func repoDigest(n string, id digest.Digest) string {
	return familiarRepo(n) + "@" + id.String()
}

// created returns the image's config creation time, zero when it has none.
func (e *entry) created() time.Time {
	if e.rec.Created == nil {
		return time.Time{}
	}
	return *e.rec.Created
}

// cache holds decoded entries by rowid. An entry is valid while the row's revision is
// the entry's: every write transaction gives the rows it changes a revision drawn from
// the catalog-wide counter (nextRev), which never repeats, so that a row that reuses the
// rowid of a deleted image never matches the deleted image's entry.
type cache struct {
	mu sync.RWMutex
	m  map[int64]*entry
}

func newCache() *cache { return &cache{m: map[int64]*entry{}} }

// rowRev is a row and the revision a query saw; created orders the rows of a list.
type rowRev struct{ rowid, rev, created int64 }

// errStale reports that a row changed or vanished between the query that selected it and
// the read of its data: the caller runs its query again, in one read transaction.
var errStale = errors.New("catalog: an image changed during the read")

// evict forgets the entries of deleted rows, so that the cache does not keep them.
func (c *cache) evict(rowids []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range rowids {
		delete(c.m, id)
	}
}

// entries returns the entries of rows, in order, reading through q those that the cache
// lacks or holds at another revision. It fails with errStale when a row is no longer at
// the revision given (q is not the transaction that selected the rows, and the catalog
// changed since): only entries of the revisions asked for are returned.
func (c *cache) entries(ctx context.Context, q querier, rows []rowRev) ([]*entry, error) {
	out := make([]*entry, len(rows))
	var missing []int // indexes into rows
	c.mu.RLock()
	for i, r := range rows {
		if e := c.m[r.rowid]; e != nil && e.rev == r.rev {
			out[i] = e
		} else {
			missing = append(missing, i)
		}
	}
	c.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}

	// One batch of at most loadBatch rows per pair of queries.
	const loadBatch = 2000
	for start := 0; start < len(missing); start += loadBatch {
		batch := missing[start:min(start+loadBatch, len(missing))]
		ids := make([]int64, len(batch))
		for i, k := range batch {
			ids[i] = rows[k].rowid
		}
		loaded, err := loadEntries(ctx, q, ids)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		for _, k := range batch {
			e := loaded[rows[k].rowid]
			if e == nil || e.rev != rows[k].rev {
				c.mu.Unlock()
				return nil, errStale
			}
			if cur := c.m[e.rowid]; cur == nil || cur.rev < e.rev {
				c.m[e.rowid] = e
			}
			out[k] = e
		}
		c.mu.Unlock()
	}
	return out, nil
}

// jsonInts renders ids as a JSON array, the parameter of json_each.
func jsonInts(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// loadEntries reads and decodes the rows ids and their names.
func loadEntries(ctx context.Context, q querier, ids []int64) (map[int64]*entry, error) {
	param := jsonInts(ids)
	names := make(map[int64][]nameRow, len(ids))
	rows, err := q.QueryContext(ctx, `SELECT image, familiar, updated_at FROM names
		WHERE image IN (SELECT value FROM json_each(?)) ORDER BY image, name`, param)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	for rows.Next() {
		var (
			image int64
			n     nameRow
		)
		if err := rows.Scan(&image, &n.familiar, &n.updated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: %w", err)
		}
		names[image] = append(names[image], n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}

	out := make(map[int64]*entry, len(ids))
	rows, err = q.QueryContext(ctx, `SELECT i.rowid, i.rev, i.id, i.record_created, d.summary
		FROM images i JOIN image_data d ON d.image = i.rowid
		WHERE i.rowid IN (SELECT value FROM json_each(?))`, param)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rowid, rev, recordCreated int64
			id                        string
			summary                   []byte
		)
		if err := rows.Scan(&rowid, &rev, &id, &recordCreated, &summary); err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		e, err := newEntry(rowid, rev, id, recordCreated, summary, names[rowid])
		if err != nil {
			return nil, err
		}
		out[rowid] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return out, nil
}
