package plugins_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// assertCapabilities checks that svc has exactly the optional interfaces of want.
func assertCapabilities(t *testing.T, want plugins.Capabilities, svc imagesvc.Service) {
	t.Helper()
	_, remover := svc.(imagesvc.Remover)
	_, tagger := svc.(imagesvc.Tagger)
	_, pruner := svc.(imagesvc.Pruner)
	_, historian := svc.(imagesvc.Historian)
	_, authenticator := svc.(imagesvc.RegistryAuthenticator)
	_, distribution := svc.(imagesvc.DistributionInspector)
	_, saver := svc.(imagesvc.Saver)
	_, loader := svc.(imagesvc.Loader)
	_, pusher := svc.(imagesvc.Pusher)
	assert.Equal(t, want.Has(plugins.CapRemove), remover, "imagesvc.Remover (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapTag), tagger, "imagesvc.Tagger (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapPrune), pruner, "imagesvc.Pruner (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapHistory), historian, "imagesvc.Historian (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapLogin), authenticator, "imagesvc.RegistryAuthenticator (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapDistribution), distribution, "imagesvc.DistributionInspector (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapSave), saver, "imagesvc.Saver (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapLoad), loader, "imagesvc.Loader (want %s)", want)
	assert.Equal(t, want.Has(plugins.CapPush), pusher, "imagesvc.Pusher (want %s)", want)
	// imagesvc.As finds every capability, those after the ninth as the first nine.
	_, remover = imagesvc.As[imagesvc.Remover](svc)
	assert.Equal(t, want.Has(plugins.CapRemove), remover, "As imagesvc.Remover (want %s)", want)
	_, pusher = imagesvc.As[imagesvc.Pusher](svc)
	assert.Equal(t, want.Has(plugins.CapPush), pusher, "As imagesvc.Pusher (want %s)", want)
	_, watcher := imagesvc.As[imagesvc.EventWatcher](svc)
	assert.Equal(t, want.Has(plugins.CapEvents), watcher, "As imagesvc.EventWatcher (want %s)", want)
	_, usager := imagesvc.As[imagesvc.DiskUsager](svc)
	assert.Equal(t, want.Has(plugins.CapDiskUsage), usager, "As imagesvc.DiskUsager (want %s)", want)
	_, preparer := imagesvc.As[imagesvc.RootFSPreparer](svc)
	assert.Equal(t, want.Has(plugins.CapRootFS), preparer, "As imagesvc.RootFSPreparer (want %s)", want)
	assert.Equal(t, want, plugins.CapabilitiesOf(svc))
}

func TestCapabilitiesNames(t *testing.T) {
	assert.Equal(t, "none", plugins.Capabilities(0).String())
	assert.Equal(t, "remove,tag,prune,history,login,distribution,save,load,push,events,disk_usage,rootfs", plugins.AllCapabilities.String())
	assert.Equal(t, plugins.Capabilities(4095), plugins.AllCapabilities, "nine capabilities with 512 combination types, then three found with imagesvc.As")
	assert.Equal(t, "tag,history", (plugins.CapTag | plugins.CapHistory).String())
	for c := range plugins.AllCapabilities + 1 {
		got, err := plugins.ParseCapabilities(c.String())
		require.NoError(t, err)
		assert.Equal(t, c, got)
	}
	got, err := plugins.ParseCapabilities("all")
	require.NoError(t, err)
	assert.Equal(t, plugins.AllCapabilities, got)
	_, err = plugins.ParseCapabilities("remove,fly")
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.ErrorContains(t, err, `unknown capability "fly"`)
	assert.Equal(t, plugins.AllCapabilities, plugins.CapabilitiesOf(plugintest.NewMemService()))
}

// Combinations of capabilities cross the protocol: the plugin announces what its backend
// implements, and the Client has exactly those interfaces (and still its own). Every one
// of the 512 generated types is checked without a plugin (TestEveryCombination and
// TestWithoutEveryCombination); through the plugin, the sets of one capability, of all
// but one, none and all.
func TestCapabilitiesInProcess(t *testing.T) {
	hides := []plugins.Capabilities{0, plugins.AllCapabilities}
	for bit := plugins.Capabilities(1); bit <= plugins.AllCapabilities; bit <<= 1 {
		hides = append(hides, bit, plugins.AllCapabilities&^bit)
	}
	for _, hide := range hides {
		want := plugins.AllCapabilities &^ hide
		t.Run(want.String(), func(t *testing.T) {
			svc := plugintest.Without(plugintest.NewMemService(), hide)
			assertCapabilities(t, want, svc)
			c := plugintest.InProcess(t, svc, plugins.Options{})
			assert.Equal(t, want, c.Info().Capabilities)
			assertCapabilities(t, want, c)
			_, isVersioner := c.(imagesvc.ListVersioner)
			assert.True(t, isVersioner, "every Client is a ListVersioner (the plugin's backend's version), whatever its capabilities")
			_, err := c.List(context.Background(), imagesvc.ListOptions{})
			require.NoError(t, err)
			if r, ok := c.(imagesvc.Remover); ok {
				_, err := r.Remove(context.Background(), mustRef(t, "nothing"), imagesvc.RemoveOptions{})
				assert.True(t, errdefs.IsNotFound(err), "%v", err)
			}
		})
	}
}

// Without gives every combination of capabilities its own type.
func TestWithoutEveryCombination(t *testing.T) {
	for hide := range plugins.AllCapabilities + 1 {
		assertCapabilities(t, plugins.AllCapabilities&^hide, plugintest.Without(plugintest.NewMemService(), hide))
	}
}

// A plugin process announces its backend's capabilities; a partial one only some; one that
// announces none (as every plugin built before capabilities existed) gives a Client with
// none, whose HTTP adapter then answers 501.
func TestCapabilitiesPlugin(t *testing.T) {
	for _, tc := range []struct {
		hide string
		want plugins.Capabilities
	}{
		{"", plugins.AllCapabilities},
		{"remove,prune,save,load,push", plugins.CapTag | plugins.CapHistory | plugins.CapLogin | plugins.CapDistribution | plugins.CapEvents | plugins.CapDiskUsage | plugins.CapRootFS},
		{"remove,prune,save,load,push,events,rootfs", plugins.CapTag | plugins.CapHistory | plugins.CapLogin | plugins.CapDistribution | plugins.CapDiskUsage},
		// A plugin built before login and distribution existed.
		{"login,distribution,save,load,push,events,disk_usage,rootfs", plugins.CapRemove | plugins.CapTag | plugins.CapPrune | plugins.CapHistory},
		// One built before save, load and push.
		{"save,load,push,events,disk_usage,rootfs", plugins.CapRemove | plugins.CapTag | plugins.CapPrune | plugins.CapHistory | plugins.CapLogin | plugins.CapDistribution},
		// One built before events and disk usage.
		{"events,disk_usage,rootfs", plugins.AllCapabilities &^ (plugins.CapEvents | plugins.CapDiskUsage | plugins.CapRootFS)},
		// One built before root filesystems.
		{"rootfs", plugins.AllCapabilities &^ plugins.CapRootFS},
		{"all", 0},
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "1", "-hide", tc.hide}})
			assert.Equal(t, tc.want, c.Info().Capabilities)
			assertCapabilities(t, tc.want, c)
			if h, ok := c.(imagesvc.Historian); ok {
				items, err := h.History(context.Background(), mustRef(t, "seed0"), imagesvc.HistoryOptions{})
				require.NoError(t, err)
				assert.NotEmpty(t, items)
			}
		})
	}
}

// The capabilities are fixed when the plugin is opened: a relaunched process that
// announces fewer fails their calls as not implemented, and the others still work.
func TestCapabilitiesLostOnRelaunch(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "started")
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "1", "-hide-after", flag}})
	assertCapabilities(t, plugins.AllCapabilities, c)
	_, err := c.(imagesvc.Historian).History(context.Background(), mustRef(t, "seed0"), imagesvc.HistoryOptions{})
	require.NoError(t, err)

	_, err = c.Inspect(context.Background(), mustRef(t, "crash"), imagesvc.InspectOptions{})
	require.True(t, errdefs.IsUnavailable(err), "%v", err)
	_, err = c.(imagesvc.Historian).History(context.Background(), mustRef(t, "seed0"), imagesvc.HistoryOptions{})
	assert.True(t, errdefs.IsNotImplemented(err), "%v", err)
	assert.ErrorContains(t, err, "no longer announces the history capability")
	assert.Equal(t, plugins.Capabilities(0), c.Info().Capabilities)
	assertCapabilities(t, plugins.AllCapabilities, c) // the Client's type does not change
	_, err = c.Inspect(context.Background(), mustRef(t, "seed0"), imagesvc.InspectOptions{})
	assert.NoError(t, err)
}

// lifeRecorder records the arguments of the four capabilities and answers what the test
// set; the rest is a MemService.
type lifeRecorder struct {
	*plugintest.MemService

	mu          sync.Mutex
	removeRef   imagesvc.ImageRef
	removeOpts  imagesvc.RemoveOptions
	removed     []imagesvc.DeleteResponse
	tagSource   imagesvc.ImageRef
	tagTarget   reference.NamedTagged
	pruneOpts   imagesvc.PruneOptions
	report      *imagesvc.PruneReport
	historyRef  imagesvc.ImageRef
	historyOpts imagesvc.HistoryOptions
	history     []imagesvc.HistoryItem
	containers  []imagesvc.Container // what HostUsage listed, in Prune
	err         error
}

func (r *lifeRecorder) Remove(_ context.Context, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeRef, r.removeOpts = ref, opts
	return r.removed, r.err
}

func (r *lifeRecorder) Tag(_ context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tagSource, r.tagTarget = source, target
	return r.err
}

func (r *lifeRecorder) Prune(ctx context.Context, opts imagesvc.PruneOptions) (*imagesvc.PruneReport, error) {
	ctrs, err := plugins.HostUsage().(imagesvc.ContainerLister).Containers(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneOpts, r.containers = opts, ctrs
	if err != nil {
		return nil, err
	}
	return r.report, r.err
}

func (r *lifeRecorder) History(_ context.Context, ref imagesvc.ImageRef, opts imagesvc.HistoryOptions) ([]imagesvc.HistoryItem, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.historyRef, r.historyOpts = ref, opts
	return r.history, r.err
}

// Every argument and result of the four capabilities crosses the protocol intact.
func TestLifecycleRoundTrip(t *testing.T) {
	r := &lifeRecorder{MemService: plugintest.NewMemService()}
	c := plugintest.InProcess(t, r, plugins.Options{})
	ctx := context.Background()
	id := digest.FromString("image")

	r.removed = []imagesvc.DeleteResponse{{Untagged: "foo:latest"}, {Untagged: "foo@" + id.String()}, {Deleted: id}}
	opts := imagesvc.RemoveOptions{Force: true, NoPrune: true, Platforms: []ocispec.Platform{
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
		{OS: "windows", Architecture: "amd64", OSVersion: "10.0.17763", OSFeatures: []string{"win32k"}},
	}}
	got, err := c.(imagesvc.Remover).Remove(ctx, mustRef(t, "moby-dangling@"+id.String()), opts)
	require.NoError(t, err)
	assert.Equal(t, r.removed, got)
	assert.Equal(t, "moby-dangling@"+id.String(), r.removeRef.String())
	assert.Equal(t, opts, r.removeOpts)
	_, err = c.(imagesvc.Remover).Remove(ctx, mustRef(t, "82d1e9d"), imagesvc.RemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, imagesvc.RemoveOptions{}, r.removeOpts, "no platforms stays nil")
	assert.Equal(t, "82d1e9d", r.removeRef.ShortID())
	r.removed = []imagesvc.DeleteResponse{}
	got, err = c.(imagesvc.Remover).Remove(ctx, mustRef(t, "foo"), opts)
	require.NoError(t, err)
	assert.Nil(t, got, "nothing removed is nil, as the contract says")

	target, err := imagesvc.ParseTagReference("localhost:5000/team/app", "v1.2")
	require.NoError(t, err)
	require.NoError(t, c.(imagesvc.Tagger).Tag(ctx, mustRef(t, "foo@"+id.String()), target))
	assert.Equal(t, "foo@"+id.String(), r.tagSource.String())
	assert.Equal(t, target.String(), r.tagTarget.String())
	assert.Equal(t, "v1.2", r.tagTarget.Tag())

	args := filters.NewArgs(filters.Arg("dangling", "false"), filters.Arg("label!", "keep=1"), filters.Arg("until", "24h"))
	r.report = &imagesvc.PruneReport{
		ImagesDeleted:  []imagesvc.DeleteResponse{{Untagged: id.String()}, {Deleted: id}},
		SpaceReclaimed: 1<<63 + 5, // a uint64 beyond int64
	}
	rep, err := c.(imagesvc.Pruner).Prune(ctx, imagesvc.PruneOptions{Filters: args})
	require.NoError(t, err)
	assert.Equal(t, r.report, rep)
	assert.Equal(t, args, r.pruneOpts.Filters)
	assert.Equal(t, []imagesvc.Container{}, r.containers, "a host without a usage provider lists no containers")
	r.report = &imagesvc.PruneReport{}
	rep, err = c.(imagesvc.Pruner).Prune(ctx, imagesvc.PruneOptions{})
	require.NoError(t, err)
	assert.Equal(t, &imagesvc.PruneReport{}, rep, "ImagesDeleted stays nil")
	assert.Equal(t, 0, r.pruneOpts.Filters.Len())
	r.report = nil
	_, err = c.(imagesvc.Pruner).Prune(ctx, imagesvc.PruneOptions{})
	assert.True(t, errdefs.IsInternal(err), "a backend without report nor error: %v", err)

	created := time.Date(2024, 2, 3, 4, 5, 6, 7, time.FixedZone("", -5*3600))
	r.history = []imagesvc.HistoryItem{
		{ID: id.String(), Created: created, CreatedBy: "CMD [\"sh\"]", Tags: []string{"foo:latest", "foo@" + id.String()}, Comment: "buildkit.dockerfile.v0"},
		{ID: imagesvc.MissingID, CreatedBy: "ADD file:abc in / ", Size: 1 << 40},
	}
	p := &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	items, err := c.(imagesvc.Historian).History(ctx, mustRef(t, "foo:latest"), imagesvc.HistoryOptions{Platform: p})
	require.NoError(t, err)
	assert.Equal(t, r.history, items)
	assert.Nil(t, items[1].Tags)
	assert.True(t, items[1].Created.IsZero())
	_, off := items[0].Created.Zone()
	assert.Equal(t, -5*3600, off)
	assert.Equal(t, p, r.historyOpts.Platform)
	assert.Equal(t, "foo:latest", r.historyRef.String())
	_, err = c.(imagesvc.Historian).History(ctx, mustRef(t, "foo"), imagesvc.HistoryOptions{})
	require.NoError(t, err)
	assert.Nil(t, r.historyOpts.Platform)
	r.history = nil
	items, err = c.(imagesvc.Historian).History(ctx, mustRef(t, "foo"), imagesvc.HistoryOptions{})
	require.NoError(t, err)
	assert.Nil(t, items, "no history is nil")

	// Errors keep their class and text, Conflict apart from FailedPrecondition.
	for _, e := range []error{
		imagesvc.DeleteConflict("foo:latest", true, "container 3f1c2b0a9d8e is using its referenced image 82d1e9d1a1b2"),
		errdefs.ErrFailedPrecondition.WithMessage("not that"),
		errdefs.ErrNotFound.WithMessage("No such image: foo:latest"),
		errdefs.ErrInvalidArgument.WithMessage("invalid filter 'color'"),
		errdefs.ErrInternal.WithMessage("unable to find the size of the layer"),
	} {
		r.err = e
		_, err1 := c.(imagesvc.Remover).Remove(ctx, mustRef(t, "foo"), imagesvc.RemoveOptions{})
		err2 := c.(imagesvc.Tagger).Tag(ctx, mustRef(t, "foo"), target)
		r.report = &imagesvc.PruneReport{}
		_, err3 := c.(imagesvc.Pruner).Prune(ctx, imagesvc.PruneOptions{})
		_, err4 := c.(imagesvc.Historian).History(ctx, mustRef(t, "foo"), imagesvc.HistoryOptions{})
		for _, err := range []error{err1, err2, err3, err4} {
			require.Error(t, err)
			assert.Equal(t, e.Error(), err.Error())
			assert.Equal(t, errdefs.Resolve(e), errdefs.Resolve(err), "class of %q", err)
		}
	}
}

// The new calls run MemService's Docker rules across the protocol, in process and in a
// plugin process: the answers and the errors (class and Docker's text) are those of the
// backend called directly.
func TestLifecycleAcrossProtocol(t *testing.T) {
	for _, where := range []string{"in-process", "plugin"} {
		t.Run(where, func(t *testing.T) {
			usage := &imagesvctest.UsageTable{}
			var c imagesvc.Service
			if where == "plugin" {
				c = plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "3"}, Usage: usage})
			} else {
				mem := plugintest.NewMemService()
				mem.Seed(3)
				mem.SetContainerLister(plugins.HostUsage().(imagesvc.ContainerLister))
				c = plugintest.InProcess(t, mem, plugins.Options{Usage: usage})
			}
			direct := plugintest.NewMemService()
			direct.Seed(3)
			direct.SetContainerLister(usage)
			runLifecycle(t, c, direct, usage)
		})
	}
}

// runLifecycle runs one sequence of operations on svc and on direct, which start alike,
// and compares the answers.
func runLifecycle(t *testing.T, svc, direct imagesvc.Service, usage *imagesvctest.UsageTable) {
	ctx := context.Background()
	seed0, err := direct.Inspect(ctx, mustRef(t, "seed0"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	id0 := seed0.ID
	short0 := id0.Encoded()[:12]
	ctr := strings.Repeat("3f1c2b0a9d8e", 5) + "abcd"

	type result struct {
		Value any
		Err   string
		Class error
	}
	both := func(name string, f func(s imagesvc.Service) (any, error)) result {
		t.Helper()
		want, wantErr := f(direct)
		got, gotErr := f(svc)
		res := func(v any, err error) result {
			if err != nil {
				return result{Err: err.Error(), Class: errdefs.Resolve(err)}
			}
			return result{Value: v}
		}
		w, g := res(want, wantErr), res(got, gotErr)
		assert.Equal(t, w, g, name)
		return g
	}
	remove := func(ref string, opts imagesvc.RemoveOptions) func(s imagesvc.Service) (any, error) {
		return func(s imagesvc.Service) (any, error) {
			return s.(imagesvc.Remover).Remove(ctx, mustRef(t, ref), opts)
		}
	}
	tag := func(src, repo, tag string) func(s imagesvc.Service) (any, error) {
		return func(s imagesvc.Service) (any, error) {
			target, err := imagesvc.ParseTagReference(repo, tag)
			if err != nil {
				// An invalid target still reaches the backend, which refuses it.
				n, perr := reference.ParseNormalizedNamed(repo)
				require.NoError(t, perr)
				target, perr = reference.WithTag(n, tag)
				require.NoError(t, perr)
			}
			return nil, s.(imagesvc.Tagger).Tag(ctx, mustRef(t, src), target)
		}
	}
	prune := func(args ...filters.KeyValuePair) func(s imagesvc.Service) (any, error) {
		return func(s imagesvc.Service) (any, error) {
			return s.(imagesvc.Pruner).Prune(ctx, imagesvc.PruneOptions{Filters: filters.NewArgs(args...)})
		}
	}
	history := func(ref string, p *ocispec.Platform) func(s imagesvc.Service) (any, error) {
		return func(s imagesvc.Service) (any, error) {
			return s.(imagesvc.Historian).History(ctx, mustRef(t, ref), imagesvc.HistoryOptions{Platform: p})
		}
	}
	expect := func(r result, class error, text string) {
		t.Helper()
		assert.Equal(t, class, r.Class, "class of %q", r.Err)
		assert.Equal(t, text, r.Err)
	}

	// Tag, and its errors.
	assert.Empty(t, both("tag", tag("seed0", "other", "v1")).Err)
	expect(both("tag missing", tag("nope", "x", "")), errdefs.ErrNotFound, "No such image: nope:latest")
	expect(both("tag sha256", tag("seed0", "sha256", "x")), errdefs.ErrInvalidArgument,
		"refusing to create an ambiguous tag using digest algorithm as name")

	// Remove: a name among several untags it; by ID with names in several repositories
	// is a conflict; containers make conflicts, with Docker's texts.
	r := both("untag", remove("other:v1", imagesvc.RemoveOptions{}))
	assert.Equal(t, []imagesvc.DeleteResponse{{Untagged: "other:v1"}}, r.Value)
	assert.Empty(t, both("tag again", tag("seed0", "other", "v1")).Err)
	expect(both("by ID, several repositories", remove(short0, imagesvc.RemoveOptions{})), errdefs.ErrConflict,
		"conflict: unable to delete "+short0+" (must be forced) - image is referenced in multiple repositories")
	expect(both("nothing", remove("nope", imagesvc.RemoveOptions{})), errdefs.ErrNotFound, "No such image: nope:latest")
	expect(both("platforms without force", remove("seed0", imagesvc.RemoveOptions{Platforms: []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}})),
		errdefs.ErrInvalidArgument, "Content will be removed from all images referencing this variant. Use \u2014-force to force delete.")

	usage.SetContainer(imagesvc.Container{ID: ctr, ImageID: id0, Image: "seed0"})
	expect(both("stopped container, by ID", remove(id0.String(), imagesvc.RemoveOptions{Force: false})), errdefs.ErrConflict,
		"conflict: unable to delete "+short0+" (must be forced) - image is being used by stopped container 3f1c2b0a9d8e")
	usage.SetContainer(imagesvc.Container{ID: ctr, ImageID: id0, Image: "seed0", Running: true})
	expect(both("running container, forced", remove(id0.String(), imagesvc.RemoveOptions{Force: true})), errdefs.ErrConflict,
		"conflict: unable to delete "+short0+" (cannot be forced) - image is being used by running container 3f1c2b0a9d8e")
	usage.RemoveContainer(ctr)

	// Prune: nothing dangling, then an image whose last name moved away.
	r = both("prune nothing", prune())
	assert.Equal(t, &imagesvc.PruneReport{}, r.Value)
	assert.Empty(t, both("move seed1's names", tag("seed0", "seed1", "latest")).Err)
	assert.Empty(t, both("move seed1's names", tag("seed0", "seed1", "v1")).Err)
	expect(both("prune bad filter", prune(filters.Arg("color", "red"))), errdefs.ErrInvalidArgument, "invalid filter 'color'")
	r = both("prune dangling", prune())
	require.NotNil(t, r.Value)
	rep := r.Value.(*imagesvc.PruneReport)
	require.Len(t, rep.ImagesDeleted, 2)
	assert.NotZero(t, rep.SpaceReclaimed)

	// History.
	r = both("history", history("seed0", nil))
	assert.NotEmpty(t, r.Value)
	expect(both("history of another platform", history("seed2", &ocispec.Platform{OS: "linux", Architecture: "arm64"})),
		errdefs.ErrNotFound, "image with reference seed2 was found but does not provide the specified platform (linux/arm64)")
	expect(both("history, bad platform", history("seed2", &ocispec.Platform{OS: "linux"})),
		errdefs.ErrInvalidArgument, "both OS and Architecture must be provided")

	// Removing by ID with force deletes every name; the platform delete leaves the image.
	r = both("forced by ID", remove(short0, imagesvc.RemoveOptions{Force: true}))
	assert.Contains(t, r.Value, imagesvc.DeleteResponse{Deleted: id0})
	r = both("platform", remove("seed2", imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}}))
	assert.NotEmpty(t, r.Value)
	r = both("platform again", remove("seed2", imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}}))
	assert.Equal(t, errdefs.ErrNotFound, r.Class, r.Err)

	sums, err := svc.List(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	wantSums, err := direct.List(ctx, imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, wantSums, sums)
}

// The host's containers reach the plugin's backend with every field, from a host whose
// provider lists them; from one whose provider cannot, the list is empty; and a failure
// keeps its class.
func TestHostUsageContainers(t *testing.T) {
	ctrs := []imagesvc.Container{
		{ID: strings.Repeat("a", 64), ImageID: digest.FromString("x"), ImageManifest: digest.FromString("m"), Image: "alpine:3.20", Running: true},
		{ID: strings.Repeat("b", 64), ImageID: digest.FromString("y"), Image: "82d1e9d", ImageMounts: []digest.Digest{digest.FromString("z"), digest.FromString("x")}},
	}
	usage := &imagesvctest.UsageTable{}
	for _, ctr := range ctrs {
		usage.SetContainer(ctr)
	}
	prune := func(c plugins.Client) error {
		_, err := c.(imagesvc.Pruner).Prune(context.Background(), imagesvc.PruneOptions{})
		return err
	}

	r := &lifeRecorder{MemService: plugintest.NewMemService(), report: &imagesvc.PruneReport{}}
	require.NoError(t, prune(plugintest.InProcess(t, r, plugins.Options{Usage: usage})))
	assert.Equal(t, ctrs, r.containers)

	usingOnly := imagesvc.UsageFunc(func(context.Context, []digest.Digest) (map[digest.Digest][]string, error) {
		return map[digest.Digest][]string{}, nil
	})
	r = &lifeRecorder{MemService: plugintest.NewMemService(), report: &imagesvc.PruneReport{}}
	require.NoError(t, prune(plugintest.InProcess(t, r, plugins.Options{Usage: usingOnly})))
	assert.Equal(t, []imagesvc.Container{}, r.containers, "a provider that is no ContainerLister lists none")

	r = &lifeRecorder{MemService: plugintest.NewMemService(), report: &imagesvc.PruneReport{}}
	err := prune(plugintest.InProcess(t, r, plugins.Options{Usage: failingLister{}}))
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Equal(t, "the container runtime is down", err.Error())

	// Outside a call from a host, HostUsage lists none.
	got, err := plugins.HostUsage().(imagesvc.ContainerLister).Containers(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.Container{}, got)
}

type failingLister struct{ imagesvc.UsageFunc }

func (failingLister) Containers(context.Context) ([]imagesvc.Container, error) {
	return nil, errdefs.ErrUnavailable.WithMessage("the container runtime is down")
}
