package plugintest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/plugins"
)

// MemService is a small in-memory [imagesvc.Service] for testing transports, not image
// semantics: List returns every image (filters are validated, not applied), Inspect
// resolves full IDs, short IDs and exact names, Pull makes up an image named after the
// reference and reports a few progress events, and Import stores the archive's digest as
// a new image (an archive imported twice is one image). It copies what it returns, as a
// real backend does. It is a [plugins.ListVersioner]: its version counts the changes to
// its images.
//
// It has every capability ([imagesvc.Remover], [imagesvc.Tagger], [imagesvc.Pruner],
// [imagesvc.Historian]), with Docker's rules (the module's internal/model, as the real
// backends): each image's RepoTags are its records, an image without tags is dangling,
// and Image.Parent is its parent. Remove and Prune consult the containers of
// [MemService.SetContainerLister]. Its [imagesvc.RegistryAuthenticator] and
// [imagesvc.DistributionInspector] answer for a made-up registry, as Pull does (see
// [MemUser]). Its [imagesvc.Saver], [imagesvc.Loader] and [imagesvc.Pusher] move images
// in archives of its own shape and to that registry (transfer.go). Its
// [imagesvc.EventWatcher] reports the events of its pulls, imports, tags and removals
// ([Events]: a fake for the transport, which emits no other event), and its
// [imagesvc.DiskUsager] the sizes its list gives. Its [imagesvc.RootFSPreparer] makes up
// runtime images and views whose mounts name no real directory (rootfs.go: a fake for
// the transport).
type MemService struct {
	mu         sync.Mutex
	images     []imagesvc.Image // newest first
	now        func() time.Time
	version    uint64 // bumped by every change to images
	containers imagesvc.ContainerLister
	prune      model.PruneGate
	events     Events
	views      []memView // the root filesystem views (rootfs.go), oldest first
}

var (
	_ imagesvc.Service      = (*MemService)(nil)
	_ plugins.ListVersioner = (*MemService)(nil)
	_ imagesvc.Remover      = (*MemService)(nil)
	_ imagesvc.Tagger       = (*MemService)(nil)
	_ imagesvc.Pruner       = (*MemService)(nil)
	_ imagesvc.Historian    = (*MemService)(nil)
	_ imagesvc.EventWatcher = (*MemService)(nil)
	_ imagesvc.DiskUsager   = (*MemService)(nil)
)

// Events returns the events of m, so that a test emits its own ones.
func (m *MemService) Events() *Events { return &m.events }

// WatchEvents implements [imagesvc.EventWatcher] with m's [Events].
func (m *MemService) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	return m.events.WatchEvents(ctx, opts, fn)
}

// DiskUsage implements [imagesvc.DiskUsager]: the list with shared sizes, and the sum of
// the images' sizes.
func (m *MemService) DiskUsage(ctx context.Context) (imagesvc.DiskUsage, error) {
	sums, err := m.List(ctx, imagesvc.ListOptions{SharedSize: true})
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	du := imagesvc.DiskUsage{Images: sums}
	for _, s := range sums {
		du.TotalSize += s.Size
	}
	return du, nil
}

// NewMemService returns an empty MemService.
func NewMemService() *MemService {
	return &MemService{now: time.Now}
}

// Seed adds n made-up images, each with two tags, a repo digest, labels, a creation time
// and a descriptor, of the size a real single-platform image has in a list.
func (m *MemService) Seed(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seeded := make([]imagesvc.Image, n, n+len(m.images))
	for i := range n {
		id := digest.FromString(fmt.Sprintf("seed-%d-%d", len(m.images), i))
		name := fmt.Sprintf("docker.io/library/seed%d", i)
		img := imagesvc.Image{
			ID:           id,
			RepoTags:     []string{fmt.Sprintf("seed%d:latest", i), fmt.Sprintf("seed%d:v%d", i, i%7)},
			RepoDigests:  []string{fmt.Sprintf("seed%d@%s", i, id)},
			Created:      base.Add(time.Duration(i) * time.Minute),
			Size:         int64(3_000_000 + i),
			Architecture: "amd64", OS: "linux",
			Config: imagesvc.ImageConfig{ImageConfig: ocispec.ImageConfig{
				Labels: map[string]string{"org.opencontainers.image.source": "https://example.com/" + name, "tier": fmt.Sprint(i % 3)},
				Env:    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
				Cmd:    []string{"/bin/sh"},
			}},
			RootFS: imagesvc.RootFS{Type: "layers", Layers: []digest.Digest{digest.FromString(name + "/layer")}},
			Descriptor: ocispec.Descriptor{
				MediaType: ocispec.MediaTypeImageManifest,
				Digest:    id,
				Size:      528,
			},
		}
		seeded[n-1-i] = img // newest first
	}
	m.images = append(seeded, m.images...)
	m.version++
}

// ListVersion implements [plugins.ListVersioner]: it changes with every Seed, every Pull
// that adds an image and every Import.
func (m *MemService) ListVersion(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return strconv.FormatUint(m.version, 10), nil
}

// Len returns the number of images.
func (m *MemService) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.images)
}

// List returns every image, newest first.
func (m *MemService) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]imagesvc.Summary, len(m.images))
	for i := range m.images {
		img := &m.images[i]
		s := imagesvc.Summary{
			ID:          img.ID,
			RepoTags:    slices.Clone(img.RepoTags),
			RepoDigests: slices.Clone(img.RepoDigests),
			Created:     img.Created,
			Size:        img.Size,
			SharedSize:  -1,
			Labels:      maps.Clone(img.Config.Labels),
			Descriptor:  img.Descriptor,
		}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		if opts.SharedSize {
			s.SharedSize = 0
		}
		if opts.Manifests {
			s.Manifests = []imagesvc.ManifestSummary{{
				ID: img.ID, Descriptor: img.Descriptor, Available: true,
				Size: imagesvc.ManifestSize{Content: img.Size, Total: img.Size},
				Kind: imagesvc.KindImage,
				ImageData: &imagesvc.ImageData{
					Platform: ocispec.Platform{OS: img.OS, Architecture: img.Architecture},
					Unpacked: img.Size,
				},
			}}
		}
		out[i] = s
	}
	return out, nil
}

// Inspect resolves ref by full ID, exact name or short ID.
func (m *MemService) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	img, err := m.findLocked(ref)
	if err != nil {
		return nil, err
	}
	c := cloneImage(img)
	return &c, nil
}

// findLocked resolves ref by full ID, exact name or short ID.
func (m *MemService) findLocked(ref imagesvc.ImageRef) (*imagesvc.Image, error) {
	var found []*imagesvc.Image
	switch {
	case ref.Digest() != "":
		for i := range m.images {
			if m.images[i].ID == ref.Digest() {
				found = append(found, &m.images[i])
			}
		}
	case ref.Named() != nil:
		want := reference.FamiliarString(ref.Tagged())
		for i := range m.images {
			if slices.Contains(m.images[i].RepoTags, want) {
				found = append(found, &m.images[i])
			}
		}
	}
	if len(found) == 0 && ref.ShortID() != "" {
		for i := range m.images {
			if strings.HasPrefix(m.images[i].ID.Encoded(), ref.ShortID()) {
				found = append(found, &m.images[i])
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, ref.NotFound()
	case 1:
		return found[0], nil
	default:
		return nil, imagesvc.ErrAmbiguous()
	}
}

func cloneImage(img *imagesvc.Image) imagesvc.Image {
	c := *img
	c.RepoTags = slices.Clone(img.RepoTags)
	c.RepoDigests = slices.Clone(img.RepoDigests)
	c.Config.Labels = maps.Clone(img.Config.Labels)
	c.Config.Env = slices.Clone(img.Config.Env)
	c.Config.Cmd = slices.Clone(img.Config.Cmd)
	c.RootFS.Layers = slices.Clone(img.RootFS.Layers)
	return c
}

// Pull stores a made-up image named req.Ref (with ":latest" when it has no tag), after
// reporting a "Pulling from" event, one layer's progress and the final status.
func (m *MemService) Pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	if req.Ref == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("no reference to pull")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	named := reference.TagNameOnly(req.Ref)
	familiar := reference.FamiliarString(named)
	id := digest.FromString("pulled " + named.String())
	layer := digest.FromString("layer " + named.String()).Encoded()[:12]
	tag := "latest"
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	}
	progress.Report(imagesvc.PullingFrom(reference.Path(named), tag))
	progress.Report(imagesvc.ProgressEvent{ID: layer, Status: imagesvc.StatusPullingFSLayer, Detail: &imagesvc.ProgressDetail{}})
	progress.Report(imagesvc.ProgressEvent{ID: layer, Status: imagesvc.StatusDownloading, Detail: &imagesvc.ProgressDetail{Current: 512, Total: 1024}})
	progress.Report(imagesvc.ProgressEvent{ID: layer, Status: imagesvc.StatusPullComplete, Detail: &imagesvc.ProgressDetail{}})
	progress.Report(imagesvc.DigestStatus(id.String()))

	m.mu.Lock()
	updated := m.indexLocked(id) < 0
	if updated {
		m.images = append([]imagesvc.Image{{
			ID: id, RepoTags: []string{}, RepoDigests: []string{}, Created: m.now().UTC(),
			Architecture: "amd64", OS: "linux", RootFS: imagesvc.RootFS{Type: "layers"},
			Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: id, Size: 512},
		}}, m.images...)
	}
	if m.setNameLocked(familiar, id) || updated {
		m.version++
	}
	m.mu.Unlock()
	m.events.Emit(imagesvc.Event{Action: imagesvc.EventPull, ID: familiar, Attributes: map[string]string{"name": familiar}})
	progress.Report(imagesvc.PullStatus(familiar, updated))
	return []imagesvc.PulledImage{{Ref: familiar, ID: id, Updated: updated}}, nil
}

// Import reads req.Source to the end and stores an image whose ID is the digest of the
// archive's bytes. An empty archive is invalid; URL sources are refused.
func (m *MemService) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	if req.URL != nil {
		return "", errdefs.ErrPermissionDenied.WithMessage("importing from a URL is not allowed")
	}
	if req.Source == nil {
		return "", errdefs.ErrInvalidArgument.WithMessage("import: no source")
	}
	dg := digest.Canonical.Digester()
	n, err := io.Copy(dg.Hash(), &ctxReader{ctx: ctx, r: req.Source})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("import: reading the archive: %w", err)
	}
	if n == 0 {
		return "", errdefs.ErrInvalidArgument.WithMessage("import: empty archive")
	}
	id := dg.Digest()
	progress.Report(imagesvc.ProgressEvent{ID: id.Encoded()[:12], Status: imagesvc.StatusImporting, Detail: &imagesvc.ProgressDetail{Current: n}})
	img := imagesvc.Image{
		ID: id, RepoTags: []string{}, RepoDigests: []string{}, Created: m.now().UTC(), Comment: req.Message,
		Architecture: "amd64", OS: "linux", Size: n, RootFS: imagesvc.RootFS{Type: "layers"},
		Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: id, Size: 512},
	}
	if p := req.Platform; p != nil {
		img.Architecture, img.OS, img.Variant = p.Architecture, p.OS, p.Variant
	}
	if err := req.Changes.Apply(&img.Config); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.indexLocked(id) < 0 {
		m.images = append([]imagesvc.Image{img}, m.images...)
	}
	attrs := map[string]string{}
	if req.Ref != nil {
		m.setNameLocked(reference.FamiliarString(req.Ref), id)
		attrs["name"] = reference.FamiliarString(req.Ref)
	}
	m.version++
	m.events.Emit(imagesvc.Event{Action: imagesvc.EventImport, ID: id.String(), Attributes: attrs})
	return id, nil
}

// ctxReader stops reading when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
