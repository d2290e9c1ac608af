package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageapi/imageapi/internal/testimages"
)

// TestCLIContainerdBackend drives imaged --backend containerd, on a real containerd 2.x
// daemon, with the docker CLI: pull, list, inspect, import, and the not-found error. The
// images it stores are containerd's own records, which ctr lists too.
func TestCLIContainerdBackend(t *testing.T) {
	f := env(t)
	// A daemon of its own, in a namespace of its own: a second run (-count=2) pulls into an
	// empty namespace again.
	d := startDaemon(t, f, "containerd")
	ns := d.ns
	host := []string{"DOCKER_HOST=" + d.hostURL()}
	must := func(args ...string) cliResult {
		t.Helper()
		r := docker(t, f, host, nil, args...)
		if r.code != 0 {
			t.Fatalf("docker %s: %s", strings.Join(args, " "), r)
		}
		return r
	}
	dir := filepath.Dir(d.dataRoot)

	ref := f.ref("e2e/cli:1")
	id := f.cliImg.Descriptor.Digest
	r := must("pull", ref)
	for _, want := range []string{"1: Pulling from e2e/cli", "Digest: " + id.String(), "Status: Downloaded newer image for " + ref} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("docker pull output lacks %q:\n%s", want, r.stdout)
		}
	}
	if out := d.ctrd.Ctr(t, ns, "images", "ls", "-q"); !strings.Contains(out, ref) {
		t.Errorf("ctr does not list %s in namespace %s:\n%s", ref, ns, out)
	}

	r = must("images", "--format", "{{json .}}")
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var row struct{ Repository, Tag, ID string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("docker images --format json: %v in %q", err, line)
		}
		if row.Repository == f.ref("e2e/cli") && row.Tag == "1" && row.ID == shortID(id) {
			found = true
		}
	}
	if !found {
		t.Errorf("docker images does not show %s as %s:\n%s", ref, shortID(id), r.stdout)
	}

	for _, name := range []string{ref, shortID(id), id.String()} {
		r = must("image", "inspect", "--format", "{{.Id}} {{.Os}}", name)
		if got := strings.TrimSpace(r.stdout); got != id.String()+" linux" {
			t.Errorf("docker image inspect %s: %q", name, got)
		}
	}

	tarball := filepath.Join(dir, "rootfs.tar")
	if err := os.WriteFile(tarball, testimages.Tar([]testimages.File{{Name: "hello", Data: []byte("from containerd e2e")}}), 0o600); err != nil {
		t.Fatal(err)
	}
	r = must("import", "--change", "ENV WHERE=containerd", "--message", "e2e import", tarball, "e2e/ctrd-import:v1")
	newID := strings.TrimSpace(r.stdout)
	r = must("image", "inspect", "--format", "{{.Id}} {{json .Config.Env}} {{.Comment}}", "e2e/ctrd-import:v1")
	if got := strings.TrimSpace(r.stdout); got != newID+` ["WHERE=containerd"] e2e import` {
		t.Errorf("imported image: %q (import printed %q)", got, newID)
	}

	r = docker(t, f, host, nil, "image", "inspect", "nosuch")
	if r.code != 1 || !strings.Contains(r.stderr, "Error response from daemon: No such image: nosuch:latest") {
		t.Errorf("inspect of an unknown image: %s", r)
	}
	r = docker(t, f, host, bytes.NewReader(nil), "pull", f.ref("e2e/nosuch:1"))
	if r.code != 1 || !strings.Contains(r.stderr, "Error response from daemon") {
		t.Errorf("pull of an unknown repository: %s", r)
	}
}
