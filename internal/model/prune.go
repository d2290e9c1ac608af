package model

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// PruneGate lets one prune of a store run at a time. The zero value is open.
type PruneGate struct{ running atomic.Bool }

// Enter takes the gate, or fails with Docker's Conflict "a prune operation is already
// running". It is checked before the filters, as Docker does. Call Exit when done.
func (g *PruneGate) Enter() error {
	if !g.running.CompareAndSwap(false, true) {
		return errdefs.ErrConflict.WithMessage("a prune operation is already running")
	}
	return nil
}

// Exit releases the gate.
func (g *PruneGate) Exit() { g.running.Store(false) }

// PruneFilter is a compiled prune filter.
type PruneFilter struct {
	danglingOnly bool
	m            *filters.Matcher
	labels       bool
}

// CompilePruneFilter validates and compiles the filters of a prune (spec §4.1): the
// dangling default is true, and false means "every unused image", not "only images with
// names"; until compares the record's creation time; label and label! need a config.
func CompilePruneFilter(ctx context.Context, opts imagesvc.PruneOptions, now func() time.Time) (*PruneFilter, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	danglingOnly, err := opts.Dangling()
	if err != nil {
		return nil, err
	}
	args := opts.Filters.Without("dangling")
	m, err := filters.Compile(ctx, args, filters.CompileOptions{Now: now})
	if err != nil {
		return nil, err
	}
	return &PruneFilter{danglingOnly: danglingOnly, m: m, labels: len(m.Labels()) > 0}, nil
}

// DanglingOnly reports whether only dangling records are candidates.
func (f *PruneFilter) DanglingOnly() bool { return f.danglingOnly }

// NeedsLabels reports whether Match looks at labels: callers that must read them to
// fill the configs can skip that otherwise.
func (f *PruneFilter) NeedsLabels() bool { return f.labels }

// Match reports whether the record r, whose target has the config labels configs (one
// map per non-attestation config; none when no config is present), is a candidate.
func (f *PruneFilter) Match(r Record, configs []map[string]string) bool {
	if f.danglingOnly && !r.Dangling() {
		return false
	}
	if f.labels && len(configs) == 0 {
		return false
	}
	return f.m.Match(&filters.Image{ID: r.Target, RecordCreated: r.Created, Labels: configs})
}

// PruneCandidates returns the records a prune removes, in name order (Docker's
// pruneUnused): among the candidates (records that matched the filter), it keeps the
// ones containers use. all is every record of the store in name order; ctrs the host's
// containers.
//
//   - The dangling record of a container's image is always kept.
//   - A container created by a full or short ID or by repo@digest marks its image used:
//     the image keeps one record, the lexically last of the candidates, unless a record
//     that is not a candidate remains.
//   - A container created by name keeps that record (and repo:tag for repo:tag@digest).
func PruneCandidates(all []Record, candidates []Record, ctrs []imagesvc.Container) []Record {
	refCount := map[digest.Digest]int{}
	for _, r := range all {
		refCount[r.Target]++
	}
	keep := map[string]bool{}
	used := map[digest.Digest]bool{}
	for _, c := range ctrs {
		keep[DanglingName(c.ImageID)] = true
		id := "sha256:" + strings.TrimPrefix(c.Image, "sha256:")
		// As in Docker, an empty reference is a prefix of every ID: the image counts as used.
		if strings.HasPrefix(c.ImageID.String(), id) || strings.HasSuffix(c.Image, "@"+c.ImageID.String()) {
			used[c.ImageID] = true
		}
		if ref, err := reference.ParseNormalizedNamed(c.Image); err == nil {
			name := reference.TagNameOnly(ref)
			keep[name.String()] = true
			if _, digested := name.(reference.Digested); digested {
				if tagged, ok := name.(reference.NamedTagged); ok {
					if t, err := reference.WithTag(reference.TrimNamed(tagged), tagged.Tag()); err == nil {
						keep[t.String()] = true
					}
				}
			}
		}
	}
	sorted := slices.Clone(candidates)
	slices.SortFunc(sorted, func(a, b Record) int { return strings.Compare(a.Name, b.Name) })
	out := sorted[:0]
	for _, r := range sorted {
		if keep[r.Name] {
			continue
		}
		if refCount[r.Target] > 1 {
			refCount[r.Target]--
			out = append(out, r)
			continue
		}
		if used[r.Target] {
			continue
		}
		out = append(out, r)
	}
	return out
}
