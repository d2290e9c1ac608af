package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

// The docker CLI of the machine image (client only, v28) at /usr/local/bin/docker. Debian's
// docker.io is the fallback when it is missing.
const dockerCLI = "/usr/local/bin/docker"

// cliResult is what one docker command did.
type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// docker runs the docker CLI against the validating proxy, with a configuration directory
// of its own (no user configuration, no credentials helper) and no hints. env adds
// variables (DOCKER_API_VERSION=1.41).
func docker(t *testing.T, f *fixture, env []string, stdin io.Reader, args ...string) cliResult {
	t.Helper()
	bin := testenv.Binary(t, "docker", "docker.io", dockerCLI)
	cfg := filepath.Join(f.tmp, "docker-config")
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + f.tmp,
		"DOCKER_CONFIG=" + cfg,
		"DOCKER_HOST=" + f.hostURL(),
		"DOCKER_CLI_HINTS=false",
		"NO_COLOR=1",
	}, env...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustDocker runs docker and fails t unless it exits 0.
func mustDocker(t *testing.T, f *fixture, args ...string) cliResult {
	t.Helper()
	r := docker(t, f, nil, nil, args...)
	if r.code != 0 {
		t.Fatalf("docker %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// shortID is the 12-hex ID the CLI shows.
func shortID(d digest.Digest) string { return d.Encoded()[:12] }

func TestCLIPull(t *testing.T) {
	f := env(t)
	ref := f.ref("e2e/cli:1")
	m, _, err := f.cliImg.Manifest(f.cliImg.Descriptor.Digest)
	if err != nil {
		t.Fatal(err)
	}
	layer := shortID(m.Layers[0].Digest)
	f.removeWhenDone(t, ref)

	r := mustDocker(t, f, "pull", ref)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	for _, want := range []string{
		"1: Pulling from e2e/cli",
		layer + ": Pulling fs layer",
		layer + ": Download complete",
		layer + ": Pull complete",
		"Digest: " + f.cliImg.Descriptor.Digest.String(),
		"Status: Downloaded newer image for " + ref,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("docker pull: no line %q in\n%s", want, r.stdout)
		}
	}
	if last := lines[len(lines)-1]; last != ref {
		t.Errorf("docker pull: last line %q, want the reference %q (the CLI prints it after the stream)", last, ref)
	}

	r = mustDocker(t, f, "pull", ref)
	if !strings.Contains(r.stdout, "Status: Image is up to date for "+ref) {
		t.Errorf("second docker pull: not up to date:\n%s", r.stdout)
	}
	byDigest := f.ref("e2e/cli@" + f.cliImg.Descriptor.Digest.String())
	r = mustDocker(t, f, "pull", "-q", byDigest)
	if strings.TrimSpace(r.stdout) != byDigest {
		t.Errorf("docker pull -q by digest: %q, want %q", r.stdout, byDigest)
	}
	r = mustDocker(t, f, "image", "inspect", "--format", "{{.Id}}", ref)
	if strings.TrimSpace(r.stdout) != f.cliImg.Descriptor.Digest.String() {
		t.Errorf("pulled image ID %q, want %s", r.stdout, f.cliImg.Descriptor.Digest)
	}

	// An unknown repository: exit 1 and the daemon's error as the CLI prints any daemon
	// error ("Error response from daemon: " + the message).
	r = docker(t, f, nil, nil, "pull", f.ref("e2e/nosuch:1"))
	if r.code != 1 || !strings.HasPrefix(r.stderr, "Error response from daemon: ") || !strings.Contains(r.stderr, "not found") {
		t.Errorf("docker pull of an unknown repository: want exit 1 and a not-found error, got %s", r)
	}
	r = docker(t, f, nil, nil, "pull", f.ref("e2e/cli:nosuchtag"))
	if r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("docker pull of an unknown tag: want exit 1 and a not-found error, got %s", r)
	}
}

// cliRow is one line of docker images --format '{{json .}}'.
type cliRow struct {
	Containers, CreatedAt, CreatedSince, Digest, ID, Repository, SharedSize, Size, Tag, VirtualSize string
}

func cliRows(t *testing.T, out string) []cliRow {
	t.Helper()
	var rows []cliRow
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r cliRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("docker images --format '{{json .}}': line %q: %v", sc.Text(), err)
		}
		rows = append(rows, r)
	}
	return rows
}

// sdk returns a Go SDK client of the validating proxy; opts add to the host option.
func sdk(t *testing.T, f *fixture, opts ...client.Opt) *client.Client {
	t.Helper()
	c, err := client.New(append([]client.Opt{client.WithHost(f.hostURL())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// allImages lists every image through the Go SDK: the oracle the CLI's filtered lists are
// compared with.
func allImages(t *testing.T, f *fixture) []image.Summary {
	t.Helper()
	res, err := sdk(t, f).ImageList(context.Background(), client.ImageListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	return res.Items
}

func idSet(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

func TestCLIImages(t *testing.T) {
	f := env(t)
	appID := f.app.Descriptor.Digest
	appRepo := f.ref("e2e/app")

	t.Run("json", func(t *testing.T) {
		rows := cliRows(t, mustDocker(t, f, "images", "--format", "{{json .}}").stdout)
		var tags []string
		hides := cliHidesUntagged(t)
		for _, r := range rows {
			if hides && (r.Repository == "<none>" || r.Tag == "<none>") {
				t.Errorf("docker images without -a shows an untagged image: %+v", r)
			}
			if r.Repository == appRepo {
				tags = append(tags, r.Tag)
				if r.ID != shortID(appID) || r.CreatedAt != "2025-01-01 00:00:00 +0000 UTC" || r.Digest != "<none>" {
					t.Errorf("app row: %+v, want ID %s, CreatedAt 2025-01-01 00:00:00 +0000 UTC, Digest <none>", r, shortID(appID))
				}
			}
		}
		slices.Sort(tags)
		if !slices.Equal(tags, []string{"latest", "v1", "v2"}) {
			t.Errorf("docker images: tags of %s are %v, want latest, v1, v2", appRepo, tags)
		}
	})

	t.Run("table", func(t *testing.T) {
		out := mustDocker(t, f, "images").stdout
		header, _, _ := strings.Cut(out, "\n")
		if strings.Join(strings.Fields(header), " ") != "REPOSITORY TAG IMAGE ID CREATED SIZE" {
			t.Errorf("docker images: header %q", header)
		}
		found := false
		for _, line := range strings.Split(out, "\n") {
			fs := strings.Fields(line)
			if len(fs) >= 3 && fs[0] == appRepo && fs[1] == "v1" && fs[2] == shortID(appID) {
				found = true
			}
		}
		if !found {
			t.Errorf("docker images: no row for %s:v1 (%s) in\n%s", appRepo, shortID(appID), out)
		}
		q := strings.Fields(mustDocker(t, f, "images", "-q", appRepo).stdout)
		if len(q) == 0 || q[0] != shortID(appID) {
			t.Errorf("docker images -q %s: %v", appRepo, q)
		}
	})

	t.Run("all", func(t *testing.T) {
		f.needImports(t)
		rows := cliRows(t, mustDocker(t, f, "images", "-a", "--no-trunc", "--format", "{{json .}}").stdout)
		found := false
		for _, r := range rows {
			if r.ID == f.danglingID {
				found = true
				if r.Repository != "<none>" || r.Tag != "<none>" {
					t.Errorf("dangling image row: %+v", r)
				}
			}
		}
		if !found {
			t.Errorf("docker images -a: the dangling import %s is missing", f.danglingID)
		}
	})

	t.Run("digests", func(t *testing.T) {
		rows := cliRows(t, mustDocker(t, f, "images", "--digests", "--format", "{{json .}}", appRepo).stdout)
		if len(rows) != 3 {
			t.Fatalf("docker images --digests %s: %d rows, want 3: %+v", appRepo, len(rows), rows)
		}
		for _, r := range rows {
			if r.Digest != appID.String() {
				t.Errorf("docker images --digests: row %+v, want Digest %s", r, appID)
			}
		}
		out := mustDocker(t, f, "images", "--digests", appRepo).stdout
		if !strings.Contains(out, "DIGEST") || !strings.Contains(out, appID.String()) {
			t.Errorf("docker images --digests (table):\n%s", out)
		}
	})

	t.Run("filters", func(t *testing.T) {
		all := allImages(t, f)
		byID := map[string]image.Summary{}
		for _, s := range all {
			byID[s.ID] = s
		}
		created := func(id digest.Digest) int64 {
			s, ok := byID[id.String()]
			if !ok {
				t.Fatalf("image %s is not listed", id)
			}
			return s.Created
		}
		multiCreated := created(f.multi.Descriptor.Digest)
		childCreated := created(f.child.Descriptor.Digest)
		refMatch := func(s image.Summary, pattern string) bool {
			for _, tag := range s.RepoTags {
				name, _, _ := strings.Cut(tag[strings.LastIndex(tag, "/")+1:], ":")
				name = tag[:strings.LastIndex(tag, "/")+1] + name
				if ok, _ := path.Match(pattern, tag); ok {
					return true
				}
				if ok, _ := path.Match(pattern, name); ok {
					return true
				}
			}
			return false
		}
		hasLabel := func(s image.Summary, k string) bool { _, ok := s.Labels[k]; return ok }
		base, child, app, multi := f.base.Descriptor.Digest.String(), f.child.Descriptor.Digest.String(), appID.String(), f.multi.Descriptor.Digest.String()
		cases := []struct {
			filters []string
			keep    func(image.Summary) bool
			in, out []string // fixture images that must (not) be in the answer
		}{
			{[]string{"dangling=true"}, func(s image.Summary) bool { return len(s.RepoTags) == 0 }, nil, []string{app, multi}},
			{[]string{"dangling=false"}, func(s image.Summary) bool { return len(s.RepoTags) > 0 }, []string{base, child, app, multi}, nil},
			{[]string{"label=" + labelTeam}, func(s image.Summary) bool { return hasLabel(s, labelTeam) }, []string{child, app, multi}, []string{base}},
			{[]string{"label=" + labelTeam + "=blue"}, func(s image.Summary) bool { return s.Labels[labelTeam] == "blue" }, []string{child, app}, []string{base, multi}},
			{[]string{"label!=" + labelTeam}, func(s image.Summary) bool { return !hasLabel(s, labelTeam) }, []string{base}, []string{child, app, multi}},
			{[]string{"label=" + labelTeam, "label=" + labelTier}, func(s image.Summary) bool { return hasLabel(s, labelTeam) && hasLabel(s, labelTier) }, []string{app}, []string{child, multi}},
			{[]string{"before=" + f.ref("e2e/multi:1.0")}, func(s image.Summary) bool { return s.Created < multiCreated }, []string{base, app}, []string{child, multi}},
			{[]string{"since=" + f.ref("e2e/multi:1.0")}, func(s image.Summary) bool { return s.Created > multiCreated }, []string{child}, []string{base, app, multi}},
			{[]string{"before=" + f.ref("e2e/child:1"), "label=" + labelTeam}, func(s image.Summary) bool { return s.Created < childCreated && hasLabel(s, labelTeam) }, []string{app, multi}, []string{base, child}},
			{[]string{"reference=" + appRepo}, func(s image.Summary) bool { return refMatch(s, appRepo) }, []string{app}, []string{base, child, multi}},
			{[]string{"reference=*/e2e/[bc]*"}, func(s image.Summary) bool { return refMatch(s, "*/e2e/[bc]*") }, []string{base, child}, []string{app, multi}},
			{[]string{"until=" + f.until.Format(time.RFC3339Nano)}, nil, []string{base, app}, []string{child, multi}},
		}
		for _, c := range cases {
			args := []string{"images", "-a", "--no-trunc", "--format", "{{.ID}}"}
			for _, fl := range c.filters {
				args = append(args, "--filter", fl)
			}
			got := idSet(strings.Fields(mustDocker(t, f, args...).stdout))
			for _, id := range c.in {
				if !slices.Contains(got, id) {
					t.Errorf("docker images --filter %v: %s is missing", c.filters, id)
				}
			}
			for _, id := range c.out {
				if slices.Contains(got, id) {
					t.Errorf("docker images --filter %v: %s should not be listed", c.filters, id)
				}
			}
			var want []string
			if c.keep == nil {
				// until compares the local record times, which only the fixture knows:
				// base and app were pulled before f.until, everything else after.
				want = idSet([]string{base, app})
			} else {
				for _, s := range all {
					if c.keep(s) {
						want = append(want, s.ID)
					}
				}
				want = idSet(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("docker images --filter %v:\n got %v\nwant %v", c.filters, got, want)
			}
		}

		// The reference filter trims the tags to the matching ones.
		tags := strings.Fields(mustDocker(t, f, "images", "--filter", "reference="+appRepo+":v1", "--format", "{{.Tag}}").stdout)
		if !slices.Equal(tags, []string{"v1"}) {
			t.Errorf("docker images --filter reference=%s:v1: tags %v, want [v1]", appRepo, tags)
		}
		// Without -a a CLI of v29 or later hides untagged images unless a dangling filter asks
		// for them; older CLIs show what the daemon lists, dangling leaf images included.
		if f.importErr == nil {
			ids := strings.Fields(mustDocker(t, f, "images", "--no-trunc", "--format", "{{.ID}}").stdout)
			if hides := cliHidesUntagged(t); hides && slices.Contains(ids, f.danglingID) {
				t.Errorf("docker images (no -a) lists the dangling image %s", f.danglingID)
			} else if !hides && !slices.Contains(ids, f.danglingID) {
				t.Errorf("docker images (no -a, CLI before v29) misses the dangling image %s the daemon lists", f.danglingID)
			}
			ids = strings.Fields(mustDocker(t, f, "images", "--no-trunc", "--format", "{{.ID}}", "--filter", "dangling=true").stdout)
			if !slices.Contains(ids, f.danglingID) {
				t.Errorf("docker images --filter dangling=true (no -a) misses the dangling image %s", f.danglingID)
			}
		}
		// A key the daemon does not know.
		r := docker(t, f, nil, nil, "images", "--filter", "nosuch=1")
		if r.code != 1 || strings.TrimSpace(r.stderr) != "Error response from daemon: invalid filter 'nosuch'" {
			t.Errorf("docker images --filter nosuch=1: %s", r)
		}
		r = docker(t, f, nil, nil, "images", "--filter", "before=nosuch:1")
		if r.code != 1 || strings.TrimSpace(r.stderr) != "Error response from daemon: No such image: nosuch:1" {
			t.Errorf("docker images --filter before=nosuch:1: %s", r)
		}
	})

	// The same CLI pinned to API 1.41 (the proxy validates the answers against the 1.41
	// document): the images are the same.
	t.Run("api1.41", func(t *testing.T) {
		r := docker(t, f, []string{"DOCKER_API_VERSION=1.41"}, nil, "images", "-a", "--digests", "--format", "{{json .}}", appRepo)
		if r.code != 0 {
			t.Fatal(r)
		}
		rows := cliRows(t, r.stdout)
		if len(rows) != 3 || rows[0].ID != shortID(appID) || rows[0].Digest != appID.String() {
			t.Errorf("docker images at 1.41: %+v", rows)
		}
	})
}

// TestCLITree runs docker image ls --tree, the view that asks for manifests=1 and reads
// ImageData and AttestationData of every manifest.
func TestCLITree(t *testing.T) {
	f := env(t)
	if r := mustDocker(t, f, "image", "ls", "--help"); !strings.Contains(r.stdout, "--tree") {
		testenv.Unavailable(t, "this docker CLI has no image ls --tree (CLI 27 and later have it)")
	}
	r := mustDocker(t, f, "image", "ls", "--tree", "--all")
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stdout, "panic") {
		t.Fatalf("docker image ls --tree crashed: %s", r)
	}
	lines := strings.Split(r.stdout, "\n")
	multi := f.ref("e2e/multi:1.0")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, multi+" ") })
	if i < 0 {
		t.Fatalf("docker image ls --tree: no line for %s:\n%s", multi, r.stdout)
	}
	if fs := strings.Fields(lines[i]); len(fs) < 2 || fs[1] != shortID(f.multi.Descriptor.Digest) {
		t.Errorf("docker image ls --tree: %q, want ID %s", lines[i], shortID(f.multi.Descriptor.Digest))
	}
	// The children of the image: its platforms, the host's with its manifest ID.
	var children []string
	for _, l := range lines[i+1:] {
		if !strings.HasPrefix(l, "├─") && !strings.HasPrefix(l, "└─") {
			break
		}
		children = append(children, l)
	}
	hostManifest := f.multi.Manifests()[0].Digest
	if !slices.ContainsFunc(children, func(l string) bool {
		fs := strings.Fields(l)
		return len(fs) >= 3 && fs[1] == f.platformString(f.host) && fs[2] == shortID(hostManifest)
	}) {
		t.Errorf("docker image ls --tree: no child %s %s under %s:\n%s", f.platformString(f.host), shortID(hostManifest), multi, r.stdout)
	}
	if !slices.ContainsFunc(children, func(l string) bool { return strings.Contains(l, f.platformString(f.other)) }) {
		t.Errorf("docker image ls --tree --all: the platform %s (not pulled) is not shown under %s:\n%s", f.platformString(f.other), multi, r.stdout)
	}
}

// inspectOne runs docker image inspect and decodes its single result.
func inspectOne(t *testing.T, f *fixture, env []string, args ...string) map[string]any {
	t.Helper()
	r := docker(t, f, env, nil, append([]string{"image", "inspect"}, args...)...)
	if r.code != 0 {
		t.Fatalf("docker image inspect %v: %s", args, r)
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 1 {
		t.Fatalf("docker image inspect %v: %v\n%s", args, err, r.stdout)
	}
	return out[0]
}

func TestCLIInspect(t *testing.T) {
	f := env(t)
	appID := f.app.Descriptor.Digest
	_, appCfg, err := f.app.Manifest(appID)
	if err != nil {
		t.Fatal(err)
	}

	got := inspectOne(t, f, nil, f.ref("e2e/app:v1"))
	tags, _ := got["RepoTags"].([]any)
	wantTags := []any{f.ref("e2e/app:latest"), f.ref("e2e/app:v1"), f.ref("e2e/app:v2")}
	slices.SortFunc(tags, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	config, _ := got["Config"].(map[string]any)
	rootfs, _ := got["RootFS"].(map[string]any)
	var diffIDs []any
	for _, d := range appCfg.RootFS.DiffIDs {
		diffIDs = append(diffIDs, d.String())
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"Id", got["Id"], appID.String()},
		{"RepoTags", tags, wantTags},
		{"RepoDigests", got["RepoDigests"], []any{f.ref("e2e/app@" + appID.String())}},
		{"Created", got["Created"], "2025-01-01T00:00:00Z"},
		{"Author", got["Author"], "imageapi e2e"},
		{"Architecture", got["Architecture"], "amd64"},
		{"Os", got["Os"], "linux"},
		{"Config.Env", config["Env"], []any{"PATH=/usr/bin:/bin", "APP_MODE=e2e"}},
		{"Config.Cmd", config["Cmd"], []any{"serve", "--port", "8080"}},
		{"Config.Entrypoint", config["Entrypoint"], []any{"/bin/app"}},
		{"Config.WorkingDir", config["WorkingDir"], "/srv"},
		{"Config.User", config["User"], "app"},
		{"Config.Labels", config["Labels"], map[string]any{labelTeam: "blue", labelTier: "web"}},
		{"RootFS.Type", rootfs["Type"], "layers"},
		{"RootFS.Layers", rootfs["Layers"], diffIDs},
	} {
		if !jsonEqual(c.got, c.want) {
			t.Errorf("docker image inspect %s: %s = %v, want %v", f.ref("e2e/app:v1"), c.what, c.got, c.want)
		}
	}
	// The keys that depend on the API version the CLI negotiated (1.50 for CLI 28.2).
	api := strings.TrimSpace(mustDocker(t, f, "version", "--format", "{{.Client.APIVersion}}").stdout)
	for _, c := range []struct {
		key     string
		present bool
	}{
		{"VirtualSize", versionBelow(api, "1.44")},
		{"Container", versionBelow(api, "1.45")},
		{"GraphDriver", versionBelow(api, "1.52")},
		{"DockerVersion", versionBelow(api, "1.52")},
		{"Descriptor", !versionBelow(api, "1.48")},
	} {
		if _, ok := got[c.key]; ok != c.present {
			t.Errorf("docker image inspect at API %s: key %s present %v, want %v", api, c.key, ok, c.present)
		}
	}

	// By short ID, full ID, bare hex and repo@digest: always the same image.
	for _, name := range []string{
		shortID(appID),
		appID.String(),
		appID.Encoded(),
		f.ref("e2e/app@" + appID.String()),
		"sha256:" + shortID(appID),
	} {
		r := mustDocker(t, f, "image", "inspect", "--format", "{{.Id}} {{index .RepoTags 0}}", name)
		if fs := strings.Fields(r.stdout); len(fs) != 2 || fs[0] != appID.String() {
			t.Errorf("docker image inspect %s: %q, want ID %s", name, r.stdout, appID)
		}
	}

	// A multi-platform image: the index is the ID, the host's config is described, and
	// --platform picks one manifest.
	multi := f.ref("e2e/multi:1.0")
	got = inspectOne(t, f, nil, multi)
	desc, _ := got["Descriptor"].(map[string]any)
	if got["Id"] != f.multi.Descriptor.Digest.String() || got["Architecture"] != f.host.Architecture ||
		desc["mediaType"] != f.multi.Descriptor.MediaType || desc["digest"] != f.multi.Descriptor.Digest.String() {
		t.Errorf("docker image inspect %s: Id %v Architecture %v Descriptor %v", multi, got["Id"], got["Architecture"], desc)
	}
	hostManifest := f.multi.Manifests()[0].Digest
	r := mustDocker(t, f, "image", "inspect", "--platform", f.platformString(f.host), "--format", "{{.Id}} {{.Architecture}}", multi)
	if want := hostManifest.String() + " " + f.host.Architecture; strings.TrimSpace(r.stdout) != want {
		t.Errorf("docker image inspect --platform %s: %q, want %q", f.platformString(f.host), r.stdout, want)
	}
	r = docker(t, f, nil, nil, "image", "inspect", "--platform", f.platformString(f.other), multi)
	want := fmt.Sprintf("Error response from daemon: image with reference %s was found but does not provide the specified platform (%s)", multi, f.platformString(f.other))
	if r.code != 1 || strings.TrimSpace(r.stderr) != want {
		t.Errorf("docker image inspect --platform %s (not pulled): want exit 1 and %q, got %s", f.platformString(f.other), want, r)
	}

	// Unknown images. The CLI prints "[]" on stdout and, for every reference that failed,
	// the daemon's message behind "Error response from daemon: ", then exits 1; with
	// Docker's daemon the message is "No such image: <ref>", with :latest added to a bare
	// name (spec §3.2), so this is what a user sees from Docker too.
	for _, c := range []struct{ name, msg string }{
		{"nosuch", "No such image: nosuch:latest"},
		{"nosuch:1", "No such image: nosuch:1"},
		{"abcdef", "No such image: abcdef:latest"},
		{"sha256:" + strings.Repeat("0", 64), "No such image: sha256:" + strings.Repeat("0", 64)},
	} {
		r := docker(t, f, nil, nil, "image", "inspect", c.name)
		if r.code != 1 || strings.TrimSpace(r.stdout) != "[]" || r.stderr != "Error response from daemon: "+c.msg+"\n" {
			t.Errorf("docker image inspect %s: want exit 1, [] and %q, got %s", c.name, c.msg, r)
		}
	}
	r = docker(t, f, nil, nil, "image", "inspect", "--format", "{{.Id}}", "nosuch", f.ref("e2e/app:v1"))
	if r.code != 1 || strings.TrimSpace(r.stdout) != appID.String() || !strings.Contains(r.stderr, "No such image: nosuch:latest") {
		t.Errorf("docker image inspect nosuch app: want the app's ID, the error and exit 1, got %s", r)
	}

	// At API 1.41 the daemon adds the legacy keys (which the CLI prints as they come).
	got = inspectOne(t, f, []string{"DOCKER_API_VERSION=1.41"}, f.ref("e2e/app:v1"))
	for _, k := range []string{"VirtualSize", "Container", "ContainerConfig", "GraphDriver", "DockerVersion", "Parent", "Comment"} {
		if _, ok := got[k]; !ok {
			t.Errorf("docker image inspect at API 1.41: legacy key %s missing", k)
		}
	}
	if _, ok := got["Descriptor"]; ok {
		t.Errorf("docker image inspect at API 1.41: Descriptor present (it starts at 1.48)")
	}
	if got["VirtualSize"] != got["Size"] {
		t.Errorf("docker image inspect at API 1.41: VirtualSize %v != Size %v", got["VirtualSize"], got["Size"])
	}
}

// jsonEqual compares two values as JSON.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func TestCLIImport(t *testing.T) {
	f := env(t)
	f.removeWhenDone(t, "e2e/imported:cli", "e2e/imported:stdin")
	files := []testimages.File{{Name: "bin/"}, {Name: "bin/tool", Data: []byte("#!/bin/sh\necho cli\n"), Mode: 0o755}}
	raw := testimages.Tar(files)
	file := filepath.Join(f.tmp, "rootfs.tar")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	r := mustDocker(t, f, "import", "--change", "ENV A=1", "--change", `CMD ["sh"]`, "--message", "hello", file, "e2e/imported:cli")
	id := strings.TrimSpace(r.stdout)
	if _, err := digest.Parse(id); err != nil {
		t.Fatalf("docker import: stdout %q is not the image ID", r.stdout)
	}
	got := inspectOne(t, f, nil, "e2e/imported:cli")
	config, _ := got["Config"].(map[string]any)
	rootfs, _ := got["RootFS"].(map[string]any)
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"Id", got["Id"], id},
		{"RepoTags", got["RepoTags"], []any{"e2e/imported:cli"}},
		{"Comment", got["Comment"], "hello"},
		{"Config.Cmd", config["Cmd"], []any{"sh"}},
		{"Architecture", got["Architecture"], f.host.Architecture},
		{"Os", got["Os"], "linux"},
		{"RootFS.Layers", rootfs["Layers"], []any{digest.FromBytes(raw).String()}},
	} {
		if !jsonEqual(c.got, c.want) {
			t.Errorf("docker import: inspect %s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if env, _ := config["Env"].([]any); !slices.Contains(env, any("A=1")) {
		t.Errorf("docker import --change 'ENV A=1': Env %v", config["Env"])
	}

	// From stdin, gzip-compressed, without a message: Docker's default comment.
	r = docker(t, f, nil, bytes.NewReader(testimages.Gzip(raw)), "import", "-", "e2e/imported:stdin")
	if r.code != 0 {
		t.Fatalf("docker import -: %s", r)
	}
	stdinID := strings.TrimSpace(r.stdout)
	got = inspectOne(t, f, nil, "e2e/imported:stdin")
	if got["Id"] != stdinID || got["Comment"] != "Imported from -" {
		t.Errorf("docker import -: Id %v (printed %s), Comment %q, want \"Imported from -\"", got["Id"], stdinID, got["Comment"])
	}
	if rootfs, _ := got["RootFS"].(map[string]any); !jsonEqual(rootfs["Layers"], []any{digest.FromBytes(raw).String()}) {
		t.Errorf("docker import - (gzip): RootFS.Layers %v, want the digest of the uncompressed tar", rootfs["Layers"])
	}

	// A change Docker does not allow on import fails before anything is stored.
	r = docker(t, f, nil, nil, "import", "--change", "RUN true", file, "e2e/imported:bad")
	if r.code != 1 || strings.TrimSpace(r.stderr) != "Error response from daemon: RUN is not a valid change command" {
		t.Errorf("docker import --change 'RUN true': %s", r)
	}
	if r := docker(t, f, nil, nil, "image", "inspect", "e2e/imported:bad"); r.code != 1 {
		t.Errorf("a failed import left e2e/imported:bad behind: %s", r)
	}
}

// cliHidesUntagged reports whether the docker CLI hides untagged images from docker images
// without -a: docker/cli does so itself from v29 (spec §2.4); before, it shows every image
// the daemon lists.
func cliHidesUntagged(t *testing.T) bool {
	t.Helper()
	bin := testenv.Binary(t, "docker", "docker.io", dockerCLI)
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("docker --version: %v", err)
	}
	// "Docker version 28.2.2, build e6534b4"
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		t.Fatalf("docker --version: unexpected %q", out)
	}
	major, _, _ := strings.Cut(fields[2], ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		t.Fatalf("docker --version: unexpected %q", out)
	}
	return n >= 29
}

// outLines returns the non-empty lines of s.
func outLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestCLILifecycle drives docker rmi, tag, history and image prune on every backend, each
// on a daemon of its own, and checks the store's content after removals.
func TestCLILifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture, d *daemon) {
		t.Run("tag and rmi", func(t *testing.T) { cliTagRmi(t, f, d) })
		t.Run("history", func(t *testing.T) { cliHistory(t, f, d) })
		t.Run("prune", func(t *testing.T) { cliPrune(t, f, d) })
	})
}

func cliTagRmi(t *testing.T, f *fixture, d *daemon) {
	appRef := f.ref("e2e/app:v1")
	appID := f.app.Descriptor.Digest
	d.mustDocker(t, f, "pull", "-q", appRef)

	// Names by name, short ID and full ID; a tag that already names the image changes
	// nothing.
	if r := d.mustDocker(t, f, "tag", appRef, "lc/app:one"); r.stdout != "" || r.stderr != "" {
		t.Errorf("docker tag prints nothing: %s", r)
	}
	d.mustDocker(t, f, "tag", shortID(appID), "lc/app:two")
	d.mustDocker(t, f, "tag", appID.String(), "lc/app:three")
	d.mustDocker(t, f, "tag", "lc/app:three", "lc/app:three")
	r := d.mustDocker(t, f, "image", "inspect", "--format", "{{.Id}} {{json .RepoTags}}", "lc/app:two")
	id, tagsJSON, _ := strings.Cut(strings.TrimSpace(r.stdout), " ")
	var tags []string
	_ = json.Unmarshal([]byte(tagsJSON), &tags)
	slices.Sort(tags)
	if want := []string{appRef, "lc/app:one", "lc/app:three", "lc/app:two"}; id != appID.String() || !slices.Equal(tags, want) {
		t.Errorf("after docker tag: %s %v, want %s %v", id, tags, appID, want)
	}
	if r := d.docker(t, f, "tag", "nosuch", "lc/x:1"); r.code != 1 || !strings.Contains(r.stderr, "Error response from daemon: No such image: nosuch:latest") {
		t.Errorf("docker tag nosuch: %s", r)
	}

	// One of several names: untagged only.
	if r := d.mustDocker(t, f, "rmi", "lc/app:one"); !slices.Equal(outLines(r.stdout), []string{"Untagged: lc/app:one"}) {
		t.Errorf("docker rmi lc/app:one: %s", r)
	}
	// By ID, with names in several repositories: must be forced.
	want := "Error response from daemon: conflict: unable to delete " + shortID(appID) + " (must be forced) - image is referenced in multiple repositories"
	if r := d.docker(t, f, "rmi", shortID(appID)); r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("docker rmi %s (several repositories): %s\nwant %q", shortID(appID), r, want)
	}
	// -f by name with other names left still only untags.
	if r := d.mustDocker(t, f, "rmi", "-f", "lc/app:two"); !slices.Equal(outLines(r.stdout), []string{"Untagged: lc/app:two"}) {
		t.Errorf("docker rmi -f lc/app:two: %s", r)
	}
	// -f by ID: every name in record-name order (the registry host sorts first), then the
	// image.
	r = d.mustDocker(t, f, "rmi", "-f", shortID(appID))
	if want := []string{"Untagged: " + appRef, "Untagged: lc/app:three", "Deleted: " + appID.String()}; !slices.Equal(outLines(r.stdout), want) {
		t.Errorf("docker rmi -f %s: %q, want %q", shortID(appID), outLines(r.stdout), want)
	}
	if r := d.docker(t, f, "image", "inspect", appID.String()); r.code != 1 || !strings.Contains(r.stderr, "No such image") {
		t.Errorf("inspect after rmi -f: %s", r)
	}
	d.checkBlobs(t, "after docker rmi -f <id>", f.app.Digests(), nil)

	// Several names at once, one of them unknown: the others are removed, the command fails.
	// child shares a layer with base, which stays.
	baseRef, childRef, cliRef := f.ref("e2e/base:1"), f.ref("e2e/child:1"), f.ref("e2e/cli:1")
	for _, ref := range []string{baseRef, childRef, cliRef} {
		d.mustDocker(t, f, "pull", "-q", ref)
	}
	r = d.docker(t, f, "rmi", childRef, "nosuch", cliRef)
	want2 := []string{
		"Untagged: " + childRef, "Deleted: " + f.child.Descriptor.Digest.String(),
		"Untagged: " + cliRef, "Deleted: " + f.cliImg.Descriptor.Digest.String(),
	}
	if r.code != 1 || !slices.Equal(outLines(r.stdout), want2) || !strings.Contains(r.stderr, "No such image: nosuch:latest") {
		t.Errorf("docker rmi child nosuch cli: %s\nwant stdout %q", r, want2)
	}
	d.checkBlobs(t, "after docker rmi child cli", slices.Concat(f.child.Digests(), f.cliImg.Digests()), f.base.Digests())

	// -f ignores names that are not there (the CLI's rule for a 404), after asking.
	if r := d.docker(t, f, "rmi", "-f", "nosuch"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "No such image: nosuch:latest") {
		t.Errorf("docker rmi -f nosuch: %s", r)
	}
	if r := d.docker(t, f, "rmi", "Bad:Name"); r.code != 1 || !strings.Contains(r.stderr, "invalid reference format") {
		t.Errorf("docker rmi Bad:Name: %s", r)
	}
	// The last name: untagged and deleted (base has no parent, so --no-prune changes nothing).
	r = d.mustDocker(t, f, "rmi", "--no-prune", baseRef)
	if want := []string{"Untagged: " + baseRef, "Deleted: " + f.base.Descriptor.Digest.String()}; !slices.Equal(outLines(r.stdout), want) {
		t.Errorf("docker rmi --no-prune %s: %q, want %q", baseRef, outLines(r.stdout), want)
	}
	d.checkBlobs(t, "after docker rmi base", f.base.Digests(), nil)
}

// cliHistoryRow is one line of docker history --format '{{json .}}'.
type cliHistoryRow struct {
	Comment, CreatedAt, CreatedBy, CreatedSince, ID, Size string
}

func cliHistory(t *testing.T, f *fixture, d *daemon) {
	ref := f.ref("e2e/lc-hist:1")
	id := f.hist.Descriptor.Digest
	d.mustDocker(t, f, "pull", "-q", ref)
	rowsOf := func(args ...string) []cliHistoryRow {
		t.Helper()
		r := d.mustDocker(t, f, append([]string{"history", "--format", "{{json .}}"}, args...)...)
		var rows []cliHistoryRow
		for _, l := range outLines(r.stdout) {
			var row cliHistoryRow
			if err := json.Unmarshal([]byte(l), &row); err != nil {
				t.Fatalf("docker history %v: %v in %q", args, err, l)
			}
			rows = append(rows, row)
		}
		return rows
	}

	// Newest first, one row per history entry, the empty layer included.
	rows := rowsOf("--no-trunc", "--human=false", ref)
	if len(rows) != 3 {
		t.Fatalf("docker history --no-trunc %s: %d rows, want 3: %+v", ref, len(rows), rows)
	}
	for i, w := range []struct {
		id, createdBy, comment, created string
		empty                           bool
	}{
		{id.String(), histCreatedBy[2], "buildkit.dockerfile.v0", "2025-02-03", false},
		{"<missing>", histCreatedBy[1], "buildkit.dockerfile.v0", "2025-02-02", true},
		{"<missing>", histCreatedBy[0], "", "2025-02-01", false},
	} {
		row := rows[i]
		created, err := time.Parse(time.RFC3339, row.CreatedAt)
		if row.ID != w.id || row.CreatedBy != w.createdBy || row.Comment != w.comment || err != nil || !created.Equal(date(w.created)) {
			t.Errorf("history row %d: %+v, want ID %s CreatedBy %q Comment %q created %s", i, row, w.id, w.createdBy, w.comment, w.created)
		}
		if size, err := strconv.ParseInt(row.Size, 10, 64); err != nil || (size == 0) != w.empty {
			t.Errorf("history row %d: Size %q, want %s", i, row.Size, map[bool]string{true: "0 (an empty layer)", false: "the layer's unpacked size"}[w.empty])
		}
	}

	// Truncated: 12 hex digits, commands cut at 45 characters.
	rows = rowsOf(ref)
	if len(rows) != 3 || rows[0].ID != shortID(id) || rows[1].ID != "<missing>" || rows[1].Size != "0B" {
		t.Fatalf("docker history %s: %+v", ref, rows)
	}
	if cb := rows[0].CreatedBy; !strings.HasSuffix(cb, "…") || utf8.RuneCountInString(cb) > 45 ||
		!strings.HasPrefix(histCreatedBy[2], strings.TrimSuffix(cb, "…")) {
		t.Errorf("docker history %s: CreatedBy %q, want %q cut at 45 characters", ref, cb, histCreatedBy[2])
	}
	if r := d.mustDocker(t, f, "history", "-q", ref); !slices.Equal(outLines(r.stdout), []string{shortID(id), "<missing>", "<missing>"}) {
		t.Errorf("docker history -q %s: %q", ref, r.stdout)
	}

	// A multi-platform image: the host platform's config, with the index digest as ID.
	multiRef := f.ref("e2e/multi:1.0")
	d.mustDocker(t, f, "pull", "-q", multiRef)
	_, cfg, err := f.multi.Manifest(f.multi.Manifests()[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{multiRef}, {"--platform", f.platformString(f.host), multiRef}} {
		rows = rowsOf(append([]string{"--no-trunc"}, args...)...)
		if len(rows) != len(cfg.History) || rows[0].ID != f.multi.Descriptor.Digest.String() ||
			rows[0].CreatedBy != cfg.History[len(cfg.History)-1].CreatedBy {
			t.Errorf("docker history %v: %+v, want %d rows, the first %s %q", args, rows, len(cfg.History),
				f.multi.Descriptor.Digest, cfg.History[len(cfg.History)-1].CreatedBy)
		}
	}
	r := d.docker(t, f, "history", "--platform", f.platformString(f.other), multiRef)
	if want := "does not provide the specified platform (" + f.platformString(f.other) + ")"; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("docker history --platform %s (not pulled): %s\nwant %q", f.platformString(f.other), r, want)
	}
	if r := d.docker(t, f, "history", "nosuch"); r.code != 1 || !strings.Contains(r.stderr, "Error response from daemon: No such image: nosuch:latest") {
		t.Errorf("docker history nosuch: %s", r)
	}
}

func cliPrune(t *testing.T, f *fixture, d *daemon) {
	c := sdkFor(t, d)
	ids := func() []string {
		t.Helper()
		res, err := c.ImageList(context.Background(), client.ImageListOptions{All: true})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range res.Items {
			out = append(out, s.ID)
		}
		return idSet(out)
	}
	importTar := func(name string, args ...string) string {
		t.Helper()
		file := filepath.Join(filepath.Dir(d.dataRoot), name+".tar")
		if err := os.WriteFile(file, testimages.Tar([]testimages.File{{Name: name, Data: []byte(name + " " + d.backend)}}), 0o600); err != nil {
			t.Fatal(err)
		}
		r := d.mustDocker(t, f, append(append([]string{"import"}, args...), file)...)
		return strings.TrimSpace(r.stdout)
	}
	pruned := func(r cliResult) []string {
		var out []string
		for _, l := range outLines(r.stdout) {
			if strings.HasPrefix(l, "untagged: ") || strings.HasPrefix(l, "deleted: ") {
				out = append(out, l)
			}
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }

	// Dangling images: two imports without a name (one labelled), and one whose name moved
	// to another image.
	d1 := importTar("d1", "--change", "LABEL org.example.lc=x")
	d2 := importTar("d2")
	pyRef := f.ref("e2e/py:1")
	pyID := f.pyImg.Descriptor.Digest.String()
	d.mustDocker(t, f, "pull", "-q", pyRef)
	file := filepath.Join(filepath.Dir(d.dataRoot), "d3.tar")
	if err := os.WriteFile(file, testimages.Tar([]testimages.File{{Name: "d3", Data: []byte("d3")}}), 0o600); err != nil {
		t.Fatal(err)
	}
	d3 := strings.TrimSpace(d.mustDocker(t, f, "import", file, "lc/moved:1").stdout)
	d.mustDocker(t, f, "tag", pyRef, "lc/moved:1")

	// label= prunes only the dangling images that carry it.
	r := d.mustDocker(t, f, "image", "prune", "-f", "--filter", "label=org.example.lc=x")
	if got, want := pruned(r), sorted("untagged: "+d1, "deleted: "+d1); !slices.Equal(got, want) {
		t.Errorf("docker image prune --filter label=org.example.lc=x: %q, want %q\n%s", got, want, r)
	}
	if !strings.Contains(r.stdout, "Total reclaimed space: ") || strings.Contains(r.stdout, "Total reclaimed space: 0B") {
		t.Errorf("docker image prune --filter label: no space reclaimed:\n%s", r.stdout)
	}
	if got := ids(); slices.Contains(got, d1) || !slices.Contains(got, d2) || !slices.Contains(got, d3) {
		t.Errorf("after the label prune: images %v (want %s gone, %s and %s kept)", got, d1, d2, d3)
	}
	// The default: every dangling image.
	r = d.mustDocker(t, f, "image", "prune", "-f")
	if got, want := pruned(r), sorted("untagged: "+d2, "deleted: "+d2, "untagged: "+d3, "deleted: "+d3); !slices.Equal(got, want) {
		t.Errorf("docker image prune: %q, want %q\n%s", got, want, r)
	}
	d.checkBlobs(t, "after docker image prune", []digest.Digest{digest.Digest(d1), digest.Digest(d2), digest.Digest(d3)}, f.pyImg.Digests())
	if r := d.mustDocker(t, f, "image", "prune", "-f"); strings.TrimSpace(r.stdout) != "Total reclaimed space: 0B" {
		t.Errorf("docker image prune with nothing to prune: %s", r)
	}

	// -a with label=: every unused image that carries it, named or not.
	appRef, multiRef := f.ref("e2e/app:v1"), f.ref("e2e/multi:1.0")
	appID, multiID := f.app.Descriptor.Digest.String(), f.multi.Descriptor.Digest.String()
	d.mustDocker(t, f, "pull", "-q", appRef)
	d.mustDocker(t, f, "pull", "-q", multiRef)
	r = d.mustDocker(t, f, "image", "prune", "-a", "-f", "--filter", "label="+labelTier+"=web")
	if got, want := pruned(r), sorted("untagged: "+appRef, "deleted: "+appID); !slices.Equal(got, want) {
		t.Errorf("docker image prune -a --filter label=%s=web: %q, want %q\n%s", labelTier, got, want, r)
	}
	d.checkBlobs(t, "after docker image prune -a --filter label", f.app.Digests(), f.pyImg.Digests())

	// -a with until=: the images whose names were written before that time.
	until := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(until) + 20*time.Millisecond)
	cliRef, cliID := f.ref("e2e/cli:1"), f.cliImg.Descriptor.Digest.String()
	d.mustDocker(t, f, "pull", "-q", cliRef)
	r = d.mustDocker(t, f, "image", "prune", "-a", "-f", "--filter", "until="+strconv.FormatInt(until.Unix(), 10))
	got := pruned(r)
	for _, w := range []string{"untagged: " + pyRef, "untagged: lc/moved:1", "deleted: " + pyID, "untagged: " + multiRef, "deleted: " + multiID} {
		if !slices.Contains(got, w) {
			t.Errorf("docker image prune -a --filter until=%d: no %q in\n%s", until.Unix(), w, r)
		}
	}
	if slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, cliRef) || strings.Contains(l, cliID) }) {
		t.Errorf("docker image prune -a --filter until=%d pruned %s, pulled after it:\n%s", until.Unix(), cliRef, r)
	}
	if got := ids(); !slices.Equal(got, []string{cliID}) {
		t.Errorf("after prune -a until=: images %v, want only %s", got, cliID)
	}

	// -a: everything left; then the store holds no blob at all.
	r = d.mustDocker(t, f, "image", "prune", "-a", "-f")
	if got, want := pruned(r), sorted("untagged: "+cliRef, "deleted: "+cliID); !slices.Equal(got, want) {
		t.Errorf("docker image prune -a: %q, want %q\n%s", got, want, r)
	}
	if got := ids(); len(got) != 0 {
		t.Errorf("after docker image prune -a: images %v", got)
	}
	d.checkBlobs(t, "after docker image prune -a", slices.Concat(f.pyImg.Digests(), f.app.Digests(), f.multi.Digests(), f.cliImg.Digests(), f.hist.Digests()), nil)
	if left := d.blobs(t); len(left) != 0 {
		t.Errorf("after docker image prune -a removed every image, the store still holds %d blobs: %v", len(left), left)
	}
}
