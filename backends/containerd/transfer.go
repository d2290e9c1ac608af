package containerd

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/transfer"
	transferimage "github.com/containerd/containerd/v2/core/transfer/image"
	"github.com/containerd/containerd/v2/core/transfer/registry"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/pull"
)

// Layers through containerd's transfer service.
//
// Fetched by this process, every layer byte crosses the process twice: from the registry
// into this process, then over gRPC into containerd's content store. The transfer service
// of containerd 2.x (what `ctr pull` uses) fetches inside the daemon instead. The pull
// engine still resolves the reference, selects the platform and fetches the index,
// manifest and config here (small blobs, and the errors Docker's clients expect); only the
// layers of the selected manifest are left to the transfer service, by digest, and it
// unpacks them as they arrive.
//
// The transfer service always ends by creating an image record. It is given a temporary
// name that is not a Docker reference (pullRecordPrefix), which List and Inspect skip, and
// which is deleted as soon as the transfer returns; the real name is set afterwards, as on
// the local path, so that the name only ever points at a fully unpacked image. The record
// also carries containerd's gc.expire label, so that one left behind by a crash does not
// keep its content alive, and New removes such leftovers.

// pullRecordPrefix starts the names of the temporary records of transfers.
const pullRecordPrefix = "imageapi-pull@"

// labelGCExpire is containerd's label after which an image record no longer holds its
// content.
const labelGCExpire = "containerd.io/gc.expire"

// isPullRecord reports whether a record name is a temporary record of a transfer.
func isPullRecord(name string) bool { return strings.HasPrefix(name, pullRecordPrefix) }

// withoutPullRecords removes the temporary records of transfers from recs, in place:
// every record list the Store reads goes through it (and their events are ignored), so
// that nothing counts them as names of an image.
func withoutPullRecords(recs []images.Image) []images.Image {
	return slices.DeleteFunc(recs, func(r images.Image) bool { return isPullRecord(r.Name) })
}

// hasTransfer reports whether the daemon serves what pulls through the transfer service
// need: containerd 2.x (1.7's experimental service is not used), with the transfer plugin
// and the transfer and streaming gRPC services loaded.
func (s *Store) hasTransfer(ctx context.Context) bool {
	v, err := s.client.Version(ctx)
	if err != nil || !strings.HasPrefix(strings.TrimPrefix(v.Version, "v"), "2.") {
		return false
	}
	resp, err := s.client.IntrospectionService().Plugins(ctx,
		`type=="io.containerd.transfer.v1"`, `type=="io.containerd.grpc.v1",id=="transfer"`, `type=="io.containerd.grpc.v1",id=="streaming"`)
	if err != nil {
		return false
	}
	loaded := map[string]bool{} // by type, and by type/id for the gRPC services
	for _, p := range resp.Plugins {
		if p.InitErr == nil {
			loaded[p.Type], loaded[p.Type+"/"+p.ID] = true, true
		}
	}
	return loaded["io.containerd.transfer.v1"] && loaded["io.containerd.grpc.v1/transfer"] && loaded["io.containerd.grpc.v1/streaming"]
}

// removePullRecords deletes the temporary records of transfers whose gc.expire (the start
// of their transfer) is over an hour old: those a crashed process left behind, which
// garbage collection would otherwise only remove once it runs. A live transfer's record
// is deleted within moments of being created.
func (s *Store) removePullRecords(ctx context.Context) {
	recs, err := s.client.ImageService().List(ctx, `name~="^`+pullRecordPrefix+`"`)
	if err != nil {
		s.log.Debug("listing temporary pull records", "error", err)
		return
	}
	for _, r := range recs {
		exp, err := time.Parse(time.RFC3339, r.Labels[labelGCExpire])
		if !isPullRecord(r.Name) || (err == nil && time.Since(exp) < time.Hour) {
			continue
		}
		if err := s.client.ImageService().Delete(ctx, r.Name); err != nil && !errdefs.IsNotFound(err) {
			s.log.Debug("removing a temporary pull record", "name", r.Name, "error", err)
		}
	}
}

// transferLayers is the pull engine's LayerFetcher that has containerd's transfer service
// fetch and unpack the layers of req.Manifest into the Store's snapshotter.
func (s *Store) transferLayers(platform ocispec.Platform) pull.LayerFetcher {
	return func(ctx context.Context, req pull.LayerRequest) ([]pull.Layer, error) {
		if len(req.Missing) == 0 {
			return s.layerDiffIDs(ctx, req) // the unpack that follows checks the snapshots
		}
		ref := reference.TrimNamed(req.Name).String() + "@" + req.Manifest.Digest.String()
		var opts []registry.Opt
		if s.hostsDir != "" {
			opts = append(opts, registry.WithHostDir(s.hostsDir))
		}
		if s.puller.Insecure(reference.Domain(req.Name)) {
			opts = append(opts, registry.WithDefaultScheme("http"))
		}
		if user, secret, ok := pull.Credentials(req.Auth); ok {
			upstream, err := s.puller.UpstreamHost(ctx, reference.Domain(req.Name))
			if err != nil {
				return nil, fmt.Errorf("fetching the layers of %s: %w", reference.FamiliarString(req.Name), err)
			}
			opts = append(opts, registry.WithCredentials(staticCredentials{host: upstream, user: user, secret: secret}))
		}
		src, err := registry.NewOCIRegistry(ctx, ref, opts...)
		if err != nil {
			return nil, fmt.Errorf("fetching the layers of %s: %w", reference.FamiliarString(req.Name), err)
		}
		tmp := pullRecordPrefix + rand.Text()
		dst := transferimage.NewStore(tmp,
			transferimage.WithImageLabels(map[string]string{labelGCExpire: time.Now().UTC().Format(time.RFC3339)}),
			transferimage.WithUnpack(platform, s.snapshotter))

		// The transfer's own context ends with it: the client keeps a goroutine and a
		// stream open for the credentials, and one for the progress, until it does.
		tctx, cancel := context.WithCancel(ctx)
		pr := newTransferProgress(req)
		err = s.client.Transfer(tctx, src, dst, transfer.WithProgress(pr.event))
		pr.stop()
		if err == nil {
			pr.finish()
		}
		cancel()
		if derr := s.client.ImageService().Delete(context.WithoutCancel(ctx), tmp); derr != nil && !errdefs.IsNotFound(derr) {
			s.log.Warn("removing a temporary pull record", "name", tmp, "error", derr)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, transferError(req.Name, err)
		}
		return s.layerDiffIDs(ctx, req)
	}
}

// layerDiffIDs reads the diff ID of each layer of req from the uncompressed label the
// unpacker records, or takes it from the config when the daemon did not unpack (the
// snapshotter is not one its transfer service unpacks into): the unpack that follows then
// verifies it.
func (s *Store) layerDiffIDs(ctx context.Context, req pull.LayerRequest) ([]pull.Layer, error) {
	out := make([]pull.Layer, len(req.Layers))
	cs := s.client.ContentStore()
	for i, l := range req.Layers {
		if !images.IsLayerType(l.MediaType) {
			continue
		}
		info, err := cs.Info(ctx, l.Digest)
		if err != nil {
			return nil, ctxErr(ctx, fmt.Errorf("layer %s: %w", l.Digest, err))
		}
		if d, err := digest.Parse(info.Labels[pull.LabelUncompressed]); err == nil {
			out[i].DiffID = d
		} else if req.DiffIDs != nil {
			out[i].DiffID = req.DiffIDs[i]
		}
	}
	return out, nil
}

// transferError classifies a failed transfer like the local path's failures. The
// transfer service's errors keep their errdefs class across gRPC, but not the registry's
// HTTP status nor the network failure behind them, which are read from the message.
func transferError(named reference.Named, err error) error {
	msg := fmt.Sprintf("failed to pull %s: %v", reference.FamiliarString(named), err)
	text := err.Error()
	if m := unexpectedStatus.FindStringSubmatch(text); m != nil {
		switch code, _ := strconv.Atoi(m[1]); {
		case code == http.StatusUnauthorized:
			return errdefs.ErrUnauthenticated.WithMessage(msg)
		case code == http.StatusForbidden:
			return errdefs.ErrPermissionDenied.WithMessage(msg)
		case code == http.StatusNotFound:
			return errdefs.ErrNotFound.WithMessage(msg)
		case code == http.StatusTooManyRequests:
			return errdefs.ErrResourceExhausted.WithMessage(msg)
		case code >= 500:
			return errdefs.ErrUnavailable.WithMessage(msg)
		}
	}
	switch {
	case strings.Contains(text, "unexpected commit digest"), strings.Contains(text, "wrong diff id"):
		return errdefs.ErrDataLoss.WithMessage(msg)
	case undecompressable.MatchString(text):
		return errdefs.ErrInvalidArgument.WithMessage(msg)
	case errdefs.IsNotFound(err):
		return errdefs.ErrNotFound.WithMessage(msg)
	case errdefs.IsUnauthorized(err):
		return errdefs.ErrUnauthenticated.WithMessage(msg)
	case networkFailure.MatchString(text):
		return errdefs.ErrUnavailable.WithMessage(msg)
	}
	return fmt.Errorf("failed to pull %s: %w", reference.FamiliarString(named), err)
}

var (
	// unexpectedStatus matches the message of containerd's remotes.ErrUnexpectedStatus.
	unexpectedStatus = regexp.MustCompile(`unexpected status from [A-Z]+ request to \S+: (\d{3})`)
	// undecompressable matches the messages of layers that do not decompress or are not
	// tar archives.
	undecompressable = regexp.MustCompile(`gzip: invalid header|zstd: |invalid tar header|archive/tar: |failed to decompress|unsupported compression`)
	// networkFailure matches the messages of failures to reach a registry.
	networkFailure = regexp.MustCompile(`connection refused|connection reset|no such host|i/o timeout|TLS handshake|unexpected EOF`)
)

// staticCredentials answers the transfer service's credential requests with the pull's
// credentials when the registry itself asks (host), and with none when a mirror does: a
// registry's credentials never go to a mirror, as Docker keeps them.
type staticCredentials struct{ host, user, secret string }

func (c staticCredentials) GetCredentials(_ context.Context, _, host string) (registry.Credentials, error) {
	if host != c.host {
		return registry.Credentials{}, nil
	}
	return registry.Credentials{Username: c.user, Secret: c.secret}, nil
}

// transferProgress turns the transfer service's progress into Docker's layer statuses.
// The transfer client can deliver events after Transfer returns; stop drops those.
type transferProgress struct {
	report  func(imagesvc.ProgressEvent)
	missing map[digest.Digest]string // digest: short ID
	order   []digest.Digest          // the missing layers, in the manifest's order

	mu         sync.Mutex
	stopped    bool
	downloaded map[digest.Digest]bool // the layers reported downloaded
}

func newTransferProgress(req pull.LayerRequest) *transferProgress {
	p := &transferProgress{report: req.Report, missing: make(map[digest.Digest]string, len(req.Missing)),
		downloaded: map[digest.Digest]bool{}}
	for _, d := range req.Missing {
		p.missing[d.Digest] = pull.ShortID(d.Digest)
		p.order = append(p.order, d.Digest)
	}
	return p
}

// finish reports "Download complete" for the missing layers whose own event has not
// arrived: the transfer succeeded, so they are downloaded, but the daemon sends its last
// events on their own stream, which can arrive after the reply (waiting for them would
// add to every pull).
func (p *transferProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.order {
		if !p.downloaded[d] {
			p.downloaded[d] = true
			p.report(imagesvc.ProgressEvent{ID: p.missing[d], Status: imagesvc.StatusDownloadComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}})
		}
	}
}

// stop drops the events that arrive from now on.
func (p *transferProgress) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
}

func (p *transferProgress) event(ev transfer.Progress) {
	if ev.Desc == nil {
		return
	}
	id, ok := p.missing[ev.Desc.Digest]
	if !ok {
		return
	}
	var out imagesvc.ProgressEvent
	switch ev.Event {
	case "downloading":
		total := ev.Total
		if total <= 0 {
			total = ev.Desc.Size
		}
		out = imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusDownloading, Detail: &imagesvc.ProgressDetail{Current: ev.Progress, Total: total}}
	case "complete", "already exists":
		out = imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusDownloadComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}}
	case "extracting":
		out = imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusExtracting, Detail: &imagesvc.ProgressDetail{Current: ev.Progress, Total: ev.Total}}
	case "extracted":
		out = imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusPullComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}}
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	if out.Status == imagesvc.StatusDownloadComplete && p.downloaded[ev.Desc.Digest] {
		return // once per layer
	}
	if out.Status == imagesvc.StatusPullComplete && !p.downloaded[ev.Desc.Digest] {
		p.report(imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusDownloadComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}})
	}
	if out.Status == imagesvc.StatusDownloadComplete || out.Status == imagesvc.StatusPullComplete {
		p.downloaded[ev.Desc.Digest] = true
	}
	p.report(out)
}
