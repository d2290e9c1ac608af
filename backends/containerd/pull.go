package containerd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	client "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/pull"
)

// Pull fetches req.Ref through containerd: the pull engine (package internal/pull)
// resolves the reference with containerd's resolver and hosts.toml configuration and
// writes the content into containerd's content store, under a lease so that garbage
// collection cannot remove it mid-pull; each tag's manifest is then unpacked into the
// snapshotter, and only then is the image record created or moved, so that a pull that
// fails leaves no image behind.
//
// Pulls of the same reference, platform and credentials share one download: each caller
// receives every progress event and the result; a caller that gives up returns at once
// without disturbing the others, and the download is cancelled when the last caller
// leaves (or the Store closes).
func (s *Store) Pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	req, key, err := pull.Prepare(req, s.platform)
	if err != nil {
		return nil, err
	}
	return s.pulls.Do(ctx, key, progress, func(ctx context.Context, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
		return s.pull(ctx, req, progress)
	})
}

// pull runs one shared pull.
func (s *Store) pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) (_ []imagesvc.PulledImage, retErr error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	// A failed pull (a layer its unpack refuses) leaves nothing: releasing the lease then
	// waits for the garbage collection that removes the blobs and the committed lower
	// layers only the lease held.
	ctx, _, release, err := s.operationLease(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { release(retErr != nil) }()

	var (
		out   []imagesvc.PulledImage
		store content.Store
		opts  []pull.FetchOption
		wait  = func(digest.Digest) {}
	)
	if s.useTransfer(req) {
		platform := s.platform
		if req.Platform != nil {
			platform = *req.Platform
		}
		store = s.client.ContentStore()
		opts = append(opts, pull.WithLayerFetcher(s.transferLayers(platform)))
	} else {
		ps := s.newPullStore(ctx)
		defer ps.close()
		store, wait = ps, func(d digest.Digest) { ps.waitUnpack(ctx, d) }
	}
	store = s.leasePresent(ctx, store)
	err = s.puller.FetchEach(ctx, store, req, progress, func(t pull.Target) error {
		// Labelling, unpacking and naming are a write for ListVersion: the labels change
		// what inspect shows without an event.
		end := s.versions.beginWrite()
		defer end()
		s.labelSource(ctx, t.Name, t.Target, t.Manifest)
		wait(t.Manifest.Digest)
		if err := s.unpack(ctx, t.Name.String(), t.Manifest); err != nil {
			return err
		}
		updated, err := s.setName(ctx, t.Name.String(), t.Target, func(bool) {
			s.publish(eventlog.Pull(t.Name, s.eventLabels(ctx, t.Target)))
		})
		s.cache.drop(t.Target.Digest)
		end()
		if err != nil {
			return err
		}
		name := reference.FamiliarString(t.Name)
		progress.Report(imagesvc.PullStatus(name, updated))
		out = append(out, imagesvc.PulledImage{Ref: name, ID: t.Target.Digest, Updated: updated})
		return nil
	}, opts...)
	if err != nil {
		if ctx.Err() != nil && s.ctx.Err() != nil {
			return nil, fmt.Errorf("containerd store: closed during the pull: %w", errdefs.ErrUnavailable)
		}
		return nil, err
	}
	return out, nil
}

// leasePresent wraps the content store of a pull so that each blob it finds present (a
// layer the pull then skips, a manifest another image has) joins the pull's lease before
// the pull relies on it: the pull does not write those blobs, so without this another
// client removing the last image that had one would let containerd's garbage collector
// delete it between the check and the unpack ("content not found").
func (s *Store) leasePresent(ctx context.Context, store content.Store) content.Store {
	id, ok := leases.FromContext(ctx)
	if !ok {
		return store
	}
	return &leasingStore{Store: store, lm: s.client.LeasesService(), lease: leases.Lease{ID: id}, held: map[digest.Digest]bool{}}
}

// leasingStore is a content store whose Info leases what it finds (see leasePresent).
type leasingStore struct {
	content.Store
	lm    leases.Manager
	lease leases.Lease

	mu   sync.Mutex
	held map[digest.Digest]bool
}

// Info implements content.InfoProvider: a blob found present is added to the lease, and
// looked up again, so that it is known present while leased.
func (l *leasingStore) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	info, err := l.Store.Info(ctx, d)
	if err != nil {
		return info, err
	}
	l.mu.Lock()
	held := l.held[d]
	l.mu.Unlock()
	if held {
		return info, nil
	}
	if err := l.lm.AddResource(ctx, l.lease, leases.Resource{ID: d.String(), Type: "content"}); err != nil {
		return content.Info{}, fmt.Errorf("leasing %s: %w", d, err)
	}
	l.mu.Lock()
	l.held[d] = true
	l.mu.Unlock()
	return l.Store.Info(ctx, d)
}

// useTransfer reports whether req's layers are fetched by containerd's transfer service
// (see transfer.go): when the daemon has one, Options.LocalPull is not set, and the
// credentials are not a registry token, which the transfer service cannot present.
func (s *Store) useTransfer(req imagesvc.PullRequest) bool {
	return s.transfer && (req.Auth == nil || req.Auth.RegistryToken == "")
}

// unpack unpacks the image manifest m into the snapshotter (layers already unpacked are
// skipped). It also records containerd's labels: the uncompressed digest on each layer
// and the snapshot GC reference on the config.
func (s *Store) unpack(ctx context.Context, name string, m ocispec.Descriptor) error {
	img := client.NewImageWithPlatform(s.client, images.Image{Name: name, Target: m}, platforms.All)
	if err := img.Unpack(ctx, s.snapshotter); err != nil {
		return ctxErr(ctx, fmt.Errorf("unpacking %s into %s: %w", name, s.snapshotter, err))
	}
	return nil
}

// labelSource records on the target and the manifest that they came from named's
// repository, with containerd's distribution source label, which tells the image's
// identity (and lets containerd mount blobs across repositories on push).
func (s *Store) labelSource(ctx context.Context, named reference.Named, descs ...ocispec.Descriptor) {
	key := labelDistributionSource + reference.Domain(named)
	repo := reference.Path(named)
	cs := s.client.ContentStore()
	seen := map[digest.Digest]bool{}
	for _, d := range descs {
		if seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		info, err := cs.Info(ctx, d.Digest)
		if err != nil {
			continue
		}
		repos := strings.Split(info.Labels[key], ",")
		if slices.Contains(repos, repo) {
			continue
		}
		value := repo
		if v := info.Labels[key]; v != "" {
			value = v + "," + repo
		}
		upd := content.Info{Digest: d.Digest, Labels: map[string]string{key: value}}
		if _, err := cs.Update(ctx, upd, "labels."+key); err != nil {
			s.log.Debug("not recording the distribution source", "digest", d.Digest.String(), "error", err)
		}
	}
}

// setName points the record name at target, creating the record if needed. It reports
// whether the name is new or moved (false when it already pointed at target). As in
// Docker, an image that loses its last name keeps a record named "moby-dangling@<digest>",
// and that record is removed once the image has a name again.
//
// When it succeeds, it calls published (with what it reports) before it releases
// lockWrites, for the caller to publish its action's events: so they come in the order of
// the changes, never after the events of the next action on the records, nor after the
// events of a change another client makes later (which are reported under lockWrites).
func (s *Store) setName(ctx context.Context, name string, target ocispec.Descriptor, published func(updated bool)) (bool, error) {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	is := s.client.ImageService()
	if isDangling(name) {
		// An image without a name needs no dangling record when it has another one.
		recs, err := is.List(ctx, "target.digest=="+target.Digest.String())
		if err != nil {
			return false, ctxErr(ctx, fmt.Errorf("recording image %s: %w", name, err))
		}
		if len(withoutPullRecords(recs)) > 0 {
			published(false)
			return false, nil
		}
	}
	updated, err := s.moveName(ctx, images.Image{Name: name, Target: target}, false)
	if err == nil {
		published(updated)
	}
	return updated, err
}

// moveName is Docker's rule for pointing the record rec.Name at rec.Target, written
// once for pull, tag and load (the caller holds lockWrites): the record is created, or,
// when the name exists with another target, the image it left is kept as
// moby-dangling@<digest> if that was its last name, and the record is moved (replace:
// deleted and created as rec, labels included; else only its target changes, keeping
// its creation time and labels). A named record then removes its target's dangling
// record. A dangling rec is not written when the target has another record. It reports
// whether the name is new or moved.
func (s *Store) moveName(ctx context.Context, rec images.Image, replace bool) (bool, error) {
	is := s.client.ImageService()
	if isDangling(rec.Name) {
		recs, err := is.List(ctx, "target.digest=="+rec.Target.Digest.String())
		if err != nil {
			return false, ctxErr(ctx, fmt.Errorf("recording image %s: %w", rec.Name, err))
		}
		if len(withoutPullRecords(recs)) > 0 {
			return false, nil
		}
	}
	updated := true
	_, err := is.Create(ctx, rec)
	if errdefs.IsAlreadyExists(err) {
		old, gerr := is.Get(ctx, rec.Name)
		switch {
		case gerr != nil:
			err = gerr
		case old.Target.Digest == rec.Target.Digest:
			updated, err = false, nil
		default:
			// From here on, the context does not interrupt the change half-way. Keep the
			// image the name leaves before it loses its last name, so that garbage
			// collection never sees it unreferenced.
			wctx := context.WithoutCancel(ctx)
			if err = s.keepDangling(wctx, old); err == nil {
				if replace {
					err = is.Delete(wctx, old.Name, images.DeleteTarget(&old.Target))
					if err == nil || errdefs.IsNotFound(err) {
						s.unrecorded(old.Name)
						_, err = is.Create(wctx, rec)
					}
				} else {
					old.Target = rec.Target
					_, err = is.Update(wctx, old, "target")
				}
			}
		}
	}
	if err != nil {
		return false, ctxErr(ctx, fmt.Errorf("recording image %s: %w", rec.Name, err))
	}
	s.recorded(rec.Name, rec.Target.Digest)
	if !isDangling(rec.Name) {
		dangling := danglingName(rec.Target.Digest)
		if derr := is.Delete(ctx, dangling); derr != nil && !errdefs.IsNotFound(derr) {
			s.log.Debug("removing a dangling record", "digest", rec.Target.Digest.String(), "error", derr)
		} else {
			s.unrecorded(dangling)
		}
	}
	return updated, nil
}

// keepDangling gives the image that the record leaving points at a dangling record when
// no other record points at it, as Docker's ensureDanglingImage does: with leaving's
// labels, except the name labels. An existing dangling record is kept as it is.
func (s *Store) keepDangling(ctx context.Context, leaving images.Image) error {
	is := s.client.ImageService()
	recs, err := is.List(ctx, "target.digest=="+leaving.Target.Digest.String())
	if err != nil {
		return err
	}
	for _, r := range withoutPullRecords(recs) {
		if r.Name != leaving.Name {
			return nil
		}
	}
	return s.ensureDangling(ctx, leaving)
}

// ensureDangling creates the dangling record of the image from points at, with from's
// labels except the name labels (Docker's ensureDanglingImage); one that exists is kept.
func (s *Store) ensureDangling(ctx context.Context, from images.Image) error {
	rec := images.Image{Name: danglingName(from.Target.Digest), Target: from.Target}
	for k, v := range from.Labels {
		if k == images.AnnotationImageName || k == ocispec.AnnotationRefName {
			continue
		}
		if rec.Labels == nil {
			rec.Labels = map[string]string{}
		}
		rec.Labels[k] = v
	}
	_, err := s.client.ImageService().Create(context.WithoutCancel(ctx), rec)
	if errdefs.IsAlreadyExists(err) {
		err = nil
	}
	if err == nil {
		s.recorded(rec.Name, rec.Target.Digest)
	}
	return err
}
