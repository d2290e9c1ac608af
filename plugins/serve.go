package plugins

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
)

// ServeOptions configure [Serve]. The zero value is ready to use.
type ServeOptions struct {
	// Logger receives the logs of the plugin machinery. Nil means JSON lines on the
	// process's standard error in the shape go-plugin relays to the host's logger, at the
	// level the host asks for ([LogLevelEnv]). A backend should log to the same logger:
	// whatever the plugin writes to standard output or standard error after the handshake
	// reaches the host's logger too, but without levels.
	Logger *slog.Logger
	// Name and Version describe the plugin in the host's logs and in [Client.Info].
	Name string
	// Version is the plugin's own version (not the protocol's).
	Version string
}

// ErrNotLaunched is returned by [Serve] when the program was not started by a host:
// plugins are not meant to be run by hand.
var ErrNotLaunched = errors.New("this program is an imageapi backend plugin: a host launches it " +
	"(for example imaged --backend plugin --plugin PATH); it does not run on its own")

// Serve serves impl to the host that launched this program, until the host closes the
// plugin or the process is killed. Plugin programs call it from main:
//
//	func main() {
//		svc, err := mybackend.Open(root, mybackend.Options{Usage: plugins.HostUsage()})
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		defer svc.Close()
//		if err := plugins.Serve(svc, plugins.ServeOptions{Name: "mybackend"}); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
//
// Serve hides go-plugin: it answers the handshake (the only thing ever written to standard
// output), serves the protocol of plugins/proto/backend.proto over gRPC with mutual TLS
// when the host asks for it and with raised message-size limits, sends go-plugin's own
// logs to opts.Logger, and ignores interrupts (the host stops its plugins itself). A
// backend that needs the host's usage provider is given [HostUsage].
//
// It returns [ErrNotLaunched] at once when the program was not started by a host.
func Serve(impl imagesvc.Service, opts ServeOptions) error {
	if impl == nil {
		return errors.New("plugins: Serve needs a service")
	}
	if !Launched() {
		return ErrNotLaunched
	}
	logger := opts.Logger
	if logger == nil {
		logger = DefaultLogger()
	}
	srv := newServer(impl, opts, logger)
	defer srv.close()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake(),
		Plugins:         plugin.PluginSet{pluginName: &grpcPlugin{server: srv}},
		GRPCServer:      newGRPCServer,
		Logger:          newHCLogger(logger.With("component", "go-plugin")),
	})
	return nil
}

// Launched reports whether a host launched this program as a plugin. A plugin program
// checks it before any costly setup, since [Serve] would refuse to run anyway.
func Launched() bool {
	return os.Getenv(MagicCookieKey) == MagicCookieValue
}

// DefaultLogger returns the logger [Serve] uses when [ServeOptions.Logger] is nil: JSON
// lines on the process's standard error, in the shape go-plugin relays to the host's
// logger with their levels, at the level the host asks for ([LogLevelEnv]; info when
// unset). A backend logs through it too. Call it before Serve, which replaces os.Stderr
// with a pipe that loses the levels.
func DefaultLogger() *slog.Logger {
	return slog.New(newStderrHandler(os.Stderr, parseLevel(os.Getenv(LogLevelEnv))))
}

// grpcPlugin is go-plugin's view of the protocol: on the plugin side it registers the
// server; on the host side it connects an instance.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	server *server     // plugin side
	host   *hostPlugin // host side
}

func (p *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.server == nil {
		return errors.New("plugins: no server")
	}
	p.server.broker = broker
	s.RegisterService(backendServiceDesc(), p.server)
	return nil
}

func (p *grpcPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	if p.host == nil {
		return nil, errors.New("plugins: no host")
	}
	return p.host.connect(ctx, broker, conn), nil
}
