package containerd

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	images   []*image // in order of first record
	byTarget map[digest.Digest]*image
	byName   map[string]*image
}

// listRecords lists every image record of the namespace (one call) and groups them.
func (s *Store) listRecords(ctx context.Context) (*snapshot, error) {
	recs, err := s.client.ImageService().List(ctx)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("listing images: %w", err))
	}
	return group(recs), nil
}

// isDangling reports whether a record name is Docker's name for an image without names.
func isDangling(name string) bool { return strings.HasPrefix(name, danglingPrefix) }

// danglingName returns Docker's record name for the image without names whose target is d.
func danglingName(d digest.Digest) string { return danglingPrefix + d.String() }

// familiar returns the familiar form of a record name, or the name itself when it does
// not parse as a reference.
func familiar(name string) string {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return reference.FamiliarString(ref)
}

// group groups records by target.
func group(recs []images.Image) *snapshot {
	snap := &snapshot{byTarget: map[digest.Digest]*image{}, byName: make(map[string]*image, len(recs))}
	for _, r := range recs {
		d := r.Target.Digest
		img := snap.byTarget[d]
		if img == nil {
			img = &image{target: d, dangling: true, key: map[string]time.Time{}}
			snap.byTarget[d] = img
			snap.images = append(snap.images, img)
		}
		img.records = append(img.records, r)
		img.key[r.Name] = r.UpdatedAt
		snap.byName[r.Name] = img
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
		if f := familiar(r.Name); !slices.Contains(img.names, f) {
			img.names = append(img.names, f)
		}
	}
	return snap
}

// repoDigest returns "<familiar repository of name>@<d>", or "" when name has no
// repository (it does not parse).
func repoDigest(name string, d digest.Digest) string {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return ""
	}
	c, err := reference.WithDigest(reference.TrimNamed(ref), d)
	if err != nil {
		return ""
	}
	return reference.FamiliarString(c)
}

// listRepoDigest returns the RepoDigests entry of a list: the repository of the last
// name (Docker keeps the last record seen) with the target digest.
func listRepoDigest(names []string, d digest.Digest) string {
	for i := len(names) - 1; i >= 0; i-- {
		if rd := repoDigest(names[i], d); rd != "" {
			return rd
		}
	}
	return ""
}

// inspectRepoDigests returns the RepoDigests of an inspect: for each name, the name itself
// when it is digested, else its repository with the target digest; deduplicated.
func inspectRepoDigests(img *image) []string {
	out := []string{}
	for _, r := range img.records {
		if isDangling(r.Name) {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(r.Name)
		if err != nil {
			continue
		}
		var s string
		if c, ok := ref.(reference.Canonical); ok {
			s = reference.FamiliarString(c)
		} else {
			s = repoDigest(r.Name, img.target)
		}
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// resolve finds the image ref names in snap, in the order of [imagesvc.ImageRef].
func (snap *snapshot) resolve(ref imagesvc.ImageRef) (*image, error) {
	if d := ref.Digest(); d != "" {
		img := snap.byTarget[d]
		if img == nil {
			return nil, ref.NotFound()
		}
		if named := ref.Named(); named != nil {
			repo := reference.TrimNamed(named).String()
			for _, r := range img.records {
				if isDangling(r.Name) {
					continue
				}
				if rr, err := reference.ParseNormalizedNamed(r.Name); err == nil && reference.TrimNamed(rr).String() == repo {
					return img, nil
				}
			}
			return nil, ref.NotFound()
		}
		return img, nil
	}
	if tagged := ref.Tagged(); tagged != nil {
		if img := snap.byName[tagged.String()]; img != nil {
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
func (img *image) identity(sources []string) *imagesvc.Identity {
	if len(sources) == 0 {
		return nil
	}
	id := &imagesvc.Identity{}
	for _, src := range sources {
		repo := src
		if host, path, ok := strings.Cut(src, "/"); ok && !strings.Contains(host, ":") {
			for _, r := range img.records {
				ref, err := reference.ParseNormalizedNamed(r.Name)
				if err != nil {
					continue
				}
				domain := reference.Domain(ref)
				if h, _, ok := strings.Cut(domain, ":"); ok && h == host && reference.Path(ref) == path {
					repo = domain + "/" + path
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
