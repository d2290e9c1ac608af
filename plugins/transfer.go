package plugins

import (
	"context"
	"io"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// Save, load and push across the plugin boundary (backend.proto: Save, Load, Push). Archives
// cross in chunks of at most [ImportChunkSize] in both directions (chunks.go).

// ---- Host side

// Save implements [imagesvc.Saver] through the plugin, for the Clients whose plugin
// announced it: the archive is streamed to w as the plugin writes it. An error before the
// first byte reached w is the request's error, as the contract says.
func (c *client) Save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error {
	inst, err := c.acquireCap(ctx, CapSave, "Save")
	if err != nil {
		return err
	}
	if err := inst.conn.save(ctx, req, w); err != nil {
		return c.callError(ctx, inst, "Save", err)
	}
	c.succeeded()
	return nil
}

// Load implements [imagesvc.Loader] through the plugin: req.Source is streamed in chunks
// of at most [ImportChunkSize]. The images loaded are returned with the error that came
// with them, if any. req.Source is not read after Load returns.
func (c *client) Load(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
	inst, err := c.acquireCap(ctx, CapLoad, "Load")
	if err != nil {
		return nil, err
	}
	out, err := inst.conn.load(ctx, req)
	if err != nil {
		return out, c.callError(ctx, inst, "Load", err)
	}
	c.succeeded()
	return out, nil
}

// Push implements [imagesvc.Pusher] through the plugin: progress is streamed back and
// reported from the calling goroutine, in order; req.Auth is sent for this call only.
func (c *client) Push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	inst, err := c.acquireCap(ctx, CapPush, "Push")
	if err != nil {
		return err
	}
	if err := inst.conn.push(ctx, req, progress); err != nil {
		return c.callError(ctx, inst, "Push", err)
	}
	c.succeeded()
	return nil
}

func (c *conn) save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error {
	// A writer that fails ends the call, so that the plugin stops its work.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := &pb.SaveRequest{Refs: make([]string, len(req.Refs))}
	for i, r := range req.Refs {
		m.Refs[i] = r.String()
	}
	for i := range req.Platforms {
		m.Platforms = append(m.Platforms, encodePlatform(&req.Platforms[i]))
	}
	stream, err := c.rpc.Save(ctx, m)
	if err != nil {
		return err
	}
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if data := chunk.GetData(); len(data) > 0 {
			if _, err := w.Write(data); err != nil {
				return err
			}
		}
	}
}

func (c *conn) load(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
	if req.Source == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("load: no archive")
	}
	h := &pb.LoadHeader{}
	for i := range req.Platforms {
		h.Platforms = append(h.Platforms, encodePlatform(&req.Platforms[i]))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.Load(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&pb.LoadMessage{Message: &pb.LoadMessage_Header{Header: h}}); err != nil {
		return nil, recvError(stream, err)
	}
	var sender sync.WaitGroup
	sender.Go(func() {
		sendChunks(stream, req.Source,
			func(c *pb.ImportChunk) *pb.LoadMessage {
				return &pb.LoadMessage{Message: &pb.LoadMessage_Chunk{Chunk: c}}
			},
			func(e *pb.ImportSourceError) *pb.LoadMessage {
				return &pb.LoadMessage{Message: &pb.LoadMessage_SourceError{SourceError: e}}
			})
	})
	// The archive is never read after Load returns.
	defer sender.Wait()
	defer cancel()

	// Not CloseAndRecv: the sender ends the host's side, and CloseSend may not run
	// concurrently with Send.
	resp := new(pb.LoadResponse)
	if err := stream.RecvMsg(resp); err != nil {
		return nil, err
	}
	out := make([]imagesvc.LoadedImage, len(resp.GetImages()))
	for i, m := range resp.GetImages() {
		out[i] = imagesvc.LoadedImage{Name: m.GetName(), ID: digest.Digest(m.GetId())}
	}
	if e := resp.GetError(); e != nil {
		return out, callError(e)
	}
	return out, nil
}

func (c *conn) push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	m := &pb.PushRequest{Platform: encodePlatform(req.Platform), Auth: encodeAuth(req.Auth)}
	if req.Ref != nil {
		m.Ref = req.Ref.String()
	}
	stream, err := c.rpc.Push(ctx, m)
	if err != nil {
		return err
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if p := ev.GetProgress(); p != nil {
			progress.Report(decodeProgress(p))
		}
	}
}

// ---- Plugin side

// Save streams the archive of the backend's Save in chunks.
func (s *server) Save(req *pb.SaveRequest, stream grpc.ServerStreamingServer[pb.SaveChunk]) error {
	saver, ok := s.impl.(imagesvc.Saver)
	if !ok {
		return notImplemented("Save", "imagesvc.Saver")
	}
	sr := imagesvc.SaveRequest{Refs: make([]imagesvc.ImageRef, len(req.GetRefs()))}
	for i, r := range req.GetRefs() {
		ref, err := parseRef(r)
		if err != nil {
			return toStatus(err)
		}
		sr.Refs[i] = ref
	}
	for _, p := range req.GetPlatforms() {
		sr.Platforms = append(sr.Platforms, decodePlatformValue(p))
	}
	cw := &chunkWriter{send: func(data []byte) error {
		return stream.Send(&pb.SaveChunk{Data: data})
	}}
	hctx, _ := s.withHost(stream.Context())
	err := saver.Save(hctx, sr, cw)
	// What was written goes out before the end of the call, error or not, so that the host
	// knows whether the archive had started.
	if ferr := cw.flush(); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		if cw.sendErr != nil && stream.Context().Err() != nil {
			return toStatus(stream.Context().Err())
		}
		return toStatus(err)
	}
	return nil
}

// Load feeds the archive's chunks to the backend's Load and answers its result.
func (s *server) Load(stream grpc.ClientStreamingServer[pb.LoadMessage, pb.LoadResponse]) error {
	loader, ok := s.impl.(imagesvc.Loader)
	if !ok {
		return notImplemented("Load", "imagesvc.Loader")
	}
	h, err := receiveHeader[pb.LoadHeader](stream, "load")
	if err != nil {
		return err
	}
	req := imagesvc.LoadRequest{}
	for _, p := range h.GetPlatforms() {
		req.Platforms = append(req.Platforms, decodePlatformValue(p))
	}
	pr := receiveChunks(stream, "load")
	defer pr.CloseWithError(errSourceDone)
	req.Source = pr

	hctx, _ := s.withHost(stream.Context())
	loaded, err := loader.Load(hctx, req)
	if err != nil && len(loaded) == 0 {
		return toStatus(err)
	}
	resp := &pb.LoadResponse{Images: make([]*pb.LoadedImage, len(loaded))}
	for i, l := range loaded {
		resp.Images[i] = &pb.LoadedImage{Name: l.Name, Id: string(l.ID)}
	}
	if err != nil {
		resp.Error = callErrorMessage(err)
	}
	return stream.SendAndClose(resp)
}

// Push streams the progress of the backend's Push.
func (s *server) Push(req *pb.PushRequest, stream grpc.ServerStreamingServer[pb.PushEvent]) error {
	pusher, ok := s.impl.(imagesvc.Pusher)
	if !ok {
		return notImplemented("Push", "imagesvc.Pusher")
	}
	ref, err := reference.ParseNormalizedNamed(req.GetRef())
	if err != nil {
		return toStatus(errdefs.ErrInvalidArgument.WithMessage(err.Error()))
	}
	events := &eventSender[*pb.PushEvent]{stream: stream}
	progress := events.progress(func(p *pb.Progress) *pb.PushEvent {
		return &pb.PushEvent{Event: &pb.PushEvent_Progress{Progress: p}}
	})
	hctx, _ := s.withHost(stream.Context())
	err = pusher.Push(hctx, imagesvc.PushRequest{
		Ref:      ref,
		Platform: decodePlatform(req.GetPlatform()),
		Auth:     decodeAuth(req.GetAuth()),
	}, progress)
	return toStatus(err)
}
