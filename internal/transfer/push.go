package transfer

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/pull"
)

// DefaultPushConcurrency is the number of blobs uploaded in parallel when
// [PushConfig.Concurrency] is zero (dockerd's default max-concurrent-uploads).
const DefaultPushConcurrency = 5

// PushContent is what a push needs of a backend's content store: reading blobs and their
// labels (distribution sources, for cross-repository mounts), and updating the labels
// (the pushed repository is added to the distribution sources of what was pushed).
type PushContent interface {
	content.Provider
	content.InfoProvider
	Update(ctx context.Context, info content.Info, fieldpaths ...string) (content.Info, error)
}

// PushConfig is what a backend supplies to [Push].
type PushConfig struct {
	// Content is the backend's content store. Blobs the push reads must stay while it
	// runs: the backend protects them (a lease) for the duration of the call.
	Content PushContent
	// Records calls fn with a consistent view of the backend's records; Push reads a
	// record's name and target through it before it talks to the registry, never during
	// the upload.
	Records func(ctx context.Context, fn func(model.TargetReader) error) error
	// Registry supplies the registry configuration (hosts.toml, plain-HTTP registries)
	// and the per-request credentials handling of the backend's pulls.
	Registry *pull.Puller
	// Platform is the host's platform, which the index fallback prefers (spec §8.2).
	Platform ocispec.Platform
	// Concurrency is the number of blobs uploaded in parallel; 0 means
	// [DefaultPushConcurrency].
	Concurrency int
	// Logger receives debug records; nil discards them. Credentials are never logged.
	Logger *slog.Logger
	// Events, when set, receives the push event of each reference pushed, once it is
	// pushed (spec §9.4: ID the familiar reference, "name" its repository, the image's
	// labels from Labels).
	Events eventlog.Publisher
	// Labels returns the config labels of an image for its events; nil gives none.
	Labels eventlog.Labels
}

// Push implements [imagesvc.Pusher] over a backend's content store and records, with
// Docker 29's containerd-store rules (spec §8): which records are pushed, the index
// fallback, containerd's pusher (remotes.PushContent with the docker resolver), the
// progress records of the containerd store, and moby's registry error texts.
//
// The first event is always [imagesvc.PushRefersTo]; every error, the request's own
// included, comes after it, as Docker's stream puts it. Push returns once the last event
// was reported.
func Push(ctx context.Context, cfg PushConfig, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	if req.Ref == nil {
		return errdefs.ErrInvalidArgument.WithMessage("no repository to push")
	}
	if cfg.Content == nil || cfg.Records == nil || cfg.Registry == nil {
		return errdefs.ErrNotImplemented.WithMessage("push: the backend supplies no content store, records or registry configuration")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultPushConcurrency
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Platform.OS == "" && cfg.Platform.Architecture == "" {
		cfg.Platform = platforms.DefaultSpec()
	}
	r := &serialReporter{f: progress}
	r.report(imagesvc.PushRefersTo(req.Ref))

	_, tagged := req.Ref.(reference.Tagged)
	_, digested := req.Ref.(reference.Digested)
	if tagged || digested {
		return pushRef(ctx, cfg, req, req.Ref, r.report)
	}
	// A bare repository: every tag, in name order.
	var recs []model.Record
	err := cfg.Records(ctx, func(st model.TargetReader) error {
		var err error
		recs, err = st.Tags(ctx, req.Ref)
		return err
	})
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errdefs.ErrNotFound.WithMessage("An image does not exist locally with the tag: " + reference.FamiliarName(req.Ref))
	}
	for _, rec := range recs {
		named, err := reference.ParseNamed(rec.Name)
		if err != nil {
			cfg.Logger.Warn("push: refusing to push an invalid tag", "name", rec.Name)
			continue
		}
		if err := pushRef(ctx, cfg, req, named, r.report); err != nil {
			return err
		}
	}
	return nil
}

// pushRef pushes the record named exactly ref (moby's pushRef).
func pushRef(ctx context.Context, cfg PushConfig, req imagesvc.PushRequest, ref reference.Named, report func(imagesvc.ProgressEvent)) error {
	var (
		rec model.Record
		img ocispec.Descriptor // the record's target
	)
	err := cfg.Records(ctx, func(st model.TargetReader) error {
		r, ok, err := st.Record(ctx, ref.String())
		if err != nil {
			return err
		}
		if !ok {
			return errdefs.ErrNotFound.WithMessage("tag does not exist: " + reference.FamiliarString(ref))
		}
		rec = r
		img, err = st.Target(ctx, r.Target)
		if errdefs.IsNotFound(err) {
			return errdefs.ErrNotFound.WithMessage("tag does not exist: " + reference.FamiliarString(ref))
		}
		return err
	})
	if err != nil {
		return err
	}
	target := img
	if req.Platform != nil {
		if target, err = pushDescriptor(ctx, cfg, rec, img, req.Platform); err != nil {
			return err
		}
	}

	tracker := docker.NewInMemoryTracker()
	ctx, resolver, release := cfg.Registry.PushResolver(ctx, req.Auth, tracker, nil)
	defer release()
	pp := &pushProgress{tracker: tracker, jobs: newJobs(), report: report}
	finish := pp.show(ctx, progressInterval)
	defer finish()

	limiter := semaphore.NewWeighted(int64(cfg.Concurrency))
	wrapper := func(h images.Handler) images.Handler {
		return images.Handlers(images.HandlerFunc(func(_ context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			if showBlobProgress(desc) {
				pp.jobs.add(desc)
			}
			return nil, nil
		}), h)
	}
	push := func(target ocispec.Descriptor) error {
		pref := ref
		if _, ok := ref.(reference.Digested); !ok {
			// The tag is set on the target only; every other manifest goes by digest.
			d, err := reference.WithDigest(ref, target.Digest)
			if err != nil {
				return errdefs.ErrInvalidArgument.WithMessage(err.Error())
			}
			pref = d
		}
		pusher, err := resolver.Pusher(ctx, pref.String())
		if err != nil {
			return err
		}
		return remotes.PushContent(ctx, pusher, target, cfg.Content, limiter, platforms.All, wrapper)
	}

	err = push(target)
	if err != nil && errdefs.IsNotFound(err) && images.IsIndexType(target.MediaType) && req.Platform == nil && ctx.Err() == nil {
		// Some of the index's content is missing: push the manifest Docker's fallback
		// selects instead, if it is another one.
		selected, serr := pushDescriptor(ctx, cfg, rec, img, nil)
		if serr != nil {
			return serr
		}
		if selected.Digest != target.Digest {
			original := target
			target = selected
			pp.unavailable.Store(true)
			err = push(target)
			if err == nil {
				report(imagesvc.ProgressEvent{Aux: &imagesvc.PushAux{
					ManifestPushedInsteadOfIndex: true,
					OriginalIndex:                &original,
					SelectedManifest:             &selected,
				}})
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errdefs.IsNotFound(err) {
			return pull.PushError(err)
		}
		missing := target
		report(imagesvc.ProgressEvent{Aux: &imagesvc.PushAux{ContentMissing: true, Desc: &missing}})
		return err
	}

	addSources(ctx, cfg, ref, target)
	finish()
	if t, ok := ref.(reference.Tagged); ok {
		report(imagesvc.PushDigest(t.Tag(), target))
	}
	if cfg.Events != nil {
		cfg.Events.Publish(eventlog.Push(ref, cfg.Labels.Of(ctx, rec.Target)))
	}
	return nil
}

// addSources adds ref's repository to the distribution sources of target and of the
// content under it that is present, so that later pushes to other repositories of the
// registry can mount it. A failure only loses that hint, and is logged.
func addSources(ctx context.Context, cfg PushConfig, ref reference.Named, target ocispec.Descriptor) {
	var ds []digest.Digest
	walk := images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if _, err := cfg.Content.Info(ctx, desc.Digest); err != nil {
			return nil, images.ErrSkipDesc
		}
		ds = append(ds, desc.Digest)
		return images.Children(ctx, cfg.Content, desc)
	})
	if err := images.Walk(ctx, walk, target); err != nil {
		cfg.Logger.Warn("push: not recording the distribution source of the pushed content", "ref", ref.String(), "error", err)
	}
	if err := pull.AddSource(context.WithoutCancel(ctx), cfg.Content, ref, ds...); err != nil {
		cfg.Logger.Warn("push: not recording the distribution source of the pushed content", "ref", ref.String(), "error", err)
	}
}

// pushDescriptor chooses what a push of the image rec (target img) uploads (moby's
// getPushDescriptor): with platform, the present manifest of exactly that platform
// ([PlatformManifest]); without, the whole index when all of its manifests are present,
// the only present manifest, or the present manifest that best matches the host's
// platform.
func pushDescriptor(ctx context.Context, cfg PushConfig, rec model.Record, img ocispec.Descriptor, platform *ocispec.Platform) (ocispec.Descriptor, error) {
	if platform != nil {
		return PlatformManifest(ctx, cfg.Content, img, rec.Familiar(), *platform)
	}
	host := platforms.Only(cfg.Platform)
	match := MatchAny(cfg.Platform, nil)
	ms, err := model.ReadManifests(ctx, cfg.Content, img, model.ReadOptions{Logger: cfg.Logger})
	if err != nil {
		if errdefs.IsNotFound(err) {
			return ocispec.Descriptor{}, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("image with reference %s was found but its content is missing: %v", rec.Familiar(), err))
		}
		return ocispec.Descriptor{}, fmt.Errorf("failed to read the manifests of %s: %w", rec.Familiar(), err)
	}
	anyMissing := false
	var present []model.ManifestInfo
	best := -1
	for _, m := range ms {
		if !m.Available {
			anyMissing = true
			continue
		}
		if m.Kind != imagesvc.KindImage {
			continue
		}
		present = append(present, m)
		if best < 0 || match.Less(m.Platform, present[best].Platform) {
			best = len(present) - 1
		}
	}
	switch {
	case len(present) == 0:
		return ocispec.Descriptor{}, imagesvc.PlatformNotFound(rec.Familiar(), ocispec.Platform{})
	case len(present) == 1 && anyMissing:
		return present[0].Descriptor, nil
	case !anyMissing:
		return img, nil
	case host.Match(present[best].Platform):
		return present[best].Descriptor, nil
	}
	return ocispec.Descriptor{}, errdefs.ErrConflict.WithMessage("multiple matching manifests found but no specific platform requested")
}
