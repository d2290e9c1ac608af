package sqlite

import (
	"context"
	"io"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/transfer"
)

var _ imagesvc.Saver = (*Store)(nil)

// Save implements [imagesvc.Saver] with Docker 29's rules (package internal/transfer):
// the names are resolved in one read of the catalog, every blob of the exported images
// is leased from garbage collection while the plan is made, and containerd's archive
// exporter then streams the archive from the content store.
func (s *Store) Save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	l := s.leases.new()
	defer func() { s.endOperation(ctx, l, nil) }()
	cs := s.leased(l)
	var plan *transfer.SavePlan
	err = s.readRecords(ctx, func(st *txStore) error {
		var err error
		plan, err = transfer.PlanSave(ctx, st, cs, req, transfer.SaveOptions{Host: s.platform})
		return err
	})
	if err != nil {
		return err
	}
	if err := plan.Write(ctx, cs, w); err != nil {
		return err
	}
	s.events.Publish(plan.Events(ctx, s.eventLabels)...)
	return nil
}
