package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/flight"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/pull"
)

// Options configures a [Store]. The zero value is usable: host platform, registries over
// HTTPS with the system's roots, no URL imports, no container usage, no logging.
type Options struct {
	// HostsDir is a directory in containerd's hosts.toml layout (HostsDir/<host>/hosts.toml)
	// that configures registry hosts: mirrors, plain-HTTP registries, CA files, client
	// certificates. "" uses each registry's default endpoint over HTTPS.
	HostsDir string

	// Insecure lists registry hosts ("localhost:5000", "10.0.0.1") that may be reached over
	// plain HTTP, or over HTTPS without verifying their certificate. It adds to HostsDir.
	Insecure []string

	// Platform is the host's platform: pulled when a request names none, given to imported
	// images when the request names none, and preferred when choosing the "best" manifest of
	// a multi-platform image for List and Inspect. The zero value means the platform this
	// program runs on (containerd's platforms.DefaultSpec).
	Platform ocispec.Platform

	// Concurrency bounds the layers one pull downloads at the same time. 0 means 3, as
	// Docker's max-concurrent-downloads.
	Concurrency int

	// MaxImportSize bounds the bytes an import reads from its source, as sent and once
	// decompressed. An import over the bound fails with class ResourceExhausted (the
	// HTTP adapter answers 413) and stores nothing. 0 means 8 GiB; a negative value
	// means no bound.
	MaxImportSize int64

	// AllowURLImport lets Import fetch its archive from a URL (fromSrc=<URL>). It is off by
	// default, since it makes the server fetch arbitrary URLs; imports from a URL then fail
	// with class PermissionDenied.
	AllowURLImport bool

	// HTTPClient fetches URL imports. nil means a client with a 30 second connection
	// timeout and no overall timeout.
	HTTPClient *http.Client

	// Usage tells which containers use which images; it fills Summary.Containers and
	// ImageData.Containers. nil means no image is in use.
	Usage imagesvc.UsageProvider

	// Logger receives operational messages (cleanup at Open, failed background work),
	// and, at debug level, what containerd's libraries report about the store: the lines
	// of pulls, and the fsverity check of the content store at Open, which containerd
	// writes through its process-wide logger (routed by path: the first Open wraps the
	// formatter of logrus's standard logger, and lines about other paths keep it).
	// Credentials are never logged. nil discards them.
	Logger *slog.Logger

	// Now is the clock for record times (image creation in the catalog, name updates, the
	// until filter). nil means time.Now.
	Now func() time.Time

	// ResumeGrace is how long Open keeps what an earlier process left behind when it
	// stopped without closing the store (a crash, kill -9): complete blobs that no image
	// references and unfinished downloads. A pull of the same image within that time
	// reuses the blobs, each verified against its digest when it was committed, and
	// resumes the downloads where they stopped, so that it fetches only what was missing.
	// Once the time has passed, whatever no image references and no operation uses is
	// deleted. 0 means 1 hour; a negative value deletes it all at Open.
	ResumeGrace time.Duration

	// ReadConnections is the size of the pool of read-only connections that serve List and
	// Inspect. 0 means the number of CPUs, at least 4.
	ReadConnections int

	// Snapshotter chooses the containerd snapshotter (embedded as a library) that holds
	// the unpacked layers and the views of RootFSPreparer, under root/snapshots/<name>:
	// [SnapshotterOverlay] ("overlayfs"), [SnapshotterNative] ("native"), or "" for
	// overlayfs when the kernel supports it on the root's filesystem, native otherwise.
	Snapshotter string

	// LazyUnpack unpacks an image's layers on its first PrepareRootFS instead of when it
	// is pulled, imported or loaded (Docker's behaviour, the default). It is set for a
	// process that is not root, which cannot mount the snapshots to apply layers. Until then, the
	// unpacked sizes that list, inspect and df report are computed from the layers' tar
	// headers.
	LazyUnpack bool

	// EventsBuffered is the number of live events WatchEvents holds for one watcher whose
	// callback has not taken them; a watcher that falls further behind is dropped. 0 means
	// [imagesvc.EventsBuffered]; tests set a small one.
	EventsBuffered int

	// NoSpareViews turns off the spare snapshots PrepareRootFS keeps ready, one per chain
	// a writable view was prepared on, prepared in the background so that the next
	// writable prepare on the chain only writes a catalog row (about 1 ms instead of the
	// snapshotter's metadata commit, two fsyncs). A spare is an empty directory pair
	// with overlayfs, and shows as one more directory under SnapshotsDir (see
	// [Store.SnapshotCount]). With the native snapshotter, where a spare would be a full
	// copy of the layers, there are none whatever this says.
	NoSpareViews bool
}

// Defaults for the zero values of Options.
const (
	defaultConcurrency   = 3
	defaultMaxImportSize = 8 << 30
	defaultResumeGrace   = time.Hour
)

// Store is an image store in one directory: a SQLite catalog and a containerd content
// store. It implements [imagesvc.Service] and is safe for concurrent use. Close it to
// release its files.
type Store struct {
	root     string
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	platform ocispec.Platform

	lock *os.File
	wdb  *sql.DB // one connection, immediate transactions
	// order is held by each catalog write that publishes events, from before its
	// transaction until its events are published, so that events come in the order of
	// the commits (a watcher that follows a name ends on the name's final target).
	order sync.Mutex
	rdb   *sql.DB // read-only pool

	content      *labeledStore
	httpClient   *http.Client // URL imports
	labels       *labelStore
	cache        *cache
	detailsCache detailsCache
	queries      queryCache
	gen          atomic.Uint64           // bumped after every committed write to the catalog
	writing      atomic.Int64            // catalog writes between their start and their gen bump (ListVersion)
	viewsGen     atomic.Uint64           // bumped after every committed write of views
	viewsCache   atomic.Pointer[viewsAt] // the views at a viewsGen (rootfs.go currentViews)
	epoch        string                  // random, per Open: the generation's scope (ListVersion)

	// ctx is cancelled by Close; every operation in flight derives from it.
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex  // orders Close against begin's wg.Add
	closed atomic.Bool // set by Close
	wg     sync.WaitGroup

	puller *pull.Puller
	pulls  flight.Group[[]imagesvc.PulledImage]
	leases leases

	sweepMu sync.Mutex      // one sweep (garbage collection of everything) at a time
	prunes  model.PruneGate // one prune at a time

	events *eventlog.Log // this store's image events (WatchEvents)

	snaps *snapshotState // unpacked layers and views (rootfs.go)
}

var _ imagesvc.Service = (*Store)(nil)

// Open opens the store rooted at root, creating it if needed: it takes the root's lock
// (one Store per root at a time, across processes), opens or creates the catalog and
// migrates its schema, opens the content store, and cleans what an earlier process may
// have left behind (unfinished downloads, blobs no image references), keeping for
// [Options.ResumeGrace] what a pull can resume from. It fails with class
// Unavailable when another Store holds the root.
func Open(root string, opts Options) (*Store, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	s := &Store{root: root, opts: opts, log: opts.Logger, now: opts.Now, platform: opts.Platform, epoch: rand.Text(),
		events: eventlog.New(eventlog.Options{Buffered: opts.EventsBuffered})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.platform.OS == "" && s.platform.Architecture == "" {
		s.platform = platforms.DefaultSpec()
	}

	ok := false
	defer func() {
		if !ok {
			if s.cancel != nil {
				s.cancel()
				s.wg.Wait()
			}
			s.release()
		}
	}()
	if s.lock, err = lockRoot(filepath.Join(root, "LOCK")); err != nil {
		return nil, err
	}
	if err := s.openCatalog(); err != nil {
		return nil, err
	}
	s.labels = &labelStore{db: s.wdb, rdb: s.rdb}
	if s.content, err = newLabeledStore(filepath.Join(root, "content"), s.labels, s.log); err != nil {
		return nil, fmt.Errorf("sqlite store: content store: %w", err)
	}
	// The local store creates blobs/ on the first commit, and fails to Walk without it.
	if err := os.MkdirAll(filepath.Join(root, "content", "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite store: content store: %w", err)
	}
	if err := s.openSnapshotter(); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	s.cache = newCache()
	if s.httpClient = opts.HTTPClient; s.httpClient == nil {
		s.httpClient = defaultHTTPClient()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.cleanup(s.ctx); err != nil {
		return nil, fmt.Errorf("sqlite store: cleaning up: %w", err)
	}
	if err := s.cleanupSnapshots(s.ctx); err != nil {
		return nil, fmt.Errorf("sqlite store: cleaning up snapshots: %w", err)
	}
	if err := s.initPuller(); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// openCatalog opens the writer connection, migrates the schema, then opens the read pool.
func (s *Store) openCatalog() error {
	path := filepath.Join(s.root, "catalog.db")
	uri := "file:" + escapeURIPath(path)
	var err error
	s.wdb, err = sql.Open("sqlite3", uri+
		"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_txlock=immediate&_foreign_keys=1&_stmt_cache_size=32")
	if err != nil {
		return fmt.Errorf("sqlite store: opening catalog: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	if err := migrate(context.Background(), s.wdb); err != nil {
		return fmt.Errorf("sqlite store: catalog %s: %w", path, err)
	}
	n := s.opts.ReadConnections
	if n <= 0 {
		n = max(4, runtime.NumCPU())
	}
	s.rdb, err = sql.Open("sqlite3", uri+"?mode=ro&_busy_timeout=10000&_query_only=1&_stmt_cache_size=32")
	if err != nil {
		return fmt.Errorf("sqlite store: opening catalog: %w", err)
	}
	s.rdb.SetMaxOpenConns(n)
	s.rdb.SetMaxIdleConns(n)
	s.rdb.SetConnMaxLifetime(0)
	s.rdb.SetConnMaxIdleTime(0)
	return nil
}

// escapeURIPath escapes the characters that would end the path of a SQLite URI filename.
func escapeURIPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(p))
}

// Close cancels the pulls and imports in progress, waits for them to return, and releases
// the catalog, the content store and the root's lock. Operations started after Close fail
// with class Unavailable. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closed.Store(true)
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.release()
}

// release closes whatever Open managed to open.
func (s *Store) release() error {
	var errs []error
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.httpClient != nil && s.opts.HTTPClient == nil {
		s.httpClient.CloseIdleConnections()
	}
	if s.snaps != nil {
		errs = append(errs, s.snaps.sn.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// begin registers an operation that must end before Close returns. The returned context
// is ctx, also cancelled when the store closes; done must be called when the operation
// ends.
func (s *Store) begin(ctx context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, nil, errClosed
	}
	s.wg.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		s.wg.Done()
	}, nil
}

// errClosed is the error of every operation on a closed store.
var errClosed = errdefs.ErrUnavailable.WithMessage("sqlite store: closed")

// checkOpen fails with errClosed once the store is closed.
func (s *Store) checkOpen() error {
	if s.closed.Load() {
		return errClosed
	}
	return nil
}

// Content returns the store's content store: containerd's local store with its labels in
// the catalog. Blobs written through it are not part of any image until a pull or an
// import records one. Blobs and unfinished writes that no image references are garbage:
// Open deletes them all, and while the store runs, garbage collection may delete them
// after a remove, a prune or a failed operation that looked at them, and when a write
// finds the disk full (the sweep deletes every one that no pull or import in progress
// uses).
func (s *Store) Content() content.Store { return s.content }
