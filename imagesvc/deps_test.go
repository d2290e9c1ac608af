package imagesvc_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies pins what imagesvc may import: the contract must stay light, so that
// plugin authors and hosts can depend on it without pulling in a backend.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/imageapi/imageapi/imagesvc").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/imageapi/imageapi/imagesvc",
		"github.com/imageapi/imageapi/filters",
		"github.com/containerd/errdefs",
		"github.com/opencontainers/go-digest",
		"github.com/opencontainers/image-spec/specs-go",
		"github.com/distribution/reference",
		// Changes are parsed, typed and expanded as Docker does, with BuildKit's Dockerfile
		// packages (moby's BuildFromConfig); exactly these, and what they need.
		"github.com/moby/buildkit/frontend/dockerfile/parser",
		"github.com/moby/buildkit/frontend/dockerfile/command",
		"github.com/moby/buildkit/frontend/dockerfile/shell",
		"github.com/moby/buildkit/frontend/dockerfile/instructions",
		"github.com/moby/buildkit/frontend/dockerfile/linter",
		"github.com/moby/buildkit/util/stack",
		"github.com/moby/buildkit/util/suggest",
		"github.com/pkg/errors",
		"github.com/containerd/typeurl/v2",
		"github.com/planetscale/vtprotobuf/protohelpers",
		"google.golang.org/protobuf",
		"github.com/docker/go-units",
		"github.com/agext/levenshtein",
		"github.com/tonistiigi/go-csvvalue",
		"github.com/moby/docker-image-spec/specs-go/v1",
		// EXPOSE ports and STOPSIGNAL signals are checked with Docker's own parsers.
		"github.com/moby/moby/api/types/network",
		"github.com/moby/sys/signal",
		"golang.org/x/sys/unix",
	}
	for _, pkg := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			if pkg == a || strings.HasPrefix(pkg, a+"/") {
				ok = true
				break
			}
		}
		if !ok {
			t.Errorf("imagesvc depends on %s, which is not allowed", pkg)
		}
	}
}
