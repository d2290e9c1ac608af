package containerd

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// TestPullKeepsPresentLayers pulls an image whose base layer another image already has,
// and removes that other image (its layers then have no other user) while the pull waits
// for its second layer: the pull skipped the base layer as present, so it must hold it in
// its lease, or containerd's garbage collector deletes it under the pull ("content not
// found" at the unpack). On 2.x (layers through the transfer service, and LocalPull) and
// 1.6; with the transfer service the daemon fetches and unpacks, and the test passes with
// or without this Store's lease of present blobs: it guards that path's behaviour.
func TestPullKeepsPresentLayers(t *testing.T) {
	for _, c := range []struct {
		daemon string
		local  bool
	}{{daemons[0], false}, {daemons[0], true}, {daemons[len(daemons)-1], true}} {
		t.Run(fmt.Sprintf("containerd-%s-local-%v", c.daemon, c.local), func(t *testing.T) {
			// Content is per run: the daemon shares blobs between namespaces (and runs).
			token := rand.Text()
			base := []testimages.File{{Name: "bin/base", Data: []byte("base " + token + "\n"), Mode: 0o755}}
			first, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base}})
			require.NoError(t, err)
			second, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base,
				{{Name: "etc/second", Data: []byte("second " + token + "\n")}}}})
			require.NoError(t, err)
			m, _, err := second.Manifest(second.Descriptor.Digest)
			require.NoError(t, err)
			top := m.Layers[1].Digest
			reg := testregistry.New(t, testregistry.Options{})
			require.NoError(t, reg.Put("library/first", "1", first))
			require.NoError(t, reg.Put("library/second", "1", second))
			hosts := t.TempDir()
			require.NoError(t, reg.WriteHostsDir(hosts))
			s, _ := open(t, c.daemon, Options{HostsDir: hosts, Platform: amd64, LocalPull: c.local})
			ctx := context.Background()
			pullImage(t, s, reg.Host()+"/library/first:1", nil)

			reached, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
				if d, ok := testregistry.BlobRequest(req); ok && d == top && req.Method == http.MethodGet {
					once.Do(func() { close(reached) })
					select {
					case <-release:
					case <-req.Context().Done():
						return
					}
				}
				next.ServeHTTP(w, req)
			})
			pulled := make(chan error, 1)
			go func() {
				named, err := imagesvc.ParsePullReference(reg.Host()+"/library/second:1", "", "")
				if err == nil {
					_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: named}, nil)
				}
				pulled <- err
			}()
			select {
			case <-reached:
			case err := <-pulled:
				t.Fatalf("the pull ended before fetching its second layer: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("the pull did not reach its second layer")
			}
			_, err = s.Remove(ctx, mustRef(t, reg.Host()+"/library/first:1"), imagesvc.RemoveOptions{})
			require.NoError(t, err)
			close(release)
			require.NoError(t, <-pulled, "the pull keeps the base layer it found present")

			ri, err := s.ResolveRuntimeImage(ctx, mustRef(t, reg.Host()+"/library/second:1"), nil)
			require.NoError(t, err)
			ms, err := s.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "after", Image: ri})
			require.NoError(t, err)
			assert.NotEmpty(t, ms)
			require.NoError(t, s.RemoveRootFS(ctx, "after"))
		})
	}
}
