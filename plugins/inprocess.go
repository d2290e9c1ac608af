package plugins

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/containerd/errdefs"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"

	"github.com/imageapi/imageapi/imagesvc"
)

// launchInProcess serves impl with go-plugin's test mode in this process and connects to
// it through go-plugin's reattach mode, so that every byte crosses the same gRPC stack as
// with a plugin process.
func (c *client) launchInProcess(impl imagesvc.Service) (*instance, error) {
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	srv := newServer(impl, ServeOptions{Name: "in-process"}, c.logger)
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake(),
		Plugins:         plugin.PluginSet{pluginName: &grpcPlugin{server: srv}},
		GRPCServer:      newGRPCServer,
		Logger:          newHCLogger(c.logger.With("component", "go-plugin-server")),
		Test:            &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed},
	})
	stopServer := func() {
		cancel()
		<-closed
		srv.close()
		// go-plugin's test mode makes two pipes for a stdio it never uses and copies
		// them in two goroutines that end only when the pipes are closed, which their
		// finalizers do once Serve has dropped them: collect them now.
		runtime.GC()
	}
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		cancel()
		srv.close()
		return nil, errdefs.ErrUnavailable.WithMessage("plugins: the in-process plugin server stopped before serving")
	case <-time.After(c.opts.StartTimeout):
		stopServer()
		return nil, &launchError{msg: fmt.Sprintf("plugins: the in-process plugin server did not start within %s", c.opts.StartTimeout), sentinel: ErrStartTimeout, class: errdefs.ErrUnavailable}
	}
	r := &inProcessRunner{stop: stopServer, closed: closed}
	rc.Test = false // let go-plugin's Kill call r.Kill
	rc.ReattachFunc = func() (runner.AttachedRunner, error) { return r, nil }
	pc := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake(),
		Plugins:          plugin.PluginSet{pluginName: &grpcPlugin{host: &hostPlugin{usage: c.opts.Usage}}},
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           newHCLogger(c.logger),
		GRPCDialOptions:  dialOptions(),
	})
	inst, err := c.connect(pc)
	if err != nil {
		pc.Kill()
		_ = r.Kill(context.Background())
		return nil, fmt.Errorf("plugins: connecting to the in-process plugin: %w", err)
	}
	inst.stop = func() { _ = r.Kill(context.Background()) }
	return inst, nil
}

// inProcessRunner is go-plugin's handle on the in-process server.
type inProcessRunner struct {
	stop   func()
	closed chan struct{}
}

func (r *inProcessRunner) Wait(context.Context) error {
	<-r.closed
	return nil
}

func (r *inProcessRunner) Kill(context.Context) error {
	r.stop()
	return nil
}

func (r *inProcessRunner) ID() string { return "in-process" }

func (r *inProcessRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *inProcessRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}
