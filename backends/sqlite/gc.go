package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/mattn/go-sqlite3"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/importer"
)

// cleanup removes what an earlier process may have left behind, keeping for
// [Options.ResumeGrace] what a pull after a crash can use again: unfinished ingests (the
// root is locked, so no other process is writing one) and blobs that no image references
// are deleted when they are older than the grace period, and kept otherwise, until a
// sweep when the period ends. The labels of blobs that are gone are deleted.
func (s *Store) cleanup(ctx context.Context) error {
	grace := s.opts.ResumeGrace
	if grace == 0 {
		grace = defaultResumeGrace
	}
	cutoff := s.now().Add(-grace)
	fresh := func(path string) bool {
		fi, err := os.Stat(path)
		return grace > 0 && err == nil && fi.ModTime().After(cutoff)
	}

	kept := 0
	ingest := filepath.Join(s.root, "content", "ingest")
	entries, err := os.ReadDir(ingest)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	removedIngests := 0
	for _, e := range entries {
		dir := filepath.Join(ingest, e.Name())
		if fresh(filepath.Join(dir, "data")) {
			kept++
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		removedIngests++
	}
	if removedIngests > 0 {
		s.log.Info("removed unfinished downloads and imports", "count", removedIngests)
	}

	referenced := map[digest.Digest]bool{}
	rows, err := s.wdb.QueryContext(ctx, "SELECT DISTINCT digest FROM image_blobs")
	if err != nil {
		return err
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return err
		}
		referenced[digest.Digest(d)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	blobs := filepath.Join(s.root, "content", "blobs")
	algs, err := os.ReadDir(blobs)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	present := map[digest.Digest]bool{}
	removed := 0
	for _, alg := range algs {
		if !alg.IsDir() || !digest.Algorithm(alg.Name()).Available() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(blobs, alg.Name()))
		if err != nil {
			return err
		}
		for _, f := range files {
			d := digest.NewDigestFromEncoded(digest.Algorithm(alg.Name()), f.Name())
			if d.Validate() != nil {
				continue
			}
			if referenced[d] {
				present[d] = true
				continue
			}
			if fresh(filepath.Join(blobs, alg.Name(), f.Name())) {
				present[d] = true
				kept++
				continue
			}
			if err := s.content.Delete(ctx, d); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
			removed++
		}
	}
	if removed > 0 {
		s.log.Info("removed blobs that no image references", "count", removed)
	}

	// Labels of blobs that are gone.
	rows, err = s.wdb.QueryContext(ctx, "SELECT DISTINCT digest FROM content_labels")
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return err
		}
		if !present[digest.Digest(d)] {
			stale = append(stale, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range stale {
		if _, err := s.wdb.ExecContext(ctx, "DELETE FROM content_labels WHERE digest = ?", d); err != nil {
			return err
		}
	}

	if kept > 0 {
		s.log.Info("kept blobs and unfinished downloads of an earlier process for pulls to resume",
			"count", kept, "until", s.now().Add(grace))
		s.wg.Add(1)
		go s.sweepAfter(grace)
	}
	return nil
}

// sweepAfter sweeps (see sweep) once d has passed, unless the store closes first: what
// cleanup kept and no pull took up by then is garbage.
func (s *Store) sweepAfter(d time.Duration) {
	defer s.wg.Done()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
	case <-t.C:
		if err := s.sweep(s.ctx, "the end of the resume grace period"); err != nil && s.ctx.Err() == nil {
			s.log.Warn("garbage collection at the end of the resume grace period", "error", err)
		}
	}
}

// leases protect what pulls and imports in progress use from garbage collection: the
// blobs they looked at or wrote, and the ingests (unfinished writes) they opened, until
// the operation ends and the image that references them is recorded. Garbage collection
// decides and deletes while holding mu, and an operation adds to its lease (under mu)
// before it looks at a blob or opens a writer, so that a blob is never deleted between an
// operation finding it present and the operation's image being recorded.
type leases struct {
	mu      sync.Mutex
	refs    map[digest.Digest]int
	ingests map[string]int // by ingest ref
}

// lease is what one operation uses.
type lease struct {
	ls      *leases
	held    map[digest.Digest]bool
	ingests map[string]bool
}

func (ls *leases) new() *lease {
	return &lease{ls: ls, held: map[digest.Digest]bool{}, ingests: map[string]bool{}}
}

// leased reports whether a lease holds d. The caller holds ls.mu.
func (ls *leases) leased(d digest.Digest) bool { return ls.refs[d] > 0 }

// add protects d for the life of the lease.
func (l *lease) add(d digest.Digest) {
	l.ls.mu.Lock()
	defer l.ls.mu.Unlock()
	if l.held[d] {
		return
	}
	l.held[d] = true
	if l.ls.refs == nil {
		l.ls.refs = map[digest.Digest]int{}
	}
	l.ls.refs[d]++
}

// addIngest protects the ingest ref for the life of the lease.
func (l *lease) addIngest(ref string) {
	l.ls.mu.Lock()
	defer l.ls.mu.Unlock()
	if l.ingests[ref] {
		return
	}
	l.ingests[ref] = true
	if l.ls.ingests == nil {
		l.ls.ingests = map[string]int{}
	}
	l.ls.ingests[ref]++
}

// release ends the lease, once the operation's writers are closed. It aborts the ingests
// of the lease that no other lease holds (the unfinished downloads of a failed or
// cancelled pull: a finished one was committed, which removed its ingest), and deletes
// the blobs of the lease that no image references and no other lease holds (those of a
// failed pull or import, or of an image deleted while it was being recorded).
func (l *lease) release(ctx context.Context, s *Store) {
	var blobs []digest.Digest
	l.ls.mu.Lock()
	for d := range l.held {
		if l.ls.refs[d]--; l.ls.refs[d] <= 0 {
			delete(l.ls.refs, d)
			blobs = append(blobs, d)
		}
	}
	aborted := 0
	for ref := range l.ingests {
		if l.ls.ingests[ref]--; l.ls.ingests[ref] > 0 {
			continue
		}
		delete(l.ls.ingests, ref)
		// Under mu: another operation that opens the same ref adds it to its lease first,
		// so it opens a fresh ingest after this one is gone.
		err := s.content.Abort(ctx, ref)
		switch {
		case err == nil:
			aborted++
		case !errdefs.IsNotFound(err):
			s.log.Warn("aborting an unfinished download", "ref", ref, "error", err)
		}
	}
	l.ls.mu.Unlock()
	l.held, l.ingests = nil, nil
	if aborted > 0 {
		s.log.Debug("removed unfinished downloads", "count", aborted)
	}
	if _, err := s.collect(ctx, blobs); err != nil {
		s.log.Warn("removing the blobs of a failed operation", "error", err)
	}
}

// collectBatch bounds the blobs collect checks at a time, holding the leases' lock.
const collectBatch = 500

// collect deletes the blobs among cands that no image references and no lease holds,
// with their labels, and returns those it deleted with their sizes. A blob is checked and
// deleted while the leases' lock is held (see leases), and the references are read after
// the lock is taken, so that an image recorded by an operation whose lease just ended is
// seen.
func (s *Store) collect(ctx context.Context, cands []digest.Digest) ([]sized, error) {
	var out []sized
	for start := 0; start < len(cands); start += collectBatch {
		batch := cands[start:min(start+collectBatch, len(cands))]
		deleted, err := s.collectBatch(ctx, batch)
		out = append(out, deleted...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (s *Store) collectBatch(ctx context.Context, batch []digest.Digest) ([]sized, error) {
	var deleted []sized
	s.leases.mu.Lock()
	var free []string
	for _, d := range batch {
		if d.Validate() == nil && !s.leases.leased(d) {
			free = append(free, d.String())
		}
	}
	var unreferenced []digest.Digest
	if len(free) > 0 {
		err := queryEach(ctx, s.rdb, `SELECT value FROM json_each(?)
			WHERE NOT EXISTS (SELECT 1 FROM image_blobs WHERE digest = value)`, []any{jsonStrings(free)}, func(rows *sql.Rows) error {
			var d string
			if err := rows.Scan(&d); err != nil {
				return err
			}
			unreferenced = append(unreferenced, digest.Digest(d))
			return nil
		})
		if err != nil {
			s.leases.mu.Unlock()
			return nil, err
		}
	}
	var errs []error
	for _, d := range unreferenced {
		p := s.blobPath(d)
		fi, err := os.Lstat(p)
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, err)
			}
			continue
		}
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, sized{Digest: d, Size: fi.Size()})
	}
	// The labels go under the lock too: a pull that leases the digest after it and commits
	// the blob again writes its labels after this.
	if len(deleted) > 0 {
		ds := make([]string, len(deleted))
		for i, b := range deleted {
			ds[i] = b.Digest.String()
		}
		if _, err := s.wdb.ExecContext(ctx, "DELETE FROM content_labels WHERE digest IN (SELECT value FROM json_each(?))", jsonStrings(ds)); err != nil {
			errs = append(errs, fmt.Errorf("removing the labels of deleted blobs: %w", err))
		}
	}
	s.leases.mu.Unlock()

	return deleted, errors.Join(errs...)
}

// blobPath is where the content store keeps the blob d (containerd's local layout).
func (s *Store) blobPath(d digest.Digest) string {
	return filepath.Join(s.root, "content", "blobs", d.Algorithm().String(), d.Encoded())
}

// jsonStrings renders ss as a JSON array, the parameter of json_each.
func jsonStrings(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// sweep collects everything no image references and no operation in progress uses: the
// ingests that no lease holds (stale downloads) and the blobs that no image references
// and no lease holds. It runs when a write found the disk full, so it frees space before
// it writes to the catalog, and when the resume grace period ends; why says which, for
// the log. Sweeps run one at a time.
func (s *Store) sweep(ctx context.Context, why string) error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	var errs []error

	ingest := filepath.Join(s.root, "content", "ingest")
	dirs, err := os.ReadDir(ingest)
	if err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	aborted := 0
	for _, e := range dirs {
		s.leases.mu.Lock()
		held := false
		for ref := range s.leases.ingests {
			// containerd's local store names an ingest directory after the digest of its ref.
			if digest.FromString(ref).Encoded() == e.Name() {
				held = true
				break
			}
		}
		if !held {
			if err := os.RemoveAll(filepath.Join(ingest, e.Name())); err != nil {
				errs = append(errs, err)
			} else {
				aborted++
			}
		}
		s.leases.mu.Unlock()
	}

	var cands []digest.Digest
	blobs := filepath.Join(s.root, "content", "blobs")
	algs, err := os.ReadDir(blobs)
	if err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	for _, alg := range algs {
		if !alg.IsDir() || !digest.Algorithm(alg.Name()).Available() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(blobs, alg.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			if d := digest.NewDigestFromEncoded(digest.Algorithm(alg.Name()), f.Name()); d.Validate() == nil {
				cands = append(cands, d)
			}
		}
	}
	deleted, err := s.collect(ctx, cands)
	if err != nil {
		errs = append(errs, err)
	}
	var freed int64
	for _, b := range deleted {
		freed += b.Size
	}
	s.log.Info("garbage collection after "+why, "ingests", aborted, "blobs", len(deleted), "bytes", freed)
	return errors.Join(errs...)
}

// isNoSpace reports whether err comes from a full disk: a write of the content store
// (ENOSPC) or of the catalog (SQLite's "database or disk is full").
func isNoSpace(err error) bool {
	if err == nil {
		return false
	}
	var se sqlite3.Error
	return (errors.As(err, &se) && se.Code == sqlite3.ErrFull) || importer.IsNoSpace(err)
}

// endOperation releases the lease of a pull or import that ended with err, and sweeps
// when err says the disk is full.
func (s *Store) endOperation(ctx context.Context, l *lease, err error) {
	ctx = context.WithoutCancel(ctx)
	l.release(ctx, s)
	if isNoSpace(err) {
		// The server's failure, which the host must see: the client only gets a 500.
		s.log.Error("the disk is full", "error", err)
		if err := s.sweep(ctx, "a full disk"); err != nil {
			s.log.Warn("garbage collection after a full disk", "error", err)
		}
	}
}

// leasedStore is the content store as one operation sees it: every blob it looks at or
// writes is added to its lease before the store is asked.
type leasedStore struct {
	*labeledStore
	lease *lease
}

func (s *Store) leased(l *lease) *leasedStore {
	return &leasedStore{labeledStore: s.content, lease: l}
}

// Info leases d, then returns its info.
func (ls *leasedStore) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	ls.lease.add(d)
	return ls.labeledStore.Info(ctx, d)
}

// ReaderAt leases desc's blob, then opens it.
func (ls *leasedStore) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	ls.lease.add(desc.Digest)
	return ls.labeledStore.ReaderAt(ctx, desc)
}

// Writer leases the ingest and the expected blob, then opens a writer whose commit leases
// the blob first.
func (ls *leasedStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	if wo.Ref != "" {
		ls.lease.addIngest(wo.Ref)
	}
	if wo.Desc.Digest != "" {
		ls.lease.add(wo.Desc.Digest)
	}
	w, err := ls.labeledStore.Writer(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &leasedWriter{Writer: w, lease: ls.lease}, nil
}

type leasedWriter struct {
	content.Writer
	lease *lease
}

// Commit leases the blob, then commits it.
func (w *leasedWriter) Commit(ctx context.Context, size int64, expected digest.Digest, opts ...content.Opt) error {
	d := expected
	if d == "" {
		d = w.Writer.Digest()
	}
	w.lease.add(d)
	return w.Writer.Commit(ctx, size, expected, opts...)
}
