package main

// skopeo's docker-daemon: transport against imaged (issue 11), on every backend: it reads
// images with GET /images/get (docker save) and writes them with POST /images/load (docker
// load). skopeo 1.9 (Debian 12) ignores DOCKER_HOST for that transport and dials
// /var/run/docker.sock unless told otherwise, so the daemon is named with --src-daemon-host
// and --dest-daemon-host (DOCKER_HOST is set as well, for newer versions). It also pins API
// version 1.22, which Docker 25 and later refuse (their floor is 1.24, so skopeo 1.9 cannot
// talk to them at all; skopeo 1.14 and later negotiate): imaged runs with
// --min-api-version 1.22 for it.

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testenv"
)

// skopeo runs skopeo with DOCKER_HOST pointing at the daemon and fails t unless it exits 0.
func (d *daemon) skopeo(t *testing.T, args ...string) string {
	t.Helper()
	bin := testenv.Binary(t, "skopeo", "skopeo")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--insecure-policy"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "DOCKER_HOST=" + d.hostURL()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("skopeo %v (backend %s): %v\nstdout:\n%s\nstderr:\n%s", args, d.backend, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// ociDirConfig reads the image config of the only image of an OCI layout directory.
func ociDirConfig(t *testing.T, dir string) ocispec.Image {
	t.Helper()
	blob := func(d digest.Digest) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded()))
		if err != nil {
			t.Fatalf("OCI directory: %v", err)
		}
		if got := digest.FromBytes(b); got != d {
			t.Fatalf("OCI directory: blob %s has digest %s", d, got)
		}
		return b
	}
	var idx ocispec.Index
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("OCI directory index.json: %v\n%s", err, b)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(blob(idx.Manifests[0].Digest), &m); err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		blob(l.Digest)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(blob(m.Config.Digest), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSkopeoDockerDaemon copies an image out of imaged into an OCI directory with skopeo
// (docker-daemon: source), and back in under another name (docker-daemon: destination), on
// every backend.
func TestSkopeoDockerDaemon(t *testing.T) {
	f := env(t)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { skopeoDockerDaemon(t, f, startDaemon(t, f, b, "--min-api-version", "1.22")) })
	}
}

func skopeoDockerDaemon(t *testing.T, f *fixture, d *daemon) {
	ref := f.ref("e2e/app:v1")
	d.mustDocker(t, f, "pull", "-q", ref)
	_, want, err := f.app.Manifest(f.app.Descriptor.Digest)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")

	// tcp:// would mean TLS to skopeo; http:// is plain.
	httpHost := "http://" + d.proxy
	src, dst := "--src-daemon-host="+httpHost, "--dest-daemon-host="+httpHost
	d.skopeo(t, "copy", src, "docker-daemon:"+ref, "oci:"+dir+":app")
	got := ociDirConfig(t, dir)
	if !slices.Equal(got.RootFS.DiffIDs, want.RootFS.DiffIDs) || !slices.Equal(got.Config.Env, want.Config.Env) ||
		!maps.Equal(got.Config.Labels, want.Config.Labels) || got.Config.User != want.Config.User {
		t.Errorf("skopeo copy docker-daemon: → oci: config %+v, want %+v", got, want)
	}

	// Back into imaged under a new name.
	d.skopeo(t, "copy", dst, "oci:"+dir+":app", "docker-daemon:skopeo/app:copy")
	var insp []struct {
		ID       string `json:"Id"`
		RepoTags []string
		Config   struct {
			Env    []string
			Labels map[string]string
			User   string
		}
		RootFS struct{ Layers []digest.Digest }
	}
	r := d.mustDocker(t, f, "image", "inspect", "skopeo/app:copy")
	if err := json.Unmarshal([]byte(r.stdout), &insp); err != nil || len(insp) != 1 {
		t.Fatalf("docker image inspect skopeo/app:copy: %v\n%s", err, r.stdout)
	}
	i := insp[0]
	if !slices.Equal(i.RepoTags, []string{"skopeo/app:copy"}) || !slices.Equal(i.RootFS.Layers, want.RootFS.DiffIDs) ||
		!slices.Equal(i.Config.Env, want.Config.Env) || !maps.Equal(i.Config.Labels, want.Config.Labels) || i.Config.User != want.Config.User {
		t.Errorf("the image skopeo wrote: %+v\nwant the config of %s: %+v", i, ref, want)
	}
	if rows := cliRows(t, d.mustDocker(t, f, "images", "--format", "{{json .}}", "skopeo/app").stdout); len(rows) != 1 || rows[0].Tag != "copy" {
		t.Errorf("docker images skopeo/app: %+v", rows)
	}
	// What skopeo wrote reads back through docker save as well.
	d.skopeo(t, "copy", src, "docker-daemon:skopeo/app:copy", "oci:"+dir+"2:app")
	if got := ociDirConfig(t, dir+"2"); !slices.Equal(got.RootFS.DiffIDs, want.RootFS.DiffIDs) {
		t.Errorf("skopeo copy of the copy: diff IDs %v, want %v", got.RootFS.DiffIDs, want.RootFS.DiffIDs)
	}
}
