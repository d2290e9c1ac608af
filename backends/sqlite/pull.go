package sqlite

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/pull"
)

// initPuller configures the pull engine from the options.
func (s *Store) initPuller() error {
	concurrency := s.opts.Concurrency
	if concurrency == 0 {
		concurrency = defaultConcurrency
	}
	p, err := pull.New(pull.Options{
		HostsDir:    s.opts.HostsDir,
		Insecure:    s.opts.Insecure,
		Concurrency: concurrency,
		Platform:    s.platform,
		Logger:      s.log,
	})
	if err != nil {
		return fmt.Errorf("sqlite store: %w", err)
	}
	s.puller = p
	return nil
}

// Pull fetches req.Ref into the content store and records the images it names.
//
// Pulls of the same reference, platform and credentials share one download: each caller
// receives every progress event and the result; a caller that gives up returns at once
// without disturbing the others, and the download is cancelled when the last caller
// leaves (or the store closes). Each tag's image is recorded, with its name, in one
// transaction once all of its blobs are committed and verified, and then its "Status:"
// line is reported.
//
// Everything the pull uses is protected from garbage collection while it runs (a lease).
// When it ends, what it left that no image references is removed at once: when it fails
// or is cancelled (by its last caller, or by Close), its unfinished downloads and the
// blobs it committed for images it did not record are deleted, so a retry downloads them
// again; blobs of images it recorded stay. When a write finds the disk full (ENOSPC, or
// SQLite's "database or disk is full"), the store also sweeps every blob and unfinished
// download that no image references and no operation in progress uses, so that the space
// comes back without a restart.
func (s *Store) Pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	req, key, err := pull.Prepare(req, s.platform)
	if err != nil {
		return nil, err
	}
	return s.pulls.Do(ctx, key, progress, func(ctx context.Context, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
		return s.pull(ctx, req, progress)
	})
}

// pull runs one shared pull.
func (s *Store) pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) (_ []imagesvc.PulledImage, err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	l := s.leases.new()
	defer func() { s.endOperation(ctx, l, err) }()

	var out []imagesvc.PulledImage
	err = s.puller.FetchEach(ctx, s.leased(l), req, progress, func(t pull.Target) error {
		// Unpacked first, so that the record has the snapshots' sizes.
		var platforms []ocispec.Platform
		if req.Platform != nil {
			platforms = []ocispec.Platform{*req.Platform}
		}
		var updated []bool
		err := s.unpackThenRecord(ctx, l, []ocispec.Descriptor{t.Target}, platforms, func() error {
			rec, det, err := s.describeFrom(ctx, s.leased(l), t.Target)
			if err != nil {
				return err
			}
			u, err := s.put(ctx, []entryToWrite{{rec: rec, det: det, names: []reference.Named{t.Name}, source: t.Name.Name()}}, func([][]bool) {
				s.events.Publish(eventlog.Pull(t.Name, s.eventLabels(ctx, t.Target.Digest)))
			})
			if err != nil {
				return err
			}
			updated = u[0]
			return nil
		})
		if err != nil {
			return err
		}
		name := reference.FamiliarString(t.Name)
		progress.Report(imagesvc.PullStatus(name, updated[0]))
		out = append(out, imagesvc.PulledImage{Ref: name, ID: t.Target.Digest, Updated: updated[0]})
		return nil
	})
	if err != nil {
		if ctx.Err() != nil && s.ctx.Err() != nil {
			return nil, fmt.Errorf("sqlite store: closed during the pull: %w", errdefs.ErrUnavailable)
		}
		return nil, err
	}
	return out, nil
}
