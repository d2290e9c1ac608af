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
