package transfer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/model"
)

// SaveStore is the content a save reads: the backend's content store, as a view that
// protects each blob from garbage collection once the save has looked at it (Info).
type SaveStore interface {
	content.InfoReaderProvider
}

// SaveOptions are the backend's settings of a save.
type SaveOptions struct {
	// Host is the host platform: manifest.json describes the manifest of an index that
	// matches it best.
	Host ocispec.Platform
	// Hold, when not nil, is called with each present blob of the exported images while
	// the save is planned, so that the backend protects it until the archive is written
	// (a containerd lease). Stores whose Info already protects (a leased view) leave it
	// nil.
	Hold func(ctx context.Context, d digest.Digest) error
}

// SavePlan is a save whose names are resolved and whose content is protected: writing it
// is all that is left.
type SavePlan struct {
	opts []archive.ExportOpt
	// Exported are the index.json descriptors, one per exported name, in request order.
	Exported []ocispec.Descriptor
}

// PlanSave resolves req with Docker's rules (spec §6.2) over the records rd and the
// content cs: a tagged name is exported with its name, an ID, short ID or digested
// reference unnamed (the name annotations of its descriptor stripped), a bare repository
// with every tag of the repository. With exactly one platform, each image is exported as
// the manifest of that platform; with several, as its index restricted to them.
//
// Errors are those of [imagesvc.Saver.Save] before the first byte.
func PlanSave(ctx context.Context, rd model.TargetReader, cs SaveStore, req imagesvc.SaveRequest, opts SaveOptions) (*SavePlan, error) {
	pm := MatchAny(opts.Host, req.Platforms)
	p := &SavePlan{}
	add := func(rec *model.Record, target ocispec.Descriptor, name reference.Named) error {
		if len(req.Platforms) == 1 {
			display := target.Digest.String()
			if rec != nil {
				display = rec.Familiar()
			}
			t, err := PlatformManifest(ctx, cs, target, display, req.Platforms[0])
			if err != nil {
				return fmt.Errorf("no suitable export target found: %w", err)
			}
			target = t
		}
		if err := hold(ctx, cs, target, opts.Hold); err != nil {
			return err
		}
		if name != nil {
			p.opts = append(p.opts, archive.WithManifest(target, name.String()))
		} else {
			target.Annotations = maps.Clone(target.Annotations)
			delete(target.Annotations, images.AnnotationImageName)
			delete(target.Annotations, ocispec.AnnotationRefName)
			p.opts = append(p.opts, archive.WithManifest(target))
		}
		p.Exported = append(p.Exported, target)
		return nil
	}
	for _, ref := range req.Refs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		matched, all, resolveErr := model.Resolve(ctx, rd, ref)
		specific := false
		if resolveErr == nil {
			s := strings.TrimPrefix(ref.String(), "sha256:")
			specific = s != "" && strings.HasPrefix(all[0].Target.Encoded(), s)
		}
		named := ref.Named()
		if _, ok := named.(reference.Digested); ok {
			specific = true
		}
		if (resolveErr != nil || !specific) && named != nil && reference.IsNameOnly(named) {
			tags, err := rd.Tags(ctx, named)
			if err != nil {
				return nil, err
			}
			if len(tags) == 0 {
				return nil, ref.NotFound()
			}
			for _, t := range tags {
				n, err := reference.ParseNamed(t.Name)
				if err != nil {
					continue // not a name Docker would export (its warning)
				}
				target, err := rd.Target(ctx, t.Target)
				if err != nil {
					return nil, err
				}
				if err := add(&t, target, n); err != nil {
					return nil, err
				}
			}
			continue
		}
		if resolveErr != nil {
			return nil, resolveErr
		}
		rec := &all[0]
		if matched != nil {
			rec = matched
		}
		target, err := rd.Target(ctx, rec.Target)
		if err != nil {
			return nil, err
		}
		if specific || named == nil {
			named = nil
		}
		if err := add(rec, target, named); err != nil {
			return nil, err
		}
	}
	p.opts = append(p.opts,
		archive.WithSkipNonDistributableBlobs(),
		archive.WithPlatform(pm),
		archive.WithSkipMissing(cs),
		archive.WithReferrersProvider(referrers{cs}),
	)
	return p, nil
}

// hold walks the present tree of target (referrers included), calling Info on each blob
// (which a leased view protects) and fn when set.
func hold(ctx context.Context, cs SaveStore, target ocispec.Descriptor, fn func(context.Context, digest.Digest) error) error {
	return images.Walk(ctx, images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if _, err := cs.Info(ctx, desc.Digest); err != nil {
			if errdefs.IsNotFound(err) {
				return nil, nil
			}
			return nil, err
		}
		if fn != nil {
			if err := fn(ctx, desc.Digest); err != nil {
				return nil, err
			}
		}
		children, err := images.Children(ctx, cs, desc)
		if err != nil {
			if errdefs.IsNotFound(err) {
				return nil, nil
			}
			return nil, err
		}
		refs, err := referrers{cs}.Referrers(ctx, desc)
		if err != nil {
			return nil, err
		}
		return append(children, refs...), nil
	}), target)
}

// Write writes the planned archive to w with containerd's exporter: nothing is written
// until the index and manifest.json are built, then every blob is copied from cs to w,
// verified against its digest, without holding it in memory. Once ctx ends, no more is
// written to w and Write returns the context's error.
func (p *SavePlan) Write(ctx context.Context, cs SaveStore, w io.Writer) error {
	if err := archive.Export(ctx, cs, ctxWriter{ctx: ctx, w: w}, p.opts...); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// ctxWriter writes to w until ctx ends (the exporter's copies do not check it).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// referrers finds the referrers of a manifest (signatures, attestations pushed as
// referrers) from the containerd.io/gc.ref.content.referrer.* labels of its blob, as
// Docker's export does.
type referrers struct{ cs SaveStore }

// Referrers implements content.ReferrersProvider.
func (r referrers) Referrers(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	info, err := r.cs.Info(ctx, desc.Digest)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []ocispec.Descriptor
	for k, v := range info.Labels {
		if !strings.HasPrefix(k, model.LabelReferrerPrefix) {
			continue
		}
		d, err := digest.Parse(v)
		if err != nil {
			continue
		}
		ri, err := r.cs.Info(ctx, d)
		if err != nil {
			continue
		}
		ref := ocispec.Descriptor{Digest: d, Size: ri.Size}
		data, err := model.ReadMetadata(ctx, r.cs, ref)
		if err != nil {
			continue
		}
		var m ocispec.Manifest
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		ref.MediaType, ref.ArtifactType = m.MediaType, m.ArtifactType
		out = append(out, ref)
	}
	return out, nil
}

// Ensure the platform matcher satisfies the exporter's interface.
var _ platforms.MatchComparer = anyWithPreference{}

// Events returns the events of the save, once written (spec §9.4): one save event per
// exported name, with the ID and "name" the exported descriptor's digest, and the labels
// of the image whose target that digest is (none for a platform manifest exported alone:
// labels returns nil for a digest that is no image's target).
func (p *SavePlan) Events(ctx context.Context, labels eventlog.Labels) []imagesvc.Event {
	out := make([]imagesvc.Event, 0, len(p.Exported))
	for _, d := range p.Exported {
		out = append(out, eventlog.Save(d.Digest, labels.Of(ctx, d.Digest)))
	}
	return out
}
