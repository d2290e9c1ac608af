package containerd

import (
	"context"
	"errors"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/importer"
	xfer "github.com/imageapi/imageapi/internal/transfer"
)

var _ imagesvc.Loader = (*Store)(nil)

// Load implements [imagesvc.Loader] with Docker 29's rules (package internal/transfer):
// containerd's archive importer writes the archive's blobs to containerd's content store
// under a lease, with containerd's garbage collection labels; the records are then
// created or updated as Docker's LoadImage does (an existing name keeps its record's
// creation time, and the image it pointed at is kept as moby-dangling@<digest> when that
// was its last name), and the host's platform (or the requested ones) is unpacked into
// the snapshotter; an unpack failure is logged and does not fail the load. When the load
// fails before the records are written, the lease is deleted with a synchronous garbage
// collection, which removes every blob and unfinished write of the load that no image
// references.
//
// Unlike Docker, a name that already points at the loaded image creates no extra
// dangling record. The archive is bounded by [Options.MaxImportSize].
func (s *Store) Load(ctx context.Context, req imagesvc.LoadRequest) (_ []imagesvc.LoadedImage, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	ctx, l, release, err := s.operationLease(ctx)
	if err != nil {
		return nil, err
	}
	recorded := false
	defer func() { release(!recorded) }()
	lm := s.client.LeasesService()
	opts := xfer.LoadOptions{
		MaxSize: s.opts.MaxImportSize, Host: s.platform, GCLabels: true, VerbatimNames: true,
		Hold: func(ctx context.Context, d digest.Digest) error {
			return lm.AddResource(ctx, l, leases.Resource{ID: d.String(), Type: "content"})
		},
	}
	out, err := xfer.Load(ctx, s.client.ContentStore(), req, opts, func(ctx context.Context, recs []xfer.LoadRecord) error {
		if err := s.recordLoaded(ctx, recs); err != nil {
			return err
		}
		recorded = true
		end := s.versions.beginWrite() // unpacking labels content without events
		s.unpackLoaded(ctx, recs, req)
		end()
		return nil
	})
	if err != nil {
		var nse *importer.NoSpaceError
		if errors.As(err, &nse) {
			// The server's failure, which the host must see: the client only gets a 500.
			s.log.Error("the disk is full", "error", err)
		}
		return out, ctxErr(ctx, err)
	}
	return out, nil
}

// recordLoaded creates or updates the records of a load, in order.
func (s *Store) recordLoaded(ctx context.Context, recs []xfer.LoadRecord) error {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	// From here on, the context does not interrupt the records half-way.
	wctx := context.WithoutCancel(ctx)
	// Named records first, so that a nameless one is written only when its target has
	// no other name (see xfer.Recorder).
	dropped := map[digest.Digest]bool{}
	for _, named := range []bool{true, false} {
		for _, r := range recs {
			if (r.Name != "") != named {
				continue
			}
			name := r.Name
			if name == "" {
				name = danglingName(r.Target.Digest)
			}
			if old, err := s.client.ImageService().Get(wctx, name); err == nil {
				dropped[old.Target.Digest] = true
			}
			if _, err := s.moveName(wctx, images.Image{Name: name, Target: r.Target}, false); err != nil {
				return err
			}
			dropped[r.Target.Digest] = true
		}
	}
	for d := range dropped {
		s.cache.drop(d)
	}
	targets := make([]ocispec.Descriptor, 0, len(recs))
	for _, r := range recs {
		targets = append(targets, r.Target)
	}
	s.publish(xfer.LoadEvents(wctx, recs, s.knownLabels(targets...))...)
	return nil
}

// unpackLoaded unpacks each loaded image's manifest for the host's platform, or for the
// requested platforms, as Docker's load does. Failures are logged.
func (s *Store) unpackLoaded(ctx context.Context, recs []xfer.LoadRecord, req imagesvc.LoadRequest) {
	pm := platforms.Only(s.platform)
	if len(req.Platforms) > 0 {
		pm = xfer.MatchAny(s.platform, req.Platforms)
	}
	seen := map[digest.Digest]bool{}
	for _, r := range recs {
		if seen[r.Target.Digest] {
			continue
		}
		seen[r.Target.Digest] = true
		img := client.NewImageWithPlatform(s.client, images.Image{Name: r.Name, Target: r.Target}, pm)
		if err := img.Unpack(ctx, s.snapshotter); err != nil {
			s.log.Debug("not unpacking a loaded image", "image", r.Message().Name, "digest", r.Target.Digest.String(), "error", err)
		}
	}
}
