package containerd

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/eventlog"
	"github.com/imageapi/imageapi/internal/model"
)

var _ imagesvc.EventWatcher = (*Store)(nil)

// WatchEvents implements [imagesvc.EventWatcher]: the events of the Store's own actions,
// published by each action once it succeeded with Docker's rules (package
// internal/eventlog), and the changes other containerd clients make to the namespace's
// image records, translated from containerd's events (see [imageWatch]). The events are
// kept per Store, for as long as it is open.
func (s *Store) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	return s.watch.log.WatchEvents(ctx, opts, fn)
}

// publish publishes the events of one of the Store's own actions.
func (s *Store) publish(events ...imagesvc.Event) { s.watch.log.Publish(events...) }

// Images changed behind the Store's back.
//
// containerd's image events name a record but not its target, so the Store keeps what it
// knows of the namespace's records (name → target digest: known) and, when containerd
// reports a change to a name, reads the record and compares. The Store's own writes update
// known as they happen (recorded, unrecorded), under lockWrites, and the comparison runs
// under lockWrites too: a containerd event caused by the Store's own write then finds the
// record as known already says it is, and reports nothing. Only the changes of other
// clients are left, translated as follows (moby-dangling@ records count as records of
// their target but give no events, nor do the temporary records of transfers):
//
//   - a name created, or moved to another target: "tag" with the new target digest and
//     the image's config labels (a moved name gives only this event, as a moved tag does
//     in Docker);
//   - a name deleted: "untag" with the target it had, "name" only;
//   - then, for each target that lost a record, "delete" (target digest, "name" the digest)
//     when no record of it is left.
//
// Before it changes records, an action of the Store first lets containerd's events of
// the changes made before it arrive (a barrier, see [eventLoop.sync]) and reports them, so
// that an external change is reported before an action that overwrites it. When the event
// stream was lost, every record is listed once it is back and compared with known: the
// changes made meanwhile are reported then (changes undone meanwhile are not seen). The
// first list after New only learns the records. A name changed twice between two
// comparisons gives the events of its net change.
type imageWatch struct {
	s   *Store
	log *eventlog.Log

	mu     sync.Mutex
	known  map[string]digest.Digest // record name → target, as last reported or written
	loaded bool                     // known was filled from a full list
	dirty  map[string]bool          // names containerd reported changed, to compare
	full   bool                     // every record is to be listed and compared
	wake   chan struct{}
	done   chan struct{}
}

func newImageWatch(s *Store) *imageWatch {
	return &imageWatch{s: s, log: eventlog.New(eventlog.Options{Buffered: s.opts.EventsBuffered}), known: map[string]digest.Digest{},
		dirty: map[string]bool{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// start runs the comparisons containerd's events ask for, until the Store closes.
func (w *imageWatch) start() {
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.s.ctx.Done():
				return
			case <-w.wake:
			}
			unlock, err := w.s.takeWrites(w.s.ctx)
			if err != nil {
				return
			}
			w.reconcile(w.s.nsContext(w.s.ctx))
			unlock()
		}
	}()
}

func (w *imageWatch) stop() { <-w.done }

func (w *imageWatch) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// changed is called by the event loop for an image event about name.
func (w *imageWatch) changed(name string) {
	if isPullRecord(name) {
		return
	}
	w.mu.Lock()
	w.dirty[name] = true
	w.mu.Unlock()
	w.signal()
}

// resync is called by the event loop when a subscription is confirmed: every record is
// to be compared, since events may have been missed.
func (w *imageWatch) resync() {
	w.mu.Lock()
	w.full = true
	w.mu.Unlock()
	w.signal()
}

// recorded notes that the Store itself pointed the record name at target.
func (s *Store) recorded(name string, target digest.Digest) {
	s.watch.mu.Lock()
	s.watch.known[name] = target
	s.watch.mu.Unlock()
}

// unrecorded notes that the Store itself deleted the record name.
func (s *Store) unrecorded(name string) {
	s.watch.mu.Lock()
	delete(s.watch.known, name)
	s.watch.mu.Unlock()
}

// settle reports the changes of other clients made before it was called; the caller
// holds lockWrites and is about to change records.
func (w *imageWatch) settle(ctx context.Context) {
	w.s.events.sync(ctx)
	w.reconcile(ctx)
}

// recordChange is one record name whose target changed behind the Store's back.
type recordChange struct {
	name     string
	old, cur digest.Digest // "" when the record did not exist / no longer exists
	target   ocispec.Descriptor
}

// reconcile compares the records containerd reported changed (all of them after a resync)
// with known, updates known and publishes the events of the differences. The caller holds
// lockWrites.
func (w *imageWatch) reconcile(ctx context.Context) {
	w.mu.Lock()
	dirty, full := w.dirty, w.full
	w.dirty, w.full = map[string]bool{}, false
	w.mu.Unlock()
	if len(dirty) == 0 && !full {
		return
	}
	is := w.s.client.ImageService()
	current := map[string]images.Image{}
	failed := map[string]bool{}
	if full {
		recs, err := is.List(ctx)
		if err != nil {
			w.s.log.Debug("listing images for events", "error", err)
			w.mu.Lock()
			w.full = true
			w.mu.Unlock()
			return
		}
		for _, r := range withoutPullRecords(recs) {
			current[r.Name] = r
		}
	} else {
		for name := range dirty {
			r, err := is.Get(ctx, name)
			switch {
			case err == nil:
				current[name] = r
			case errdefs.IsNotFound(err):
			default:
				// Compared again with the next event, or after the next resync.
				w.s.log.Debug("reading an image for events", "name", name, "error", err)
				failed[name] = true
			}
		}
	}

	w.mu.Lock()
	if full && !w.loaded {
		// The first list: learn the records, report nothing.
		w.known = make(map[string]digest.Digest, len(current))
		for name, r := range current {
			w.known[name] = r.Target.Digest
		}
		w.loaded = true
		w.mu.Unlock()
		return
	}
	if !w.loaded {
		// Nothing to compare with yet: the first list, once the subscription is
		// confirmed, learns the records.
		w.mu.Unlock()
		return
	}
	var changes []recordChange
	names := map[string]bool{}
	if full {
		for name := range w.known {
			names[name] = true
		}
		for name := range current {
			names[name] = true
		}
	} else {
		for name := range dirty {
			if failed[name] {
				w.dirty[name] = true
			} else {
				names[name] = true
			}
		}
	}
	for name := range names {
		old := w.known[name]
		r, ok := current[name]
		var cur digest.Digest
		if ok {
			cur = r.Target.Digest
		}
		if old == cur {
			continue
		}
		changes = append(changes, recordChange{name: name, old: old, cur: cur, target: r.Target})
		if ok {
			w.known[name] = cur
		} else {
			delete(w.known, name)
		}
	}
	slices.SortFunc(changes, func(a, b recordChange) int { return strings.Compare(a.name, b.name) })
	left := map[digest.Digest]bool{} // targets that lost a record and have none left
	for _, c := range changes {
		if c.old != "" {
			left[c.old] = true
		}
	}
	for _, d := range w.known {
		delete(left, d)
	}
	w.mu.Unlock()

	var evs []imagesvc.Event
	for _, c := range changes {
		if isDangling(c.name) {
			continue
		}
		named, err := reference.ParseNormalizedNamed(c.name)
		if err != nil {
			continue // not a Docker reference: not an image name Docker would show
		}
		switch {
		case c.cur != "":
			evs = append(evs, eventlog.Tag(c.cur, named, w.s.eventLabels(ctx, c.target)))
		case c.old != "":
			evs = append(evs, eventlog.Untag(c.old, reference.FamiliarString(named)))
		}
	}
	for _, c := range changes {
		if c.old != "" && left[c.old] {
			delete(left, c.old)
			evs = append(evs, eventlog.Delete(c.old, nil))
		}
	}
	w.log.Publish(evs...)
}

// eventLabels returns the config labels of the image whose target is target, as Docker's
// events carry them: those of the manifest inspect shows (nil when there is none, or it
// cannot be read).
func (s *Store) eventLabels(ctx context.Context, target ocispec.Descriptor) map[string]string {
	ms, err := model.ReadManifests(ctx, s.newContentView(nil), target, model.ReadOptions{Logger: s.log})
	if err != nil {
		return nil
	}
	view := make([]model.Manifest, len(ms))
	for i, m := range ms {
		view[i] = model.ManifestOf(m)
	}
	i := model.InspectBest(view, s.platform)
	if i < 0 || ms[i].Config == nil {
		return nil
	}
	return ms[i].Config.Config.Labels
}

// knownLabels gives the event labels of the targets descs without looking their
// records up again (other digests: targetLabels); each target's labels are read once.
// The function it returns is for one goroutine.
func (s *Store) knownLabels(descs ...ocispec.Descriptor) eventlog.Labels {
	read := map[digest.Digest]map[string]string{}
	return func(ctx context.Context, d digest.Digest) map[string]string {
		if l, ok := read[d]; ok {
			return l
		}
		for _, desc := range descs {
			if desc.Digest == d {
				read[d] = s.eventLabels(ctx, desc)
				return read[d]
			}
		}
		return s.targetLabels(ctx, d)
	}
}

// targetLabels returns the config labels of the image whose target digest is d, or nil
// when no record has that target.
func (s *Store) targetLabels(ctx context.Context, d digest.Digest) map[string]string {
	recs, err := (&recordStore{s: s}).recordsOf(ctx, d)
	if err != nil || len(recs) == 0 {
		return nil
	}
	return s.eventLabels(ctx, recs[0].Target)
}
