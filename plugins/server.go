package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// server is the plugin side: it serves an imagesvc.Service as the Backend gRPC service.
type server struct {
	pb.UnimplementedBackendServer

	impl    imagesvc.Service
	caps    Capabilities // those of impl, announced in Init
	broker  *plugin.GRPCBroker
	name    string
	version string
	logger  *slog.Logger
	nonce   [16]byte // the random part of this process's etags (listversion.go)

	mu        sync.Mutex
	usage     pb.UsageClient
	usageConn *grpc.ClientConn
}

func newServer(impl imagesvc.Service, opts ServeOptions, logger *slog.Logger) *server {
	return &server{impl: impl, caps: CapabilitiesOf(impl), name: opts.Name, version: opts.Version, logger: logger, nonce: newNonce()}
}

// close releases the connection to the host's usage service.
func (s *server) close() {
	s.mu.Lock()
	conn := s.usageConn
	s.usage, s.usageConn = nil, nil
	s.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// withHost puts the host's usage service in ctx, for [HostUsage]; the hostCall tells
// whether the call used it.
func (s *server) withHost(ctx context.Context) (context.Context, *hostCall) {
	s.mu.Lock()
	u := s.usage
	s.mu.Unlock()
	call := &hostCall{usage: u}
	if u == nil {
		return ctx, call
	}
	return context.WithValue(ctx, usageKey{}, call), call
}

func (s *server) Init(ctx context.Context, req *pb.InitRequest) (*pb.InitResponse, error) {
	if v := req.GetProtocolVersion(); v != ProtocolVersion {
		return nil, toStatus(errdefs.ErrFailedPrecondition.WithMessage(fmt.Sprintf(
			"the host speaks plugin protocol version %d; this plugin serves version %d", v, ProtocolVersion)))
	}
	if id := req.GetUsageBrokerId(); id != 0 && s.broker != nil {
		conn, err := s.broker.DialWithOptions(id, dialOptions()...)
		if err != nil {
			return nil, toStatus(fmt.Errorf("connecting to the host's usage service: %w", errdefs.ErrUnavailable.WithMessage(err.Error())))
		}
		s.mu.Lock()
		old := s.usageConn
		s.usage, s.usageConn = pb.NewUsageClient(conn), conn
		s.mu.Unlock()
		if old != nil {
			_ = old.Close()
		}
	}
	s.logger.Debug("host connected", "protocol", ProtocolVersion, "usage", req.GetUsageBrokerId() != 0, "capabilities", s.caps.String())
	return &pb.InitResponse{ProtocolVersion: ProtocolVersion, Name: s.name, Version: s.version, Capabilities: s.caps.names()}, nil
}

// List is served by listEncoded (the fast path, see fastlist.go); this version with the
// generated types is what other implementations of the protocol do.
func (s *server) List(req *pb.ListRequest, stream grpc.ServerStreamingServer[pb.ListResponse]) error {
	ans, err := s.list(stream.Context(), req)
	if err != nil {
		return err
	}
	if ans.notModified {
		return stream.Send(&pb.ListResponse{Etag: ans.etag, NotModified: true})
	}
	sums := ans.sums
	if len(sums) == 0 && ans.etag != "" {
		return stream.Send(&pb.ListResponse{Etag: ans.etag})
	}
	const per = 500
	for i := 0; i < len(sums); i += per {
		resp := &pb.ListResponse{}
		if i == 0 {
			resp.Total = uint32(len(sums))
			resp.Etag = ans.etag
		}
		for j := i; j < min(i+per, len(sums)); j++ {
			resp.Images = append(resp.Images, encodeSummary(&sums[j]))
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
	return nil
}

// listEncoded answers List with the fast path: the list is encoded by one goroutine while
// this one sends, since gRPC's SendMsg waits until most of a message is written out.
func (s *server) listEncoded(req *pb.ListRequest, stream grpc.ServerStream) error {
	ans, err := s.list(stream.Context(), req)
	if err != nil {
		return err
	}
	if ans.notModified {
		e := encodeNotModified(ans.etag)
		return stream.SendMsg(&e)
	}
	chunks := make(chan encodedList, 8)
	stop := make(chan struct{})
	encoded := make(chan error, 1)
	go func() {
		defer close(chunks)
		encoded <- encodeList(ans.sums, ans.etag, func(e encodedList) error {
			select {
			case chunks <- e:
				return nil
			case <-stop:
				listPool.Put(e.buf)
				return errStopped
			}
		})
	}()
	var sendErr error
	for e := range chunks {
		if sendErr != nil {
			listPool.Put(e.buf)
			continue
		}
		if sendErr = stream.SendMsg(&e); sendErr != nil {
			close(stop)
		}
	}
	if err := <-encoded; sendErr == nil && err != nil {
		return err
	}
	return sendErr
}

// errStopped ends an encoding whose sending failed.
var errStopped = errors.New("stopped")

// listAnswer is the answer to a list: the images and their etag, or not modified.
type listAnswer struct {
	sums        []imagesvc.Summary
	etag        string // "" for none
	notModified bool   // the host's answer (req.if_none_match) still holds; no sums
}

// list answers a list request. When the backend is a [ListVersioner], the answer gets an
// etag, unless it depends on more than the backend's version (an until filter, the host's
// containers); a request whose if_none_match is that etag is answered not modified,
// without listing.
func (s *server) list(ctx context.Context, req *pb.ListRequest) (listAnswer, error) {
	args, err := filters.FromJSON(req.GetFilters())
	if err != nil {
		return listAnswer{}, toStatus(err)
	}
	var etag string
	if v, ok := s.impl.(ListVersioner); ok && !args.Contains("until") {
		// Read before listing: a write that races the list changes the version after
		// this, so the etag can only name an older answer, never a newer one.
		version, err := v.ListVersion(ctx)
		if err == nil {
			etag = s.etag(version, req)
		} else if ctx.Err() == nil {
			s.logger.Debug("the backend has no list version; answering in full", "error", err)
		}
	}
	if etag != "" && req.GetIfNoneMatch() == etag {
		return listAnswer{etag: etag, notModified: true}, nil
	}
	ctx, call := s.withHost(ctx)
	sums, err := s.impl.List(ctx, imagesvc.ListOptions{
		All:        req.GetAll(),
		Filters:    args,
		SharedSize: req.GetSharedSize(),
		Manifests:  req.GetManifests(),
		Identity:   req.GetIdentity(),
	})
	if err != nil {
		return listAnswer{}, toStatus(err)
	}
	if call.asked.Load() {
		etag = "" // the host's containers change without a new version
	}
	return listAnswer{sums: sums, etag: etag}, nil
}

func (s *server) Inspect(ctx context.Context, req *pb.InspectRequest) (*pb.InspectResponse, error) {
	var ref imagesvc.ImageRef
	if req.GetRef() != "" {
		var err error
		if ref, err = imagesvc.ParseImageRef(req.GetRef()); err != nil {
			return nil, toStatus(err)
		}
	}
	hctx, _ := s.withHost(ctx)
	img, err := s.impl.Inspect(hctx, ref, imagesvc.InspectOptions{
		Manifests: req.GetManifests(),
		Platform:  decodePlatform(req.GetPlatform()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if img == nil {
		return nil, toStatus(errdefs.ErrInternal.WithMessage("the backend returned no image and no error"))
	}
	return &pb.InspectResponse{Image: encodeImage(img)}, nil
}

func (s *server) Pull(req *pb.PullRequest, stream grpc.ServerStreamingServer[pb.PullEvent]) error {
	var ref reference.Named
	if req.GetRef() != "" {
		var err error
		if ref, err = reference.ParseNormalizedNamed(req.GetRef()); err != nil {
			return toStatus(errdefs.ErrInvalidArgument.WithMessage(err.Error()))
		}
	}
	events := &eventSender[*pb.PullEvent]{stream: stream}
	progress := events.progress(func(p *pb.Progress) *pb.PullEvent {
		return &pb.PullEvent{Event: &pb.PullEvent_Progress{Progress: p}}
	})
	hctx, _ := s.withHost(stream.Context())
	pulled, err := s.impl.Pull(hctx, imagesvc.PullRequest{
		Ref:      ref,
		Platform: decodePlatform(req.GetPlatform()),
		Auth:     decodeAuth(req.GetAuth()),
	}, progress)
	if err != nil {
		return toStatus(err)
	}
	res := &pb.PullResult{Images: make([]*pb.PulledImage, len(pulled))}
	for i, p := range pulled {
		res.Images[i] = &pb.PulledImage{Ref: p.Ref, Id: string(p.ID), Updated: p.Updated}
	}
	return events.send(&pb.PullEvent{Event: &pb.PullEvent_Result{Result: res}})
}

// eventSender sends the events of one streaming call one at a time: the progress
// contract promises one caller at a time, but a backend that breaks it must not make two
// Sends run at once, which gRPC forbids.
type eventSender[M any] struct {
	mu     sync.Mutex
	stream interface{ Send(M) error }
}

func (e *eventSender[M]) send(m M) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stream.Send(m)
}

// progress returns the progress function of the call: it sends each event wrapped by
// wrap, and ignores a failed send (the call is over; its end tells why).
func (e *eventSender[M]) progress(wrap func(*pb.Progress) M) imagesvc.ProgressFunc {
	return func(ev imagesvc.ProgressEvent) {
		_ = e.send(wrap(encodeProgress(ev)))
	}
}

func (s *server) Import(stream grpc.BidiStreamingServer[pb.ImportMessage, pb.ImportEvent]) error {
	h, err := receiveHeader[pb.ImportHeader](stream, "import")
	if err != nil {
		return err
	}
	req := imagesvc.ImportRequest{
		Message:  h.GetMessage(),
		Platform: decodePlatform(h.GetPlatform()),
	}
	if u := h.GetUrl(); u != "" {
		if req.URL, err = url.Parse(u); err != nil {
			return toStatus(errdefs.ErrInvalidArgument.WithMessage(err.Error()))
		}
	}
	if r := h.GetRef(); r != "" {
		named, err := reference.ParseNormalizedNamed(r)
		if err != nil {
			return toStatus(errdefs.ErrInvalidArgument.WithMessage(err.Error()))
		}
		tagged, ok := named.(reference.NamedTagged)
		if !ok {
			return toStatus(errdefs.ErrInvalidArgument.WithMessage("import: the reference " + r + " has no tag"))
		}
		req.Ref = tagged
	}
	if req.Changes, err = decodeChanges(h); err != nil {
		return toStatus(err)
	}
	if h.GetHasSource() {
		pr := receiveChunks(stream, "import")
		defer pr.CloseWithError(errSourceDone)
		req.Source = pr
	}

	events := &eventSender[*pb.ImportEvent]{stream: stream}
	progress := events.progress(func(p *pb.Progress) *pb.ImportEvent {
		return &pb.ImportEvent{Event: &pb.ImportEvent_Progress{Progress: p}}
	})
	hctx, _ := s.withHost(stream.Context())
	id, err := s.impl.Import(hctx, req, progress)
	if err != nil {
		return toStatus(err)
	}
	return events.send(&pb.ImportEvent{Event: &pb.ImportEvent_Result{Result: &pb.ImportResult{Id: string(id)}}})
}

// notImplemented is the answer to a call of a capability the backend lacks (and which
// the plugin did not announce).
func notImplemented(method, iface string) error {
	return toStatus(errdefs.ErrNotImplemented.WithMessage(fmt.Sprintf(
		"%s: the plugin's backend does not implement %s", method, iface)))
}

// parseRef parses a reference sent by the host; "" is the zero ImageRef, which the
// backend refuses as its contract says.
func parseRef(s string) (imagesvc.ImageRef, error) {
	if s == "" {
		return imagesvc.ImageRef{}, nil
	}
	return imagesvc.ParseImageRef(s)
}

func (s *server) Remove(ctx context.Context, req *pb.RemoveRequest) (*pb.RemoveResponse, error) {
	r, ok := imagesvc.As[imagesvc.Remover](s.impl)
	if !ok {
		return nil, notImplemented("Remove", "imagesvc.Remover")
	}
	ref, err := parseRef(req.GetRef())
	if err != nil {
		return nil, toStatus(err)
	}
	opts := imagesvc.RemoveOptions{Force: req.GetForce(), NoPrune: req.GetNoPrune()}
	for _, p := range req.GetPlatforms() {
		opts.Platforms = append(opts.Platforms, decodePlatformValue(p))
	}
	hctx, _ := s.withHost(ctx)
	out, err := r.Remove(hctx, ref, opts)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.RemoveResponse{Deleted: encodeDeleteResponses(out)}, nil
}

func (s *server) Tag(ctx context.Context, req *pb.TagRequest) (*pb.TagResponse, error) {
	t, ok := imagesvc.As[imagesvc.Tagger](s.impl)
	if !ok {
		return nil, notImplemented("Tag", "imagesvc.Tagger")
	}
	source, err := parseRef(req.GetSource())
	if err != nil {
		return nil, toStatus(err)
	}
	var target reference.NamedTagged
	if req.GetTarget() != "" {
		named, err := reference.ParseNormalizedNamed(req.GetTarget())
		if err != nil {
			return nil, toStatus(errdefs.ErrInvalidArgument.WithMessage(err.Error()))
		}
		tagged, ok := named.(reference.NamedTagged)
		if !ok {
			return nil, toStatus(errdefs.ErrInvalidArgument.WithMessage("tag: the target " + req.GetTarget() + " has no tag"))
		}
		target = tagged
	}
	hctx, _ := s.withHost(ctx)
	if err := t.Tag(hctx, source, target); err != nil {
		return nil, toStatus(err)
	}
	return &pb.TagResponse{}, nil
}

func (s *server) Prune(ctx context.Context, req *pb.PruneRequest) (*pb.PruneResponse, error) {
	p, ok := imagesvc.As[imagesvc.Pruner](s.impl)
	if !ok {
		return nil, notImplemented("Prune", "imagesvc.Pruner")
	}
	args, err := filters.FromJSON(req.GetFilters())
	if err != nil {
		return nil, toStatus(err)
	}
	hctx, _ := s.withHost(ctx)
	rep, err := p.Prune(hctx, imagesvc.PruneOptions{Filters: args})
	if err != nil {
		return nil, toStatus(err)
	}
	if rep == nil {
		return nil, toStatus(errdefs.ErrInternal.WithMessage("the backend returned no prune report and no error"))
	}
	return &pb.PruneResponse{ImagesDeleted: encodeDeleteResponses(rep.ImagesDeleted), SpaceReclaimed: rep.SpaceReclaimed}, nil
}

func (s *server) History(ctx context.Context, req *pb.HistoryRequest) (*pb.HistoryResponse, error) {
	h, ok := imagesvc.As[imagesvc.Historian](s.impl)
	if !ok {
		return nil, notImplemented("History", "imagesvc.Historian")
	}
	ref, err := parseRef(req.GetRef())
	if err != nil {
		return nil, toStatus(err)
	}
	hctx, _ := s.withHost(ctx)
	items, err := h.History(hctx, ref, imagesvc.HistoryOptions{Platform: decodePlatform(req.GetPlatform())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.HistoryResponse{Items: encodeHistory(items)}, nil
}

// Login serves [imagesvc.RegistryAuthenticator]. Neither the credentials nor the token
// are logged.
func (s *server) Login(ctx context.Context, req *pb.LoginRequest) (*pb.LoginResponse, error) {
	a, ok := imagesvc.As[imagesvc.RegistryAuthenticator](s.impl)
	if !ok {
		return nil, notImplemented("Login", "imagesvc.RegistryAuthenticator")
	}
	var auth imagesvc.AuthConfig
	if m := decodeAuth(req.GetAuth()); m != nil {
		auth = *m
	}
	hctx, _ := s.withHost(ctx)
	token, err := a.Login(hctx, auth)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.LoginResponse{IdentityToken: token}, nil
}

// DistributionInspect serves [imagesvc.DistributionInspector].
func (s *server) DistributionInspect(ctx context.Context, req *pb.DistributionInspectRequest) (*pb.DistributionInspectResponse, error) {
	d, ok := imagesvc.As[imagesvc.DistributionInspector](s.impl)
	if !ok {
		return nil, notImplemented("DistributionInspect", "imagesvc.DistributionInspector")
	}
	var ref reference.Named
	if r := req.GetRef(); r != "" {
		var err error
		if ref, err = reference.ParseNormalizedNamed(r); err != nil {
			return nil, toStatus(errdefs.ErrInvalidArgument.WithMessage(err.Error()))
		}
	}
	hctx, _ := s.withHost(ctx)
	info, err := d.DistributionInspect(hctx, ref, decodeAuth(req.GetAuth()))
	if err != nil {
		return nil, toStatus(err)
	}
	if info == nil {
		return nil, toStatus(errdefs.ErrInternal.WithMessage("the backend returned no distribution information and no error"))
	}
	return encodeDistributionInfo(info), nil
}
