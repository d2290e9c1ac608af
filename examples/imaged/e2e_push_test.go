package main

// docker push (issue 11) through imaged on every backend, to Debian's docker-registry
// without authentication and with htpasswd (after docker login); skopeo inspects what was
// pushed. (docker login followed by a pull of a private image with the stored credentials
// is TestRegistryLogin's testLoginCLI; here a pushed private image is pulled back the same
// way.)

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// pushDigestRe matches the final record of a pushed tag: "<tag>: digest: <digest> size: <n>".
var pushDigestRe = regexp.MustCompile(`^(\S+): digest: (sha256:[0-9a-f]{64}) size: ([0-9]+)$`)

// pushResult is what docker push printed: the final state of each blob by short ID, and the
// final record.
type pushResult struct {
	repo   string            // the repository of the first line
	final  map[string]string // short ID -> last status
	tag    string
	digest digest.Digest
	size   int64
}

// parsePush reads docker push's output (no terminal: one "<id>: <status>" line per record).
func parsePush(t *testing.T, out string) pushResult {
	t.Helper()
	res := pushResult{final: map[string]string{}}
	lines := outLines(out)
	if len(lines) == 0 {
		t.Fatalf("docker push printed nothing")
	}
	repo, ok := strings.CutPrefix(lines[0], "The push refers to repository [")
	if !ok || !strings.HasSuffix(repo, "]") {
		t.Errorf("docker push: first line %q", lines[0])
	}
	res.repo = strings.TrimSuffix(repo, "]")
	for _, l := range lines[1:] {
		if m := pushDigestRe.FindStringSubmatch(l); m != nil {
			res.tag, res.digest = m[1], digest.Digest(m[2])
			res.size, _ = strconv.ParseInt(m[3], 10, 64)
			continue
		}
		if id, status, ok := strings.Cut(l, ": "); ok && len(id) == 12 {
			res.final[id] = status
		}
	}
	if res.digest == "" {
		t.Errorf("docker push: no final digest record in\n%s", out)
	}
	return res
}

// layerIDs are the short IDs of the layers of img's manifest m.
func layerIDs(t *testing.T, img *testimages.Image, m digest.Digest) []string {
	t.Helper()
	man, _, err := img.Manifest(m)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range man.Layers {
		ids = append(ids, shortID(l.Digest))
	}
	return ids
}

// checkLayers fails t unless every layer's last status is want.
func (r pushResult) checkLayers(t *testing.T, what string, ids []string, want string) {
	t.Helper()
	for _, id := range ids {
		if got := r.final[id]; got != want {
			t.Errorf("%s: layer %s ends with %q, want %q (all: %v)", what, id, got, want, r.final)
		}
	}
}

// skopeoInspect runs skopeo inspect on a registry reference and returns the digest of the
// raw manifest it gets and the Digest field of its summary.
func skopeoInspect(t *testing.T, ref string, creds string) (raw, summary digest.Digest) {
	t.Helper()
	skopeo := testenv.Binary(t, "skopeo", "skopeo")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"inspect", "--tls-verify=false"}
	if creds != "" {
		args = append(args, "--creds", creds)
	} else {
		args = append(args, "--no-creds")
	}
	run := func(extra ...string) []byte {
		cmd := exec.CommandContext(ctx, skopeo, append(append(slices.Clone(args), extra...), "docker://"+ref)...)
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("skopeo %v docker://%s: %v\n%s", extra, ref, err, stderr)
		}
		return out
	}
	raw = digest.FromBytes(run("--raw"))
	var s struct{ Digest digest.Digest }
	if err := json.Unmarshal(run(), &s); err != nil {
		t.Fatalf("skopeo inspect docker://%s: %v", ref, err)
	}
	return raw, s.Digest
}

// TestCLIPush pushes with the docker CLI on every backend: to a registry without
// authentication (a single image, again, a multi-platform image) and to one with htpasswd
// (refused without credentials, accepted after docker login, pulled back). One registry of
// each kind serves every backend, each pushing to repositories of its own.
func TestCLIPush(t *testing.T) {
	f := env(t)
	plain := startDockerRegistry(t, t.TempDir(), "")
	auth := startAuthRegistry(t, f)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			d := startDaemon(t, f, b, "--insecure-registry", plain, "--insecure-registry", auth.addr, "--log-level", "debug")
			t.Run("plain", func(t *testing.T) { cliPushPlain(t, f, d, plain) })
			t.Run("htpasswd", func(t *testing.T) { cliPushAuth(t, f, d, auth) })
			if strings.Contains(d.logs.String(), auth.password) {
				t.Errorf("imaged logged the registry password")
			}
		})
	}
}

func cliPushPlain(t *testing.T, f *fixture, d *daemon, reg string) {
	src := f.ref("e2e/cli:1")
	d.mustDocker(t, f, "pull", "-q", src)
	repo := reg + "/push/" + d.backend + "/cli"
	d.mustDocker(t, f, "tag", src, repo+":1")
	ids := layerIDs(t, f.cliImg, f.cliImg.Descriptor.Digest)

	r := d.mustDocker(t, f, "push", repo+":1")
	res := parsePush(t, r.stdout)
	if res.repo != repo {
		t.Errorf("docker push: refers to %q, want %q", res.repo, repo)
	}
	res.checkLayers(t, "first docker push", ids, "Pushed")
	if res.tag != "1" || res.digest != f.cliImg.Descriptor.Digest || res.size != f.cliImg.Descriptor.Size {
		t.Errorf("docker push: final record %s: digest: %s size: %d, want 1: digest: %s size: %d",
			res.tag, res.digest, res.size, f.cliImg.Descriptor.Digest, f.cliImg.Descriptor.Size)
	}
	raw, summary := skopeoInspect(t, repo+":1", "")
	if raw != res.digest || summary != res.digest {
		t.Errorf("skopeo inspect %s:1: manifest %s, Digest %s; docker push said %s", repo, raw, summary, res.digest)
	}

	// Again: the registry has every layer.
	r = d.mustDocker(t, f, "push", repo+":1")
	again := parsePush(t, r.stdout)
	again.checkLayers(t, "second docker push", ids, "Layer already exists")
	if again.digest != res.digest || again.size != res.size {
		t.Errorf("second docker push: %s size %d, want %s size %d", again.digest, again.size, res.digest, res.size)
	}

	// A multi-platform image pulled for the host's platform only: the index is incomplete,
	// and Docker's fallback (spec §8.2) pushes the host platform's manifest instead.
	var hostManifest ocispec.Descriptor
	for _, m := range f.multi.Manifests() {
		if m.Platform != nil && platforms.OnlyStrict(f.host).Match(*m.Platform) {
			hostManifest = m
		}
	}
	msrc := f.ref("e2e/multi:1.0")
	d.mustDocker(t, f, "pull", "-q", "--platform", f.platformString(f.host), msrc)
	mrepo := reg + "/push/" + d.backend + "/multi"
	d.mustDocker(t, f, "tag", msrc, mrepo+":host")
	r = d.mustDocker(t, f, "push", mrepo+":host")
	mres := parsePush(t, r.stdout)
	if mres.digest != hostManifest.Digest || mres.size != hostManifest.Size {
		t.Errorf("docker push of an incomplete index: %s size %d, want the host's manifest %s size %d", mres.digest, mres.size, hostManifest.Digest, hostManifest.Size)
	}
	hostLayers := layerIDs(t, f.multi, hostManifest.Digest)
	mres.checkLayers(t, "docker push of an incomplete index", hostLayers, "Pushed")
	if raw, _ := skopeoInspect(t, mrepo+":host", ""); raw != hostManifest.Digest {
		t.Errorf("skopeo inspect --raw %s:host: %s, want the host's manifest %s", mrepo, raw, hostManifest.Digest)
	}

	// With the other platform pulled too (and its attestation, as Docker 29 pulls them), the
	// index is complete and pushed as it is; the host's layers are there already.
	d.mustDocker(t, f, "pull", "-q", "--platform", f.platformString(f.other), msrc)
	d.mustDocker(t, f, "tag", msrc, mrepo+":full")
	r = d.mustDocker(t, f, "push", mrepo+":full")
	mres = parsePush(t, r.stdout)
	if mres.digest != f.multi.Descriptor.Digest || mres.size != f.multi.Descriptor.Size {
		t.Errorf("docker push of the index: %s size %d, want %s size %d", mres.digest, mres.size, f.multi.Descriptor.Digest, f.multi.Descriptor.Size)
	}
	mres.checkLayers(t, "docker push of the index", hostLayers, "Layer already exists")
	for _, m := range f.multi.Manifests() {
		if m.Platform != nil && m.Platform.OS != "unknown" && m.Digest != hostManifest.Digest {
			mres.checkLayers(t, "docker push of the index", layerIDs(t, f.multi, m.Digest), "Pushed")
		}
	}
	if raw, _ := skopeoInspect(t, mrepo+":full", ""); raw != f.multi.Descriptor.Digest {
		t.Errorf("skopeo inspect --raw %s:full: %s, want the index %s", mrepo, raw, f.multi.Descriptor.Digest)
	}

	// A tag that does not exist: Docker's text, exit 1.
	if r := d.docker(t, f, "push", repo+":nosuch"); r.code != 1 || !strings.Contains(r.stderr, "tag does not exist: "+repo+":nosuch") {
		t.Errorf("docker push of an unknown tag: %s", r)
	}
}

func cliPushAuth(t *testing.T, f *fixture, d *daemon, reg *authRegistry) {
	cfgDir := t.TempDir()
	cli := func(stdin string, args ...string) cliResult {
		return docker(t, f, []string{"DOCKER_HOST=" + d.hostURL(), "DOCKER_CONFIG=" + cfgDir}, strings.NewReader(stdin), args...)
	}
	src := f.ref("e2e/py:1")
	d.mustDocker(t, f, "pull", "-q", src)
	ref := reg.addr + "/push/" + d.backend + "/py:1"
	d.mustDocker(t, f, "tag", src, ref)
	ids := layerIDs(t, f.pyImg, f.pyImg.Descriptor.Digest)

	// Without credentials: refused (the containerd store answers in-stream, so the CLI does
	// not prompt).
	r := cli("", "push", ref)
	if r.code != 1 || !strings.Contains(r.stderr, "no basic auth credentials") {
		t.Errorf("docker push without credentials: %s", r)
	}

	if r := cli(reg.password+"\n", "login", reg.addr, "-u", reg.user, "--password-stdin"); r.code != 0 {
		t.Fatalf("docker login: %s", r)
	}
	r = cli("", "push", ref)
	if r.code != 0 {
		t.Fatalf("docker push after docker login: %s", r)
	}
	res := parsePush(t, r.stdout)
	res.checkLayers(t, "docker push with credentials", ids, "Pushed")
	if res.digest != f.pyImg.Descriptor.Digest {
		t.Errorf("docker push: digest %s, want %s", res.digest, f.pyImg.Descriptor.Digest)
	}
	raw, summary := skopeoInspect(t, ref, reg.user+":"+reg.password)
	if raw != res.digest || summary != res.digest {
		t.Errorf("skopeo inspect %s: manifest %s, Digest %s; docker push said %s", ref, raw, summary, res.digest)
	}
	r = cli("", "push", ref)
	if r.code != 0 {
		t.Fatalf("second docker push: %s", r)
	}
	parsePush(t, r.stdout).checkLayers(t, "second docker push with credentials", ids, "Layer already exists")

	// The pushed private image, removed, is pulled back with the stored credentials.
	d.mustDocker(t, f, "rmi", ref, src)
	if r := cli("", "pull", ref); r.code != 0 || !strings.Contains(r.stdout, "Downloaded newer image for "+ref) {
		t.Fatalf("docker pull %s with the stored credentials: %s", ref, r)
	}
	if got := d.inspectAll(t, f, ref)[0]["Id"]; got != f.pyImg.Descriptor.Digest.String() {
		t.Errorf("pulled %s is %v, want %s", ref, got, f.pyImg.Descriptor.Digest)
	}
}
