package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// dfBackends are the backends whose service reports disk usage: all three (the plugin
// announces imagesvc.DiskUsager when its backend has it, as SQLite does).
var dfBackends = []string{"sqlite", "containerd", "plugin"}

// TestSystemDF: docker system df and docker system df -v (the real CLI), the Go SDK's
// DiskUsage at the newest API version and an old one, and docker-py's df() read imaged's
// GET /system/df on each backend, with a named image and a dangling one; the answers of
// every version range are validated against moby's documents by the proxy.
func TestSystemDF(t *testing.T) {
	f := env(t)
	py := dockerPy(t)
	for _, b := range dfBackends {
		t.Run(b, func(t *testing.T) {
			d := startDaemon(t, f, b)
			d.mustDocker(t, f, "pull", f.ref("e2e/cli:1"))
			r := docker(t, f, []string{"DOCKER_HOST=" + d.hostURL()}, bytes.NewReader(tarOf(t, "df/file", "dangling")), "import", "-")
			if r.code != 0 {
				t.Fatalf("docker import: %s", r)
			}
			dangling := strings.TrimSpace(r.stdout)

			r = d.mustDocker(t, f, "system", "df")
			if strings.Contains(r.stderr, "rror") {
				t.Errorf("docker system df: %s", r)
			}
			if !regexp.MustCompile(`(?m)^Images\s+2\s+0\s+\S+`).MatchString(r.stdout) {
				t.Errorf("docker system df: want 2 images, none active:\n%s", r.stdout)
			}
			r = d.mustDocker(t, f, "system", "df", "-v")
			if strings.Contains(r.stderr, "rror") {
				t.Errorf("docker system df -v: %s", r)
			}
			for _, want := range []string{f.ref("e2e/cli"), "<none>", strings.TrimPrefix(dangling, "sha256:")[:12]} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("docker system df -v: no %q in\n%s", want, r.stdout)
				}
			}

			// The Go SDK: the *Usage objects at the newest version, the legacy arrays at 1.41.
			var sizes []int64
			for _, v := range []string{"", "1.41"} {
				var opts []client.Opt
				if v != "" {
					opts = append(opts, client.WithVersion(v))
				}
				res, err := sdkFor(t, d, opts...).DiskUsage(context.Background(), client.DiskUsageOptions{Images: true, Verbose: true})
				if err != nil {
					t.Fatalf("SDK DiskUsage (version %q): %v", v, err)
				}
				im := res.Images
				if im.TotalCount != 2 || im.ActiveCount != 0 || len(im.Items) != 2 || im.TotalSize <= 0 || im.Reclaimable <= 0 || im.Reclaimable > im.TotalSize {
					t.Errorf("SDK DiskUsage (version %q): %+v", v, im)
				}
				sizes = append(sizes, im.TotalSize)
			}
			if sizes[0] != sizes[1] {
				t.Errorf("TotalSize %d at the newest version, LayersSize %d at 1.41", sizes[0], sizes[1])
			}

			// docker-py.
			script := `import docker, json, sys
c = docker.DockerClient(base_url=sys.argv[1])
d = c.df()
json.dump({"LayersSize": d["LayersSize"], "Images": [i["Id"] for i in d["Images"]]}, sys.stdout)`
			out, err := exec.Command(py, "-c", script, d.hostURL()).CombinedOutput()
			if err != nil {
				t.Fatalf("docker-py df: %v\n%s", err, out)
			}
			var got struct {
				LayersSize int64
				Images     []string
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("docker-py df: %v\n%s", err, out)
			}
			if got.LayersSize != sizes[0] || len(got.Images) != 2 || !strings.Contains(strings.Join(got.Images, " "), dangling) {
				t.Errorf("docker-py df: %s (TotalSize %d, dangling %s)", out, sizes[0], dangling)
			}

			// Every version range of the answer, validated by the proxy.
			for _, p := range []string{"/v1.41/system/df", "/v1.43/system/df?type=image", "/v1.44/system/df", "/v1.51/system/df",
				"/v1.52/system/df", "/v1.52/system/df?verbose=1", "/v" + maxAPI + "/system/df?type=image", "/system/df"} {
				if status, body := daemonGet(t, d, p); status != http.StatusOK {
					t.Errorf("GET %s: %d %s", p, status, body)
				}
			}
			for _, v := range []string{"1.41", "1.43", "1.44", "1.51", "1.52", maxAPI} {
				if f.val.validated("df", v) == 0 {
					t.Errorf("GET /v%s/system/df: the answer was not validated", v)
				}
			}
		})
	}
}

// daemonGet sends a GET to the daemon's validating proxy.
func daemonGet(t *testing.T, d *daemon, path string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.proxy+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, body
}

// tarOf returns a tar archive with one file.
func tarOf(t *testing.T, name, data string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
