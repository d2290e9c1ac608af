package plugins

import (
	"context"
	"sync/atomic"

	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

type usageKey struct{}

// hostCall is what the server puts in the context of a call from the host, for
// [HostUsage]: the host's usage service, and whether the call has asked it something.
type hostCall struct {
	usage pb.UsageClient
	// asked is set when a ContainersUsing request went to the host: the answer of the call
	// then depends on the host's containers, which change without the backend knowing.
	asked atomic.Bool
}

// HostUsage returns the [imagesvc.UsageProvider] that a plugin gives its backend: it asks
// the host's provider ([Options.Usage]), across the process boundary, on behalf of the
// call in progress. Outside a call from a host, or when the host has no provider, it
// reports no containers.
//
// It finds the host through the context of the call, so the backend must pass on the
// context it was given (as imagesvc's contract expects of it anyway). A list for which it
// asked the host is never answered from the host's cache of lists (see [ListVersioner]):
// the host's containers change without the backend knowing.
func HostUsage() imagesvc.UsageProvider { return hostUsage{} }

type hostUsage struct{}

// UsageTrackedPerCall marks HostUsage as a provider whose answers the plugin accounts for
// itself: a list that asked the host is never reused (see [ListVersioner]). A backend's
// ListVersion may therefore ignore what this provider reports, as the SQLite backend's
// does; with providers that lack this method it cannot.
func (hostUsage) UsageTrackedPerCall() {}

func (hostUsage) ContainersUsing(ctx context.Context, digests []digest.Digest) (map[digest.Digest][]string, error) {
	call, _ := ctx.Value(usageKey{}).(*hostCall)
	if call == nil || call.usage == nil || len(digests) == 0 {
		return map[digest.Digest][]string{}, nil
	}
	call.asked.Store(true)
	resp, err := call.usage.ContainersUsing(ctx, &pb.ContainersUsingRequest{Digests: encodeDigests(digests)})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		native, _ := fromStatus(err)
		return nil, native
	}
	out := make(map[digest.Digest][]string, len(resp.GetContainers()))
	for d, ids := range resp.GetContainers() {
		out[digest.Digest(d)] = ids.GetIds()
	}
	return out, nil
}

// usageServer is the host side: it serves the host's provider to the plugin.
type usageServer struct {
	pb.UnimplementedUsageServer
	p imagesvc.UsageProvider
}

func (s *usageServer) ContainersUsing(ctx context.Context, req *pb.ContainersUsingRequest) (*pb.ContainersUsingResponse, error) {
	m, err := s.p.ContainersUsing(ctx, decodeDigests(req.GetDigests()))
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &pb.ContainersUsingResponse{Containers: make(map[string]*pb.ContainerIDs, len(m))}
	for d, ids := range m {
		resp.Containers[string(d)] = &pb.ContainerIDs{Ids: ids}
	}
	return resp, nil
}
