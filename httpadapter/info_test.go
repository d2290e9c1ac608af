package httpadapter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/internal/swaggercheck"
)

// TestInfoDefaults: without a hook, /info reports what an image service knows, and the Go
// SDK decodes it.
func TestInfoDefaults(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := sdkClient(t, f, httpadapter.Options{EngineVersion: "1.2.3", OSType: "linux"})
	res, err := c.Info(ctx, client.InfoOptions{})
	require.NoError(t, err)
	info := res.Info
	assert.Equal(t, 3, info.Images, "every image, the dangling one included")
	assert.True(t, f.last().listOpts.All, "the count lists with All, as Docker counts every record")
	assert.Equal(t, "linux", info.OSType)
	assert.NotEmpty(t, info.Architecture)
	if runtime.GOARCH == "amd64" {
		assert.Equal(t, "x86_64", info.Architecture, "uname -m, as Docker reports it")
	}
	assert.Equal(t, "1.2.3", info.ServerVersion)
	host, _ := os.Hostname()
	assert.Equal(t, host, info.Name)
	assert.Equal(t, runtime.NumCPU(), info.NCPU)
	assert.NotEmpty(t, info.SystemTime)
	assert.Equal(t, "https://index.docker.io/v1/", info.IndexServerAddress)
	require.NotNil(t, info.RegistryConfig)
	assert.Equal(t, map[string]*registry.IndexInfo{
		"docker.io": {Name: "docker.io", Mirrors: []string{}, Secure: true, Official: true},
	}, info.RegistryConfig.IndexConfigs)
	assert.Empty(t, info.RegistryConfig.Mirrors)
	assert.Equal(t, "inactive", string(info.Swarm.LocalNodeState))
	assert.Zero(t, info.Containers)
	assert.Empty(t, info.ID)
	assert.Empty(t, info.Driver)
	assert.Nil(t, info.Containerd)
}

// TestInfoHook: the host's hook sees the defaults and changes what it knows.
func TestInfoHook(t *testing.T) {
	ctx := context.Background()
	var seen int
	opts := httpadapter.Options{Info: func(_ context.Context, info *system.Info) error {
		seen = info.Images
		info.ID = "ABCD:EFGH"
		info.Containers, info.ContainersRunning, info.ContainersStopped = 3, 1, 2
		info.Driver = "overlayfs"
		info.DriverStatus = [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}
		info.RegistryConfig.Mirrors = []string{"https://mirror.example.com/"}
		info.RegistryConfig.IndexConfigs["docker.io"].Mirrors = []string{"https://mirror.example.com/"}
		info.RegistryConfig.IndexConfigs["registry.local:5000"] = &registry.IndexInfo{Name: "registry.local:5000", Mirrors: []string{}}
		info.RegistryConfig.InsecureRegistryCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		info.Containerd = &system.ContainerdInfo{Address: "/run/containerd/containerd.sock", Namespaces: system.ContainerdNamespaces{Containers: "moby", Plugins: "moby"}}
		return nil
	}}
	c := sdkClient(t, newFixture(), opts)
	res, err := c.Info(ctx, client.InfoOptions{})
	require.NoError(t, err)
	info := res.Info
	assert.Equal(t, 3, seen, "the hook sees the image count")
	assert.Equal(t, 3, info.Images)
	assert.Equal(t, "ABCD:EFGH", info.ID)
	assert.Equal(t, 3, info.Containers)
	assert.Equal(t, 1, info.ContainersRunning)
	assert.Equal(t, "overlayfs", info.Driver)
	assert.Equal(t, [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}, info.DriverStatus)
	assert.Equal(t, []string{"https://mirror.example.com/"}, info.RegistryConfig.Mirrors)
	assert.False(t, info.RegistryConfig.IndexConfigs["registry.local:5000"].Secure)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, info.RegistryConfig.InsecureRegistryCIDRs)
	require.NotNil(t, info.Containerd)
	assert.Equal(t, "moby", info.Containerd.Namespaces.Containers)
}

// TestInfoErrors: a hook's error fails the request with its class; a service that cannot
// list still answers, with a warning, as Docker's CountImages does.
func TestInfoErrors(t *testing.T) {
	h := httpadapter.New(newFixture(), httpadapter.Options{Info: func(context.Context, *system.Info) error {
		return fmt.Errorf("runtime is starting: %w", errdefs.ErrUnavailable)
	}})
	w := request(t, h, http.MethodGet, "/info", nil)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), "runtime is starting")

	f := newFixture()
	f.listErr = errors.New("catalog is broken")
	w = request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodGet, "/info", nil)
	require.Equal(t, http.StatusOK, w.Code)
	v := decodeObject(t, w.Body.Bytes())
	assert.Equal(t, float64(0), v["Images"])
	assert.Equal(t, []any{"WARNING: could not count images: catalog is broken"}, v["Warnings"])
}

// TestInfoVersionGating: the fields of each API version, as moby's getInfo shapes them.
func TestInfoVersionGating(t *testing.T) {
	runtimes := map[string]system.RuntimeWithStatus{
		"runc": {Runtime: system.Runtime{Path: "runc"}, Status: map[string]string{"org.opencontainers.runtime-spec.features": "{}"}},
	}
	h := httpadapter.New(newFixture(), httpadapter.Options{Info: func(_ context.Context, info *system.Info) error {
		info.Runtimes = runtimes // shared with other requests: the adapter must not change it
		info.DefaultRuntime = "runc"
		info.Containerd = &system.ContainerdInfo{Address: "/run/containerd/containerd.sock"}
		info.FirewallBackend = &system.FirewallInfo{Driver: "iptables"}
		info.DiscoveredDevices = []system.DeviceInfo{{Source: "cdi", ID: "vendor.com/gpu=0"}}
		info.NRI = &system.NRIInfo{Info: [][2]string{{"plugin-path", "/opt/nri/plugins"}}}
		info.ContainerdCommit = system.Commit{ID: "abc"}
		return nil
	}})
	get := func(version string) map[string]any {
		t.Helper()
		target := "/info"
		if version != "" {
			target = "/v" + version + "/info"
		}
		w := request(t, h, http.MethodGet, target, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		return decodeObject(t, w.Body.Bytes())
	}
	has := func(v map[string]any, key string) bool { _, ok := v[key]; return ok }

	for _, version := range []string{"", "1.56", "1.53"} {
		v := get(version)
		for _, k := range []string{"Containerd", "FirewallBackend", "DiscoveredDevices", "NRI"} {
			assert.True(t, has(v, k), "%s at %q", k, version)
		}
		for _, k := range []string{"BridgeNfIptables", "BridgeNfIp6tables"} {
			assert.False(t, has(v, k), "%s at %q", k, version)
		}
		assert.Equal(t, map[string]any{"ID": "abc"}, v["ContainerdCommit"])
		assert.False(t, has(v["RegistryConfig"].(map[string]any), "AllowNondistributableArtifactsCIDRs"))
		assert.NotNil(t, v["Runtimes"].(map[string]any)["runc"].(map[string]any)["status"])
	}

	v := get("1.52")
	assert.False(t, has(v, "NRI"), "NRI came with 1.53")
	assert.True(t, has(v, "DiscoveredDevices"))

	v = get("1.49")
	assert.False(t, has(v, "DiscoveredDevices"), "DiscoveredDevices came with 1.50")
	assert.Equal(t, false, v["BridgeNfIptables"])
	assert.Equal(t, false, v["BridgeNfIp6tables"])
	assert.True(t, has(v, "FirewallBackend"))
	assert.Equal(t, map[string]any{"ID": "abc"}, v["ContainerdCommit"])

	v = get("1.48")
	assert.False(t, has(v, "FirewallBackend"), "FirewallBackend came with 1.49")
	assert.Equal(t, map[string]any{"ID": "abc", "Expected": "abc"}, v["ContainerdCommit"])
	assert.Equal(t, map[string]any{"ID": "", "Expected": ""}, v["RuncCommit"])
	assert.Equal(t, map[string]any{"ID": "", "Expected": ""}, v["InitCommit"])
	assert.True(t, has(v, "Containerd"))
	assert.False(t, has(v["RegistryConfig"].(map[string]any), "AllowNondistributableArtifactsCIDRs"))

	v = get("1.46")
	rc := v["RegistryConfig"].(map[string]any)
	for _, k := range []string{"AllowNondistributableArtifactsCIDRs", "AllowNondistributableArtifactsHostnames"} {
		assert.True(t, has(rc, k), "%s below 1.47", k)
		assert.Nil(t, rc[k])
	}
	assert.True(t, has(rc, "IndexConfigs"))
	assert.True(t, has(v, "Containerd"))

	v = get("1.45")
	assert.False(t, has(v, "Containerd"), "Containerd came with 1.46")
	assert.NotNil(t, v["Runtimes"].(map[string]any)["runc"].(map[string]any)["status"])

	v = get("1.43")
	rt := v["Runtimes"].(map[string]any)["runc"].(map[string]any)
	assert.False(t, has(rt, "status"), "runtime status came with 1.44")
	assert.Equal(t, "runc", rt["path"])
	assert.NotEmpty(t, runtimes["runc"].Status, "the host's map is left as it was")

	v = get("1.24")
	assert.Equal(t, float64(3), v["Images"])
	assert.False(t, has(v, "Containerd"))
	assert.True(t, has(v, "BridgeNfIptables"))
}

// TestInfoSwagger holds the default answer to moby's swagger.yaml, strictly: no null where
// the schema does not allow it, no undeclared property.
func TestInfoSwagger(t *testing.T) {
	p, err := swaggercheck.MobySwaggerPath("")
	require.NoError(t, err)
	doc, err := swaggercheck.Load(p)
	require.NoError(t, err)
	schema, err := doc.Response(http.MethodGet, "/info", http.StatusOK)
	require.NoError(t, err)
	w := request(t, httpadapter.New(newFixture(), httpadapter.Options{}), http.MethodGet, "/info", nil)
	require.Equal(t, http.StatusOK, w.Code)
	violations, err := schema.ValidateJSON(w.Body.Bytes(), swaggercheck.Options{DisallowUnknown: true})
	require.NoError(t, err)
	for _, v := range violations {
		t.Error(v)
	}
}
