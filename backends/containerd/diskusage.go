package containerd

import (
	"context"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

var _ imagesvc.DiskUsager = (*Store)(nil)

// DiskUsage implements [imagesvc.DiskUsager] from one reading of the records: the images
// as List gives them with SharedSize (containers from the usage provider, else from
// containerd's container records), and TotalSize as Docker's containerd image store
// counts it: every distinct blob present in the content store that some record's tree
// references, plus the snapshot usage of every layer of each unpacked platform chain in
// the store's snapshotter, each snapshot counted once (model.TotalSize). The figures are
// those the list cache already holds; nothing is read again while nothing changed.
func (s *Store) DiskUsage(ctx context.Context) (imagesvc.DiskUsage, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	defer done()
	snap, err := s.view(ctx)
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	imgs, err := s.list(ctx, snap, imagesvc.ListOptions{SharedSize: true})
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	total := model.TotalSize(func(yield func(*model.Footprint) bool) {
		for _, img := range snap.images {
			if img.info != nil && !yield(&img.info.footprint) {
				return
			}
		}
	})
	return imagesvc.DiskUsage{Images: imgs, TotalSize: total}, nil
}
