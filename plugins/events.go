package plugins

import (
	"context"
	"io"

	"google.golang.org/grpc"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// Events and disk usage across the plugin boundary (backend.proto: WatchEvents, DiskUsage).
// Both are capabilities after the ninth: a host finds them with imagesvc.As only
// ([Client.As]).

// ---- Host side

// WatchEvents implements [imagesvc.EventWatcher] through the plugin, for the Clients whose
// plugin announced it: the events stream from the plugin's backend and fn is called with
// each from the calling goroutine, in order. When fn fails, the call ends (the plugin's
// watch is cancelled) and fn's error is returned as is; when ctx is done, ctx's error.
// A watcher the backend dropped fails with class ResourceExhausted wrapping
// [imagesvc.ErrEventsDropped]; a plugin process that dies ends the watch with class
// Unavailable.
func (c *client) WatchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) error {
	inst, err := c.acquireCap(ctx, CapEvents, "WatchEvents")
	if err != nil {
		return err
	}
	fnErr, err := inst.conn.watchEvents(ctx, opts, fn)
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return c.callError(ctx, inst, "WatchEvents", err)
	}
	c.succeeded()
	return nil
}

// DiskUsage implements [imagesvc.DiskUsager] through the plugin, for the Clients whose
// plugin announced it.
func (c *client) DiskUsage(ctx context.Context) (imagesvc.DiskUsage, error) {
	inst, err := c.acquireCap(ctx, CapDiskUsage, "DiskUsage")
	if err != nil {
		return imagesvc.DiskUsage{}, err
	}
	resp, err := inst.conn.rpc.DiskUsage(ctx, &pb.DiskUsageRequest{})
	if err != nil {
		return imagesvc.DiskUsage{}, c.callError(ctx, inst, "DiskUsage", err)
	}
	c.succeeded()
	ms := resp.GetImages()
	du := imagesvc.DiskUsage{TotalSize: resp.GetTotalSize(), Images: make([]imagesvc.Summary, len(ms))}
	for i, m := range ms {
		decodeSummary(m, &du.Images[i])
	}
	return du, nil
}

// watchEvents runs one WatchEvents call: the first result is fn's error, which ended it;
// the second the call's own.
func (c *conn) watchEvents(ctx context.Context, opts imagesvc.EventOptions, fn func(imagesvc.Event) error) (error, error) {
	// fn's failure ends the call, so that the plugin stops watching.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := &pb.WatchEventsRequest{}
	if !opts.Since.IsZero() {
		req.Since = encodeTime(opts.Since)
	}
	if !opts.Until.IsZero() {
		req.Until = encodeTime(opts.Until)
	}
	stream, err := c.rpc.WatchEvents(ctx, req)
	if err != nil {
		return nil, err
	}
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if err := fn(decodeEvent(m)); err != nil {
			return err, nil
		}
	}
}

func encodeEvent(ev imagesvc.Event) *pb.Event {
	return &pb.Event{
		Action:     string(ev.Action),
		Id:         ev.ID,
		Attributes: ev.Attributes,
		Time:       encodeTime(ev.Time),
	}
}

// decodeEvent decodes an event; its Attributes are never nil, and its Time is the instant
// sent, to the nanosecond, in the zone it was sent in (UTC, as the contract says).
func decodeEvent(m *pb.Event) imagesvc.Event {
	attrs := m.GetAttributes()
	if attrs == nil {
		attrs = map[string]string{}
	}
	return imagesvc.Event{
		Action:     imagesvc.EventAction(m.GetAction()),
		ID:         m.GetId(),
		Attributes: attrs,
		Time:       decodeTime(m.GetTime()),
	}
}

// ---- Plugin side

// WatchEvents streams the events of the backend's WatchEvents, one message per event,
// and ends the call as the backend's watch ends.
func (s *server) WatchEvents(req *pb.WatchEventsRequest, stream grpc.ServerStreamingServer[pb.Event]) error {
	w, ok := imagesvc.As[imagesvc.EventWatcher](s.impl)
	if !ok {
		return notImplemented("WatchEvents", "imagesvc.EventWatcher")
	}
	var opts imagesvc.EventOptions
	if m := req.GetSince(); m != nil {
		opts.Since = decodeTime(m)
	}
	if m := req.GetUntil(); m != nil {
		opts.Until = decodeTime(m)
	}
	hctx, _ := s.withHost(stream.Context())
	// One Send at a time even from a backend that breaks the contract's one call at a time.
	events := &eventSender[*pb.Event]{stream: stream}
	err := w.WatchEvents(hctx, opts, func(ev imagesvc.Event) error {
		return events.send(encodeEvent(ev))
	})
	if err != nil && stream.Context().Err() != nil {
		// The host cancelled (or went away): its own side knows why.
		return toStatus(stream.Context().Err())
	}
	return toStatus(err)
}

// DiskUsage answers the backend's DiskUsage.
func (s *server) DiskUsage(ctx context.Context, _ *pb.DiskUsageRequest) (*pb.DiskUsageResponse, error) {
	d, ok := imagesvc.As[imagesvc.DiskUsager](s.impl)
	if !ok {
		return nil, notImplemented("DiskUsage", "imagesvc.DiskUsager")
	}
	hctx, _ := s.withHost(ctx)
	du, err := d.DiskUsage(hctx)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &pb.DiskUsageResponse{TotalSize: du.TotalSize, Images: make([]*pb.Summary, len(du.Images))}
	for i := range du.Images {
		resp.Images[i] = encodeSummary(&du.Images[i])
	}
	return resp, nil
}
