package rootfs

import (
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

func TestValidKey(t *testing.T) {
	for _, key := range []string{"container-1", "a/b", "sha256", "imageapi-x"} {
		if err := ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v", key, err)
		}
	}
	for _, key := range []string{"", "/a", "a/", "a\x00b", strings.Repeat("k", 257), "extract-1 sha256:x",
		digest.FromString("layer").String()} {
		if err := ValidKey(key); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ValidKey(%q) = %v, want InvalidArgument", key, err)
		}
	}
}
