// Command testplugin is the plugin that the fault tests of package plugins launch. It
// serves a plugintest.MemService whose behaviour some inputs change:
//
//   - Inspect "crash" panics, which kills the process in the middle of the call;
//   - Inspect "block" waits until the call is cancelled, then appends "canceled" to the
//     file named by TESTPLUGIN_EVENTS;
//   - Pull of "crashpull" reports two events, then panics;
//   - Import with the message "crash" reads the first chunk, then panics;
//   - Save of "crashsave" writes 3 MiB, then panics; Load with the platform OS "crash"
//     reads the first KiB, then panics; Push of "crashpush" reports the start, then panics;
//   - PrepareRootFS of the key "crash" panics; of the key "block" waits until the call is
//     cancelled, then appends "prepare canceled" to the file named by TESTPLUGIN_EVENTS;
//   - List fills Containers from the host's usage provider (plugins.HostUsage).
//
// The MemService is a plugins.ListVersioner, unless -no-list-version hides it (with its
// capabilities). It has every capability (Remove, Tag, Prune, History, Login,
// Distribution, Save, Load, Push, Events, DiskUsage, RootFS; its events are those of
// plugintest.MemService), which it serves with the host's containers (plugins.HostUsage), unless
// -hide hides some: -hide remove,tag serves a partial backend, -hide all one that
// announces none, as a plugin built before capabilities existed. With -hide-after FILE it has every capability the
// first time and none at every later start (a relaunch that announces fewer).
//
// Its -mode flag makes it misbehave at start: "hang" never completes the handshake,
// "version2" serves protocol version 2 only, "notplugin" prints a line and exits, "exit"
// exits with an error at once. With -hang-after FILE it serves the first time and hangs
// at every later start.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/hashicorp/go-plugin"
	"github.com/opencontainers/go-digest"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

func main() {
	mode := flag.String("mode", "serve", "serve, hang, version2, notplugin or exit")
	seed := flag.Int("seed", 0, "number of made-up images to start with")
	hangAfter := flag.String("hang-after", "", "serve if this file does not exist (and create it), else hang at start")
	noListVersion := flag.Bool("no-list-version", false, "hide the backend's ListVersion (every list is answered in full) and its capabilities")
	hideFlag := flag.String("hide", "", "capabilities to hide: remove,tag,prune,history,login,distribution,save,load,push,events,disk_usage,rootfs, or all")
	hideAfter := flag.String("hide-after", "", "hide no capability if this file does not exist (and create it), else hide them all")
	flag.Parse()
	hide, err := plugins.ParseCapabilities(*hideFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testplugin: -hide:", err)
		os.Exit(2)
	}
	if *hideAfter != "" {
		if _, err := os.Stat(*hideAfter); err == nil {
			hide = plugins.AllCapabilities
		} else {
			_ = os.WriteFile(*hideAfter, nil, 0o600)
		}
	}
	if *hangAfter != "" {
		if _, err := os.Stat(*hangAfter); err == nil {
			*mode = "hang"
		} else {
			_ = os.WriteFile(*hangAfter, nil, 0o600)
		}
	}
	switch *mode {
	case "hang":
		time.Sleep(time.Hour)
	case "notplugin":
		fmt.Println("hello, I am not a plugin")
		return
	case "exit":
		fmt.Fprintln(os.Stderr, "testplugin: failing at start on purpose")
		os.Exit(1)
	case "version2":
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: plugin.HandshakeConfig{
				ProtocolVersion:  2,
				MagicCookieKey:   plugins.MagicCookieKey,
				MagicCookieValue: plugins.MagicCookieValue,
			},
			Plugins:    plugin.PluginSet{"imagesvc": version2{}},
			GRPCServer: plugin.DefaultGRPCServer,
		})
		return
	}
	if path := os.Getenv("TESTPLUGIN_CPUPROFILE"); path != "" {
		if fh, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(fh)
			defer pprof.StopCPUProfile()
		}
	}
	mem := plugintest.NewMemService()
	mem.Seed(*seed)
	mem.SetContainerLister(plugins.HostUsage().(imagesvc.ContainerLister))
	var svc imagesvc.Service = &faulty{MemService: mem}
	if hide != 0 {
		svc = plugintest.Without(svc, hide)
	}
	if *noListVersion {
		svc = unversioned{svc}
	}
	if err := plugins.Serve(svc, plugins.ServeOptions{Name: "testplugin", Version: "0.0.1"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// version2 is a plugin of a protocol version the host does not speak.
type version2 struct{ plugin.NetRPCUnsupportedPlugin }

func (version2) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }
func (version2) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

type faulty struct {
	*plugintest.MemService
}

// unversioned hides the ListVersion of the backend it holds.
type unversioned struct{ imagesvc.Service }

func (f *faulty) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	sums, err := f.MemService.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	ids := make([]digest.Digest, len(sums))
	for i, s := range sums {
		ids[i] = s.ID
	}
	used, err := plugins.HostUsage().ContainersUsing(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("asking the host for containers: %w", err)
	}
	for i := range sums {
		sums[i].Containers = int64(len(used[sums[i].ID]))
	}
	return sums, nil
}

func (f *faulty) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	switch ref.String() {
	case "crash":
		panic("testplugin: crashing in Inspect on purpose")
	case "block":
		<-ctx.Done()
		note("canceled")
		return nil, ctx.Err()
	}
	return f.MemService.Inspect(ctx, ref, opts)
}

// note appends line to the file named by TESTPLUGIN_EVENTS, for the tests to read.
func note(line string) {
	if path := os.Getenv("TESTPLUGIN_EVENTS"); path != "" {
		if fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(fh, line)
			_ = fh.Close()
		}
	}
}

// PrepareRootFS of the key "crash" crashes; of "block", it waits for the host to cancel.
func (f *faulty) PrepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) ([]imagesvc.Mount, error) {
	switch req.Key {
	case "crash":
		panic("testplugin: crashing in PrepareRootFS on purpose")
	case "block":
		<-ctx.Done()
		note("prepare canceled")
		return nil, ctx.Err()
	}
	return f.MemService.PrepareRootFS(ctx, req)
}

func (f *faulty) Pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	if req.Ref != nil && strings.HasSuffix(reference.Path(req.Ref), "crashpull") {
		progress.Report(imagesvc.PullingFrom(reference.Path(req.Ref), "latest"))
		progress.Report(imagesvc.ProgressEvent{ID: "0123456789ab", Status: imagesvc.StatusPullingFSLayer, Detail: &imagesvc.ProgressDetail{}})
		time.Sleep(100 * time.Millisecond) // let the events reach the host
		panic("testplugin: crashing in Pull on purpose")
	}
	return f.MemService.Pull(ctx, req, progress)
}

func (f *faulty) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	if req.Message == "crash" && req.Source != nil {
		buf := make([]byte, 1024)
		_, _ = io.ReadFull(req.Source, buf)
		panic("testplugin: crashing in Import on purpose")
	}
	return f.MemService.Import(ctx, req, progress)
}

// Save of "crashsave" writes 3 MiB of the archive, then crashes.
func (f *faulty) Save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error {
	if len(req.Refs) == 1 && req.Refs[0].String() == "crashsave" {
		_, _ = w.Write(make([]byte, 3<<20))
		time.Sleep(100 * time.Millisecond) // let the chunks reach the host
		panic("testplugin: crashing in Save on purpose")
	}
	return f.MemService.Save(ctx, req, w)
}

// Load with a platform of OS "crash" reads the first KiB of the archive, then crashes.
func (f *faulty) Load(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
	if len(req.Platforms) == 1 && req.Platforms[0].OS == "crash" {
		_, _ = io.ReadFull(req.Source, make([]byte, 1024))
		panic("testplugin: crashing in Load on purpose")
	}
	return f.MemService.Load(ctx, req)
}

// Push of "crashpush" reports the start, then crashes.
func (f *faulty) Push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	if req.Ref != nil && strings.HasSuffix(reference.Path(req.Ref), "crashpush") {
		progress.Report(imagesvc.PushRefersTo(req.Ref))
		time.Sleep(100 * time.Millisecond)
		panic("testplugin: crashing in Push on purpose")
	}
	return f.MemService.Push(ctx, req, progress)
}
