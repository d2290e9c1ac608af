// Command plugin-sqlite is a backend plugin: it serves the SQLite backend
// (backends/sqlite) to an imageapi host over the plugin protocol (package plugins). A host
// launches it; it does not run on its own:
//
//	imaged --backend plugin --plugin /usr/libexec/imageapi/plugin-sqlite --data-root /var/lib/imaged
//
// or, from Go:
//
//	svc, err := plugins.Open(ctx, "/usr/libexec/imageapi/plugin-sqlite", plugins.Options{
//		Args: []string{"--data-root", "/var/lib/imaged"},
//	})
//
// Its flags are named as imaged's. The containers using each image are asked of the host
// (plugins.HostUsage). Logs go to the host's logger. A list repeated while the catalog is
// unchanged (and for which the host's containers were not asked) is answered from what
// the host kept of the previous one (sqlite.Store.ListVersion). The store's optional
// capabilities (remove, tag, prune, history, ..., and events and disk_usage once the store
// has them) are announced to the host, which finds them with imagesvc.As; the containers
// that decide their conflicts are asked of the host too.
//
// Root filesystems (capability "rootfs", imagesvc.RootFSPreparer, announced once the store
// has it): the mounts a prepared view returns name directories under --data-root on the
// plugin's machine (the store's snapshots). The host mounts them itself, so it must reach
// --data-root at the same path: run the plugin on the host's machine and in its mount
// namespace (as the host launches it), or share the directory at the same path, as a
// containerd client must reach containerd's snapshotter root.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
)

// version is the plugin's own version, reported to hosts.
const version = "0.1.0"

// The store is served as it is, so that the plugin finds its ListVersion and answers a
// repeated list by telling the host that the answer it has still holds, and announces
// every capability the store implements (imagesvc.Remover, Tagger, Pruner, Historian:
// plugins.CapabilitiesOf), which the host's Client then has.
var _ imagesvc.ListVersioner = (*sqlite.Store)(nil)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-sqlite:", err)
		os.Exit(1)
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type config struct {
	dataRoot       string
	registryConfig string
	insecure       listFlag
	platform       string
	allowURLImport bool
	maxImportSize  int64
	storageDriver  string
	noSpareViews   bool
	lazyUnpack     bool
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("plugin-sqlite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.dataRoot, "data-root", "/var/lib/imaged", "directory that holds the image store")
	fs.StringVar(&c.registryConfig, "registry-config", "", "directory of registry hosts in containerd's hosts.toml layout (HOST/hosts.toml)")
	fs.Var(&c.insecure, "insecure-registry", "registry HOST[:PORT] reached over plain HTTP (repeatable)")
	fs.StringVar(&c.platform, "platform", "", "platform to treat as the host's, os/arch[/variant] (default: this machine's)")
	fs.BoolVar(&c.allowURLImport, "allow-url-import", false, "let imports fetch archives from URLs (fromSrc=<URL>)")
	fs.Int64Var(&c.maxImportSize, "max-import-size", 0, "largest import archive in bytes (0: the backend's default)")
	fs.StringVar(&c.storageDriver, "storage-driver", "", "snapshotter images are unpacked into: overlayfs or native (default: overlayfs when the kernel supports it under --data-root)")
	fs.BoolVar(&c.lazyUnpack, "lazy-unpack", false, "unpack an image's layers on its first root filesystem prepare instead of when it is pulled")
	fs.BoolVar(&c.noSpareViews, "no-spare-views", false, "keep no spare snapshot ready for the next writable root filesystem view (sqlite.Options.NoSpareViews)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, nil
}

func run(args []string, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if !plugins.Launched() {
		return plugins.ErrNotLaunched
	}
	var platform ocispec.Platform
	if c.platform != "" {
		if platform, err = platforms.Parse(c.platform); err != nil {
			return fmt.Errorf("--platform: %w", err)
		}
	}
	// The default handler of plugins.Serve writes the lines the host relays with their
	// levels; the backend logs through the same one.
	logger := plugins.DefaultLogger()
	store, err := sqlite.Open(c.dataRoot, sqlite.Options{
		HostsDir:       c.registryConfig,
		Insecure:       c.insecure,
		Platform:       platform,
		AllowURLImport: c.allowURLImport,
		MaxImportSize:  c.maxImportSize,
		Snapshotter:    c.storageDriver,
		LazyUnpack:     c.lazyUnpack,
		NoSpareViews:   c.noSpareViews,
		Usage:          plugins.HostUsage(),
		Logger:         logger.With("component", "sqlite"),
	})
	if err != nil {
		return err
	}
	defer store.Close()
	return plugins.Serve(store, plugins.ServeOptions{Name: "sqlite", Version: version, Logger: logger})
}
