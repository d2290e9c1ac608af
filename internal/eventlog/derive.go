package eventlog

import (
	"context"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// The functions below derive the events of an operation from what the shared rules did,
// so that every backend emits the same events for the same operation: a backend calls
// them and publishes their result once the operation's changes are committed.

// Publisher receives the events of a backend's operations; [*Log] is one.
type Publisher interface {
	// Publish records events in the order given; it never blocks.
	Publish(events ...imagesvc.Event)
}

// Labels returns the config labels of the image whose target is d, as the backend sees
// it now (its best manifest's config, as the list shows it), or nil when d is not the
// target of an image or it has none. Docker resolves the image at the time of each event
// (LogImageEvent → GetImage).
type Labels func(ctx context.Context, d digest.Digest) map[string]string

// Remove runs [model.Remove] over st and also returns the events of what it did (spec
// §2.4): an untag event for each non-dangling record it deleted, in order (including
// those deleted before a conflict made it fail: they stay deleted, as in Docker), then,
// when it succeeded, a delete event for each Deleted entry of the response, named by the
// digest and without labels (Docker's image can no longer be resolved). A delete of
// platforms (opts.Platforms) emits no event. The caller publishes the events once the
// records' removal is committed, also when err is not nil.
func Remove(ctx context.Context, st model.Store, ctrs []imagesvc.Container, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, []imagesvc.Event, error) {
	rec := &removeRecorder{Store: st}
	resp, err := model.Remove(ctx, rec, ctrs, ref, opts)
	events := rec.events
	if err == nil && len(opts.Platforms) == 0 {
		for _, r := range resp {
			if r.Deleted != "" {
				events = append(events, Delete(r.Deleted, nil))
			}
		}
	}
	return resp, events, err
}

// removeRecorder notes the records model.Remove deletes.
type removeRecorder struct {
	model.Store
	events []imagesvc.Event
}

func (r *removeRecorder) DeleteRecord(ctx context.Context, rec model.Record, last bool) error {
	if err := r.Store.DeleteRecord(ctx, rec, last); err != nil {
		return err
	}
	if !rec.Dangling() {
		r.events = append(r.events, Untag(rec.Target, rec.Familiar()))
	}
	return nil
}

// Pruned returns the events of one record a prune removed (spec §4.4): untag, for a
// dangling record too (named by the digest), then, when the prune freed the image's index
// or manifest (freed), delete with the same name. Neither carries labels. A prune emits
// no "prune" event (containerd).
func Pruned(r model.Record, freed bool) []imagesvc.Event {
	name := r.Familiar()
	out := []imagesvc.Event{Untag(r.Target, name)}
	if freed {
		out = append(out, PruneDelete(r.Target, name))
	}
	return out
}

// ImportEvents returns the events of a successful import of the image manifest, named
// ref (nil for none): with a name, tag first (as Docker does) then import, both with the
// image's labels.
func ImportEvents(ctx context.Context, manifest digest.Digest, ref reference.Named, labels Labels) []imagesvc.Event {
	l := labels.Of(ctx, manifest)
	var out []imagesvc.Event
	if ref != nil {
		out = append(out, Tag(manifest, ref, l))
	}
	return append(out, Import(manifest, l))
}

// Of returns the labels of d: none when labels is nil.
func (labels Labels) Of(ctx context.Context, d digest.Digest) map[string]string {
	if labels == nil {
		return nil
	}
	return labels(ctx, d)
}
