package transfer

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// progressInterval is how often the state of every unfinished upload is re-emitted
// (Docker's ticker, spec §8.3).
const progressInterval = 100 * time.Millisecond

// serialReporter forwards events to a ProgressFunc one at a time: the ticker and the push
// both report.
type serialReporter struct {
	mu sync.Mutex
	f  imagesvc.ProgressFunc
}

func (r *serialReporter) report(ev imagesvc.ProgressEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f.Report(ev)
}

// jobs are the blobs whose upload is shown, by digest, in the order they were added.
type jobs struct {
	mu    sync.Mutex
	descs []ocispec.Descriptor
	index map[digest.Digest]bool
}

func newJobs() *jobs { return &jobs{index: map[digest.Digest]bool{}} }

// add tracks desc unless it is tracked already or its digest is not valid.
func (j *jobs) add(desc ocispec.Descriptor) {
	if desc.Digest.Validate() != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.index[desc.Digest] {
		return
	}
	j.index[desc.Digest] = true
	j.descs = append(j.descs, desc)
}

// remove stops tracking desc (its upload finished).
func (j *jobs) remove(desc ocispec.Descriptor) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.index, desc.Digest)
	j.descs = slices.DeleteFunc(j.descs, func(d ocispec.Descriptor) bool { return d.Digest == desc.Digest })
}

// list returns the tracked blobs.
func (j *jobs) list() []ocispec.Descriptor {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.descs)
}

// showBlobProgress reports whether the upload of desc is shown: every blob but indexes,
// manifests and configs (small JSON documents), as Docker shows them.
func showBlobProgress(desc ocispec.Descriptor) bool {
	switch {
	case images.IsLayerType(desc.MediaType):
		return true
	case images.IsIndexType(desc.MediaType), images.IsManifestType(desc.MediaType), images.IsConfigType(desc.MediaType):
		return false
	}
	return true
}

// pushProgress turns the statuses containerd's pusher records in its tracker into
// Docker's push records (moby's pushProgress).
type pushProgress struct {
	tracker     docker.StatusTracker
	jobs        *jobs
	report      func(imagesvc.ProgressEvent)
	unavailable atomic.Bool // not started uploads show as "Unavailable" (index fallback)
}

// update emits the state of every tracked upload, and stops tracking those that
// finished.
func (p *pushProgress) update(ctx context.Context) {
	for _, j := range p.jobs.list() {
		id := model.Truncate(j.Digest.String())
		status, err := p.tracker.GetStatus(remotes.MakeRefKey(ctx, j))
		notStarted := status.Total > 0 && status.Offset == 0
		if err != nil || notStarted {
			if p.unavailable.Load() {
				p.report(blobEvent(id, imagesvc.StatusUnavailable))
				continue
			}
			if errdefs.IsNotFound(err) {
				p.report(blobEvent(id, imagesvc.StatusWaiting))
				continue
			}
		}
		if status.Committed && status.Offset >= status.Total {
			switch {
			case status.MountedFrom != "":
				from := status.MountedFrom
				if ref, err := reference.ParseNormalizedNamed(from); err == nil {
					from = reference.Path(ref)
				} else if _, path, ok := strings.Cut(from, "/"); ok {
					from = path
				}
				p.report(blobEvent(id, imagesvc.MountedFrom(from)))
			case status.Exists && images.IsLayerType(j.MediaType):
				p.report(blobEvent(id, imagesvc.StatusLayerAlreadyExists))
			case status.Exists:
				p.report(blobEvent(id, imagesvc.StatusAlreadyExists))
			default:
				p.report(blobEvent(id, imagesvc.StatusPushed))
			}
			p.jobs.remove(j)
			continue
		}
		p.report(imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusPushing,
			Detail: &imagesvc.ProgressDetail{Current: status.Offset, Total: status.Total}})
	}
}

// blobEvent is a progress record without counts ({"status":...,"progressDetail":{},"id":...}).
func blobEvent(id, status string) imagesvc.ProgressEvent {
	return imagesvc.ProgressEvent{ID: id, Status: status, Detail: &imagesvc.ProgressDetail{}}
}

// show re-emits the state of the uploads every interval until the returned function is
// called, which emits it a last time and returns once nothing more will be reported.
func (p *pushProgress) show(ctx context.Context, interval time.Duration) (finish func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.update(ctx)
			case <-ctx.Done():
				p.update(context.WithoutCancel(ctx))
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}
