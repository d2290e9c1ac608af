// Package imagesvctest is the conformance suite of imagesvc: the behaviour of Docker's image
// endpoints (list, inspect, pull, import; spec §2–4) that a backend can show without HTTP,
// and of the optional capabilities (remove, tag, prune, history; lifecycle spec §2–§5;
// disk usage, lifecycle spec §10; save and load, spec §6–§7; push, spec §8; registry login and distribution lookups;
// root filesystems for runtimes, RootFSPreparer).
// The group of a capability skips, naming the interface, when the service does not
// implement it, as testing/fstest does, so that partial backends run the suite too.
//
// Every backend of this module runs it, in-process and across the plugin boundary, and
// plugin authors run it against theirs:
//
//	func TestConformance(t *testing.T) {
//		imagesvctest.RunConformance(t, func(t *testing.T, h imagesvctest.Harness) imagesvc.Service {
//			svc, err := mybackend.Open(t.TempDir(), mybackend.Options{
//				HostsDir: h.HostsDir, Platform: h.Platform, Usage: h.Usage,
//			})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { svc.Close() })
//			return svc
//		})
//	}
//
// The suite builds its own images (a labelled Docker schema 2 image, an OCI index with
// linux/amd64 and linux/arm64/v8 and their attestation manifests, a repository with several
// tags sharing a layer, a private repository, images whose IDs share a prefix) and serves
// them from an in-process OCI registry on 127.0.0.1. Nothing is downloaded.
package imagesvctest

import (
	"slices"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// Harness is what the suite gives a backend factory.
type Harness struct {
	// RegistryHost is the host:port of the suite's registry, on 127.0.0.1, plain HTTP.
	RegistryHost string
	// HostsDir is a containerd hosts.toml tree (HostsDir/<host>/hosts.toml) that makes
	// RegistryHost a plain-HTTP registry. Backends must use it for registry access.
	HostsDir string
	// Platform is the platform the backend must treat as the host's (linux/amd64), so
	// that results do not depend on the machine running the suite.
	Platform ocispec.Platform
	// Usage reports the containers that use images; backends must consult it.
	Usage imagesvc.UsageProvider
	// CountSnapshots registers, for the service the factory returns to t, a function that
	// counts the snapshots (unpacked layers and views) its snapshotter holds on disk; the
	// RootFS group checks sharing and freeing with it (they skip without one).
	CountSnapshots func(t *testing.T, count func() (int, error))
	// EventsBuffered registers, for the service the factory returns to t, the number of
	// live events its EventWatcher holds for one watcher whose callback has not taken them:
	// the size the backend was opened with (sqlite.Options.EventsBuffered,
	// containerd.Options.EventsBuffered; open with a small one, 16, to keep the suite fast).
	// The EventsSlowWatcher group then makes a stuck watcher fall past it and requires that
	// the watch ends with ErrEventsDropped. Without it (a backend behind a plugin's stream,
	// whose transport buffers too, drops at a point the suite cannot know), the group only
	// requires that a released watcher gets every event in order or ends with
	// ErrEventsDropped.
	EventsBuffered func(t *testing.T, n int)
}

// Factory returns a new, empty service for one test. It registers its own cleanup with
// t.Cleanup.
type Factory func(t *testing.T, h Harness) imagesvc.Service

// RunConformance runs the whole suite against the services newService returns, one fresh
// service per subtest.
func RunConformance(t *testing.T, newService Factory) {
	RunConformanceGroups(t, newService)
}

// RunConformanceGroups runs the groups of the suite named groups (RunConformance's
// subtests: "RootFS", "Pull"...; all of them when there are none), for a variant of a
// backend (another snapshotter, lazy unpacking) that changes only what those groups test.
func RunConformanceGroups(t *testing.T, newService Factory, groups ...string) {
	w := newWorld(t)
	usage := &UsageTable{}
	counters := &snapshotCounters{}
	buffers := &eventBuffers{}
	h := Harness{
		CountSnapshots: counters.register,
		EventsBuffered: buffers.register,
		RegistryHost:   w.host,
		HostsDir:       w.hostsDir,
		Platform:       ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Usage:          usage,
	}
	s := &suite{w: w, h: h, usage: usage, counters: counters, buffers: buffers, newService: newService}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Empty", s.testEmpty},
		{"PullByTag", s.testPullByTag},
		{"PullByDigest", s.testPullByDigest},
		{"PullAllTags", s.testPullAllTags},
		{"PullPlatform", s.testPullPlatform},
		{"PullMultiPlatformSummary", s.testMultiPlatformSummary},
		{"PullErrors", s.testPullErrors},
		{"PullCredentials", s.testPullCredentials},
		{"Inspect", s.testInspect},
		{"InspectShortIDs", s.testInspectShortIDs},
		{"InspectPlatform", s.testInspectPlatform},
		{"ListOrderAndNames", s.testListOrderAndNames},
		{"ListFilters", s.testListFilters},
		{"ListAllAndParents", s.testListAllAndParents},
		{"ListSharedSize", s.testSharedSize},
		{"ListContainers", s.testContainers},
		{"DiskUsage", s.testDiskUsage},
		{"Import", s.testImport},
		{"ImportDangling", s.testImportDangling},
		{"ImportErrors", s.testImportErrors},
		{"Concurrency", s.testConcurrency},
		{"Remove", s.testRemove},
		{"RemoveDigestNames", s.testRemoveDigestNames},
		{"RemoveDangling", s.testRemoveDangling},
		{"RemoveContainers", s.testRemoveContainers},
		{"RemovePlatforms", s.testRemovePlatforms},
		{"Tag", s.testTag},
		{"Prune", s.testPrune},
		{"History", s.testHistory},
		{"LifecycleConcurrency", s.testLifecycleConcurrency},
		{"Save", s.testSave},
		{"SaveMultiPlatform", s.testSaveMultiPlatform},
		{"Load", s.testLoad},
		{"LoadRoundTrip", s.testLoadRoundTrip},
		{"LoadDocker2010Archive", s.testLoadDocker2010Archive},
		{"LoadErrors", s.testLoadErrors},
		{"Login", s.testLogin},
		{"DistributionInspect", s.testDistributionInspect},
		{"DistributionInspectPrivate", s.testDistributionInspectPrivate},
		{"Push", s.testPush},
		{"PushMount", s.testPushMount},
		{"PushPlatform", s.testPushPlatform},
		{"PushErrors", s.testPushErrors},
		{"Events", s.testEvents},
		{"EventsSlowWatcher", s.testEventsSlowWatcher},
		{"RootFS", s.testRootFS},
	} {
		if len(groups) > 0 && !slices.Contains(groups, tc.name) {
			continue
		}
		t.Run(tc.name, tc.run)
	}
}

type suite struct {
	w          *world
	h          Harness
	usage      *UsageTable
	counters   *snapshotCounters
	buffers    *eventBuffers
	newService Factory
}

func (s *suite) service(t *testing.T) imagesvc.Service {
	t.Helper()
	svc := s.newService(t, s.h)
	if svc == nil {
		t.Fatal("the factory returned a nil service")
	}
	return svc
}
