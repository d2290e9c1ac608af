package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
)

// Inspect returns the image ref resolves to, from the catalog (no blob is read).
func (s *Store) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	det, err := s.details(ctx, e)
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
		Descriptor:  cloneDescriptor(rec.Target),
		LastTagTime: e.recordCreated,
		Identity:    identityOf(rec),
	}
	if img.RepoTags == nil {
		img.RepoTags = []string{}
	}
	if t := time.Unix(0, e.lastTag); e.lastTag != 0 && t.After(img.LastTagTime) {
		img.LastTagTime = t
	}

	idx := rec.Best
	if p := opts.Platform; p != nil {
		idx = -1
		want := platforms.Only(*p)
		for i := range rec.Manifests {
			m := &rec.Manifests[i]
			if m.Kind != imagesvc.KindImage || !m.Available || !m.HasConfig {
				continue
			}
			mp := platforms.Normalize(*m.Platform)
			if want.Match(mp) && (idx < 0 || want.Less(mp, platforms.Normalize(*rec.Manifests[idx].Platform))) {
				idx = i
			}
		}
		if idx < 0 {
			return nil, imagesvc.PlatformNotFound(ref.String(), *p)
		}
		m := &rec.Manifests[idx]
		img.ID = m.Descriptor.Digest
		img.Descriptor = cloneDescriptor(m.Descriptor)
		img.Parent = digest.Digest(m.Labels[labelParent])
	}
	if idx >= 0 && idx < len(det.Manifests) && det.Manifests[idx] != nil {
		d := det.Manifests[idx]
		img.Size = rec.Manifests[idx].total()
		img.Comment = d.Comment
		if d.Created != nil {
			img.Created = *d.Created
		}
		img.DockerVersion = d.DockerVersion
		img.Author = d.Author
		img.Config = d.Config
		img.Architecture, img.Variant, img.OS, img.OSVersion = d.Architecture, d.Variant, d.OS, d.OSVersion
		img.RootFS = d.RootFS
	}
	if opts.Manifests {
		var usage map[digest.Digest][]string
		if s.opts.Usage != nil {
			if usage, err = s.usage(ctx, []*entry{e}); err != nil {
				return nil, err
			}
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

// details decodes the inspect payload of e, reading it from the catalog the first time.
// Every call returns a fresh value the caller may keep.
func (s *Store) details(ctx context.Context, e *entry) (*details, error) {
	e.detailsOnce.Do(func() {
		err := s.rdb.QueryRowContext(ctx, "SELECT details FROM image_data WHERE image = ?", e.rowid).Scan(&e.details)
		if err != nil {
			e.detailsErr = fmt.Errorf("catalog: %w", err)
		}
	})
	if e.detailsErr != nil {
		err := e.detailsErr
		// Do not keep a failure (a cancelled context) in the shared entry.
		s.cache.forget(e)
		return nil, err
	}
	det := &details{}
	if err := json.Unmarshal(e.details, det); err != nil {
		return nil, fmt.Errorf("catalog: image %s: %w", e.id, err)
	}
	return det, nil
}

// forget drops e from the cache, if it is still the cached entry of its row.
func (c *cache) forget(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[e.rowid] == e {
		delete(c.m, e.rowid)
	}
}

// resolve finds the image ref names, in the order of [imagesvc.ImageRef]: a digest (with
// a name, only among images that have a name in that repository), an exact name, a short
// ID prefix.
func (s *Store) resolve(ctx context.Context, ref imagesvc.ImageRef) (*entry, error) {
	var (
		r   rowRev
		err error
	)
	switch {
	case ref.Digest() != "":
		if named := ref.Named(); named != nil {
			err = s.rdb.QueryRowContext(ctx, `SELECT i.rowid, i.rev FROM images i WHERE i.id = ?
				AND EXISTS (SELECT 1 FROM names n WHERE n.image = i.rowid AND n.repo = ?)`,
				ref.Digest().String(), named.Name()).Scan(&r.rowid, &r.rev)
		} else {
			err = s.rdb.QueryRowContext(ctx, "SELECT rowid, rev FROM images WHERE id = ?", ref.Digest().String()).Scan(&r.rowid, &r.rev)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ref.NotFound()
		}
	default:
		err = sql.ErrNoRows
		if t := ref.Tagged(); t != nil {
			err = s.rdb.QueryRowContext(ctx, `SELECT i.rowid, i.rev FROM names n JOIN images i ON i.rowid = n.image
				WHERE n.name = ?`, t.String()).Scan(&r.rowid, &r.rev)
		}
		if errors.Is(err, sql.ErrNoRows) && ref.ShortID() != "" {
			r, err = s.resolveShortID(ctx, ref.ShortID())
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
	es, err := s.cache.entries(ctx, s.rdb, []rowRev{r})
	if err != nil {
		return nil, err
	}
	return es[0], nil
}

var errAmbiguous = errors.New("ambiguous")

// resolveShortID finds the image whose ID starts with sha256:<short>.
func (s *Store) resolveShortID(ctx context.Context, short string) (rowRev, error) {
	lo := "sha256:" + short
	hi := lo[:len(lo)-1] + string(lo[len(lo)-1]+1)
	rows, err := s.rdb.QueryContext(ctx, "SELECT rowid, rev FROM images WHERE id >= ? AND id < ? LIMIT 2", lo, hi)
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
