package containerd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	client "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/identifiers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/flight"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/pull"
)

// Defaults for the zero values of [Options].
const (
	// DefaultNamespace is the containerd namespace used when Options.Namespace is empty.
	// Docker Engine 29 stores its images in the namespace "moby".
	DefaultNamespace = "default"
	// DefaultSnapshotter is the snapshotter used when Options.Snapshotter is empty.
	DefaultSnapshotter = "overlayfs"
	// DefaultFillConcurrency bounds the images described at the same time when the cache
	// is filled, when Options.FillConcurrency is zero.
	DefaultFillConcurrency = 16

	defaultConcurrency   = 3
	defaultMaxImportSize = 8 << 30
)

// Options configures a [Store]. Only one of Address and Client is needed; every other
// field has a useful zero value.
type Options struct {
	// Address is the containerd socket ("/run/containerd/containerd.sock"). It is used
	// when Client is nil; the Store then owns its connection and Close closes it.
	Address string

	// Client is an existing containerd client to use instead of dialling Address. The
	// Store does not close it. Its default namespace does not matter: every call names
	// Namespace explicitly.
	Client *client.Client

	// DialOptions are added to the gRPC dial options when the Store dials Address
	// (interceptors, for example). They are ignored with Client.
	DialOptions []grpc.DialOption

	// Namespace is the containerd namespace that holds the images; "" means
	// [DefaultNamespace]. "moby" reads and writes what Docker Engine 29 stores.
	Namespace string

	// Snapshotter is the snapshotter images are unpacked into and whose disk usage is
	// reported as their unpacked size; "" means [DefaultSnapshotter].
	Snapshotter string

	// HostsDir is a directory in containerd's hosts.toml layout (HostsDir/<host>/hosts.toml)
	// that configures registry hosts: mirrors, plain-HTTP registries, CA files, client
	// certificates. "" uses each registry's default endpoint over HTTPS. Unless LocalPull
	// is set, containerd 2.x daemons read it too, at the same (absolute) path.
	HostsDir string

	// Insecure lists registry hosts ("localhost:5000") that may be reached over plain HTTP.
	// It adds to HostsDir.
	Insecure []string

	// LocalPull makes pulls fetch every blob through this process and stream it into
	// containerd. By default, when the daemon is containerd 2.x, the layers are fetched
	// by the daemon's transfer service instead (as `ctr pull` does), which moves each byte
	// once instead of twice; the daemon then reads HostsDir itself and connects to the
	// registries from its own network. Set LocalPull when the daemon cannot do that (it
	// runs on another host or in another mount or network namespace).
	LocalPull bool

	// Platform is the host's platform: pulled when a request names none, given to imported
	// images when the request names none, and preferred when choosing the "best" manifest
	// of a multi-platform image for List and Inspect. The zero value means the platform
	// this program runs on.
	Platform ocispec.Platform

	// Concurrency bounds the layers one pull downloads at the same time; 0 means 3, as
	// Docker's max-concurrent-downloads.
	Concurrency int

	// FillConcurrency bounds the images described at the same time when the list cache is
	// filled (the first List, or after the event stream was lost); 0 means
	// [DefaultFillConcurrency].
	FillConcurrency int

	// MaxImportSize bounds the bytes an import reads from its source, as sent and once
	// decompressed. An import over the bound fails with class ResourceExhausted (the HTTP
	// adapter answers 413) and stores nothing. 0 means 8 GiB; a negative value means no
	// bound.
	MaxImportSize int64

	// AllowURLImport lets Import fetch its archive from a URL (fromSrc=<URL>). It is off
	// by default; imports from a URL then fail with class PermissionDenied.
	AllowURLImport bool

	// HTTPClient fetches URL imports; nil means http.DefaultClient.
	HTTPClient *http.Client

	// Usage tells which containers use which images; it fills Summary.Containers and
	// ImageData.Containers. When it also implements [imagesvc.ContainerLister], Remove
	// and Prune apply Docker's container rules to its containers; otherwise they see no
	// containers. nil means containerd's own container records are used: a container
	// counts for the image its Image field names, on the manifest that image's best
	// platform selects, and runs while its task runs (or is paused).
	Usage imagesvc.UsageProvider

	// Logger receives operational messages (lost event streams, unreadable content).
	// Credentials are never logged. nil discards them.
	Logger *slog.Logger

	// EventsBuffered is the number of live events WatchEvents holds for one watcher whose
	// callback has not taken them; a watcher that falls further behind is dropped. 0 means
	// [imagesvc.EventsBuffered]; tests set a small one.
	EventsBuffered int
}

// Store serves Docker's image endpoints from a containerd daemon's image store. It
// implements [imagesvc.Service] and is safe for concurrent use. Close it to stop its
// event subscription and release its connection.
type Store struct {
	opts        Options
	client      *client.Client
	ownClient   bool
	ns          string
	snapshotter string
	platform    ocispec.Platform
	log         *slog.Logger

	puller   *pull.Puller
	pulls    flight.Group[[]imagesvc.PulledImage]
	transfer bool   // layers are pulled through the daemon's transfer service
	hostsDir string // Options.HostsDir made absolute, for the transfer service

	cache         *cache
	events        *eventLoop
	watch         *imageWatch
	versions      *listVersions // ListVersion's generation (version.go)
	describeGroup singleflight.Group
	names         nameCache

	writes     chan struct{} // a token: held by whatever changes image records (see lockWrites)
	viewMu     sync.Mutex    // serializes creating and removing views (rootfs.go)
	viewsLease atomic.Bool   // the namespace's views lease was seen (rootfs.go)
	pruneGate  model.PruneGate

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup
}

var _ imagesvc.Service = (*Store)(nil)

// New connects to containerd (opts.Address, or opts.Client) and returns a Store over the
// images of opts.Namespace. It checks that the daemon answers and starts following its
// events; the list cache fills on the first List. Errors: InvalidArgument for
// inconsistent options, Unavailable when the daemon cannot be reached.
func New(ctx context.Context, opts Options) (*Store, error) {
	s := &Store{opts: opts, ns: opts.Namespace, snapshotter: opts.Snapshotter, platform: opts.Platform, log: opts.Logger,
		writes: make(chan struct{}, 1)}
	if s.ns == "" {
		s.ns = DefaultNamespace
	}
	if err := identifiers.Validate(s.ns); err != nil {
		return nil, fmt.Errorf("containerd store: namespace %q: %w", s.ns, errdefs.ErrInvalidArgument)
	}
	if s.snapshotter == "" {
		s.snapshotter = DefaultSnapshotter
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.platform.OS == "" && s.platform.Architecture == "" {
		s.platform = platforms.DefaultSpec()
	}
	s.platform = platforms.Normalize(s.platform)
	concurrency := opts.Concurrency
	if concurrency == 0 {
		concurrency = defaultConcurrency
	}
	p, err := pull.New(pull.Options{
		HostsDir:    opts.HostsDir,
		Insecure:    opts.Insecure,
		Concurrency: concurrency,
		Platform:    s.platform,
		Logger:      s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("containerd store: %w", err)
	}
	s.puller = p

	switch {
	case opts.Client != nil:
		s.client = opts.Client
	case opts.Address != "":
		c, err := client.New(opts.Address, client.WithDefaultNamespace(s.ns),
			client.WithExtraDialOpts(opts.DialOptions), client.WithTimeout(10*time.Second))
		if err != nil {
			return nil, fmt.Errorf("containerd store: connecting to %s: %v: %w", opts.Address, err, errdefs.ErrUnavailable)
		}
		s.client, s.ownClient = c, true
	default:
		return nil, fmt.Errorf("containerd store: neither Address nor Client is set: %w", errdefs.ErrInvalidArgument)
	}
	cctx, cancel := context.WithTimeout(s.nsContext(ctx), 15*time.Second)
	defer cancel()
	if ok, err := s.client.IsServing(cctx); err != nil || !ok {
		s.release()
		if err == nil {
			err = errors.New("not serving")
		}
		return nil, fmt.Errorf("containerd store: containerd at %s: %v: %w", opts.Address, err, errdefs.ErrUnavailable)
	}
	if s.transfer = !opts.LocalPull && s.hasTransfer(cctx); s.transfer && opts.HostsDir != "" {
		// The daemon resolves a relative path against its own directory.
		if s.hostsDir, err = filepath.Abs(opts.HostsDir); err != nil {
			s.release()
			return nil, fmt.Errorf("containerd store: hosts directory %q: %v: %w", opts.HostsDir, err, errdefs.ErrInvalidArgument)
		}
	}
	if s.transfer {
		s.removePullRecords(cctx)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cache = newCache()
	s.versions = newListVersions()
	s.events = newEventLoop(s)
	s.watch = newImageWatch(s)
	s.events.start()
	s.watch.start()
	// Give the subscription a moment, so that the first List already fills the cache.
	s.events.waitLive(ctx, 2*time.Second)
	return s, nil
}

// Namespace returns the containerd namespace the Store works in.
func (s *Store) Namespace() string { return s.ns }

// Snapshotter returns the snapshotter the Store unpacks into.
func (s *Store) Snapshotter() string { return s.snapshotter }

// Client returns the containerd client the Store uses.
func (s *Store) Client() *client.Client { return s.client }

// Close stops the event subscription, cancels the pulls and imports in progress and waits
// for them, and closes the connection if the Store dialled it. Operations started after
// Close fail with class Unavailable. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.events.stop()
	s.watch.stop()
	s.wg.Wait()
	return s.release()
}

func (s *Store) release() error {
	if s.ownClient && s.client != nil {
		return s.client.Close()
	}
	return nil
}

// nsContext returns ctx with the Store's namespace.
func (s *Store) nsContext(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, s.ns)
}

// begin registers an operation that must end before Close returns. The returned context
// carries the namespace and is also cancelled when the Store closes; done must be called
// when the operation ends.
func (s *Store) begin(ctx context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, errdefs.ErrUnavailable.WithMessage("containerd store: closed")
	}
	s.wg.Add(1)
	ctx, cancel := context.WithCancel(s.nsContext(ctx))
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		s.wg.Done()
	}, nil
}

// lockWrites serializes the Store's changes to image records: Remove, Tag and Prune hold
// it for their whole operation, so that each sees the records as only its own changes
// leave them (changes made behind the Store's back by other clients are not held off);
// pulls and imports hold it while they name their image. It first reports the changes
// other clients made before it (see [imageWatch]). It returns the function that releases
// it, or the context's error. ctx carries the namespace. Holding it is a write in progress
// for ListVersion (see [listVersions.beginWrite]); releasing it ends the write.
func (s *Store) lockWrites(ctx context.Context) (func(), error) {
	unlock, err := s.takeWrites(ctx)
	if err != nil {
		return nil, err
	}
	end := s.versions.beginWrite()
	s.watch.settle(ctx)
	return func() {
		end()
		unlock()
	}, nil
}

// takeWrites takes the token of lockWrites, and nothing else.
func (s *Store) takeWrites(ctx context.Context) (func(), error) {
	select {
	case s.writes <- struct{}{}:
		return func() { <-s.writes }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ctxErr returns the context's error when ctx has ended, so that callers report
// cancellation rather than the failure it caused.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}
