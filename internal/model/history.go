package model

import (
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// History builds the history of an image from the config of its selected manifest
// (Docker's ImageHistory, spec §5): newest first, one item per history entry; the newest
// carries the image ID id and its names tags (nil for none), the others
// [imagesvc.MissingID]. size returns the unpacked size of a layer chain, 0 when it is not
// unpacked. It returns nil when the config has no history.
func History(id digest.Digest, tags []string, rootfs ocispec.RootFS, history []ocispec.History, size func(chainID digest.Digest) int64) ([]imagesvc.HistoryItem, error) {
	if len(history) == 0 {
		return nil, nil
	}
	chains := identity.ChainIDs(append([]digest.Digest(nil), rootfs.DiffIDs...))
	out := make([]imagesvc.HistoryItem, len(history))
	layer := 0
	for i, h := range history {
		item := imagesvc.HistoryItem{ID: imagesvc.MissingID, CreatedBy: h.CreatedBy, Comment: h.Comment}
		if h.Created != nil {
			item.Created = *h.Created
		}
		if !h.EmptyLayer {
			if layer >= len(chains) {
				return nil, errdefs.ErrInternal.WithMessage("unable to find the size of the layer")
			}
			if size != nil {
				item.Size = size(chains[layer])
			}
			layer++
		}
		out[len(history)-1-i] = item
	}
	out[0].ID = id.String()
	if len(tags) > 0 {
		out[0].Tags = tags
	}
	return out, nil
}

// ParentChain continues a history down the classic builder's parent chain (label
// org.mobyproject.image.parent), as Docker does: the row below an image gets its parent's
// ID and names, as long as there is a parent. next returns the parent of the image id and
// that parent's names (nil for none); ok false ends the chain.
func ParentChain(items []imagesvc.HistoryItem, id digest.Digest, next func(id digest.Digest) (parent digest.Digest, tags []string, ok bool, err error)) error {
	for i := 1; i < len(items); i++ {
		parent, tags, ok, err := next(id)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		items[i].ID, items[i].Tags = parent.String(), tags
		id = parent
	}
	return nil
}
