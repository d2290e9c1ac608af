package containerd

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
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
	"github.com/imageapi/imageapi/internal/model"
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
	// viewsLeaseID is the lease that holds every view of the namespace, of every Store
	// on it: a prepare adds its snapshot to the lease in the transaction that creates
	// it, and RemoveRootFS takes it out in the transaction that removes it. No Store
	// deletes the lease (empty, it holds nothing), so no process can release another's
	// views, and a prepare is one transaction, not two. Views also carry labelGCRoot, so
	// that a lease deleted behind the Stores' back releases none.
	viewsLeaseID = "imageapi-views"

	// labelView is set on a view's snapshot: the view key.
	labelView = "io.imageapi.view"
	// labelViewImage is set on a view's snapshot: the target digest of its image.
	labelViewImage = "io.imageapi.view.image"
	// labelViewManifest is set on a view's snapshot: the platform manifest's digest.
	labelViewManifest = "io.imageapi.view.manifest"
	// labelPrepare is set on the temporary lease of a prepare's unpack: the view key.
	labelPrepare = "io.imageapi.prepare"
	// labelGCRoot makes a snapshot a root of containerd's garbage collector.
	labelGCRoot = "containerd.io/gc.root"

	// viewTopic is the topic of the event a Store publishes for a read-only view it
	// prepared (containerd publishes /snapshot/prepare for Prepare, nothing for View).
	viewTopic = "/imageapi/view"
)

// viewSnapshotKey is the snapshot key of the view key.
func viewSnapshotKey(key string) string { return viewKeyPrefix + key }

// isViewKey reports whether a snapshot key is a view's.
func isViewKey(key string) bool { return strings.HasPrefix(key, viewKeyPrefix) }

// viewWrite marks a change of the views as one of the Store's writes for ListVersion
// (views count as containers in lists), and its end makes the cached views stale: a
// read-only View has no event of its own.
func (s *Store) viewWrite() (end func()) {
	endWrite := s.versions.beginWrite()
	return func() {
		s.cache.viewEvent()
		endWrite()
	}
}

// ensureViewsLease creates the namespace's views lease unless this Store has seen it.
func (s *Store) ensureViewsLease(ctx context.Context) error {
	if s.viewsLease.Load() {
		return nil
	}
	_, err := s.client.LeasesService().Create(ctx, leases.WithID(viewsLeaseID))
	if err != nil && !errdefs.IsAlreadyExists(err) {
		return ctxErr(ctx, fmt.Errorf("creating the views lease: %w", err))
	}
	s.viewsLease.Store(true)
	return nil
}

// viewsLeaseGone reports whether the views lease is missing (deleted behind the Store's
// back after it was seen), so that a NotFound from a prepare is told from a missing
// parent.
func (s *Store) viewsLeaseGone(ctx context.Context) bool {
	ls, err := s.client.LeasesService().List(ctx, "id=="+viewsLeaseID)
	return err == nil && len(ls) == 0
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
// image's manifest is found by digest in the cached description of its target (the
// records are read when none is cached). The view is the snapshot
// "imageapi/view/<key>", labelled with the key, the image, the manifest and as a root of
// containerd's garbage collector, created in the namespace's views lease
// ("imageapi-views", shared by every Store on the namespace and never deleted), which
// keeps it, and through it its layers, until [Store.RemoveRootFS]. On a warm Store a
// prepare is one transaction in the daemon: the snapshot's creation, which adds it to
// the lease. When the layers are not unpacked (the view's parent is missing), the image
// is looked up among the records and containerd's client unpacks them as a pull does
// (the daemon applies them, and the config gets the garbage collector's reference to
// the snapshot) under a temporary lease, and the view is created again.
//
// A Remove of the image that read the views before this one was created does not see it:
// the image is looked up again once the view exists (after this Store's Remove or Prune
// in progress ended), and the view is undone (NotFound) when the image is gone, so that
// no view outlives an image deleted without force. (A Remove by another Store on the
// namespace can still read the views just before the view is created and delete the
// image just after the check.)
func (s *Store) PrepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) ([]imagesvc.Mount, error) {
	ms, err := s.prepareRootFS(ctx, req)
	if err != nil {
		return nil, err
	}
	nctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	// The check takes the writes token that Remove and Prune hold from reading the views
	// to deleting the records: one in progress has deleted the image when the check runs,
	// and one that starts after it sees the view.
	var imgs []images.Image
	unlock, err := s.takeWrites(nctx)
	if err == nil {
		imgs, err = s.client.ImageService().List(nctx, "target.digest=="+req.Image.Target.Digest.String())
		unlock()
	}
	if err == nil && len(imgs) > 0 {
		return ms, nil
	}
	if rerr := s.RemoveRootFS(context.WithoutCancel(ctx), req.Key); rerr != nil {
		s.log.Warn("undoing the view of an image removed meanwhile", "key", req.Key, "error", rerr)
	}
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("image %s: %w", req.Image.Target.Digest, err))
	}
	return nil, fmt.Errorf("image %s was removed while its view was prepared: %w", req.Image.Target.Digest, errdefs.ErrNotFound)
}

func (s *Store) prepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) ([]imagesvc.Mount, error) {
	if err := rootfs.ValidKey(req.Key); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	v, err := s.reresolve(ctx, req.Image, true)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{
		labelView:         req.Key,
		labelViewImage:    v.target.Digest.String(),
		labelViewManifest: v.manifest.Digest.String(),
	}
	ms, err := s.createView(ctx, req.Key, v.chain, labels, req.ReadOnly)
	if err == nil || !errdefs.IsNotFound(err) || v.chain == "" {
		return ms, err
	}
	// Before unpacking, the image is looked up among the records: the description may
	// be a removed image's.
	if v, err = s.reresolve(ctx, req.Image, false); err != nil {
		return nil, err
	}

	// The layers are not unpacked. A temporary lease holds what the unpack creates until
	// the view refers to it; it expires if this process dies first, and containerd's
	// garbage collector then removes a half-applied layer.
	// After a failed unpack, the release waits for the garbage collection that removes
	// the lower layers the unpack committed: a failed prepare leaves nothing.
	lctx, _, release, err := s.operationLease(ctx, leases.WithLabel(labelPrepare, req.Key))
	if err != nil {
		return nil, err
	}
	var unpackErr error
	defer func() { release(unpackErr != nil) }()
	img := client.NewImageWithPlatform(s.client, images.Image{Name: v.target.Digest.String(), Target: v.manifest}, platforms.All)
	if unpackErr = img.Unpack(lctx, s.snapshotter); unpackErr != nil {
		return nil, ctxErr(ctx, fmt.Errorf("unpacking %s into %s: %w", v.manifest.Digest, s.snapshotter, unpackErr))
	}
	return s.createView(ctx, req.Key, v.chain, labels, req.ReadOnly)
}

// createView creates the view key on parent in the views lease. On failure nothing of
// it stays; the error is AlreadyExists when the view exists, NotFound when parent does
// not.
func (s *Store) createView(ctx context.Context, key string, parent digest.Digest, labels map[string]string, readOnly bool) ([]imagesvc.Mount, error) {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer s.viewWrite()()
	sn := s.client.SnapshotService(s.snapshotter)
	var (
		ms  []mount.Mount
		err error
	)
	// The garbage collector's root label keeps the view, and through it its layers, even
	// if the views lease is deleted behind the Stores' back; only RemoveRootFS removes it.
	labels = maps.Clone(labels)
	labels[labelGCRoot] = time.Now().UTC().Format(time.RFC3339)
	start := time.Now()
	for attempt := 0; attempt < 2; attempt++ {
		if err := s.ensureViewsLease(ctx); err != nil {
			return nil, err
		}
		vctx := leases.WithLease(ctx, viewsLeaseID)
		if readOnly {
			ms, err = sn.View(vctx, viewSnapshotKey(key), parent.String(), snapshots.WithLabels(labels))
		} else {
			ms, err = sn.Prepare(vctx, viewSnapshotKey(key), parent.String(), snapshots.WithLabels(labels))
		}
		if err == nil {
			if readOnly {
				s.announceView(ctx, key)
			}
			return rootfs.Mounts(ms), nil
		}
		if !errdefs.IsNotFound(err) || !s.viewsLeaseGone(ctx) {
			break
		}
		s.viewsLease.Store(false) // deleted behind our back: create it again
	}
	switch {
	case errdefs.IsAlreadyExists(err):
		return nil, fmt.Errorf("view %q: %w", key, errdefs.ErrAlreadyExists)
	case errdefs.IsNotFound(err):
		return nil, fmt.Errorf("layers %s of view %q are not unpacked: %w", parent, key, errdefs.ErrNotFound)
	}
	// Nothing of the view may stay: the daemon may have created the snapshot before the
	// call failed (a cancelled call). It is removed only when it is this call's: labelled
	// with the key and created since the call began (another Store's prepare of the same
	// key would have made this one fail with AlreadyExists).
	cctx := leases.WithLease(context.WithoutCancel(ctx), viewsLeaseID)
	if info, serr := sn.Stat(cctx, viewSnapshotKey(key)); serr == nil && info.Labels[labelView] == key && !info.Created.Before(start.Add(-time.Second)) {
		if rerr := sn.Remove(cctx, viewSnapshotKey(key)); rerr != nil && !errdefs.IsNotFound(rerr) {
			s.log.Warn("removing the snapshot of a failed prepare", "key", key, "error", rerr)
		}
	}
	return nil, ctxErr(ctx, fmt.Errorf("preparing view %q on %s: %w", key, parent, err))
}

// announceView publishes a view event for the read-only view key, for which containerd
// publishes none: the other Stores on the namespace count it (see cache.viewEvent).
func (s *Store) announceView(ctx context.Context, key string) {
	err := s.client.EventService().Publish(ctx, viewTopic, &eventstypes.NamespaceUpdate{
		Name: s.ns, Labels: map[string]string{labelView: key},
	})
	if err != nil {
		s.log.Warn("announcing a read-only view", "key", key, "error", err)
	}
}

// viewSource is what a view is prepared from: the image's target, the platform
// manifest and the chain ID of its layers ("" without layers).
type viewSource struct {
	target, manifest ocispec.Descriptor
	chain            digest.Digest
}

// reresolve looks the image of ri up again by its target digest, and its manifest by
// digest in the image's description: NotFound when either is gone or the manifest's
// content is not all present, InvalidArgument when it cannot be run. A description of
// the target in the cache is used as it is, without the records' barrier: what it says
// of the target's manifests and chain IDs is content-addressed, and PrepareRootFS asks
// the daemon whether the image exists once the view does (a stale description of a
// removed image gives a view that is undone, NotFound).
func (s *Store) reresolve(ctx context.Context, ri imagesvc.RuntimeImage, useCache bool) (viewSource, error) {
	if err := ri.Target.Digest.Validate(); err != nil {
		return viewSource{}, fmt.Errorf("image target %q: %v: %w", ri.Target.Digest, err, errdefs.ErrInvalidArgument)
	}
	if info := s.cache.described(ri.Target.Digest); info != nil && useCache {
		if v, err := viewSourceOf(info, ri); err == nil {
			return v, nil
		}
	}
	snap, c, err := s.records(ctx)
	if err != nil {
		return viewSource{}, err
	}
	img := snap.target(ri.Target.Digest)
	if img == nil {
		return viewSource{}, fmt.Errorf("image %s: %w", ri.Target.Digest, errdefs.ErrNotFound)
	}
	if err := s.describeImages(ctx, c, []*image{img}); err != nil {
		return viewSource{}, err
	}
	return viewSourceOf(img.info, ri)
}

// viewSourceOf finds ri's manifest in the description of its target.
func viewSourceOf(info *targetInfo, ri imagesvc.RuntimeImage) (viewSource, error) {
	for _, m := range info.manifests {
		if m.Descriptor.Digest != ri.Manifest.Digest {
			continue
		}
		switch {
		case m.Kind != imagesvc.KindImage:
			return viewSource{}, fmt.Errorf("manifest %s of image %s is not an image: %w", m.Descriptor.Digest, ri.Target.Digest, errdefs.ErrInvalidArgument)
		case !m.Available || m.Manifest == nil || m.Config == nil:
			return viewSource{}, fmt.Errorf("content of manifest %s of image %s is not all present: %w", m.Descriptor.Digest, ri.Target.Digest, errdefs.ErrNotFound)
		case len(m.Config.RootFS.DiffIDs) != len(m.Manifest.Layers):
			return viewSource{}, fmt.Errorf("image %s: manifest %s has %d layers but its config %d diff IDs: %w",
				ri.Target.Digest, m.Descriptor.Digest, len(m.Manifest.Layers), len(m.Config.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
		}
		v := viewSource{target: info.target, manifest: m.Descriptor}
		if n := len(m.chainIDs); n > 0 {
			v.chain = m.chainIDs[n-1]
		}
		return v, nil
	}
	return viewSource{}, fmt.Errorf("image %s has no manifest %s: %w", ri.Target.Digest, ri.Manifest.Digest, errdefs.ErrNotFound)
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
		if ctx.Err() == nil && (errdefs.IsInvalidArgument(err) || errdefs.IsNotFound(err)) {
			// The daemon has no such snapshotter ("snapshotter not loaded"): it holds no
			// view, and lists still work.
			return nil, nil
		}
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

// RemoveRootFS removes the view key's snapshot, in the views lease's context so that
// the transaction also takes it out of the lease, and then runs containerd's garbage
// collector synchronously, by deleting a lease of its own with
// [leases.SynchronousDelete]: when it returns, the layers no image and no other lease or
// snapshot uses are gone (see [imagesvc.RootFSPreparer]). Once the snapshot is removed
// the view is gone: a failed collection is logged (the next one frees the layers), not
// returned, so that a retry does not meet NotFound.
func (s *Store) RemoveRootFS(ctx context.Context, key string) error {
	if err := rootfs.ValidKey(key); err != nil {
		return err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := s.removeView(ctx, key); err != nil {
		return err
	}
	// Outside viewMu: prepares do not wait for the collection.
	if err := s.collectGarbage(context.WithoutCancel(ctx)); err != nil {
		s.log.Warn("collecting the layers of a removed view", "key", key, "error", err)
	}
	return nil
}

// removeView removes the view key's snapshot.
func (s *Store) removeView(ctx context.Context, key string) error {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	defer s.viewWrite()()
	if err := s.client.SnapshotService(s.snapshotter).Remove(leases.WithLease(ctx, viewsLeaseID), viewSnapshotKey(key)); err != nil {
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("view %q: %w", key, errdefs.ErrNotFound)
		}
		return ctxErr(ctx, fmt.Errorf("removing view %q: %w", key, err))
	}
	return nil
}

// collectGarbage runs containerd's garbage collector and returns when it is done: the
// daemon has no call for it, but deleting a lease with [leases.SynchronousDelete] runs it
// before answering. The lease expires on its own if this process dies in between.
func (s *Store) collectGarbage(ctx context.Context) error {
	lm := s.client.LeasesService()
	l, err := lm.Create(ctx, leases.WithRandomID(), leases.WithExpiration(time.Minute))
	if err != nil {
		return ctxErr(ctx, fmt.Errorf("collecting garbage: %w", err))
	}
	if err := lm.Delete(context.WithoutCancel(ctx), l, leases.SynchronousDelete); err != nil && !errdefs.IsNotFound(err) {
		return ctxErr(ctx, fmt.Errorf("collecting garbage: %w", err))
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
	return model.ViewContainers(vs), nil
}
