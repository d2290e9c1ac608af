package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

var _ imagesvc.DiskUsager = (*Store)(nil)

// DiskUsage implements [imagesvc.DiskUsager]: the images as List gives them with
// SharedSize (Containers from Options.Usage and the root filesystem views), and TotalSize
// over every image of the catalog, dangling and hidden parents included
// (model.TotalSize): the size of every distinct blob of the content store that some
// image's tree references, plus, for each distinct layer chain of the available
// platforms, the chain's own size: the snapshotter's usage once it is unpacked, the
// uncompressed size of its top layer before (Options.LazyUnpack), as everywhere else in
// this store (a summary's Size, a manifest's Unpacked), so that TotalSize covers what the
// images' Sizes add up to and the reclaimable space a client derives from them never
// exceeds it.
func (s *Store) DiskUsage(ctx context.Context) (imagesvc.DiskUsage, error) {
	if err := s.checkOpen(); err != nil {
		return imagesvc.DiskUsage{}, err
	}
	imgs, err := s.List(ctx, imagesvc.ListOptions{SharedSize: true})
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	var fps []*model.Footprint
	err = queryEach(ctx, s.rdb, "SELECT sharing FROM image_data", nil, func(rows *sql.Rows) error {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
		fp := new(model.Footprint)
		if err := json.Unmarshal(data, fp); err != nil {
			return fmt.Errorf("the blobs and chains of an image: %w", err)
		}
		fps = append(fps, fp)
		return nil
	})
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	return imagesvc.DiskUsage{Images: imgs, TotalSize: model.TotalSize(slices.Values(fps))}, nil
}
