package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/imageapi/imageapi/httpadapter"
)

// mirror is the Docker Hub mirror the info tests configure; nothing is pulled through it.
const mirror = "https://mirror.example.com/"

// hostsDir writes a --registry-config directory with a Docker Hub mirror.
func hostsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "docker.io"), 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "server = \"https://registry-1.docker.io\"\n\n[host.\"https://mirror.example.com\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "docker.io", "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestInfo: docker info (the real CLI), the Go SDK and docker-py read imaged's /info on
// each backend: the image count, the storage driver, the registry configuration of the
// flags and the persistent ID.
func TestInfo(t *testing.T) {
	f := env(t)
	py := dockerPy(t)
	// Each version where getInfo changes the answer, validated against moby's document of
	// that version.
	for _, v := range []string{"1.24", "1.43", "1.44", "1.45", "1.46", "1.47", "1.48", "1.49", "1.50", "1.52", "1.53", maxAPI} {
		if status, body := direct(t, f, http.MethodGet, "/v"+v+"/info", nil); status != http.StatusOK {
			t.Errorf("GET /v%s/info: %d %s", v, status, body)
		}
		if f.val.validated("info", v) == 0 {
			t.Errorf("GET /v%s/info: the answer was not validated", v)
		}
	}
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			d := startDaemon(t, f, b, "--registry-config", hostsDir(t))
			d.mustDocker(t, f, "pull", f.ref("e2e/cli:1"))
			idb, err := os.ReadFile(filepath.Join(d.dataRoot, engineIDFile))
			if err != nil {
				t.Fatal(err)
			}
			id := strings.TrimSpace(string(idb))
			driver := map[string]string{"sqlite": "", "containerd": "", "plugin": "sqlite"}[b]
			switch b {
			case "containerd":
				driver = d.ctrd.Snapshotter()
			case "sqlite":
				// The embedded snapshotter the store chose: its directory under the data root.
				ents, err := os.ReadDir(filepath.Join(d.dataRoot, "snapshots"))
				if err != nil || len(ents) != 1 {
					t.Fatalf("snapshots of %s: %v %v", d.dataRoot, ents, err)
				}
				driver = ents[0].Name()
			}

			r := d.docker(t, f, "info")
			if r.code != 0 || strings.Contains(r.stderr, "rror") {
				t.Fatalf("docker info: %s", r)
			}
			for _, want := range []string{
				"Images: 1",
				"Server Version: " + httpadapter.DefaultEngineVersion,
				"Storage Driver: " + driver,
				"ID: " + id,
				"Docker Root Dir: " + d.dataRoot,
				"Insecure Registries:\n  " + f.reg,
				"Registry Mirrors:\n  " + mirror,
			} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("docker info: no %q in\n%s", want, r.stdout)
				}
			}
			// containerd's snapshotter, the daemon's or the one SQLite embeds; the plugin's
			// is the plugin's business.
			if b != "plugin" && !strings.Contains(r.stdout, "driver-type: io.containerd.snapshotter.v1") {
				t.Errorf("docker info: the %s backend does not report the snapshotter driver type:\n%s", b, r.stdout)
			}

			// The Go SDK, at the newest version and at an old one.
			for _, v := range []string{"", "1.41"} {
				var opts []client.Opt
				if v != "" {
					opts = append(opts, client.WithVersion(v))
				}
				res, err := sdkFor(t, d, opts...).Info(context.Background(), client.InfoOptions{})
				if err != nil {
					t.Fatalf("SDK Info (version %q): %v", v, err)
				}
				info := res.Info
				if info.Images != 1 || info.ID != id || info.Driver != driver || info.OSType == "" || info.Architecture == "" {
					t.Errorf("SDK Info (version %q): Images %d, ID %q, Driver %q, OSType %q, Architecture %q", v, info.Images, info.ID, info.Driver, info.OSType, info.Architecture)
				}
				rc := info.RegistryConfig
				if rc == nil || len(rc.Mirrors) != 1 || rc.Mirrors[0] != mirror || rc.IndexConfigs[f.reg] == nil || rc.IndexConfigs[f.reg].Secure ||
					rc.IndexConfigs["docker.io"] == nil || !rc.IndexConfigs["docker.io"].Secure {
					t.Errorf("SDK Info (version %q): registry config %+v", v, rc)
				}
				if (b == "containerd" && v == "") != (info.Containerd != nil) {
					t.Errorf("SDK Info (version %q): Containerd %+v", v, info.Containerd)
				}
			}

			// docker-py.
			script := `import docker, json, sys
c = docker.DockerClient(base_url=sys.argv[1])
i = c.info()
json.dump({"Images": i["Images"], "ID": i["ID"], "Driver": i["Driver"], "Mirrors": i["RegistryConfig"]["Mirrors"], "Insecure": [k for k, v in i["RegistryConfig"]["IndexConfigs"].items() if not v["Secure"]]}, sys.stdout)`
			out, err := exec.Command(py, "-c", script, d.hostURL()).CombinedOutput()
			if err != nil {
				t.Fatalf("docker-py info: %v\n%s", err, out)
			}
			var got struct {
				Images            int
				ID, Driver        string
				Mirrors, Insecure []string
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("docker-py info: %v\n%s", err, out)
			}
			if got.Images != 1 || got.ID != id || got.Driver != driver || len(got.Mirrors) != 1 || got.Mirrors[0] != mirror ||
				len(got.Insecure) != 1 || got.Insecure[0] != f.reg {
				t.Errorf("docker-py info: %s", out)
			}
		})
	}
}
