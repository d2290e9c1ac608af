// Package rootfs holds what every backend's [imagesvc.RootFSPreparer] shares: resolving an
// image to a [imagesvc.RuntimeImage] with inspect's platform choice, unpacking its layers
// into a snapshotter with containerd's appliers (pkg/rootfs, core/diff/apply), and
// preparing views on them. Backends supply their content store and snapshotter.
package rootfs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	ctrdrootfs "github.com/containerd/containerd/v2/pkg/rootfs"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// Resolve describes the manifest of the image whose target is target that a runtime
// starts a container from: the one platform requests (nil: the best present image
// manifest for host, as inspect picks it), with its parsed config and its layers.
//
// Errors: NotFound when the image has no such platform or its content is not all
// present; InvalidArgument when the manifest cannot be run (no layers' diff IDs, a count
// of diff IDs that differs from the layers).
func Resolve(ctx context.Context, store model.ContentStore, target ocispec.Descriptor, name string, platform *ocispec.Platform, host ocispec.Platform) (imagesvc.RuntimeImage, error) {
	infos, err := model.ReadManifests(ctx, store, target, model.ReadOptions{})
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	views := make([]model.Manifest, len(infos))
	for i, mi := range infos {
		views[i] = model.ManifestOf(mi)
	}
	var idx int
	if platform != nil {
		if idx = model.SelectPlatform(views, *platform); idx < 0 {
			return imagesvc.RuntimeImage{}, imagesvc.PlatformNotFound(name, *platform)
		}
	} else if idx = model.InspectBest(views, host); idx < 0 {
		return imagesvc.RuntimeImage{}, fmt.Errorf("image %s has no image manifest whose content is present: %w", name, errdefs.ErrNotFound)
	}
	mi := infos[idx]
	if mi.Manifest == nil || !mi.Available {
		return imagesvc.RuntimeImage{}, fmt.Errorf("content of image %s for platform %s is not all present: %w", name, platforms.Format(mi.Platform), errdefs.ErrNotFound)
	}
	m := mi.Manifest
	data, err := model.ReadMetadata(ctx, store, m.Config)
	if err != nil {
		return imagesvc.RuntimeImage{}, fmt.Errorf("read config of image %s: %w", name, err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(data, &cfg); err != nil {
		return imagesvc.RuntimeImage{}, fmt.Errorf("config %s of image %s: %v: %w", m.Config.Digest, name, err, errdefs.ErrInvalidArgument)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return imagesvc.RuntimeImage{}, fmt.Errorf("image %s: manifest %s has %d layers but its config %d diff IDs: %w",
			name, mi.Descriptor.Digest, len(m.Layers), len(cfg.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return imagesvc.RuntimeImage{}, fmt.Errorf("image %s: diff ID %q: %v: %w", name, d, err, errdefs.ErrInvalidArgument)
		}
	}
	manifest := model.CloneDescriptor(mi.Descriptor)
	if manifest.Platform == nil && mi.Platform.OS != "" {
		p := model.ClonePlatform(mi.Platform)
		manifest.Platform = &p
	}
	diffIDs := append([]digest.Digest(nil), cfg.RootFS.DiffIDs...)
	return imagesvc.RuntimeImage{
		Target:           model.CloneDescriptor(target),
		Manifest:         manifest,
		ConfigDescriptor: model.CloneDescriptor(m.Config),
		Config:           cfg,
		Layers:           append([]ocispec.Descriptor(nil), m.Layers...),
		DiffIDs:          diffIDs,
		ChainIDs:         identity.ChainIDs(append([]digest.Digest(nil), diffIDs...)),
	}, nil
}

// ChainID returns the chain ID of all of img's layers: the snapshot a view is prepared on
// ("" for an image without layers).
func ChainID(img imagesvc.RuntimeImage) digest.Digest {
	if len(img.ChainIDs) == 0 {
		return ""
	}
	return img.ChainIDs[len(img.ChainIDs)-1]
}

// Unpack applies img's layers that are not unpacked yet into sn, each chain once, with
// containerd's pkg/rootfs: a layer is extracted into an "extract-…" active snapshot and
// committed under its chain ID only when the applier has checked its diff ID, so a
// failure or a crash never leaves a half-applied chain that a view could use. opts are
// given to every snapshot it creates (labels). It returns the top chain ID.
func Unpack(ctx context.Context, img imagesvc.RuntimeImage, sn snapshots.Snapshotter, a diff.Applier, opts ...snapshots.Opt) (digest.Digest, error) {
	if len(img.Layers) != len(img.DiffIDs) {
		return "", fmt.Errorf("%d layers but %d diff IDs: %w", len(img.Layers), len(img.DiffIDs), errdefs.ErrInvalidArgument)
	}
	var chain []digest.Digest
	for i, l := range img.Layers {
		layer := ctrdrootfs.Layer{
			Blob: l,
			Diff: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: img.DiffIDs[i]},
		}
		if _, err := ctrdrootfs.ApplyLayerWithOpts(ctx, layer, chain, sn, a, opts, nil); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return "", ctxErr
			}
			return "", fmt.Errorf("unpack layer %d (%s): %w", i, l.Digest, err)
		}
		chain = append(chain, img.DiffIDs[i])
	}
	return identity.ChainID(chain), nil
}

// IsExtractKey reports whether key is an extraction snapshot of [Unpack] (left behind by a
// crash when it is still there at start-up).
func IsExtractKey(key string) bool {
	return strings.HasPrefix(key, snapshots.UnpackKeyPrefix+"-")
}

// ValidKey checks a view key as [imagesvc.PrepareRequest] documents it, with class
// InvalidArgument.
func ValidKey(key string) error {
	switch {
	case key == "":
		return errdefs.ErrInvalidArgument.WithMessage("view key is empty")
	case len(key) > 256:
		return errdefs.ErrInvalidArgument.WithMessage("view key is longer than 256 bytes")
	case strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/"):
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("view key %q starts or ends with /", key))
	case strings.ContainsRune(key, 0):
		return errdefs.ErrInvalidArgument.WithMessage("view key contains NUL")
	case IsExtractKey(key):
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("view key %q is reserved for unpacking", key))
	}
	if _, err := digest.Parse(key); err == nil {
		// Layers are snapshots named by their chain ID: a view named like one would take
		// a layer's place.
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("view key %q is a digest, reserved for layers", key))
	}
	return nil
}

// Mounts converts containerd's mounts to the contract's.
func Mounts(ms []mount.Mount) []imagesvc.Mount {
	out := make([]imagesvc.Mount, len(ms))
	for i, m := range ms {
		out[i] = imagesvc.Mount(m)
		out[i].Options = append([]string(nil), m.Options...)
	}
	return out
}

// ToContainerd converts the contract's mounts to containerd's, to mount them.
func ToContainerd(ms []imagesvc.Mount) []mount.Mount {
	out := make([]mount.Mount, len(ms))
	for i, m := range ms {
		out[i] = mount.Mount(m)
	}
	return out
}
