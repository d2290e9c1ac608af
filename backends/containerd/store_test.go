package containerd

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

func importTar(t *testing.T, s *Store, repoTag string) {
	t.Helper()
	ref, err := imagesvc.ParseImportReference(repoTag, "")
	require.NoError(t, err)
	body := testimages.Tar([]testimages.File{{Name: "etc/hostname", Data: []byte(repoTag + "\n")}})
	_, err = s.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(body), Ref: ref, Message: "Imported from -"}, nil)
	require.NoError(t, err)
}

func names(t *testing.T, s *Store) []string {
	t.Helper()
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	var out []string
	for _, sum := range sums {
		out = append(out, sum.RepoTags...)
	}
	return out
}

// TestDaemonRestart restarts containerd under a Store with a warm cache, changes the
// store before the Store has subscribed again, and checks that lists stay right: the
// cache is bypassed while the event stream is down, and reset when it is back.
func TestDaemonRestart(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			d := containerdtest.Start(t, containerdtest.Options{Version: v})
			var calls callCounter
			s, _ := open(t, v, Options{Address: d.Address(), Snapshotter: d.Snapshotter(), DialOptions: calls.dialOptions()})
			importTar(t, s, "restart:1")
			assert.Equal(t, []string{"restart:1"}, names(t, s))
			require.True(t, s.events.waitLive(context.Background(), 5*time.Second))

			require.NoError(t, d.Restart())
			d.Ctr(t, s.Namespace(), "images", "tag", "docker.io/library/restart:1", "docker.io/library/restart:2")
			assert.ElementsMatch(t, []string{"restart:1", "restart:2"}, names(t, s), "right while the stream is down or just back")

			require.Eventually(t, func() bool { return s.events.subscriptions.Load() == 2 }, 15*time.Second, 10*time.Millisecond,
				"the Store subscribes again")
			require.True(t, s.events.waitLive(context.Background(), 5*time.Second))
			assert.ElementsMatch(t, []string{"restart:1", "restart:2"}, names(t, s))
			before := calls.n.Load()
			assert.ElementsMatch(t, []string{"restart:1", "restart:2"}, names(t, s))
			assert.LessOrEqual(t, calls.n.Load()-before, int64(2), "the cache is warm again")
			d.Ctr(t, s.Namespace(), "images", "rm", "docker.io/library/restart:1")
			assert.Equal(t, []string{"restart:2"}, names(t, s))
		})
	}
}

// TestUnpackFailureLeavesNothing makes the unpack fail (a snapshotter the daemon does not
// have): imports and pulls fail and leave no image record behind, where Docker 29 leaves
// a broken one.
func TestUnpackFailureLeavesNothing(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{})
	img, err := testimages.OCIManifest(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 5})
	require.NoError(t, err)
	require.NoError(t, reg.Put("library/x", "1", img))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{Snapshotter: "nosuch", HostsDir: hosts})
			ref, err := imagesvc.ParseImportReference("broken:1", "")
			require.NoError(t, err)
			body := testimages.Tar([]testimages.File{{Name: "f", Data: []byte("x")}})
			_, err = s.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(body), Ref: ref}, nil)
			require.Error(t, err)

			named, err := imagesvc.ParsePullReference(reg.Host()+"/library/x", "1", "")
			require.NoError(t, err)
			_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named}, nil)
			require.Error(t, err)

			recs, err := s.client.ImageService().List(s.nsContext(context.Background()))
			require.NoError(t, err)
			assert.Empty(t, recs, "no image record")
			assert.Empty(t, names(t, s))
		})
	}
}

// TestPullLabelsLayers checks the labels a pull leaves on layers, which come from what
// containerd's applier unpacked: the diff ID and, on the local path, the uncompressed size.
// It also checks that containerd 2.x pulls through its transfer service and 1.6 does not.
func TestPullLabelsLayers(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 11,
		Layers: [][]testimages.File{
			{{Name: "a", Data: bytes.Repeat([]byte("a"), 10000)}},
			{{Name: "b", Data: bytes.Repeat([]byte("b"), 20000)}},
			{{Name: "c", Data: []byte("c")}},
		},
	})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/labels", "1", img))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	man, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{HostsDir: hosts})
			assert.Equal(t, v == containerdtest.Version2, s.transfer, "pulls through the transfer service")
			named, err := imagesvc.ParsePullReference(reg.Host()+"/library/labels", "1", "")
			require.NoError(t, err)
			var events []imagesvc.ProgressEvent
			_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named}, func(ev imagesvc.ProgressEvent) { events = append(events, ev) })
			require.NoError(t, err)
			ctx := s.nsContext(context.Background())
			for i, l := range man.Layers {
				info, err := s.client.ContentStore().Info(ctx, l.Digest)
				require.NoError(t, err)
				assert.Equal(t, cfg.RootFS.DiffIDs[i].String(), info.Labels["containerd.io/uncompressed"])
				gz, err := gzip.NewReader(bytes.NewReader(img.Blobs[l.Digest].Data))
				require.NoError(t, err)
				n, err := io.Copy(io.Discard, gz)
				require.NoError(t, err)
				if s.transfer {
					// The transfer service unpacked it: only containerd's label is there (the
					// store takes sizes from the snapshotter, not from this label).
					assert.NotContains(t, info.Labels, "imageapi.io/unpacked-size")
				} else {
					assert.Equal(t, strconv.FormatInt(n, 10), info.Labels["imageapi.io/unpacked-size"])
				}
				// Each layer downloaded says so once, then completes once.
				var statuses []string
				for _, ev := range events {
					if ev.ID == l.Digest.Encoded()[:12] && (ev.Status == imagesvc.StatusDownloadComplete || ev.Status == imagesvc.StatusPullComplete) {
						statuses = append(statuses, ev.Status)
					}
				}
				assert.Equal(t, []string{imagesvc.StatusDownloadComplete, imagesvc.StatusPullComplete}, statuses, "layer %s", l.Digest)
			}
			sums, err := s.List(context.Background(), imagesvc.ListOptions{Manifests: true})
			require.NoError(t, err)
			require.Len(t, sums, 1)
			assert.Positive(t, sums[0].Manifests[0].ImageData.Unpacked)
		})
	}
}

func hasStatus(events []imagesvc.ProgressEvent, id, status string) bool {
	for _, ev := range events {
		if ev.ID == id && ev.Status == status {
			return true
		}
	}
	return false
}

// TestConcurrentPullsShareLayers pulls two images that share their base layer at the same
// time, the shared layer held back at the registry so that both pulls want it at once:
// one writes it, the other finds it written by the first, and both unpack and finish.
func TestConcurrentPullsShareLayers(t *testing.T) {
	base := []testimages.File{{Name: "base", Data: bytes.Repeat([]byte("shared base layer "), 50000)}}
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	a, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base, {{Name: "a", Data: []byte("a")}}}})
	require.NoError(t, err)
	b, err := testimages.OCIManifest(testimages.Config{Platform: amd64, Layers: [][]testimages.File{base, {{Name: "b", Data: []byte("b")}}}})
	require.NoError(t, err)
	man, _, err := a.Manifest(a.Descriptor.Digest)
	require.NoError(t, err)
	shared := man.Layers[0].Digest

	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/a", "1", a))
	require.NoError(t, reg.Put("library/b", "1", b))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	var mu sync.Mutex
	release := make(chan struct{})
	held := func() chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		return release
	}
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if d, ok := testregistry.BlobRequest(req); ok && d == shared && req.Method == http.MethodGet {
			select {
			case <-held():
			case <-req.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, req)
	})
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{HostsDir: hosts})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			errs := make(chan error, 2)
			for _, repo := range []string{"library/a", "library/b"} {
				go func() {
					named, err := imagesvc.ParsePullReference(reg.Host()+"/"+repo, "1", "")
					if err == nil {
						_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: named}, nil)
					}
					errs <- err
				}()
			}
			time.Sleep(300 * time.Millisecond) // both pulls wait for the shared layer
			close(held())
			for range 2 {
				require.NoError(t, <-errs)
			}
			sums, err := s.List(context.Background(), imagesvc.ListOptions{Manifests: true})
			require.NoError(t, err)
			require.Len(t, sums, 2)
			for _, sum := range sums {
				assert.True(t, sum.Manifests[0].Available)
				assert.Positive(t, sum.Manifests[0].ImageData.Unpacked)
			}
			mu.Lock()
			release = make(chan struct{})
			mu.Unlock()
		})
	}
}

// TestPullLayerFaults checks that a pull whose layer download fails (a corrupt blob, a
// blob the registry lost, a registry error) fails with the class of the fault and leaves
// no image record behind, on both pull paths: containerd 2.x's transfer service and
// 1.6's local fetch.
func TestPullLayerFaults(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 21})
	require.NoError(t, err)
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	layer := man.Layers[len(man.Layers)-1].Digest
	failLayer := func(code int) testregistry.Hook {
		return func(w http.ResponseWriter, req *http.Request, next http.Handler) {
			if d, ok := testregistry.BlobRequest(req); ok && d == layer {
				http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}`, code)
				return
			}
			next.ServeHTTP(w, req)
		}
	}
	cases := []struct {
		name  string
		setup func(*testregistry.Registry)
		class func(error) bool
	}{
		{"Corrupt", func(r *testregistry.Registry) { r.CorruptBlob(layer) }, errdefs.IsDataLoss},
		{"Lost", func(r *testregistry.Registry) { r.SetHook(failLayer(http.StatusNotFound)) }, errdefs.IsNotFound},
		{"RegistryError", func(r *testregistry.Registry) { r.SetHook(failLayer(http.StatusServiceUnavailable)) }, errdefs.IsUnavailable},
	}
	for _, v := range daemons {
		for _, tc := range cases {
			t.Run("containerd-"+v+"/"+tc.name, func(t *testing.T) {
				reg := testregistry.New(t, testregistry.Options{})
				require.NoError(t, reg.Put("library/faulty", "1", img))
				hosts := t.TempDir()
				require.NoError(t, reg.WriteHostsDir(hosts))
				tc.setup(reg)
				s, _ := open(t, v, Options{HostsDir: hosts})
				named, err := imagesvc.ParsePullReference(reg.Host()+"/library/faulty", "1", "")
				require.NoError(t, err)
				_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named}, nil)
				require.Error(t, err)
				assert.True(t, tc.class(err), "class of %v", err)

				recs, err := s.client.ImageService().List(s.nsContext(context.Background()))
				require.NoError(t, err)
				assert.Empty(t, recs, "no image record, temporary or not")
				assert.Empty(t, names(t, s))
			})
		}
	}
}

// TestPullCanceledMidLayer cancels a pull while a layer is downloading: Pull returns the
// context's error, the download stops (on containerd 2.x inside the daemon, whose request
// the registry sees end) and no record is left.
func TestPullCanceledMidLayer(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 22})
	require.NoError(t, err)
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	layer := man.Layers[0].Digest
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			reg := testregistry.New(t, testregistry.Options{})
			require.NoError(t, reg.Put("library/slow", "1", img))
			hosts := t.TempDir()
			require.NoError(t, reg.WriteHostsDir(hosts))
			started, ended := make(chan struct{}), make(chan struct{})
			var once sync.Once
			reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
				if d, ok := testregistry.BlobRequest(req); ok && d == layer && req.Method == http.MethodGet {
					once.Do(func() {
						close(started)
						<-req.Context().Done()
						close(ended)
					})
					return
				}
				next.ServeHTTP(w, req)
			})
			s, _ := open(t, v, Options{HostsDir: hosts})
			named, err := imagesvc.ParsePullReference(reg.Host()+"/library/slow", "1", "")
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errs := make(chan error, 1)
			go func() {
				_, err := s.Pull(ctx, imagesvc.PullRequest{Ref: named}, nil)
				errs <- err
			}()
			select {
			case <-started:
			case <-time.After(30 * time.Second):
				t.Fatal("the layer download never started")
			}
			cancel()
			select {
			case err := <-errs:
				assert.True(t, errdefs.IsCanceled(err), "%v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("Pull did not return after its context was cancelled")
			}
			select {
			case <-ended:
			case <-time.After(30 * time.Second):
				t.Fatal("the layer download went on after the pull was cancelled")
			}
			recs, err := s.client.ImageService().List(s.nsContext(context.Background()))
			require.NoError(t, err)
			assert.Empty(t, recs, "no image record, temporary or not")
		})
	}
}

// readWatch records the digests of the blobs a client reads from containerd's content
// store.
type readWatch struct {
	mu   sync.Mutex
	read map[string]bool
}

func (w *readWatch) dialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		return &watchedStream{ClientStream: cs, w: w}, err
	})}
}

type watchedStream struct {
	grpc.ClientStream
	w *readWatch
}

func (s *watchedStream) SendMsg(m any) error {
	if r, ok := m.(*contentapi.ReadContentRequest); ok {
		s.w.mu.Lock()
		s.w.read[r.Digest] = true
		s.w.mu.Unlock()
	}
	return s.ClientStream.SendMsg(m)
}

// TestPullPresentLayersNotRead pulls an image, then the same image under another name: the
// second pull finds every layer present and must not read any back through the socket
// (to work out diff IDs or sizes), on either pull path.
func TestPullPresentLayersNotRead(t *testing.T) {
	// Content new to the daemon (which keeps blobs across namespaces and -count runs), so
	// that the first pull fetches every layer.
	img, err := testimages.OCIManifest(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: uint64(time.Now().UnixNano())})
	require.NoError(t, err)
	man, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/first", "1", img))
	require.NoError(t, reg.Put("library/second", "1", img))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			w := &readWatch{read: map[string]bool{}}
			s, _ := open(t, v, Options{HostsDir: hosts, DialOptions: w.dialOptions()})
			for i, repo := range []string{"library/first", "library/second"} {
				named, err := imagesvc.ParsePullReference(reg.Host()+"/"+repo, "1", "")
				require.NoError(t, err)
				var events []imagesvc.ProgressEvent
				_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named}, func(ev imagesvc.ProgressEvent) { events = append(events, ev) })
				require.NoError(t, err)
				if i == 1 {
					for _, l := range man.Layers {
						assert.True(t, hasStatus(events, l.Digest.Encoded()[:12], imagesvc.StatusAlreadyExists))
						assert.False(t, w.read[l.Digest.String()], "layer %s read back", l.Digest)
					}
				}
			}
			assert.Len(t, names(t, s), 2)
		})
	}
}

// wrongDiffIDImage returns an image whose config lists a wrong diff ID for its first layer.
func wrongDiffIDImage(t *testing.T) *testimages.Image {
	t.Helper()
	img, err := testimages.OCIManifest(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 24})
	require.NoError(t, err)
	man, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	cfg.RootFS.DiffIDs[0] = digest.FromString("wrong")
	replace := func(old ocispec.Descriptor, v any) ocispec.Descriptor {
		data, err := json.Marshal(v)
		require.NoError(t, err)
		delete(img.Blobs, old.Digest)
		d := ocispec.Descriptor{MediaType: old.MediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
		img.Blobs[d.Digest] = testimages.Blob{Descriptor: d, Data: data}
		return d
	}
	man.Config = replace(man.Config, cfg)
	img.Descriptor = replace(img.Descriptor, man)
	return img
}

// TestPullWrongDiffID pulls an image whose layer does not match the config's diff ID:
// DataLoss and no record, on both pull paths.
func TestPullWrongDiffID(t *testing.T) {
	img := wrongDiffIDImage(t)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/wrongdiff", "1", img))
	hosts := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(hosts))
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{HostsDir: hosts})
			named, err := imagesvc.ParsePullReference(reg.Host()+"/library/wrongdiff", "1", "")
			require.NoError(t, err)
			_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named}, nil)
			require.Error(t, err)
			assert.True(t, errdefs.IsDataLoss(err), "class of %v", err)
			recs, err := s.client.ImageService().List(s.nsContext(context.Background()))
			require.NoError(t, err)
			assert.Empty(t, recs)
		})
	}
}

// TestPullRelativeHostsDir gives the hosts directory as a relative path: containerd 2.x's
// transfer service, which resolves paths against its own directory, must get it absolute.
func TestPullRelativeHostsDir(t *testing.T) {
	img, err := testimages.OCIManifest(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 25})
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("library/mirrored", "1", img))
	for _, v := range daemons {
		// Started (if not yet) before the change of directory, so that the daemons' working
		// directory is not the one the relative path is relative to.
		containerdtest.Shared(t, containerdtest.Options{Version: v, OnDisk: os.Getenv("CONTAINERD_ON_DISK") != ""})
	}
	t.Chdir(t.TempDir())
	// An alias that only the hosts directory resolves, so that a daemon without it fails.
	alias := "myregistry.invalid"
	require.NoError(t, os.MkdirAll(filepath.Join("certs.d", alias), 0o755))
	toml := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+reg.Host(), "http://"+reg.Host())
	require.NoError(t, os.WriteFile(filepath.Join("certs.d", alias, "hosts.toml"), []byte(toml), 0o644))
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{HostsDir: "certs.d"})
			named, err := imagesvc.ParsePullReference(alias+"/library/mirrored", "1", "")
			require.NoError(t, err)
			_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: named}, nil)
			require.NoError(t, err)
			assert.Len(t, names(t, s), 1)
		})
	}
}
