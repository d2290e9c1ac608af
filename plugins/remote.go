package plugins

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/hashicorp/go-plugin"
	"github.com/opencontainers/go-digest"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// hostPlugin is the host side of go-plugin's plugin: it connects each new process.
type hostPlugin struct {
	usage imagesvc.UsageProvider
}

// conn is the host's connection to one plugin process.
type conn struct {
	cc  *grpc.ClientConn
	rpc pb.BackendClient

	usageID   uint32        // broker ID of the usage service; 0 without one
	usageDone chan struct{} // closed when the usage service has stopped

	lists listCache // the answers of the last lists that the plugin gave an etag
}

func (h *hostPlugin) connect(_ context.Context, broker *plugin.GRPCBroker, cc *grpc.ClientConn) *conn {
	c := &conn{cc: cc, rpc: pb.NewBackendClient(cc)}
	if h.usage != nil {
		c.usageID = broker.NextId()
		c.usageDone = make(chan struct{})
		srv := &usageServer{p: h.usage}
		go func() {
			defer close(c.usageDone)
			// It serves until go-plugin closes the broker, when the process is killed.
			broker.AcceptAndServe(c.usageID, func(opts []grpc.ServerOption) *grpc.Server {
				s := newGRPCServer(opts)
				pb.RegisterUsageServer(s, srv)
				return s
			})
		}()
	}
	return c
}

// The calls of one process. Their errors are raw gRPC errors, which the Client
// classifies.

func (c *conn) list(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	fj, err := opts.Filters.ToJSON()
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	req := &pb.ListRequest{
		All:        opts.All,
		Filters:    fj,
		SharedSize: opts.SharedSize,
		Manifests:  opts.Manifests,
		Identity:   opts.Identity,
	}
	key := listKey(req)
	cached := c.lists.get(key)
	if cached != nil {
		req.IfNoneMatch = cached.etag
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.cc.NewStream(ctx, &listStreamDesc, pb.Backend_List_FullMethodName, grpc.ForceCodecV2(newCodec()))
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(req); err != nil {
		return nil, recvError(stream, err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, recvError(stream, err)
	}
	var dec listDecoder
	var chunks []string // kept for the cache
	size := 0
	for {
		var chunk listPayload
		err := stream.RecvMsg(&chunk)
		if err == io.EOF {
			break
		}
		if err != nil {
			_, _ = dec.finish()
			return nil, err
		}
		if err := dec.add(chunk.s); err != nil {
			_, _ = dec.finish()
			return nil, errdefs.ErrInternal.WithMessage("the plugin's list could not be read: " + err.Error())
		}
		chunks = append(chunks, chunk.s)
		size += len(chunk.s)
	}
	out, err := dec.finish()
	if err != nil {
		return nil, errdefs.ErrInternal.WithMessage("the plugin's list could not be read: " + err.Error())
	}
	if dec.notModified {
		switch {
		case cached == nil:
			return nil, errdefs.ErrInternal.WithMessage("the plugin answered a list as not modified, but the host asked for it in full")
		case dec.messages != 1 || len(out) != 0:
			return nil, errdefs.ErrInternal.WithMessage("the plugin answered a list as not modified, with images or in several messages")
		case dec.etag != "" && dec.etag != cached.etag:
			return nil, errdefs.ErrInternal.WithMessage("the plugin answered a list as not modified, with another etag than the host's")
		}
		if out, err = cached.decode(); err != nil {
			return nil, errdefs.ErrInternal.WithMessage("the plugin's list could not be read: " + err.Error())
		}
		return out, nil
	}
	if dec.etag != "" && size <= maxCachedListBytes {
		c.lists.put(&cachedList{key: key, etag: dec.etag, chunks: chunks})
	} else if cached != nil {
		c.lists.drop(cached)
	}
	return out, nil
}

func (c *conn) inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	resp, err := c.rpc.Inspect(ctx, &pb.InspectRequest{
		Ref:       ref.String(),
		Manifests: opts.Manifests,
		Platform:  encodePlatform(opts.Platform),
	})
	if err != nil {
		return nil, err
	}
	if resp.GetImage() == nil {
		return nil, errdefs.ErrInternal.WithMessage("the plugin returned no image")
	}
	return decodeImage(resp.GetImage()), nil
}

// errNoResult is the error of a stream that ended well but without its result.
var errNoResult = errdefs.ErrInternal.WithMessage("the plugin ended the call without a result")

func (c *conn) pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	m := &pb.PullRequest{Platform: encodePlatform(req.Platform), Auth: encodeAuth(req.Auth)}
	if req.Ref != nil {
		m.Ref = req.Ref.String()
	}
	stream, err := c.rpc.Pull(ctx, m)
	if err != nil {
		return nil, err
	}
	var result *pb.PullResult
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch e := ev.GetEvent().(type) {
		case *pb.PullEvent_Progress:
			progress.Report(decodeProgress(e.Progress))
		case *pb.PullEvent_Result:
			result = e.Result
		}
	}
	if result == nil {
		return nil, errNoResult
	}
	out := make([]imagesvc.PulledImage, len(result.GetImages()))
	for i, p := range result.GetImages() {
		out[i] = imagesvc.PulledImage{Ref: p.GetRef(), ID: digest.Digest(p.GetId()), Updated: p.GetUpdated()}
	}
	return out, nil
}

func (c *conn) importImage(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	h := &pb.ImportHeader{
		HasSource: req.Source != nil,
		Message:   req.Message,
		Platform:  encodePlatform(req.Platform),
	}
	encodeChanges(h, req.Changes)
	if req.URL != nil {
		h.Url = req.URL.String()
	}
	if req.Ref != nil {
		h.Ref = req.Ref.String()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.Import(ctx)
	if err != nil {
		return "", err
	}
	if err := stream.Send(&pb.ImportMessage{Message: &pb.ImportMessage_Header{Header: h}}); err != nil {
		return "", recvError(stream, err)
	}

	var sender sync.WaitGroup
	if req.Source != nil {
		sender.Go(func() {
			sendChunks(stream, req.Source,
				func(c *pb.ImportChunk) *pb.ImportMessage {
					return &pb.ImportMessage{Message: &pb.ImportMessage_Chunk{Chunk: c}}
				},
				func(e *pb.ImportSourceError) *pb.ImportMessage {
					return &pb.ImportMessage{Message: &pb.ImportMessage_SourceError{SourceError: e}}
				})
		})
	} else if err := stream.CloseSend(); err != nil {
		return "", recvError(stream, err)
	}
	// The archive is never read after Import returns.
	defer sender.Wait()
	defer cancel()

	var id digest.Digest
	var got bool
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch e := ev.GetEvent().(type) {
		case *pb.ImportEvent_Progress:
			progress.Report(decodeProgress(e.Progress))
		case *pb.ImportEvent_Result:
			id, got = digest.Digest(e.Result.GetId()), true
		}
	}
	if !got {
		return "", errNoResult
	}
	return id, nil
}

// recvError returns the real error of a stream whose Send failed: Send reports io.EOF
// when the call has ended, and Recv the status it ended with.
func recvError(stream interface{ RecvMsg(any) error }, sendErr error) error {
	if !errors.Is(sendErr, io.EOF) {
		return sendErr
	}
	for {
		if err := stream.RecvMsg(new(emptypb.Empty)); err != nil {
			if err == io.EOF {
				return errNoResult
			}
			return err
		}
	}
}

func (c *conn) remove(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	req := &pb.RemoveRequest{Ref: ref.String(), Force: opts.Force, NoPrune: opts.NoPrune}
	for i := range opts.Platforms {
		req.Platforms = append(req.Platforms, encodePlatform(&opts.Platforms[i]))
	}
	resp, err := c.rpc.Remove(ctx, req)
	if err != nil {
		return nil, err
	}
	return decodeDeleteResponses(resp.GetDeleted()), nil
}

func (c *conn) tag(ctx context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	req := &pb.TagRequest{Source: source.String()}
	if target != nil {
		req.Target = target.String()
	}
	_, err := c.rpc.Tag(ctx, req)
	return err
}

func (c *conn) prune(ctx context.Context, opts imagesvc.PruneOptions) (*imagesvc.PruneReport, error) {
	fj, err := opts.Filters.ToJSON()
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	resp, err := c.rpc.Prune(ctx, &pb.PruneRequest{Filters: fj})
	if err != nil {
		return nil, err
	}
	return &imagesvc.PruneReport{
		ImagesDeleted:  decodeDeleteResponses(resp.GetImagesDeleted()),
		SpaceReclaimed: resp.GetSpaceReclaimed(),
	}, nil
}

func (c *conn) history(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.HistoryOptions) ([]imagesvc.HistoryItem, error) {
	resp, err := c.rpc.History(ctx, &pb.HistoryRequest{Ref: ref.String(), Platform: encodePlatform(opts.Platform)})
	if err != nil {
		return nil, err
	}
	return decodeHistory(resp.GetItems()), nil
}

// login sends auth for this call only; neither it nor the token is logged.
func (c *conn) login(ctx context.Context, auth imagesvc.AuthConfig) (string, error) {
	resp, err := c.rpc.Login(ctx, &pb.LoginRequest{Auth: encodeAuth(&auth)})
	if err != nil {
		return "", err
	}
	return resp.GetIdentityToken(), nil
}

func (c *conn) distributionInspect(ctx context.Context, ref reference.Named, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	req := &pb.DistributionInspectRequest{Auth: encodeAuth(auth)}
	if ref != nil {
		req.Ref = ref.String()
	}
	resp, err := c.rpc.DistributionInspect(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.GetTarget() == nil {
		return nil, errdefs.ErrInternal.WithMessage("the plugin returned no descriptor")
	}
	return decodeDistributionInfo(resp), nil
}
