package plugins_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// Conditional lists (backend.proto, "Conditional lists") seen from the host: a repeated
// list is answered from what the host kept, and never differs from what the backend would
// answer.

// counted is a MemService (a ListVersioner) that counts its lists and, with usage set,
// fills Containers from the host's usage provider.
type counted struct {
	*plugintest.MemService
	usage bool
	lists atomic.Int32
}

func (c *counted) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	c.lists.Add(1)
	sums, err := c.MemService.List(ctx, opts)
	if err != nil || !c.usage {
		return sums, err
	}
	ids := make([]digest.Digest, len(sums))
	for i := range sums {
		ids[i] = sums[i].ID
	}
	used, err := plugins.HostUsage().ContainersUsing(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range sums {
		sums[i].Containers = int64(len(used[sums[i].ID]))
	}
	return sums, nil
}

func newCounted(seed int) *counted {
	m := plugintest.NewMemService()
	m.Seed(seed)
	return &counted{MemService: m}
}

// unversioned hides the ListVersion of the backend it holds.
type unversioned struct{ imagesvc.Service }

func list(t *testing.T, svc imagesvc.Lister, opts imagesvc.ListOptions) []imagesvc.Summary {
	t.Helper()
	sums, err := svc.List(context.Background(), opts)
	require.NoError(t, err)
	return sums
}

func importImage(t *testing.T, svc imagesvc.Creator, body string) digest.Digest {
	t.Helper()
	id, err := svc.Import(context.Background(), imagesvc.ImportRequest{Source: strings.NewReader(body)}, nil)
	require.NoError(t, err)
	return id
}

// A repeated list is answered without listing again, per set of options, even with a
// usage provider on the host that the backend does not ask; the answers are the backend's.
func TestConditionalListRepeated(t *testing.T) {
	b := newCounted(20)
	c := plugintest.InProcess(t, b, plugins.Options{Usage: &imagesvctest.UsageTable{}})
	want := list(t, b.MemService, imagesvc.ListOptions{})
	for range 3 {
		assert.Equal(t, want, list(t, c, imagesvc.ListOptions{}))
	}
	assert.EqualValues(t, 1, b.lists.Load(), "listed once")

	wantAll := list(t, b.MemService, imagesvc.ListOptions{All: true, Manifests: true})
	assert.Equal(t, wantAll, list(t, c, imagesvc.ListOptions{All: true, Manifests: true}))
	assert.EqualValues(t, 2, b.lists.Load(), "other options are another list")
	assert.Equal(t, want, list(t, c, imagesvc.ListOptions{}))
	assert.Equal(t, wantAll, list(t, c, imagesvc.ListOptions{All: true, Manifests: true}))
	assert.EqualValues(t, 2, b.lists.Load())
}

// A write is seen by the next list.
func TestConditionalListSeesWrites(t *testing.T) {
	b := newCounted(3)
	c := plugintest.InProcess(t, b, plugins.Options{})
	assert.Len(t, list(t, c, imagesvc.ListOptions{}), 3)

	id := importImage(t, c, "one")
	sums := list(t, c, imagesvc.ListOptions{})
	require.Len(t, sums, 4)
	assert.Equal(t, id, sums[0].ID)
	assert.Len(t, list(t, c, imagesvc.ListOptions{}), 4)
	assert.EqualValues(t, 2, b.lists.Load())

	ref, err := imagesvc.ParsePullReference("example.com/pulled", "1", "")
	require.NoError(t, err)
	_, err = c.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.NoError(t, err)
	sums = list(t, c, imagesvc.ListOptions{})
	require.Len(t, sums, 5)
	assert.Equal(t, []string{"example.com/pulled:1"}, sums[0].RepoTags)

	// A write behind the host's back (in the backend itself) is seen too.
	b.Seed(2)
	assert.Len(t, list(t, c, imagesvc.ListOptions{}), 7)
	assert.EqualValues(t, 4, b.lists.Load())
}

// A list with an until filter depends on the time: it is never answered from the cache.
func TestConditionalListUntilNeverCached(t *testing.T) {
	b := newCounted(3)
	c := plugintest.InProcess(t, b, plugins.Options{})
	opts := imagesvc.ListOptions{Filters: filters.NewArgs(filters.Arg("until", "10m"))}
	for range 3 {
		assert.Len(t, list(t, c, opts), 3)
	}
	assert.EqualValues(t, 3, b.lists.Load())
}

// When the backend asks the host which containers use its images, every list asks again:
// containers come and go without any write to the backend.
func TestConditionalListFollowsHostUsage(t *testing.T) {
	b := newCounted(3)
	b.usage = true
	usage := &imagesvctest.UsageTable{}
	c := plugintest.InProcess(t, b, plugins.Options{Usage: usage})
	containers := func() []int64 {
		var out []int64
		for _, s := range list(t, c, imagesvc.ListOptions{}) {
			out = append(out, s.Containers)
		}
		return out
	}
	ids := list(t, b.MemService, imagesvc.ListOptions{})
	assert.Equal(t, []int64{0, 0, 0}, containers())
	usage.Set(ids[1].ID, "c1", "c2")
	assert.Equal(t, []int64{0, 2, 0}, containers())
	usage.Set(ids[1].ID)
	usage.Set(ids[2].ID, "c3")
	assert.Equal(t, []int64{0, 0, 1}, containers())
	assert.EqualValues(t, 3, b.lists.Load())
}

// A backend that is not a ListVersioner lists every time, as before.
func TestConditionalListWithoutVersioner(t *testing.T) {
	b := newCounted(3)
	c := plugintest.InProcess(t, unversioned{b}, plugins.Options{})
	want := list(t, b.MemService, imagesvc.ListOptions{})
	for range 3 {
		assert.Equal(t, want, list(t, c, imagesvc.ListOptions{}))
	}
	importImage(t, c, "one")
	assert.Len(t, list(t, c, imagesvc.ListOptions{}), 4)
	assert.EqualValues(t, 4, b.lists.Load())
}

// The caller owns what List returns, whether it came across or from the cache: what it
// does to it is never seen by a later list.
func TestConditionalListResultsAreCopies(t *testing.T) {
	b := newCounted(5)
	c := plugintest.InProcess(t, b, plugins.Options{})
	opts := imagesvc.ListOptions{Manifests: true}
	want := list(t, b.MemService, opts)
	require.NotEmpty(t, want[0].Labels)
	require.NotEmpty(t, want[0].Manifests)
	spoil := func(sums []imagesvc.Summary) {
		for i := range sums {
			s := &sums[i]
			s.ID = "spoiled"
			s.RepoTags[0] = "spoiled"
			s.RepoTags = append(s.RepoTags, "appended")
			s.RepoDigests = append(s.RepoDigests[:0], "spoiled")
			for k := range s.Labels {
				s.Labels[k] = "spoiled"
			}
			s.Labels["new"] = "spoiled"
			s.Descriptor.Digest = "spoiled"
			s.Manifests[0].ImageData.Platform.OS = "spoiled"
			s.Manifests[0].ImageData.Containers = append(s.Manifests[0].ImageData.Containers, "spoiled")
			s.Manifests = append(s.Manifests, imagesvc.ManifestSummary{ID: "spoiled"})
		}
	}
	for range 3 {
		got := list(t, c, opts)
		assert.Equal(t, want, got)
		spoil(got)
	}
	assert.EqualValues(t, 1, b.lists.Load(), "the later answers came from the cache")
}

// Lists in parallel with writes: every list is a state the backend had, and once the
// writes are done, the next list sees them all. Run with -race.
func TestConditionalListConcurrent(t *testing.T) {
	b := newCounted(10)
	c := plugintest.InProcess(t, b, plugins.Options{})
	const writes = 10
	var g errgroup.Group
	for w := range 4 {
		opts := imagesvc.ListOptions{All: w%2 == 0}
		g.Go(func() error {
			for range 25 {
				sums, err := c.List(context.Background(), opts)
				if err != nil {
					return err
				}
				if len(sums) < 10 || len(sums) > 10+writes {
					return fmt.Errorf("listed %d images", len(sums))
				}
				sums[0].RepoTags = append(sums[0].RepoTags, "mine")
			}
			return nil
		})
	}
	g.Go(func() error {
		for i := range writes {
			if _, err := c.Import(context.Background(), imagesvc.ImportRequest{Source: strings.NewReader(fmt.Sprint("image ", i))}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, g.Wait())
	assert.Equal(t, list(t, b.MemService, imagesvc.ListOptions{}), list(t, c, imagesvc.ListOptions{}))
	assert.Equal(t, list(t, b.MemService, imagesvc.ListOptions{All: true}), list(t, c, imagesvc.ListOptions{All: true}))
}

// A plugin relaunched after a crash starts from its own state: nothing the host kept from
// the process before is served, even when the new process reaches the same version as
// the old one did.
func TestConditionalListAfterRelaunch(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "3"}})
	pull := func(name string) {
		t.Helper()
		ref, err := imagesvc.ParsePullReference(name, "1", "")
		require.NoError(t, err)
		_, err = c.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
		require.NoError(t, err)
	}
	names := func() []string {
		var out []string
		for _, s := range list(t, c, imagesvc.ListOptions{}) {
			out = append(out, s.RepoTags[0])
		}
		return out
	}
	assert.Len(t, names(), 3)
	pull("example.com/before")
	for range 2 {
		assert.Equal(t, []string{"example.com/before:1", "seed2:latest", "seed1:latest", "seed0:latest"}, names())
	}

	_, err := c.Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
	require.Error(t, err)
	assert.Equal(t, []string{"seed2:latest", "seed1:latest", "seed0:latest"}, names(), "the new process has only its seed")
	pull("example.com/after") // the version the old process had when it listed
	for range 2 {
		assert.Equal(t, []string{"example.com/after:1", "seed2:latest", "seed1:latest", "seed0:latest"}, names())
	}
}
