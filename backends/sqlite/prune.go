package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/model"
)

// pruneBatch bounds the records one transaction of a prune deletes, so that the writer is
// never held for long (pulls and imports record their images between two batches) and
// the content of each batch is freed as the prune goes.
const pruneBatch = 256

// Prune removes the unused images that match opts, as Docker does (spec
// docker-image-lifecycle.md §4, internal/model): by default the dangling ones, with
// dangling=false every one no container uses; until compares when each name (or, for a
// dangling image, the image) was recorded. Containers come from Options.Usage when it
// implements [imagesvc.ContainerLister].
//
// The records are deleted in name order, in transactions of a few hundred; an image whose
// last name is deleted is deleted with it. Each transaction's events (eventlog.Pruned) are
// published once it commits, before any other write of the catalog commits, as every
// write's are: a delete event for a record whose image's index or manifest no remaining
// image references. After each transaction the blobs that no image references any more
// (and no pull or import in progress uses) are deleted, and the layer chains no image and
// no view uses. The report has an Untagged entry per record removed (a dangling image's
// ID for its record), then, for an image deleted, a Deleted entry per index or manifest
// blob that was deleted; the space reclaimed is the size of the blobs deleted plus the
// unpacked size of the layer chains of the deleted images that no remaining image has and
// that the snapshotter no longer holds: the snapshotter's usage of an unpacked chain,
// measured before it is removed (as Docker does). A chain that a view, or an unpack in
// progress, keeps counts nothing. A chain that was never unpacked (Options.LazyUnpack)
// counts its size from the tar headers, as list counts it, so that pruning an image that
// was never prepared reclaims its listed size.
//
// Records that changed since the prune read them (a name moved to another image, a
// dangling image tagged) are left alone. Lists and inspects are served throughout.
//
// Errors: Conflict when another prune runs, before the filters are checked;
// InvalidArgument for invalid filters; a failure of one transaction fails the prune after
// the others ran.
func (s *Store) Prune(ctx context.Context, opts imagesvc.PruneOptions) (*imagesvc.PruneReport, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := s.prunes.Enter(); err != nil {
		return nil, err
	}
	defer s.prunes.Exit()
	f, err := model.CompilePruneFilter(ctx, opts, s.now)
	if err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	ctrs, err := s.containers(ctx)
	if err != nil {
		return nil, err
	}
	all, entries, err := s.allRecords(ctx, f.NeedsLabels())
	if err != nil {
		return nil, err
	}
	var (
		cands   []model.Record
		scratch []map[string]string
	)
	for _, r := range all {
		var configs []map[string]string
		if e := entries[r.Target]; e != nil {
			configs = e.configLabels(&scratch)
		}
		if f.Match(r, configs) {
			cands = append(cands, r)
		}
	}
	cands = model.PruneCandidates(all, cands, ctrs)

	if len(cands) > pruneBatch {
		defer s.deferCheckpoints(ctx)()
	}

	// Each batch's transaction runs, and its events are published, while the content the
	// previous one freed is deleted.
	report := &imagesvc.PruneReport{}
	var (
		errs    []error
		counted = map[digest.Digest]bool{} // layer chains counted
		pending chan prunedBatch
	)
	wait := func() {
		if pending == nil {
			return
		}
		b := <-pending
		pending = nil
		report.ImagesDeleted = append(report.ImagesDeleted, b.items...)
		report.SpaceReclaimed += b.reclaimed
	}
	for start := 0; start < len(cands); start += pruneBatch {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		batch := cands[start:min(start+pruneBatch, len(cands))]
		tx, err := s.pruneTx(ctx, batch)
		wait()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pending = make(chan prunedBatch, 1)
		go func(ch chan<- prunedBatch) { ch <- s.freeBatch(ctx, batch, tx, counted) }(pending)
	}
	wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return report, nil
}

// deferCheckpoints turns off the writer's automatic checkpoints of the write-ahead log for
// a large prune, where they take about a third of the time (SQLite checkpoints every
// 1,000 pages by default, and a prune of thousands of images writes many more). The
// returned function turns them back on and checkpoints once in the background, passively
// (never waiting for readers), so that the prune does not wait for it. Reads are not
// affected: lists and inspects read the log as they read the database.
func (s *Store) deferCheckpoints(ctx context.Context) func() {
	ctx = context.WithoutCancel(ctx)
	if _, err := s.wdb.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		s.log.Warn("deferring checkpoints during a prune", "error", err)
		return func() {}
	}
	return func() {
		if _, err := s.wdb.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 1000"); err != nil {
			s.log.Warn("restoring automatic checkpoints after a prune", "error", err)
		}
		bctx, done, err := s.begin(context.Background())
		if err != nil {
			return // closing: Close checkpoints
		}
		go func() {
			defer done()
			if _, err := s.wdb.ExecContext(bctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && bctx.Err() == nil {
				s.log.Warn("checkpointing after a prune", "error", err)
			}
		}()
	}
}

// allRecords reads every record of the catalog in name order, in one read transaction:
// a record per name, and the dangling record of each image without names. With labels,
// it also returns the entry of every image (whose config labels the filter checks).
func (s *Store) allRecords(ctx context.Context, labels bool) ([]model.Record, map[digest.Digest]*entry, error) {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: %w", err)
	}
	defer tx.Rollback()
	type image struct {
		id            digest.Digest
		rev           int64
		recordCreated int64
		named         bool
	}
	imgs := map[int64]*image{}
	var order []int64
	err = queryEach(ctx, tx, "SELECT rowid, id, rev, coalesce(dangling_since, record_created) FROM images", nil, func(rows *sql.Rows) error {
		var (
			rowid int64
			img   image
		)
		if err := rows.Scan(&rowid, &img.id, &img.rev, &img.recordCreated); err != nil {
			return err
		}
		imgs[rowid] = &img
		order = append(order, rowid)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var out []model.Record
	err = queryEach(ctx, tx, "SELECT name, image, created_at FROM names ORDER BY name", nil, func(rows *sql.Rows) error {
		var (
			name           string
			rowid, created int64
		)
		if err := rows.Scan(&name, &rowid, &created); err != nil {
			return err
		}
		img := imgs[rowid]
		if img == nil {
			return fmt.Errorf("name %s points at no image", name)
		}
		img.named = true
		out = append(out, model.Record{Name: name, Target: img.id, Created: time.Unix(0, created)})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, rowid := range order {
		if img := imgs[rowid]; !img.named {
			out = append(out, model.Record{Name: model.DanglingName(img.id), Target: img.id, Created: time.Unix(0, img.recordCreated)})
		}
	}
	slices.SortFunc(out, func(a, b model.Record) int { return strings.Compare(a.Name, b.Name) })
	if !labels {
		return out, nil, nil
	}
	rr := make([]rowRev, len(order))
	for i, rowid := range order {
		rr[i] = rowRev{rowid: rowid, rev: imgs[rowid].rev}
	}
	es, err := s.cache.entries(ctx, tx, rr)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[digest.Digest]*entry, len(es))
	for _, e := range es {
		byID[e.id] = e
	}
	return out, byID, nil
}

// prunedTx is what the transaction of one batch of a prune did.
type prunedTx struct {
	removedBy []int64                   // the image rowid each record was removed from; 0: left alone
	lastOf    map[int64]int             // image rowid -> the last record of the batch removed from it
	deleted   []int64                   // images deleted
	trees     map[int64][]digest.Digest // the index and manifests of each image deleted (manifestTree)
	rm        removed                   // what the catalog held about them
}

// prunedBatch is one batch's part of the report.
type prunedBatch struct {
	items     []imagesvc.DeleteResponse
	reclaimed uint64
}

// pruneTx deletes the records batch in one transaction: a name, or a dangling image. An
// image whose last name goes is deleted. Records that changed since they were read are
// left alone. The transaction's events are published before pruneTx returns, under
// s.order held from before the transaction: they come before those of any write that
// commits after it (a tag that gives a pruned name again).
func (s *Store) pruneTx(ctx context.Context, batch []model.Record) (*prunedTx, error) {
	var (
		p      *prunedTx
		events []imagesvc.Event
	)
	s.order.Lock()
	defer s.order.Unlock()
	defer s.beginWrite()()
	err := inTx(ctx, s.wdb, func(tx *sql.Tx) error {
		p = &prunedTx{removedBy: make([]int64, len(batch)), lastOf: map[int64]int{}}
		delName, err := tx.PrepareContext(ctx, `DELETE FROM names WHERE name = ? AND image = (SELECT rowid FROM images WHERE id = ?)
			RETURNING image`)
		if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		defer delName.Close()
		// The dangling records that still are: the images without names, in one query.
		var ids []string
		for _, r := range batch {
			if r.Dangling() {
				ids = append(ids, r.Target.String())
			}
		}
		dangling := map[digest.Digest]int64{}
		if len(ids) > 0 {
			err = queryEach(ctx, tx, `SELECT rowid, id FROM images WHERE id IN (SELECT value FROM json_each(?))
				AND NOT EXISTS (SELECT 1 FROM names WHERE image = images.rowid)`, []any{jsonStrings(ids)}, func(rows *sql.Rows) error {
				var (
					rowid int64
					id    string
				)
				if err := rows.Scan(&rowid, &id); err != nil {
					return err
				}
				dangling[digest.Digest(id)] = rowid
				return nil
			})
			if err != nil {
				return err
			}
		}
		// Images a view was prepared from since the candidates were chosen are in use:
		// read in this transaction, so that a view recorded concurrently is either seen
		// here or finds its image gone (PrepareRootFS checks it in its transaction).
		viewed := map[digest.Digest]bool{}
		err = queryEach(ctx, tx, `SELECT DISTINCT image FROM rootfs_views`, nil, func(rows *sql.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			viewed[digest.Digest(id)] = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		var touched []int64
		for i, r := range batch {
			if viewed[r.Target] {
				continue // in use since it was read
			}
			rowid := dangling[r.Target]
			if !r.Dangling() {
				rowid = 0
				err := delName.QueryRowContext(ctx, r.Name, r.Target.String()).Scan(&rowid)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("catalog: %w", err)
				}
			}
			if rowid == 0 {
				continue // changed since it was read
			}
			p.removedBy[i] = rowid
			if _, seen := p.lastOf[rowid]; !seen {
				touched = append(touched, rowid)
			}
			p.lastOf[rowid] = i
		}
		// The images left without names are deleted, as their last record was.
		err = queryEach(ctx, tx, `SELECT value FROM json_each(?)
			WHERE NOT EXISTS (SELECT 1 FROM names WHERE image = value)`, []any{jsonInts(touched)}, func(rows *sql.Rows) error {
			var rowid int64
			if err := rows.Scan(&rowid); err != nil {
				return err
			}
			p.deleted = append(p.deleted, rowid)
			return nil
		})
		if err != nil {
			return err
		}
		if p.rm, err = deleteImages(ctx, tx, p.deleted, true); err != nil {
			return err
		}
		p.trees = make(map[int64][]digest.Digest, len(p.deleted))
		for _, rowid := range p.deleted {
			p.trees[rowid] = manifestTree(p.rm.summaries[rowid])
		}
		freed, err := freedManifests(ctx, tx, p)
		if err != nil {
			return err
		}
		events = p.events(batch, freed)
		stay := map[int64]bool{}
		for _, rowid := range touched {
			stay[rowid] = true
		}
		for _, rowid := range p.deleted {
			delete(stay, rowid)
		}
		if len(stay) == 0 {
			return nil
		}
		rev, err := nextRev(ctx, tx)
		if err != nil {
			return err
		}
		return touch(ctx, tx, stay, rev, s.now().UnixNano())
	})
	if err != nil {
		return nil, err
	}
	if len(p.lastOf) > 0 {
		s.gen.Add(1)
	}
	s.cache.evict(p.deleted)
	s.detailsCache.evict(p.deleted)
	s.events.Publish(events...)
	return p, nil
}

// freedManifests returns, in the transaction of p after its images were deleted, the
// index and manifest blobs of those images that they referenced and that no remaining
// image references: what the prune frees of their trees, whether or not a pull in
// progress keeps the blob for an image it is about to record.
func freedManifests(ctx context.Context, tx *sql.Tx, p *prunedTx) (map[digest.Digest]bool, error) {
	referenced := make(map[digest.Digest]bool, len(p.rm.blobs))
	for _, d := range p.rm.blobs {
		referenced[d] = true
	}
	var cands []string
	seen := map[digest.Digest]bool{}
	for _, rowid := range p.deleted {
		for _, d := range p.trees[rowid] {
			if referenced[d] && !seen[d] {
				seen[d] = true
				cands = append(cands, d.String())
			}
		}
	}
	freed := map[digest.Digest]bool{}
	if len(cands) == 0 {
		return freed, nil
	}
	err := queryEach(ctx, tx, `SELECT value FROM json_each(?)
		WHERE NOT EXISTS (SELECT 1 FROM image_blobs WHERE digest = value)`, []any{jsonStrings(cands)}, func(rows *sql.Rows) error {
		var d string
		if err := rows.Scan(&d); err != nil {
			return err
		}
		freed[digest.Digest(d)] = true
		return nil
	})
	return freed, err
}

// deletedWith returns, for each record of batch, the index and manifest blobs among gone
// that its part of the report names as deleted: each blob with the last record of the
// batch whose image had it, in the order of the image's tree (index first).
func (p *prunedTx) deletedWith(gone map[digest.Digest]bool) [][]digest.Digest {
	out := make([][]digest.Digest, len(p.removedBy))
	reportAt := map[digest.Digest]int{}
	for _, rowid := range p.deleted {
		for _, d := range p.trees[rowid] {
			if gone[d] {
				reportAt[d] = max(reportAt[d], p.lastOf[rowid])
			}
		}
	}
	for i, rowid := range p.removedBy {
		if rowid == 0 || p.lastOf[rowid] != i {
			continue
		}
		for _, d := range p.trees[rowid] {
			if at, ok := reportAt[d]; ok && at == i {
				out[i] = append(out[i], d)
				delete(reportAt, d)
			}
		}
	}
	return out
}

// events returns the events of the records of batch that p removed, in order: each
// record's untag, and its delete when its image's index or manifest is among freed and is
// reported with it (see deletedWith).
func (p *prunedTx) events(batch []model.Record, freed map[digest.Digest]bool) []imagesvc.Event {
	with := p.deletedWith(freed)
	var out []imagesvc.Event
	for i, r := range batch {
		if p.removedBy[i] != 0 {
			out = append(out, eventlog.Pruned(r, len(with[i]) > 0)...)
		}
	}
	return out
}

// freeBatch deletes the content that the batch's transaction freed (blobs no image
// references any more and no operation in progress uses, then the layer chains no image
// and no view uses), counts it (counted holds the layer chains counted by earlier batches;
// freeBatch calls run one at a time), and returns the batch's part of the report.
func (s *Store) freeBatch(ctx context.Context, batch []model.Record, p *prunedTx, counted map[digest.Digest]bool) prunedBatch {
	ctx = context.WithoutCancel(ctx)
	freed, err := s.collect(ctx, p.rm.blobs)
	var out prunedBatch
	gone := make(map[digest.Digest]bool, len(freed))
	for _, b := range freed {
		gone[b.Digest] = true
		out.reclaimed += uint64(b.Size)
	}
	unused, cerr := s.unusedChains(ctx, p.rm.chains, counted)
	for c := range unused {
		// An unpacked chain counts the snapshotter's usage (recorded at its commit): an
		// image recorded before it was unpacked (Options.LazyUnpack) has the tar's.
		if n, ok := s.chainUsage(ctx, c); ok {
			unused[c] = n
		}
	}
	if gerr := s.gcSnapshots(ctx); gerr != nil {
		cerr = errors.Join(cerr, gerr)
	}
	out.reclaimed += s.chainsGone(ctx, unused, counted)
	if err = errors.Join(err, cerr); err != nil {
		s.log.Warn("freeing the content of pruned images", "error", err)
	}

	// The index and manifest blobs the collection deleted.
	deleted := p.deletedWith(gone)
	for i, r := range batch {
		if p.removedBy[i] == 0 {
			continue
		}
		out.items = append(out.items, imagesvc.DeleteResponse{Untagged: r.Familiar()})
		for _, d := range deleted[i] {
			out.items = append(out.items, imagesvc.DeleteResponse{Deleted: d})
		}
	}
	return out
}

// manifestTree returns the digests of the index and manifests of a record summary: the
// target, then the manifests in index order.
func manifestTree(summary []byte) []digest.Digest {
	var sum struct {
		Target struct {
			Digest digest.Digest `json:"digest"`
		} `json:"target"`
		Manifests []struct {
			Descriptor struct {
				Digest digest.Digest `json:"digest"`
			} `json:"descriptor"`
		} `json:"manifests"`
	}
	if json.Unmarshal(summary, &sum) != nil {
		return nil
	}
	out := []digest.Digest{sum.Target.Digest}
	for _, m := range sum.Manifests {
		if !slices.Contains(out, m.Descriptor.Digest) {
			out = append(out, m.Descriptor.Digest)
		}
	}
	return out
}

// unusedChains returns the layer chains among chains that no image has any more and that
// are not in counted, with their unpacked sizes.
func (s *Store) unusedChains(ctx context.Context, chains []sized, counted map[digest.Digest]bool) (map[digest.Digest]int64, error) {
	size := map[string]int64{}
	var ids []string
	for _, c := range chains {
		if counted[c.Digest] {
			continue
		}
		if _, ok := size[c.Digest.String()]; !ok {
			ids = append(ids, c.Digest.String())
		}
		size[c.Digest.String()] = c.Size
	}
	out := map[digest.Digest]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.rdb, `SELECT value FROM json_each(?)
		WHERE NOT EXISTS (SELECT 1 FROM image_chains WHERE chain = value)`, []any{jsonStrings(ids)}, func(rows *sql.Rows) error {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		out[digest.Digest(c)] = size[c]
		return nil
	})
	return out, err
}

// chainsGone returns the total size of the chains of unused that the snapshotter no
// longer has, and adds them to counted. A chain still there (under a view, pinned by an
// unpack in progress, or that failed to be removed) is not freed and counts nothing.
func (s *Store) chainsGone(ctx context.Context, unused map[digest.Digest]int64, counted map[digest.Digest]bool) uint64 {
	var n uint64
	for c, size := range unused {
		if _, err := s.snaps.sn.Stat(ctx, c.String()); !errdefs.IsNotFound(err) {
			continue
		}
		counted[c] = true
		n += uint64(max(size, 0))
	}
	return n
}
