package imagesvctest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// UsageTable is an [imagesvc.UsageProvider] and [imagesvc.ContainerLister] whose answers a
// test sets: the containers that use each digest ([UsageTable.Set]), and containers in
// full, with their state ([UsageTable.SetContainer]), which also count as using their
// ImageID and ImageManifest. It is the suite's provider, and a host's provider for tests
// of transports (a plugin host whose containers change). Safe for concurrent use; the
// zero value reports no containers.
type UsageTable struct {
	mu   sync.Mutex
	m    map[digest.Digest][]string
	ctrs []imagesvc.Container
}

var (
	_ imagesvc.UsageProvider   = (*UsageTable)(nil)
	_ imagesvc.ContainerLister = (*UsageTable)(nil)
)

// Set records that the containers ids use d; no ids means none does.
func (u *UsageTable) Set(d digest.Digest, ids ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(ids) == 0 {
		delete(u.m, d)
		return
	}
	if u.m == nil {
		u.m = map[digest.Digest][]string{}
	}
	u.m[d] = slices.Clone(ids)
}

// SetContainer adds the container c, or replaces the one with its ID.
func (u *UsageTable) SetContainer(c imagesvc.Container) {
	u.mu.Lock()
	defer u.mu.Unlock()
	c.ImageMounts = slices.Clone(c.ImageMounts)
	if i := slices.IndexFunc(u.ctrs, func(x imagesvc.Container) bool { return x.ID == c.ID }); i >= 0 {
		u.ctrs[i] = c
		return
	}
	u.ctrs = append(u.ctrs, c)
}

// RemoveContainer removes the container with the given ID, if any.
func (u *UsageTable) RemoveContainer(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ctrs = slices.DeleteFunc(u.ctrs, func(x imagesvc.Container) bool { return x.ID == id })
}

// Containers implements [imagesvc.ContainerLister]: the containers set with SetContainer.
func (u *UsageTable) Containers(context.Context) ([]imagesvc.Container, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]imagesvc.Container, len(u.ctrs))
	for i, c := range u.ctrs {
		c.ImageMounts = slices.Clone(c.ImageMounts)
		out[i] = c
	}
	return out, nil
}

// ContainersUsing implements [imagesvc.UsageProvider].
func (u *UsageTable) ContainersUsing(_ context.Context, ds []digest.Digest) (map[digest.Digest][]string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[digest.Digest][]string{}
	for _, d := range ds {
		if ids, ok := u.m[d]; ok {
			out[d] = slices.Clone(ids)
		}
		for _, c := range u.ctrs {
			if (c.ImageID == d || c.ImageManifest == d) && !slices.Contains(out[d], c.ID) {
				out[d] = append(out[d], c.ID)
			}
		}
	}
	return out, nil
}

// set is Set for the duration of the test t.
func (u *UsageTable) set(t *testing.T, d digest.Digest, ids ...string) {
	u.Set(d, ids...)
	t.Cleanup(func() { u.Set(d) })
}

// recorder collects progress events and notices calls that overlap, which the contract
// forbids.
type recorder struct {
	mu      sync.Mutex
	events  []imagesvc.ProgressEvent
	inside  atomic.Int32
	overlap atomic.Bool
}

func (r *recorder) report(ev imagesvc.ProgressEvent) {
	if r.inside.Add(1) != 1 {
		r.overlap.Store(true)
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.inside.Add(-1)
}

func (r *recorder) list() []imagesvc.ProgressEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

type pullResult struct {
	pulled []imagesvc.PulledImage
	events []imagesvc.ProgressEvent
	err    error
}

func (s *suite) pull(t *testing.T, svc imagesvc.Creator, fromImage, tag string, platform *ocispec.Platform, auth *imagesvc.AuthConfig) pullResult {
	t.Helper()
	return s.pullCtx(t, context.Background(), svc, fromImage, tag, platform, auth)
}

func (s *suite) pullCtx(t *testing.T, ctx context.Context, svc imagesvc.Creator, fromImage, tag string, platform *ocispec.Platform, auth *imagesvc.AuthConfig) pullResult {
	t.Helper()
	ref, err := imagesvc.ParsePullReference(fromImage, tag, "")
	if err != nil {
		t.Fatalf("ParsePullReference(%q, %q): %v", fromImage, tag, err)
	}
	rec := &recorder{}
	pulled, err := svc.Pull(ctx, imagesvc.PullRequest{Ref: ref, Platform: platform, Auth: auth}, rec.report)
	if rec.overlap.Load() {
		t.Errorf("pull of %s: progress was reported from several goroutines at once", ref)
	}
	return pullResult{pulled: pulled, events: rec.list(), err: err}
}

// mustPull pulls repo:tag from the suite's registry and fails the test on error.
func (s *suite) mustPull(t *testing.T, svc imagesvc.Creator, repo, tag string) []imagesvc.PulledImage {
	t.Helper()
	res := s.pull(t, svc, s.w.ref(repo), tag, nil, nil)
	if res.err != nil {
		t.Fatalf("pull %s:%s: %v", repo, tag, res.err)
	}
	return res.pulled
}

func list(t *testing.T, svc imagesvc.Lister, opts imagesvc.ListOptions) []imagesvc.Summary {
	t.Helper()
	out, err := svc.List(context.Background(), opts)
	if err != nil {
		t.Fatalf("List(%s): %v", describe(opts), err)
	}
	if out == nil {
		t.Fatalf("List(%s) returned nil, want a non-nil slice", describe(opts))
	}
	return out
}

func listFiltered(t *testing.T, svc imagesvc.Lister, pairs ...string) []imagesvc.Summary {
	t.Helper()
	var args filters.Args
	for i := 0; i+1 < len(pairs); i += 2 {
		args.Add(pairs[i], pairs[i+1])
	}
	return list(t, svc, imagesvc.ListOptions{Filters: args})
}

func ids(sums []imagesvc.Summary) []digest.Digest {
	out := make([]digest.Digest, 0, len(sums))
	for _, s := range sums {
		out = append(out, s.ID)
	}
	return out
}

func find(sums []imagesvc.Summary, id digest.Digest) *imagesvc.Summary {
	for i := range sums {
		if sums[i].ID == id {
			return &sums[i]
		}
	}
	return nil
}

func inspect(t *testing.T, svc imagesvc.Inspector, name string, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	t.Helper()
	ref, err := imagesvc.ParseImageRef(name)
	if err != nil {
		t.Fatalf("ParseImageRef(%q): %v", name, err)
	}
	return svc.Inspect(context.Background(), ref, opts)
}

func hasEvent(events []imagesvc.ProgressEvent, id, status string) bool {
	for _, ev := range events {
		if ev.ID == id && ev.Status == status {
			return true
		}
	}
	return false
}
