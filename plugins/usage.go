package plugins

import (
	"context"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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
// It is also an [imagesvc.ContainerLister], for the conflict rules of Remove and Prune:
// Containers returns the host's containers with their state when the host's provider is
// a ContainerLister itself, and an empty list otherwise (as from a host written before
// this call existed, or outside a call from a host). The backend cannot tell "no
// containers" from "the host cannot tell", and need not: in both cases Docker's rules
// treat every image as unused, exactly as a backend whose provider is no ContainerLister
// does.
//
// It finds the host through the context of the call, so the backend must pass on the
// context it was given (as imagesvc's contract expects of it anyway). A list for which it
// asked the host is never answered from the host's cache of lists (see [ListVersioner]):
// the host's containers change without the backend knowing.
func HostUsage() imagesvc.UsageProvider { return hostUsage{} }

type hostUsage struct{}

var (
	_ imagesvc.UsageProvider       = hostUsage{}
	_ imagesvc.ContainerLister     = hostUsage{}
	_ imagesvc.UsageTrackedPerCall = hostUsage{}
)

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

// Containers implements [imagesvc.ContainerLister]: the host's containers, or none when
// the host cannot tell.
func (hostUsage) Containers(ctx context.Context) ([]imagesvc.Container, error) {
	call, _ := ctx.Value(usageKey{}).(*hostCall)
	if call == nil || call.usage == nil {
		return []imagesvc.Container{}, nil
	}
	call.asked.Store(true)
	resp, err := call.usage.Containers(ctx, &pb.ContainersRequest{})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		native, fromHost := fromStatus(err)
		if !fromHost && status.Code(err) == codes.Unimplemented {
			return []imagesvc.Container{}, nil // a host written before Containers existed
		}
		return nil, native
	}
	return decodeContainers(resp.GetContainers()), nil
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

// Containers answers the host's containers when its provider lists them, and an empty
// list when it cannot tell (backend.proto, Usage.Containers).
func (s *usageServer) Containers(ctx context.Context, _ *pb.ContainersRequest) (*pb.ContainersResponse, error) {
	cl, ok := s.p.(imagesvc.ContainerLister)
	if !ok {
		return &pb.ContainersResponse{}, nil
	}
	cs, err := cl.Containers(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ContainersResponse{Containers: encodeContainers(cs)}, nil
}
