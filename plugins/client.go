package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/hashicorp/go-plugin"
	"github.com/opencontainers/go-digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// Options configure [Open] and [OpenInProcess]. The zero value is ready to use.
type Options struct {
	// Args are the arguments of the plugin program, without the program's name: how to
	// configure the backend it serves is the plugin's business (examples/plugin-sqlite
	// takes --root, --hosts-dir, --platform, ...).
	Args []string
	// Env is added to the plugin's environment, which is otherwise the host's.
	Env []string
	// Checksum, when set, is the SHA-256 of the plugin binary: a binary that does not
	// match is not started (checked at every launch).
	Checksum []byte
	// StartTimeout bounds a launch, from starting the process to the end of the
	// handshake; 0 means 30 seconds.
	StartTimeout time.Duration
	// Usage tells the plugin which containers use which images; the plugin reaches it
	// through [HostUsage]. Nil means no containers.
	Usage imagesvc.UsageProvider
	// Logger receives go-plugin's logs and the plugin's own (its standard error, with the
	// levels it logged them at), with the attribute plugin=<path>. Nil discards them. The
	// plugin is asked ([LogLevelEnv]) not to send what Logger would drop.
	Logger *slog.Logger
	// MinRestartDelay and MaxRestartDelay bound the delay before relaunching a plugin that
	// keeps failing: the first relaunch after a crash is immediate, each further
	// consecutive failure doubles the delay from MinRestartDelay up to MaxRestartDelay.
	// 0 means 100 milliseconds and 30 seconds.
	MinRestartDelay time.Duration
	// MaxRestartDelay: see MinRestartDelay.
	MaxRestartDelay time.Duration
}

func (o Options) withDefaults() Options {
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.MinRestartDelay <= 0 {
		o.MinRestartDelay = 100 * time.Millisecond
	}
	if o.MaxRestartDelay <= 0 {
		o.MaxRestartDelay = 30 * time.Second
	}
	if o.MaxRestartDelay < o.MinRestartDelay {
		o.MaxRestartDelay = o.MinRestartDelay
	}
	return o
}

// Errors of a launch. They are wrapped with the plugin's path, the details, and an
// errdefs class ([Open] returns them as they are; a relaunch during a call returns them
// with class Unavailable).
var (
	// ErrNotPlugin: the program is not an imageapi plugin (it exited, or wrote something
	// else than go-plugin's handshake, or speaks go-plugin's net/rpc).
	ErrNotPlugin = errors.New("not an imageapi plugin")
	// ErrProtocolVersion: the plugin serves a version of the protocol this host does not
	// speak.
	ErrProtocolVersion = errors.New("incompatible plugin protocol version")
	// ErrStartTimeout: the plugin did not complete the handshake within
	// [Options.StartTimeout].
	ErrStartTimeout = errors.New("plugin start timed out")
	// ErrChecksum: the binary does not match [Options.Checksum].
	ErrChecksum = errors.New("plugin checksum mismatch")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("plugin client closed")
)

// launchError is the error of a failed launch: its text, the sentinel it is, and a class.
type launchError struct {
	msg      string
	sentinel error
	class    error
}

func (e *launchError) Error() string   { return e.msg }
func (e *launchError) Unwrap() []error { return []error{e.sentinel, e.class} }

// withClass returns err with its class replaced, for launches during calls.
func withClass(err error, class error) error {
	var le *launchError
	if errors.As(err, &le) {
		return &launchError{msg: le.msg, sentinel: le.sentinel, class: class}
	}
	return fmt.Errorf("%w: %w", err, class)
}

// Client is the host's side of a plugin, as [Open] and [OpenInProcess] return it: an
// [imagesvc.Service] served by a plugin process, with exactly the optional capabilities
// the plugin announced when it was opened ([Capabilities]): a host finds them with
// [imagesvc.As] (imagesvc.As[imagesvc.EventWatcher](svc)), and an HTTP host answers 501
// for the others. The first nine are also in the Client's method set, so that a type
// assertion (svc.(imagesvc.Remover)) finds them too; those after the ninth are found with
// imagesvc.As only. A
// plugin written before capabilities existed announces none.
//
// It launches the plugin on Open, and again, lazily and with backoff, on the first call
// after the process died. Calls in progress when the process dies fail with class
// Unavailable. The capabilities are fixed at Open: a relaunched process is expected to
// announce the same ones (it is the same program); if it announces fewer, the calls of
// the capabilities it lacks fail with class NotImplemented until it is opened again, and
// those it adds are ignored. It is safe for concurrent use.
type Client interface {
	imagesvc.Service
	// Info describes the plugin process currently running; while none is (after a
	// crash, before the next call relaunches it), only Path and ProtocolVersion are set.
	Info() Info
	// Close stops the plugin process and waits for it to exit. Calls in progress fail
	// with class Unavailable; later calls fail with [ErrClosed]. Close is idempotent.
	Close() error
	// As makes every Client an [imagesvc.CapabilityProvider]: it hands out the optional
	// capabilities the plugin announced ([Capabilities]), the first nine (also in the
	// Client's method set) and those after them (found with [imagesvc.As] only, such as
	// [imagesvc.EventWatcher], [imagesvc.DiskUsager] and [imagesvc.RootFSPreparer]), and
	// reports false for the others.
	As(target any) bool
	// ListVersion makes every Client an [imagesvc.ListVersioner], whatever its
	// capabilities: the version of the plugin's backend, with which an HTTP host labels
	// its answers to lists and inspects with ETags. It fails with class NotImplemented
	// when the plugin cannot tell (listversion.go); the host then sends no ETag.
	ListVersion(ctx context.Context) (string, error)
	// ListVersionOmitsUsage makes every Client an [imagesvc.UsageOmitter]: with
	// Options.Usage set, the plugin's versions leave out the host's containers, which the
	// host versions itself (httpadapter's Options.UsageVersion).
	ListVersionOmitsUsage() bool
}

// client is the implementation of every [Client]: withCapabilities (capabilities_gen.go)
// gives it the capabilities the plugin announced.
type client struct {
	path   string
	opts   Options
	logger *slog.Logger
	launch func() (*instance, error)
	caps   Capabilities // announced by the first process, fixed for the client's life

	failures atomic.Int32  // consecutive failures; reset by a successful call
	launches atomic.Uint64 // instances connected so far: the seq of the last one

	mu       sync.Mutex
	cur      *instance
	starting *launchWait
	retryAt  time.Time
	closed   bool
	killing  sync.WaitGroup // instances being stopped
}

var (
	_ Client                 = (*client)(nil)
	_ imagesvc.ListVersioner = Client(nil)
	_ imagesvc.Remover       = (*client)(nil)
	_ imagesvc.Tagger        = (*client)(nil)
	_ imagesvc.Pruner        = (*client)(nil)
	_ imagesvc.Historian     = (*client)(nil)

	_ imagesvc.RegistryAuthenticator = (*client)(nil)
	_ imagesvc.DistributionInspector = (*client)(nil)
	_ imagesvc.Saver                 = (*client)(nil)
	_ imagesvc.Loader                = (*client)(nil)
	_ imagesvc.Pusher                = (*client)(nil)
	_ imagesvc.EventWatcher          = (*client)(nil)
	_ imagesvc.DiskUsager            = (*client)(nil)
	_ imagesvc.CapabilityProvider    = Client(nil)
)

// As implements [imagesvc.CapabilityProvider]: the capabilities the plugin announced
// when the client was opened, served by the client.
func (c *client) As(target any) bool {
	return provideCapability(target, c.caps, c)
}

// launchWait lets concurrent callers share one launch.
type launchWait struct {
	done chan struct{}
	err  error
}

// instance is one launched plugin process (or in-process server) and its connection.
type instance struct {
	pc   *plugin.Client
	conn *conn
	info Info
	lost atomic.Bool
	stop func() // extra cleanup after pc.Kill, may be nil
	seq  uint64 // the client's number of this instance, from 1 (part of ListVersion)
}

// Info describes the plugin a Client talks to.
type Info struct {
	// Path is the plugin program ("" for [OpenInProcess]).
	Path string
	// Name and Version are what the plugin says it is ([ServeOptions]).
	Name string
	// Version is the plugin's own version.
	Version string
	// ProtocolVersion is the negotiated protocol version.
	ProtocolVersion int
	// Capabilities are those the plugin process announced (none for a plugin written
	// before capabilities existed).
	Capabilities Capabilities
}

// Open launches the plugin program at path and returns a [Client] that serves
// [imagesvc.Service] through it, with the capabilities the plugin announces. It fails, naming the path, when the program is missing,
// does not match opts.Checksum, is not an imageapi plugin ([ErrNotPlugin]), speaks
// another protocol version ([ErrProtocolVersion], with both versions), or does not
// complete the handshake in time ([ErrStartTimeout]). ctx bounds only the launch; the
// process lives until Close.
//
// The plugin runs with go-plugin's automatic mutual TLS, the host's environment plus
// opts.Env, and its output sent to opts.Logger.
func Open(ctx context.Context, path string, opts Options) (Client, error) {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("plugins: %w", errdefs.ErrNotFound.WithMessage(err.Error()))
		}
		return nil, fmt.Errorf("plugins: %w", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, &launchError{msg: "plugins: " + path + " is not an executable program", sentinel: ErrNotPlugin, class: errdefs.ErrInvalidArgument}
	}
	c := newClient(path, opts)
	c.launch = c.launchProcess
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return withCapabilities(c, c.caps, c), nil
}

// OpenInProcess serves impl as [Serve] does, but in this process, and returns a [Client]
// connected to it through go-plugin and gRPC exactly as to a plugin process (on a Unix
// socket, without TLS). Plugin authors use it to test a backend across the protocol
// without building a binary; nothing is relaunched. opts.Args, Env, Checksum and the
// restart delays do not apply. The Client has the capabilities impl implements
// ([CapabilitiesOf]), as a plugin process serving it would announce them.
func OpenInProcess(ctx context.Context, impl imagesvc.Service, opts Options) (Client, error) {
	if impl == nil {
		return nil, errors.New("plugins: OpenInProcess needs a service")
	}
	c := newClient("", opts)
	c.launch = func() (*instance, error) { return c.launchInProcess(impl) }
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return withCapabilities(c, c.caps, c), nil
}

func newClient(path string, opts Options) *client {
	opts = opts.withDefaults()
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(discardHandler{})
	}
	if path != "" {
		logger = logger.With("plugin", path)
	} else {
		logger = logger.With("plugin", "in-process")
	}
	return &client{path: path, opts: opts, logger: logger}
}

// start is Open's first launch, whose errors keep their own class.
func (c *client) start(ctx context.Context) error {
	type result struct {
		inst *instance
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		inst, err := c.launch()
		ch <- result{inst, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		c.mu.Lock()
		c.cur = r.inst
		c.caps = r.inst.info.Capabilities
		c.mu.Unlock()
		return nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.inst != nil {
				r.inst.kill()
			}
		}()
		return fmt.Errorf("plugins: launching %s: %w", c.name(), ctx.Err())
	}
}

func (c *client) name() string {
	if c.path == "" {
		return "the in-process plugin"
	}
	return c.path
}

// Info implements [Client].
func (c *client) Info() Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil {
		return c.cur.info
	}
	return Info{Path: c.path, ProtocolVersion: ProtocolVersion}
}

// Close implements [Client].
func (c *client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.killing.Wait()
		return nil
	}
	c.closed = true
	inst := c.cur
	c.cur = nil
	starting := c.starting
	c.mu.Unlock()
	if starting != nil {
		<-starting.done // the launcher sees closed and stops what it started
	}
	if inst != nil {
		inst.kill()
	}
	c.killing.Wait()
	return nil
}

// acquire returns the running instance, launching one if there is none.
func (c *client) acquire(ctx context.Context) (*instance, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, c.closedError()
		}
		if inst := c.cur; inst != nil {
			if !inst.lost.Load() && !inst.pc.Exited() {
				c.mu.Unlock()
				return inst, nil
			}
			c.dropLocked(inst)
		}
		if w := c.starting; w != nil {
			c.mu.Unlock()
			select {
			case <-w.done:
				if w.err != nil {
					return nil, w.err
				}
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if wait := time.Until(c.retryAt); wait > 0 {
			retryAt := c.retryAt
			c.mu.Unlock()
			if dl, ok := ctx.Deadline(); ok && dl.Before(retryAt) {
				return nil, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf(
					"plugin %s failed %d times in a row; the next launch is in %s", c.name(), c.failures.Load(), wait.Round(time.Millisecond)))
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		// Launch in the background: the caller (and any other) waits as long as its context
		// lets it, and a launch that outlives them serves the next call.
		w := &launchWait{done: make(chan struct{})}
		c.starting = w
		c.mu.Unlock()
		go c.relaunch(w)
	}
}

// relaunch launches a new instance for acquire and publishes the result in w.
func (c *client) relaunch(w *launchWait) {
	c.logger.Info("relaunching the plugin", "failures", c.failures.Load())
	inst, err := c.launch()

	c.mu.Lock()
	defer c.mu.Unlock()
	c.starting = nil
	if err != nil {
		w.err = withClass(err, errdefs.ErrUnavailable)
		c.noteFailureLocked()
	} else if c.closed {
		w.err = c.closedError()
		c.killing.Add(1)
		go func() { defer c.killing.Done(); inst.kill() }()
	} else {
		c.cur = inst
		if got := inst.info.Capabilities; got != c.caps {
			c.logger.Warn("the relaunched plugin announces other capabilities than when it was opened; "+
				"the calls of those it lacks fail as not implemented, those it adds are ignored until it is opened again",
				"opened", c.caps.String(), "now", got.String())
		}
	}
	close(w.done)
}

func (c *client) closedError() error {
	return fmt.Errorf("plugins: %s: %w: %w", c.name(), ErrClosed, errdefs.ErrUnavailable)
}

// dropLocked forgets a dead or broken instance and stops it in the background.
func (c *client) dropLocked(inst *instance) {
	if c.cur == inst {
		c.cur = nil
		c.noteFailureLocked()
		c.logger.Warn("the plugin process is gone; it will be relaunched on the next call")
	}
	c.killing.Add(1)
	go func() { defer c.killing.Done(); inst.kill() }()
}

func (c *client) noteFailureLocked() {
	n := c.failures.Add(1)
	var delay time.Duration
	if n > 1 {
		delay = c.opts.MinRestartDelay
		for i := int32(2); i < n && delay < c.opts.MaxRestartDelay; i++ {
			delay *= 2
		}
		delay = min(delay, c.opts.MaxRestartDelay)
	}
	c.retryAt = time.Now().Add(delay)
}

// succeeded resets the failure count after a call the plugin answered.
func (c *client) succeeded() {
	if c.failures.Load() == 0 {
		return
	}
	c.mu.Lock()
	c.failures.Store(0)
	c.retryAt = time.Time{}
	c.mu.Unlock()
}

// callError turns the error of a call on inst into what the caller gets: the backend's
// classed error, the context's error when the caller gave up, or Unavailable when the
// plugin process was lost (which also drops inst, so that the next call relaunches it).
func (c *client) callError(ctx context.Context, inst *instance, method string, err error) error {
	if _, isStatus := status.FromError(err); !isStatus {
		return err // produced on this side (a decoding failure, errNoResult)
	}
	code := status.Code(err)
	if (code == codes.Canceled || code == codes.DeadlineExceeded) && ctx.Err() != nil {
		return ctx.Err()
	}
	native, fromBackend := fromStatus(err)
	if fromBackend {
		c.succeeded()
		return native
	}
	if code == codes.Unavailable || code == codes.Canceled || inst.pc.Exited() {
		c.mu.Lock()
		closed := c.closed
		if inst.lost.CompareAndSwap(false, true) && !closed {
			c.dropLocked(inst)
		}
		c.mu.Unlock()
		why := "the plugin process exited or stopped answering"
		if closed {
			why = "the plugin client was closed"
		}
		return errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("plugin %s: %s: %s (%s)", c.name(), method, why, status.Convert(err).Message()))
	}
	return native
}

// List implements [imagesvc.Lister] through the plugin.
func (c *client) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	inst, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	out, err := inst.conn.list(ctx, opts)
	if err != nil {
		return nil, c.callError(ctx, inst, "List", err)
	}
	c.succeeded()
	return out, nil
}

// Inspect implements [imagesvc.Inspector] through the plugin.
func (c *client) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	inst, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	img, err := inst.conn.inspect(ctx, ref, opts)
	if err != nil {
		return nil, c.callError(ctx, inst, "Inspect", err)
	}
	c.succeeded()
	return img, nil
}

// Pull implements [imagesvc.Creator] through the plugin: progress is streamed back and
// reported to progress from the calling goroutine, in order; req.Auth is sent for this
// call only.
func (c *client) Pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	inst, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	out, err := inst.conn.pull(ctx, req, progress)
	if err != nil {
		return nil, c.callError(ctx, inst, "Pull", err)
	}
	c.succeeded()
	return out, nil
}

// Import implements [imagesvc.Creator] through the plugin: req.Source is streamed in
// chunks of at most [ImportChunkSize] while progress is streamed back. req.Source is not
// read after Import returns.
func (c *client) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	inst, err := c.acquire(ctx)
	if err != nil {
		return "", err
	}
	id, err := inst.conn.importImage(ctx, req, progress)
	if err != nil {
		return "", c.callError(ctx, inst, "Import", err)
	}
	c.succeeded()
	return id, nil
}

// acquireCap is acquire for a call of the capability cap, which the running process must
// have announced.
func (c *client) acquireCap(ctx context.Context, cap Capabilities, method string) (*instance, error) {
	inst, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if !inst.info.Capabilities.Has(cap) {
		return nil, errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf(
			"plugin %s: %s: the plugin process (relaunched since it was opened) no longer announces the %s capability", c.name(), method, cap))
	}
	return inst, nil
}

// Remove implements [imagesvc.Remover] through the plugin, for the Clients whose plugin
// announced it.
func (c *client) Remove(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	inst, err := c.acquireCap(ctx, CapRemove, "Remove")
	if err != nil {
		return nil, err
	}
	out, err := inst.conn.remove(ctx, ref, opts)
	if err != nil {
		return nil, c.callError(ctx, inst, "Remove", err)
	}
	c.succeeded()
	return out, nil
}

// Tag implements [imagesvc.Tagger] through the plugin, for the Clients whose plugin
// announced it.
func (c *client) Tag(ctx context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	inst, err := c.acquireCap(ctx, CapTag, "Tag")
	if err != nil {
		return err
	}
	if err := inst.conn.tag(ctx, source, target); err != nil {
		return c.callError(ctx, inst, "Tag", err)
	}
	c.succeeded()
	return nil
}

// Prune implements [imagesvc.Pruner] through the plugin, for the Clients whose plugin
// announced it.
func (c *client) Prune(ctx context.Context, opts imagesvc.PruneOptions) (*imagesvc.PruneReport, error) {
	inst, err := c.acquireCap(ctx, CapPrune, "Prune")
	if err != nil {
		return nil, err
	}
	rep, err := inst.conn.prune(ctx, opts)
	if err != nil {
		return nil, c.callError(ctx, inst, "Prune", err)
	}
	c.succeeded()
	return rep, nil
}

// History implements [imagesvc.Historian] through the plugin, for the Clients whose
// plugin announced it.
func (c *client) History(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.HistoryOptions) ([]imagesvc.HistoryItem, error) {
	inst, err := c.acquireCap(ctx, CapHistory, "History")
	if err != nil {
		return nil, err
	}
	out, err := inst.conn.history(ctx, ref, opts)
	if err != nil {
		return nil, c.callError(ctx, inst, "History", err)
	}
	c.succeeded()
	return out, nil
}

// Login implements [imagesvc.RegistryAuthenticator] through the plugin, for the Clients
// whose plugin announced it. auth is sent for this call only; neither it nor the token is
// logged.
func (c *client) Login(ctx context.Context, auth imagesvc.AuthConfig) (string, error) {
	inst, err := c.acquireCap(ctx, CapLogin, "Login")
	if err != nil {
		return "", err
	}
	token, err := inst.conn.login(ctx, auth)
	if err != nil {
		return "", c.callError(ctx, inst, "Login", err)
	}
	c.succeeded()
	return token, nil
}

// DistributionInspect implements [imagesvc.DistributionInspector] through the plugin, for
// the Clients whose plugin announced it. auth is sent for this call only.
func (c *client) DistributionInspect(ctx context.Context, ref reference.Named, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	inst, err := c.acquireCap(ctx, CapDistribution, "DistributionInspect")
	if err != nil {
		return nil, err
	}
	info, err := inst.conn.distributionInspect(ctx, ref, auth)
	if err != nil {
		return nil, c.callError(ctx, inst, "DistributionInspect", err)
	}
	c.succeeded()
	return info, nil
}

// launchProcess starts the plugin program and connects to it.
func (c *client) launchProcess() (*instance, error) {
	cmd := exec.Command(c.path, c.opts.Args...)
	// The host's environment, then Options.Env, which wins (go-plugin would put the host's
	// last), then go-plugin's handshake variables.
	cmd.Env = append(os.Environ(), LogLevelEnv+"="+levelName(c.logger))
	cmd.Env = append(cmd.Env, c.opts.Env...)
	stderr := &tailBuffer{max: 4 << 10}
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  handshake(),
		Plugins:          plugin.PluginSet{pluginName: &grpcPlugin{host: &hostPlugin{usage: c.opts.Usage}}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true, // already in cmd.Env
		StartTimeout:     c.opts.StartTimeout,
		Logger:           &hclogger{l: c.logger, omit: "plugin"},
		Stderr:           stderr,
		SyncStdout:       stdioLogger(c.logger, "stdout"),
		SyncStderr:       stdioLogger(c.logger, "stderr"),
		GRPCDialOptions:  dialOptions(),
	}
	if len(c.opts.Checksum) > 0 {
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: c.opts.Checksum, Hash: sha256.New()}
	}
	pc := plugin.NewClient(cfg)
	inst, err := c.connect(pc)
	if err != nil {
		pc.Kill()
		return nil, c.launchError(err, stderr.String())
	}
	return inst, nil
}

// connect completes a launch: handshake, dispense, Init.
func (c *client) connect(pc *plugin.Client) (*instance, error) {
	rpcClient, err := pc.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpcClient.Dispense(pluginName)
	if err != nil {
		return nil, err
	}
	cn := raw.(*conn)
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.StartTimeout)
	defer cancel()
	resp, err := cn.rpc.Init(ctx, &pb.InitRequest{ProtocolVersion: ProtocolVersion, UsageBrokerId: cn.usageID})
	if err != nil {
		if native, ok := fromStatus(err); ok {
			err = native
		}
		return nil, fmt.Errorf("init: %w", err)
	}
	if v := resp.GetProtocolVersion(); v != ProtocolVersion {
		return nil, &launchError{
			msg:      fmt.Sprintf("plugins: %s serves protocol version %d; this host speaks version %d", c.name(), v, ProtocolVersion),
			sentinel: ErrProtocolVersion, class: errdefs.ErrFailedPrecondition,
		}
	}
	caps, unknown := parseCapabilities(resp.GetCapabilities())
	inst := &instance{pc: pc, conn: cn, seq: c.launches.Add(1), info: Info{
		Path: c.path, Name: resp.GetName(), Version: resp.GetVersion(), ProtocolVersion: ProtocolVersion,
		Capabilities: caps,
	}}
	c.logger.Debug("plugin started", "name", inst.info.Name, "version", inst.info.Version, "capabilities", caps.String())
	if len(unknown) > 0 {
		c.logger.Debug("the plugin announces capabilities this host does not know; ignoring them", "unknown", unknown)
	}
	return inst, nil
}

var (
	pluginVersionRE = regexp.MustCompile(`Plugin version: (\d+)`)
	unrecognizedRE  = regexp.MustCompile(`Unrecognized remote plugin message: ([^\n]*)`)
)

// launchError explains a failed launch, with the path and what go-plugin said.
func (c *client) launchError(err error, stderr string) error {
	var le *launchError
	if errors.As(err, &le) {
		return err
	}
	msg := err.Error()
	tail := ""
	if stderr != "" {
		tail = "; its standard error ends with:\n" + stderr
	}
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return &launchError{
			msg:      fmt.Sprintf("plugins: %s: the binary's SHA-256 does not match the expected checksum %x", c.path, c.opts.Checksum),
			sentinel: ErrChecksum, class: errdefs.ErrPermissionDenied,
		}
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return &launchError{
			msg:      fmt.Sprintf("plugins: %s did not complete the plugin handshake within %s (start timeout)%s", c.name(), c.opts.StartTimeout, tail),
			sentinel: ErrStartTimeout, class: errdefs.ErrUnavailable,
		}
	case strings.Contains(msg, "incompatible API version with plugin"):
		theirs := "another"
		if m := pluginVersionRE.FindStringSubmatch(msg); m != nil {
			theirs = m[1]
		}
		return &launchError{
			msg: fmt.Sprintf("plugins: %s speaks imageapi plugin protocol version %s; this host speaks version %d",
				c.name(), theirs, ProtocolVersion),
			sentinel: ErrProtocolVersion, class: errdefs.ErrFailedPrecondition,
		}
	case strings.Contains(msg, "incompatible core API version"):
		return &launchError{
			msg:      fmt.Sprintf("plugins: %s speaks another version of go-plugin's core protocol (this host speaks %d): %s", c.name(), plugin.CoreProtocolVersion, msg),
			sentinel: ErrProtocolVersion, class: errdefs.ErrFailedPrecondition,
		}
	case strings.Contains(msg, "plugin exited before we could connect"),
		strings.Contains(msg, "Unrecognized remote plugin message"),
		strings.Contains(msg, "Failed to read any lines"):
		what := "it exited before the handshake"
		if m := unrecognizedRE.FindStringSubmatch(msg); m != nil && strings.TrimSpace(m[1]) != "" {
			what = fmt.Sprintf("it printed %q where the handshake was expected", strings.TrimSpace(m[1]))
		}
		return &launchError{
			msg: fmt.Sprintf("plugins: %s is not an imageapi plugin (protocol version %d): %s%s",
				c.name(), ProtocolVersion, what, tail),
			sentinel: ErrNotPlugin, class: errdefs.ErrFailedPrecondition,
		}
	case strings.Contains(msg, "unsupported plugin protocol"):
		return &launchError{
			msg:      fmt.Sprintf("plugins: %s is not an imageapi plugin (protocol version %d): %s", c.name(), ProtocolVersion, msg),
			sentinel: ErrNotPlugin, class: errdefs.ErrFailedPrecondition,
		}
	}
	return &launchError{msg: fmt.Sprintf("plugins: launching %s: %s%s", c.name(), msg, tail), sentinel: err, class: errdefs.ErrUnavailable}
}

// kill stops the instance's process and waits for it and for its goroutines.
func (i *instance) kill() {
	i.lost.Store(true)
	if i.conn != nil {
		i.conn.lists.clear() // a relaunched process starts without them
	}
	i.pc.Kill()
	if i.conn != nil && i.conn.usageDone != nil {
		select {
		case <-i.conn.usageDone:
		case <-time.After(5 * time.Second):
		}
	}
	if i.stop != nil {
		i.stop()
	}
}
