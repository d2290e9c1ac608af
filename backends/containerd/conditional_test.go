package containerd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	client "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/internal/containerdtest"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// conditionalTargets are the requests of the conditional property: lists with their
// options, and inspects of names the Store's writes and the foreign writes use.
var conditionalTargets = []string{
	"/v1.54/images/json",
	"/v1.54/images/json?all=1",
	"/v1.54/images/json?all=1&manifests=1",
	"/v1.41/images/json?all=1",
	"/v1.54/images/json?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D",
	"/v1.54/images/json?filters=%7B%22reference%22%3A%7B%22a%22%3Atrue%7D%7D",
	"/v1.54/images/a:1/json",
	"/v1.54/images/a:1/json?manifests=1",
	"/v1.54/images/b/json",
	"/v1.54/images/f:1/json",
	"/v1.54/images/p/img:v0/json",
}

// TestConditionalProperty: random pulls, imports, tags, removes, prunes, container usage
// changes, and changes other containerd clients make behind the Store's back (image
// records created, moved and deleted, layer blobs deleted, containers created and
// deleted) between conditional requests of lists and inspects; every 304 must be the
// answer a fresh request gets (imagesvctest.CheckConditional). Each daemon version, with a
// host's usage provider (versioned by the host) and with containerd's own container
// records (versioned by the Store).
func TestConditionalProperty(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v+"/host-usage", func(t *testing.T) {
			testConditionalProperty(t, v, true)
		})
		t.Run("containerd-"+v+"/containerd-containers", func(t *testing.T) {
			testConditionalProperty(t, v, false)
		})
	}
}

func testConditionalProperty(t *testing.T, v string, hostUsage bool) {
	reg := testregistry.New(t, testregistry.Options{})
	for i := range 3 {
		img, err := testimages.OCIManifest(testimages.Config{Seed: uint64(i + 1), Labels: map[string]string{"n": strconv.Itoa(i)}})
		require.NoError(t, err)
		require.NoError(t, reg.Put("p/img", "v"+strconv.Itoa(i), img))
	}
	var usage *imagesvctest.VersionedUsage
	opts := Options{Insecure: []string{reg.Host()}}
	var usageVersion httpadapter.UsageVersionFunc
	if hostUsage {
		usage = &imagesvctest.VersionedUsage{}
		opts.Usage = usage
		usageVersion = usage.Version
	}
	s, d := open(t, v, opts)
	newHandler := func() http.Handler {
		return httpadapter.New(s, httpadapter.Options{UsageVersion: usageVersion})
	}
	ctx := context.Background()

	names := []string{"a:1", "a:2", "b:latest", "p/img:v0"}
	writes := append(imagesvctest.LifecycleWrites(s, names, usage), imagesvctest.ConditionalWrite{
		Name: "pull", Do: func(t *testing.T, rnd *rand.Rand) {
			ref, err := imagesvc.ParsePullReference(reg.Host()+"/p/img", "v"+strconv.Itoa(rnd.IntN(3)), "")
			require.NoError(t, err)
			_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil)
			require.NoError(t, err)
		}})
	writes = append(writes, foreignWrites(t, d, s.Namespace(), !hostUsage)...)
	n := imagesvctest.CheckConditional(t, newHandler, conditionalTargets, writes, 40, 12)
	t.Logf("%d answers were 304", n)
	require.NotZero(t, n, "no request was answered 304: the property proved nothing")
}

// foreignWrites are writes another containerd client makes behind the Store's back, as
// ctr would: records created or moved ("f:0", "f:1" onto a random image's target), a
// random record deleted (without waiting for the garbage collection, as ctr images rm
// does by default), a random image's layer blob deleted, and, with containers,
// containerd container records created on a random image or deleted.
func foreignWrites(t *testing.T, d *containerdtest.Daemon, ns string, containers bool) []imagesvctest.ConditionalWrite {
	c, err := client.New(d.Address())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	ctx := namespaces.WithNamespace(context.Background(), ns)
	is := c.ImageService()
	records := func(t *testing.T) []images.Image {
		recs, err := is.List(ctx)
		require.NoError(t, err)
		return withoutPullRecords(recs)
	}
	writes := []imagesvctest.ConditionalWrite{
		{Name: "foreign tag", Do: func(t *testing.T, rnd *rand.Rand) {
			recs := records(t)
			if len(recs) == 0 {
				return
			}
			rec := images.Image{Name: "docker.io/library/f:" + strconv.Itoa(rnd.IntN(2)), Target: recs[rnd.IntN(len(recs))].Target}
			if _, err := is.Create(ctx, rec); errdefs.IsAlreadyExists(err) {
				_, err = is.Update(ctx, rec, "target")
				require.NoError(t, err)
			} else {
				require.NoError(t, err)
			}
		}},
		{Name: "foreign rm", Do: func(t *testing.T, rnd *rand.Rand) {
			recs := records(t)
			if len(recs) == 0 {
				return
			}
			err := is.Delete(ctx, recs[rnd.IntN(len(recs))].Name)
			require.True(t, err == nil || errdefs.IsNotFound(err), "%v", err)
		}},
		{Name: "foreign content rm", Do: func(t *testing.T, rnd *rand.Rand) {
			recs := records(t)
			if len(recs) == 0 {
				return
			}
			cs := c.ContentStore()
			m, err := images.Manifest(ctx, cs, recs[rnd.IntN(len(recs))].Target, platforms.All)
			if err != nil || len(m.Layers) == 0 {
				return // a layer already deleted, or its manifest: nothing to do
			}
			err = cs.Delete(ctx, m.Layers[rnd.IntN(len(m.Layers))].Digest)
			require.True(t, err == nil || errdefs.IsNotFound(err), "%v", err)
		}},
	}
	if containers {
		var n int
		writes = append(writes, imagesvctest.ConditionalWrite{Name: "foreign container", Do: func(t *testing.T, rnd *rand.Rand) {
			cs, err := c.ContainerService().List(ctx)
			require.NoError(t, err)
			if len(cs) > 0 && rnd.IntN(2) == 0 {
				require.NoError(t, c.ContainerService().Delete(ctx, cs[rnd.IntN(len(cs))].ID))
				return
			}
			recs := records(t)
			if len(recs) == 0 {
				return
			}
			n++
			_, err = c.NewContainer(ctx, fmt.Sprintf("c%d", n), client.WithImageName(recs[rnd.IntN(len(recs))].Name), client.WithSpec(&oci.Spec{}))
			require.NoError(t, err)
		}})
	}
	return writes
}

// TestConditionalVersion: the version changes with a change made behind the Store's back
// as soon as the RPC that made it returned; ListVersion fails while the event stream is
// not live and while one of the Store's writes is in progress; with a usage provider that
// has no version, answers carry no ETag.
func TestConditionalVersion(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, d := open(t, v, Options{})
			ctx := context.Background()
			importImage(t, s, "a:1", "x")
			v1, err := s.ListVersion(ctx)
			require.NoError(t, err)
			v2, err := s.ListVersion(ctx)
			require.NoError(t, err)
			require.Equal(t, v1, v2, "nothing changed")

			// Each foreign change, once its RPC returned, changes the version at once.
			c, err := client.New(d.Address())
			require.NoError(t, err)
			defer c.Close()
			nctx := namespaces.WithNamespace(ctx, s.Namespace())
			last := v2
			changed := func(what string) {
				t.Helper()
				now, err := s.ListVersion(ctx)
				require.NoError(t, err)
				require.NotEqual(t, last, now, what)
				last = now
			}
			rec, err := c.ImageService().Get(nctx, "docker.io/library/a:1")
			require.NoError(t, err)
			_, err = c.ImageService().Create(nctx, images.Image{Name: "docker.io/library/b:1", Target: rec.Target})
			require.NoError(t, err)
			changed("record created")
			require.NoError(t, c.ImageService().Delete(nctx, "docker.io/library/b:1"))
			changed("record deleted")
			m, err := images.Manifest(nctx, c.ContentStore(), rec.Target, platforms.All)
			require.NoError(t, err)
			require.NoError(t, c.ContentStore().Delete(nctx, m.Layers[0].Digest))
			changed("content deleted")
			_, err = c.NewContainer(nctx, "c1", client.WithImageName(rec.Name), client.WithSpec(&oci.Spec{}))
			require.NoError(t, err)
			changed("container created")

			// A write of the Store's own in progress: Unavailable, then a new version.
			unlock, err := s.lockWrites(s.nsContext(ctx))
			require.NoError(t, err)
			_, err = s.ListVersion(ctx)
			require.True(t, errdefs.IsUnavailable(err), "%v", err)
			unlock()
			changed("a write ended")

		})
	}
	t.Run("stream lost", func(t *testing.T) {
		// Once the event stream lost in a daemon restart is back, the version is another:
		// events may have been missed meanwhile.
		d := containerdtest.Start(t, containerdtest.Options{Version: containerdtest.Version2})
		s, _ := open(t, containerdtest.Version2, Options{Address: d.Address(), Snapshotter: d.Snapshotter()})
		ctx := context.Background()
		importImage(t, s, "a:1", "x")
		v1, err := s.ListVersion(ctx)
		require.NoError(t, err)
		require.NoError(t, d.Restart())
		var v2 string
		require.Eventually(t, func() bool {
			v2, err = s.ListVersion(ctx)
			return err == nil
		}, 20*time.Second, 50*time.Millisecond)
		require.NotEqual(t, v1, v2)
	})
	t.Run("unversioned usage", func(t *testing.T) {
		s, _ := open(t, containerdtest.Version2, Options{Usage: imagesvc.UsageFunc(func(context.Context, []digest.Digest) (map[digest.Digest][]string, error) {
			return nil, nil
		})})
		importImage(t, s, "a:1", "x")
		_, err := s.ListVersion(context.Background())
		require.True(t, errdefs.IsNotImplemented(err), "%v", err)
		h := httpadapter.New(s, httpadapter.Options{})
		for _, target := range []string{"/v1.54/images/json", "/v1.54/images/a:1/json"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			require.Equal(t, http.StatusOK, rec.Code)
			require.Empty(t, rec.Header().Get("ETag"), target)
		}
	})
}
