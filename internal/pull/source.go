package pull

import (
	"context"
	"net"
	"slices"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// LabelDistributionSource prefixes containerd's distribution source labels:
// "containerd.io/distribution.source.<host>" = "<repository path>[,<path>...]", sorted,
// where host is the registry's host name without its port, as containerd's pull writes
// them. containerd's pusher reads them (as descriptor annotations) to mount a blob from
// another repository of the same registry instead of uploading it.
const LabelDistributionSource = labels.LabelDistributionSource + "."

// InfoUpdater is the part of a content store that reads and updates labels.
type InfoUpdater interface {
	content.InfoProvider
	Update(ctx context.Context, info content.Info, fieldpaths ...string) (content.Info, error)
}

// SourceLabelKey returns the distribution source label key of named's registry.
func SourceLabelKey(named reference.Named) string {
	host := reference.Domain(named)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return LabelDistributionSource + host
}

// AddSource records on each blob ds names that it is in named's repository: it adds the
// repository's path to the blob's distribution source label (see
// [LabelDistributionSource]), as containerd's AppendDistributionSourceLabel does. Blobs
// that are absent are skipped; a label that would exceed containerd's size limit is not
// written. It returns the first error of the store (the other blobs are still labelled).
func AddSource(ctx context.Context, store InfoUpdater, named reference.Named, ds ...digest.Digest) error {
	key := SourceLabelKey(named)
	repo := reference.Path(named)
	var first error
	seen := map[digest.Digest]bool{}
	for _, d := range ds {
		if seen[d] {
			continue
		}
		seen[d] = true
		info, err := store.Info(ctx, d)
		if err != nil {
			continue // absent: nothing to label
		}
		var repos []string
		if v := info.Labels[key]; v != "" {
			repos = strings.Split(v, ",")
		}
		if slices.Contains(repos, repo) {
			continue
		}
		repos = append(repos, repo)
		slices.Sort(repos)
		repos = slices.Compact(repos)
		value := strings.Join(slices.DeleteFunc(repos, func(s string) bool { return s == "" }), ",")
		if labels.Validate(key, value) != nil {
			continue
		}
		upd := content.Info{Digest: d, Labels: map[string]string{key: value}}
		if _, err := store.Update(ctx, upd, "labels."+key); err != nil && first == nil {
			first = err
		}
	}
	return first
}
