package containerd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
)

// image is the records of the namespace that share one target: one image in Docker's
// model.
type image struct {
	target  digest.Digest
	records []images.Image // in the order containerd lists them (by name)

	names    []string // non-dangling record names, familiar form, in record order
	dangling bool     // no non-dangling record
	parent   digest.Digest
	created  time.Time // earliest record creation (the until filter)
	updated  time.Time // latest record update (LastTagTime)
	key      map[string]time.Time
	info     *targetInfo
}

// snapshot is the image records of the namespace at one moment, grouped by target.
type snapshot struct {
	images   []*image              // in order of first record
	byTarget map[digest.Digest]int // index in images; shared by clones
	byName   map[string]int        // index in images; shared by clones
	names    *nameCache
	// cached is set on the records of the Store's cache (events live): what else the
	// cache holds (views) may be used with them.
	cached bool
}

// listRecords lists every image record of the namespace (one call) and groups them.
func (s *Store) listRecords(ctx context.Context) (*snapshot, error) {
	recs, err := s.client.ImageService().List(ctx)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("listing images: %w", err))
	}
	recs = withoutPullRecords(recs)
	s.names.prune(len(recs))
	return group(recs, &s.names), nil
}

// isDangling reports whether a record name is Docker's name for an image without names.
func isDangling(name string) bool { return strings.HasPrefix(name, danglingPrefix) }

// danglingName returns Docker's record name for the image without names whose target is d.
func danglingName(d digest.Digest) string { return danglingPrefix + d.String() }

// parsedName is what the list needs to know about a record name, parsed once.
type parsedName struct {
	ok       bool   // the name parses as a reference
	familiar string // the familiar form ("alpine:3.20"), or the name itself
	repo     string // the canonical repository ("docker.io/library/alpine")
	famRepo  string // the familiar repository ("alpine")
	digested bool   // the name has a digest
	domain   string // the registry host ("docker.io", "localhost:5000")
	path     string // the repository path ("library/alpine")
}

// nameCache remembers parsed record names: reference parsing is regular-expression work,
// and names are immutable strings.
type nameCache struct {
	mu sync.RWMutex
	m  map[string]*parsedName
}

func (c *nameCache) get(name string) *parsedName {
	c.mu.RLock()
	p := c.m[name]
	c.mu.RUnlock()
	if p != nil {
		return p
	}
	p = &parsedName{familiar: name}
	if ref, err := reference.ParseNormalizedNamed(name); err == nil {
		_, digested := ref.(reference.Canonical)
		p = &parsedName{
			ok:       true,
			familiar: reference.FamiliarString(ref),
			repo:     ref.Name(),
			famRepo:  reference.FamiliarName(ref),
			digested: digested,
			domain:   reference.Domain(ref),
			path:     reference.Path(ref),
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*parsedName{}
	}
	c.m[name] = p
	c.mu.Unlock()
	return p
}

// prune forgets everything when the cache holds many more names than there are records.
func (c *nameCache) prune(records int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 4096 && len(c.m) > 4*records {
		c.m = nil
	}
}

// group groups records by target.
func group(recs []images.Image, names *nameCache) *snapshot {
	snap := &snapshot{byTarget: map[digest.Digest]int{}, byName: make(map[string]int, len(recs)), names: names}
	for _, r := range recs {
		d := r.Target.Digest
		i, ok := snap.byTarget[d]
		if !ok {
			i = len(snap.images)
			snap.byTarget[d] = i
			snap.images = append(snap.images, &image{target: d, dangling: true, key: map[string]time.Time{}})
		}
		img := snap.images[i]
		img.records = append(img.records, r)
		img.key[r.Name] = r.UpdatedAt
		snap.byName[r.Name] = i
		if img.created.IsZero() || r.CreatedAt.Before(img.created) {
			img.created = r.CreatedAt
		}
		if r.UpdatedAt.After(img.updated) {
			img.updated = r.UpdatedAt
		}
		if p := r.Labels[labelParent]; p != "" && img.parent == "" {
			if pd, err := digest.Parse(p); err == nil {
				img.parent = pd
			}
		}
		if isDangling(r.Name) {
			continue
		}
		img.dangling = false
		if f := names.get(r.Name).familiar; !slices.Contains(img.names, f) {
			img.names = append(img.names, f)
		}
	}
	return snap
}

// target returns the image whose target is d, or nil.
func (snap *snapshot) target(d digest.Digest) *image {
	if i, ok := snap.byTarget[d]; ok {
		return snap.images[i]
	}
	return nil
}

// named returns the image with a record named name, or nil.
func (snap *snapshot) named(name string) *image {
	if i, ok := snap.byName[name]; ok {
		return snap.images[i]
	}
	return nil
}

// clone returns a copy of snap whose images can be described without touching snap's:
// the images are copied without their descriptions; the indexes and the records, which
// nothing modifies, are shared.
func (snap *snapshot) clone() *snapshot {
	out := *snap
	vals := make([]image, len(snap.images))
	out.images = make([]*image, len(snap.images))
	for i, img := range snap.images {
		vals[i] = *img
		vals[i].info = nil
		out.images[i] = &vals[i]
	}
	return &out
}

// repoDigest returns "<familiar repository of name>@<d>", or "" when name has no
// repository (it does not parse).
func (snap *snapshot) repoDigest(name string, d digest.Digest) string {
	p := snap.names.get(name)
	if !p.ok {
		return ""
	}
	return p.famRepo + "@" + d.String()
}

// listRepoDigest returns the RepoDigests entry of a list: the repository of the last
// name (Docker keeps the last record seen) with the target digest.
func (snap *snapshot) listRepoDigest(names []string, d digest.Digest) string {
	for i := len(names) - 1; i >= 0; i-- {
		if rd := snap.repoDigest(names[i], d); rd != "" {
			return rd
		}
	}
	return ""
}

// inspectRepoDigests returns the RepoDigests of an inspect: for each name, the name itself
// when it is digested, else its repository with the target digest; deduplicated.
func (snap *snapshot) inspectRepoDigests(img *image) []string {
	out := []string{}
	for _, r := range img.records {
		if isDangling(r.Name) {
			continue
		}
		p := snap.names.get(r.Name)
		if !p.ok {
			continue
		}
		s := p.famRepo + "@" + img.target.String()
		if p.digested {
			s = p.familiar
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// resolve finds the image ref names in snap, in the order of [imagesvc.ImageRef].
func (snap *snapshot) resolve(ref imagesvc.ImageRef) (*image, error) {
	if d := ref.Digest(); d != "" {
		img := snap.target(d)
		if img == nil {
			return nil, ref.NotFound()
		}
		if named := ref.Named(); named != nil {
			repo := named.Name()
			for _, r := range img.records {
				if isDangling(r.Name) {
					continue
				}
				if p := snap.names.get(r.Name); p.ok && p.repo == repo {
					return img, nil
				}
			}
			return nil, ref.NotFound()
		}
		return img, nil
	}
	if tagged := ref.Tagged(); tagged != nil {
		if img := snap.named(tagged.String()); img != nil {
			return img, nil
		}
	}
	if short := ref.ShortID(); short != "" {
		var found *image
		for _, img := range snap.images {
			if strings.HasPrefix(string(img.target), "sha256:"+short) {
				if found != nil && found != img {
					return nil, imagesvc.ErrAmbiguous()
				}
				found = img
			}
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, ref.NotFound()
}

// identity returns the identity of a manifest pulled from the repositories sources
// ("host[:port]/path"), or nil. containerd's own tools record the source host without its
// port; such a source is completed from the image's names when one of them is the same
// repository on a port of that host.
func (snap *snapshot) identity(img *image, sources []string) *imagesvc.Identity {
	if len(sources) == 0 {
		return nil
	}
	id := &imagesvc.Identity{}
	for _, src := range sources {
		repo := src
		if host, path, ok := strings.Cut(src, "/"); ok && !strings.Contains(host, ":") {
			for _, r := range img.records {
				p := snap.names.get(r.Name)
				if h, _, ok := strings.Cut(p.domain, ":"); ok && h == host && p.path == path {
					repo = p.domain + "/" + path
					break
				}
			}
		}
		if !slices.ContainsFunc(id.Pull, func(p imagesvc.PullIdentity) bool { return p.Repository == repo }) {
			id.Pull = append(id.Pull, imagesvc.PullIdentity{Repository: repo})
		}
	}
	return id
}
