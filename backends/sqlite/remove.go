package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/model"
)

var (
	_ imagesvc.Remover   = (*Store)(nil)
	_ imagesvc.Tagger    = (*Store)(nil)
	_ imagesvc.Pruner    = (*Store)(nil)
	_ imagesvc.Historian = (*Store)(nil)
)

// Remove untags or deletes the image ref names, with Docker's rules (internal/model, spec
// docker-image-lifecycle.md §2). In the catalog, each name of an image is a record, and an
// image without names is its dangling record; untagging the last name of an image that
// stays (a forced untag of an image in use) leaves it dangling.
//
// The whole decision runs in one write transaction: it sees one state of the catalog, and
// lists and inspects see either none of its changes or all of them. A conflict found after
// some names were removed keeps them removed, as Docker does. Once the transaction is
// committed, the blobs of the deleted images that no other image references and no pull
// or import in progress uses are deleted, before Remove returns.
//
// With opts.Platforms, the blobs of each platform's manifest (manifest, config, layers) are
// deleted from the content store, even those other images share, as Docker does; every
// image that referenced one of them is described again, so that it lists the platform as
// not available and stays listed.
//
// Containers come from Options.Usage when it implements [imagesvc.ContainerLister];
// otherwise no image is in use.
func (s *Store) Remove(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	hostCtrs, err := model.HostContainers(ctx, s.opts.Usage)
	if err != nil {
		return nil, err
	}

	st := newTxStore(s)
	var (
		resp   []imagesvc.DeleteResponse
		events []imagesvc.Event
		opErr  error
	)
	s.order.Lock()
	endWrite := s.beginWrite()
	err = inTx(ctx, s.wdb, func(tx *sql.Tx) error {
		st.tx = tx
		// The views are read in the write transaction: a view a prepare records
		// concurrently is either seen here or recorded after this commit, when its
		// prepare finds the image gone (PrepareRootFS checks it in its transaction).
		views, err := s.viewContainers(ctx, tx)
		if err != nil {
			return err
		}
		ctrs := append(append([]imagesvc.Container(nil), hostCtrs...), views...)
		resp, events, opErr = eventlog.Remove(ctx, st, ctrs, ref, opts)
		if st.err != nil {
			// A catalog failure: nothing of the operation stays.
			if opErr == nil {
				opErr = st.err
			}
			return opErr
		}
		return st.finish(ctx)
	})
	if err == nil {
		s.committed(st)
		// The untags of a remove that failed part-way stay, and so do their events.
		s.events.Publish(events...)
	}
	s.order.Unlock()
	endWrite()
	if err != nil {
		return nil, err
	}
	s.afterWrite(ctx, st)
	if opErr != nil {
		return nil, opErr
	}
	return resp, nil
}

// committed makes the write st committed visible: a new generation (before the write's
// mark ends: see beginWrite), and the cached descriptions of deleted images gone.
func (s *Store) committed(st *txStore) {
	if !st.changed() {
		return
	}
	s.gen.Add(1)
	s.cache.evict(st.deleted)
	s.detailsCache.evict(st.deleted)
}

// afterWrite is what follows the commit of a removal: the new generation, the caches
// forgetting deleted rows, and the content that is now free.
func (s *Store) afterWrite(ctx context.Context, st *txStore) {
	if !st.changed() {
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.deletePlatformContent(ctx, st.goneOrder)
	if _, err := s.collect(ctx, st.freed); err != nil {
		s.log.Warn("removing the blobs of deleted images", "error", err)
	}
	if err := s.gcSnapshots(ctx); err != nil {
		s.log.Warn("removing the unpacked layers of deleted images", "error", err)
	}
}

// deletePlatformContent deletes the blobs of deleted platforms even when other images
// share them, as Docker does, except those that a pull or import in progress holds: it is
// about to record an image that needs them, and describes it with them present. The
// leases' lock is held, as the garbage collector holds it.
func (s *Store) deletePlatformContent(ctx context.Context, ds []digest.Digest) {
	if len(ds) == 0 {
		return
	}
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	for _, d := range ds {
		if s.leases.leased(d) {
			s.log.Debug("keeping platform content an operation in progress uses", "digest", d)
			continue
		}
		if err := s.content.Delete(ctx, d); err != nil && !errdefs.IsNotFound(err) {
			s.log.Warn("deleting the content of a platform", "digest", d, "error", err)
		}
	}
}

// containers returns the host's containers, when the usage provider knows them.
func (s *Store) containers(ctx context.Context) ([]imagesvc.Container, error) {
	ctrs, err := model.HostContainers(ctx, s.opts.Usage)
	if err != nil {
		return nil, err
	}
	views, err := s.viewContainers(ctx, s.rdb)
	if err != nil {
		return nil, err
	}
	return append(ctrs, views...), nil
}

// txStore is the catalog as internal/model sees it, inside one write transaction: each
// row of names is a record, and an image without names is the record
// model.DanglingName(id). Deleting the last name of an image makes it dangling, which is
// its dangling record appearing: KeepDangling has nothing to do.
type txStore struct {
	s   *Store
	tx  *sql.Tx
	now int64
	err error // the first catalog failure: the transaction is rolled back

	rows      map[digest.Digest]int64 // image ID -> rowid, as looked up
	touched   map[int64]bool          // images that lost names and stay
	deleted   []int64                 // images deleted
	freed     []digest.Digest         // blobs the deleted images referenced
	gone      map[digest.Digest]bool  // blobs a platform delete removes, after the commit
	goneOrder []digest.Digest
}

var _ model.Store = (*txStore)(nil)

func newTxStore(s *Store) *txStore {
	return &txStore{
		s:       s,
		now:     s.now().UnixNano(),
		rows:    map[digest.Digest]int64{},
		touched: map[int64]bool{},
		gone:    map[digest.Digest]bool{},
	}
}

// fail notes a catalog failure and returns it.
func (st *txStore) fail(err error) error {
	if !strings.HasPrefix(err.Error(), "catalog: ") {
		err = fmt.Errorf("catalog: %w", err)
	}
	if st.err == nil {
		st.err = err
	}
	return err
}

// changed reports whether the transaction changed anything.
func (st *txStore) changed() bool {
	return len(st.touched) > 0 || len(st.deleted) > 0 || len(st.goneOrder) > 0
}

// rowid returns the rowid of the image d; ok is false when there is none.
func (st *txStore) rowid(ctx context.Context, d digest.Digest) (int64, bool, error) {
	if id, ok := st.rows[d]; ok {
		return id, true, nil
	}
	var id int64
	err := st.tx.QueryRowContext(ctx, "SELECT rowid FROM images WHERE id = ?", d.String()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, st.fail(err)
	}
	st.rows[d] = id
	return id, true, nil
}

// Record implements model.Store.
func (st *txStore) Record(ctx context.Context, name string) (model.Record, bool, error) {
	if rest, ok := strings.CutPrefix(name, model.DanglingPrefix); ok {
		d, err := digest.Parse(rest)
		if err != nil {
			return model.Record{}, false, nil
		}
		recs, err := st.RecordsOf(ctx, d)
		if err != nil || len(recs) == 0 || !recs[0].Dangling() {
			return model.Record{}, false, err
		}
		return recs[0], true, nil
	}
	var (
		rowid, created int64
		id             string
	)
	err := st.tx.QueryRowContext(ctx, `SELECT i.rowid, i.id, n.created_at FROM names n JOIN images i ON i.rowid = n.image
		WHERE n.name = ?`, name).Scan(&rowid, &id, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Record{}, false, nil
	}
	if err != nil {
		return model.Record{}, false, st.fail(err)
	}
	st.rows[digest.Digest(id)] = rowid
	return model.Record{Name: name, Target: digest.Digest(id), Created: time.Unix(0, created)}, true, nil
}

// RecordsOf implements model.Store: the names of the image in name order, or its dangling
// record when it has none.
func (st *txStore) RecordsOf(ctx context.Context, d digest.Digest) ([]model.Record, error) {
	var rowid, recordCreated int64
	err := st.tx.QueryRowContext(ctx, "SELECT rowid, coalesce(dangling_since, record_created) FROM images WHERE id = ?", d.String()).Scan(&rowid, &recordCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, st.fail(err)
	}
	st.rows[d] = rowid
	var out []model.Record
	err = queryEach(ctx, st.tx, "SELECT name, created_at FROM names WHERE image = ? ORDER BY name", []any{rowid}, func(rows *sql.Rows) error {
		var (
			name    string
			created int64
		)
		if err := rows.Scan(&name, &created); err != nil {
			return err
		}
		out = append(out, model.Record{Name: name, Target: d, Created: time.Unix(0, created)})
		return nil
	})
	if err != nil {
		return nil, st.fail(err)
	}
	if len(out) == 0 {
		out = []model.Record{{Name: model.DanglingName(d), Target: d, Created: time.Unix(0, recordCreated)}}
	}
	return out, nil
}

// TargetsWithPrefix implements model.Store.
func (st *txStore) TargetsWithPrefix(ctx context.Context, hex string) ([]digest.Digest, error) {
	if hex == "" {
		return nil, nil
	}
	lo := "sha256:" + hex
	hi := lo[:len(lo)-1] + string(lo[len(lo)-1]+1)
	var out []digest.Digest
	err := queryEach(ctx, st.tx, "SELECT id FROM images WHERE id >= ? AND id < ? LIMIT 2", []any{lo, hi}, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		out = append(out, digest.Digest(id))
		return nil
	})
	if err != nil {
		return nil, st.fail(err)
	}
	return out, nil
}

// Parent implements model.Store.
func (st *txStore) Parent(ctx context.Context, d digest.Digest) (digest.Digest, error) {
	var parent string
	err := st.tx.QueryRowContext(ctx, "SELECT parent FROM images WHERE id = ?", d.String()).Scan(&parent)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", st.fail(err)
	}
	if digest.Digest(parent).Validate() != nil {
		return "", nil
	}
	return digest.Digest(parent), nil
}

// HasChildren implements model.Store.
func (st *txStore) HasChildren(ctx context.Context, d digest.Digest) (bool, error) {
	var yes bool
	err := st.tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM images WHERE parent = ? AND parent <> '')", d.String()).Scan(&yes)
	if err != nil {
		return false, st.fail(err)
	}
	return yes, nil
}

// DeleteRecord implements model.Store: a name is deleted (the image stays, dangling if it
// was its last name); with last, the image is deleted with everything the catalog holds
// about it, and its blobs become candidates for collection after the commit.
func (st *txStore) DeleteRecord(ctx context.Context, r model.Record, last bool) error {
	rowid, ok, err := st.rowid(ctx, r.Target)
	if err != nil || !ok {
		return err
	}
	if !r.Dangling() {
		if _, err := st.tx.ExecContext(ctx, "DELETE FROM names WHERE name = ? AND image = ?", r.Name, rowid); err != nil {
			return st.fail(err)
		}
		st.touched[rowid] = true
	}
	if !last {
		return nil
	}
	var named bool
	if err := st.tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM names WHERE image = ?)", rowid).Scan(&named); err != nil {
		return st.fail(err)
	}
	if named {
		// The rules counted every record of the image in this transaction; a name left
		// means they did not, and the image stays.
		st.s.log.Warn("not deleting an image that still has names", "id", r.Target)
		return nil
	}
	rm, err := deleteImages(ctx, st.tx, []int64{rowid}, false)
	if err != nil {
		return st.fail(err)
	}
	st.freed = append(st.freed, rm.blobs...)
	st.deleted = append(st.deleted, rowid)
	delete(st.touched, rowid)
	delete(st.rows, r.Target)
	return nil
}

// KeepDangling implements model.Store: an image that loses its last name is dangling.
func (st *txStore) KeepDangling(context.Context, model.Record) error { return nil }

// DeletePlatform implements model.Store. The blobs are marked gone here, described as
// absent by finish, and deleted after the commit.
func (st *txStore) DeletePlatform(ctx context.Context, d digest.Digest, p ocispec.Platform) ([]digest.Digest, bool, error) {
	rowid, ok, err := st.rowid(ctx, d)
	if err != nil || !ok {
		return nil, false, err
	}
	var raw []byte
	if err := st.tx.QueryRowContext(ctx, "SELECT summary FROM image_data WHERE image = ?", rowid).Scan(&raw); err != nil {
		return nil, false, st.fail(err)
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, false, st.fail(fmt.Errorf("image %s: %w", d, err))
	}
	matcher := platforms.OnlyStrict(p)
	best := -1
	var bestPlatform ocispec.Platform
	for i, m := range rec.Manifests {
		if m.Kind != imagesvc.KindImage || m.Platform == nil || !st.present(m.Descriptor.Digest) {
			continue
		}
		if mp := *m.Platform; matcher.Match(mp) && (best < 0 || matcher.Less(mp, bestPlatform)) {
			best, bestPlatform = i, mp
		}
	}
	if best < 0 {
		return nil, false, nil
	}
	desc := rec.Manifests[best].Descriptor
	data, err := content.ReadBlob(ctx, st.s.content, desc)
	if err != nil {
		return nil, false, fmt.Errorf("reading the manifest %s: %w", desc.Digest, err)
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, false, fmt.Errorf("reading the manifest %s: %v: %w", desc.Digest, err, errdefs.ErrDataLoss)
	}
	st.markGone(desc.Digest)
	for _, c := range append([]ocispec.Descriptor{mf.Config}, mf.Layers...) {
		if st.present(c.Digest) {
			st.markGone(c.Digest)
		}
	}
	return []digest.Digest{desc.Digest}, true, nil
}

// present reports whether the content store holds d and no platform delete of this
// transaction removes it.
func (st *txStore) present(d digest.Digest) bool {
	if d.Validate() != nil || st.gone[d] {
		return false
	}
	_, err := os.Lstat(st.s.blobPath(d))
	return err == nil
}

func (st *txStore) markGone(d digest.Digest) {
	if !st.gone[d] {
		st.gone[d] = true
		st.goneOrder = append(st.goneOrder, d)
	}
}

// finish writes what the operation changed, before the commit: the images that lost names
// get a new revision and their dangling flag, and the images that referenced content a
// platform delete removes are described again without it.
func (st *txStore) finish(ctx context.Context) error {
	if !st.changed() {
		return nil
	}
	rev, err := nextRev(ctx, st.tx)
	if err != nil {
		return err
	}
	if err := touch(ctx, st.tx, st.touched, rev, st.now); err != nil {
		return err
	}
	if len(st.goneOrder) == 0 {
		return nil
	}
	gone := make([]string, len(st.goneOrder))
	for i, d := range st.goneOrder {
		gone[i] = d.String()
	}
	var targets []ocispec.Descriptor
	err = queryEach(ctx, st.tx, `SELECT d.summary FROM image_data d WHERE d.image IN
		(SELECT DISTINCT image FROM image_blobs WHERE digest IN (SELECT value FROM json_each(?)))`, []any{jsonStrings(gone)}, func(rows *sql.Rows) error {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		var r struct {
			Target ocispec.Descriptor `json:"target"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		targets = append(targets, r.Target)
		return nil
	})
	if err != nil {
		return err
	}
	b := &builder{
		src:          hidingStore{ContentStore: st.s.content, gone: st.gone},
		platform:     st.s.platform,
		log:          st.s.log,
		unpacked:     st.s.computeUnpacked, // labelling would write outside the transaction
		missingTgtOK: true,
	}
	for _, t := range targets {
		rec, det, err := b.build(ctx, t)
		if err != nil {
			return fmt.Errorf("describing the image %s without the deleted platform: %w", t.Digest, err)
		}
		if _, err := putImage(ctx, st.tx, rec, det, "", st.now, rev); err != nil {
			return err
		}
	}
	return nil
}

// hidingStore is the content store without the blobs of gone.
type hidingStore struct {
	model.ContentStore
	gone map[digest.Digest]bool
}

func (h hidingStore) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	if h.gone[d] {
		return content.Info{}, fmt.Errorf("content %s: %w", d, errdefs.ErrNotFound)
	}
	return h.ContentStore.Info(ctx, d)
}

func (h hidingStore) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if h.gone[desc.Digest] {
		return nil, fmt.Errorf("content %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	return h.ContentStore.ReaderAt(ctx, desc)
}
