package main

// docker login and distribution lookups (issue 11) against a second Debian docker-registry
// with htpasswd authentication, through the docker CLI, the Go SDK and docker-py, on every
// backend.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// authRegistry is a docker-registry that wants basic credentials (htpasswd).
type authRegistry struct {
	addr           string // host:port
	user, password string
	// single (private/x:1) is a schema 2 image, multi (private/multi:1) an OCI index with
	// two platforms and attestations.
	single, multi *testimages.Image
}

// startAuthRegistry starts a docker-registry with htpasswd authentication for t and pushes
// the private images into it with credentials. It stops when t ends.
func startAuthRegistry(t *testing.T, f *fixture) *authRegistry {
	t.Helper()
	htpasswd := testenv.Binary(t, "htpasswd", "apache2-utils")
	r := &authRegistry{user: "e2e-user", password: "e2e-s3cret-pw"}
	dir, err := os.MkdirTemp(f.tmp, "authreg-")
	if err != nil {
		t.Fatal(err)
	}
	// distribution accepts bcrypt entries only.
	out, err := exec.Command(htpasswd, "-Bbn", r.user, r.password).Output()
	if err != nil {
		t.Fatalf("htpasswd: %v", err)
	}
	pwFile := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(pwFile, out, 0o600); err != nil {
		t.Fatal(err)
	}
	r.addr = startDockerRegistry(t, dir, fmt.Sprintf(`auth:
  htpasswd:
    realm: imaged-e2e
    path: %s
`, pwFile))

	if r.single, err = testimages.DockerSchema2(testimages.Config{Created: date("2025-07-01"), Seed: 11}); err != nil {
		t.Fatal(err)
	}
	cfgFor := func(p ocispec.Platform) testimages.Config {
		return testimages.Config{Platform: p, Created: date("2025-07-02"), Seed: 12}
	}
	if r.multi, err = testimages.OCIIndex([]testimages.Config{cfgFor(f.host), cfgFor(f.other)}, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	creds := func(string) (string, string, error) { return r.user, r.password, nil }
	if err := testimages.Push(ctx, r.addr, "private/x", "1", r.single, true, creds); err != nil {
		t.Fatalf("push to the htpasswd registry: %v", err)
	}
	if err := testimages.Push(ctx, r.addr, "private/multi", "1", r.multi, true, creds); err != nil {
		t.Fatalf("push to the htpasswd registry: %v", err)
	}
	return r
}

// startDockerRegistry starts a Debian docker-registry for t on a free port of 127.0.0.1,
// with its root under dir and the configuration section extra (auth, or ""), and returns
// its host:port once GET /v2/ answers (200, or 401 with auth). It stops when t ends.
func startDockerRegistry(t *testing.T, dir, extra string) string {
	t.Helper()
	if _, err := os.Stat(registryBinary); err != nil {
		testenv.Unavailable(t, "docker-registry: %v", err) // the fixture installed it
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
%shttp:
  addr: %s
`, filepath.Join(dir, "root"), extra, addr)
	cfgPath := filepath.Join(dir, "registry.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cmd := exec.Command(registryBinary, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("docker-registry at %s did not exit within 10s of SIGKILL", addr)
		}
		if t.Failed() {
			t.Logf("docker-registry at %s log:\n%s", addr, logs.String())
		}
	})
	want := http.StatusOK
	if extra != "" {
		want = http.StatusUnauthorized
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("docker-registry at %s: GET /v2/ answered %s, want %d", addr, resp.Status, want)
			}
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("docker-registry at %s exited: %s", addr, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry did not answer on %s within 20s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// encodedAuth is the X-Registry-Auth header of the registry's credentials.
func (r *authRegistry) encodedAuth() string {
	b, _ := json.Marshal(map[string]string{"username": r.user, "password": r.password, "serveraddress": r.addr})
	return base64.URLEncoding.EncodeToString(b)
}

// wantPlatforms are the platforms Docker reports for img: an index's entries in order
// (attestation manifests included, as moby's distribution route lists every entry), or
// the platform of a manifest's config.
func wantPlatforms(t *testing.T, img *testimages.Image) []ocispec.Platform {
	t.Helper()
	var out []ocispec.Platform
	for _, m := range img.Manifests() {
		if m.Digest == img.Descriptor.Digest {
			_, cfg, err := img.Manifest(m.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return []ocispec.Platform{cfg.Platform}
		}
		if m.Platform == nil {
			out = append(out, ocispec.Platform{})
			continue
		}
		out = append(out, ocispec.Platform{OS: m.Platform.OS, Architecture: m.Platform.Architecture, Variant: m.Platform.Variant,
			OSVersion: m.Platform.OSVersion, OSFeatures: m.Platform.OSFeatures})
	}
	return out
}

// TestRegistryLogin: docker login against the htpasswd registry, a wrong password that
// fails without prompting, a pull of a private image with the stored credentials, and the
// same through the Go SDK and docker-py, with distribution lookups; on every backend.
func TestRegistryLogin(t *testing.T) {
	f := env(t)
	reg := startAuthRegistry(t, f)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			// At debug level, so that a secret logged anywhere shows: the password, the
			// Basic credentials and the X-Registry-Auth header that carry it.
			d := startDaemon(t, f, b, "--insecure-registry", reg.addr, "--log-level", "debug")
			t.Run("cli", func(t *testing.T) { testLoginCLI(t, f, d, reg) })
			t.Run("sdk", func(t *testing.T) { testLoginSDK(t, d, reg) })
			t.Run("dockerpy", func(t *testing.T) { testLoginDockerPy(t, f, d, reg) })
			basic := base64.StdEncoding.EncodeToString([]byte(reg.user + ":" + reg.password))
			for _, secret := range []string{reg.password, basic, reg.encodedAuth()} {
				if strings.Contains(d.logs.String(), secret) {
					t.Errorf("imaged logged a secret (%.6s...):\n%s", secret, d.logs.String())
				}
			}
		})
	}
}

func testLoginCLI(t *testing.T, f *fixture, d *daemon, reg *authRegistry) {
	cfgDir := t.TempDir()
	cli := func(stdin string, args ...string) cliResult {
		// stdin ends after the password: a CLI that prompted would read EOF, not wait.
		return docker(t, f, []string{"DOCKER_HOST=" + d.hostURL(), "DOCKER_CONFIG=" + cfgDir}, strings.NewReader(stdin), args...)
	}
	ref := reg.addr + "/private/x:1"

	// Without credentials the private image cannot be pulled. (Through the SDK: on a 401 the
	// CLI asks for credentials, which is not what this test is about.)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sdkFor(t, d).ImagePull(ctx, ref, client.ImagePullOptions{}); !cerrdefs.IsUnauthorized(err) {
		t.Errorf("pull of %s without credentials: %v, want an unauthorized error", ref, err)
	}
	// A wrong password fails, without a prompt (stdin ends after the password).
	r := cli(reg.password+"-wrong\n", "login", reg.addr, "-u", reg.user, "--password-stdin")
	if r.code == 0 || strings.Contains(r.stdout, "Login Succeeded") {
		t.Fatalf("docker login with a wrong password: %s", r)
	}
	if !strings.Contains(strings.ToLower(r.stderr), "unauthorized") && !strings.Contains(r.stderr, "401") {
		t.Errorf("docker login with a wrong password: %q does not say it was refused", r.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(cfgDir, "config.json")); err == nil && strings.Contains(string(b), reg.addr) {
		t.Errorf("a failed login stored credentials: %s", b)
	}

	r = cli(reg.password+"\n", "login", reg.addr, "-u", reg.user, "--password-stdin")
	if r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
		t.Fatalf("docker login: %s", r)
	}
	var cfg struct {
		Auths       map[string]struct{ Auth string } `json:"auths"`
		CredsStore  string                           `json:"credsStore"`
		CredHelpers map[string]string                `json:"credHelpers"`
	}
	b, err := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	want := base64.StdEncoding.EncodeToString([]byte(reg.user + ":" + reg.password))
	if cfg.CredsStore != "" || cfg.Auths[reg.addr].Auth != want {
		t.Fatalf("credentials not stored in config.json as expected: %s", b)
	}

	d.mustDocker(t, f, "--config", cfgDir, "pull", ref)
	r = d.mustDocker(t, f, "--config", cfgDir, "image", "inspect", "--format", "{{.ID}}", ref)
	if got := strings.TrimSpace(r.stdout); got != reg.single.Descriptor.Digest.String() {
		t.Errorf("pulled %s has ID %s, want %s", ref, got, reg.single.Descriptor.Digest)
	}
}

func testLoginSDK(t *testing.T, d *daemon, reg *authRegistry) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := sdkFor(t, d)

	_, err := c.RegistryLogin(ctx, client.RegistryLoginOptions{Username: reg.user, Password: "nope", ServerAddress: reg.addr})
	if !cerrdefs.IsUnauthorized(err) {
		t.Errorf("RegistryLogin with a wrong password: %v, want an unauthorized error", err)
	}
	res, err := c.RegistryLogin(ctx, client.RegistryLoginOptions{Username: reg.user, Password: reg.password, ServerAddress: reg.addr})
	if err != nil {
		t.Fatalf("RegistryLogin: %v", err)
	}
	if res.Auth.Status != "Login Succeeded" || res.Auth.IdentityToken != "" {
		t.Errorf("RegistryLogin: %+v, want Login Succeeded without a token (basic auth)", res.Auth)
	}

	for _, tt := range []struct {
		ref string
		img *testimages.Image
	}{
		{reg.addr + "/private/x:1", reg.single},
		{reg.addr + "/private/multi:1", reg.multi},
		{reg.addr + "/private/multi@" + reg.multi.Descriptor.Digest.String(), reg.multi},
	} {
		got, err := c.DistributionInspect(ctx, tt.ref, client.DistributionInspectOptions{EncodedRegistryAuth: reg.encodedAuth()})
		if err != nil {
			t.Errorf("DistributionInspect(%s): %v", tt.ref, err)
			continue
		}
		want := tt.img.Descriptor
		if got.Descriptor.Digest != want.Digest || got.Descriptor.MediaType != want.MediaType || got.Descriptor.Size != want.Size {
			t.Errorf("DistributionInspect(%s): descriptor %+v, want %s %s %d", tt.ref, got.Descriptor, want.MediaType, want.Digest, want.Size)
		}
		if wp := wantPlatforms(t, tt.img); !jsonEqual(got.Platforms, wp) {
			t.Errorf("DistributionInspect(%s): platforms %+v, want %+v", tt.ref, got.Platforms, wp)
		}
	}
	if _, err := c.DistributionInspect(ctx, reg.addr+"/private/x:1", client.DistributionInspectOptions{}); !cerrdefs.IsUnauthorized(err) {
		t.Errorf("DistributionInspect without credentials: %v, want an unauthorized error", err)
	}
	if _, err := c.DistributionInspect(ctx, reg.addr+"/private/x:nosuch", client.DistributionInspectOptions{EncodedRegistryAuth: reg.encodedAuth()}); !cerrdefs.IsNotFound(err) {
		t.Errorf("DistributionInspect of an unknown tag: %v, want not found", err)
	}
}

// pyRegistry is what testdata/dockerpy_e2e.py registry prints.
type pyRegistry struct {
	LoginBad      pyAttempt `json:"login_bad"`
	Login         pyAttempt `json:"login"`
	Data          pyAttempt `json:"data"`
	DataAnonymous pyAttempt `json:"data_anonymous"`
}

func testLoginDockerPy(t *testing.T, f *fixture, d *daemon, reg *authRegistry) {
	py := dockerPy(t)
	script, err := filepath.Abs(filepath.Join("testdata", "dockerpy_e2e.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := reg.addr + "/private/multi:1"
	cmd := exec.CommandContext(ctx, py, script, "registry", d.hostURL(), reg.addr, reg.user, reg.password, name)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker-py script: %v\n%s", err, stderr.String())
	}
	var r pyRegistry
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("docker-py script output: %v\n%s", err, stdout.String())
	}
	if r.LoginBad.Error == nil || !strings.Contains(r.LoginBad.Error.Message, "401") {
		t.Errorf("client.login with a wrong password: %+v, want a 401 APIError", r.LoginBad)
	}
	var login map[string]any
	if r.Login.Error != nil || json.Unmarshal(r.Login.Value, &login) != nil || login["Status"] != "Login Succeeded" {
		t.Errorf("client.login: %+v %s", r.Login.Error, r.Login.Value)
	}
	var data struct {
		ID    string `json:"id"`
		Attrs struct {
			Descriptor ocispec.Descriptor
			Platforms  []ocispec.Platform
		}
		HostAmd64 bool `json:"host_amd64"`
		HostS390x bool `json:"host_s390x"`
	}
	if r.Data.Error != nil || json.Unmarshal(r.Data.Value, &data) != nil {
		t.Fatalf("images.get_registry_data(%s): %+v %s", name, r.Data.Error, r.Data.Value)
	}
	if data.ID != reg.multi.Descriptor.Digest.String() || data.Attrs.Descriptor.Digest != reg.multi.Descriptor.Digest {
		t.Errorf("images.get_registry_data(%s): id %s descriptor %+v, want %s", name, data.ID, data.Attrs.Descriptor, reg.multi.Descriptor.Digest)
	}
	if wp := wantPlatforms(t, reg.multi); !jsonEqual(data.Attrs.Platforms, wp) {
		t.Errorf("images.get_registry_data(%s): platforms %+v, want %+v", name, data.Attrs.Platforms, wp)
	}
	hasAmd64 := slices.ContainsFunc(wantPlatforms(t, reg.multi), func(p ocispec.Platform) bool { return p.OS == "linux" && p.Architecture == "amd64" })
	if data.HostAmd64 != hasAmd64 || data.HostS390x {
		t.Errorf("RegistryData.has_platform: linux/amd64 %v (want %v), linux/s390x %v (want false)", data.HostAmd64, hasAmd64, data.HostS390x)
	}
	if r.DataAnonymous.Error == nil || !strings.Contains(r.DataAnonymous.Error.Message, "401") {
		t.Errorf("images.get_registry_data without credentials: %+v %s, want a 401 APIError", r.DataAnonymous.Error, r.DataAnonymous.Value)
	}
}
