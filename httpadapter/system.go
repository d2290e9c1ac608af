package httpadapter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"time"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"

	"github.com/imageapi/imageapi/imagesvc"
)

// ping serves GET and HEAD /_ping.
func (h *handler) ping(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("Swarm", "inactive")
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		hdr.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("OK"))
}

// versionResponse is api/types/system.VersionResponse.
type versionResponse struct {
	Platform      platformInfo       `json:"Platform"`
	Version       string             `json:"Version"`
	APIVersion    string             `json:"ApiVersion"`
	MinAPIVersion string             `json:"MinAPIVersion,omitempty"`
	Os            string             `json:"Os"`
	Arch          string             `json:"Arch"`
	Components    []componentVersion `json:"Components,omitempty"`
	GitCommit     string             `json:"GitCommit,omitempty"`
	GoVersion     string             `json:"GoVersion,omitempty"`
	KernelVersion string             `json:"KernelVersion,omitempty"`
	Experimental  bool               `json:"Experimental,omitempty"`
	BuildTime     string             `json:"BuildTime,omitempty"`
}

type platformInfo struct {
	Name string `json:"Name"`
}

type componentVersion struct {
	Name    string            `json:"Name"`
	Version string            `json:"Version"`
	Details map[string]string `json:"Details,omitempty"`
}

// version serves GET /version.
func (h *handler) version(w http.ResponseWriter) error {
	c := &h.cfg
	return writeJSON(w, http.StatusOK, &versionResponse{
		Platform:      platformInfo{Name: "imageapi " + c.engineVersion},
		Version:       c.engineVersion,
		APIVersion:    c.maxVersion,
		MinAPIVersion: c.minVersion,
		Os:            c.osType,
		Arch:          runtime.GOARCH,
		Components: []componentVersion{{
			Name:    "Engine",
			Version: c.engineVersion,
			Details: map[string]string{
				"ApiVersion":    c.maxVersion,
				"MinAPIVersion": c.minVersion,
				"Os":            c.osType,
				"Arch":          runtime.GOARCH,
				"GoVersion":     runtime.Version(),
				"Experimental":  "false",
			},
		}},
		GoVersion: runtime.Version(),
	})
}

// IndexServerAddress is Docker Hub's index address, the IndexServerAddress of GET /info
// (registry.IndexServer in Docker) and the default server of docker login.
const IndexServerAddress = "https://index.docker.io/v1/"

// info serves GET /info: the defaults of an image service, then the host's Options.Info,
// shaped for the requested API version.
func (h *handler) info(w http.ResponseWriter, r *http.Request, version string) error {
	ctx := r.Context()
	info := h.defaultInfo(ctx)
	if h.cfg.info != nil {
		if err := h.cfg.info(ctx, info); err != nil {
			return err
		}
	}
	v, err := shapeInfo(info, version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// defaultInfo is what the adapter knows without its host: the image count from the
// service, the platform, the engine version, the host name and Docker Hub's registry
// configuration. Collections are empty rather than nil, so that they encode as [] and {}
// as Docker's do.
func (h *handler) defaultInfo(ctx context.Context) *system.Info {
	c := &h.cfg
	info := &system.Info{
		DriverStatus:       [][2]string{},
		Plugins:            system.PluginsInfo{Volume: []string{}, Network: []string{}, Authorization: []string{}, Log: []string{}},
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		CgroupDriver:       "none", // no containers here: swagger's value for no cgroups
		OSType:             c.osType,
		Architecture:       unameArch(runtime.GOARCH),
		IndexServerAddress: IndexServerAddress,
		RegistryConfig:     DefaultRegistryConfig(),
		NCPU:               runtime.NumCPU(),
		GenericResources:   []swarm.GenericResource{},
		Labels:             []string{},
		ServerVersion:      c.engineVersion,
		Runtimes:           map[string]system.RuntimeWithStatus{},
		Swarm:              swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		SecurityOptions:    []string{},
		CDISpecDirs:        []string{},
		Warnings:           []string{},
	}
	if name, err := os.Hostname(); err == nil {
		info.Name = name
	}
	// Docker counts the distinct targets of its image records, dangling ones included: the
	// images of a list with All. Like Docker, a failure to count does not fail /info.
	imgs, err := h.svc.List(ctx, imagesvc.ListOptions{All: true})
	if err != nil {
		info.Images = 0
		if ctx.Err() == nil {
			c.log.LogAttrs(ctx, slog.LevelWarn, "httpadapter: counting images for /info", slog.Any("err", err))
			info.Warnings = append(info.Warnings, "WARNING: could not count images: "+err.Error())
		}
	} else {
		info.Images = len(imgs)
	}
	return info
}

// DefaultRegistryConfig returns the registry configuration of a daemon configured with
// nothing: Docker Hub ("docker.io"), secure and official, no mirrors, no insecure
// registries. Unlike Docker's default it lists no insecure CIDRs, as imageapi's backends
// do not reach loopback registries over plain HTTP unless told to. A host that knows
// better starts from it in [Options.Info].
func DefaultRegistryConfig() *registry.ServiceConfig {
	return &registry.ServiceConfig{
		InsecureRegistryCIDRs: []netip.Prefix{},
		IndexConfigs: map[string]*registry.IndexInfo{
			"docker.io": {Name: "docker.io", Mirrors: []string{}, Secure: true, Official: true},
		},
		Mirrors: []string{},
	}
}

// unameArch is the architecture as Docker reports it (uname -m on Linux) for a GOARCH.
func unameArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	case "arm":
		return "armv7l"
	}
	return goarch
}

// shapeInfo applies Docker's version gating of GET /info (moby's getInfo): fields newer
// than version are left out, and fields Docker dropped are sent as older clients expect
// them. Like Docker, the answer for an older version is re-encoded from a map, its keys in
// alphabetical order.
func shapeInfo(in *system.Info, version string) (any, error) {
	info := *in
	extra := map[string]any{}
	if versionLess(version, "1.44") && info.Runtimes != nil {
		// Runtime status came with API 1.44.
		rts := make(map[string]system.RuntimeWithStatus, len(info.Runtimes))
		for k, rt := range info.Runtimes {
			rts[k] = system.RuntimeWithStatus{Runtime: rt.Runtime}
		}
		info.Runtimes = rts
	}
	if versionLess(version, "1.46") {
		info.Containerd = nil // came with API 1.46
	}
	if versionLess(version, "1.47") {
		// Removed in 1.48, sent (empty) to older clients.
		extra["RegistryConfig"] = map[string]any{
			"AllowNondistributableArtifactsCIDRs":     nil,
			"AllowNondistributableArtifactsHostnames": nil,
		}
	}
	if versionLess(version, "1.49") {
		info.FirewallBackend = nil // came with API 1.49
		extra["ContainerdCommit"] = map[string]any{"Expected": info.ContainerdCommit.ID}
		extra["RuncCommit"] = map[string]any{"Expected": info.RuncCommit.ID}
		extra["InitCommit"] = map[string]any{"Expected": info.InitCommit.ID}
	}
	if versionLess(version, "1.50") {
		info.DiscoveredDevices = nil // came with API 1.50
		extra["BridgeNfIptables"] = false
		extra["BridgeNfIp6tables"] = false
	}
	if versionLess(version, "1.53") {
		info.NRI = nil // came with API 1.53
	}
	if len(extra) == 0 {
		return &info, nil
	}
	raw, err := json.Marshal(&info)
	if err != nil {
		return nil, fmt.Errorf("encoding system info: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep MemTotal exact
	var merged map[string]any
	if err := dec.Decode(&merged); err != nil {
		return nil, fmt.Errorf("encoding system info: %w", err)
	}
	mergeFields(extra, merged)
	return merged, nil
}

// mergeFields adds the fields of src that dst lacks or holds as null, recursively into
// objects, as moby's compat.WithExtraFields does.
func mergeFields(src, dst map[string]any) {
	for k, v := range src {
		if vm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeFields(vm, dm)
				continue
			}
		}
		if existing, ok := dst[k]; !ok || existing == nil {
			dst[k] = v
		}
	}
}
