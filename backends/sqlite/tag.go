package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/model"
)

// Tag points the name target at the image source resolves to, as Docker does (spec
// docker-image-lifecycle.md §3): a name that pointed at another image moves, and that
// image becomes dangling if it was its last name; a dangling image that is tagged is no
// longer dangling; a name that already points at the image changes nothing. The name is
// written in one transaction, and a list that starts after Tag returns sees it.
//
// Errors: InvalidArgument for a target with a digest or in the repository "sha256";
// NotFound for every failure to resolve source (with the resolver's text), and when the
// image has no platform available locally ("... does not provide any platform").
func (s *Store) Tag(ctx context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	named, err := model.TagTarget(target)
	if err != nil {
		return err
	}

	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	e, err := s.resolve(ctx, source)
	if err != nil {
		return asNotFound(ctx, err)
	}
	if !model.HasAvailableImage(e.rec.Manifests, (*manifestRecord).View) {
		return imagesvc.PlatformNotFound(model.DisplayName(source, e.familiar, e.id), ocispec.Platform{})
	}

	now := s.now().UnixNano()
	changed := false
	current := e.rec // the record as the tag found it, for the event's labels
	s.order.Lock()
	defer s.order.Unlock()
	defer s.beginWrite()()
	err = inTx(ctx, s.wdb, func(tx *sql.Tx) error {
		var rowid, rev0 int64
		err := tx.QueryRowContext(ctx, "SELECT rowid, rev FROM images WHERE id = ?", e.id.String()).Scan(&rowid, &rev0)
		if errors.Is(err, sql.ErrNoRows) {
			return source.NotFound() // deleted since it was resolved
		}
		if err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		if rev0 != e.rev {
			// Changed since it was resolved (a platform delete): check it again.
			var summary []byte
			if err := tx.QueryRowContext(ctx, "SELECT summary FROM image_data WHERE image = ?", rowid).Scan(&summary); err != nil {
				return fmt.Errorf("catalog: %w", err)
			}
			var rec record
			if err := json.Unmarshal(summary, &rec); err != nil {
				return fmt.Errorf("catalog: image %s: %w", e.id, err)
			}
			if !model.HasAvailableImage(rec.Manifests, (*manifestRecord).View) {
				return imagesvc.PlatformNotFound(model.DisplayName(source, e.familiar, e.id), ocispec.Platform{})
			}
			current = &rec
		}
		prev, moved, err := putName(ctx, tx, named, rowid, now, true)
		if err != nil || !moved {
			return err
		}
		rev, err := nextRev(ctx, tx)
		if err != nil {
			return err
		}
		touched := map[int64]bool{rowid: true}
		if prev != 0 {
			touched[prev] = true
		}
		changed = true
		return touch(ctx, tx, touched, rev, now)
	})
	if changed && err == nil {
		s.gen.Add(1)
	}
	if err == nil {
		// Also when nothing changed, as Docker does.
		s.events.Publish(eventlog.Tag(e.id, named, current.bestLabels().Map()))
	}
	return err
}

// asNotFound gives err class NotFound with its text, as Docker's tag does for every
// failure to find the source; the context's errors and a closed store keep theirs.
func asNotFound(ctx context.Context, err error) error {
	if errdefs.IsNotFound(err) || ctx.Err() != nil || errors.Is(err, errClosed) || errdefs.IsUnavailable(err) {
		return err
	}
	return errdefs.ErrNotFound.WithMessage(err.Error())
}
