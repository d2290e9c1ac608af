package containerd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	client "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/rootfs"
)

var _ imagesvc.RootFSPreparer = (*Store)(nil)

// The names by which the Store's views are told apart from the snapshots and leases of
// other containerd clients sharing the namespace.
const (
	// viewKeyPrefix starts the snapshot key of every view: the view "c1" is the snapshot
	// "imageapi/view/c1". Other clients name their containers' snapshots after the
	// container (Docker, nerdctl, ctr) or "extract-…" (unpacks): never with this prefix.
	viewKeyPrefix = "imageapi/view/"
	// viewLeasePrefix starts the ID of the lease that holds a view (the rest is derived
	// from the view key, see viewLeaseID).
	viewLeasePrefix = "imageapi-view-"

	// labelView is set on a view's snapshot and lease: the view key.
	labelView = "io.imageapi.view"
	// labelViewImage is set on a view's snapshot: the target digest of its image.
	labelViewImage = "io.imageapi.view.image"
	// labelViewManifest is set on a view's snapshot: the platform manifest's digest.
	labelViewManifest = "io.imageapi.view.manifest"
	// labelPrepare is set on the temporary lease of a prepare's unpack: the view key.
	labelPrepare = "io.imageapi.prepare"

	// unpackLeaseExpiry is how long the temporary lease of a prepare's unpack lives when
	// the process dies before releasing it (containerd's garbage collector then removes
	// what it held: a half-applied layer).
	unpackLeaseExpiry = 24 * time.Hour
)

// viewSnapshotKey is the snapshot key of the view key.
func viewSnapshotKey(key string) string { return viewKeyPrefix + key }

// viewLeaseID is the ID of the lease that holds the view key: lease IDs are containerd
// identifiers (76 characters at most, a restricted alphabet) and view keys are not.
func viewLeaseID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return viewLeasePrefix + hex.EncodeToString(sum[:20])
}

// ResolveRuntimeImage resolves ref among the namespace's records as Inspect does and
// describes the platform manifest a runtime starts a container from (see
// [imagesvc.RootFSPreparer]), from containerd's content store.
func (s *Store) ResolveRuntimeImage(ctx context.Context, ref imagesvc.ImageRef, platform *ocispec.Platform) (imagesvc.RuntimeImage, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	defer done()
	snap, _, err := s.records(ctx)
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	img, err := snap.resolve(ref)
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	ri, err := rootfs.Resolve(ctx, s.newContentView(nil), img.records[0].Target, ref.String(), platform, s.platform)
	return ri, ctxErr(ctx, err)
}

// PrepareRootFS implements [imagesvc.RootFSPreparer] on the daemon's snapshotter. The
// image is looked up again by its target digest among the records, and its manifest
// resolved again from the content store. When its layers are not unpacked, containerd's
// client unpacks them as a pull does (the daemon applies them, and the config gets the
// garbage collector's reference to the snapshot), under a temporary lease. The view is
// the snapshot "imageapi/view/<key>", labelled with the key, the image and the
// manifest, created in a lease of its own ("imageapi-view-…", labelled with the key)
// that keeps it, and through it its layers, from containerd's garbage collector until
// [Store.RemoveRootFS].
func (s *Store) PrepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) ([]imagesvc.Mount, error) {
	if err := rootfs.ValidKey(req.Key); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	ri, err := s.reresolve(ctx, req.Image)
	if err != nil {
		return nil, err
	}
	parent := rootfs.ChainID(ri)
	sn := s.client.SnapshotService(s.snapshotter)
	lm := s.client.LeasesService()

	// The layers: unpacked unless the top chain is already there, under a temporary
	// lease that holds what the unpack creates until the view refers to it (and that
	// expires if this process dies first, so that containerd's garbage collector removes
	// a half-applied layer).
	if parent != "" {
		if _, err := sn.Stat(ctx, parent.String()); errdefs.IsNotFound(err) {
			tmp, err := lm.Create(ctx, leases.WithRandomID(), leases.WithExpiration(unpackLeaseExpiry),
				leases.WithLabel(labelPrepare, req.Key))
			if err != nil {
				return nil, ctxErr(ctx, fmt.Errorf("creating a lease: %w", err))
			}
			defer func() {
				if err := lm.Delete(context.WithoutCancel(ctx), tmp); err != nil && !errdefs.IsNotFound(err) {
					s.log.Warn("releasing the lease of a prepare", "lease", tmp.ID, "error", err)
				}
			}()
			img := client.NewImageWithPlatform(s.client, images.Image{Name: ri.Target.Digest.String(), Target: ri.Manifest}, platforms.All)
			if err := img.Unpack(leases.WithLease(ctx, tmp.ID), s.snapshotter); err != nil {
				return nil, ctxErr(ctx, fmt.Errorf("unpacking %s into %s: %w", ri.Manifest.Digest, s.snapshotter, err))
			}
		} else if err != nil {
			return nil, ctxErr(ctx, fmt.Errorf("snapshot %s: %w", parent, err))
		}
	}

	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lease, err := s.createViewLease(ctx, req.Key)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{
		labelView:         req.Key,
		labelViewImage:    ri.Target.Digest.String(),
		labelViewManifest: ri.Manifest.Digest.String(),
	}
	vctx := leases.WithLease(ctx, lease.ID)
	var ms []mount.Mount
	if req.ReadOnly {
		ms, err = sn.View(vctx, viewSnapshotKey(req.Key), parent.String(), snapshots.WithLabels(labels))
	} else {
		ms, err = sn.Prepare(vctx, viewSnapshotKey(req.Key), parent.String(), snapshots.WithLabels(labels))
	}
	if err != nil {
		// Nothing of the view may stay: its lease goes, and with it a snapshot the
		// daemon may have created before the call failed (a cancelled call).
		cctx := context.WithoutCancel(ctx)
		if errdefs.IsAlreadyExists(err) {
			err = fmt.Errorf("view %q: %w", req.Key, errdefs.ErrAlreadyExists)
		} else {
			_ = sn.Remove(cctx, viewSnapshotKey(req.Key))
			err = ctxErr(ctx, fmt.Errorf("preparing view %q on %s: %w", req.Key, parent, err))
		}
		if derr := lm.Delete(cctx, lease, leases.SynchronousDelete); derr != nil && !errdefs.IsNotFound(derr) {
			s.log.Warn("deleting the lease of a failed prepare", "lease", lease.ID, "error", derr)
		}
		return nil, err
	}
	return rootfs.Mounts(ms), nil
}

// createViewLease creates the lease of the view key. A lease left by a prepare that died
// before creating its snapshot (the process was killed) holds nothing and is replaced;
// when the view exists, the error is AlreadyExists. s.viewMu is held.
func (s *Store) createViewLease(ctx context.Context, key string) (leases.Lease, error) {
	lm := s.client.LeasesService()
	id := viewLeaseID(key)
	for attempt := 0; ; attempt++ {
		l, err := lm.Create(ctx, leases.WithID(id), leases.WithLabel(labelView, key))
		if err == nil {
			return l, nil
		}
		if !errdefs.IsAlreadyExists(err) || attempt > 0 {
			return leases.Lease{}, ctxErr(ctx, fmt.Errorf("creating the lease of view %q: %w", key, err))
		}
		if _, serr := s.client.SnapshotService(s.snapshotter).Stat(ctx, viewSnapshotKey(key)); serr == nil {
			return leases.Lease{}, fmt.Errorf("view %q: %w", key, errdefs.ErrAlreadyExists)
		} else if !errdefs.IsNotFound(serr) {
			return leases.Lease{}, ctxErr(ctx, fmt.Errorf("view %q: %w", key, serr))
		}
		if err := lm.Delete(ctx, leases.Lease{ID: id}); err != nil && !errdefs.IsNotFound(err) {
			return leases.Lease{}, ctxErr(ctx, fmt.Errorf("deleting the stale lease of view %q: %w", key, err))
		}
	}
}

// reresolve looks the image of ri up again by its target digest among the records, and
// its manifest by digest: NotFound when either is gone.
func (s *Store) reresolve(ctx context.Context, ri imagesvc.RuntimeImage) (imagesvc.RuntimeImage, error) {
	if err := ri.Target.Digest.Validate(); err != nil {
		return imagesvc.RuntimeImage{}, fmt.Errorf("image target %q: %v: %w", ri.Target.Digest, err, errdefs.ErrInvalidArgument)
	}
	snap, _, err := s.records(ctx)
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	img := snap.target(ri.Target.Digest)
	if img == nil {
		return imagesvc.RuntimeImage{}, fmt.Errorf("image %s: %w", ri.Target.Digest, errdefs.ErrNotFound)
	}
	got, err := rootfs.Resolve(ctx, s.newContentView(nil), img.records[0].Target, ri.Target.Digest.String(), ri.Manifest.Platform, s.platform)
	if err != nil {
		return imagesvc.RuntimeImage{}, ctxErr(ctx, err)
	}
	if got.Manifest.Digest != ri.Manifest.Digest {
		return imagesvc.RuntimeImage{}, fmt.Errorf("image %s has no manifest %s: %w", ri.Target.Digest, ri.Manifest.Digest, errdefs.ErrNotFound)
	}
	return got, nil
}

// RootFSMounts returns the mounts of the view key (see [imagesvc.RootFSPreparer]).
func (s *Store) RootFSMounts(ctx context.Context, key string) ([]imagesvc.Mount, error) {
	if err := rootfs.ValidKey(key); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	ms, err := s.client.SnapshotService(s.snapshotter).Mounts(ctx, viewSnapshotKey(key))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("view %q: %w", key, errdefs.ErrNotFound)
		}
		return nil, ctxErr(ctx, fmt.Errorf("mounts of view %q: %w", key, err))
	}
	return rootfs.Mounts(ms), nil
}

// RootFSViews lists the Store's views: the snapshots of its snapshotter in the namespace
// whose key has the view prefix and which carry the view label, oldest first. Snapshots
// of other clients are not listed.
func (s *Store) RootFSViews(ctx context.Context) ([]imagesvc.RootFSView, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.views(ctx)
}

// views lists the Store's views (see RootFSViews). ctx carries the namespace.
func (s *Store) views(ctx context.Context) ([]imagesvc.RootFSView, error) {
	var out []imagesvc.RootFSView
	err := s.client.SnapshotService(s.snapshotter).Walk(ctx, func(_ context.Context, info snapshots.Info) error {
		key, ok := strings.CutPrefix(info.Name, viewKeyPrefix)
		if !ok || info.Labels[labelView] != key || info.Kind == snapshots.KindCommitted {
			return nil
		}
		out = append(out, imagesvc.RootFSView{
			Key:      key,
			Image:    digest.Digest(info.Labels[labelViewImage]),
			Manifest: digest.Digest(info.Labels[labelViewManifest]),
			ChainID:  digest.Digest(info.Parent),
			ReadOnly: info.Kind == snapshots.KindView,
			Created:  info.Created,
		})
		return nil
	}, fmt.Sprintf("labels.%q", labelView))
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("listing views: %w", err))
	}
	slices.SortStableFunc(out, func(a, b imagesvc.RootFSView) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// RemoveRootFS removes the view key and its lease, the lease synchronously: when it
// returns, containerd's garbage collector has removed the layers no image and no other
// lease or snapshot uses (see [imagesvc.RootFSPreparer]).
func (s *Store) RemoveRootFS(ctx context.Context, key string) error {
	if err := rootfs.ValidKey(key); err != nil {
		return err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	lm := s.client.LeasesService()
	serr := s.client.SnapshotService(s.snapshotter).Remove(ctx, viewSnapshotKey(key))
	if serr != nil && !errdefs.IsNotFound(serr) {
		return ctxErr(ctx, fmt.Errorf("removing view %q: %w", key, serr))
	}
	lerr := lm.Delete(ctx, leases.Lease{ID: viewLeaseID(key)}, leases.SynchronousDelete)
	if lerr != nil && !errdefs.IsNotFound(lerr) {
		return ctxErr(ctx, fmt.Errorf("releasing the lease of view %q: %w", key, lerr))
	}
	if serr != nil {
		return fmt.Errorf("view %q: %w", key, errdefs.ErrNotFound)
	}
	return nil
}

// viewContainers returns the Store's views as the stopped containers Docker's remove and
// prune rules consult: a view keeps its image as a stopped container does. ctx carries
// the namespace.
func (s *Store) viewContainers(ctx context.Context) ([]imagesvc.Container, error) {
	vs, err := s.views(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]imagesvc.Container, 0, len(vs))
	for _, v := range vs {
		out = append(out, imagesvc.Container{ID: v.Key, ImageID: v.Image, ImageManifest: v.Manifest})
	}
	return out, nil
}
