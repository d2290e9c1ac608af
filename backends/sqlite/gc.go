package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cleanup removes what an earlier process may have left behind: every unfinished ingest
// (the root is locked, so no other process is writing one) and every blob that no image
// references, with its labels, plus the labels of blobs that are gone.
func (s *Store) cleanup(ctx context.Context) error {
	ingest := filepath.Join(s.root, "content", "ingest")
	entries, err := os.ReadDir(ingest)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(ingest, e.Name())); err != nil {
			return err
		}
	}
	if len(entries) > 0 {
		s.log.Info("removed unfinished downloads and imports", "count", len(entries))
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
	return nil
}

// leases protect the blobs that pulls and imports in progress use from being deleted by
// the cleanup of a failed import, until the image that references them is recorded.
type leases struct {
	mu   sync.Mutex
	refs map[digest.Digest]int
}

// lease is the set of blobs one operation uses.
type lease struct {
	ls   *leases
	held map[digest.Digest]bool
}

func (ls *leases) new() *lease { return &lease{ls: ls, held: map[digest.Digest]bool{}} }

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

// release ends the lease. With discard, it also deletes the blobs of the lease that no
// other lease holds and no image references (a failed import stores nothing).
func (l *lease) release(ctx context.Context, s *Store, discard bool) {
	l.ls.mu.Lock()
	defer l.ls.mu.Unlock()
	for d := range l.held {
		l.ls.refs[d]--
		if l.ls.refs[d] > 0 {
			continue
		}
		delete(l.ls.refs, d)
		if !discard {
			continue
		}
		var one int
		err := s.wdb.QueryRowContext(ctx, "SELECT 1 FROM image_blobs WHERE digest = ? LIMIT 1", d.String()).Scan(&one)
		if err == nil {
			continue
		}
		if err := s.content.Delete(ctx, d); err != nil && !errdefs.IsNotFound(err) {
			s.log.Warn("removing a blob of a failed import", "digest", d, "error", err)
		}
	}
	l.held = nil
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

// Writer opens a writer whose commit leases the blob first.
func (ls *leasedStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
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
