package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// History returns the history of the image ref resolves to, as Docker does (spec
// docker-image-lifecycle.md §5): from the config of its best manifest for the host, or of
// the best one matching opts.Platform (containerd's platforms.Only), newest first. The
// first entry carries the image ID (the index digest for a multi-platform image) and the
// image's names, familiar and in name order, digest names included (none for a dangling
// image). The size of an entry that adds a layer is the unpacked size of that layer when
// the manifest is available, 0 otherwise (Docker reports the size of the unpacked
// snapshot, which this store does not make).
//
// Errors: InvalidArgument for an invalid platform; NotFound when nothing matches or the
// image lacks the platform ("... does not provide the specified platform (...)", or "...
// any platform" without opts.Platform); Internal when the config has more non-empty
// history entries than layers.
func (s *Store) History(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.HistoryOptions) ([]imagesvc.HistoryItem, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if p := opts.Platform; p != nil {
		if err := imagesvc.ValidatePlatform(*p); err != nil {
			return nil, err
		}
	}
	var (
		e      *entry
		chains map[digest.Digest]int64
	)
	err := s.consistent(ctx, func(q queryRower) error {
		var err error
		if e, err = s.resolveIn(ctx, q, ref); err != nil {
			return err
		}
		chains, err = imageChains(ctx, q, e)
		return err
	})
	if err != nil {
		return nil, err
	}

	rec := e.rec
	idx := rec.Best
	if p := opts.Platform; p != nil {
		idx = model.SelectPlatform(rec.views(), *p)
	}
	if idx < 0 {
		var want ocispec.Platform
		if opts.Platform != nil {
			want = *opts.Platform
		}
		return nil, imagesvc.PlatformNotFound(model.DisplayName(ref, e.familiar, e.id), want)
	}

	cfg, err := s.readConfig(ctx, rec.Manifests[idx].Descriptor)
	if errdefs.IsNotFound(err) {
		return nil, ref.NotFound() // deleted since it was resolved
	}
	if err != nil {
		return nil, err
	}
	out, err := model.History(e.id, tagsOf(e), cfg.RootFS, cfg.History, func(chain digest.Digest) int64 { return chains[chain] })
	if err != nil {
		return nil, err
	}
	// Images of the classic builder go on down their parent chain, one image per entry.
	cur := e
	err = model.ParentChain(out, e.id, func(digest.Digest) (digest.Digest, []string, bool, error) {
		if cur.rec.Parent == "" {
			return "", nil, false, nil
		}
		pref, err := imagesvc.ParseImageRef(cur.rec.Parent.String())
		if err != nil {
			return "", nil, false, nil
		}
		if cur, err = s.resolve(ctx, pref); err != nil {
			if errdefs.IsNotFound(err) {
				return "", nil, false, nil
			}
			return "", nil, false, err
		}
		return cur.id, tagsOf(cur), true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// tagsOf returns the names of e, familiar, in name order; nil when it has none.
func tagsOf(e *entry) []string {
	if len(e.familiar) == 0 {
		return nil
	}
	return slices.Clone(e.familiar)
}

// imageChains returns the layer chains of e with their sizes, through q. It fails with
// errStale when the image is no longer at e's revision.
func imageChains(ctx context.Context, q queryRower, e *entry) (map[digest.Digest]int64, error) {
	var rev int64
	err := q.QueryRowContext(ctx, "SELECT rev FROM images WHERE rowid = ?", e.rowid).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && rev != e.rev) {
		return nil, errStale
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	out := map[digest.Digest]int64{}
	err = queryEach(ctx, q, "SELECT chain, size FROM image_chains WHERE image = ?", []any{e.rowid}, func(rows *sql.Rows) error {
		var c sized
		if err := rows.Scan(&c.Digest, &c.Size); err != nil {
			return err
		}
		out[c.Digest] = c.Size
		return nil
	})
	return out, err
}

// readConfig reads the config of the image manifest desc from the content store.
func (s *Store) readConfig(ctx context.Context, desc ocispec.Descriptor) (*model.ConfigFile, error) {
	data, err := content.ReadBlob(ctx, s.content, desc)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest %s: %w", desc.Digest, err)
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, fmt.Errorf("reading the manifest %s: %v: %w", desc.Digest, err, errdefs.ErrDataLoss)
	}
	return model.ReadConfig(ctx, s.content, mf.Config)
}
