package imagesvc

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RootFSPreparer gives runtimes the root filesystems of a service's images: what a runtime
// needs to start a container from an image, unpacked by containerd's snapshotters and
// appliers (issue 14). It is an optional capability, like [Remover].
//
// Layers are unpacked once per chain ID and shared between images. A view is one
// container's root filesystem: a writable (or read-only) snapshot on top of the image's
// layers, named by a key the runtime chooses, which the runtime mounts and later removes.
// A view keeps what it uses: its layers outlive the image, and removing an image a view
// uses is a Conflict unless forced, as for an image a stopped container uses (the view's
// key stands for the container in Docker's texts). Forced, Docker's rules for a stopped
// container apply: by name the last name is removed and the image stays, dangling; by ID
// the image is deleted, and the view keeps only the layers it is prepared on. Lists,
// inspect's manifests and disk usage count a view as a container of its platform manifest
// (once, when the [UsageProvider] reports a container with the view's key), and a
// [ListVersioner]'s version changes when a view is prepared or removed.
type RootFSPreparer interface {
	// ResolveRuntimeImage resolves ref and a platform (nil: the best for the host, as
	// inspect chooses) to the [RuntimeImage] a runtime starts a container from.
	//
	// Errors: NotFound when no image matches, when the image lacks the platform, or when
	// the platform's manifest, config or layers are not all present; InvalidArgument when
	// the manifest cannot be run (an attestation, a config without a rootfs, diff IDs that
	// do not match the layers).
	ResolveRuntimeImage(ctx context.Context, ref ImageRef, platform *ocispec.Platform) (RuntimeImage, error)

	// PrepareRootFS unpacks the layers of req.Image that are not unpacked yet and creates
	// the view req.Key on top of them, returning how to mount it. It is safe to call
	// concurrently, also for images sharing layers: each chain is unpacked once. A failed
	// or cancelled prepare leaves no view and no half-applied layer behind.
	//
	// Errors: InvalidArgument for an empty or invalid key; AlreadyExists when a view
	// has the key; NotFound when req.Image no longer exists (it is looked up again by its
	// target and manifest digests, never trusted as given).
	PrepareRootFS(ctx context.Context, req PrepareRequest) ([]Mount, error)

	// RootFSMounts returns how to mount the view key again (after a runtime restart, say).
	// Errors: NotFound.
	RootFSMounts(ctx context.Context, key string) ([]Mount, error)

	// RootFSViews lists the views of this service, oldest first. A backend that shares its
	// snapshotter with other programs lists only its own.
	RootFSViews(ctx context.Context) ([]RootFSView, error)

	// RemoveRootFS removes the view key and its writable layer, and releases what it
	// kept: layers no image or other view uses are freed before it returns. The caller
	// unmounts the view first. Errors: NotFound.
	RemoveRootFS(ctx context.Context, key string) error
}

// RuntimeImage is what a runtime needs to start a container from one platform of an
// image.
type RuntimeImage struct {
	// Target is the image's target descriptor (index or manifest); its digest is the
	// image ID.
	Target ocispec.Descriptor
	// Manifest is the descriptor of the platform's image manifest (Target itself for a
	// single-manifest image), with the platform it was chosen for.
	Manifest ocispec.Descriptor
	// ConfigDescriptor is the descriptor of the image config blob.
	ConfigDescriptor ocispec.Descriptor
	// Config is the parsed image config: the process, environment, user and working
	// directory a runtime starts with.
	Config ocispec.Image
	// Layers are the layer descriptors of the manifest, bottom first.
	Layers []ocispec.Descriptor
	// DiffIDs are the digests of the uncompressed layers (Config.RootFS.DiffIDs).
	DiffIDs []digest.Digest
	// ChainIDs are the layers' chain IDs: ChainIDs[i] names the filesystem of layers
	// 0..i (image-spec identity.ChainID), the snapshot that holds it.
	ChainIDs []digest.Digest
}

// PrepareRequest asks [RootFSPreparer.PrepareRootFS] for a view.
type PrepareRequest struct {
	// Key names the view; the runtime chooses it (a container ID) and removes the view
	// with it. It must be a valid snapshot key: not empty, at most 256 bytes, no "/"
	// at its start or end and no NUL.
	Key string
	// Image is the image to prepare, as [RootFSPreparer.ResolveRuntimeImage] returned it.
	Image RuntimeImage
	// ReadOnly prepares a read-only view (containerd's View) instead of a writable one.
	ReadOnly bool
}

// RootFSView describes one view of [RootFSPreparer.RootFSViews].
type RootFSView struct {
	// Key is the view's key.
	Key string
	// Image is the target digest of the image it was prepared from.
	Image digest.Digest
	// Manifest is the digest of the platform manifest it was prepared from.
	Manifest digest.Digest
	// ChainID is the chain ID of the layers under it.
	ChainID digest.Digest
	// ReadOnly reports a read-only view.
	ReadOnly bool
	// Created is when it was prepared.
	Created time.Time
}

// Mount is one mount of a prepared root filesystem. Its fields are those of containerd's
// core/mount.Mount, in the same order, so that a runtime converts it with
// mount.Mount(m) and mounts it with containerd's mount package or hands it to runc:
//
//	for _, m := range mounts {
//		ms = append(ms, mount.Mount(m))
//	}
//	err := mount.All(ms, target)
type Mount struct {
	// Type is the filesystem type: "overlay" for layers on overlayfs, "bind" for a
	// plain directory (native snapshotter).
	Type string
	// Source is the device or directory to mount.
	Source string
	// Target is an optional subdirectory of the mount point to mount on.
	Target string
	// Options are fstab-style mount options (lowerdir=, upperdir=, workdir=, rbind, ro).
	Options []string
}
