package containerd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/containerd/containerd/v2/core/leases"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	xfer "github.com/imageapi/imageapi/internal/transfer"
)

var _ imagesvc.Saver = (*Store)(nil)

// leaseExpiry bounds the life of the leases of pulls, saves, loads and a prepare's
// unpack, should this process die before it deletes them (containerd's garbage collector
// then removes what they held: a half-applied layer, say).
const leaseExpiry = 24 * time.Hour

// Save implements [imagesvc.Saver] with Docker 29's rules (package internal/transfer):
// the names are resolved against containerd's image records, every blob of the exported
// images is added to a lease while the plan is made, and containerd's archive exporter
// then streams the archive from the content store. The lease is deleted when the save
// ends.
func (s *Store) Save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	ctx, l, release, err := s.operationLease(ctx)
	if err != nil {
		return err
	}
	defer release(false)
	lm := s.client.LeasesService()
	hold := func(ctx context.Context, d digest.Digest) error {
		return lm.AddResource(ctx, l, leases.Resource{ID: d.String(), Type: "content"})
	}
	cs := s.client.ContentStore()
	plan, err := xfer.PlanSave(ctx, &recordStore{s: s}, cs, req, xfer.SaveOptions{Host: s.platform, Hold: hold})
	if err != nil {
		return ctxErr(ctx, err)
	}
	if err := plan.Write(ctx, cs, w); err != nil {
		return ctxErr(ctx, err)
	}
	// One save event per exported name; labels only when the exported digest is an
	// image's target (not for the platform manifest of a single-platform save).
	s.publish(plan.Events(ctx, s.targetLabels)...)
	return nil
}

// operationLease creates a containerd lease for one pull, save or load and returns ctx with it.
// release deletes it; with sync, it waits for the garbage collection that removes what
// only the lease held (a failed pull or load's blobs and snapshots).
func (s *Store) operationLease(ctx context.Context, opts ...leases.Opt) (context.Context, leases.Lease, func(sync bool), error) {
	lm := s.client.LeasesService()
	l, err := lm.Create(ctx, append([]leases.Opt{leases.WithRandomID(), leases.WithExpiration(leaseExpiry)}, opts...)...)
	if err != nil {
		return nil, leases.Lease{}, nil, ctxErr(ctx, fmt.Errorf("creating a lease: %w", err))
	}
	release := func(sync bool) {
		var opts []leases.DeleteOpt
		// A lease that holds nothing (a pull that failed before fetching anything: a tag
		// the registry does not have) has nothing to collect: a daemon-wide collection,
		// which blocks the daemon's metadata writes, is not worth it.
		if sync && s.leaseHolds(context.WithoutCancel(ctx), l) {
			opts = append(opts, leases.SynchronousDelete)
		}
		if err := lm.Delete(context.WithoutCancel(ctx), l, opts...); err != nil {
			s.log.Warn("deleting a lease", "lease", l.ID, "error", err)
		}
	}
	return leases.WithLease(ctx, l.ID), l, release, nil
}

// leaseHolds reports whether the lease l holds a resource (true when that cannot be told).
func (s *Store) leaseHolds(ctx context.Context, l leases.Lease) bool {
	rs, err := s.client.LeasesService().ListResources(ctx, l)
	return err != nil || len(rs) > 0
}
