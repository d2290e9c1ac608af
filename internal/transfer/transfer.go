package transfer

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// anyWithPreference matches any of a list of platforms strictly (every platform when the
// list is empty) and orders platforms by the preference of a host matcher (moby's
// matchAnyWithPreference).
type anyWithPreference struct {
	list      []ocispec.Platform
	any       platforms.Matcher
	preferred platforms.MatchComparer
}

// MatchAny returns the platform matcher of save and load: it matches any of list, or
// every platform when list is empty, and prefers host (platforms.Only) when ordering.
func MatchAny(host ocispec.Platform, list []ocispec.Platform) platforms.MatchComparer {
	m := anyWithPreference{list: list, preferred: platforms.Only(host)}
	if len(list) > 0 {
		m.any = platforms.Any(list...)
	}
	return m
}

func (m anyWithPreference) Match(p ocispec.Platform) bool {
	if m.any == nil {
		return true
	}
	return m.any.Match(p)
}

func (m anyWithPreference) Less(a, b ocispec.Platform) bool { return m.preferred.Less(a, b) }

// formatAll renders platforms as Docker's messages print them: Go's %v of
// platforms.FormatAll strings ("[linux/arm64]").
func formatAll(ps []ocispec.Platform) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = platforms.FormatAll(p)
	}
	return fmt.Sprint(names)
}

// PlatformManifest returns the descriptor of the manifest of the image target that
// provides platform p (strict match), as Docker's getPushDescriptor chooses it with an
// explicit platform: among the image manifests whose content is all present, attestations
// left out. name is the image's name in messages (its familiar name, or its ID).
//
// Errors: NotFound ([imagesvc.PlatformNotFound]) when no present manifest matches;
// Conflict ("multiple manifests found for platform linux/amd64") when several do; the
// store's errors.
func PlatformManifest(ctx context.Context, cs model.ContentStore, target ocispec.Descriptor, name string, p ocispec.Platform) (ocispec.Descriptor, error) {
	ms, err := model.ReadManifests(ctx, cs, target, model.ReadOptions{})
	if err != nil {
		if errdefs.IsNotFound(err) {
			return ocispec.Descriptor{}, imagesvc.PlatformNotFound(name, p)
		}
		return ocispec.Descriptor{}, fmt.Errorf("reading the manifests of %s: %w", name, err)
	}
	strict := platforms.OnlyStrict(p)
	var found []ocispec.Descriptor
	for _, m := range ms {
		if !m.Available || m.Kind == imagesvc.KindAttestation || !strict.Match(m.Platform) {
			continue
		}
		found = append(found, m.Descriptor)
	}
	switch len(found) {
	case 0:
		return ocispec.Descriptor{}, imagesvc.PlatformNotFound(name, p)
	case 1:
		return found[0], nil
	}
	return ocispec.Descriptor{}, errdefs.ErrConflict.WithMessage("multiple manifests found for platform " + platforms.FormatAll(p))
}
