package containerdtest

import (
	"context"
	"os"
	"strings"
	"testing"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func TestDaemons(t *testing.T) {
	for _, v := range []string{Version2, Version16} {
		t.Run(v, func(t *testing.T) {
			d := Shared(t, Options{Version: v})
			c, err := containerd.New(d.Address())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx := namespaces.WithNamespace(context.Background(), "test")
			ver, err := c.Version(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := "2."
			if v == Version16 {
				want = "1.6."
			}
			if !strings.HasPrefix(strings.TrimPrefix(ver.Version, "v"), want) {
				t.Errorf("version %q, want %s", ver.Version, want)
			}
			if d.Snapshotter() != "overlayfs" && d.Snapshotter() != "native" {
				t.Errorf("snapshotter %q", d.Snapshotter())
			}
			t.Logf("containerd %s, snapshotter %s", ver.Version, d.Snapshotter())
			if out := d.Ctr(t, "test", "images", "ls", "-q"); strings.TrimSpace(out) != "" {
				t.Errorf("ctr images ls: %q", out)
			}
			if Shared(t, Options{Version: v}) != d {
				t.Error("Shared started a second daemon")
			}
		})
	}
}
