package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// Inspect returns the image ref resolves to, from the catalog (no blob is read).
func (s *Store) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	var (
		e   *entry
		det *details
	)
	err := s.consistent(ctx, func(q queryRower) error {
		var err error
		if e, err = s.resolveIn(ctx, q, ref); err != nil {
			return err
		}
		det, err = s.details(ctx, q, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	rec := e.rec
	img := &imagesvc.Image{
		ID:          e.id,
		RepoTags:    slices.Clone(e.familiar),
		RepoDigests: inspectDigests(e),
		Parent:      rec.Parent,
		Size:        rec.Size,
		Descriptor:  model.CloneDescriptor(rec.Target),
		LastTagTime: e.recordCreated,
		Identity:    identityOf(rec),
		Driver:      s.snaps.name, // as Docker's containerd store names its snapshotter
	}
	if img.RepoTags == nil {
		img.RepoTags = []string{}
	}
	if t := time.Unix(0, e.lastTag); e.lastTag != 0 && t.After(img.LastTagTime) {
		img.LastTagTime = t
	}

	idx := rec.Best
	if p := opts.Platform; p != nil {
		if idx = model.SelectPlatform(rec.views(), *p); idx < 0 {
			return nil, imagesvc.PlatformNotFound(ref.String(), *p)
		}
		m := &rec.Manifests[idx]
		img.ID = m.Descriptor.Digest
		img.Descriptor = model.CloneDescriptor(m.Descriptor)
		img.Parent = digest.Digest(m.pairs.Get(labelParent))
	}
	if idx >= 0 && idx < len(det.Manifests) && det.Manifests[idx] != nil {
		img.Size = rec.Manifests[idx].Total()
		det.Manifests[idx].Fill(img)
	}
	if opts.Manifests {
		usage, err := s.usage(ctx, []*entry{e})
		if err != nil {
			return nil, err
		}
		img.Manifests = manifestSummaries(rec, usage, true)
	}
	return img, nil
}

// inspectDigests returns the RepoDigests of an inspect: for each name, the name itself
// when it is a digest reference, otherwise "<repo>@<id>"; without duplicates.
func inspectDigests(e *entry) []string {
	out := make([]string, 0, len(e.familiar))
	for _, n := range e.familiar {
		d := n
		if !hasDigest(d) {
			d = repoDigest(d, e.id)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func hasDigest(familiar string) bool {
	for i := len(familiar) - 1; i >= 0; i-- {
		if familiar[i] == '@' {
			return true
		}
	}
	return false
}

// details returns the decoded inspect payload of e, from a small cache of the images
// inspected last or else from the catalog through q. The result is shared: callers copy
// what they hand out (model.CloneConfig). It fails with errStale when the image is no longer at
// e's revision.
func (s *Store) details(ctx context.Context, q queryRower, e *entry) (*details, error) {
	if det := s.detailsCache.get(e.rowid, e.rev); det != nil {
		return det, nil
	}
	var raw []byte
	err := q.QueryRowContext(ctx, `SELECT d.details FROM image_data d JOIN images i ON i.rowid = d.image
		WHERE d.image = ? AND i.rev = ?`, e.rowid, e.rev).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errStale
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	det := &details{}
	if err := json.Unmarshal(raw, det); err != nil {
		return nil, fmt.Errorf("catalog: image %s: %w", e.id, err)
	}
	s.detailsCache.put(e.rowid, e.rev, det)
	return det, nil
}

// detailsCache holds the decoded inspect payloads of a bounded number of images, so that
// repeated inspects do not decode JSON and a store that was asked about every image does
// not hold them all.
type detailsCache struct {
	mu sync.Mutex
	m  map[int64]detailsItem
}

type detailsItem struct {
	rev int64
	det *details
}

// maxDetails bounds the detailsCache.
const maxDetails = 1024

func (c *detailsCache) get(rowid, rev int64) *details {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.m[rowid]; ok && it.rev == rev {
		return it.det
	}
	return nil
}

// evict forgets the payloads of deleted rows.
func (c *detailsCache) evict(rowids []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range rowids {
		delete(c.m, id)
	}
}

func (c *detailsCache) put(rowid, rev int64, det *details) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[int64]detailsItem)
	}
	if _, ok := c.m[rowid]; !ok && len(c.m) >= maxDetails {
		for k := range c.m { // evict one, at random
			delete(c.m, k)
			break
		}
	}
	c.m[rowid] = detailsItem{rev: rev, det: det}
}

// queryRower is what reads of the catalog need: the read pool, or one transaction.
type queryRower interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// consistent runs fn with the read pool, and again in one read transaction when fn fails
// with errStale (a write changed an image between two of its reads): the second run sees
// one state of the catalog.
func (s *Store) consistent(ctx context.Context, fn func(q queryRower) error) error {
	err := fn(s.rdb)
	if !errors.Is(err, errStale) {
		return err
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// resolve finds the image ref names, in the order of [imagesvc.ImageRef]: a digest (with
// a name, only among images that have a name in that repository), an exact name, a short
// ID prefix.
func (s *Store) resolve(ctx context.Context, ref imagesvc.ImageRef) (*entry, error) {
	var e *entry
	err := s.consistent(ctx, func(q queryRower) error {
		var err error
		e, err = s.resolveIn(ctx, q, ref)
		return err
	})
	return e, err
}

// resolveIn is resolve through q. It fails with errStale when the image changed between
// its lookup and the read of its row (q is not a transaction).
func (s *Store) resolveIn(ctx context.Context, q queryRower, ref imagesvc.ImageRef) (*entry, error) {
	var (
		r   rowRev
		err error
	)
	switch {
	case ref.Digest() != "":
		if named := ref.Named(); named != nil {
			err = q.QueryRowContext(ctx, `SELECT i.rowid, i.rev FROM images i WHERE i.id = ?
				AND EXISTS (SELECT 1 FROM names n WHERE n.image = i.rowid AND n.repo = ?)`,
				ref.Digest().String(), named.Name()).Scan(&r.rowid, &r.rev)
		} else {
			err = q.QueryRowContext(ctx, "SELECT rowid, rev FROM images WHERE id = ?", ref.Digest().String()).Scan(&r.rowid, &r.rev)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ref.NotFound()
		}
	default:
		err = sql.ErrNoRows
		if t := ref.Tagged(); t != nil {
			// Two single-table lookups are cheaper than a join, above all for the misses
			// of short IDs, which are also names ("docker.io/library/<hex>:latest").
			err = q.QueryRowContext(ctx, "SELECT image FROM names WHERE name = ?", t.String()).Scan(&r.rowid)
			if err == nil {
				err = q.QueryRowContext(ctx, "SELECT rev FROM images WHERE rowid = ?", r.rowid).Scan(&r.rev)
				if errors.Is(err, sql.ErrNoRows) {
					return nil, errStale // the image was deleted between the two lookups
				}
			}
		}
		if errors.Is(err, sql.ErrNoRows) && ref.ShortID() != "" {
			r, err = resolveShortID(ctx, q, ref.ShortID())
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ref.NotFound()
		}
	}
	if err != nil {
		if errors.Is(err, errAmbiguous) {
			return nil, imagesvc.ErrAmbiguous()
		}
		return nil, fmt.Errorf("catalog: %w", err)
	}
	es, err := s.cache.entries(ctx, q, []rowRev{r})
	if err != nil {
		return nil, err
	}
	return es[0], nil
}

var errAmbiguous = errors.New("ambiguous")

// resolveShortID finds the image whose ID starts with sha256:<short>.
func resolveShortID(ctx context.Context, q querier, short string) (rowRev, error) {
	lo := "sha256:" + short
	hi := lo[:len(lo)-1] + string(lo[len(lo)-1]+1)
	rows, err := q.QueryContext(ctx, "SELECT rowid, rev FROM images WHERE id >= ? AND id < ? LIMIT 2", lo, hi)
	if err != nil {
		return rowRev{}, err
	}
	defer rows.Close()
	var found []rowRev
	for rows.Next() {
		var r rowRev
		if err := rows.Scan(&r.rowid, &r.rev); err != nil {
			return rowRev{}, err
		}
		found = append(found, r)
	}
	if err := rows.Err(); err != nil {
		return rowRev{}, err
	}
	switch len(found) {
	case 0:
		return rowRev{}, sql.ErrNoRows
	case 1:
		return found[0], nil
	}
	return rowRev{}, errAmbiguous
}
