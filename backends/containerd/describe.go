package containerd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// Labels this backend reads and writes.
const (
	// labelParent is the record (or config) label that names an image's parent.
	labelParent = "org.mobyproject.image.parent"
	// labelDistributionSource prefixes containerd's distribution source labels on
	// content: "containerd.io/distribution.source.<host>" = "<repo>[,<repo>...]".
	labelDistributionSource = "containerd.io/distribution.source."
	// danglingPrefix starts the record name Docker gives an image without names:
	// "moby-dangling@<target digest>".
	danglingPrefix = "moby-dangling@"
	// maxBlobRead bounds the metadata blobs (indexes, manifests, configs) read into memory.
	maxBlobRead = 32 << 20
)

// targetInfo is everything List and Inspect need to know about the content of one image
// target (index, manifest list or manifest), computed once and cached until an event says
// that content or snapshots it depends on changed. It is immutable once built.
type targetInfo struct {
	target    ocispec.Descriptor
	missing   bool // the target blob itself is absent
	manifests []manifestInfo
	view      []model.Manifest // what list and inspect show of each manifest
	best      int              // the manifest inspect shows (model.InspectBest), -1 when none
	listBest  int              // the manifest list shows (model.ListBest), -1 when none

	created      time.Time
	labels       map[string]string   // of the best config; nil without one
	configLabels []map[string]string // of every image manifest's config, for label filters
	size         int64               // total over all manifests (content + unpacked)

	// footprint holds the distinct present blobs of the whole tree and the distinct
	// present layer chains with their own usage, for SharedSize and DiskUsage.
	footprint model.Footprint

	touched  []digest.Digest // every blob looked at: an event on one invalidates the entry
	chainIDs []digest.Digest // every chain looked at
}

// manifestInfo is one manifest of a target.
type manifestInfo struct {
	model.ManifestInfo
	chainIDs []digest.Digest // the layer chain IDs, bottom first; nil without a config
	sources  []string        // repositories the manifest was pulled from
}

// bestManifest returns the image manifest inspect shows (model.InspectBest), or nil.
func (t *targetInfo) bestManifest() *manifestInfo {
	if t.best < 0 {
		return nil
	}
	return &t.manifests[t.best]
}

// bestLabels returns the config labels of the manifest inspect shows, as eventLabels
// reads them: nil without one.
func (t *targetInfo) bestLabels() map[string]string {
	if m := t.bestManifest(); m != nil && m.Config != nil {
		return m.Config.Config.Labels
	}
	return nil
}

// presence is a snapshot of the content store taken with one Walk: every blob and its
// labels. It answers Info for a cache fill that describes many images at once.
type presence map[digest.Digest]content.Info

// walkContent lists the whole content store of the namespace in one call.
func (s *Store) walkContent(ctx context.Context) (presence, error) {
	p := presence{}
	err := s.client.ContentStore().Walk(ctx, func(info content.Info) error {
		p[info.Digest] = info
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing content: %w", err)
	}
	return p, nil
}

// contentView is the content store as one description sees it: Info from a presence
// snapshot when there is one (else one Info call per blob), reads with one Read call
// per blob. It records every digest it is asked about.
type contentView struct {
	s       *Store
	present presence
	raw     contentapi.ContentClient // nil when the client has no gRPC connection

	mu      sync.Mutex
	touched map[digest.Digest]struct{}
	infos   map[digest.Digest]content.Info
}

func (s *Store) newContentView(p presence) *contentView {
	v := &contentView{s: s, present: p, touched: map[digest.Digest]struct{}{}, infos: map[digest.Digest]content.Info{}}
	if conn, ok := s.client.Conn().(grpc.ClientConnInterface); ok && conn != nil {
		v.raw = contentapi.NewContentClient(conn)
	}
	return v
}

func (v *contentView) touch(d digest.Digest) {
	v.mu.Lock()
	v.touched[d] = struct{}{}
	v.mu.Unlock()
}

// Info implements content.InfoProvider.
func (v *contentView) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	v.touch(d)
	if v.present != nil {
		info, ok := v.present[d]
		if !ok {
			return content.Info{}, fmt.Errorf("content %s: %w", d, errdefs.ErrNotFound)
		}
		return info, nil
	}
	v.mu.Lock()
	info, ok := v.infos[d]
	v.mu.Unlock()
	if ok {
		return info, nil
	}
	info, err := v.s.client.ContentStore().Info(ctx, d)
	if err != nil {
		return content.Info{}, err
	}
	v.mu.Lock()
	v.infos[d] = info
	v.mu.Unlock()
	return info, nil
}

// ReaderAt implements content.Provider, reading the whole blob with one call.
func (v *contentView) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	v.touch(desc.Digest)
	if desc.Size > maxBlobRead {
		return nil, fmt.Errorf("blob %s of %d bytes is too large to read: %w", desc.Digest, desc.Size, errdefs.ErrInvalidArgument)
	}
	if v.present != nil {
		if _, ok := v.present[desc.Digest]; !ok {
			return nil, fmt.Errorf("content %s: %w", desc.Digest, errdefs.ErrNotFound)
		}
	}
	if v.raw == nil {
		return v.s.client.ContentStore().ReaderAt(ctx, desc)
	}
	data, err := v.read(ctx, desc)
	if err != nil {
		return nil, err
	}
	return bytesReaderAt{bytes.NewReader(data)}, nil
}

// read reads a whole blob with one Read stream.
func (v *contentView) read(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := v.raw.Read(ctx, &contentapi.ReadContentRequest{Digest: desc.Digest.String()})
	if err != nil {
		return nil, errgrpc.ToNative(err)
	}
	buf := make([]byte, 0, max(desc.Size, 0))
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errgrpc.ToNative(err)
		}
		buf = append(buf, resp.Data...)
		if int64(len(buf)) > maxBlobRead {
			return nil, fmt.Errorf("blob %s is too large to read: %w", desc.Digest, errdefs.ErrInvalidArgument)
		}
	}
	return buf, nil
}

type bytesReaderAt struct{ *bytes.Reader }

func (bytesReaderAt) Close() error { return nil }

// describe computes the targetInfo of target. p, when not nil, is a presence snapshot
// taken since the cache generation gen began.
func (s *Store) describe(ctx context.Context, c *cache, target ocispec.Descriptor, p presence, gen uint64) (*targetInfo, error) {
	v := s.newContentView(p)
	info := &targetInfo{target: target, best: -1, listBest: -1}
	ms, err := model.ReadManifests(ctx, v, target, model.ReadOptions{Logger: s.log})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errdefs.IsNotFound(err) && !errdefs.IsInvalidArgument(err) {
			return nil, fmt.Errorf("describing %s: %w", target.Digest, err)
		}
		// The target is absent or unreadable: list the record with what is known.
		s.log.Warn("image target cannot be read", "digest", target.Digest.String(), "error", err)
		info.missing = true
		ms = nil
	}
	seenBlob := map[digest.Digest]bool{}
	seenChain := map[digest.Digest]bool{}
	addBlob := func(d digest.Digest) {
		if seenBlob[d] {
			return
		}
		seenBlob[d] = true
		if pi, err := v.Info(ctx, d); err == nil {
			info.footprint.Blobs = append(info.footprint.Blobs, model.Sized{Digest: d, Size: pi.Size})
		}
	}
	if !info.missing {
		addBlob(target.Digest)
	}
	for _, mi := range ms {
		m := manifestInfo{ManifestInfo: mi}
		if mi.Manifest != nil {
			addBlob(mi.Descriptor.Digest)
			addBlob(mi.Manifest.Config.Digest)
			for _, l := range mi.Manifest.Layers {
				addBlob(l.Digest)
			}
		}
		if mi.Kind == imagesvc.KindImage {
			m.Unpacked = 0
			if mi.Config != nil && len(mi.Config.RootFS.DiffIDs) > 0 {
				m.chainIDs = identity.ChainIDs(append([]digest.Digest(nil), mi.Config.RootFS.DiffIDs...))
				unpacked, err := s.unpackedSize(ctx, c, m.chainIDs, gen)
				if err != nil {
					return nil, err
				}
				m.Unpacked = unpacked
				if unpacked > 0 {
					for _, ch := range m.chainIDs {
						if !seenChain[ch] {
							seenChain[ch] = true
							if n, _ := c.usage(ch); n > 0 {
								info.footprint.Chains = append(info.footprint.Chains, model.Sized{Digest: ch, Size: n})
							}
						}
					}
				}
			}
			if mi.Available {
				m.sources = s.sources(ctx, v, mi.Descriptor.Digest, target.Digest)
			}
		}
		info.manifests = append(info.manifests, m)
		mv := model.ManifestOf(m.ManifestInfo)
		info.view = append(info.view, mv)
		info.size += mv.Total()
	}
	info.best = model.InspectBest(info.view, s.platform)
	info.listBest = model.ListBest(info.view, s.platform)
	for i := range info.manifests {
		m := &info.manifests[i]
		if m.Kind == imagesvc.KindImage && m.Config != nil {
			info.configLabels = append(info.configLabels, m.Config.Config.Labels)
		}
	}
	if info.listBest >= 0 {
		// The list's best manifest may be absent (its platform deleted, or not pulled):
		// Docker then lists no creation time and empty labels.
		info.labels = map[string]string{}
		if cfg := info.manifests[info.listBest].Config; cfg != nil {
			if cfg.Created != nil {
				info.created = *cfg.Created
			}
			maps.Copy(info.labels, cfg.Config.Labels)
		}
	}
	v.mu.Lock()
	for d := range v.touched {
		info.touched = append(info.touched, d)
	}
	v.mu.Unlock()
	for _, m := range info.manifests {
		info.chainIDs = append(info.chainIDs, m.chainIDs...)
	}
	return info, nil
}

// sources returns the repositories a manifest was pulled from, from containerd's
// distribution source labels on the manifest (else on the target), sorted.
func (s *Store) sources(ctx context.Context, v *contentView, blobs ...digest.Digest) []string {
	for _, d := range blobs {
		info, err := v.Info(ctx, d)
		if err != nil {
			continue
		}
		var out []string
		for k, val := range info.Labels {
			host, ok := strings.CutPrefix(k, labelDistributionSource)
			if !ok {
				continue
			}
			for _, repo := range strings.Split(val, ",") {
				if repo != "" {
					out = append(out, host+"/"+repo)
				}
			}
		}
		if len(out) > 0 {
			sort.Strings(out)
			return out
		}
	}
	return nil
}

// unpackedSize returns the snapshotter's disk usage of the layer chain whose chain IDs
// are chain: 0 when its top snapshot does not exist (not unpacked), else the sum of the
// usage of each snapshot of the chain, as Docker computes it.
func (s *Store) unpackedSize(ctx context.Context, c *cache, chain []digest.Digest, gen uint64) (int64, error) {
	top := chain[len(chain)-1]
	n, err := s.chainUsage(ctx, c, top, gen)
	if err != nil || n < 0 {
		return 0, err
	}
	total := n
	for _, ch := range chain[:len(chain)-1] {
		n, err := s.chainUsage(ctx, c, ch, gen)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			total += n
		}
	}
	return total, nil
}

// chainUsage returns the usage of the committed snapshot named chain (its own, not its
// parents'), or -1 when it does not exist, from the cache or with one call.
func (s *Store) chainUsage(ctx context.Context, c *cache, chain digest.Digest, gen uint64) (int64, error) {
	if n, ok := c.usage(chain); ok {
		return n, nil
	}
	u, err := s.client.SnapshotService(s.snapshotter).Usage(ctx, chain.String())
	n := u.Size
	switch {
	case err == nil:
	case errdefs.IsNotFound(err):
		n = -1
	default:
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("snapshot usage of %s: %w", chain, err)
	}
	c.setUsage(chain, n, gen)
	return n, nil
}
