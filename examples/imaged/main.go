// Command imaged is a small daemon that serves the image endpoints of the Docker Engine API
// (GET /images/json, GET /images/{name}/json, POST /images/create, DELETE /images/{name},
// POST /images/{name}/tag, POST /images/prune, GET /images/{name}/history and the others of
// package httpadapter, plus /_ping, /version and /info) from an imageapi backend, so that the docker CLI, the Go SDK and docker-py can
// talk to it:
//
//	imaged -H tcp://127.0.0.1:2375 --data-root /tmp/imaged
//	docker -H tcp://127.0.0.1:2375 pull alpine
//
// Flags are named as dockerd names them. It stops cleanly on SIGINT and SIGTERM: requests in
// flight (pulls included) are cancelled, then the catalog is closed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	clog "github.com/containerd/log"

	"github.com/imageapi/imageapi/backends/containerd"
	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "imaged:", err)
		os.Exit(1)
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// config is what the command line says.
type config struct {
	hosts          listFlag
	dataRoot       string
	insecure       listFlag
	registryConfig string
	logLevel       string
	backend        string
	containerd     string
	localPull      bool
	namespace      string
	storageDriver  string
	plugin         string
	allowURLImport bool
	minAPIVersion  string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("imaged", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&c.hosts, "host", "address to listen on: unix://PATH or tcp://HOST:PORT (repeatable; default unix:///var/run/imaged.sock)")
	fs.Var(&c.hosts, "H", "shorthand for --host")
	fs.StringVar(&c.dataRoot, "data-root", "/var/lib/imaged", "directory that holds the image store")
	fs.Var(&c.insecure, "insecure-registry", "registry HOST[:PORT] reached over plain HTTP (repeatable)")
	fs.StringVar(&c.registryConfig, "registry-config", "", "directory of registry hosts in containerd's hosts.toml layout (HOST/hosts.toml)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.backend, "backend", "sqlite", "image backend: sqlite, containerd or plugin")
	fs.StringVar(&c.containerd, "containerd", "/run/containerd/containerd.sock", "containerd address (--backend containerd)")
	fs.StringVar(&c.namespace, "containerd-namespace", "default", "containerd namespace (--backend containerd)")
	fs.BoolVar(&c.localPull, "containerd-local-pull", false, "fetch layers through imaged instead of containerd's transfer service (--backend containerd; for a daemon that cannot read --registry-config or reach the registries itself)")
	fs.StringVar(&c.storageDriver, "storage-driver", "", "containerd snapshotter images are unpacked into: the daemon's with --backend containerd (default overlayfs), embedded with sqlite and the SQLite plugin (overlayfs or native; default overlayfs where the kernel allows it)")
	fs.StringVar(&c.plugin, "plugin", "", "path of a backend plugin binary (--backend plugin)")
	fs.BoolVar(&c.allowURLImport, "allow-url-import", false, "let imports fetch archives from URLs (fromSrc=<URL>)")
	fs.StringVar(&c.minAPIVersion, "min-api-version", "", "lowest API version served (default 1.24; Docker's DOCKER_MIN_API_VERSION); clients that pin an older one, such as skopeo 1.9's docker-daemon: transport (1.22), need it lower")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if len(c.hosts) == 0 {
		c.hosts = listFlag{"unix:///var/run/imaged.sock"}
	}
	return c, nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// backend is a service that must be closed.
type backend interface {
	imagesvc.Service
	Close() error
}

func openBackend(ctx context.Context, c *config, log *slog.Logger) (backend, error) {
	switch c.backend {
	case "sqlite":
		return sqlite.Open(c.dataRoot, sqlite.Options{
			HostsDir:       c.registryConfig,
			Insecure:       c.insecure,
			AllowURLImport: c.allowURLImport,
			Snapshotter:    c.storageDriver,
			Logger:         log.With("component", "sqlite"),
		})
	case "containerd":
		return containerd.New(ctx, containerd.Options{
			Address:        c.containerd,
			LocalPull:      c.localPull,
			Namespace:      c.namespace,
			Snapshotter:    c.storageDriver,
			HostsDir:       c.registryConfig,
			Insecure:       c.insecure,
			AllowURLImport: c.allowURLImport,
			Logger:         log.With("component", "containerd"),
		})
	case "plugin":
		if c.plugin == "" {
			return nil, errors.New("--backend plugin needs --plugin PATH")
		}
		// The plugin configures its own backend: it gets the same store and registry
		// flags as imaged (examples/plugin-sqlite understands them).
		args := []string{"--data-root", c.dataRoot}
		if c.registryConfig != "" {
			args = append(args, "--registry-config", c.registryConfig)
		}
		for _, h := range c.insecure {
			args = append(args, "--insecure-registry", h)
		}
		if c.allowURLImport {
			args = append(args, "--allow-url-import")
		}
		if c.storageDriver != "" {
			args = append(args, "--storage-driver", c.storageDriver)
		}
		return plugins.Open(ctx, c.plugin, plugins.Options{Args: args, Logger: log.With("component", "plugin")})
	default:
		return nil, fmt.Errorf("--backend %q: want sqlite, containerd or plugin", c.backend)
	}
}

// listen opens every -H address. A unix socket left behind by an earlier run is removed.
func listen(hosts []string) ([]net.Listener, error) {
	var ls []net.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	for _, h := range hosts {
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "unix" && u.Scheme != "tcp") {
			closeAll()
			return nil, fmt.Errorf("-H %q: want unix://PATH or tcp://HOST:PORT", h)
		}
		var l net.Listener
		if u.Scheme == "unix" {
			path := u.Path
			if path == "" {
				path = u.Opaque
			}
			if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
				os.Remove(path)
			}
			l, err = net.Listen("unix", path)
			if err == nil {
				err = os.Chmod(path, 0o660)
			}
		} else {
			l, err = net.Listen("tcp", u.Host)
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("-H %s: %w", h, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// run runs the daemon until ctx ends. ready, when not nil, receives the addresses it
// listens on once it serves.
func run(ctx context.Context, args []string, stderr io.Writer, ready func([]net.Addr)) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(c.logLevel, stderr)
	if err != nil {
		return err
	}
	// containerd's packages log through their own process-wide logger, at info level for
	// routine events (a 404 while resolving a tag). A program may set it, a library may
	// not: keep its details for --log-level debug.
	ctrdLevel := "warn"
	if c.logLevel == "debug" {
		ctrdLevel = "debug"
	}
	if err := clog.SetLevel(ctrdLevel); err != nil {
		return err
	}
	if err := os.MkdirAll(c.dataRoot, 0o700); err != nil {
		return err
	}
	svc, err := openBackend(ctx, c, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := svc.Close(); err != nil {
			log.Error("closing the backend", "err", err)
		}
	}()
	si, err := newServerInfo(ctx, c, svc)
	if err != nil {
		return err
	}
	listeners, err := listen(c.hosts)
	if err != nil {
		return err
	}

	// Requests run under serveCtx, so that a shutdown cancels pulls in flight.
	serveCtx, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler: httpadapter.New(svc, httpadapter.Options{
			Ping: true, Version: true, Info: si.fill, MinVersion: c.minAPIVersion, Logger: log.With("component", "http"),
		}),
		BaseContext:       func(net.Listener) context.Context { return serveCtx },
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var wg sync.WaitGroup
	errc := make(chan error, len(listeners))
	var addrs []net.Addr
	for _, l := range listeners {
		addrs = append(addrs, l.Addr())
		log.Info("listening", "network", l.Addr().Network(), "address", l.Addr().String(), "backend", c.backend, "data-root", c.dataRoot)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	if ready != nil {
		ready(addrs)
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case serveErr = <-errc:
	}
	cancelRequests()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown", "err", err)
		srv.Close()
	}
	wg.Wait()
	return serveErr
}
