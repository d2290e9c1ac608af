package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// List returns the images that match opts, newest first. It answers from the catalog: the
// filters that narrow the work are pushed down into indexed SQL (see listQuery) and every
// candidate is then matched exactly in Go. No blob is read.
func (s *Store) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	m, err := filters.Compile(ctx, opts.Filters, filters.CompileOptions{Resolve: s.resolveCreated, Now: s.now})
	if err != nil {
		return nil, err
	}
	entries, err := s.candidates(ctx, m, opts.All)
	if err != nil {
		return nil, err
	}

	kept := entries[:0]
	labels := len(m.Labels()) > 0
	var scratch []map[string]string
	for _, e := range entries {
		img := e.filterImage()
		if labels {
			img.Labels = e.configLabels(&scratch)
		}
		if m.Match(&img) {
			kept = append(kept, e)
		}
	}
	var usage map[digest.Digest][]string
	if len(kept) > 0 {
		if usage, err = s.usage(ctx, kept); err != nil {
			return nil, err
		}
	}
	refs := len(m.References()) > 0
	out := make([]imagesvc.Summary, len(kept))
	for i, e := range kept {
		s.summarize(&out[i], e, m, refs, opts, usage)
	}
	if opts.SharedSize {
		if err := s.sharedSizes(ctx, out, kept); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ListVersionOmitsUsage implements [imagesvc.UsageOmitter]: the versions leave out an
// Options.Usage with imagesvc.UsageTrackedPerCall.
func (s *Store) ListVersionOmitsUsage() bool {
	_, tracked := s.opts.Usage.(imagesvc.UsageTrackedPerCall)
	return tracked
}

// ListVersion returns the generation of the catalog: a value that every committed write
// to the catalog changes (pulls and imports, which add images, replace them, and move their
// names; removes, tags and prunes), so that two lists with the same options, started at
// the same generation, answer the same. It makes the store an imagesvc.ListVersioner: a
// plugin serving it answers a repeated list by telling the host that the answer it has
// still holds. The value is unique to this open store (a random part is drawn at Open),
// so that another Store of the same process never takes it.
//
// Two things change a list without changing the generation, as that interface allows:
// the current time (the until filter) and the containers reported by a usage provider
// whose answers the caller accounts for itself, which it tells by having a method
// imagesvc.UsageTrackedPerCall (plugins.HostUsage does: the plugin does not reuse lists that asked
// the host). With any other Options.Usage a list depends on containers the catalog knows
// nothing of, and ListVersion fails with class NotImplemented. It fails with class
// Unavailable once the store is closed, and while a write to the catalog is in progress
// (the caller then answers in full, without a version).
func (s *Store) ListVersion(ctx context.Context) (string, error) {
	if err := s.checkOpen(); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if _, tracked := s.opts.Usage.(imagesvc.UsageTrackedPerCall); s.opts.Usage != nil && !tracked {
		return "", errdefs.ErrNotImplemented.WithMessage("sqlite store: lists depend on Options.Usage, which has no version")
	}
	// The mark of writes in progress first, then the generation (beginWrite): a version
	// given here is one that every write committed from now on changes, and no write had
	// committed without changing it yet.
	if s.writing.Load() != 0 {
		return "", errdefs.ErrUnavailable.WithMessage("sqlite store: a write to the catalog is in progress")
	}
	return s.epoch + "." + strconv.FormatUint(s.gen.Load(), 10), nil
}

// candidates runs the list query and returns the entries of the rows it selects, newest
// first. The rows a query selected are remembered until the next write to the catalog
// (see queryCache): a list repeated while nothing changes runs no SQL at all.
func (s *Store) candidates(ctx context.Context, m *filters.Matcher, all bool) ([]*entry, error) {
	query, args := listQuery(m, all)
	key := queryKey(query, args)
	gen := s.gen.Load()
	if rr, ok := s.queries.get(key, gen); ok {
		es, err := s.cache.entries(ctx, s.rdb, rr)
		if !errors.Is(err, errStale) {
			return es, err
		}
		// A write changed rows the remembered query selected: run it again, and read
		// the rows in the same transaction.
	}

	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer tx.Rollback()
	var packed sql.RawBytes
	var rr []rowRev
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if rows.Next() {
		if err := rows.Scan(&packed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: %w", err)
		}
		if rr, err = unpackRows(packed); err != nil {
			rows.Close()
			return nil, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	s.queries.put(key, gen, rr)
	return s.cache.entries(ctx, tx, rr)
}

// unpackRows parses "rowid rev created rowid rev created ..." and returns the rows newest
// first.
func unpackRows(b []byte) ([]rowRev, error) {
	rr := make([]rowRev, 0, bytes.Count(b, []byte{' '})/3+1)
	for len(b) > 0 {
		var nums [3]int64
		for k := range nums {
			field, rest, _ := bytes.Cut(b, []byte{' '})
			n, err := strconv.ParseInt(string(field), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("catalog: the rows of a list: %w", err)
			}
			nums[k], b = n, rest
		}
		rr = append(rr, rowRev{rowid: nums[0], rev: nums[1], created: nums[2]})
	}
	newestFirst := func(x, y rowRev) int { return cmp.Compare(y.created, x.created) }
	if !slices.IsSortedFunc(rr, newestFirst) {
		slices.SortStableFunc(rr, newestFirst)
	}
	return rr, nil
}

// queryKey identifies a list query and its arguments.
func queryKey(query string, args []any) string {
	var b strings.Builder
	b.WriteString(query)
	for _, a := range args {
		b.WriteByte(0)
		fmt.Fprint(&b, a)
	}
	return b.String()
}

// queryCache remembers the rows the last few list queries selected, each with the catalog
// generation it ran at. The store is the only writer of its catalog (the root is locked)
// and bumps the generation after every committed write, so a result of the current
// generation is exactly what the query would select again.
type queryCache struct {
	mu    sync.Mutex
	items map[string]queryResult
}

type queryResult struct {
	gen  uint64
	rows []rowRev
}

// maxQueries bounds the queryCache.
const maxQueries = 8

func (c *queryCache) get(key string, gen uint64) ([]rowRev, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.items[key]
	if !ok || r.gen != gen {
		return nil, false
	}
	return r.rows, true
}

func (c *queryCache) put(key string, gen uint64, rows []rowRev) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = make(map[string]queryResult)
	}
	for k, r := range c.items { // drop what a write made stale
		if r.gen != gen {
			delete(c.items, k)
		}
	}
	if _, ok := c.items[key]; !ok && len(c.items) >= maxQueries {
		for k := range c.items { // evict one, at random
			delete(c.items, k)
			break
		}
	}
	c.items[key] = queryResult{gen: gen, rows: rows}
}

// listQuery builds the SQL that selects the candidate rows of a list, newest first, as one
// text of "rowid rev" pairs (see unpackRows). It pushes down what an index narrows:
//
//   - dangling: the images.dangling column (a partial index holds the dangling ones);
//   - before and since: the config creation time (images.created, indexed);
//   - until: the record creation time (images.record_created, indexed);
//   - label checks that require a label (key or key=value): image_labels, keyed by
//     (key, value); negated checks are left to Go;
//   - reference patterns with a literal prefix (the text before the first *, ?, [ or \):
//     a range scan of the canonical and familiar names (names.name is the key,
//     names.familiar is indexed), since every name a pattern matches starts with its
//     prefix in one of the two forms. One pattern without a prefix disables this.
//
// Without all, dangling images that are the parent of another image are left out.
// Everything pushed down is a necessary condition of the filter; the caller matches the
// candidates exactly.
func listQuery(m *filters.Matcher, all bool) (string, []any) {
	var (
		where []string
		args  []any
	)
	if d, ok := m.Dangling(); ok {
		if d {
			where = append(where, "i.dangling = 1")
		} else {
			where = append(where, "i.dangling = 0")
		}
	}
	if t, ok := m.Before(); ok {
		where = append(where, "i.created < ?")
		args = append(args, unixNano(t))
	}
	if t, ok := m.Since(); ok {
		where = append(where, "i.created > ?")
		args = append(args, unixNano(t))
	}
	if t, ok := m.Until(); ok {
		where = append(where, "i.record_created < ?")
		args = append(args, unixNano(t))
	}
	for _, c := range m.Labels() {
		switch {
		case c.Negate:
		case c.HasValue:
			where = append(where, "i.rowid IN (SELECT image FROM image_labels WHERE key = ? AND value = ?)")
			args = append(args, c.Key, c.Value)
		default:
			where = append(where, "i.rowid IN (SELECT image FROM image_labels WHERE key = ?)")
			args = append(args, c.Key)
		}
	}
	if refs := m.References(); len(refs) > 0 {
		var ranges []string
		var rargs []any
		for _, p := range refs {
			prefix := literalPrefix(p)
			if prefix == "" {
				ranges = nil
				break
			}
			upper := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
			ranges = append(ranges, "(name >= ? AND name < ?)", "(familiar >= ? AND familiar < ?)")
			rargs = append(rargs, prefix, upper, prefix, upper)
		}
		if len(ranges) > 0 {
			where = append(where, "i.rowid IN (SELECT image FROM names WHERE "+strings.Join(ranges, " OR ")+")")
			args = append(args, rargs...)
		}
	}
	if !all {
		where = append(where, "NOT (i.dangling = 1 AND EXISTS (SELECT 1 FROM images c WHERE c.parent = i.id AND c.parent <> ''))")
	}
	// The rows come back as one text of "rowid rev created" triples: one row to step
	// through instead of thousands. The inner ORDER BY lets SQLite walk the created index;
	// unpackRows checks the order and sorts if SQLite did not keep it.
	q := "SELECT i.rowid, i.rev, coalesce(i.created, " + strconv.FormatInt(math.MinInt64, 10) + ") AS c FROM images i"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY i.created DESC"
	return "SELECT group_concat(rowid || ' ' || rev || ' ' || c, ' ') FROM (" + q + ")", args
}

// literalPrefix returns the text of a path.Match pattern before its first special
// character; "" when the prefix is empty or ends in a byte that cannot be incremented.
func literalPrefix(pattern string) string {
	i := strings.IndexAny(pattern, `*?[\`)
	if i < 0 {
		i = len(pattern)
	}
	p := pattern[:i]
	if p == "" || p[len(p)-1] >= 0x7f {
		return ""
	}
	return p
}

// summarize fills sum from e. refs tells whether m has reference patterns, which trim the
// names.
func (s *Store) summarize(sum *imagesvc.Summary, e *entry, m *filters.Matcher, refs bool, opts imagesvc.ListOptions, usage map[digest.Digest][]string) {
	rec := e.rec
	sum.ID = e.id
	sum.ParentID = rec.Parent
	sum.Created = e.created()
	sum.Size = rec.Size
	sum.SharedSize = -1
	sum.Descriptor = model.CloneDescriptor(rec.Target)

	names, rd := e.familiar, e.repoDigest
	if refs {
		names = m.MatchNames(e.familiar)
		if len(names) == 0 {
			rd = ""
		} else if len(names) != len(e.familiar) {
			rd = repoDigest(names[len(names)-1], e.id)
		}
	}
	sum.RepoTags = make([]string, len(names))
	copy(sum.RepoTags, names)
	switch {
	case rec.listBest() < 0:
		sum.RepoDigests = []string{e.id.String()}
	case rd != "":
		sum.RepoDigests = []string{rd}
	default:
		sum.RepoDigests = []string{}
	}
	if rec.listBest() >= 0 {
		sum.Labels = rec.bestLabels().Map()
	}
	if usage != nil {
		sum.Containers = int64(len(containersOf(e, usage)))
	}
	if opts.Manifests {
		sum.Manifests = manifestSummaries(rec, usage, opts.Identity)
	}
}

// containersOf returns the distinct containers that use the image or one of its
// manifests.
func containersOf(e *entry, usage map[digest.Digest][]string) []string {
	return model.ContainersOf(e.id, e.rec.Manifests, (*manifestRecord).View, usage)
}

// usage returns the containers that use entries: the usage provider's (asked about every
// image and manifest digest of entries, once), and the root filesystem views.
func (s *Store) usage(ctx context.Context, entries []*entry) (map[digest.Digest][]string, error) {
	views, err := s.currentViews(ctx)
	if err != nil {
		return nil, err
	}
	if s.opts.Usage == nil {
		return model.AddViewUsage(nil, views), nil
	}
	ds := make([]digest.Digest, 0, len(entries))
	for _, e := range entries {
		ds = append(ds, e.id)
		for _, m := range e.rec.Manifests {
			if m.Descriptor.Digest != e.id {
				ds = append(ds, m.Descriptor.Digest)
			}
		}
	}
	u, err := s.opts.Usage.ContainersUsing(ctx, ds)
	if err != nil {
		return nil, fmt.Errorf("asking which containers use the images: %w", err)
	}
	if u == nil {
		u = map[digest.Digest][]string{}
	}
	return model.AddViewUsage(u, views), nil
}

// manifestSummaries describes the manifests of rec.
func manifestSummaries(rec *record, usage map[digest.Digest][]string, identity bool) []imagesvc.ManifestSummary {
	var id func(int) *imagesvc.Identity
	if identity {
		id = func(int) *imagesvc.Identity { return identityOf(rec) }
	}
	return model.ManifestSummaries(rec.views(), usage, id)
}

// identityOf tells where the image came from; nil when nothing is known.
func identityOf(rec *record) *imagesvc.Identity {
	if len(rec.Sources) == 0 {
		return nil
	}
	id := &imagesvc.Identity{}
	for _, src := range rec.Sources {
		id.Pull = append(id.Pull, imagesvc.PullIdentity{Repository: src})
	}
	return id
}

// sharedSizes sets SharedSize as Docker's containerd store does, counting only across the
// listed images: the size of every blob and the unpacked size of every layer chain that
// another listed image uses too. It reads the blobs and chains of the listed images from
// the catalog, as only this option needs them.
func (s *Store) sharedSizes(ctx context.Context, out []imagesvc.Summary, entries []*entry) error {
	shares := make([]sharing, len(entries))
	index := make(map[int64]int, len(entries))
	ids := make([]int64, len(entries))
	for i, e := range entries {
		index[e.rowid] = i
		ids[i] = e.rowid
	}
	// Rows that changed since the list read them (their revision differs) are left out,
	// rather than counted with the data of another image that reuses their rowid.
	rows, err := s.rdb.QueryContext(ctx, `SELECT d.image, i.rev, d.sharing FROM image_data d JOIN images i ON i.rowid = d.image
		WHERE d.image IN (SELECT value FROM json_each(?))`, jsonInts(ids))
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rowid, rev int64
			data       []byte
		)
		if err := rows.Scan(&rowid, &rev, &data); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		if entries[index[rowid]].rev != rev {
			continue
		}
		if err := json.Unmarshal(data, &shares[index[rowid]]); err != nil {
			return fmt.Errorf("catalog: image row %d: %w", rowid, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}

	fps := make([]*model.Footprint, len(shares))
	for i := range shares {
		fps[i] = &shares[i]
	}
	for i, n := range model.SharedSizes(fps) {
		out[i].SharedSize = n
	}
	return nil
}

// resolveCreated resolves the value of a before or since filter to the config creation
// time of the image it names.
func (s *Store) resolveCreated(ctx context.Context, ref string) (time.Time, error) {
	r, err := imagesvc.ParseImageRef(ref)
	if err != nil {
		return time.Time{}, err
	}
	e, err := s.resolve(ctx, r)
	if err != nil {
		return time.Time{}, err
	}
	return e.created(), nil
}
