package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff/apply"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/plugins/snapshots/native"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/rootfs"
)

var _ imagesvc.RootFSPreparer = (*Store)(nil)

// Snapshotter names of [Options.Snapshotter], as Docker's containerd store names them in
// inspect's GraphDriver.
const (
	SnapshotterOverlay = "overlayfs"
	SnapshotterNative  = "native"
)

// snapshotState is the store's embedded containerd snapshotter (a library, no daemon).
//
// Unpacks, prepares and spares pin the snapshots they use or are about to create (see
// pin); the snapshot garbage collector keeps what is pinned, and what it decided to
// remove cannot be pinned until it is gone. An operation therefore never waits for
// another's unpack because a collection is pending, as it would behind a lock the
// collector takes for writing. Unpacks of images with the same base layer are
// serialized (chain IDs of a higher layer depend on the base), so that each chain is
// applied once.
type snapshotState struct {
	name string
	root string
	sn   snapshots.Snapshotter

	// wrapProvider, set by tests only, wraps what the applier reads layers from.
	wrapProvider func(content.Provider) content.Provider
	// beforeDoom, set by tests only, runs in each collection between its reads (the
	// catalog, the snapshots) and its decision.
	beforeDoom func()

	collect sync.Mutex // one collection at a time (gcSnapshots)
	mu      sync.Mutex
	bases   map[digest.Digest]*baseLock

	// pins counts, by snapshot name, the operations that use the snapshot or are about
	// to create it; doomed holds the names the running collection removes. A pin of a
	// doomed name waits until undoomed is closed, when the collection ends. released holds,
	// while a collection runs (non-nil), the names unpinned since it began: what their
	// operations recorded may be newer than the catalog it read, so they stay too.
	// Under mu.
	pins     map[string]int
	doomed   map[string]bool
	undoomed chan struct{} // closed when the collection that doomed ends
	released map[string]bool

	// blocked holds the pinned snapshots a collection kept only because they were
	// pinned; when the last is unpinned, collectAgain runs another collection in the
	// background (what a failed or abandoned operation pinned is then freed at once).
	// recollecting counts those collections until they end. Under mu.
	blocked      map[string]bool
	collectAgain func()
	recollecting int

	// spares are writable snapshots prepared in advance on a chain (at most one per
	// chain, for the chains views were prepared on), and filling the chains whose spare
	// is being prepared; both under mu. A PrepareRootFS of a writable view takes the
	// chain's spare, so that the snapshotter's metadata commit (two fsyncs of its bolt
	// database) is not on the path of a container's start. A spare is in no catalog row:
	// the garbage collector keeps only those in spares, so that Open removes any a
	// previous process left.
	spares  map[digest.Digest]string
	filling map[digest.Digest]bool
}

// spareKeyPrefix starts the snapshot keys of spares (never a view key: ValidKey
// refuses it).
const spareKeyPrefix = "imageapi-spare-"

// isSpareKey reports whether key is a spare's snapshot key.
func isSpareKey(key string) bool { return strings.HasPrefix(key, spareKeyPrefix) }

// pin pins the snapshots names (see snapshotState) until unpin is called (more calls of
// unpin do nothing). It waits while the running collection removes one of them (the
// caller then finds it gone), or until ctx ends.
func (st *snapshotState) pin(ctx context.Context, names ...string) (unpin func(), err error) {
	st.mu.Lock()
	for slices.ContainsFunc(names, func(n string) bool { return st.doomed[n] }) {
		wait := st.undoomed
		st.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		st.mu.Lock()
	}
	defer st.mu.Unlock()
	return st.pinLocked(names...), nil
}

// pinLocked pins names; st.mu is held, and released by the unpin it returns.
func (st *snapshotState) pinLocked(names ...string) (unpin func()) {
	if st.pins == nil {
		st.pins = map[string]int{}
	}
	for _, n := range names {
		st.pins[n]++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			st.mu.Lock()
			again := false
			for _, n := range names {
				if st.pins[n]--; st.pins[n] <= 0 {
					delete(st.pins, n)
					if st.blocked[n] {
						delete(st.blocked, n)
						again = len(st.blocked) == 0 && st.collectAgain != nil
					}
				}
				if st.released != nil {
					st.released[n] = true
				}
			}
			if again {
				st.recollecting++
			}
			st.mu.Unlock()
			if again {
				st.collectAgain()
			}
		})
	}
}

// pinChains pins the chains of img (see pin) and the snapshot names more.
func (st *snapshotState) pinChains(ctx context.Context, img imagesvc.RuntimeImage, more ...string) (unpin func(), err error) {
	names := make([]string, 0, len(img.ChainIDs)+len(more))
	for _, c := range img.ChainIDs {
		names = append(names, c.String())
	}
	return st.pin(ctx, append(names, more...)...)
}

// takeSpare returns the spare snapshot of chain, taken out of the pool and pinned until
// unpin is called, or "" (and an unpin that does nothing).
func (st *snapshotState) takeSpare(chain digest.Digest) (key string, unpin func()) {
	st.mu.Lock()
	defer st.mu.Unlock()
	key = st.spares[chain]
	delete(st.spares, chain)
	if key == "" {
		return "", func() {}
	}
	// A spare in the pool is never doomed: the collector keeps those whose chain stays,
	// and the chain is pinned by the caller.
	return key, st.pinLocked(key)
}

// spareCount returns the number of spares in the pool.
func (st *snapshotState) spareCount() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.spares)
}

// fillSpare prepares, in the background, a spare on chain if it has none. The caller is
// an operation of the store (begin), so that Close waits for it.
func (s *Store) fillSpare(chain digest.Digest) {
	st := s.snaps
	st.mu.Lock()
	if st.spares[chain] != "" || st.filling[chain] {
		st.mu.Unlock()
		return
	}
	if st.filling == nil {
		st.filling = map[digest.Digest]bool{}
	}
	st.filling[chain] = true
	st.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// The chain and the spare are pinned until the spare is in the pool: the chain
		// cannot go between the check and the prepare, and the collector never sees the
		// spare outside both the pool and the pins. The fill ends after the unpin, which
		// may start a collection (SnapshotCount waits for both).
		k := spareKeyPrefix + rand.Text()
		unpin, err := st.pin(s.ctx, chain.String(), k)
		if err != nil {
			st.mu.Lock()
			delete(st.filling, chain)
			st.mu.Unlock()
			return // closing
		}
		var key string
		defer func() {
			st.mu.Lock()
			if key != "" {
				if st.spares == nil {
					st.spares = map[digest.Digest]string{}
				}
				st.spares[chain] = key
			}
			st.mu.Unlock()
			unpin()
			st.mu.Lock()
			delete(st.filling, chain)
			st.mu.Unlock()
		}()
		ctx := s.ctx
		if info, err := st.sn.Stat(ctx, chain.String()); err != nil || info.Kind != snapshots.KindCommitted {
			return // deleted meanwhile
		}
		if _, err := st.sn.Prepare(ctx, k, chain.String(), snapshots.WithLabels(map[string]string{"imageapi.spare": "1"})); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("preparing a spare view", "chain", chain, "error", err)
			}
			return
		}
		key = k
	}()
}

type baseLock struct {
	mu  sync.Mutex
	ref int
}

// lockBase serializes the unpacks of images whose base chain is base.
func (st *snapshotState) lockBase(base digest.Digest) func() {
	st.mu.Lock()
	if st.bases == nil {
		st.bases = map[digest.Digest]*baseLock{}
	}
	l := st.bases[base]
	if l == nil {
		l = &baseLock{}
		st.bases[base] = l
	}
	l.ref++
	st.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		st.mu.Lock()
		if l.ref--; l.ref == 0 {
			delete(st.bases, base)
		}
		st.mu.Unlock()
	}
}

// openSnapshotter opens the snapshotter Options.Snapshotter chooses under root/snapshots.
func (s *Store) openSnapshotter() error {
	dir := filepath.Join(s.root, "snapshots")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	name := s.opts.Snapshotter
	switch name {
	case "":
		name = SnapshotterNative
		if err := overlayutils.Supported(dir); err == nil {
			name = SnapshotterOverlay
		} else {
			s.log.Info("overlayfs is not available: layers are unpacked with the native snapshotter", "error", err)
		}
	case SnapshotterOverlay, SnapshotterNative:
	default:
		return fmt.Errorf("snapshotter %q: want %q or %q: %w", name, SnapshotterOverlay, SnapshotterNative, errdefs.ErrInvalidArgument)
	}
	root := filepath.Join(dir, name)
	var (
		sn  snapshots.Snapshotter
		err error
	)
	if name == SnapshotterOverlay {
		sn, err = overlay.NewSnapshotter(root)
	} else {
		sn, err = native.NewSnapshotter(root)
	}
	if err != nil {
		return fmt.Errorf("snapshotter %s: %w", name, err)
	}
	s.snaps = &snapshotState{name: name, root: root, sn: sn}
	s.snaps.collectAgain = s.recollect
	if !s.opts.LazyUnpack && os.Geteuid() != 0 {
		// Applying a layer mounts the snapshot, which only root may do: a store opened by
		// another user still pulls, imports and loads, and unpacks on PrepareRootFS.
		s.log.Info("not running as root: layers are unpacked on the first PrepareRootFS instead of at pull", "snapshotter", name)
		s.opts.LazyUnpack = true
	}
	return nil
}

// recollect runs a snapshot collection in the background (see snapshotState.blocked).
func (s *Store) recollect() {
	st := s.snaps
	ctx, done, err := s.begin(context.Background())
	if err != nil {
		st.mu.Lock()
		st.recollecting--
		st.mu.Unlock()
		return // closed: Open collects
	}
	go func() {
		defer done()
		defer func() {
			st.mu.Lock()
			st.recollecting--
			st.mu.Unlock()
		}()
		if err := s.gcSnapshots(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("removing the unpacked layers no image or view uses", "error", err)
		}
	}()
}

// SnapshotterName returns the name of the snapshotter that holds the unpacked layers
// ("overlayfs" or "native").
func (s *Store) SnapshotterName() string { return s.snaps.name }

// SnapshotCount returns the number of snapshot directories of layers and views under
// SnapshotsDir, without the spares (Options.NoSpareViews), once no spare is being
// prepared and no background collection runs (it waits up to 10 s): what tests count to
// check sharing and freeing.
func (s *Store) SnapshotCount() (int, error) {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.snaps.mu.Lock()
		busy := len(s.snaps.filling) + s.snaps.recollecting
		s.snaps.mu.Unlock()
		if busy == 0 || time.Now().After(deadline) {
			break
		}
	}
	entries, err := os.ReadDir(s.SnapshotsDir())
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n - s.snaps.spareCount(), nil
}

// SnapshotsDir returns the directory that holds the snapshots themselves, one
// subdirectory each (the snapshotter's root/snapshots).
func (s *Store) SnapshotsDir() string { return filepath.Join(s.snaps.root, "snapshots") }

// ResolveRuntimeImage implements [imagesvc.RootFSPreparer].
func (s *Store) ResolveRuntimeImage(ctx context.Context, ref imagesvc.ImageRef, platform *ocispec.Platform) (imagesvc.RuntimeImage, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	defer done()
	l := s.leases.new()
	defer func() { s.endOperation(ctx, l, nil) }()
	var target ocispec.Descriptor
	err = s.readRecords(ctx, func(st *txStore) error {
		_, all, err := model.Resolve(ctx, st, ref)
		if err != nil {
			return err
		}
		if len(all) == 0 {
			return ref.NotFound()
		}
		target, err = st.Target(ctx, all[0].Target)
		return err
	})
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	return rootfs.Resolve(ctx, s.leased(l), target, ref.String(), platform, s.platform)
}

// resolveAgain looks img up again by its target and manifest digests, as the store holds
// it now. Errors: NotFound.
func (s *Store) resolveAgain(ctx context.Context, l *lease, img imagesvc.RuntimeImage) (imagesvc.RuntimeImage, error) {
	var target ocispec.Descriptor
	err := s.readRecords(ctx, func(st *txStore) error {
		var err error
		target, err = st.Target(ctx, img.Target.Digest)
		return err
	})
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	var p *ocispec.Platform
	if img.Manifest.Platform != nil {
		p = img.Manifest.Platform
	}
	got, err := rootfs.Resolve(ctx, s.leased(l), target, img.Target.Digest.String(), p, s.platform)
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	if got.Manifest.Digest != img.Manifest.Digest {
		return imagesvc.RuntimeImage{}, fmt.Errorf("image %s has no manifest %s: %w", img.Target.Digest, img.Manifest.Digest, errdefs.ErrNotFound)
	}
	return got, nil
}

// unpack applies img's layers that are not unpacked yet. The caller has pinned img's
// chains (pinChains) and l leases the blobs it reads.
func (s *Store) unpack(ctx context.Context, l *lease, img imagesvc.RuntimeImage) (digest.Digest, error) {
	if len(img.ChainIDs) == 0 {
		return "", nil
	}
	top := rootfs.ChainID(img)
	if _, err := s.snaps.sn.Stat(ctx, top.String()); err == nil {
		return top, nil
	}
	unlock := s.snaps.lockBase(img.ChainIDs[0])
	defer unlock()
	var p content.Provider = s.leased(l)
	if s.snaps.wrapProvider != nil {
		p = s.snaps.wrapProvider(p)
	}
	a := apply.NewFileSystemApplier(p)
	return rootfs.Unpack(ctx, img, s.snaps.sn, a)
}

// unpackPulled unpacks, after a pull, load or import, the platform of target a runtime
// would run (platform, or the best for the host), unless Options.LazyUnpack. A target
// with nothing runnable here is left as it is. The chains stay pinned until the caller
// calls unpin, once the image is recorded (see unpackThenRecord).
func (s *Store) unpackPulled(ctx context.Context, l *lease, target ocispec.Descriptor, platform *ocispec.Platform) (unpin func(), err error) {
	if s.opts.LazyUnpack {
		return func() {}, nil
	}
	img, err := rootfs.Resolve(ctx, s.leased(l), target, target.Digest.String(), platform, s.platform)
	if err != nil {
		if errdefs.IsNotFound(err) || errdefs.IsInvalidArgument(err) {
			return func() {}, nil
		}
		return nil, err
	}
	if unpin, err = s.snaps.pinChains(ctx, img); err != nil {
		return nil, err
	}
	if _, err := s.unpack(ctx, l, img); err != nil {
		unpin()
		return nil, fmt.Errorf("failed to unpack image on snapshotter %s: %w", s.snaps.name, err)
	}
	return unpin, nil
}

// unpackThenRecord unpacks the runnable platforms of each of targets for the host (each
// of platforms, or the best one when there are none) unless Options.LazyUnpack, then calls record,
// which describes and records the image: the record has the snapshotter's sizes, and the
// chains stay pinned until the image and its chains are recorded. When the
// unpack or record fails, the chains it committed and no image uses are removed before
// it returns: a failed pull, import or load leaves no snapshot.
func (s *Store) unpackThenRecord(ctx context.Context, l *lease, targets []ocispec.Descriptor, platforms []ocispec.Platform, record func() error) (err error) {
	defer func() {
		if err != nil && !s.opts.LazyUnpack {
			if gerr := s.gcSnapshots(context.WithoutCancel(ctx)); gerr != nil {
				s.log.Warn("removing the layers a failed unpack left", "error", gerr)
			}
		}
	}()
	var unpins []func()
	defer func() {
		for _, unpin := range unpins {
			unpin()
		}
	}()
	unpack := func(target ocispec.Descriptor, p *ocispec.Platform) error {
		unpin, err := s.unpackPulled(ctx, l, target, p)
		if err == nil {
			unpins = append(unpins, unpin)
		}
		return err
	}
	for _, target := range targets {
		if len(platforms) == 0 {
			if err := unpack(target, nil); err != nil {
				return err
			}
		}
		for i := range platforms {
			if err := unpack(target, &platforms[i]); err != nil {
				return err
			}
		}
	}
	return record()
}

// PrepareRootFS implements [imagesvc.RootFSPreparer]: the image is looked up again, its
// layers unpacked once per chain, and the view prepared (containerd's Prepare, or View
// when read-only) and recorded in the catalog. A writable view takes the spare snapshot
// prepared in the background on its chain after the previous writable prepare, when it
// is there (the catalog then names the spare as the view's snapshot); keys starting
// with "imageapi-spare-" are refused (InvalidArgument).
func (s *Store) PrepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) (_ []imagesvc.Mount, err error) {
	if err := rootfs.ValidKey(req.Key); err != nil {
		return nil, err
	}
	if isSpareKey(req.Key) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("view key %q is reserved for spare views", req.Key))
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	l := s.leases.new()
	defer func() { s.endOperation(ctx, l, err) }()
	if _, err := s.viewSnapshot(ctx, req.Key); err == nil {
		return nil, fmt.Errorf("view %q: %w", req.Key, errdefs.ErrAlreadyExists)
	} else if !errdefs.IsNotFound(err) {
		return nil, err
	}
	img, err := s.resolveAgain(ctx, l, req.Image)
	if err != nil {
		return nil, err
	}

	// The chains and the view's snapshot stay pinned until the view's row is written (or
	// the prepare has failed and removed the snapshot). A failed prepare then collects
	// what its unpack may have committed for nothing (a collection that ran meanwhile did
	// not see those chains).
	defer func() {
		if err != nil {
			if gerr := s.gcSnapshots(context.WithoutCancel(ctx)); gerr != nil {
				s.log.Warn("removing the layers of a failed prepare", "error", gerr)
			}
		}
	}()
	unpin, err := s.snaps.pinChains(ctx, img, req.Key)
	if err != nil {
		return nil, err
	}
	defer unpin()
	chain, err := s.unpack(ctx, l, img)
	if err != nil {
		return nil, err
	}
	// A writable view takes the chain's spare when there is one: the view is then
	// only the catalog row naming it (no fsync: WAL with synchronous=NORMAL). Crash
	// safety: a spare is committed in the snapshotter before it is taken, and the row
	// is written after; a row whose snapshot is missing, or a spare without a row, is
	// removed by Open.
	snapKey := req.Key
	var spare string
	// With the native snapshotter a spare is a full copy of the layers: none there.
	if !req.ReadOnly && chain != "" && !s.opts.NoSpareViews && s.snaps.name != SnapshotterNative {
		var unpin func()
		spare, unpin = s.snaps.takeSpare(chain)
		defer unpin()
		defer s.fillSpare(chain)
	}
	var ms []imagesvc.Mount
	labels := snapshots.WithLabels(map[string]string{"imageapi.view": "1"})
	switch {
	case spare != "":
		snapKey = spare
	case req.ReadOnly:
		cms, err := s.snaps.sn.View(ctx, req.Key, chain.String(), labels)
		if err != nil {
			return nil, viewErr(req.Key, err)
		}
		ms = rootfs.Mounts(cms)
	default:
		cms, err := s.snaps.sn.Prepare(ctx, req.Key, chain.String(), labels)
		if err != nil {
			return nil, viewErr(req.Key, err)
		}
		ms = rootfs.Mounts(cms)
	}
	ro := 0
	if req.ReadOnly {
		ro = 1
	}
	var snapCol any
	if snapKey != req.Key {
		snapCol = snapKey
	}
	// The image is checked in the transaction that records the view: a Remove or Prune
	// that deleted it after resolveAgain read it (they read the views in their own write
	// transaction) makes the prepare fail with NotFound instead of leaving a view of a
	// deleted image.
	err = s.writeViews(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO rootfs_views (key, image, manifest, chain, created, read_only, snapshot)
			SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM images WHERE id = ?)`,
			req.Key, img.Target.Digest.String(), img.Manifest.Digest.String(), chain.String(), s.now().UnixNano(), ro, snapCol, img.Target.Digest.String())
		if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("catalog: %w", err)
		} else if n == 0 {
			return fmt.Errorf("image %s: deleted while its view was prepared: %w", img.Target.Digest, errdefs.ErrNotFound)
		}
		return nil
	})
	if err == nil && ms == nil {
		var cms []mount.Mount
		if cms, err = s.snaps.sn.Mounts(ctx, snapKey); err == nil {
			return rootfs.Mounts(cms), nil
		}
		if derr := s.deleteViewRow(context.WithoutCancel(ctx), req.Key); derr != nil {
			s.log.Warn("deleting the record of a view whose mounts failed", "key", req.Key, "error", derr)
		}
	}
	if err != nil {
		if rerr := s.snaps.sn.Remove(context.WithoutCancel(ctx), snapKey); rerr != nil {
			s.log.Warn("removing a view that could not be recorded", "key", req.Key, "error", rerr)
		}
		if errdefs.IsAlreadyExists(err) || strings.Contains(err.Error(), "UNIQUE constraint") {
			return nil, fmt.Errorf("view %q: %w", req.Key, errdefs.ErrAlreadyExists)
		}
		return nil, fmt.Errorf("recording view %q: %w", req.Key, err)
	}
	return ms, nil
}

// deleteViewRow deletes the catalog row of the view key.
func (s *Store) deleteViewRow(ctx context.Context, key string) error {
	return s.writeViews(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM rootfs_views WHERE key = ?`, key)
		return err
	})
}

// viewSnapshot returns the snapshot key of the view key. Errors: NotFound.
func (s *Store) viewSnapshot(ctx context.Context, key string) (string, error) {
	var snap string
	err := s.rdb.QueryRowContext(ctx, `SELECT coalesce(snapshot, key) FROM rootfs_views WHERE key = ?`, key).Scan(&snap)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("view %q: %w", key, errdefs.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("catalog: %w", err)
	}
	return snap, nil
}

func viewErr(key string, err error) error {
	if errdefs.IsAlreadyExists(err) {
		return fmt.Errorf("view %q: %w", key, errdefs.ErrAlreadyExists)
	}
	return fmt.Errorf("view %q: %w", key, err)
}

// RootFSMounts implements [imagesvc.RootFSPreparer].
func (s *Store) RootFSMounts(ctx context.Context, key string) ([]imagesvc.Mount, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	snap, err := s.viewSnapshot(ctx, key)
	if err != nil {
		return nil, err
	}
	ms, err := s.snaps.sn.Mounts(ctx, snap)
	if err != nil {
		return nil, fmt.Errorf("view %q: %w", key, err)
	}
	return rootfs.Mounts(ms), nil
}

// RootFSViews implements [imagesvc.RootFSPreparer].
func (s *Store) RootFSViews(ctx context.Context) ([]imagesvc.RootFSView, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.views(ctx, s.rdb)
}

func (s *Store) views(ctx context.Context, q querier) ([]imagesvc.RootFSView, error) {
	var out []imagesvc.RootFSView
	err := queryEach(ctx, q, `SELECT key, image, manifest, chain, created, read_only FROM rootfs_views ORDER BY created, key`, nil, func(rows *sql.Rows) error {
		var (
			v         imagesvc.RootFSView
			img, m, c string
			created   int64
			ro        int
		)
		if err := rows.Scan(&v.Key, &img, &m, &c, &created, &ro); err != nil {
			return err
		}
		v.Image, v.Manifest, v.ChainID = digest.Digest(img), digest.Digest(m), digest.Digest(c)
		v.Created, v.ReadOnly = time.Unix(0, created), ro != 0
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return out, nil
}

// RemoveRootFS implements [imagesvc.RootFSPreparer]: the view's row and snapshot go,
// then the layers no image or view uses.
func (s *Store) RemoveRootFS(ctx context.Context, key string) error {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	snap, err := s.viewSnapshot(ctx, key)
	if err != nil {
		return err
	}
	if err := s.snaps.sn.Remove(ctx, snap); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("view %q: %w", key, err)
	}
	// The snapshot is gone: the row goes too, whatever the caller's context says.
	ctx = context.WithoutCancel(ctx)
	if err := s.deleteViewRow(ctx, key); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if err := s.gcSnapshots(ctx); err != nil {
		// The view is removed; a retry would find nothing. Its layers go at the next
		// collection.
		s.log.Warn("removing the unpacked layers no image or view uses", "error", err)
	}
	return nil
}

// viewContainers returns the views as the stopped containers Remove and Prune see: an
// image a view was prepared from cannot be deleted unless forced.
func (s *Store) viewContainers(ctx context.Context, q querier) ([]imagesvc.Container, error) {
	vs, err := s.views(ctx, q)
	if err != nil {
		return nil, err
	}
	return model.ViewContainers(vs), nil
}

// viewsAt is the views as the catalog had them at a generation of viewsGen.
type viewsAt struct {
	gen   uint64
	views []imagesvc.RootFSView
}

// currentViews returns the views, read again only after a write of views (they count
// as containers in list and inspect: model.AddViewUsage).
func (s *Store) currentViews(ctx context.Context) ([]imagesvc.RootFSView, error) {
	gen := s.viewsGen.Load()
	if v := s.viewsCache.Load(); v != nil && v.gen == gen {
		return v.views, nil
	}
	// Read after gen: a view committed before its bump is read here and kept under the
	// older generation, which its bump then replaces.
	vs, err := s.views(ctx, s.rdb)
	if err != nil {
		return nil, err
	}
	s.viewsCache.Store(&viewsAt{gen: gen, views: vs})
	return vs, nil
}

// writeViews runs fn, a write of view rows, as a write to the catalog: ListVersion does
// not answer while it runs, and the generation changes when it commits (views count as
// containers in lists).
func (s *Store) writeViews(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer s.beginWrite()()
	err := inTx(ctx, s.wdb, fn)
	if err == nil {
		s.viewsGen.Add(1)
		s.gen.Add(1)
	}
	return err
}

// gcSnapshots removes the snapshots no image, no view and no operation in progress uses,
// top down (a snapshot with children is removed after them): committed chains that no
// image of the catalog has and that are under no view, and active snapshots without a
// catalog row. Pinned snapshots (see snapshotState) and their parents stay, and so do
// the extraction snapshots of unpacks in progress, except at Open (atOpen), where they
// are what a crash left.
func (s *Store) gcSnapshots(ctx context.Context) error { return s.collectSnapshots(ctx, false) }

func (s *Store) collectSnapshots(ctx context.Context, atOpen bool) error {
	st := s.snaps
	st.collect.Lock()
	defer st.collect.Unlock()
	st.mu.Lock()
	st.released = map[string]bool{}
	st.undoomed = make(chan struct{})
	st.mu.Unlock()
	again := false // a chain was kept only because it was unpinned meanwhile
	defer func() {
		st.mu.Lock()
		st.released, st.doomed = nil, nil
		close(st.undoomed)
		again = again && st.collectAgain != nil
		if again {
			st.recollecting++
		}
		st.mu.Unlock()
		if again {
			st.collectAgain()
		}
	}()
	used := map[string]bool{}
	err := queryEach(ctx, s.wdb, `SELECT chain FROM image_chains UNION SELECT chain FROM rootfs_views
		UNION SELECT coalesce(snapshot, key) FROM rootfs_views`, nil, func(rows *sql.Rows) error {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		used[c] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	infos := map[string]snapshots.Info{}
	if err := s.walkSnapshots(ctx, func(info snapshots.Info) {
		infos[info.Name] = info
	}); err != nil {
		return fmt.Errorf("snapshotter: %w", err)
	}
	keep := map[string]bool{}
	keepUnder := func(name string) {
		for n := name; n != "" && !keep[n]; n = infos[n].Parent {
			keep[n] = true
		}
	}
	for name := range infos {
		if used[name] || (!atOpen && rootfs.IsExtractKey(name)) {
			keepUnder(name)
		}
	}
	if st.beforeDoom != nil {
		st.beforeDoom()
	}
	// What is pinned stays; the spares of the pool whose chain stays are kept, the
	// others go (and those no pool holds: left by an earlier process). What goes is
	// doomed, under the same lock: it can no longer be pinned until it is gone.
	st.mu.Lock()
	for name := range infos {
		if st.pins[name] > 0 || st.released[name] {
			// A committed chain kept only for its pin is collected again once unpinned,
			// and one kept only because it was unpinned since the catalog was read, once
			// this collection ends: the operation may not have recorded it (a spare's
			// chain, a failed unpack's). A view's or spare's snapshot in the making is
			// undone by its operation when that fails.
			if !keep[name] && infos[name].Kind == snapshots.KindCommitted {
				if st.pins[name] > 0 {
					if st.blocked == nil {
						st.blocked = map[string]bool{}
					}
					st.blocked[name] = true
				} else {
					again = true
				}
			}
			keepUnder(name)
		}
	}
	for chain, key := range st.spares {
		if keep[chain.String()] && infos[key].Parent == chain.String() {
			keep[key] = true
		} else {
			delete(st.spares, chain)
		}
	}
	st.doomed = map[string]bool{}
	for name := range infos {
		if !keep[name] {
			st.doomed[name] = true
		}
	}
	st.mu.Unlock()
	var errs []error
	removed := 0
	for {
		children := map[string]int{}
		for _, info := range infos {
			if info.Parent != "" {
				children[info.Parent]++
			}
		}
		progress := false
		for name := range infos {
			if keep[name] || children[name] > 0 {
				continue
			}
			if err := s.snaps.sn.Remove(ctx, name); err != nil && !errdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("removing snapshot %q: %w", name, err))
				keep[name] = true
				continue
			}
			delete(infos, name)
			removed++
			progress = true
		}
		if !progress {
			break
		}
	}
	if removed > 0 {
		s.log.Debug("removed snapshots no image or view uses", "count", removed)
	}
	return errors.Join(errs...)
}

// cleanupSnapshots runs at Open: what a crash left (extraction snapshots, views whose
// row is missing) and the chains of images deleted are removed; rows of views whose
// snapshot is gone are deleted.
func (s *Store) cleanupSnapshots(ctx context.Context) error {
	present := map[string]bool{}
	extracts := 0
	if err := s.walkSnapshots(ctx, func(info snapshots.Info) {
		present[info.Name] = true
		if rootfs.IsExtractKey(info.Name) {
			extracts++
		}
	}); err != nil {
		return fmt.Errorf("snapshotter: %w", err)
	}
	var gone []string // views whose snapshot is missing
	err := queryEach(ctx, s.wdb, `SELECT key, coalesce(snapshot, key) FROM rootfs_views`, nil, func(rows *sql.Rows) error {
		var key, snap string
		if err := rows.Scan(&key, &snap); err != nil {
			return err
		}
		if !present[snap] {
			gone = append(gone, key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	for _, key := range gone {
		s.log.Warn("removing the record of a view whose snapshot is gone", "key", key)
		if _, err := s.wdb.ExecContext(ctx, `DELETE FROM rootfs_views WHERE key = ?`, key); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
	}
	if extracts > 0 {
		s.log.Info("removing unfinished unpacks of an earlier process", "count", extracts)
	}
	return s.collectSnapshots(ctx, true)
}

// chainUsage returns the disk usage of the snapshot of chain (its own layer, without its
// parents), and whether it is unpacked.
func (s *Store) chainUsage(ctx context.Context, chain digest.Digest) (int64, bool) {
	info, err := s.snaps.sn.Stat(ctx, chain.String())
	if err != nil || info.Kind != snapshots.KindCommitted {
		return 0, false
	}
	u, err := s.snaps.sn.Usage(ctx, chain.String())
	if err != nil {
		return 0, false
	}
	return u.Size, true
}

// walkSnapshots calls fn for every snapshot (none before the first was created: the
// snapshotter's metadata store then answers NotFound).
func (s *Store) walkSnapshots(ctx context.Context, fn func(snapshots.Info)) error {
	err := s.snaps.sn.Walk(ctx, func(_ context.Context, info snapshots.Info) error {
		fn(info)
		return nil
	})
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}
