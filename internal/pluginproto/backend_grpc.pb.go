// The imageapi backend plugin protocol, version 1.
//
// A plugin is a program that serves an imageapi backend (the Go interface
// imagesvc.Service) to a host over gRPC, launched and connected by
// HashiCorp's go-plugin. Plugins may be written in any language that speaks
// go-plugin's gRPC protocol
// (https://github.com/hashicorp/go-plugin/blob/main/docs/guide-plugin-write-non-go.md):
//
//   - Handshake: the host sets IMAGEAPI_PLUGIN=a2b1f1c9-imagesvc-backend in the
//     environment and PLUGIN_PROTOCOL_VERSIONS to the versions it speaks; the
//     plugin answers on stdout with "1|1|unix|/path/to.sock|grpc|<cert>": core
//     protocol 1, application protocol 1 (this file), a network address and
//     "grpc". Plugins that do not find the cookie must exit with a message on
//     stderr. The host enables go-plugin's automatic mutual TLS.
//   - The plugin serves the Backend service below, plus go-plugin's own
//     services (health under the name "plugin", GRPCBroker, GRPCController,
//     GRPCStdio). Messages are normally small (lists and archives are
//     streamed in pieces), but both sides raise gRPC's 4 MiB limit on message
//     size for the odd large one: a plugin should accept up to 2 GiB - 1.
//   - Logs go to stderr, one JSON object per line in hclog's shape
//     ({"@level":"info","@message":"...","@timestamp":"2006-01-02T15:04:05.000000Z07:00",...}).
//     Nothing but the handshake line may be written to stdout.
//
// # Calls
//
// The host calls Init once on every process it launches, before any other
// call. Then List, Inspect, Pull and Import may be called concurrently, and
// so may the optional calls (below) the plugin announced. Cancellation is
// gRPC's: the plugin sees the host's cancellation on the call's context, and
// a plugin that ends a call with CANCELLED or DEADLINE_EXCEEDED is reported
// as such to the host's caller.
//
// # Capabilities
//
// List, Inspect, Pull and Import are the calls every plugin serves. Remove,
// Tag, Prune, History, Login, DistributionInspect, Save, Load, Push,
// WatchEvents, DiskUsage and the root filesystem calls (ResolveRuntimeImage,
// PrepareRootFS, RootFSMounts, RootFSViews, RemoveRootFS) are optional: each is a
// capability, which a plugin announces in InitResponse.capabilities by its
// name:
//
//   remove        Remove               (DELETE /images/{name}; Go: imagesvc.Remover)
//   tag           Tag                  (POST /images/{name}/tag; Go: imagesvc.Tagger)
//   prune         Prune                (POST /images/prune; Go: imagesvc.Pruner)
//   history       History              (GET /images/{name}/history; Go: imagesvc.Historian)
//   login         Login                (POST /auth; Go: imagesvc.RegistryAuthenticator)
//   distribution  DistributionInspect  (GET /distribution/{name}/json; Go: imagesvc.DistributionInspector)
//   save          Save                 (GET /images/get; Go: imagesvc.Saver)
//   load          Load                 (POST /images/load; Go: imagesvc.Loader)
//   push          Push                 (POST /images/{name}/push; Go: imagesvc.Pusher)
//   events        WatchEvents          (GET /events, images; Go: imagesvc.EventWatcher)
//   disk_usage    DiskUsage            (GET /system/df, images; Go: imagesvc.DiskUsager)
//   rootfs        ResolveRuntimeImage, PrepareRootFS, RootFSMounts, RootFSViews,
//                 RemoveRootFS         (no HTTP route; Go: imagesvc.RootFSPreparer)
//
// A plugin announces exactly the capabilities whose calls it serves, and
// answers the calls it does not announce with UNIMPLEMENTED (an ErrorInfo of
// class not_implemented, or none). The host calls only what the plugin
// announced: it answers the others itself as not implemented (an HTTP host
// answers 501), and Go hosts see a service that lacks the interface
// (imagesvc.As[imagesvc.Remover] fails). A plugin written before capabilities
// existed sends none, and is treated as having none; a host written before
// them ignores the field and never makes these calls. Neither changes the
// protocol version. Names a host does not know are ignored, so that a later
// capability can be added the same way. The Go host fixes the set when it
// opens the plugin: a process it relaunches later (after a crash) is
// expected to announce the same, and calls of a capability it no longer
// announces fail with NOT_IMPLEMENTED.
//
// The semantics of every optional call, its error classes and Docker's
// texts, are those of the Go interface it names (package imagesvc, files
// lifecycle.go and registry.go; spec docker-image-lifecycle.md): the host
// passes texts and classes on unchanged, so a plugin must produce Docker's
// texts itself (conflicts are class conflict, with texts such as "conflict:
// unable to delete foo:latest (must be forced) - container 3f1c2b0a9d8e is
// using its referenced image 9b2a5c4d1e0f"). Removing and pruning need the
// host's containers with their state: a plugin asks for them with the Usage
// service's Containers call. Login and DistributionInspect store nothing:
// they talk to the registry with the plugin's registry configuration and the
// credentials of the call (an AuthConfig), which the plugin uses for that
// call only and never logs nor stores, nor puts in an error's text; nor does
// it log the identity token Login returns.
//
// # Errors
//
// Every error a plugin returns for a call carries, in the google.rpc.Status
// details, one ErrorInfo naming its class (below); the status message is the
// error text, which the host passes on unchanged (Docker's texts, such as
// "No such image: foo:latest", must survive). The status code is the one the
// class maps to (ErrorInfo documents the table); the host trusts the class.
// A status without ErrorInfo is taken as a failure of the transport: an
// UNAVAILABLE or CANCELLED status without it (or any status once the process
// has exited) makes the host consider the plugin process lost, fail the call
// as unavailable and launch a new process for the next call.
//
// # Encodings
//
// Digests are strings in the OCI form "algorithm:hex". References are strings
// as the distribution/reference grammar renders them fully qualified
// ("docker.io/library/alpine:3.20"). Times are Time messages; an absent Time
// is the zero time ("not known"). Lists and maps that are empty are
// equivalent to absent, except where a field says otherwise.

// Code generated by protoc-gen-go-grpc. DO NOT EDIT.
// versions:
// - protoc-gen-go-grpc v1.6.2
// - protoc             v3.21.12
// source: backend.proto

package pluginproto

import (
	context "context"
	grpc "google.golang.org/grpc"
	codes "google.golang.org/grpc/codes"
	status "google.golang.org/grpc/status"
)

// This is a compile-time assertion to ensure that this generated file
// is compatible with the grpc package it is being compiled against.
// Requires gRPC-Go v1.64.0 or later.
const _ = grpc.SupportPackageIsVersion9

const (
	Backend_Init_FullMethodName                = "/imageapi.plugin.v1.Backend/Init"
	Backend_List_FullMethodName                = "/imageapi.plugin.v1.Backend/List"
	Backend_Inspect_FullMethodName             = "/imageapi.plugin.v1.Backend/Inspect"
	Backend_ListVersion_FullMethodName         = "/imageapi.plugin.v1.Backend/ListVersion"
	Backend_Pull_FullMethodName                = "/imageapi.plugin.v1.Backend/Pull"
	Backend_Import_FullMethodName              = "/imageapi.plugin.v1.Backend/Import"
	Backend_Remove_FullMethodName              = "/imageapi.plugin.v1.Backend/Remove"
	Backend_Tag_FullMethodName                 = "/imageapi.plugin.v1.Backend/Tag"
	Backend_Prune_FullMethodName               = "/imageapi.plugin.v1.Backend/Prune"
	Backend_History_FullMethodName             = "/imageapi.plugin.v1.Backend/History"
	Backend_Login_FullMethodName               = "/imageapi.plugin.v1.Backend/Login"
	Backend_DistributionInspect_FullMethodName = "/imageapi.plugin.v1.Backend/DistributionInspect"
	Backend_Save_FullMethodName                = "/imageapi.plugin.v1.Backend/Save"
	Backend_Load_FullMethodName                = "/imageapi.plugin.v1.Backend/Load"
	Backend_Push_FullMethodName                = "/imageapi.plugin.v1.Backend/Push"
	Backend_WatchEvents_FullMethodName         = "/imageapi.plugin.v1.Backend/WatchEvents"
	Backend_DiskUsage_FullMethodName           = "/imageapi.plugin.v1.Backend/DiskUsage"
	Backend_ResolveRuntimeImage_FullMethodName = "/imageapi.plugin.v1.Backend/ResolveRuntimeImage"
	Backend_PrepareRootFS_FullMethodName       = "/imageapi.plugin.v1.Backend/PrepareRootFS"
	Backend_RootFSMounts_FullMethodName        = "/imageapi.plugin.v1.Backend/RootFSMounts"
	Backend_RootFSViews_FullMethodName         = "/imageapi.plugin.v1.Backend/RootFSViews"
	Backend_RemoveRootFS_FullMethodName        = "/imageapi.plugin.v1.Backend/RemoveRootFS"
)

// BackendClient is the client API for Backend service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
//
// Backend is the image backend a plugin serves.
type BackendClient interface {
	// Init is the first call on a new plugin process. It tells the plugin the
	// protocol version the host speaks and where to reach the host's Usage
	// service, and returns what the plugin is.
	Init(ctx context.Context, in *InitRequest, opts ...grpc.CallOption) (*InitResponse, error)
	// List lists images (GET /images/json). The plugin streams the images, in order, in
	// one or more ListResponse messages (of a few hundred kilobytes each, so that the host
	// decodes one while the plugin encodes the next), then ends the call with OK. An empty
	// list may be no message at all.
	//
	// A list may be conditional (see ListRequest.if_none_match): when the host already has
	// the answer, the plugin sends one ListResponse with not_modified set instead of the
	// images.
	List(ctx context.Context, in *ListRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[ListResponse], error)
	// Inspect inspects one image (GET /images/{name}/json).
	Inspect(ctx context.Context, in *InspectRequest, opts ...grpc.CallOption) (*InspectResponse, error)
	// ListVersion returns the version of the plugin's catalog (see ListVersionResponse), so
	// that an HTTP host can label its answers to GET /images/json and GET
	// /images/{name}/json with an ETag and answer a repeated request 304 (RFC 9110
	// conditional requests). It is optional and fails with not_implemented (UNIMPLEMENTED)
	// when the plugin cannot tell: a plugin written before it existed answers UNIMPLEMENTED
	// without an ErrorInfo, which the host takes the same way (no ETag).
	ListVersion(ctx context.Context, in *ListVersionRequest, opts ...grpc.CallOption) (*ListVersionResponse, error)
	// Pull fetches an image from its registry. The plugin streams progress
	// events, in order, then exactly one result, then ends the call with OK.
	// A failing pull ends the call with an error status, possibly after some
	// progress events.
	Pull(ctx context.Context, in *PullRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[PullEvent], error)
	// Import creates an image from a root filesystem archive. The host sends
	// an ImportHeader first, then the archive as ImportChunk messages of at
	// most 1 MiB each (none when the header has no source), then either ends
	// its side of the stream (end of archive) or sends one ImportSourceError
	// (the archive could not be read) and ends its side. The plugin streams
	// progress events, then exactly one ImportResult, then ends the call with
	// OK; or it ends the call with an error status at any point, after which
	// the host stops sending.
	Import(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ImportMessage, ImportEvent], error)
	// Remove untags or deletes images (DELETE /images/{name}): capability
	// "remove", imagesvc.Remover. Errors: invalid_argument for invalid options
	// (platforms without force, a platform without OS or architecture);
	// not_found when nothing matches, for an ambiguous short ID, or for a
	// platform the image lacks; conflict when a container uses the image or it
	// has names in several repositories and force is not set.
	Remove(ctx context.Context, in *RemoveRequest, opts ...grpc.CallOption) (*RemoveResponse, error)
	// Tag gives an image a new name (POST /images/{name}/tag): capability
	// "tag", imagesvc.Tagger. Errors: not_found when the source does not
	// resolve or the image has no locally available platform;
	// invalid_argument for a target that is not a valid tag reference.
	Tag(ctx context.Context, in *TagRequest, opts ...grpc.CallOption) (*TagResponse, error)
	// Prune removes unused images (POST /images/prune): capability "prune",
	// imagesvc.Pruner. Errors: conflict when another prune of the backend is
	// running ("a prune operation is already running"); invalid_argument for
	// invalid filters.
	Prune(ctx context.Context, in *PruneRequest, opts ...grpc.CallOption) (*PruneResponse, error)
	// History tells how an image was built (GET /images/{name}/history):
	// capability "history", imagesvc.Historian. Errors: not_found when nothing
	// matches or the image lacks the platform; invalid_argument for an invalid
	// platform; internal when the config has more non-empty history entries
	// than layers.
	History(ctx context.Context, in *HistoryRequest, opts ...grpc.CallOption) (*HistoryResponse, error)
	// Login checks registry credentials (POST /auth): capability "login",
	// imagesvc.RegistryAuthenticator. Errors: unauthenticated when the
	// registry refuses the credentials, with the registry's reason;
	// invalid_argument for an address that is not a registry host;
	// unavailable when the registry cannot be reached.
	Login(ctx context.Context, in *LoginRequest, opts ...grpc.CallOption) (*LoginResponse, error)
	// DistributionInspect describes an image in its registry without pulling
	// it (GET /distribution/{name}/json): capability "distribution",
	// imagesvc.DistributionInspector. Errors: not_found for an unknown
	// repository, tag or digest; unauthenticated when the registry wants
	// credentials or refuses them; invalid_argument for a schema 1 manifest;
	// unavailable when the registry cannot be reached.
	DistributionInspect(ctx context.Context, in *DistributionInspectRequest, opts ...grpc.CallOption) (*DistributionInspectResponse, error)
	// Save writes images as a tar archive (GET /images/get): capability "save",
	// imagesvc.Saver. The plugin resolves the names and prepares the archive,
	// then streams it as SaveChunk messages of at most 1 MiB each, in order,
	// and ends the call with OK. An error status before the first chunk is the
	// request's error (not_found for a name that matches nothing or a platform
	// the image lacks, conflict when a platform matches several manifests);
	// one after a chunk is a failure while streaming, which an HTTP host
	// appends to the archive as Docker does. A plugin may gather small writes
	// into one chunk, but sends what it gathered before ending the call with an
	// error, so that the host knows whether the archive had started.
	Save(ctx context.Context, in *SaveRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[SaveChunk], error)
	// Load reads images from a tar archive (POST /images/load): capability
	// "load", imagesvc.Loader. The host sends a LoadHeader first, then the
	// archive as ImportChunk messages of at most 1 MiB each, then either ends
	// its side (end of archive) or sends one ImportSourceError (the archive
	// could not be read: the plugin's reader returns an error of that class
	// and text) and ends its side. The plugin answers one LoadResponse: the
	// records it created or updated, and, when the load failed after some
	// were recorded, the error that came with them. A load that failed with
	// nothing recorded ends the call with an error status instead, at any
	// point, after which the host stops sending.
	Load(ctx context.Context, opts ...grpc.CallOption) (grpc.ClientStreamingClient[LoadMessage, LoadResponse], error)
	// Push uploads an image to its registry (POST /images/{name}/push):
	// capability "push", imagesvc.Pusher. The plugin streams progress events,
	// in order (the first is "The push refers to repository [...]"; aux
	// records carry PushAux), then ends the call with OK, or with an error
	// status (Docker's texts: unauthenticated, permission_denied,
	// not_found, unavailable ...). The credentials of the request are for this
	// call only: neither side logs or stores them.
	Push(ctx context.Context, in *PushRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[PushEvent], error)
	// WatchEvents streams the image events of the plugin's backend (GET
	// /events): capability "events", imagesvc.EventWatcher. The plugin first
	// sends the retained past events within [since, until] when either is set,
	// oldest first, then every new event as it happens, one Event message per
	// event, in order. It ends the call with OK when until has passed (at once
	// when until was already past after the replay), and otherwise runs until
	// the host cancels the call. A watcher that fell too far behind is dropped:
	// the call ends with an error of class resource_exhausted and the reason
	// "events_dropped" (ErrorInfo.reason; Go: imagesvc.ErrEventsDropped), after
	// which the host resumes with since set to the time of the last event it
	// received.
	WatchEvents(ctx context.Context, in *WatchEventsRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[Event], error)
	// DiskUsage reports the space the backend's images take (the image part of
	// GET /system/df): capability "disk_usage", imagesvc.DiskUsager. The images
	// are listed as List does with shared_size set (containers counted with the
	// host's Usage service).
	DiskUsage(ctx context.Context, in *DiskUsageRequest, opts ...grpc.CallOption) (*DiskUsageResponse, error)
	// ResolveRuntimeImage resolves a reference and a platform (absent: the best
	// for the host, as inspect chooses) to a RuntimeImage.
	ResolveRuntimeImage(ctx context.Context, in *ResolveRuntimeImageRequest, opts ...grpc.CallOption) (*RuntimeImage, error)
	// PrepareRootFS unpacks what is not unpacked yet of an image and creates
	// the view key on top of it, returning how to mount it. The host sends the
	// RuntimeImage as ResolveRuntimeImage returned it; the plugin looks it up
	// again by its target and manifest digests.
	PrepareRootFS(ctx context.Context, in *PrepareRootFSRequest, opts ...grpc.CallOption) (*MountsResponse, error)
	// RootFSMounts returns how to mount the view key again.
	RootFSMounts(ctx context.Context, in *RootFSMountsRequest, opts ...grpc.CallOption) (*MountsResponse, error)
	// RootFSViews lists the plugin's views, oldest first.
	RootFSViews(ctx context.Context, in *RootFSViewsRequest, opts ...grpc.CallOption) (*RootFSViewsResponse, error)
	// RemoveRootFS removes the view key and frees what only it kept.
	RemoveRootFS(ctx context.Context, in *RemoveRootFSRequest, opts ...grpc.CallOption) (*RemoveRootFSResponse, error)
}

type backendClient struct {
	cc grpc.ClientConnInterface
}

func NewBackendClient(cc grpc.ClientConnInterface) BackendClient {
	return &backendClient{cc}
}

func (c *backendClient) Init(ctx context.Context, in *InitRequest, opts ...grpc.CallOption) (*InitResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(InitResponse)
	err := c.cc.Invoke(ctx, Backend_Init_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) List(ctx context.Context, in *ListRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[ListResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Backend_ServiceDesc.Streams[0], Backend_List_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[ListRequest, ListResponse]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_ListClient = grpc.ServerStreamingClient[ListResponse]

func (c *backendClient) Inspect(ctx context.Context, in *InspectRequest, opts ...grpc.CallOption) (*InspectResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(InspectResponse)
	err := c.cc.Invoke(ctx, Backend_Inspect_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) ListVersion(ctx context.Context, in *ListVersionRequest, opts ...grpc.CallOption) (*ListVersionResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ListVersionResponse)
	err := c.cc.Invoke(ctx, Backend_ListVersion_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) Pull(ctx context.Context, in *PullRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[PullEvent], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Backend_ServiceDesc.Streams[1], Backend_Pull_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[PullRequest, PullEvent]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_PullClient = grpc.ServerStreamingClient[PullEvent]

func (c *backendClient) Import(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[ImportMessage, ImportEvent], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Backend_ServiceDesc.Streams[2], Backend_Import_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[ImportMessage, ImportEvent]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_ImportClient = grpc.BidiStreamingClient[ImportMessage, ImportEvent]

func (c *backendClient) Remove(ctx context.Context, in *RemoveRequest, opts ...grpc.CallOption) (*RemoveResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RemoveResponse)
	err := c.cc.Invoke(ctx, Backend_Remove_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) Tag(ctx context.Context, in *TagRequest, opts ...grpc.CallOption) (*TagResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(TagResponse)
	err := c.cc.Invoke(ctx, Backend_Tag_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) Prune(ctx context.Context, in *PruneRequest, opts ...grpc.CallOption) (*PruneResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(PruneResponse)
	err := c.cc.Invoke(ctx, Backend_Prune_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) History(ctx context.Context, in *HistoryRequest, opts ...grpc.CallOption) (*HistoryResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(HistoryResponse)
	err := c.cc.Invoke(ctx, Backend_History_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) Login(ctx context.Context, in *LoginRequest, opts ...grpc.CallOption) (*LoginResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(LoginResponse)
	err := c.cc.Invoke(ctx, Backend_Login_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) DistributionInspect(ctx context.Context, in *DistributionInspectRequest, opts ...grpc.CallOption) (*DistributionInspectResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DistributionInspectResponse)
	err := c.cc.Invoke(ctx, Backend_DistributionInspect_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) Save(ctx context.Context, in *SaveRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[SaveChunk], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Backend_ServiceDesc.Streams[3], Backend_Save_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[SaveRequest, SaveChunk]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_SaveClient = grpc.ServerStreamingClient[SaveChunk]

func (c *backendClient) Load(ctx context.Context, opts ...grpc.CallOption) (grpc.ClientStreamingClient[LoadMessage, LoadResponse], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Backend_ServiceDesc.Streams[4], Backend_Load_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[LoadMessage, LoadResponse]{ClientStream: stream}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_LoadClient = grpc.ClientStreamingClient[LoadMessage, LoadResponse]

func (c *backendClient) Push(ctx context.Context, in *PushRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[PushEvent], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Backend_ServiceDesc.Streams[5], Backend_Push_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[PushRequest, PushEvent]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_PushClient = grpc.ServerStreamingClient[PushEvent]

func (c *backendClient) WatchEvents(ctx context.Context, in *WatchEventsRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[Event], error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	stream, err := c.cc.NewStream(ctx, &Backend_ServiceDesc.Streams[6], Backend_WatchEvents_FullMethodName, cOpts...)
	if err != nil {
		return nil, err
	}
	x := &grpc.GenericClientStream[WatchEventsRequest, Event]{ClientStream: stream}
	if err := x.ClientStream.SendMsg(in); err != nil {
		return nil, err
	}
	if err := x.ClientStream.CloseSend(); err != nil {
		return nil, err
	}
	return x, nil
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_WatchEventsClient = grpc.ServerStreamingClient[Event]

func (c *backendClient) DiskUsage(ctx context.Context, in *DiskUsageRequest, opts ...grpc.CallOption) (*DiskUsageResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DiskUsageResponse)
	err := c.cc.Invoke(ctx, Backend_DiskUsage_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) ResolveRuntimeImage(ctx context.Context, in *ResolveRuntimeImageRequest, opts ...grpc.CallOption) (*RuntimeImage, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RuntimeImage)
	err := c.cc.Invoke(ctx, Backend_ResolveRuntimeImage_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) PrepareRootFS(ctx context.Context, in *PrepareRootFSRequest, opts ...grpc.CallOption) (*MountsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(MountsResponse)
	err := c.cc.Invoke(ctx, Backend_PrepareRootFS_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) RootFSMounts(ctx context.Context, in *RootFSMountsRequest, opts ...grpc.CallOption) (*MountsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(MountsResponse)
	err := c.cc.Invoke(ctx, Backend_RootFSMounts_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) RootFSViews(ctx context.Context, in *RootFSViewsRequest, opts ...grpc.CallOption) (*RootFSViewsResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RootFSViewsResponse)
	err := c.cc.Invoke(ctx, Backend_RootFSViews_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *backendClient) RemoveRootFS(ctx context.Context, in *RemoveRootFSRequest, opts ...grpc.CallOption) (*RemoveRootFSResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(RemoveRootFSResponse)
	err := c.cc.Invoke(ctx, Backend_RemoveRootFS_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BackendServer is the server API for Backend service.
// All implementations must embed UnimplementedBackendServer
// for forward compatibility.
//
// Backend is the image backend a plugin serves.
type BackendServer interface {
	// Init is the first call on a new plugin process. It tells the plugin the
	// protocol version the host speaks and where to reach the host's Usage
	// service, and returns what the plugin is.
	Init(context.Context, *InitRequest) (*InitResponse, error)
	// List lists images (GET /images/json). The plugin streams the images, in order, in
	// one or more ListResponse messages (of a few hundred kilobytes each, so that the host
	// decodes one while the plugin encodes the next), then ends the call with OK. An empty
	// list may be no message at all.
	//
	// A list may be conditional (see ListRequest.if_none_match): when the host already has
	// the answer, the plugin sends one ListResponse with not_modified set instead of the
	// images.
	List(*ListRequest, grpc.ServerStreamingServer[ListResponse]) error
	// Inspect inspects one image (GET /images/{name}/json).
	Inspect(context.Context, *InspectRequest) (*InspectResponse, error)
	// ListVersion returns the version of the plugin's catalog (see ListVersionResponse), so
	// that an HTTP host can label its answers to GET /images/json and GET
	// /images/{name}/json with an ETag and answer a repeated request 304 (RFC 9110
	// conditional requests). It is optional and fails with not_implemented (UNIMPLEMENTED)
	// when the plugin cannot tell: a plugin written before it existed answers UNIMPLEMENTED
	// without an ErrorInfo, which the host takes the same way (no ETag).
	ListVersion(context.Context, *ListVersionRequest) (*ListVersionResponse, error)
	// Pull fetches an image from its registry. The plugin streams progress
	// events, in order, then exactly one result, then ends the call with OK.
	// A failing pull ends the call with an error status, possibly after some
	// progress events.
	Pull(*PullRequest, grpc.ServerStreamingServer[PullEvent]) error
	// Import creates an image from a root filesystem archive. The host sends
	// an ImportHeader first, then the archive as ImportChunk messages of at
	// most 1 MiB each (none when the header has no source), then either ends
	// its side of the stream (end of archive) or sends one ImportSourceError
	// (the archive could not be read) and ends its side. The plugin streams
	// progress events, then exactly one ImportResult, then ends the call with
	// OK; or it ends the call with an error status at any point, after which
	// the host stops sending.
	Import(grpc.BidiStreamingServer[ImportMessage, ImportEvent]) error
	// Remove untags or deletes images (DELETE /images/{name}): capability
	// "remove", imagesvc.Remover. Errors: invalid_argument for invalid options
	// (platforms without force, a platform without OS or architecture);
	// not_found when nothing matches, for an ambiguous short ID, or for a
	// platform the image lacks; conflict when a container uses the image or it
	// has names in several repositories and force is not set.
	Remove(context.Context, *RemoveRequest) (*RemoveResponse, error)
	// Tag gives an image a new name (POST /images/{name}/tag): capability
	// "tag", imagesvc.Tagger. Errors: not_found when the source does not
	// resolve or the image has no locally available platform;
	// invalid_argument for a target that is not a valid tag reference.
	Tag(context.Context, *TagRequest) (*TagResponse, error)
	// Prune removes unused images (POST /images/prune): capability "prune",
	// imagesvc.Pruner. Errors: conflict when another prune of the backend is
	// running ("a prune operation is already running"); invalid_argument for
	// invalid filters.
	Prune(context.Context, *PruneRequest) (*PruneResponse, error)
	// History tells how an image was built (GET /images/{name}/history):
	// capability "history", imagesvc.Historian. Errors: not_found when nothing
	// matches or the image lacks the platform; invalid_argument for an invalid
	// platform; internal when the config has more non-empty history entries
	// than layers.
	History(context.Context, *HistoryRequest) (*HistoryResponse, error)
	// Login checks registry credentials (POST /auth): capability "login",
	// imagesvc.RegistryAuthenticator. Errors: unauthenticated when the
	// registry refuses the credentials, with the registry's reason;
	// invalid_argument for an address that is not a registry host;
	// unavailable when the registry cannot be reached.
	Login(context.Context, *LoginRequest) (*LoginResponse, error)
	// DistributionInspect describes an image in its registry without pulling
	// it (GET /distribution/{name}/json): capability "distribution",
	// imagesvc.DistributionInspector. Errors: not_found for an unknown
	// repository, tag or digest; unauthenticated when the registry wants
	// credentials or refuses them; invalid_argument for a schema 1 manifest;
	// unavailable when the registry cannot be reached.
	DistributionInspect(context.Context, *DistributionInspectRequest) (*DistributionInspectResponse, error)
	// Save writes images as a tar archive (GET /images/get): capability "save",
	// imagesvc.Saver. The plugin resolves the names and prepares the archive,
	// then streams it as SaveChunk messages of at most 1 MiB each, in order,
	// and ends the call with OK. An error status before the first chunk is the
	// request's error (not_found for a name that matches nothing or a platform
	// the image lacks, conflict when a platform matches several manifests);
	// one after a chunk is a failure while streaming, which an HTTP host
	// appends to the archive as Docker does. A plugin may gather small writes
	// into one chunk, but sends what it gathered before ending the call with an
	// error, so that the host knows whether the archive had started.
	Save(*SaveRequest, grpc.ServerStreamingServer[SaveChunk]) error
	// Load reads images from a tar archive (POST /images/load): capability
	// "load", imagesvc.Loader. The host sends a LoadHeader first, then the
	// archive as ImportChunk messages of at most 1 MiB each, then either ends
	// its side (end of archive) or sends one ImportSourceError (the archive
	// could not be read: the plugin's reader returns an error of that class
	// and text) and ends its side. The plugin answers one LoadResponse: the
	// records it created or updated, and, when the load failed after some
	// were recorded, the error that came with them. A load that failed with
	// nothing recorded ends the call with an error status instead, at any
	// point, after which the host stops sending.
	Load(grpc.ClientStreamingServer[LoadMessage, LoadResponse]) error
	// Push uploads an image to its registry (POST /images/{name}/push):
	// capability "push", imagesvc.Pusher. The plugin streams progress events,
	// in order (the first is "The push refers to repository [...]"; aux
	// records carry PushAux), then ends the call with OK, or with an error
	// status (Docker's texts: unauthenticated, permission_denied,
	// not_found, unavailable ...). The credentials of the request are for this
	// call only: neither side logs or stores them.
	Push(*PushRequest, grpc.ServerStreamingServer[PushEvent]) error
	// WatchEvents streams the image events of the plugin's backend (GET
	// /events): capability "events", imagesvc.EventWatcher. The plugin first
	// sends the retained past events within [since, until] when either is set,
	// oldest first, then every new event as it happens, one Event message per
	// event, in order. It ends the call with OK when until has passed (at once
	// when until was already past after the replay), and otherwise runs until
	// the host cancels the call. A watcher that fell too far behind is dropped:
	// the call ends with an error of class resource_exhausted and the reason
	// "events_dropped" (ErrorInfo.reason; Go: imagesvc.ErrEventsDropped), after
	// which the host resumes with since set to the time of the last event it
	// received.
	WatchEvents(*WatchEventsRequest, grpc.ServerStreamingServer[Event]) error
	// DiskUsage reports the space the backend's images take (the image part of
	// GET /system/df): capability "disk_usage", imagesvc.DiskUsager. The images
	// are listed as List does with shared_size set (containers counted with the
	// host's Usage service).
	DiskUsage(context.Context, *DiskUsageRequest) (*DiskUsageResponse, error)
	// ResolveRuntimeImage resolves a reference and a platform (absent: the best
	// for the host, as inspect chooses) to a RuntimeImage.
	ResolveRuntimeImage(context.Context, *ResolveRuntimeImageRequest) (*RuntimeImage, error)
	// PrepareRootFS unpacks what is not unpacked yet of an image and creates
	// the view key on top of it, returning how to mount it. The host sends the
	// RuntimeImage as ResolveRuntimeImage returned it; the plugin looks it up
	// again by its target and manifest digests.
	PrepareRootFS(context.Context, *PrepareRootFSRequest) (*MountsResponse, error)
	// RootFSMounts returns how to mount the view key again.
	RootFSMounts(context.Context, *RootFSMountsRequest) (*MountsResponse, error)
	// RootFSViews lists the plugin's views, oldest first.
	RootFSViews(context.Context, *RootFSViewsRequest) (*RootFSViewsResponse, error)
	// RemoveRootFS removes the view key and frees what only it kept.
	RemoveRootFS(context.Context, *RemoveRootFSRequest) (*RemoveRootFSResponse, error)
	mustEmbedUnimplementedBackendServer()
}

// UnimplementedBackendServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedBackendServer struct{}

func (UnimplementedBackendServer) Init(context.Context, *InitRequest) (*InitResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Init not implemented")
}
func (UnimplementedBackendServer) List(*ListRequest, grpc.ServerStreamingServer[ListResponse]) error {
	return status.Error(codes.Unimplemented, "method List not implemented")
}
func (UnimplementedBackendServer) Inspect(context.Context, *InspectRequest) (*InspectResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Inspect not implemented")
}
func (UnimplementedBackendServer) ListVersion(context.Context, *ListVersionRequest) (*ListVersionResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ListVersion not implemented")
}
func (UnimplementedBackendServer) Pull(*PullRequest, grpc.ServerStreamingServer[PullEvent]) error {
	return status.Error(codes.Unimplemented, "method Pull not implemented")
}
func (UnimplementedBackendServer) Import(grpc.BidiStreamingServer[ImportMessage, ImportEvent]) error {
	return status.Error(codes.Unimplemented, "method Import not implemented")
}
func (UnimplementedBackendServer) Remove(context.Context, *RemoveRequest) (*RemoveResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Remove not implemented")
}
func (UnimplementedBackendServer) Tag(context.Context, *TagRequest) (*TagResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Tag not implemented")
}
func (UnimplementedBackendServer) Prune(context.Context, *PruneRequest) (*PruneResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Prune not implemented")
}
func (UnimplementedBackendServer) History(context.Context, *HistoryRequest) (*HistoryResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method History not implemented")
}
func (UnimplementedBackendServer) Login(context.Context, *LoginRequest) (*LoginResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Login not implemented")
}
func (UnimplementedBackendServer) DistributionInspect(context.Context, *DistributionInspectRequest) (*DistributionInspectResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DistributionInspect not implemented")
}
func (UnimplementedBackendServer) Save(*SaveRequest, grpc.ServerStreamingServer[SaveChunk]) error {
	return status.Error(codes.Unimplemented, "method Save not implemented")
}
func (UnimplementedBackendServer) Load(grpc.ClientStreamingServer[LoadMessage, LoadResponse]) error {
	return status.Error(codes.Unimplemented, "method Load not implemented")
}
func (UnimplementedBackendServer) Push(*PushRequest, grpc.ServerStreamingServer[PushEvent]) error {
	return status.Error(codes.Unimplemented, "method Push not implemented")
}
func (UnimplementedBackendServer) WatchEvents(*WatchEventsRequest, grpc.ServerStreamingServer[Event]) error {
	return status.Error(codes.Unimplemented, "method WatchEvents not implemented")
}
func (UnimplementedBackendServer) DiskUsage(context.Context, *DiskUsageRequest) (*DiskUsageResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method DiskUsage not implemented")
}
func (UnimplementedBackendServer) ResolveRuntimeImage(context.Context, *ResolveRuntimeImageRequest) (*RuntimeImage, error) {
	return nil, status.Error(codes.Unimplemented, "method ResolveRuntimeImage not implemented")
}
func (UnimplementedBackendServer) PrepareRootFS(context.Context, *PrepareRootFSRequest) (*MountsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method PrepareRootFS not implemented")
}
func (UnimplementedBackendServer) RootFSMounts(context.Context, *RootFSMountsRequest) (*MountsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RootFSMounts not implemented")
}
func (UnimplementedBackendServer) RootFSViews(context.Context, *RootFSViewsRequest) (*RootFSViewsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RootFSViews not implemented")
}
func (UnimplementedBackendServer) RemoveRootFS(context.Context, *RemoveRootFSRequest) (*RemoveRootFSResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method RemoveRootFS not implemented")
}
func (UnimplementedBackendServer) mustEmbedUnimplementedBackendServer() {}
func (UnimplementedBackendServer) testEmbeddedByValue()                 {}

// UnsafeBackendServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to BackendServer will
// result in compilation errors.
type UnsafeBackendServer interface {
	mustEmbedUnimplementedBackendServer()
}

func RegisterBackendServer(s grpc.ServiceRegistrar, srv BackendServer) {
	// If the following call panics, it indicates UnimplementedBackendServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&Backend_ServiceDesc, srv)
}

func _Backend_Init_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(InitRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).Init(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_Init_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).Init(ctx, req.(*InitRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_List_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(ListRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(BackendServer).List(m, &grpc.GenericServerStream[ListRequest, ListResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_ListServer = grpc.ServerStreamingServer[ListResponse]

func _Backend_Inspect_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(InspectRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).Inspect(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_Inspect_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).Inspect(ctx, req.(*InspectRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_ListVersion_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ListVersionRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).ListVersion(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_ListVersion_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).ListVersion(ctx, req.(*ListVersionRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_Pull_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(PullRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(BackendServer).Pull(m, &grpc.GenericServerStream[PullRequest, PullEvent]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_PullServer = grpc.ServerStreamingServer[PullEvent]

func _Backend_Import_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(BackendServer).Import(&grpc.GenericServerStream[ImportMessage, ImportEvent]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_ImportServer = grpc.BidiStreamingServer[ImportMessage, ImportEvent]

func _Backend_Remove_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RemoveRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).Remove(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_Remove_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).Remove(ctx, req.(*RemoveRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_Tag_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(TagRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).Tag(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_Tag_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).Tag(ctx, req.(*TagRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_Prune_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(PruneRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).Prune(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_Prune_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).Prune(ctx, req.(*PruneRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_History_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(HistoryRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).History(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_History_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).History(ctx, req.(*HistoryRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_Login_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(LoginRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).Login(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_Login_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).Login(ctx, req.(*LoginRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_DistributionInspect_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DistributionInspectRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).DistributionInspect(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_DistributionInspect_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).DistributionInspect(ctx, req.(*DistributionInspectRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_Save_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(SaveRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(BackendServer).Save(m, &grpc.GenericServerStream[SaveRequest, SaveChunk]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_SaveServer = grpc.ServerStreamingServer[SaveChunk]

func _Backend_Load_Handler(srv interface{}, stream grpc.ServerStream) error {
	return srv.(BackendServer).Load(&grpc.GenericServerStream[LoadMessage, LoadResponse]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_LoadServer = grpc.ClientStreamingServer[LoadMessage, LoadResponse]

func _Backend_Push_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(PushRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(BackendServer).Push(m, &grpc.GenericServerStream[PushRequest, PushEvent]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_PushServer = grpc.ServerStreamingServer[PushEvent]

func _Backend_WatchEvents_Handler(srv interface{}, stream grpc.ServerStream) error {
	m := new(WatchEventsRequest)
	if err := stream.RecvMsg(m); err != nil {
		return err
	}
	return srv.(BackendServer).WatchEvents(m, &grpc.GenericServerStream[WatchEventsRequest, Event]{ServerStream: stream})
}

// This type alias is provided for backwards compatibility with existing code that references the prior non-generic stream type by name.
type Backend_WatchEventsServer = grpc.ServerStreamingServer[Event]

func _Backend_DiskUsage_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DiskUsageRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).DiskUsage(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_DiskUsage_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).DiskUsage(ctx, req.(*DiskUsageRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_ResolveRuntimeImage_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ResolveRuntimeImageRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).ResolveRuntimeImage(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_ResolveRuntimeImage_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).ResolveRuntimeImage(ctx, req.(*ResolveRuntimeImageRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_PrepareRootFS_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(PrepareRootFSRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).PrepareRootFS(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_PrepareRootFS_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).PrepareRootFS(ctx, req.(*PrepareRootFSRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_RootFSMounts_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RootFSMountsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).RootFSMounts(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_RootFSMounts_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).RootFSMounts(ctx, req.(*RootFSMountsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_RootFSViews_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RootFSViewsRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).RootFSViews(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_RootFSViews_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).RootFSViews(ctx, req.(*RootFSViewsRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Backend_RemoveRootFS_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(RemoveRootFSRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(BackendServer).RemoveRootFS(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Backend_RemoveRootFS_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(BackendServer).RemoveRootFS(ctx, req.(*RemoveRootFSRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// Backend_ServiceDesc is the grpc.ServiceDesc for Backend service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var Backend_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "imageapi.plugin.v1.Backend",
	HandlerType: (*BackendServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "Init",
			Handler:    _Backend_Init_Handler,
		},
		{
			MethodName: "Inspect",
			Handler:    _Backend_Inspect_Handler,
		},
		{
			MethodName: "ListVersion",
			Handler:    _Backend_ListVersion_Handler,
		},
		{
			MethodName: "Remove",
			Handler:    _Backend_Remove_Handler,
		},
		{
			MethodName: "Tag",
			Handler:    _Backend_Tag_Handler,
		},
		{
			MethodName: "Prune",
			Handler:    _Backend_Prune_Handler,
		},
		{
			MethodName: "History",
			Handler:    _Backend_History_Handler,
		},
		{
			MethodName: "Login",
			Handler:    _Backend_Login_Handler,
		},
		{
			MethodName: "DistributionInspect",
			Handler:    _Backend_DistributionInspect_Handler,
		},
		{
			MethodName: "DiskUsage",
			Handler:    _Backend_DiskUsage_Handler,
		},
		{
			MethodName: "ResolveRuntimeImage",
			Handler:    _Backend_ResolveRuntimeImage_Handler,
		},
		{
			MethodName: "PrepareRootFS",
			Handler:    _Backend_PrepareRootFS_Handler,
		},
		{
			MethodName: "RootFSMounts",
			Handler:    _Backend_RootFSMounts_Handler,
		},
		{
			MethodName: "RootFSViews",
			Handler:    _Backend_RootFSViews_Handler,
		},
		{
			MethodName: "RemoveRootFS",
			Handler:    _Backend_RemoveRootFS_Handler,
		},
	},
	Streams: []grpc.StreamDesc{
		{
			StreamName:    "List",
			Handler:       _Backend_List_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "Pull",
			Handler:       _Backend_Pull_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "Import",
			Handler:       _Backend_Import_Handler,
			ServerStreams: true,
			ClientStreams: true,
		},
		{
			StreamName:    "Save",
			Handler:       _Backend_Save_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "Load",
			Handler:       _Backend_Load_Handler,
			ClientStreams: true,
		},
		{
			StreamName:    "Push",
			Handler:       _Backend_Push_Handler,
			ServerStreams: true,
		},
		{
			StreamName:    "WatchEvents",
			Handler:       _Backend_WatchEvents_Handler,
			ServerStreams: true,
		},
	},
	Metadata: "backend.proto",
}

const (
	Usage_ContainersUsing_FullMethodName = "/imageapi.plugin.v1.Usage/ContainersUsing"
	Usage_Containers_FullMethodName      = "/imageapi.plugin.v1.Usage/Containers"
)

// UsageClient is the client API for Usage service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
//
// Usage is served by the host, through go-plugin's GRPCBroker, on the broker
// ID that InitRequest.usage_broker_id gives. It answers which containers use
// which images (the host knows its containers; the plugin does not).
type UsageClient interface {
	// ContainersUsing returns, for those of the given image IDs or manifest
	// digests that some container was created from, the IDs of those
	// containers.
	ContainersUsing(ctx context.Context, in *ContainersUsingRequest, opts ...grpc.CallOption) (*ContainersUsingResponse, error)
	// Containers returns every container of the host, with what Docker's rules
	// for remove and prune need to know of it (imagesvc.ContainerLister): the
	// image it was created from and whether it is running. A host whose
	// provider cannot tell answers an empty list, exactly as one that has no
	// containers; a plugin then treats every image as unused, as Go backends
	// do with a usage provider that does not list containers. A host written
	// before this call existed answers UNIMPLEMENTED without an ErrorInfo,
	// which a plugin takes as the same empty list.
	Containers(ctx context.Context, in *ContainersRequest, opts ...grpc.CallOption) (*ContainersResponse, error)
}

type usageClient struct {
	cc grpc.ClientConnInterface
}

func NewUsageClient(cc grpc.ClientConnInterface) UsageClient {
	return &usageClient{cc}
}

func (c *usageClient) ContainersUsing(ctx context.Context, in *ContainersUsingRequest, opts ...grpc.CallOption) (*ContainersUsingResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ContainersUsingResponse)
	err := c.cc.Invoke(ctx, Usage_ContainersUsing_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *usageClient) Containers(ctx context.Context, in *ContainersRequest, opts ...grpc.CallOption) (*ContainersResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ContainersResponse)
	err := c.cc.Invoke(ctx, Usage_Containers_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UsageServer is the server API for Usage service.
// All implementations must embed UnimplementedUsageServer
// for forward compatibility.
//
// Usage is served by the host, through go-plugin's GRPCBroker, on the broker
// ID that InitRequest.usage_broker_id gives. It answers which containers use
// which images (the host knows its containers; the plugin does not).
type UsageServer interface {
	// ContainersUsing returns, for those of the given image IDs or manifest
	// digests that some container was created from, the IDs of those
	// containers.
	ContainersUsing(context.Context, *ContainersUsingRequest) (*ContainersUsingResponse, error)
	// Containers returns every container of the host, with what Docker's rules
	// for remove and prune need to know of it (imagesvc.ContainerLister): the
	// image it was created from and whether it is running. A host whose
	// provider cannot tell answers an empty list, exactly as one that has no
	// containers; a plugin then treats every image as unused, as Go backends
	// do with a usage provider that does not list containers. A host written
	// before this call existed answers UNIMPLEMENTED without an ErrorInfo,
	// which a plugin takes as the same empty list.
	Containers(context.Context, *ContainersRequest) (*ContainersResponse, error)
	mustEmbedUnimplementedUsageServer()
}

// UnimplementedUsageServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedUsageServer struct{}

func (UnimplementedUsageServer) ContainersUsing(context.Context, *ContainersUsingRequest) (*ContainersUsingResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method ContainersUsing not implemented")
}
func (UnimplementedUsageServer) Containers(context.Context, *ContainersRequest) (*ContainersResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Containers not implemented")
}
func (UnimplementedUsageServer) mustEmbedUnimplementedUsageServer() {}
func (UnimplementedUsageServer) testEmbeddedByValue()               {}

// UnsafeUsageServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to UsageServer will
// result in compilation errors.
type UnsafeUsageServer interface {
	mustEmbedUnimplementedUsageServer()
}

func RegisterUsageServer(s grpc.ServiceRegistrar, srv UsageServer) {
	// If the following call panics, it indicates UnimplementedUsageServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&Usage_ServiceDesc, srv)
}

func _Usage_ContainersUsing_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ContainersUsingRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(UsageServer).ContainersUsing(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Usage_ContainersUsing_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(UsageServer).ContainersUsing(ctx, req.(*ContainersUsingRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _Usage_Containers_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ContainersRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(UsageServer).Containers(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: Usage_Containers_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(UsageServer).Containers(ctx, req.(*ContainersRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// Usage_ServiceDesc is the grpc.ServiceDesc for Usage service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var Usage_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "imageapi.plugin.v1.Usage",
	HandlerType: (*UsageServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "ContainersUsing",
			Handler:    _Usage_ContainersUsing_Handler,
		},
		{
			MethodName: "Containers",
			Handler:    _Usage_Containers_Handler,
		},
	},
	Streams:  []grpc.StreamDesc{},
	Metadata: "backend.proto",
}
