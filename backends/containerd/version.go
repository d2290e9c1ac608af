package containerd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
)

var _ imagesvc.ListVersioner = (*Store)(nil)

// ListVersion implements [imagesvc.ListVersioner]: it returns the Store's generation, a
// number bumped by every containerd event that can change a List or an Inspect (image
// records created, updated or deleted, content created or deleted, snapshots of the
// Store's snapshotter committed or removed, views prepared, and, without Options.Usage,
// container records created, updated or deleted), by the end of each of the Store's own
// writes (views prepared and removed included), and by the
// loss and the return of the event stream; prefixed with a value drawn by New, so that no
// other Store takes it.
//
// Before it reads the generation, ListVersion publishes a barrier event and waits until
// it comes back (the eventLoop's sync): every event containerd published before the call
// has then been handled. It fails with class Unavailable while the event stream is not
// live (events may be missed then, and the list cache is not trusted either), when the
// barrier does not come back in time, while one of the Store's own writes is in progress,
// and once the Store is closed; with class NotImplemented when Options.Usage is a usage
// provider that is not [imagesvc.UsageTrackedPerCall] (the answers depend on containers
// nothing here versions; a host that versions its provider implements that interface and
// gives httpadapter its Options.UsageVersion).
//
// # Why a 304 is never stale
//
// An answer kept at version v is reused only while ListVersion still returns v. So what
// must hold is: once a write is visible, every ListVersion that begins afterwards returns
// another version, or fails.
//
//   - Writes of other clients (ctr, a Docker Engine sharing the namespace, containerd's
//     own garbage collection on 2.x): containerd publishes the event of an image, content,
//     snapshot or container change inside the RPC that makes it, after its transaction
//     committed and before it answers (containerd 2.x: core/metadata/images.go and
//     content.go and snapshot.go publish after the bolt update commits,
//     plugins/services/containers/local.go after the store update; 1.6: services/images/local.go,
//     services/content/store.go, services/snapshots/snapshotters.go, and
//     services/containers/local.go, the same way). Publish returns once the exchange's
//     broadcaster took the event, and the broadcaster hands events to each subscriber in
//     the order it took them. So the event of a write whose RPC returned before
//     ListVersion began precedes ListVersion's barrier in the Store's subscription, and
//     the generation was bumped when the barrier comes back. containerd 2.x's garbage
//     collection publishes the snapshot removals it makes (core/metadata/db.go,
//     publishEvents), before a SynchronousDelete answers.
//   - The Store's own writes (pulls and imports from the moment they label and unpack an
//     image until they named it, loads while they record and unpack, and whatever holds
//     lockWrites: tag, remove, prune) are bracketed (beginWrite): ListVersion fails while
//     one is in progress, and its end bumps the generation after every RPC of the write
//     returned, the synchronous garbage collection of a remove included. That covers
//     what such a write changes without an event: content labels (the distribution source
//     that inspect shows), and on 1.6 the snapshots and blobs a synchronous delete's
//     garbage collection removes.
//   - A write that is still in flight when ListVersion runs (committed, its event not yet
//     published) may not be covered by that call: the answer and the request are then
//     concurrent with the write, and either order is right. The next ListVersion once the
//     write's RPC returned covers it.
//
// What containerd changes without any event is not covered, and is not seen by the list
// cache either: a read-only view a client other than a Store prepares with the view
// prefix (containerd publishes no event for a snapshot View; a Store publishes its own),
// labels set on content by another client (ctr content label), content
// another client writes on containerd 1.6 (which publishes no /content/create), and what
// a garbage collection that runs later removes without an event (content on 2.x, content
// and snapshots on 1.6). Collection removes only what no image references, so this
// concerns only an image whose answer depends on something it does not reference: an
// image record written by another client over content without containerd's GC labels, or
// an image that was not unpacked itself but shares a layer chain another image unpacked,
// when another client removes that image on containerd 1.6.
func (s *Store) ListVersion(ctx context.Context) (string, error) {
	if s.opts.Usage != nil {
		if _, ok := s.opts.Usage.(imagesvc.UsageTrackedPerCall); !ok {
			return "", errdefs.ErrNotImplemented.WithMessage("containerd store: lists depend on Options.Usage, which has no version")
		}
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	if !s.events.sync(ctx) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return "", errdefs.ErrUnavailable.WithMessage("containerd store: the event stream is not live")
	}
	return s.versions.current()
}

// listVersions is the generation ListVersion returns, and the Store's writes in progress.
type listVersions struct {
	token string

	mu      sync.Mutex
	gen     uint64
	writing int
}

func newListVersions() *listVersions {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &listVersions{token: hex.EncodeToString(b)}
}

// bump changes the generation.
func (v *listVersions) bump() {
	v.mu.Lock()
	v.gen++
	v.mu.Unlock()
}

// current returns the version, or Unavailable while a write is in progress.
func (v *listVersions) current() (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.writing > 0 {
		return "", errdefs.ErrUnavailable.WithMessage("containerd store: a write is in progress")
	}
	return v.token + "." + strconv.FormatUint(v.gen, 10), nil
}

// beginWrite marks one of the Store's writes in progress, before it changes anything;
// the function it returns (idempotent) ends it, once every change of the write was made:
// it bumps the generation, so that an answer computed while the write was in progress is
// never reused after it.
func (v *listVersions) beginWrite() func() {
	v.mu.Lock()
	v.writing++
	v.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			v.mu.Lock()
			v.gen++
			v.writing--
			v.mu.Unlock()
		})
	}
}
