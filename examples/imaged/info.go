package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	remotesdocker "github.com/containerd/containerd/v2/core/remotes/docker"
	hostsconfig "github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"

	"github.com/imageapi/imageapi/backends/containerd"
	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/plugins"
)

// engineIDFile is the file under --data-root that keeps imaged's ID, as dockerd keeps its
// own in <data-root>/engine-id.
const engineIDFile = "engine-id"

// serverInfo is what imaged adds to the /info of the adapter: the parts the image service
// cannot know. It is computed once at start; the hook only copies it, so that /info stays
// as cheap as the image count.
type serverInfo struct {
	id         string
	driver     string
	status     [][2]string
	dataRoot   string
	registry   *registry.ServiceConfig
	containerd *system.ContainerdInfo
	warnings   []string
}

// newServerInfo gathers imaged's info: its persistent ID, what stores the images (the
// backend), the data root and the registry configuration of the flags.
func newServerInfo(ctx context.Context, c *config, svc backend) (*serverInfo, error) {
	id, err := engineID(c.dataRoot)
	if err != nil {
		return nil, err
	}
	si := &serverInfo{id: id, dataRoot: c.dataRoot}
	switch c.backend {
	case "sqlite":
		// The SQLite backend unpacks into a containerd snapshotter embedded as a library
		// (overlayfs where the kernel allows it, else native), as Docker 29's containerd
		// image store reports its snapshotter.
		si.driver = "sqlite"
		if st, ok := svc.(*sqlite.Store); ok {
			si.driver = st.SnapshotterName()
			si.status = [][2]string{
				{"driver-type", "io.containerd.snapshotter.v1"},
				{"Catalog", filepath.Join(c.dataRoot, "catalog.db")},
				{"Content store", filepath.Join(c.dataRoot, "content")},
				{"Snapshots", st.SnapshotsDir()},
			}
		}
	case "containerd":
		// As Docker 29 with the containerd image store reports it.
		si.driver = c.storageDriver
		if si.driver == "" {
			si.driver = containerd.DefaultSnapshotter
		}
		si.status = [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}
		ns := c.namespace
		si.containerd = &system.ContainerdInfo{Address: c.containerd, Namespaces: system.ContainerdNamespaces{Containers: ns, Plugins: ns}}
	case "plugin":
		si.driver = "plugin"
		if pc, ok := svc.(plugins.Client); ok {
			pi := pc.Info()
			if pi.Name != "" {
				si.driver = pi.Name
			}
			si.status = [][2]string{{"Plugin", strings.TrimSpace(pi.Name + " " + pi.Version)}, {"Path", pi.Path}}
		}
	}
	si.registry, err = registryConfig(ctx, c.insecure, c.registryConfig)
	if err != nil {
		// Pulls from the registries concerned fail with the same error; /info says so.
		si.registry = httpadapter.DefaultRegistryConfig()
		si.warnings = append(si.warnings, "WARNING: registry configuration: "+err.Error())
	}
	return si, nil
}

// fill is the adapter's Options.Info hook. The registry configuration is shared by all
// answers: nothing changes it.
func (si *serverInfo) fill(_ context.Context, info *system.Info) error {
	info.ID = si.id
	info.Driver = si.driver
	if si.status != nil {
		info.DriverStatus = si.status
	}
	info.DockerRootDir = si.dataRoot
	info.RegistryConfig = si.registry
	info.Containerd = si.containerd
	info.Warnings = append(info.Warnings, si.warnings...)
	return nil
}

// engineID returns the ID kept in dataRoot, creating it (a random UUID, as dockerd's) on
// first use.
func engineID(dataRoot string) (string, error) {
	p := filepath.Join(dataRoot, engineIDFile)
	b, err := os.ReadFile(p)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading the engine ID: %w", err)
	}
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	id := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	// Written aside and renamed, so that a crash leaves either no ID or a whole one.
	tmp, err := os.CreateTemp(dataRoot, engineIDFile+".*")
	if err != nil {
		return "", fmt.Errorf("writing the engine ID: %w", err)
	}
	_, werr := tmp.WriteString(id + "\n")
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("writing the engine ID: %w", werr)
	}
	return id, nil
}

// registryConfig describes the registry flags as Docker's /info does: Docker Hub and its
// mirrors, every --insecure-registry (reached over plain HTTP, so not Secure), and every
// registry configured in the --registry-config hosts directory with its mirrors (the hosts
// that hosts.toml lists before the registry itself). imaged takes no insecure CIDRs, and
// loopback registries are not insecure unless listed, so InsecureRegistryCIDRs is empty.
func registryConfig(ctx context.Context, insecure []string, hostsDir string) (*registry.ServiceConfig, error) {
	rc := httpadapter.DefaultRegistryConfig()
	names := []string{"docker.io"}
	for _, h := range insecure {
		if !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	if hostsDir != "" {
		entries, err := os.ReadDir(hostsDir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() || e.Name() == "_default" {
				continue
			}
			name := e.Name()
			// containerd's directory spelling of host:port is host_port_.
			if host, port, ok := strings.Cut(strings.TrimSuffix(name, "_"), "_"); ok && strings.HasSuffix(name, "_") && port != "" {
				name = host + ":" + port
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	for _, name := range names {
		isInsecure := slices.Contains(insecure, name)
		scheme := "https"
		if isInsecure {
			scheme = "http"
		}
		opts := hostsconfig.HostOptions{DefaultScheme: scheme}
		if hostsDir != "" {
			opts.HostDir = hostsconfig.HostDirFromRoot(hostsDir)
		}
		hosts, err := hostsconfig.ConfigureHosts(ctx, opts)(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		idx := &registry.IndexInfo{Name: name, Mirrors: []string{}, Secure: !isInsecure, Official: name == "docker.io"}
		if len(hosts) > 0 {
			// The registry itself is the last host; a [host] section of its own address
			// (to set TLS options) is not a mirror.
			up := hosts[len(hosts)-1]
			for _, h := range hosts {
				if h.Host == up.Host {
					if h.Scheme != "https" || skipsVerify(h) {
						idx.Secure = false
					}
					continue
				}
				idx.Mirrors = append(idx.Mirrors, h.Scheme+"://"+h.Host+"/")
			}
		}
		if name == "docker.io" {
			rc.Mirrors = slices.Clone(idx.Mirrors)
		}
		rc.IndexConfigs[name] = idx
	}
	return rc, nil
}

// skipsVerify reports whether hosts.toml tells containerd not to verify h's certificate,
// which Docker counts as insecure too.
func skipsVerify(h remotesdocker.RegistryHost) bool {
	if h.Client == nil {
		return false
	}
	tr, ok := h.Client.Transport.(*http.Transport)
	return ok && tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify
}
