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

// Code generated by protoc-gen-go. DO NOT EDIT.
// versions:
// 	protoc-gen-go v1.36.12
// 	protoc        v3.21.12
// source: backend.proto

package pluginproto

import (
	protoreflect "google.golang.org/protobuf/reflect/protoreflect"
	protoimpl "google.golang.org/protobuf/runtime/protoimpl"
	reflect "reflect"
	sync "sync"
	unsafe "unsafe"
)

const (
	// Verify that this generated code is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(20 - protoimpl.MinVersion)
	// Verify that runtime/protoimpl is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(protoimpl.MaxVersion - 20)
)

// ErrorInfo is attached to every error status a plugin (or the host's Usage
// service) returns. class is one of these names, with the status code to use:
//
//	not_found            NOT_FOUND
//	invalid_argument     INVALID_ARGUMENT
//	already_exists       ALREADY_EXISTS
//	permission_denied    PERMISSION_DENIED
//	unauthenticated      UNAUTHENTICATED
//	resource_exhausted   RESOURCE_EXHAUSTED
//	failed_precondition  FAILED_PRECONDITION
//	conflict             FAILED_PRECONDITION
//	not_modified         FAILED_PRECONDITION
//	aborted              ABORTED
//	out_of_range         OUT_OF_RANGE
//	not_implemented      UNIMPLEMENTED
//	internal             INTERNAL
//	unavailable          UNAVAILABLE
//	data_loss            DATA_LOSS
//	canceled             CANCELLED
//	deadline_exceeded    DEADLINE_EXCEEDED
//	unknown              UNKNOWN       (an error without a class)
//
// The names are those of github.com/containerd/errdefs.
//
// reason, when present, names a particular error of the class that a host
// tells apart; the one defined is "events_dropped" (class
// resource_exhausted, WatchEvents: the watcher fell behind and was dropped;
// Go: imagesvc.ErrEventsDropped). A host ignores reasons it does not know.
type ErrorInfo struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Class         string                 `protobuf:"bytes,1,opt,name=class,proto3" json:"class,omitempty"`
	Reason        string                 `protobuf:"bytes,2,opt,name=reason,proto3" json:"reason,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ErrorInfo) Reset() {
	*x = ErrorInfo{}
	mi := &file_backend_proto_msgTypes[0]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ErrorInfo) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ErrorInfo) ProtoMessage() {}

func (x *ErrorInfo) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[0]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ErrorInfo.ProtoReflect.Descriptor instead.
func (*ErrorInfo) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{0}
}

func (x *ErrorInfo) GetClass() string {
	if x != nil {
		return x.Class
	}
	return ""
}

func (x *ErrorInfo) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

type InitRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// protocol_version is the version of this protocol the host negotiated: 1.
	ProtocolVersion uint32 `protobuf:"varint,1,opt,name=protocol_version,json=protocolVersion,proto3" json:"protocol_version,omitempty"`
	// usage_broker_id is the GRPCBroker ID of the host's Usage service; 0 when
	// the host has none (the plugin then reports no containers).
	UsageBrokerId uint32 `protobuf:"varint,2,opt,name=usage_broker_id,json=usageBrokerId,proto3" json:"usage_broker_id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *InitRequest) Reset() {
	*x = InitRequest{}
	mi := &file_backend_proto_msgTypes[1]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *InitRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*InitRequest) ProtoMessage() {}

func (x *InitRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[1]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use InitRequest.ProtoReflect.Descriptor instead.
func (*InitRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{1}
}

func (x *InitRequest) GetProtocolVersion() uint32 {
	if x != nil {
		return x.ProtocolVersion
	}
	return 0
}

func (x *InitRequest) GetUsageBrokerId() uint32 {
	if x != nil {
		return x.UsageBrokerId
	}
	return 0
}

type InitResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// protocol_version is the version the plugin serves; it must equal the
	// request's.
	ProtocolVersion uint32 `protobuf:"varint,1,opt,name=protocol_version,json=protocolVersion,proto3" json:"protocol_version,omitempty"`
	// name and version describe the plugin, for the host's logs.
	Name    string `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Version string `protobuf:"bytes,3,opt,name=version,proto3" json:"version,omitempty"`
	// capabilities names the optional calls the plugin serves (see
	// "Capabilities" above): "remove", "tag", "prune", "history", "login",
	// "distribution", "save", "load", "push", "events", "disk_usage", "rootfs".
	// Absent (as
	// from a plugin written before the field existed) means none. The order
	// does not matter; the host ignores names it does not know.
	Capabilities  []string `protobuf:"bytes,4,rep,name=capabilities,proto3" json:"capabilities,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *InitResponse) Reset() {
	*x = InitResponse{}
	mi := &file_backend_proto_msgTypes[2]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *InitResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*InitResponse) ProtoMessage() {}

func (x *InitResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[2]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use InitResponse.ProtoReflect.Descriptor instead.
func (*InitResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{2}
}

func (x *InitResponse) GetProtocolVersion() uint32 {
	if x != nil {
		return x.ProtocolVersion
	}
	return 0
}

func (x *InitResponse) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *InitResponse) GetVersion() string {
	if x != nil {
		return x.Version
	}
	return ""
}

func (x *InitResponse) GetCapabilities() []string {
	if x != nil {
		return x.Capabilities
	}
	return nil
}

// Time is an instant and the UTC offset it was recorded with.
type Time struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// seconds and nanos are the instant, as in google.protobuf.Timestamp.
	Seconds int64 `protobuf:"varint,1,opt,name=seconds,proto3" json:"seconds,omitempty"`
	Nanos   int32 `protobuf:"varint,2,opt,name=nanos,proto3" json:"nanos,omitempty"`
	// utc_offset is the offset east of UTC, in seconds, of the time zone the
	// instant was recorded in; 0 for UTC.
	UtcOffset     int32 `protobuf:"varint,3,opt,name=utc_offset,json=utcOffset,proto3" json:"utc_offset,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Time) Reset() {
	*x = Time{}
	mi := &file_backend_proto_msgTypes[3]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Time) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Time) ProtoMessage() {}

func (x *Time) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[3]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Time.ProtoReflect.Descriptor instead.
func (*Time) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{3}
}

func (x *Time) GetSeconds() int64 {
	if x != nil {
		return x.Seconds
	}
	return 0
}

func (x *Time) GetNanos() int32 {
	if x != nil {
		return x.Nanos
	}
	return 0
}

func (x *Time) GetUtcOffset() int32 {
	if x != nil {
		return x.UtcOffset
	}
	return 0
}

// Platform is an OCI platform (image-spec Platform).
type Platform struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Architecture  string                 `protobuf:"bytes,1,opt,name=architecture,proto3" json:"architecture,omitempty"`
	Os            string                 `protobuf:"bytes,2,opt,name=os,proto3" json:"os,omitempty"`
	OsVersion     string                 `protobuf:"bytes,3,opt,name=os_version,json=osVersion,proto3" json:"os_version,omitempty"`
	OsFeatures    []string               `protobuf:"bytes,4,rep,name=os_features,json=osFeatures,proto3" json:"os_features,omitempty"`
	Variant       string                 `protobuf:"bytes,5,opt,name=variant,proto3" json:"variant,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Platform) Reset() {
	*x = Platform{}
	mi := &file_backend_proto_msgTypes[4]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Platform) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Platform) ProtoMessage() {}

func (x *Platform) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[4]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Platform.ProtoReflect.Descriptor instead.
func (*Platform) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{4}
}

func (x *Platform) GetArchitecture() string {
	if x != nil {
		return x.Architecture
	}
	return ""
}

func (x *Platform) GetOs() string {
	if x != nil {
		return x.Os
	}
	return ""
}

func (x *Platform) GetOsVersion() string {
	if x != nil {
		return x.OsVersion
	}
	return ""
}

func (x *Platform) GetOsFeatures() []string {
	if x != nil {
		return x.OsFeatures
	}
	return nil
}

func (x *Platform) GetVariant() string {
	if x != nil {
		return x.Variant
	}
	return ""
}

// Descriptor is an OCI content descriptor (image-spec Descriptor).
type Descriptor struct {
	state       protoimpl.MessageState `protogen:"open.v1"`
	MediaType   string                 `protobuf:"bytes,1,opt,name=media_type,json=mediaType,proto3" json:"media_type,omitempty"`
	Digest      string                 `protobuf:"bytes,2,opt,name=digest,proto3" json:"digest,omitempty"`
	Size        int64                  `protobuf:"varint,3,opt,name=size,proto3" json:"size,omitempty"`
	Urls        []string               `protobuf:"bytes,4,rep,name=urls,proto3" json:"urls,omitempty"`
	Annotations map[string]string      `protobuf:"bytes,5,rep,name=annotations,proto3" json:"annotations,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	Data        []byte                 `protobuf:"bytes,6,opt,name=data,proto3" json:"data,omitempty"`
	// platform is absent when the descriptor has none.
	Platform      *Platform `protobuf:"bytes,7,opt,name=platform,proto3" json:"platform,omitempty"`
	ArtifactType  string    `protobuf:"bytes,8,opt,name=artifact_type,json=artifactType,proto3" json:"artifact_type,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Descriptor) Reset() {
	*x = Descriptor{}
	mi := &file_backend_proto_msgTypes[5]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Descriptor) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Descriptor) ProtoMessage() {}

func (x *Descriptor) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[5]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Descriptor.ProtoReflect.Descriptor instead.
func (*Descriptor) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{5}
}

func (x *Descriptor) GetMediaType() string {
	if x != nil {
		return x.MediaType
	}
	return ""
}

func (x *Descriptor) GetDigest() string {
	if x != nil {
		return x.Digest
	}
	return ""
}

func (x *Descriptor) GetSize() int64 {
	if x != nil {
		return x.Size
	}
	return 0
}

func (x *Descriptor) GetUrls() []string {
	if x != nil {
		return x.Urls
	}
	return nil
}

func (x *Descriptor) GetAnnotations() map[string]string {
	if x != nil {
		return x.Annotations
	}
	return nil
}

func (x *Descriptor) GetData() []byte {
	if x != nil {
		return x.Data
	}
	return nil
}

func (x *Descriptor) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

func (x *Descriptor) GetArtifactType() string {
	if x != nil {
		return x.ArtifactType
	}
	return ""
}

// StringMap is a map whose absence differs from its being empty.
type StringMap struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Values        map[string]string      `protobuf:"bytes,1,rep,name=values,proto3" json:"values,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *StringMap) Reset() {
	*x = StringMap{}
	mi := &file_backend_proto_msgTypes[6]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *StringMap) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*StringMap) ProtoMessage() {}

func (x *StringMap) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[6]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use StringMap.ProtoReflect.Descriptor instead.
func (*StringMap) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{6}
}

func (x *StringMap) GetValues() map[string]string {
	if x != nil {
		return x.Values
	}
	return nil
}

type ListRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	All   bool                   `protobuf:"varint,1,opt,name=all,proto3" json:"all,omitempty"`
	// filters are the filter arguments in Docker's JSON shape
	// {"key":{"value":true}}; empty for none.
	Filters    string `protobuf:"bytes,2,opt,name=filters,proto3" json:"filters,omitempty"`
	SharedSize bool   `protobuf:"varint,3,opt,name=shared_size,json=sharedSize,proto3" json:"shared_size,omitempty"`
	Manifests  bool   `protobuf:"varint,4,opt,name=manifests,proto3" json:"manifests,omitempty"`
	Identity   bool   `protobuf:"varint,5,opt,name=identity,proto3" json:"identity,omitempty"`
	// if_none_match is the etag of the answer the host has for a list with these same
	// options (the etag a ListResponse gave); empty when it has none. A plugin that can
	// tell that its answer would be the one this etag names answers with not_modified; in
	// any other case (an etag it does not know, of another request, of an older state of
	// the catalog, or one it cannot check) it answers in full, as if the field were empty.
	IfNoneMatch   string `protobuf:"bytes,6,opt,name=if_none_match,json=ifNoneMatch,proto3" json:"if_none_match,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListRequest) Reset() {
	*x = ListRequest{}
	mi := &file_backend_proto_msgTypes[7]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListRequest) ProtoMessage() {}

func (x *ListRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[7]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListRequest.ProtoReflect.Descriptor instead.
func (*ListRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{7}
}

func (x *ListRequest) GetAll() bool {
	if x != nil {
		return x.All
	}
	return false
}

func (x *ListRequest) GetFilters() string {
	if x != nil {
		return x.Filters
	}
	return ""
}

func (x *ListRequest) GetSharedSize() bool {
	if x != nil {
		return x.SharedSize
	}
	return false
}

func (x *ListRequest) GetManifests() bool {
	if x != nil {
		return x.Manifests
	}
	return false
}

func (x *ListRequest) GetIdentity() bool {
	if x != nil {
		return x.Identity
	}
	return false
}

func (x *ListRequest) GetIfNoneMatch() string {
	if x != nil {
		return x.IfNoneMatch
	}
	return ""
}

type ListResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// images are the next images of the list, which is newest first. A not_modified
	// message carries none.
	Images []*Summary `protobuf:"bytes,1,rep,name=images,proto3" json:"images,omitempty"`
	// total is the number of images of the whole list, in the first message; 0 when not
	// known. The host uses it to size the result.
	Total uint32 `protobuf:"varint,2,opt,name=total,proto3" json:"total,omitempty"`
	// etag labels the whole answer (see "Conditional lists" above), in the first message
	// of a full answer (a plugin answering an empty list with an etag sends one message
	// with only the etag), and in the not_modified message; empty when the plugin offers
	// none, which it may always do. It is opaque: the host only compares it, byte for
	// byte, and sends it back. A plugin keeps it short (tens of bytes).
	Etag string `protobuf:"bytes,3,opt,name=etag,proto3" json:"etag,omitempty"`
	// not_modified answers a request whose if_none_match names the answer the plugin
	// would send: the answer is the one the host already has. It is the only message of
	// the call, with no images and no total, and the etag it confirms. A plugin sets it
	// only in answer to a non-empty if_none_match.
	NotModified   bool `protobuf:"varint,4,opt,name=not_modified,json=notModified,proto3" json:"not_modified,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListResponse) Reset() {
	*x = ListResponse{}
	mi := &file_backend_proto_msgTypes[8]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListResponse) ProtoMessage() {}

func (x *ListResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[8]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListResponse.ProtoReflect.Descriptor instead.
func (*ListResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{8}
}

func (x *ListResponse) GetImages() []*Summary {
	if x != nil {
		return x.Images
	}
	return nil
}

func (x *ListResponse) GetTotal() uint32 {
	if x != nil {
		return x.Total
	}
	return 0
}

func (x *ListResponse) GetEtag() string {
	if x != nil {
		return x.Etag
	}
	return ""
}

func (x *ListResponse) GetNotModified() bool {
	if x != nil {
		return x.NotModified
	}
	return false
}

// Summary is one entry of a list.
type Summary struct {
	state       protoimpl.MessageState `protogen:"open.v1"`
	Id          string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	ParentId    string                 `protobuf:"bytes,2,opt,name=parent_id,json=parentId,proto3" json:"parent_id,omitempty"`
	RepoTags    []string               `protobuf:"bytes,3,rep,name=repo_tags,json=repoTags,proto3" json:"repo_tags,omitempty"`
	RepoDigests []string               `protobuf:"bytes,4,rep,name=repo_digests,json=repoDigests,proto3" json:"repo_digests,omitempty"`
	Created     *Time                  `protobuf:"bytes,5,opt,name=created,proto3" json:"created,omitempty"`
	Size        int64                  `protobuf:"varint,6,opt,name=size,proto3" json:"size,omitempty"`
	// shared_size is -1 when not computed.
	SharedSize int64 `protobuf:"varint,7,opt,name=shared_size,json=sharedSize,proto3" json:"shared_size,omitempty"`
	// labels is absent when the image has no image manifest.
	Labels      *StringMap  `protobuf:"bytes,8,opt,name=labels,proto3" json:"labels,omitempty"`
	Containers  int64       `protobuf:"varint,9,opt,name=containers,proto3" json:"containers,omitempty"`
	Descriptor_ *Descriptor `protobuf:"bytes,10,opt,name=descriptor,proto3" json:"descriptor,omitempty"`
	// manifests are filled when the request asked for them.
	Manifests []*ManifestSummary `protobuf:"bytes,11,rep,name=manifests,proto3" json:"manifests,omitempty"`
	// has_manifests tells an empty manifests list (true) from none at all.
	HasManifests  bool `protobuf:"varint,12,opt,name=has_manifests,json=hasManifests,proto3" json:"has_manifests,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Summary) Reset() {
	*x = Summary{}
	mi := &file_backend_proto_msgTypes[9]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Summary) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Summary) ProtoMessage() {}

func (x *Summary) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[9]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Summary.ProtoReflect.Descriptor instead.
func (*Summary) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{9}
}

func (x *Summary) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Summary) GetParentId() string {
	if x != nil {
		return x.ParentId
	}
	return ""
}

func (x *Summary) GetRepoTags() []string {
	if x != nil {
		return x.RepoTags
	}
	return nil
}

func (x *Summary) GetRepoDigests() []string {
	if x != nil {
		return x.RepoDigests
	}
	return nil
}

func (x *Summary) GetCreated() *Time {
	if x != nil {
		return x.Created
	}
	return nil
}

func (x *Summary) GetSize() int64 {
	if x != nil {
		return x.Size
	}
	return 0
}

func (x *Summary) GetSharedSize() int64 {
	if x != nil {
		return x.SharedSize
	}
	return 0
}

func (x *Summary) GetLabels() *StringMap {
	if x != nil {
		return x.Labels
	}
	return nil
}

func (x *Summary) GetContainers() int64 {
	if x != nil {
		return x.Containers
	}
	return 0
}

func (x *Summary) GetDescriptor_() *Descriptor {
	if x != nil {
		return x.Descriptor_
	}
	return nil
}

func (x *Summary) GetManifests() []*ManifestSummary {
	if x != nil {
		return x.Manifests
	}
	return nil
}

func (x *Summary) GetHasManifests() bool {
	if x != nil {
		return x.HasManifests
	}
	return false
}

type ManifestSummary struct {
	state       protoimpl.MessageState `protogen:"open.v1"`
	Id          string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Descriptor_ *Descriptor            `protobuf:"bytes,2,opt,name=descriptor,proto3" json:"descriptor,omitempty"`
	Available   bool                   `protobuf:"varint,3,opt,name=available,proto3" json:"available,omitempty"`
	ContentSize int64                  `protobuf:"varint,4,opt,name=content_size,json=contentSize,proto3" json:"content_size,omitempty"`
	TotalSize   int64                  `protobuf:"varint,5,opt,name=total_size,json=totalSize,proto3" json:"total_size,omitempty"`
	// kind is "image", "attestation" or "unknown".
	Kind string `protobuf:"bytes,6,opt,name=kind,proto3" json:"kind,omitempty"`
	// image_data is present when kind is "image".
	ImageData *ImageData `protobuf:"bytes,7,opt,name=image_data,json=imageData,proto3" json:"image_data,omitempty"`
	// attestation_data is present when kind is "attestation".
	AttestationData *AttestationData `protobuf:"bytes,8,opt,name=attestation_data,json=attestationData,proto3" json:"attestation_data,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *ManifestSummary) Reset() {
	*x = ManifestSummary{}
	mi := &file_backend_proto_msgTypes[10]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ManifestSummary) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ManifestSummary) ProtoMessage() {}

func (x *ManifestSummary) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[10]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ManifestSummary.ProtoReflect.Descriptor instead.
func (*ManifestSummary) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{10}
}

func (x *ManifestSummary) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *ManifestSummary) GetDescriptor_() *Descriptor {
	if x != nil {
		return x.Descriptor_
	}
	return nil
}

func (x *ManifestSummary) GetAvailable() bool {
	if x != nil {
		return x.Available
	}
	return false
}

func (x *ManifestSummary) GetContentSize() int64 {
	if x != nil {
		return x.ContentSize
	}
	return 0
}

func (x *ManifestSummary) GetTotalSize() int64 {
	if x != nil {
		return x.TotalSize
	}
	return 0
}

func (x *ManifestSummary) GetKind() string {
	if x != nil {
		return x.Kind
	}
	return ""
}

func (x *ManifestSummary) GetImageData() *ImageData {
	if x != nil {
		return x.ImageData
	}
	return nil
}

func (x *ManifestSummary) GetAttestationData() *AttestationData {
	if x != nil {
		return x.AttestationData
	}
	return nil
}

type ImageData struct {
	state    protoimpl.MessageState `protogen:"open.v1"`
	Platform *Platform              `protobuf:"bytes,1,opt,name=platform,proto3" json:"platform,omitempty"`
	// identity is absent when not requested or not known.
	Identity      *Identity `protobuf:"bytes,2,opt,name=identity,proto3" json:"identity,omitempty"`
	Unpacked      int64     `protobuf:"varint,3,opt,name=unpacked,proto3" json:"unpacked,omitempty"`
	Containers    []string  `protobuf:"bytes,4,rep,name=containers,proto3" json:"containers,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImageData) Reset() {
	*x = ImageData{}
	mi := &file_backend_proto_msgTypes[11]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImageData) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImageData) ProtoMessage() {}

func (x *ImageData) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[11]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImageData.ProtoReflect.Descriptor instead.
func (*ImageData) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{11}
}

func (x *ImageData) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

func (x *ImageData) GetIdentity() *Identity {
	if x != nil {
		return x.Identity
	}
	return nil
}

func (x *ImageData) GetUnpacked() int64 {
	if x != nil {
		return x.Unpacked
	}
	return 0
}

func (x *ImageData) GetContainers() []string {
	if x != nil {
		return x.Containers
	}
	return nil
}

type AttestationData struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	For           string                 `protobuf:"bytes,1,opt,name=for,proto3" json:"for,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *AttestationData) Reset() {
	*x = AttestationData{}
	mi := &file_backend_proto_msgTypes[12]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *AttestationData) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*AttestationData) ProtoMessage() {}

func (x *AttestationData) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[12]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use AttestationData.ProtoReflect.Descriptor instead.
func (*AttestationData) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{12}
}

func (x *AttestationData) GetFor() string {
	if x != nil {
		return x.For
	}
	return ""
}

type Identity struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Pull          []*PullIdentity        `protobuf:"bytes,1,rep,name=pull,proto3" json:"pull,omitempty"`
	Build         []*BuildIdentity       `protobuf:"bytes,2,rep,name=build,proto3" json:"build,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Identity) Reset() {
	*x = Identity{}
	mi := &file_backend_proto_msgTypes[13]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Identity) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Identity) ProtoMessage() {}

func (x *Identity) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[13]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Identity.ProtoReflect.Descriptor instead.
func (*Identity) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{13}
}

func (x *Identity) GetPull() []*PullIdentity {
	if x != nil {
		return x.Pull
	}
	return nil
}

func (x *Identity) GetBuild() []*BuildIdentity {
	if x != nil {
		return x.Build
	}
	return nil
}

type PullIdentity struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Repository    string                 `protobuf:"bytes,1,opt,name=repository,proto3" json:"repository,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PullIdentity) Reset() {
	*x = PullIdentity{}
	mi := &file_backend_proto_msgTypes[14]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PullIdentity) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PullIdentity) ProtoMessage() {}

func (x *PullIdentity) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[14]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PullIdentity.ProtoReflect.Descriptor instead.
func (*PullIdentity) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{14}
}

func (x *PullIdentity) GetRepository() string {
	if x != nil {
		return x.Repository
	}
	return ""
}

type BuildIdentity struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Ref           string                 `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	CreatedAt     *Time                  `protobuf:"bytes,2,opt,name=created_at,json=createdAt,proto3" json:"created_at,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BuildIdentity) Reset() {
	*x = BuildIdentity{}
	mi := &file_backend_proto_msgTypes[15]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BuildIdentity) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BuildIdentity) ProtoMessage() {}

func (x *BuildIdentity) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[15]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BuildIdentity.ProtoReflect.Descriptor instead.
func (*BuildIdentity) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{15}
}

func (x *BuildIdentity) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *BuildIdentity) GetCreatedAt() *Time {
	if x != nil {
		return x.CreatedAt
	}
	return nil
}

type ListVersionRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListVersionRequest) Reset() {
	*x = ListVersionRequest{}
	mi := &file_backend_proto_msgTypes[16]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListVersionRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListVersionRequest) ProtoMessage() {}

func (x *ListVersionRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[16]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListVersionRequest.ProtoReflect.Descriptor instead.
func (*ListVersionRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{16}
}

type ListVersionResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// version changes whenever a List or an Inspect with the same request could answer
	// differently from before, except for two inputs the host accounts for itself: the
	// current time (an "until" filter) and the containers the host's Usage service reports.
	// It must be exact: a version given once every write visible to a later list or inspect
	// has changed it, and never given again by this process for another state (the Go
	// plugins read it before any write that could commit unseen has started, and mix in a
	// random value drawn when the process starts, so that a relaunched plugin never gives a
	// version of the one before it). It is opaque: the host only compares it, byte for
	// byte. A plugin that cannot tell (a write in progress, lists that depend on more than
	// its catalog) fails the call instead (unavailable, not_implemented); it never answers
	// an empty version.
	Version       string `protobuf:"bytes,1,opt,name=version,proto3" json:"version,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ListVersionResponse) Reset() {
	*x = ListVersionResponse{}
	mi := &file_backend_proto_msgTypes[17]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ListVersionResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ListVersionResponse) ProtoMessage() {}

func (x *ListVersionResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[17]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ListVersionResponse.ProtoReflect.Descriptor instead.
func (*ListVersionResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{17}
}

func (x *ListVersionResponse) GetVersion() string {
	if x != nil {
		return x.Version
	}
	return ""
}

type InspectRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// ref is the reference as the client gave it (a name, name:tag,
	// name@digest, full or short ID); the plugin parses it again.
	Ref       string `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	Manifests bool   `protobuf:"varint,2,opt,name=manifests,proto3" json:"manifests,omitempty"`
	// platform selects a platform manifest; absent for the host's best.
	Platform      *Platform `protobuf:"bytes,3,opt,name=platform,proto3" json:"platform,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *InspectRequest) Reset() {
	*x = InspectRequest{}
	mi := &file_backend_proto_msgTypes[18]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *InspectRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*InspectRequest) ProtoMessage() {}

func (x *InspectRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[18]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use InspectRequest.ProtoReflect.Descriptor instead.
func (*InspectRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{18}
}

func (x *InspectRequest) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *InspectRequest) GetManifests() bool {
	if x != nil {
		return x.Manifests
	}
	return false
}

func (x *InspectRequest) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

type InspectResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Image         *Image                 `protobuf:"bytes,1,opt,name=image,proto3" json:"image,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *InspectResponse) Reset() {
	*x = InspectResponse{}
	mi := &file_backend_proto_msgTypes[19]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *InspectResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*InspectResponse) ProtoMessage() {}

func (x *InspectResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[19]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use InspectResponse.ProtoReflect.Descriptor instead.
func (*InspectResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{19}
}

func (x *InspectResponse) GetImage() *Image {
	if x != nil {
		return x.Image
	}
	return nil
}

// Image is the result of an inspect.
type Image struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	RepoTags      []string               `protobuf:"bytes,2,rep,name=repo_tags,json=repoTags,proto3" json:"repo_tags,omitempty"`
	RepoDigests   []string               `protobuf:"bytes,3,rep,name=repo_digests,json=repoDigests,proto3" json:"repo_digests,omitempty"`
	Parent        string                 `protobuf:"bytes,4,opt,name=parent,proto3" json:"parent,omitempty"`
	Comment       string                 `protobuf:"bytes,5,opt,name=comment,proto3" json:"comment,omitempty"`
	Created       *Time                  `protobuf:"bytes,6,opt,name=created,proto3" json:"created,omitempty"`
	DockerVersion string                 `protobuf:"bytes,7,opt,name=docker_version,json=dockerVersion,proto3" json:"docker_version,omitempty"`
	Author        string                 `protobuf:"bytes,8,opt,name=author,proto3" json:"author,omitempty"`
	Config        *ImageConfig           `protobuf:"bytes,9,opt,name=config,proto3" json:"config,omitempty"`
	Architecture  string                 `protobuf:"bytes,10,opt,name=architecture,proto3" json:"architecture,omitempty"`
	Variant       string                 `protobuf:"bytes,11,opt,name=variant,proto3" json:"variant,omitempty"`
	Os            string                 `protobuf:"bytes,12,opt,name=os,proto3" json:"os,omitempty"`
	OsVersion     string                 `protobuf:"bytes,13,opt,name=os_version,json=osVersion,proto3" json:"os_version,omitempty"`
	Size          int64                  `protobuf:"varint,14,opt,name=size,proto3" json:"size,omitempty"`
	Driver        string                 `protobuf:"bytes,15,opt,name=driver,proto3" json:"driver,omitempty"`
	RootFs        *RootFS                `protobuf:"bytes,16,opt,name=root_fs,json=rootFs,proto3" json:"root_fs,omitempty"`
	LastTagTime   *Time                  `protobuf:"bytes,17,opt,name=last_tag_time,json=lastTagTime,proto3" json:"last_tag_time,omitempty"`
	Descriptor_   *Descriptor            `protobuf:"bytes,18,opt,name=descriptor,proto3" json:"descriptor,omitempty"`
	// manifests are filled when the request asked for them.
	Manifests []*ManifestSummary `protobuf:"bytes,19,rep,name=manifests,proto3" json:"manifests,omitempty"`
	Identity  *Identity          `protobuf:"bytes,20,opt,name=identity,proto3" json:"identity,omitempty"`
	// has_manifests tells an empty manifests list (true) from none at all.
	HasManifests  bool `protobuf:"varint,21,opt,name=has_manifests,json=hasManifests,proto3" json:"has_manifests,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Image) Reset() {
	*x = Image{}
	mi := &file_backend_proto_msgTypes[20]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Image) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Image) ProtoMessage() {}

func (x *Image) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[20]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Image.ProtoReflect.Descriptor instead.
func (*Image) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{20}
}

func (x *Image) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Image) GetRepoTags() []string {
	if x != nil {
		return x.RepoTags
	}
	return nil
}

func (x *Image) GetRepoDigests() []string {
	if x != nil {
		return x.RepoDigests
	}
	return nil
}

func (x *Image) GetParent() string {
	if x != nil {
		return x.Parent
	}
	return ""
}

func (x *Image) GetComment() string {
	if x != nil {
		return x.Comment
	}
	return ""
}

func (x *Image) GetCreated() *Time {
	if x != nil {
		return x.Created
	}
	return nil
}

func (x *Image) GetDockerVersion() string {
	if x != nil {
		return x.DockerVersion
	}
	return ""
}

func (x *Image) GetAuthor() string {
	if x != nil {
		return x.Author
	}
	return ""
}

func (x *Image) GetConfig() *ImageConfig {
	if x != nil {
		return x.Config
	}
	return nil
}

func (x *Image) GetArchitecture() string {
	if x != nil {
		return x.Architecture
	}
	return ""
}

func (x *Image) GetVariant() string {
	if x != nil {
		return x.Variant
	}
	return ""
}

func (x *Image) GetOs() string {
	if x != nil {
		return x.Os
	}
	return ""
}

func (x *Image) GetOsVersion() string {
	if x != nil {
		return x.OsVersion
	}
	return ""
}

func (x *Image) GetSize() int64 {
	if x != nil {
		return x.Size
	}
	return 0
}

func (x *Image) GetDriver() string {
	if x != nil {
		return x.Driver
	}
	return ""
}

func (x *Image) GetRootFs() *RootFS {
	if x != nil {
		return x.RootFs
	}
	return nil
}

func (x *Image) GetLastTagTime() *Time {
	if x != nil {
		return x.LastTagTime
	}
	return nil
}

func (x *Image) GetDescriptor_() *Descriptor {
	if x != nil {
		return x.Descriptor_
	}
	return nil
}

func (x *Image) GetManifests() []*ManifestSummary {
	if x != nil {
		return x.Manifests
	}
	return nil
}

func (x *Image) GetIdentity() *Identity {
	if x != nil {
		return x.Identity
	}
	return nil
}

func (x *Image) GetHasManifests() bool {
	if x != nil {
		return x.HasManifests
	}
	return false
}

type RootFS struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Type          string                 `protobuf:"bytes,1,opt,name=type,proto3" json:"type,omitempty"`
	Layers        []string               `protobuf:"bytes,2,rep,name=layers,proto3" json:"layers,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RootFS) Reset() {
	*x = RootFS{}
	mi := &file_backend_proto_msgTypes[21]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RootFS) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RootFS) ProtoMessage() {}

func (x *RootFS) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[21]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RootFS.ProtoReflect.Descriptor instead.
func (*RootFS) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{21}
}

func (x *RootFS) GetType() string {
	if x != nil {
		return x.Type
	}
	return ""
}

func (x *RootFS) GetLayers() []string {
	if x != nil {
		return x.Layers
	}
	return nil
}

// ImageConfig is the OCI image config's runtime part plus Docker's
// extensions.
type ImageConfig struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	User  string                 `protobuf:"bytes,1,opt,name=user,proto3" json:"user,omitempty"`
	// exposed_ports and volumes are the keys of the OCI config's sets.
	ExposedPorts []string          `protobuf:"bytes,2,rep,name=exposed_ports,json=exposedPorts,proto3" json:"exposed_ports,omitempty"`
	Env          []string          `protobuf:"bytes,3,rep,name=env,proto3" json:"env,omitempty"`
	Entrypoint   []string          `protobuf:"bytes,4,rep,name=entrypoint,proto3" json:"entrypoint,omitempty"`
	Cmd          []string          `protobuf:"bytes,5,rep,name=cmd,proto3" json:"cmd,omitempty"`
	Volumes      []string          `protobuf:"bytes,6,rep,name=volumes,proto3" json:"volumes,omitempty"`
	WorkingDir   string            `protobuf:"bytes,7,opt,name=working_dir,json=workingDir,proto3" json:"working_dir,omitempty"`
	Labels       map[string]string `protobuf:"bytes,8,rep,name=labels,proto3" json:"labels,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	StopSignal   string            `protobuf:"bytes,9,opt,name=stop_signal,json=stopSignal,proto3" json:"stop_signal,omitempty"`
	ArgsEscaped  bool              `protobuf:"varint,10,opt,name=args_escaped,json=argsEscaped,proto3" json:"args_escaped,omitempty"`
	Healthcheck  *HealthConfig     `protobuf:"bytes,11,opt,name=healthcheck,proto3" json:"healthcheck,omitempty"`
	OnBuild      []string          `protobuf:"bytes,12,rep,name=on_build,json=onBuild,proto3" json:"on_build,omitempty"`
	Shell        []string          `protobuf:"bytes,13,rep,name=shell,proto3" json:"shell,omitempty"`
	// cmd_empty is true when cmd is present and empty (Docker's "Cmd": [], which
	// `CMD []` gives); a repeated field cannot tell empty from absent.
	CmdEmpty      bool `protobuf:"varint,14,opt,name=cmd_empty,json=cmdEmpty,proto3" json:"cmd_empty,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImageConfig) Reset() {
	*x = ImageConfig{}
	mi := &file_backend_proto_msgTypes[22]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImageConfig) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImageConfig) ProtoMessage() {}

func (x *ImageConfig) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[22]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImageConfig.ProtoReflect.Descriptor instead.
func (*ImageConfig) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{22}
}

func (x *ImageConfig) GetUser() string {
	if x != nil {
		return x.User
	}
	return ""
}

func (x *ImageConfig) GetExposedPorts() []string {
	if x != nil {
		return x.ExposedPorts
	}
	return nil
}

func (x *ImageConfig) GetEnv() []string {
	if x != nil {
		return x.Env
	}
	return nil
}

func (x *ImageConfig) GetEntrypoint() []string {
	if x != nil {
		return x.Entrypoint
	}
	return nil
}

func (x *ImageConfig) GetCmd() []string {
	if x != nil {
		return x.Cmd
	}
	return nil
}

func (x *ImageConfig) GetVolumes() []string {
	if x != nil {
		return x.Volumes
	}
	return nil
}

func (x *ImageConfig) GetWorkingDir() string {
	if x != nil {
		return x.WorkingDir
	}
	return ""
}

func (x *ImageConfig) GetLabels() map[string]string {
	if x != nil {
		return x.Labels
	}
	return nil
}

func (x *ImageConfig) GetStopSignal() string {
	if x != nil {
		return x.StopSignal
	}
	return ""
}

func (x *ImageConfig) GetArgsEscaped() bool {
	if x != nil {
		return x.ArgsEscaped
	}
	return false
}

func (x *ImageConfig) GetHealthcheck() *HealthConfig {
	if x != nil {
		return x.Healthcheck
	}
	return nil
}

func (x *ImageConfig) GetOnBuild() []string {
	if x != nil {
		return x.OnBuild
	}
	return nil
}

func (x *ImageConfig) GetShell() []string {
	if x != nil {
		return x.Shell
	}
	return nil
}

func (x *ImageConfig) GetCmdEmpty() bool {
	if x != nil {
		return x.CmdEmpty
	}
	return false
}

// HealthConfig is a container health check; durations are in nanoseconds.
type HealthConfig struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Test          []string               `protobuf:"bytes,1,rep,name=test,proto3" json:"test,omitempty"`
	Interval      int64                  `protobuf:"varint,2,opt,name=interval,proto3" json:"interval,omitempty"`
	Timeout       int64                  `protobuf:"varint,3,opt,name=timeout,proto3" json:"timeout,omitempty"`
	StartPeriod   int64                  `protobuf:"varint,4,opt,name=start_period,json=startPeriod,proto3" json:"start_period,omitempty"`
	StartInterval int64                  `protobuf:"varint,5,opt,name=start_interval,json=startInterval,proto3" json:"start_interval,omitempty"`
	Retries       int64                  `protobuf:"varint,6,opt,name=retries,proto3" json:"retries,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HealthConfig) Reset() {
	*x = HealthConfig{}
	mi := &file_backend_proto_msgTypes[23]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HealthConfig) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HealthConfig) ProtoMessage() {}

func (x *HealthConfig) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[23]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HealthConfig.ProtoReflect.Descriptor instead.
func (*HealthConfig) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{23}
}

func (x *HealthConfig) GetTest() []string {
	if x != nil {
		return x.Test
	}
	return nil
}

func (x *HealthConfig) GetInterval() int64 {
	if x != nil {
		return x.Interval
	}
	return 0
}

func (x *HealthConfig) GetTimeout() int64 {
	if x != nil {
		return x.Timeout
	}
	return 0
}

func (x *HealthConfig) GetStartPeriod() int64 {
	if x != nil {
		return x.StartPeriod
	}
	return 0
}

func (x *HealthConfig) GetStartInterval() int64 {
	if x != nil {
		return x.StartInterval
	}
	return 0
}

func (x *HealthConfig) GetRetries() int64 {
	if x != nil {
		return x.Retries
	}
	return 0
}

// Progress is one progress message. detail is present for progress records.
type Progress struct {
	state  protoimpl.MessageState `protogen:"open.v1"`
	Id     string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Status string                 `protobuf:"bytes,2,opt,name=status,proto3" json:"status,omitempty"`
	Detail *ProgressDetail        `protobuf:"bytes,3,opt,name=detail,proto3" json:"detail,omitempty"`
	// aux, when present, makes the event an auxiliary record of a push
	// (imagesvc.PushAux); id and status are then empty.
	Aux           *PushAux `protobuf:"bytes,4,opt,name=aux,proto3" json:"aux,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Progress) Reset() {
	*x = Progress{}
	mi := &file_backend_proto_msgTypes[24]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Progress) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Progress) ProtoMessage() {}

func (x *Progress) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[24]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Progress.ProtoReflect.Descriptor instead.
func (*Progress) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{24}
}

func (x *Progress) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Progress) GetStatus() string {
	if x != nil {
		return x.Status
	}
	return ""
}

func (x *Progress) GetDetail() *ProgressDetail {
	if x != nil {
		return x.Detail
	}
	return nil
}

func (x *Progress) GetAux() *PushAux {
	if x != nil {
		return x.Aux
	}
	return nil
}

type ProgressDetail struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Current       int64                  `protobuf:"varint,1,opt,name=current,proto3" json:"current,omitempty"`
	Total         int64                  `protobuf:"varint,2,opt,name=total,proto3" json:"total,omitempty"`
	Start         int64                  `protobuf:"varint,3,opt,name=start,proto3" json:"start,omitempty"`
	HideCounts    bool                   `protobuf:"varint,4,opt,name=hide_counts,json=hideCounts,proto3" json:"hide_counts,omitempty"`
	Units         string                 `protobuf:"bytes,5,opt,name=units,proto3" json:"units,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ProgressDetail) Reset() {
	*x = ProgressDetail{}
	mi := &file_backend_proto_msgTypes[25]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ProgressDetail) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ProgressDetail) ProtoMessage() {}

func (x *ProgressDetail) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[25]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ProgressDetail.ProtoReflect.Descriptor instead.
func (*ProgressDetail) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{25}
}

func (x *ProgressDetail) GetCurrent() int64 {
	if x != nil {
		return x.Current
	}
	return 0
}

func (x *ProgressDetail) GetTotal() int64 {
	if x != nil {
		return x.Total
	}
	return 0
}

func (x *ProgressDetail) GetStart() int64 {
	if x != nil {
		return x.Start
	}
	return 0
}

func (x *ProgressDetail) GetHideCounts() bool {
	if x != nil {
		return x.HideCounts
	}
	return false
}

func (x *ProgressDetail) GetUnits() string {
	if x != nil {
		return x.Units
	}
	return ""
}

// AuthConfig holds registry credentials for one call (Pull, Login,
// DistributionInspect). Neither side logs or stores them.
type AuthConfig struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Username      string                 `protobuf:"bytes,1,opt,name=username,proto3" json:"username,omitempty"`
	Password      string                 `protobuf:"bytes,2,opt,name=password,proto3" json:"password,omitempty"`
	Auth          string                 `protobuf:"bytes,3,opt,name=auth,proto3" json:"auth,omitempty"`
	ServerAddress string                 `protobuf:"bytes,4,opt,name=server_address,json=serverAddress,proto3" json:"server_address,omitempty"`
	IdentityToken string                 `protobuf:"bytes,5,opt,name=identity_token,json=identityToken,proto3" json:"identity_token,omitempty"`
	RegistryToken string                 `protobuf:"bytes,6,opt,name=registry_token,json=registryToken,proto3" json:"registry_token,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *AuthConfig) Reset() {
	*x = AuthConfig{}
	mi := &file_backend_proto_msgTypes[26]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *AuthConfig) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*AuthConfig) ProtoMessage() {}

func (x *AuthConfig) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[26]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use AuthConfig.ProtoReflect.Descriptor instead.
func (*AuthConfig) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{26}
}

func (x *AuthConfig) GetUsername() string {
	if x != nil {
		return x.Username
	}
	return ""
}

func (x *AuthConfig) GetPassword() string {
	if x != nil {
		return x.Password
	}
	return ""
}

func (x *AuthConfig) GetAuth() string {
	if x != nil {
		return x.Auth
	}
	return ""
}

func (x *AuthConfig) GetServerAddress() string {
	if x != nil {
		return x.ServerAddress
	}
	return ""
}

func (x *AuthConfig) GetIdentityToken() string {
	if x != nil {
		return x.IdentityToken
	}
	return ""
}

func (x *AuthConfig) GetRegistryToken() string {
	if x != nil {
		return x.RegistryToken
	}
	return ""
}

type PullRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// ref is the fully qualified reference to pull: with a tag, a digest, both,
	// or neither (every tag of the repository).
	Ref      string    `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	Platform *Platform `protobuf:"bytes,2,opt,name=platform,proto3" json:"platform,omitempty"`
	// auth is absent for anonymous access.
	Auth          *AuthConfig `protobuf:"bytes,3,opt,name=auth,proto3" json:"auth,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PullRequest) Reset() {
	*x = PullRequest{}
	mi := &file_backend_proto_msgTypes[27]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PullRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PullRequest) ProtoMessage() {}

func (x *PullRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[27]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PullRequest.ProtoReflect.Descriptor instead.
func (*PullRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{27}
}

func (x *PullRequest) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *PullRequest) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

func (x *PullRequest) GetAuth() *AuthConfig {
	if x != nil {
		return x.Auth
	}
	return nil
}

type PullEvent struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Event:
	//
	//	*PullEvent_Progress
	//	*PullEvent_Result
	Event         isPullEvent_Event `protobuf_oneof:"event"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PullEvent) Reset() {
	*x = PullEvent{}
	mi := &file_backend_proto_msgTypes[28]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PullEvent) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PullEvent) ProtoMessage() {}

func (x *PullEvent) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[28]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PullEvent.ProtoReflect.Descriptor instead.
func (*PullEvent) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{28}
}

func (x *PullEvent) GetEvent() isPullEvent_Event {
	if x != nil {
		return x.Event
	}
	return nil
}

func (x *PullEvent) GetProgress() *Progress {
	if x != nil {
		if x, ok := x.Event.(*PullEvent_Progress); ok {
			return x.Progress
		}
	}
	return nil
}

func (x *PullEvent) GetResult() *PullResult {
	if x != nil {
		if x, ok := x.Event.(*PullEvent_Result); ok {
			return x.Result
		}
	}
	return nil
}

type isPullEvent_Event interface {
	isPullEvent_Event()
}

type PullEvent_Progress struct {
	Progress *Progress `protobuf:"bytes,1,opt,name=progress,proto3,oneof"`
}

type PullEvent_Result struct {
	Result *PullResult `protobuf:"bytes,2,opt,name=result,proto3,oneof"`
}

func (*PullEvent_Progress) isPullEvent_Event() {}

func (*PullEvent_Result) isPullEvent_Event() {}

type PullResult struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Images        []*PulledImage         `protobuf:"bytes,1,rep,name=images,proto3" json:"images,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PullResult) Reset() {
	*x = PullResult{}
	mi := &file_backend_proto_msgTypes[29]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PullResult) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PullResult) ProtoMessage() {}

func (x *PullResult) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[29]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PullResult.ProtoReflect.Descriptor instead.
func (*PullResult) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{29}
}

func (x *PullResult) GetImages() []*PulledImage {
	if x != nil {
		return x.Images
	}
	return nil
}

type PulledImage struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Ref           string                 `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	Id            string                 `protobuf:"bytes,2,opt,name=id,proto3" json:"id,omitempty"`
	Updated       bool                   `protobuf:"varint,3,opt,name=updated,proto3" json:"updated,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PulledImage) Reset() {
	*x = PulledImage{}
	mi := &file_backend_proto_msgTypes[30]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PulledImage) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PulledImage) ProtoMessage() {}

func (x *PulledImage) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[30]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PulledImage.ProtoReflect.Descriptor instead.
func (*PulledImage) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{30}
}

func (x *PulledImage) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *PulledImage) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *PulledImage) GetUpdated() bool {
	if x != nil {
		return x.Updated
	}
	return false
}

type ImportMessage struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Message:
	//
	//	*ImportMessage_Header
	//	*ImportMessage_Chunk
	//	*ImportMessage_SourceError
	Message       isImportMessage_Message `protobuf_oneof:"message"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImportMessage) Reset() {
	*x = ImportMessage{}
	mi := &file_backend_proto_msgTypes[31]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImportMessage) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImportMessage) ProtoMessage() {}

func (x *ImportMessage) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[31]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImportMessage.ProtoReflect.Descriptor instead.
func (*ImportMessage) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{31}
}

func (x *ImportMessage) GetMessage() isImportMessage_Message {
	if x != nil {
		return x.Message
	}
	return nil
}

func (x *ImportMessage) GetHeader() *ImportHeader {
	if x != nil {
		if x, ok := x.Message.(*ImportMessage_Header); ok {
			return x.Header
		}
	}
	return nil
}

func (x *ImportMessage) GetChunk() *ImportChunk {
	if x != nil {
		if x, ok := x.Message.(*ImportMessage_Chunk); ok {
			return x.Chunk
		}
	}
	return nil
}

func (x *ImportMessage) GetSourceError() *ImportSourceError {
	if x != nil {
		if x, ok := x.Message.(*ImportMessage_SourceError); ok {
			return x.SourceError
		}
	}
	return nil
}

type isImportMessage_Message interface {
	isImportMessage_Message()
}

type ImportMessage_Header struct {
	Header *ImportHeader `protobuf:"bytes,1,opt,name=header,proto3,oneof"`
}

type ImportMessage_Chunk struct {
	Chunk *ImportChunk `protobuf:"bytes,2,opt,name=chunk,proto3,oneof"`
}

type ImportMessage_SourceError struct {
	SourceError *ImportSourceError `protobuf:"bytes,3,opt,name=source_error,json=sourceError,proto3,oneof"`
}

func (*ImportMessage_Header) isImportMessage_Message() {}

func (*ImportMessage_Chunk) isImportMessage_Message() {}

func (*ImportMessage_SourceError) isImportMessage_Message() {}

type ImportHeader struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// has_source is true when the archive follows in chunks.
	HasSource bool `protobuf:"varint,1,opt,name=has_source,json=hasSource,proto3" json:"has_source,omitempty"`
	// url is where to fetch the archive from instead; empty when none.
	Url string `protobuf:"bytes,2,opt,name=url,proto3" json:"url,omitempty"`
	// ref names the new image (name:tag, fully qualified); empty for none.
	Ref     string `protobuf:"bytes,3,opt,name=ref,proto3" json:"ref,omitempty"`
	Message string `protobuf:"bytes,4,opt,name=message,proto3" json:"message,omitempty"`
	// changes are Dockerfile instructions as the client gave them. A host sends
	// them for plugins that predate changes_config.
	Changes  []string  `protobuf:"bytes,5,rep,name=changes,proto3" json:"changes,omitempty"`
	Platform *Platform `protobuf:"bytes,6,opt,name=platform,proto3" json:"platform,omitempty"`
	// changes_config is the config the changes produce on an empty config, parsed
	// once by the host; when present a plugin uses it and ignores changes.
	ChangesConfig *ImageConfig `protobuf:"bytes,7,opt,name=changes_config,json=changesConfig,proto3" json:"changes_config,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImportHeader) Reset() {
	*x = ImportHeader{}
	mi := &file_backend_proto_msgTypes[32]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImportHeader) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImportHeader) ProtoMessage() {}

func (x *ImportHeader) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[32]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImportHeader.ProtoReflect.Descriptor instead.
func (*ImportHeader) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{32}
}

func (x *ImportHeader) GetHasSource() bool {
	if x != nil {
		return x.HasSource
	}
	return false
}

func (x *ImportHeader) GetUrl() string {
	if x != nil {
		return x.Url
	}
	return ""
}

func (x *ImportHeader) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *ImportHeader) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

func (x *ImportHeader) GetChanges() []string {
	if x != nil {
		return x.Changes
	}
	return nil
}

func (x *ImportHeader) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

func (x *ImportHeader) GetChangesConfig() *ImageConfig {
	if x != nil {
		return x.ChangesConfig
	}
	return nil
}

type ImportChunk struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// data is the next part of the archive, at most 1 MiB.
	Data          []byte `protobuf:"bytes,1,opt,name=data,proto3" json:"data,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImportChunk) Reset() {
	*x = ImportChunk{}
	mi := &file_backend_proto_msgTypes[33]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImportChunk) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImportChunk) ProtoMessage() {}

func (x *ImportChunk) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[33]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImportChunk.ProtoReflect.Descriptor instead.
func (*ImportChunk) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{33}
}

func (x *ImportChunk) GetData() []byte {
	if x != nil {
		return x.Data
	}
	return nil
}

// ImportSourceError tells the plugin that reading the archive failed. The
// plugin's reader returns an error of that class and text.
type ImportSourceError struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Class         string                 `protobuf:"bytes,1,opt,name=class,proto3" json:"class,omitempty"`
	Message       string                 `protobuf:"bytes,2,opt,name=message,proto3" json:"message,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImportSourceError) Reset() {
	*x = ImportSourceError{}
	mi := &file_backend_proto_msgTypes[34]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImportSourceError) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImportSourceError) ProtoMessage() {}

func (x *ImportSourceError) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[34]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImportSourceError.ProtoReflect.Descriptor instead.
func (*ImportSourceError) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{34}
}

func (x *ImportSourceError) GetClass() string {
	if x != nil {
		return x.Class
	}
	return ""
}

func (x *ImportSourceError) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

type ImportEvent struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Event:
	//
	//	*ImportEvent_Progress
	//	*ImportEvent_Result
	Event         isImportEvent_Event `protobuf_oneof:"event"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImportEvent) Reset() {
	*x = ImportEvent{}
	mi := &file_backend_proto_msgTypes[35]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImportEvent) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImportEvent) ProtoMessage() {}

func (x *ImportEvent) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[35]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImportEvent.ProtoReflect.Descriptor instead.
func (*ImportEvent) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{35}
}

func (x *ImportEvent) GetEvent() isImportEvent_Event {
	if x != nil {
		return x.Event
	}
	return nil
}

func (x *ImportEvent) GetProgress() *Progress {
	if x != nil {
		if x, ok := x.Event.(*ImportEvent_Progress); ok {
			return x.Progress
		}
	}
	return nil
}

func (x *ImportEvent) GetResult() *ImportResult {
	if x != nil {
		if x, ok := x.Event.(*ImportEvent_Result); ok {
			return x.Result
		}
	}
	return nil
}

type isImportEvent_Event interface {
	isImportEvent_Event()
}

type ImportEvent_Progress struct {
	Progress *Progress `protobuf:"bytes,1,opt,name=progress,proto3,oneof"`
}

type ImportEvent_Result struct {
	Result *ImportResult `protobuf:"bytes,2,opt,name=result,proto3,oneof"`
}

func (*ImportEvent_Progress) isImportEvent_Event() {}

func (*ImportEvent_Result) isImportEvent_Event() {}

type ImportResult struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ImportResult) Reset() {
	*x = ImportResult{}
	mi := &file_backend_proto_msgTypes[36]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ImportResult) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ImportResult) ProtoMessage() {}

func (x *ImportResult) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[36]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ImportResult.ProtoReflect.Descriptor instead.
func (*ImportResult) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{36}
}

func (x *ImportResult) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

type RemoveRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// ref is the reference as the client gave it (a name, name:tag,
	// name@digest, full or short ID, moby-dangling@digest); the plugin parses
	// it again.
	Ref string `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	// force, no_prune and platforms are imagesvc.RemoveOptions: force removes
	// the last name of an image a stopped container uses, and an image with
	// names in several repositories; no_prune keeps untagged parents;
	// platforms, when not empty (API 1.50+, force required), deletes only the
	// content of those platforms.
	Force         bool        `protobuf:"varint,2,opt,name=force,proto3" json:"force,omitempty"`
	NoPrune       bool        `protobuf:"varint,3,opt,name=no_prune,json=noPrune,proto3" json:"no_prune,omitempty"`
	Platforms     []*Platform `protobuf:"bytes,4,rep,name=platforms,proto3" json:"platforms,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RemoveRequest) Reset() {
	*x = RemoveRequest{}
	mi := &file_backend_proto_msgTypes[37]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RemoveRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RemoveRequest) ProtoMessage() {}

func (x *RemoveRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[37]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RemoveRequest.ProtoReflect.Descriptor instead.
func (*RemoveRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{37}
}

func (x *RemoveRequest) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *RemoveRequest) GetForce() bool {
	if x != nil {
		return x.Force
	}
	return false
}

func (x *RemoveRequest) GetNoPrune() bool {
	if x != nil {
		return x.NoPrune
	}
	return false
}

func (x *RemoveRequest) GetPlatforms() []*Platform {
	if x != nil {
		return x.Platforms
	}
	return nil
}

type RemoveResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// deleted lists the operations in the order they ran: an untagged entry
	// per removed name, then a deleted entry per image (or manifest, for
	// platforms) deleted. Empty when nothing was removed (Go: nil).
	Deleted       []*DeleteResponse `protobuf:"bytes,1,rep,name=deleted,proto3" json:"deleted,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RemoveResponse) Reset() {
	*x = RemoveResponse{}
	mi := &file_backend_proto_msgTypes[38]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RemoveResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RemoveResponse) ProtoMessage() {}

func (x *RemoveResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[38]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RemoveResponse.ProtoReflect.Descriptor instead.
func (*RemoveResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{38}
}

func (x *RemoveResponse) GetDeleted() []*DeleteResponse {
	if x != nil {
		return x.Deleted
	}
	return nil
}

// DeleteResponse is one operation of a remove or a prune (imagesvc.DeleteResponse).
// Exactly one field is set.
type DeleteResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// untagged is a removed name in familiar form ("foo:latest",
	// "foo@sha256:..."); in a prune, also a dangling image's ID.
	Untagged string `protobuf:"bytes,1,opt,name=untagged,proto3" json:"untagged,omitempty"`
	// deleted is the digest of a deleted image, manifest or index.
	Deleted       string `protobuf:"bytes,2,opt,name=deleted,proto3" json:"deleted,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DeleteResponse) Reset() {
	*x = DeleteResponse{}
	mi := &file_backend_proto_msgTypes[39]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DeleteResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DeleteResponse) ProtoMessage() {}

func (x *DeleteResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[39]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DeleteResponse.ProtoReflect.Descriptor instead.
func (*DeleteResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{39}
}

func (x *DeleteResponse) GetUntagged() string {
	if x != nil {
		return x.Untagged
	}
	return ""
}

func (x *DeleteResponse) GetDeleted() string {
	if x != nil {
		return x.Deleted
	}
	return ""
}

type TagRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// source is the image's reference as the client gave it, as
	// RemoveRequest.ref.
	Source string `protobuf:"bytes,1,opt,name=source,proto3" json:"source,omitempty"`
	// target is the new name, name:tag fully qualified
	// ("docker.io/library/foo:v1"), as imagesvc.ParseTagReference builds it
	// from the client's repo and tag.
	Target        string `protobuf:"bytes,2,opt,name=target,proto3" json:"target,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TagRequest) Reset() {
	*x = TagRequest{}
	mi := &file_backend_proto_msgTypes[40]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TagRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TagRequest) ProtoMessage() {}

func (x *TagRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[40]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TagRequest.ProtoReflect.Descriptor instead.
func (*TagRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{40}
}

func (x *TagRequest) GetSource() string {
	if x != nil {
		return x.Source
	}
	return ""
}

func (x *TagRequest) GetTarget() string {
	if x != nil {
		return x.Target
	}
	return ""
}

type TagResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TagResponse) Reset() {
	*x = TagResponse{}
	mi := &file_backend_proto_msgTypes[41]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TagResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TagResponse) ProtoMessage() {}

func (x *TagResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[41]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TagResponse.ProtoReflect.Descriptor instead.
func (*TagResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{41}
}

type PruneRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// filters are the filter arguments in Docker's JSON shape
	// {"key":{"value":true}} (dangling, label, label!, until); empty for none.
	Filters       string `protobuf:"bytes,1,opt,name=filters,proto3" json:"filters,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PruneRequest) Reset() {
	*x = PruneRequest{}
	mi := &file_backend_proto_msgTypes[42]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PruneRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PruneRequest) ProtoMessage() {}

func (x *PruneRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[42]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PruneRequest.ProtoReflect.Descriptor instead.
func (*PruneRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{42}
}

func (x *PruneRequest) GetFilters() string {
	if x != nil {
		return x.Filters
	}
	return ""
}

// PruneResponse is the prune report (imagesvc.PruneReport).
type PruneResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// images_deleted lists the operations; empty when nothing was pruned (Go:
	// nil).
	ImagesDeleted []*DeleteResponse `protobuf:"bytes,1,rep,name=images_deleted,json=imagesDeleted,proto3" json:"images_deleted,omitempty"`
	// space_reclaimed is the number of bytes of content removed.
	SpaceReclaimed uint64 `protobuf:"varint,2,opt,name=space_reclaimed,json=spaceReclaimed,proto3" json:"space_reclaimed,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *PruneResponse) Reset() {
	*x = PruneResponse{}
	mi := &file_backend_proto_msgTypes[43]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PruneResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PruneResponse) ProtoMessage() {}

func (x *PruneResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[43]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PruneResponse.ProtoReflect.Descriptor instead.
func (*PruneResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{43}
}

func (x *PruneResponse) GetImagesDeleted() []*DeleteResponse {
	if x != nil {
		return x.ImagesDeleted
	}
	return nil
}

func (x *PruneResponse) GetSpaceReclaimed() uint64 {
	if x != nil {
		return x.SpaceReclaimed
	}
	return 0
}

type HistoryRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// ref is the image's reference as the client gave it, as RemoveRequest.ref.
	Ref string `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	// platform selects a platform of a multi-platform image (API 1.48+);
	// absent for the host's best.
	Platform      *Platform `protobuf:"bytes,2,opt,name=platform,proto3" json:"platform,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HistoryRequest) Reset() {
	*x = HistoryRequest{}
	mi := &file_backend_proto_msgTypes[44]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HistoryRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HistoryRequest) ProtoMessage() {}

func (x *HistoryRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[44]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HistoryRequest.ProtoReflect.Descriptor instead.
func (*HistoryRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{44}
}

func (x *HistoryRequest) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *HistoryRequest) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

type HistoryResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// items are the history entries, newest first; empty when the image's
	// config has no history (Go: nil).
	Items         []*HistoryItem `protobuf:"bytes,1,rep,name=items,proto3" json:"items,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HistoryResponse) Reset() {
	*x = HistoryResponse{}
	mi := &file_backend_proto_msgTypes[45]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HistoryResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HistoryResponse) ProtoMessage() {}

func (x *HistoryResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[45]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HistoryResponse.ProtoReflect.Descriptor instead.
func (*HistoryResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{45}
}

func (x *HistoryResponse) GetItems() []*HistoryItem {
	if x != nil {
		return x.Items
	}
	return nil
}

// HistoryItem is one entry of an image's history (imagesvc.HistoryItem).
type HistoryItem struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// id is the image ID on the newest entry, "<missing>" on the others.
	Id string `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	// created is absent when the entry has no time.
	Created   *Time  `protobuf:"bytes,2,opt,name=created,proto3" json:"created,omitempty"`
	CreatedBy string `protobuf:"bytes,3,opt,name=created_by,json=createdBy,proto3" json:"created_by,omitempty"`
	// tags are the image's familiar names on the entry that has the ID; empty
	// elsewhere and for a dangling image (Go: nil; a non-empty list is never
	// sent empty, so no presence flag is needed).
	Tags []string `protobuf:"bytes,4,rep,name=tags,proto3" json:"tags,omitempty"`
	// size is the unpacked size of the entry's layer; 0 for an empty layer.
	Size          int64  `protobuf:"varint,5,opt,name=size,proto3" json:"size,omitempty"`
	Comment       string `protobuf:"bytes,6,opt,name=comment,proto3" json:"comment,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *HistoryItem) Reset() {
	*x = HistoryItem{}
	mi := &file_backend_proto_msgTypes[46]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *HistoryItem) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*HistoryItem) ProtoMessage() {}

func (x *HistoryItem) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[46]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use HistoryItem.ProtoReflect.Descriptor instead.
func (*HistoryItem) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{46}
}

func (x *HistoryItem) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *HistoryItem) GetCreated() *Time {
	if x != nil {
		return x.Created
	}
	return nil
}

func (x *HistoryItem) GetCreatedBy() string {
	if x != nil {
		return x.CreatedBy
	}
	return ""
}

func (x *HistoryItem) GetTags() []string {
	if x != nil {
		return x.Tags
	}
	return nil
}

func (x *HistoryItem) GetSize() int64 {
	if x != nil {
		return x.Size
	}
	return 0
}

func (x *HistoryItem) GetComment() string {
	if x != nil {
		return x.Comment
	}
	return ""
}

type LoginRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// auth holds the credentials to check and, in server_address, the
	// registry (a host[:port], a URL, or empty for Docker Hub). Absent is the
	// same as empty.
	Auth          *AuthConfig `protobuf:"bytes,1,opt,name=auth,proto3" json:"auth,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LoginRequest) Reset() {
	*x = LoginRequest{}
	mi := &file_backend_proto_msgTypes[47]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LoginRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LoginRequest) ProtoMessage() {}

func (x *LoginRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[47]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LoginRequest.ProtoReflect.Descriptor instead.
func (*LoginRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{47}
}

func (x *LoginRequest) GetAuth() *AuthConfig {
	if x != nil {
		return x.Auth
	}
	return nil
}

type LoginResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// identity_token is the token the registry's token service gave, to be
	// used instead of the password from now on; empty when there is none.
	// It is a credential: neither side logs it.
	IdentityToken string `protobuf:"bytes,1,opt,name=identity_token,json=identityToken,proto3" json:"identity_token,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LoginResponse) Reset() {
	*x = LoginResponse{}
	mi := &file_backend_proto_msgTypes[48]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LoginResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LoginResponse) ProtoMessage() {}

func (x *LoginResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[48]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LoginResponse.ProtoReflect.Descriptor instead.
func (*LoginResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{48}
}

func (x *LoginResponse) GetIdentityToken() string {
	if x != nil {
		return x.IdentityToken
	}
	return ""
}

type DistributionInspectRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// ref is the reference to resolve, fully qualified, with a tag, a digest,
	// both, or neither (which means ":latest").
	Ref string `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	// auth is absent for anonymous access.
	Auth          *AuthConfig `protobuf:"bytes,2,opt,name=auth,proto3" json:"auth,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DistributionInspectRequest) Reset() {
	*x = DistributionInspectRequest{}
	mi := &file_backend_proto_msgTypes[49]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DistributionInspectRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DistributionInspectRequest) ProtoMessage() {}

func (x *DistributionInspectRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[49]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DistributionInspectRequest.ProtoReflect.Descriptor instead.
func (*DistributionInspectRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{49}
}

func (x *DistributionInspectRequest) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *DistributionInspectRequest) GetAuth() *AuthConfig {
	if x != nil {
		return x.Auth
	}
	return nil
}

// DistributionInspectResponse is what the registry says of the image
// (imagesvc.DistributionInfo).
type DistributionInspectResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// target is the descriptor of the manifest or index the reference
	// resolves to.
	Target *Descriptor `protobuf:"bytes,1,opt,name=target,proto3" json:"target,omitempty"`
	// platforms are the platforms the image provides, in index order.
	Platforms []*Platform `protobuf:"bytes,2,rep,name=platforms,proto3" json:"platforms,omitempty"`
	// has_platforms tells an empty platforms list (true) from platforms not
	// known (false; Go: nil).
	HasPlatforms  bool `protobuf:"varint,3,opt,name=has_platforms,json=hasPlatforms,proto3" json:"has_platforms,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DistributionInspectResponse) Reset() {
	*x = DistributionInspectResponse{}
	mi := &file_backend_proto_msgTypes[50]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DistributionInspectResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DistributionInspectResponse) ProtoMessage() {}

func (x *DistributionInspectResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[50]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DistributionInspectResponse.ProtoReflect.Descriptor instead.
func (*DistributionInspectResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{50}
}

func (x *DistributionInspectResponse) GetTarget() *Descriptor {
	if x != nil {
		return x.Target
	}
	return nil
}

func (x *DistributionInspectResponse) GetPlatforms() []*Platform {
	if x != nil {
		return x.Platforms
	}
	return nil
}

func (x *DistributionInspectResponse) GetHasPlatforms() bool {
	if x != nil {
		return x.HasPlatforms
	}
	return false
}

type ContainersUsingRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Digests       []string               `protobuf:"bytes,1,rep,name=digests,proto3" json:"digests,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainersUsingRequest) Reset() {
	*x = ContainersUsingRequest{}
	mi := &file_backend_proto_msgTypes[51]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainersUsingRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainersUsingRequest) ProtoMessage() {}

func (x *ContainersUsingRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[51]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainersUsingRequest.ProtoReflect.Descriptor instead.
func (*ContainersUsingRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{51}
}

func (x *ContainersUsingRequest) GetDigests() []string {
	if x != nil {
		return x.Digests
	}
	return nil
}

type ContainersUsingResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// containers maps a digest to the IDs of the containers using it.
	Containers    map[string]*ContainerIDs `protobuf:"bytes,1,rep,name=containers,proto3" json:"containers,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainersUsingResponse) Reset() {
	*x = ContainersUsingResponse{}
	mi := &file_backend_proto_msgTypes[52]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainersUsingResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainersUsingResponse) ProtoMessage() {}

func (x *ContainersUsingResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[52]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainersUsingResponse.ProtoReflect.Descriptor instead.
func (*ContainersUsingResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{52}
}

func (x *ContainersUsingResponse) GetContainers() map[string]*ContainerIDs {
	if x != nil {
		return x.Containers
	}
	return nil
}

type ContainerIDs struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Ids           []string               `protobuf:"bytes,1,rep,name=ids,proto3" json:"ids,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainerIDs) Reset() {
	*x = ContainerIDs{}
	mi := &file_backend_proto_msgTypes[53]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainerIDs) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainerIDs) ProtoMessage() {}

func (x *ContainerIDs) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[53]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainerIDs.ProtoReflect.Descriptor instead.
func (*ContainerIDs) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{53}
}

func (x *ContainerIDs) GetIds() []string {
	if x != nil {
		return x.Ids
	}
	return nil
}

type ContainersRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainersRequest) Reset() {
	*x = ContainersRequest{}
	mi := &file_backend_proto_msgTypes[54]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainersRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainersRequest) ProtoMessage() {}

func (x *ContainersRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[54]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainersRequest.ProtoReflect.Descriptor instead.
func (*ContainersRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{54}
}

type ContainersResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// containers are every container of the host; empty when it has none or
	// cannot tell.
	Containers    []*Container `protobuf:"bytes,1,rep,name=containers,proto3" json:"containers,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ContainersResponse) Reset() {
	*x = ContainersResponse{}
	mi := &file_backend_proto_msgTypes[55]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ContainersResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ContainersResponse) ProtoMessage() {}

func (x *ContainersResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[55]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ContainersResponse.ProtoReflect.Descriptor instead.
func (*ContainersResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{55}
}

func (x *ContainersResponse) GetContainers() []*Container {
	if x != nil {
		return x.Containers
	}
	return nil
}

// Container is a container of the host (imagesvc.Container).
type Container struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// id is the container ID (64 hex digits).
	Id string `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	// image_id is the ID of the image it was created from.
	ImageId string `protobuf:"bytes,2,opt,name=image_id,json=imageId,proto3" json:"image_id,omitempty"`
	// image_manifest is the platform manifest it runs; empty when not known.
	ImageManifest string `protobuf:"bytes,3,opt,name=image_manifest,json=imageManifest,proto3" json:"image_manifest,omitempty"`
	// image is the reference the user gave when creating it ("alpine",
	// "82d1e9d", "a@sha256:...").
	Image string `protobuf:"bytes,4,opt,name=image,proto3" json:"image,omitempty"`
	// running is true while it runs, is paused or restarting.
	Running bool `protobuf:"varint,5,opt,name=running,proto3" json:"running,omitempty"`
	// image_mounts are the IDs of images mounted into it (mounts of type
	// "image").
	ImageMounts   []string `protobuf:"bytes,6,rep,name=image_mounts,json=imageMounts,proto3" json:"image_mounts,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Container) Reset() {
	*x = Container{}
	mi := &file_backend_proto_msgTypes[56]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Container) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Container) ProtoMessage() {}

func (x *Container) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[56]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Container.ProtoReflect.Descriptor instead.
func (*Container) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{56}
}

func (x *Container) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Container) GetImageId() string {
	if x != nil {
		return x.ImageId
	}
	return ""
}

func (x *Container) GetImageManifest() string {
	if x != nil {
		return x.ImageManifest
	}
	return ""
}

func (x *Container) GetImage() string {
	if x != nil {
		return x.Image
	}
	return ""
}

func (x *Container) GetRunning() bool {
	if x != nil {
		return x.Running
	}
	return false
}

func (x *Container) GetImageMounts() []string {
	if x != nil {
		return x.ImageMounts
	}
	return nil
}

type SaveRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// refs are the images to export, as the user wrote them (names, IDs, short
	// IDs, digested references), in the order of the archive's index.json.
	Refs []string `protobuf:"bytes,1,rep,name=refs,proto3" json:"refs,omitempty"`
	// platforms restricts the export to those platforms; empty exports every
	// platform present.
	Platforms     []*Platform `protobuf:"bytes,2,rep,name=platforms,proto3" json:"platforms,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SaveRequest) Reset() {
	*x = SaveRequest{}
	mi := &file_backend_proto_msgTypes[57]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SaveRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SaveRequest) ProtoMessage() {}

func (x *SaveRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[57]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SaveRequest.ProtoReflect.Descriptor instead.
func (*SaveRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{57}
}

func (x *SaveRequest) GetRefs() []string {
	if x != nil {
		return x.Refs
	}
	return nil
}

func (x *SaveRequest) GetPlatforms() []*Platform {
	if x != nil {
		return x.Platforms
	}
	return nil
}

type SaveChunk struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// data is the next part of the archive, at most 1 MiB.
	Data          []byte `protobuf:"bytes,1,opt,name=data,proto3" json:"data,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SaveChunk) Reset() {
	*x = SaveChunk{}
	mi := &file_backend_proto_msgTypes[58]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SaveChunk) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SaveChunk) ProtoMessage() {}

func (x *SaveChunk) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[58]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SaveChunk.ProtoReflect.Descriptor instead.
func (*SaveChunk) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{58}
}

func (x *SaveChunk) GetData() []byte {
	if x != nil {
		return x.Data
	}
	return nil
}

type LoadMessage struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Message:
	//
	//	*LoadMessage_Header
	//	*LoadMessage_Chunk
	//	*LoadMessage_SourceError
	Message       isLoadMessage_Message `protobuf_oneof:"message"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LoadMessage) Reset() {
	*x = LoadMessage{}
	mi := &file_backend_proto_msgTypes[59]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LoadMessage) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LoadMessage) ProtoMessage() {}

func (x *LoadMessage) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[59]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LoadMessage.ProtoReflect.Descriptor instead.
func (*LoadMessage) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{59}
}

func (x *LoadMessage) GetMessage() isLoadMessage_Message {
	if x != nil {
		return x.Message
	}
	return nil
}

func (x *LoadMessage) GetHeader() *LoadHeader {
	if x != nil {
		if x, ok := x.Message.(*LoadMessage_Header); ok {
			return x.Header
		}
	}
	return nil
}

func (x *LoadMessage) GetChunk() *ImportChunk {
	if x != nil {
		if x, ok := x.Message.(*LoadMessage_Chunk); ok {
			return x.Chunk
		}
	}
	return nil
}

func (x *LoadMessage) GetSourceError() *ImportSourceError {
	if x != nil {
		if x, ok := x.Message.(*LoadMessage_SourceError); ok {
			return x.SourceError
		}
	}
	return nil
}

type isLoadMessage_Message interface {
	isLoadMessage_Message()
}

type LoadMessage_Header struct {
	Header *LoadHeader `protobuf:"bytes,1,opt,name=header,proto3,oneof"`
}

type LoadMessage_Chunk struct {
	Chunk *ImportChunk `protobuf:"bytes,2,opt,name=chunk,proto3,oneof"`
}

type LoadMessage_SourceError struct {
	SourceError *ImportSourceError `protobuf:"bytes,3,opt,name=source_error,json=sourceError,proto3,oneof"`
}

func (*LoadMessage_Header) isLoadMessage_Message() {}

func (*LoadMessage_Chunk) isLoadMessage_Message() {}

func (*LoadMessage_SourceError) isLoadMessage_Message() {}

type LoadHeader struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// platforms restricts the load to those platforms; empty loads everything.
	Platforms     []*Platform `protobuf:"bytes,1,rep,name=platforms,proto3" json:"platforms,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LoadHeader) Reset() {
	*x = LoadHeader{}
	mi := &file_backend_proto_msgTypes[60]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LoadHeader) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LoadHeader) ProtoMessage() {}

func (x *LoadHeader) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[60]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LoadHeader.ProtoReflect.Descriptor instead.
func (*LoadHeader) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{60}
}

func (x *LoadHeader) GetPlatforms() []*Platform {
	if x != nil {
		return x.Platforms
	}
	return nil
}

type LoadResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// images are the records created or updated, in the archive's order.
	Images []*LoadedImage `protobuf:"bytes,1,rep,name=images,proto3" json:"images,omitempty"`
	// error, when present, is the failure that came after the images were
	// recorded (such as a requested platform the loaded images lack).
	Error         *CallError `protobuf:"bytes,2,opt,name=error,proto3" json:"error,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LoadResponse) Reset() {
	*x = LoadResponse{}
	mi := &file_backend_proto_msgTypes[61]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LoadResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LoadResponse) ProtoMessage() {}

func (x *LoadResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[61]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LoadResponse.ProtoReflect.Descriptor instead.
func (*LoadResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{61}
}

func (x *LoadResponse) GetImages() []*LoadedImage {
	if x != nil {
		return x.Images
	}
	return nil
}

func (x *LoadResponse) GetError() *CallError {
	if x != nil {
		return x.Error
	}
	return nil
}

type LoadedImage struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// name is the record's name as Docker prints it ("foo:latest"), empty for
	// a dangling record.
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// id is the record's target digest.
	Id            string `protobuf:"bytes,2,opt,name=id,proto3" json:"id,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *LoadedImage) Reset() {
	*x = LoadedImage{}
	mi := &file_backend_proto_msgTypes[62]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *LoadedImage) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*LoadedImage) ProtoMessage() {}

func (x *LoadedImage) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[62]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use LoadedImage.ProtoReflect.Descriptor instead.
func (*LoadedImage) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{62}
}

func (x *LoadedImage) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *LoadedImage) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

// CallError is an error returned inside an answer: its class (an ErrorInfo
// class name) and text.
type CallError struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Class         string                 `protobuf:"bytes,1,opt,name=class,proto3" json:"class,omitempty"`
	Message       string                 `protobuf:"bytes,2,opt,name=message,proto3" json:"message,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CallError) Reset() {
	*x = CallError{}
	mi := &file_backend_proto_msgTypes[63]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CallError) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CallError) ProtoMessage() {}

func (x *CallError) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[63]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CallError.ProtoReflect.Descriptor instead.
func (*CallError) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{63}
}

func (x *CallError) GetClass() string {
	if x != nil {
		return x.Class
	}
	return ""
}

func (x *CallError) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

type PushRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// ref is the fully qualified reference to push: with a tag, a digest, or
	// neither (every tag of the repository).
	Ref string `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	// platform, when present, pushes only that platform's manifest.
	Platform *Platform `protobuf:"bytes,2,opt,name=platform,proto3" json:"platform,omitempty"`
	// auth is absent for anonymous access (or the plugin's configured
	// credentials).
	Auth          *AuthConfig `protobuf:"bytes,3,opt,name=auth,proto3" json:"auth,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PushRequest) Reset() {
	*x = PushRequest{}
	mi := &file_backend_proto_msgTypes[64]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PushRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PushRequest) ProtoMessage() {}

func (x *PushRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[64]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PushRequest.ProtoReflect.Descriptor instead.
func (*PushRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{64}
}

func (x *PushRequest) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *PushRequest) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

func (x *PushRequest) GetAuth() *AuthConfig {
	if x != nil {
		return x.Auth
	}
	return nil
}

type PushEvent struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Types that are valid to be assigned to Event:
	//
	//	*PushEvent_Progress
	Event         isPushEvent_Event `protobuf_oneof:"event"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PushEvent) Reset() {
	*x = PushEvent{}
	mi := &file_backend_proto_msgTypes[65]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PushEvent) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PushEvent) ProtoMessage() {}

func (x *PushEvent) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[65]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PushEvent.ProtoReflect.Descriptor instead.
func (*PushEvent) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{65}
}

func (x *PushEvent) GetEvent() isPushEvent_Event {
	if x != nil {
		return x.Event
	}
	return nil
}

func (x *PushEvent) GetProgress() *Progress {
	if x != nil {
		if x, ok := x.Event.(*PushEvent_Progress); ok {
			return x.Progress
		}
	}
	return nil
}

type isPushEvent_Event interface {
	isPushEvent_Event()
}

type PushEvent_Progress struct {
	Progress *Progress `protobuf:"bytes,1,opt,name=progress,proto3,oneof"`
}

func (*PushEvent_Progress) isPushEvent_Event() {}

// PushAux is the auxiliary record of a push: the index fallback, or the
// content found missing (imagesvc.PushAux).
type PushAux struct {
	state                        protoimpl.MessageState `protogen:"open.v1"`
	ManifestPushedInsteadOfIndex bool                   `protobuf:"varint,1,opt,name=manifest_pushed_instead_of_index,json=manifestPushedInsteadOfIndex,proto3" json:"manifest_pushed_instead_of_index,omitempty"`
	OriginalIndex                *Descriptor            `protobuf:"bytes,2,opt,name=original_index,json=originalIndex,proto3" json:"original_index,omitempty"`
	SelectedManifest             *Descriptor            `protobuf:"bytes,3,opt,name=selected_manifest,json=selectedManifest,proto3" json:"selected_manifest,omitempty"`
	ContentMissing               bool                   `protobuf:"varint,4,opt,name=content_missing,json=contentMissing,proto3" json:"content_missing,omitempty"`
	Desc                         *Descriptor            `protobuf:"bytes,5,opt,name=desc,proto3" json:"desc,omitempty"`
	unknownFields                protoimpl.UnknownFields
	sizeCache                    protoimpl.SizeCache
}

func (x *PushAux) Reset() {
	*x = PushAux{}
	mi := &file_backend_proto_msgTypes[66]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PushAux) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PushAux) ProtoMessage() {}

func (x *PushAux) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[66]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PushAux.ProtoReflect.Descriptor instead.
func (*PushAux) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{66}
}

func (x *PushAux) GetManifestPushedInsteadOfIndex() bool {
	if x != nil {
		return x.ManifestPushedInsteadOfIndex
	}
	return false
}

func (x *PushAux) GetOriginalIndex() *Descriptor {
	if x != nil {
		return x.OriginalIndex
	}
	return nil
}

func (x *PushAux) GetSelectedManifest() *Descriptor {
	if x != nil {
		return x.SelectedManifest
	}
	return nil
}

func (x *PushAux) GetContentMissing() bool {
	if x != nil {
		return x.ContentMissing
	}
	return false
}

func (x *PushAux) GetDesc() *Descriptor {
	if x != nil {
		return x.Desc
	}
	return nil
}

type WatchEventsRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// since, when present, replays the retained events from this time on.
	Since *Time `protobuf:"bytes,1,opt,name=since,proto3" json:"since,omitempty"`
	// until, when present, replays the retained events up to this time and
	// ends the call when it passes.
	Until         *Time `protobuf:"bytes,2,opt,name=until,proto3" json:"until,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *WatchEventsRequest) Reset() {
	*x = WatchEventsRequest{}
	mi := &file_backend_proto_msgTypes[67]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *WatchEventsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*WatchEventsRequest) ProtoMessage() {}

func (x *WatchEventsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[67]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use WatchEventsRequest.ProtoReflect.Descriptor instead.
func (*WatchEventsRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{67}
}

func (x *WatchEventsRequest) GetSince() *Time {
	if x != nil {
		return x.Since
	}
	return nil
}

func (x *WatchEventsRequest) GetUntil() *Time {
	if x != nil {
		return x.Until
	}
	return nil
}

// Event is one image event (imagesvc.Event); on Docker's wire its type is
// "image" and its scope "local".
type Event struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// action is what happened: pull, push, tag, untag, delete, import, load,
	// save, create.
	Action string `protobuf:"bytes,1,opt,name=action,proto3" json:"action,omitempty"`
	// id is Actor.ID: the target digest, or the familiar reference for pull and
	// push.
	Id string `protobuf:"bytes,2,opt,name=id,proto3" json:"id,omitempty"`
	// attributes are Actor.Attributes (the image's labels, "name").
	Attributes map[string]string `protobuf:"bytes,3,rep,name=attributes,proto3" json:"attributes,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// time is when the event happened, to the nanosecond.
	Time          *Time `protobuf:"bytes,4,opt,name=time,proto3" json:"time,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Event) Reset() {
	*x = Event{}
	mi := &file_backend_proto_msgTypes[68]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Event) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Event) ProtoMessage() {}

func (x *Event) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[68]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Event.ProtoReflect.Descriptor instead.
func (*Event) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{68}
}

func (x *Event) GetAction() string {
	if x != nil {
		return x.Action
	}
	return ""
}

func (x *Event) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *Event) GetAttributes() map[string]string {
	if x != nil {
		return x.Attributes
	}
	return nil
}

func (x *Event) GetTime() *Time {
	if x != nil {
		return x.Time
	}
	return nil
}

type DiskUsageRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DiskUsageRequest) Reset() {
	*x = DiskUsageRequest{}
	mi := &file_backend_proto_msgTypes[69]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DiskUsageRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DiskUsageRequest) ProtoMessage() {}

func (x *DiskUsageRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[69]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DiskUsageRequest.ProtoReflect.Descriptor instead.
func (*DiskUsageRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{69}
}

// DiskUsageResponse is imagesvc.DiskUsage.
type DiskUsageResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// images are the images as List answers them with shared_size set.
	Images []*Summary `protobuf:"bytes,1,rep,name=images,proto3" json:"images,omitempty"`
	// total_size is the space all images take, dangling and intermediate ones
	// included.
	TotalSize     int64 `protobuf:"varint,2,opt,name=total_size,json=totalSize,proto3" json:"total_size,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DiskUsageResponse) Reset() {
	*x = DiskUsageResponse{}
	mi := &file_backend_proto_msgTypes[70]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DiskUsageResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DiskUsageResponse) ProtoMessage() {}

func (x *DiskUsageResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[70]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DiskUsageResponse.ProtoReflect.Descriptor instead.
func (*DiskUsageResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{70}
}

func (x *DiskUsageResponse) GetImages() []*Summary {
	if x != nil {
		return x.Images
	}
	return nil
}

func (x *DiskUsageResponse) GetTotalSize() int64 {
	if x != nil {
		return x.TotalSize
	}
	return 0
}

type ResolveRuntimeImageRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// ref is the image: a reference, an ID or a short ID (as Inspect's ref).
	Ref string `protobuf:"bytes,1,opt,name=ref,proto3" json:"ref,omitempty"`
	// platform, when present, is the platform to resolve; absent, the best for
	// the host.
	Platform      *Platform `protobuf:"bytes,2,opt,name=platform,proto3" json:"platform,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ResolveRuntimeImageRequest) Reset() {
	*x = ResolveRuntimeImageRequest{}
	mi := &file_backend_proto_msgTypes[71]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ResolveRuntimeImageRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ResolveRuntimeImageRequest) ProtoMessage() {}

func (x *ResolveRuntimeImageRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[71]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ResolveRuntimeImageRequest.ProtoReflect.Descriptor instead.
func (*ResolveRuntimeImageRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{71}
}

func (x *ResolveRuntimeImageRequest) GetRef() string {
	if x != nil {
		return x.Ref
	}
	return ""
}

func (x *ResolveRuntimeImageRequest) GetPlatform() *Platform {
	if x != nil {
		return x.Platform
	}
	return nil
}

// OCIImageConfig is a parsed OCI image config (image-spec Image) as JSON.
type OCIImageConfig struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// json is the config as image-spec's JSON; the config blob itself will do.
	Json []byte `protobuf:"bytes,1,opt,name=json,proto3" json:"json,omitempty"`
	// empty names the members of json that image-spec omits when empty and
	// that were present but empty (an empty list or object rather than none),
	// by their JSON names: "os.features", "config.ExposedPorts", "config.Env",
	// "config.Entrypoint", "config.Cmd", "config.Volumes", "config.Labels",
	// "history". A plugin that sends the config blob sends none (the blob
	// has them); Go peers fill it so that the parsed value crosses unchanged.
	Empty         []string `protobuf:"bytes,2,rep,name=empty,proto3" json:"empty,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *OCIImageConfig) Reset() {
	*x = OCIImageConfig{}
	mi := &file_backend_proto_msgTypes[72]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *OCIImageConfig) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*OCIImageConfig) ProtoMessage() {}

func (x *OCIImageConfig) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[72]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use OCIImageConfig.ProtoReflect.Descriptor instead.
func (*OCIImageConfig) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{72}
}

func (x *OCIImageConfig) GetJson() []byte {
	if x != nil {
		return x.Json
	}
	return nil
}

func (x *OCIImageConfig) GetEmpty() []string {
	if x != nil {
		return x.Empty
	}
	return nil
}

// RuntimeImage is what a runtime starts a container from (imagesvc.RuntimeImage).
type RuntimeImage struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// target is the image's target descriptor (index or manifest): its digest
	// is the image ID.
	Target *Descriptor `protobuf:"bytes,1,opt,name=target,proto3" json:"target,omitempty"`
	// manifest is the platform's image manifest, with its platform.
	Manifest *Descriptor `protobuf:"bytes,2,opt,name=manifest,proto3" json:"manifest,omitempty"`
	// config_descriptor is the descriptor of the config blob.
	ConfigDescriptor *Descriptor `protobuf:"bytes,3,opt,name=config_descriptor,json=configDescriptor,proto3" json:"config_descriptor,omitempty"`
	// config is the parsed config.
	Config *OCIImageConfig `protobuf:"bytes,4,opt,name=config,proto3" json:"config,omitempty"`
	// layers are the layer descriptors, bottom first.
	Layers []*Descriptor `protobuf:"bytes,5,rep,name=layers,proto3" json:"layers,omitempty"`
	// diff_ids are the digests of the uncompressed layers.
	DiffIds []string `protobuf:"bytes,6,rep,name=diff_ids,json=diffIds,proto3" json:"diff_ids,omitempty"`
	// chain_ids are the chain IDs of layers 0..i.
	ChainIds      []string `protobuf:"bytes,7,rep,name=chain_ids,json=chainIds,proto3" json:"chain_ids,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RuntimeImage) Reset() {
	*x = RuntimeImage{}
	mi := &file_backend_proto_msgTypes[73]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RuntimeImage) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RuntimeImage) ProtoMessage() {}

func (x *RuntimeImage) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[73]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RuntimeImage.ProtoReflect.Descriptor instead.
func (*RuntimeImage) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{73}
}

func (x *RuntimeImage) GetTarget() *Descriptor {
	if x != nil {
		return x.Target
	}
	return nil
}

func (x *RuntimeImage) GetManifest() *Descriptor {
	if x != nil {
		return x.Manifest
	}
	return nil
}

func (x *RuntimeImage) GetConfigDescriptor() *Descriptor {
	if x != nil {
		return x.ConfigDescriptor
	}
	return nil
}

func (x *RuntimeImage) GetConfig() *OCIImageConfig {
	if x != nil {
		return x.Config
	}
	return nil
}

func (x *RuntimeImage) GetLayers() []*Descriptor {
	if x != nil {
		return x.Layers
	}
	return nil
}

func (x *RuntimeImage) GetDiffIds() []string {
	if x != nil {
		return x.DiffIds
	}
	return nil
}

func (x *RuntimeImage) GetChainIds() []string {
	if x != nil {
		return x.ChainIds
	}
	return nil
}

type PrepareRootFSRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// key names the view (imagesvc.PrepareRequest.Key).
	Key string `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	// image is the image as ResolveRuntimeImage returned it.
	Image *RuntimeImage `protobuf:"bytes,2,opt,name=image,proto3" json:"image,omitempty"`
	// read_only prepares a read-only view.
	ReadOnly      bool `protobuf:"varint,3,opt,name=read_only,json=readOnly,proto3" json:"read_only,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *PrepareRootFSRequest) Reset() {
	*x = PrepareRootFSRequest{}
	mi := &file_backend_proto_msgTypes[74]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *PrepareRootFSRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*PrepareRootFSRequest) ProtoMessage() {}

func (x *PrepareRootFSRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[74]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use PrepareRootFSRequest.ProtoReflect.Descriptor instead.
func (*PrepareRootFSRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{74}
}

func (x *PrepareRootFSRequest) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *PrepareRootFSRequest) GetImage() *RuntimeImage {
	if x != nil {
		return x.Image
	}
	return nil
}

func (x *PrepareRootFSRequest) GetReadOnly() bool {
	if x != nil {
		return x.ReadOnly
	}
	return false
}

// Mount is one mount of a prepared root filesystem, as containerd's
// core/mount.Mount: sources and options name paths on the plugin's machine.
type Mount struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// type is the filesystem type: "overlay", "bind".
	Type   string `protobuf:"bytes,1,opt,name=type,proto3" json:"type,omitempty"`
	Source string `protobuf:"bytes,2,opt,name=source,proto3" json:"source,omitempty"`
	// target is an optional subdirectory of the mount point.
	Target string `protobuf:"bytes,3,opt,name=target,proto3" json:"target,omitempty"`
	// options are fstab-style options (lowerdir=, upperdir=, workdir=, rbind,
	// ro), in order.
	Options       []string `protobuf:"bytes,4,rep,name=options,proto3" json:"options,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Mount) Reset() {
	*x = Mount{}
	mi := &file_backend_proto_msgTypes[75]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Mount) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Mount) ProtoMessage() {}

func (x *Mount) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[75]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Mount.ProtoReflect.Descriptor instead.
func (*Mount) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{75}
}

func (x *Mount) GetType() string {
	if x != nil {
		return x.Type
	}
	return ""
}

func (x *Mount) GetSource() string {
	if x != nil {
		return x.Source
	}
	return ""
}

func (x *Mount) GetTarget() string {
	if x != nil {
		return x.Target
	}
	return ""
}

func (x *Mount) GetOptions() []string {
	if x != nil {
		return x.Options
	}
	return nil
}

type MountsResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Mounts        []*Mount               `protobuf:"bytes,1,rep,name=mounts,proto3" json:"mounts,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *MountsResponse) Reset() {
	*x = MountsResponse{}
	mi := &file_backend_proto_msgTypes[76]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *MountsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*MountsResponse) ProtoMessage() {}

func (x *MountsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[76]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use MountsResponse.ProtoReflect.Descriptor instead.
func (*MountsResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{76}
}

func (x *MountsResponse) GetMounts() []*Mount {
	if x != nil {
		return x.Mounts
	}
	return nil
}

type RootFSMountsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           string                 `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RootFSMountsRequest) Reset() {
	*x = RootFSMountsRequest{}
	mi := &file_backend_proto_msgTypes[77]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RootFSMountsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RootFSMountsRequest) ProtoMessage() {}

func (x *RootFSMountsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[77]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RootFSMountsRequest.ProtoReflect.Descriptor instead.
func (*RootFSMountsRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{77}
}

func (x *RootFSMountsRequest) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

type RootFSViewsRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RootFSViewsRequest) Reset() {
	*x = RootFSViewsRequest{}
	mi := &file_backend_proto_msgTypes[78]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RootFSViewsRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RootFSViewsRequest) ProtoMessage() {}

func (x *RootFSViewsRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[78]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RootFSViewsRequest.ProtoReflect.Descriptor instead.
func (*RootFSViewsRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{78}
}

// RootFSView describes one view (imagesvc.RootFSView).
type RootFSView struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	Key   string                 `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	// image is the target digest of the image it was prepared from.
	Image string `protobuf:"bytes,2,opt,name=image,proto3" json:"image,omitempty"`
	// manifest is the digest of the platform manifest it was prepared from.
	Manifest string `protobuf:"bytes,3,opt,name=manifest,proto3" json:"manifest,omitempty"`
	// chain_id is the chain ID of the layers under it.
	ChainId  string `protobuf:"bytes,4,opt,name=chain_id,json=chainId,proto3" json:"chain_id,omitempty"`
	ReadOnly bool   `protobuf:"varint,5,opt,name=read_only,json=readOnly,proto3" json:"read_only,omitempty"`
	// created is when it was prepared.
	Created       *Time `protobuf:"bytes,6,opt,name=created,proto3" json:"created,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RootFSView) Reset() {
	*x = RootFSView{}
	mi := &file_backend_proto_msgTypes[79]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RootFSView) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RootFSView) ProtoMessage() {}

func (x *RootFSView) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[79]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RootFSView.ProtoReflect.Descriptor instead.
func (*RootFSView) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{79}
}

func (x *RootFSView) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *RootFSView) GetImage() string {
	if x != nil {
		return x.Image
	}
	return ""
}

func (x *RootFSView) GetManifest() string {
	if x != nil {
		return x.Manifest
	}
	return ""
}

func (x *RootFSView) GetChainId() string {
	if x != nil {
		return x.ChainId
	}
	return ""
}

func (x *RootFSView) GetReadOnly() bool {
	if x != nil {
		return x.ReadOnly
	}
	return false
}

func (x *RootFSView) GetCreated() *Time {
	if x != nil {
		return x.Created
	}
	return nil
}

type RootFSViewsResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// views are oldest first.
	Views         []*RootFSView `protobuf:"bytes,1,rep,name=views,proto3" json:"views,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RootFSViewsResponse) Reset() {
	*x = RootFSViewsResponse{}
	mi := &file_backend_proto_msgTypes[80]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RootFSViewsResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RootFSViewsResponse) ProtoMessage() {}

func (x *RootFSViewsResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[80]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RootFSViewsResponse.ProtoReflect.Descriptor instead.
func (*RootFSViewsResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{80}
}

func (x *RootFSViewsResponse) GetViews() []*RootFSView {
	if x != nil {
		return x.Views
	}
	return nil
}

type RemoveRootFSRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           string                 `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RemoveRootFSRequest) Reset() {
	*x = RemoveRootFSRequest{}
	mi := &file_backend_proto_msgTypes[81]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RemoveRootFSRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RemoveRootFSRequest) ProtoMessage() {}

func (x *RemoveRootFSRequest) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[81]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RemoveRootFSRequest.ProtoReflect.Descriptor instead.
func (*RemoveRootFSRequest) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{81}
}

func (x *RemoveRootFSRequest) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

type RemoveRootFSResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *RemoveRootFSResponse) Reset() {
	*x = RemoveRootFSResponse{}
	mi := &file_backend_proto_msgTypes[82]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *RemoveRootFSResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*RemoveRootFSResponse) ProtoMessage() {}

func (x *RemoveRootFSResponse) ProtoReflect() protoreflect.Message {
	mi := &file_backend_proto_msgTypes[82]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use RemoveRootFSResponse.ProtoReflect.Descriptor instead.
func (*RemoveRootFSResponse) Descriptor() ([]byte, []int) {
	return file_backend_proto_rawDescGZIP(), []int{82}
}

var File_backend_proto protoreflect.FileDescriptor

const file_backend_proto_rawDesc = "" +
	"\n" +
	"\rbackend.proto\x12\x12imageapi.plugin.v1\"9\n" +
	"\tErrorInfo\x12\x14\n" +
	"\x05class\x18\x01 \x01(\tR\x05class\x12\x16\n" +
	"\x06reason\x18\x02 \x01(\tR\x06reason\"`\n" +
	"\vInitRequest\x12)\n" +
	"\x10protocol_version\x18\x01 \x01(\rR\x0fprotocolVersion\x12&\n" +
	"\x0fusage_broker_id\x18\x02 \x01(\rR\rusageBrokerId\"\x8b\x01\n" +
	"\fInitResponse\x12)\n" +
	"\x10protocol_version\x18\x01 \x01(\rR\x0fprotocolVersion\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x18\n" +
	"\aversion\x18\x03 \x01(\tR\aversion\x12\"\n" +
	"\fcapabilities\x18\x04 \x03(\tR\fcapabilities\"U\n" +
	"\x04Time\x12\x18\n" +
	"\aseconds\x18\x01 \x01(\x03R\aseconds\x12\x14\n" +
	"\x05nanos\x18\x02 \x01(\x05R\x05nanos\x12\x1d\n" +
	"\n" +
	"utc_offset\x18\x03 \x01(\x05R\tutcOffset\"\x98\x01\n" +
	"\bPlatform\x12\"\n" +
	"\farchitecture\x18\x01 \x01(\tR\farchitecture\x12\x0e\n" +
	"\x02os\x18\x02 \x01(\tR\x02os\x12\x1d\n" +
	"\n" +
	"os_version\x18\x03 \x01(\tR\tosVersion\x12\x1f\n" +
	"\vos_features\x18\x04 \x03(\tR\n" +
	"osFeatures\x12\x18\n" +
	"\avariant\x18\x05 \x01(\tR\avariant\"\xf1\x02\n" +
	"\n" +
	"Descriptor\x12\x1d\n" +
	"\n" +
	"media_type\x18\x01 \x01(\tR\tmediaType\x12\x16\n" +
	"\x06digest\x18\x02 \x01(\tR\x06digest\x12\x12\n" +
	"\x04size\x18\x03 \x01(\x03R\x04size\x12\x12\n" +
	"\x04urls\x18\x04 \x03(\tR\x04urls\x12Q\n" +
	"\vannotations\x18\x05 \x03(\v2/.imageapi.plugin.v1.Descriptor.AnnotationsEntryR\vannotations\x12\x12\n" +
	"\x04data\x18\x06 \x01(\fR\x04data\x128\n" +
	"\bplatform\x18\a \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\x12#\n" +
	"\rartifact_type\x18\b \x01(\tR\fartifactType\x1a>\n" +
	"\x10AnnotationsEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\x89\x01\n" +
	"\tStringMap\x12A\n" +
	"\x06values\x18\x01 \x03(\v2).imageapi.plugin.v1.StringMap.ValuesEntryR\x06values\x1a9\n" +
	"\vValuesEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\xb8\x01\n" +
	"\vListRequest\x12\x10\n" +
	"\x03all\x18\x01 \x01(\bR\x03all\x12\x18\n" +
	"\afilters\x18\x02 \x01(\tR\afilters\x12\x1f\n" +
	"\vshared_size\x18\x03 \x01(\bR\n" +
	"sharedSize\x12\x1c\n" +
	"\tmanifests\x18\x04 \x01(\bR\tmanifests\x12\x1a\n" +
	"\bidentity\x18\x05 \x01(\bR\bidentity\x12\"\n" +
	"\rif_none_match\x18\x06 \x01(\tR\vifNoneMatch\"\x90\x01\n" +
	"\fListResponse\x123\n" +
	"\x06images\x18\x01 \x03(\v2\x1b.imageapi.plugin.v1.SummaryR\x06images\x12\x14\n" +
	"\x05total\x18\x02 \x01(\rR\x05total\x12\x12\n" +
	"\x04etag\x18\x03 \x01(\tR\x04etag\x12!\n" +
	"\fnot_modified\x18\x04 \x01(\bR\vnotModified\"\xde\x03\n" +
	"\aSummary\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x1b\n" +
	"\tparent_id\x18\x02 \x01(\tR\bparentId\x12\x1b\n" +
	"\trepo_tags\x18\x03 \x03(\tR\brepoTags\x12!\n" +
	"\frepo_digests\x18\x04 \x03(\tR\vrepoDigests\x122\n" +
	"\acreated\x18\x05 \x01(\v2\x18.imageapi.plugin.v1.TimeR\acreated\x12\x12\n" +
	"\x04size\x18\x06 \x01(\x03R\x04size\x12\x1f\n" +
	"\vshared_size\x18\a \x01(\x03R\n" +
	"sharedSize\x125\n" +
	"\x06labels\x18\b \x01(\v2\x1d.imageapi.plugin.v1.StringMapR\x06labels\x12\x1e\n" +
	"\n" +
	"containers\x18\t \x01(\x03R\n" +
	"containers\x12>\n" +
	"\n" +
	"descriptor\x18\n" +
	" \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\n" +
	"descriptor\x12A\n" +
	"\tmanifests\x18\v \x03(\v2#.imageapi.plugin.v1.ManifestSummaryR\tmanifests\x12#\n" +
	"\rhas_manifests\x18\f \x01(\bR\fhasManifests\"\xe3\x02\n" +
	"\x0fManifestSummary\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12>\n" +
	"\n" +
	"descriptor\x18\x02 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\n" +
	"descriptor\x12\x1c\n" +
	"\tavailable\x18\x03 \x01(\bR\tavailable\x12!\n" +
	"\fcontent_size\x18\x04 \x01(\x03R\vcontentSize\x12\x1d\n" +
	"\n" +
	"total_size\x18\x05 \x01(\x03R\ttotalSize\x12\x12\n" +
	"\x04kind\x18\x06 \x01(\tR\x04kind\x12<\n" +
	"\n" +
	"image_data\x18\a \x01(\v2\x1d.imageapi.plugin.v1.ImageDataR\timageData\x12N\n" +
	"\x10attestation_data\x18\b \x01(\v2#.imageapi.plugin.v1.AttestationDataR\x0fattestationData\"\xbb\x01\n" +
	"\tImageData\x128\n" +
	"\bplatform\x18\x01 \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\x128\n" +
	"\bidentity\x18\x02 \x01(\v2\x1c.imageapi.plugin.v1.IdentityR\bidentity\x12\x1a\n" +
	"\bunpacked\x18\x03 \x01(\x03R\bunpacked\x12\x1e\n" +
	"\n" +
	"containers\x18\x04 \x03(\tR\n" +
	"containers\"#\n" +
	"\x0fAttestationData\x12\x10\n" +
	"\x03for\x18\x01 \x01(\tR\x03for\"y\n" +
	"\bIdentity\x124\n" +
	"\x04pull\x18\x01 \x03(\v2 .imageapi.plugin.v1.PullIdentityR\x04pull\x127\n" +
	"\x05build\x18\x02 \x03(\v2!.imageapi.plugin.v1.BuildIdentityR\x05build\".\n" +
	"\fPullIdentity\x12\x1e\n" +
	"\n" +
	"repository\x18\x01 \x01(\tR\n" +
	"repository\"Z\n" +
	"\rBuildIdentity\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x127\n" +
	"\n" +
	"created_at\x18\x02 \x01(\v2\x18.imageapi.plugin.v1.TimeR\tcreatedAt\"\x14\n" +
	"\x12ListVersionRequest\"/\n" +
	"\x13ListVersionResponse\x12\x18\n" +
	"\aversion\x18\x01 \x01(\tR\aversion\"z\n" +
	"\x0eInspectRequest\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x12\x1c\n" +
	"\tmanifests\x18\x02 \x01(\bR\tmanifests\x128\n" +
	"\bplatform\x18\x03 \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\"B\n" +
	"\x0fInspectResponse\x12/\n" +
	"\x05image\x18\x01 \x01(\v2\x19.imageapi.plugin.v1.ImageR\x05image\"\xa3\x06\n" +
	"\x05Image\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x1b\n" +
	"\trepo_tags\x18\x02 \x03(\tR\brepoTags\x12!\n" +
	"\frepo_digests\x18\x03 \x03(\tR\vrepoDigests\x12\x16\n" +
	"\x06parent\x18\x04 \x01(\tR\x06parent\x12\x18\n" +
	"\acomment\x18\x05 \x01(\tR\acomment\x122\n" +
	"\acreated\x18\x06 \x01(\v2\x18.imageapi.plugin.v1.TimeR\acreated\x12%\n" +
	"\x0edocker_version\x18\a \x01(\tR\rdockerVersion\x12\x16\n" +
	"\x06author\x18\b \x01(\tR\x06author\x127\n" +
	"\x06config\x18\t \x01(\v2\x1f.imageapi.plugin.v1.ImageConfigR\x06config\x12\"\n" +
	"\farchitecture\x18\n" +
	" \x01(\tR\farchitecture\x12\x18\n" +
	"\avariant\x18\v \x01(\tR\avariant\x12\x0e\n" +
	"\x02os\x18\f \x01(\tR\x02os\x12\x1d\n" +
	"\n" +
	"os_version\x18\r \x01(\tR\tosVersion\x12\x12\n" +
	"\x04size\x18\x0e \x01(\x03R\x04size\x12\x16\n" +
	"\x06driver\x18\x0f \x01(\tR\x06driver\x123\n" +
	"\aroot_fs\x18\x10 \x01(\v2\x1a.imageapi.plugin.v1.RootFSR\x06rootFs\x12<\n" +
	"\rlast_tag_time\x18\x11 \x01(\v2\x18.imageapi.plugin.v1.TimeR\vlastTagTime\x12>\n" +
	"\n" +
	"descriptor\x18\x12 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\n" +
	"descriptor\x12A\n" +
	"\tmanifests\x18\x13 \x03(\v2#.imageapi.plugin.v1.ManifestSummaryR\tmanifests\x128\n" +
	"\bidentity\x18\x14 \x01(\v2\x1c.imageapi.plugin.v1.IdentityR\bidentity\x12#\n" +
	"\rhas_manifests\x18\x15 \x01(\bR\fhasManifests\"4\n" +
	"\x06RootFS\x12\x12\n" +
	"\x04type\x18\x01 \x01(\tR\x04type\x12\x16\n" +
	"\x06layers\x18\x02 \x03(\tR\x06layers\"\x9b\x04\n" +
	"\vImageConfig\x12\x12\n" +
	"\x04user\x18\x01 \x01(\tR\x04user\x12#\n" +
	"\rexposed_ports\x18\x02 \x03(\tR\fexposedPorts\x12\x10\n" +
	"\x03env\x18\x03 \x03(\tR\x03env\x12\x1e\n" +
	"\n" +
	"entrypoint\x18\x04 \x03(\tR\n" +
	"entrypoint\x12\x10\n" +
	"\x03cmd\x18\x05 \x03(\tR\x03cmd\x12\x18\n" +
	"\avolumes\x18\x06 \x03(\tR\avolumes\x12\x1f\n" +
	"\vworking_dir\x18\a \x01(\tR\n" +
	"workingDir\x12C\n" +
	"\x06labels\x18\b \x03(\v2+.imageapi.plugin.v1.ImageConfig.LabelsEntryR\x06labels\x12\x1f\n" +
	"\vstop_signal\x18\t \x01(\tR\n" +
	"stopSignal\x12!\n" +
	"\fargs_escaped\x18\n" +
	" \x01(\bR\vargsEscaped\x12B\n" +
	"\vhealthcheck\x18\v \x01(\v2 .imageapi.plugin.v1.HealthConfigR\vhealthcheck\x12\x19\n" +
	"\bon_build\x18\f \x03(\tR\aonBuild\x12\x14\n" +
	"\x05shell\x18\r \x03(\tR\x05shell\x12\x1b\n" +
	"\tcmd_empty\x18\x0e \x01(\bR\bcmdEmpty\x1a9\n" +
	"\vLabelsEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\xbc\x01\n" +
	"\fHealthConfig\x12\x12\n" +
	"\x04test\x18\x01 \x03(\tR\x04test\x12\x1a\n" +
	"\binterval\x18\x02 \x01(\x03R\binterval\x12\x18\n" +
	"\atimeout\x18\x03 \x01(\x03R\atimeout\x12!\n" +
	"\fstart_period\x18\x04 \x01(\x03R\vstartPeriod\x12%\n" +
	"\x0estart_interval\x18\x05 \x01(\x03R\rstartInterval\x12\x18\n" +
	"\aretries\x18\x06 \x01(\x03R\aretries\"\x9d\x01\n" +
	"\bProgress\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x16\n" +
	"\x06status\x18\x02 \x01(\tR\x06status\x12:\n" +
	"\x06detail\x18\x03 \x01(\v2\".imageapi.plugin.v1.ProgressDetailR\x06detail\x12-\n" +
	"\x03aux\x18\x04 \x01(\v2\x1b.imageapi.plugin.v1.PushAuxR\x03aux\"\x8d\x01\n" +
	"\x0eProgressDetail\x12\x18\n" +
	"\acurrent\x18\x01 \x01(\x03R\acurrent\x12\x14\n" +
	"\x05total\x18\x02 \x01(\x03R\x05total\x12\x14\n" +
	"\x05start\x18\x03 \x01(\x03R\x05start\x12\x1f\n" +
	"\vhide_counts\x18\x04 \x01(\bR\n" +
	"hideCounts\x12\x14\n" +
	"\x05units\x18\x05 \x01(\tR\x05units\"\xcd\x01\n" +
	"\n" +
	"AuthConfig\x12\x1a\n" +
	"\busername\x18\x01 \x01(\tR\busername\x12\x1a\n" +
	"\bpassword\x18\x02 \x01(\tR\bpassword\x12\x12\n" +
	"\x04auth\x18\x03 \x01(\tR\x04auth\x12%\n" +
	"\x0eserver_address\x18\x04 \x01(\tR\rserverAddress\x12%\n" +
	"\x0eidentity_token\x18\x05 \x01(\tR\ridentityToken\x12%\n" +
	"\x0eregistry_token\x18\x06 \x01(\tR\rregistryToken\"\x8d\x01\n" +
	"\vPullRequest\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x128\n" +
	"\bplatform\x18\x02 \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\x122\n" +
	"\x04auth\x18\x03 \x01(\v2\x1e.imageapi.plugin.v1.AuthConfigR\x04auth\"\x8a\x01\n" +
	"\tPullEvent\x12:\n" +
	"\bprogress\x18\x01 \x01(\v2\x1c.imageapi.plugin.v1.ProgressH\x00R\bprogress\x128\n" +
	"\x06result\x18\x02 \x01(\v2\x1e.imageapi.plugin.v1.PullResultH\x00R\x06resultB\a\n" +
	"\x05event\"E\n" +
	"\n" +
	"PullResult\x127\n" +
	"\x06images\x18\x01 \x03(\v2\x1f.imageapi.plugin.v1.PulledImageR\x06images\"I\n" +
	"\vPulledImage\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x12\x0e\n" +
	"\x02id\x18\x02 \x01(\tR\x02id\x12\x18\n" +
	"\aupdated\x18\x03 \x01(\bR\aupdated\"\xdb\x01\n" +
	"\rImportMessage\x12:\n" +
	"\x06header\x18\x01 \x01(\v2 .imageapi.plugin.v1.ImportHeaderH\x00R\x06header\x127\n" +
	"\x05chunk\x18\x02 \x01(\v2\x1f.imageapi.plugin.v1.ImportChunkH\x00R\x05chunk\x12J\n" +
	"\fsource_error\x18\x03 \x01(\v2%.imageapi.plugin.v1.ImportSourceErrorH\x00R\vsourceErrorB\t\n" +
	"\amessage\"\x87\x02\n" +
	"\fImportHeader\x12\x1d\n" +
	"\n" +
	"has_source\x18\x01 \x01(\bR\thasSource\x12\x10\n" +
	"\x03url\x18\x02 \x01(\tR\x03url\x12\x10\n" +
	"\x03ref\x18\x03 \x01(\tR\x03ref\x12\x18\n" +
	"\amessage\x18\x04 \x01(\tR\amessage\x12\x18\n" +
	"\achanges\x18\x05 \x03(\tR\achanges\x128\n" +
	"\bplatform\x18\x06 \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\x12F\n" +
	"\x0echanges_config\x18\a \x01(\v2\x1f.imageapi.plugin.v1.ImageConfigR\rchangesConfig\"!\n" +
	"\vImportChunk\x12\x12\n" +
	"\x04data\x18\x01 \x01(\fR\x04data\"C\n" +
	"\x11ImportSourceError\x12\x14\n" +
	"\x05class\x18\x01 \x01(\tR\x05class\x12\x18\n" +
	"\amessage\x18\x02 \x01(\tR\amessage\"\x8e\x01\n" +
	"\vImportEvent\x12:\n" +
	"\bprogress\x18\x01 \x01(\v2\x1c.imageapi.plugin.v1.ProgressH\x00R\bprogress\x12:\n" +
	"\x06result\x18\x02 \x01(\v2 .imageapi.plugin.v1.ImportResultH\x00R\x06resultB\a\n" +
	"\x05event\"\x1e\n" +
	"\fImportResult\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\"\x8e\x01\n" +
	"\rRemoveRequest\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x12\x14\n" +
	"\x05force\x18\x02 \x01(\bR\x05force\x12\x19\n" +
	"\bno_prune\x18\x03 \x01(\bR\anoPrune\x12:\n" +
	"\tplatforms\x18\x04 \x03(\v2\x1c.imageapi.plugin.v1.PlatformR\tplatforms\"N\n" +
	"\x0eRemoveResponse\x12<\n" +
	"\adeleted\x18\x01 \x03(\v2\".imageapi.plugin.v1.DeleteResponseR\adeleted\"F\n" +
	"\x0eDeleteResponse\x12\x1a\n" +
	"\buntagged\x18\x01 \x01(\tR\buntagged\x12\x18\n" +
	"\adeleted\x18\x02 \x01(\tR\adeleted\"<\n" +
	"\n" +
	"TagRequest\x12\x16\n" +
	"\x06source\x18\x01 \x01(\tR\x06source\x12\x16\n" +
	"\x06target\x18\x02 \x01(\tR\x06target\"\r\n" +
	"\vTagResponse\"(\n" +
	"\fPruneRequest\x12\x18\n" +
	"\afilters\x18\x01 \x01(\tR\afilters\"\x83\x01\n" +
	"\rPruneResponse\x12I\n" +
	"\x0eimages_deleted\x18\x01 \x03(\v2\".imageapi.plugin.v1.DeleteResponseR\rimagesDeleted\x12'\n" +
	"\x0fspace_reclaimed\x18\x02 \x01(\x04R\x0espaceReclaimed\"\\\n" +
	"\x0eHistoryRequest\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x128\n" +
	"\bplatform\x18\x02 \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\"H\n" +
	"\x0fHistoryResponse\x125\n" +
	"\x05items\x18\x01 \x03(\v2\x1f.imageapi.plugin.v1.HistoryItemR\x05items\"\xb2\x01\n" +
	"\vHistoryItem\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x122\n" +
	"\acreated\x18\x02 \x01(\v2\x18.imageapi.plugin.v1.TimeR\acreated\x12\x1d\n" +
	"\n" +
	"created_by\x18\x03 \x01(\tR\tcreatedBy\x12\x12\n" +
	"\x04tags\x18\x04 \x03(\tR\x04tags\x12\x12\n" +
	"\x04size\x18\x05 \x01(\x03R\x04size\x12\x18\n" +
	"\acomment\x18\x06 \x01(\tR\acomment\"B\n" +
	"\fLoginRequest\x122\n" +
	"\x04auth\x18\x01 \x01(\v2\x1e.imageapi.plugin.v1.AuthConfigR\x04auth\"6\n" +
	"\rLoginResponse\x12%\n" +
	"\x0eidentity_token\x18\x01 \x01(\tR\ridentityToken\"b\n" +
	"\x1aDistributionInspectRequest\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x122\n" +
	"\x04auth\x18\x02 \x01(\v2\x1e.imageapi.plugin.v1.AuthConfigR\x04auth\"\xb6\x01\n" +
	"\x1bDistributionInspectResponse\x126\n" +
	"\x06target\x18\x01 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\x06target\x12:\n" +
	"\tplatforms\x18\x02 \x03(\v2\x1c.imageapi.plugin.v1.PlatformR\tplatforms\x12#\n" +
	"\rhas_platforms\x18\x03 \x01(\bR\fhasPlatforms\"2\n" +
	"\x16ContainersUsingRequest\x12\x18\n" +
	"\adigests\x18\x01 \x03(\tR\adigests\"\xd7\x01\n" +
	"\x17ContainersUsingResponse\x12[\n" +
	"\n" +
	"containers\x18\x01 \x03(\v2;.imageapi.plugin.v1.ContainersUsingResponse.ContainersEntryR\n" +
	"containers\x1a_\n" +
	"\x0fContainersEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x126\n" +
	"\x05value\x18\x02 \x01(\v2 .imageapi.plugin.v1.ContainerIDsR\x05value:\x028\x01\" \n" +
	"\fContainerIDs\x12\x10\n" +
	"\x03ids\x18\x01 \x03(\tR\x03ids\"\x13\n" +
	"\x11ContainersRequest\"S\n" +
	"\x12ContainersResponse\x12=\n" +
	"\n" +
	"containers\x18\x01 \x03(\v2\x1d.imageapi.plugin.v1.ContainerR\n" +
	"containers\"\xb0\x01\n" +
	"\tContainer\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x19\n" +
	"\bimage_id\x18\x02 \x01(\tR\aimageId\x12%\n" +
	"\x0eimage_manifest\x18\x03 \x01(\tR\rimageManifest\x12\x14\n" +
	"\x05image\x18\x04 \x01(\tR\x05image\x12\x18\n" +
	"\arunning\x18\x05 \x01(\bR\arunning\x12!\n" +
	"\fimage_mounts\x18\x06 \x03(\tR\vimageMounts\"]\n" +
	"\vSaveRequest\x12\x12\n" +
	"\x04refs\x18\x01 \x03(\tR\x04refs\x12:\n" +
	"\tplatforms\x18\x02 \x03(\v2\x1c.imageapi.plugin.v1.PlatformR\tplatforms\"\x1f\n" +
	"\tSaveChunk\x12\x12\n" +
	"\x04data\x18\x01 \x01(\fR\x04data\"\xd7\x01\n" +
	"\vLoadMessage\x128\n" +
	"\x06header\x18\x01 \x01(\v2\x1e.imageapi.plugin.v1.LoadHeaderH\x00R\x06header\x127\n" +
	"\x05chunk\x18\x02 \x01(\v2\x1f.imageapi.plugin.v1.ImportChunkH\x00R\x05chunk\x12J\n" +
	"\fsource_error\x18\x03 \x01(\v2%.imageapi.plugin.v1.ImportSourceErrorH\x00R\vsourceErrorB\t\n" +
	"\amessage\"H\n" +
	"\n" +
	"LoadHeader\x12:\n" +
	"\tplatforms\x18\x01 \x03(\v2\x1c.imageapi.plugin.v1.PlatformR\tplatforms\"|\n" +
	"\fLoadResponse\x127\n" +
	"\x06images\x18\x01 \x03(\v2\x1f.imageapi.plugin.v1.LoadedImageR\x06images\x123\n" +
	"\x05error\x18\x02 \x01(\v2\x1d.imageapi.plugin.v1.CallErrorR\x05error\"1\n" +
	"\vLoadedImage\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12\x0e\n" +
	"\x02id\x18\x02 \x01(\tR\x02id\";\n" +
	"\tCallError\x12\x14\n" +
	"\x05class\x18\x01 \x01(\tR\x05class\x12\x18\n" +
	"\amessage\x18\x02 \x01(\tR\amessage\"\x8d\x01\n" +
	"\vPushRequest\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x128\n" +
	"\bplatform\x18\x02 \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\x122\n" +
	"\x04auth\x18\x03 \x01(\v2\x1e.imageapi.plugin.v1.AuthConfigR\x04auth\"P\n" +
	"\tPushEvent\x12:\n" +
	"\bprogress\x18\x01 \x01(\v2\x1c.imageapi.plugin.v1.ProgressH\x00R\bprogressB\a\n" +
	"\x05event\"\xc2\x02\n" +
	"\aPushAux\x12F\n" +
	" manifest_pushed_instead_of_index\x18\x01 \x01(\bR\x1cmanifestPushedInsteadOfIndex\x12E\n" +
	"\x0eoriginal_index\x18\x02 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\roriginalIndex\x12K\n" +
	"\x11selected_manifest\x18\x03 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\x10selectedManifest\x12'\n" +
	"\x0fcontent_missing\x18\x04 \x01(\bR\x0econtentMissing\x122\n" +
	"\x04desc\x18\x05 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\x04desc\"t\n" +
	"\x12WatchEventsRequest\x12.\n" +
	"\x05since\x18\x01 \x01(\v2\x18.imageapi.plugin.v1.TimeR\x05since\x12.\n" +
	"\x05until\x18\x02 \x01(\v2\x18.imageapi.plugin.v1.TimeR\x05until\"\xe7\x01\n" +
	"\x05Event\x12\x16\n" +
	"\x06action\x18\x01 \x01(\tR\x06action\x12\x0e\n" +
	"\x02id\x18\x02 \x01(\tR\x02id\x12I\n" +
	"\n" +
	"attributes\x18\x03 \x03(\v2).imageapi.plugin.v1.Event.AttributesEntryR\n" +
	"attributes\x12,\n" +
	"\x04time\x18\x04 \x01(\v2\x18.imageapi.plugin.v1.TimeR\x04time\x1a=\n" +
	"\x0fAttributesEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\x12\n" +
	"\x10DiskUsageRequest\"g\n" +
	"\x11DiskUsageResponse\x123\n" +
	"\x06images\x18\x01 \x03(\v2\x1b.imageapi.plugin.v1.SummaryR\x06images\x12\x1d\n" +
	"\n" +
	"total_size\x18\x02 \x01(\x03R\ttotalSize\"h\n" +
	"\x1aResolveRuntimeImageRequest\x12\x10\n" +
	"\x03ref\x18\x01 \x01(\tR\x03ref\x128\n" +
	"\bplatform\x18\x02 \x01(\v2\x1c.imageapi.plugin.v1.PlatformR\bplatform\":\n" +
	"\x0eOCIImageConfig\x12\x12\n" +
	"\x04json\x18\x01 \x01(\fR\x04json\x12\x14\n" +
	"\x05empty\x18\x02 \x03(\tR\x05empty\"\xfb\x02\n" +
	"\fRuntimeImage\x126\n" +
	"\x06target\x18\x01 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\x06target\x12:\n" +
	"\bmanifest\x18\x02 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\bmanifest\x12K\n" +
	"\x11config_descriptor\x18\x03 \x01(\v2\x1e.imageapi.plugin.v1.DescriptorR\x10configDescriptor\x12:\n" +
	"\x06config\x18\x04 \x01(\v2\".imageapi.plugin.v1.OCIImageConfigR\x06config\x126\n" +
	"\x06layers\x18\x05 \x03(\v2\x1e.imageapi.plugin.v1.DescriptorR\x06layers\x12\x19\n" +
	"\bdiff_ids\x18\x06 \x03(\tR\adiffIds\x12\x1b\n" +
	"\tchain_ids\x18\a \x03(\tR\bchainIds\"}\n" +
	"\x14PrepareRootFSRequest\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x126\n" +
	"\x05image\x18\x02 \x01(\v2 .imageapi.plugin.v1.RuntimeImageR\x05image\x12\x1b\n" +
	"\tread_only\x18\x03 \x01(\bR\breadOnly\"e\n" +
	"\x05Mount\x12\x12\n" +
	"\x04type\x18\x01 \x01(\tR\x04type\x12\x16\n" +
	"\x06source\x18\x02 \x01(\tR\x06source\x12\x16\n" +
	"\x06target\x18\x03 \x01(\tR\x06target\x12\x18\n" +
	"\aoptions\x18\x04 \x03(\tR\aoptions\"C\n" +
	"\x0eMountsResponse\x121\n" +
	"\x06mounts\x18\x01 \x03(\v2\x19.imageapi.plugin.v1.MountR\x06mounts\"'\n" +
	"\x13RootFSMountsRequest\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\"\x14\n" +
	"\x12RootFSViewsRequest\"\xbc\x01\n" +
	"\n" +
	"RootFSView\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05image\x18\x02 \x01(\tR\x05image\x12\x1a\n" +
	"\bmanifest\x18\x03 \x01(\tR\bmanifest\x12\x19\n" +
	"\bchain_id\x18\x04 \x01(\tR\achainId\x12\x1b\n" +
	"\tread_only\x18\x05 \x01(\bR\breadOnly\x122\n" +
	"\acreated\x18\x06 \x01(\v2\x18.imageapi.plugin.v1.TimeR\acreated\"K\n" +
	"\x13RootFSViewsResponse\x124\n" +
	"\x05views\x18\x01 \x03(\v2\x1e.imageapi.plugin.v1.RootFSViewR\x05views\"'\n" +
	"\x13RemoveRootFSRequest\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\"\x16\n" +
	"\x14RemoveRootFSResponse2\xe9\x0e\n" +
	"\aBackend\x12I\n" +
	"\x04Init\x12\x1f.imageapi.plugin.v1.InitRequest\x1a .imageapi.plugin.v1.InitResponse\x12K\n" +
	"\x04List\x12\x1f.imageapi.plugin.v1.ListRequest\x1a .imageapi.plugin.v1.ListResponse0\x01\x12R\n" +
	"\aInspect\x12\".imageapi.plugin.v1.InspectRequest\x1a#.imageapi.plugin.v1.InspectResponse\x12^\n" +
	"\vListVersion\x12&.imageapi.plugin.v1.ListVersionRequest\x1a'.imageapi.plugin.v1.ListVersionResponse\x12H\n" +
	"\x04Pull\x12\x1f.imageapi.plugin.v1.PullRequest\x1a\x1d.imageapi.plugin.v1.PullEvent0\x01\x12P\n" +
	"\x06Import\x12!.imageapi.plugin.v1.ImportMessage\x1a\x1f.imageapi.plugin.v1.ImportEvent(\x010\x01\x12O\n" +
	"\x06Remove\x12!.imageapi.plugin.v1.RemoveRequest\x1a\".imageapi.plugin.v1.RemoveResponse\x12F\n" +
	"\x03Tag\x12\x1e.imageapi.plugin.v1.TagRequest\x1a\x1f.imageapi.plugin.v1.TagResponse\x12L\n" +
	"\x05Prune\x12 .imageapi.plugin.v1.PruneRequest\x1a!.imageapi.plugin.v1.PruneResponse\x12R\n" +
	"\aHistory\x12\".imageapi.plugin.v1.HistoryRequest\x1a#.imageapi.plugin.v1.HistoryResponse\x12L\n" +
	"\x05Login\x12 .imageapi.plugin.v1.LoginRequest\x1a!.imageapi.plugin.v1.LoginResponse\x12v\n" +
	"\x13DistributionInspect\x12..imageapi.plugin.v1.DistributionInspectRequest\x1a/.imageapi.plugin.v1.DistributionInspectResponse\x12H\n" +
	"\x04Save\x12\x1f.imageapi.plugin.v1.SaveRequest\x1a\x1d.imageapi.plugin.v1.SaveChunk0\x01\x12K\n" +
	"\x04Load\x12\x1f.imageapi.plugin.v1.LoadMessage\x1a .imageapi.plugin.v1.LoadResponse(\x01\x12H\n" +
	"\x04Push\x12\x1f.imageapi.plugin.v1.PushRequest\x1a\x1d.imageapi.plugin.v1.PushEvent0\x01\x12R\n" +
	"\vWatchEvents\x12&.imageapi.plugin.v1.WatchEventsRequest\x1a\x19.imageapi.plugin.v1.Event0\x01\x12X\n" +
	"\tDiskUsage\x12$.imageapi.plugin.v1.DiskUsageRequest\x1a%.imageapi.plugin.v1.DiskUsageResponse\x12g\n" +
	"\x13ResolveRuntimeImage\x12..imageapi.plugin.v1.ResolveRuntimeImageRequest\x1a .imageapi.plugin.v1.RuntimeImage\x12]\n" +
	"\rPrepareRootFS\x12(.imageapi.plugin.v1.PrepareRootFSRequest\x1a\".imageapi.plugin.v1.MountsResponse\x12[\n" +
	"\fRootFSMounts\x12'.imageapi.plugin.v1.RootFSMountsRequest\x1a\".imageapi.plugin.v1.MountsResponse\x12^\n" +
	"\vRootFSViews\x12&.imageapi.plugin.v1.RootFSViewsRequest\x1a'.imageapi.plugin.v1.RootFSViewsResponse\x12a\n" +
	"\fRemoveRootFS\x12'.imageapi.plugin.v1.RemoveRootFSRequest\x1a(.imageapi.plugin.v1.RemoveRootFSResponse2\xd0\x01\n" +
	"\x05Usage\x12j\n" +
	"\x0fContainersUsing\x12*.imageapi.plugin.v1.ContainersUsingRequest\x1a+.imageapi.plugin.v1.ContainersUsingResponse\x12[\n" +
	"\n" +
	"Containers\x12%.imageapi.plugin.v1.ContainersRequest\x1a&.imageapi.plugin.v1.ContainersResponseB3Z1github.com/imageapi/imageapi/internal/pluginprotob\x06proto3"

var (
	file_backend_proto_rawDescOnce sync.Once
	file_backend_proto_rawDescData []byte
)

func file_backend_proto_rawDescGZIP() []byte {
	file_backend_proto_rawDescOnce.Do(func() {
		file_backend_proto_rawDescData = protoimpl.X.CompressGZIP(unsafe.Slice(unsafe.StringData(file_backend_proto_rawDesc), len(file_backend_proto_rawDesc)))
	})
	return file_backend_proto_rawDescData
}

var file_backend_proto_msgTypes = make([]protoimpl.MessageInfo, 88)
var file_backend_proto_goTypes = []any{
	(*ErrorInfo)(nil),                   // 0: imageapi.plugin.v1.ErrorInfo
	(*InitRequest)(nil),                 // 1: imageapi.plugin.v1.InitRequest
	(*InitResponse)(nil),                // 2: imageapi.plugin.v1.InitResponse
	(*Time)(nil),                        // 3: imageapi.plugin.v1.Time
	(*Platform)(nil),                    // 4: imageapi.plugin.v1.Platform
	(*Descriptor)(nil),                  // 5: imageapi.plugin.v1.Descriptor
	(*StringMap)(nil),                   // 6: imageapi.plugin.v1.StringMap
	(*ListRequest)(nil),                 // 7: imageapi.plugin.v1.ListRequest
	(*ListResponse)(nil),                // 8: imageapi.plugin.v1.ListResponse
	(*Summary)(nil),                     // 9: imageapi.plugin.v1.Summary
	(*ManifestSummary)(nil),             // 10: imageapi.plugin.v1.ManifestSummary
	(*ImageData)(nil),                   // 11: imageapi.plugin.v1.ImageData
	(*AttestationData)(nil),             // 12: imageapi.plugin.v1.AttestationData
	(*Identity)(nil),                    // 13: imageapi.plugin.v1.Identity
	(*PullIdentity)(nil),                // 14: imageapi.plugin.v1.PullIdentity
	(*BuildIdentity)(nil),               // 15: imageapi.plugin.v1.BuildIdentity
	(*ListVersionRequest)(nil),          // 16: imageapi.plugin.v1.ListVersionRequest
	(*ListVersionResponse)(nil),         // 17: imageapi.plugin.v1.ListVersionResponse
	(*InspectRequest)(nil),              // 18: imageapi.plugin.v1.InspectRequest
	(*InspectResponse)(nil),             // 19: imageapi.plugin.v1.InspectResponse
	(*Image)(nil),                       // 20: imageapi.plugin.v1.Image
	(*RootFS)(nil),                      // 21: imageapi.plugin.v1.RootFS
	(*ImageConfig)(nil),                 // 22: imageapi.plugin.v1.ImageConfig
	(*HealthConfig)(nil),                // 23: imageapi.plugin.v1.HealthConfig
	(*Progress)(nil),                    // 24: imageapi.plugin.v1.Progress
	(*ProgressDetail)(nil),              // 25: imageapi.plugin.v1.ProgressDetail
	(*AuthConfig)(nil),                  // 26: imageapi.plugin.v1.AuthConfig
	(*PullRequest)(nil),                 // 27: imageapi.plugin.v1.PullRequest
	(*PullEvent)(nil),                   // 28: imageapi.plugin.v1.PullEvent
	(*PullResult)(nil),                  // 29: imageapi.plugin.v1.PullResult
	(*PulledImage)(nil),                 // 30: imageapi.plugin.v1.PulledImage
	(*ImportMessage)(nil),               // 31: imageapi.plugin.v1.ImportMessage
	(*ImportHeader)(nil),                // 32: imageapi.plugin.v1.ImportHeader
	(*ImportChunk)(nil),                 // 33: imageapi.plugin.v1.ImportChunk
	(*ImportSourceError)(nil),           // 34: imageapi.plugin.v1.ImportSourceError
	(*ImportEvent)(nil),                 // 35: imageapi.plugin.v1.ImportEvent
	(*ImportResult)(nil),                // 36: imageapi.plugin.v1.ImportResult
	(*RemoveRequest)(nil),               // 37: imageapi.plugin.v1.RemoveRequest
	(*RemoveResponse)(nil),              // 38: imageapi.plugin.v1.RemoveResponse
	(*DeleteResponse)(nil),              // 39: imageapi.plugin.v1.DeleteResponse
	(*TagRequest)(nil),                  // 40: imageapi.plugin.v1.TagRequest
	(*TagResponse)(nil),                 // 41: imageapi.plugin.v1.TagResponse
	(*PruneRequest)(nil),                // 42: imageapi.plugin.v1.PruneRequest
	(*PruneResponse)(nil),               // 43: imageapi.plugin.v1.PruneResponse
	(*HistoryRequest)(nil),              // 44: imageapi.plugin.v1.HistoryRequest
	(*HistoryResponse)(nil),             // 45: imageapi.plugin.v1.HistoryResponse
	(*HistoryItem)(nil),                 // 46: imageapi.plugin.v1.HistoryItem
	(*LoginRequest)(nil),                // 47: imageapi.plugin.v1.LoginRequest
	(*LoginResponse)(nil),               // 48: imageapi.plugin.v1.LoginResponse
	(*DistributionInspectRequest)(nil),  // 49: imageapi.plugin.v1.DistributionInspectRequest
	(*DistributionInspectResponse)(nil), // 50: imageapi.plugin.v1.DistributionInspectResponse
	(*ContainersUsingRequest)(nil),      // 51: imageapi.plugin.v1.ContainersUsingRequest
	(*ContainersUsingResponse)(nil),     // 52: imageapi.plugin.v1.ContainersUsingResponse
	(*ContainerIDs)(nil),                // 53: imageapi.plugin.v1.ContainerIDs
	(*ContainersRequest)(nil),           // 54: imageapi.plugin.v1.ContainersRequest
	(*ContainersResponse)(nil),          // 55: imageapi.plugin.v1.ContainersResponse
	(*Container)(nil),                   // 56: imageapi.plugin.v1.Container
	(*SaveRequest)(nil),                 // 57: imageapi.plugin.v1.SaveRequest
	(*SaveChunk)(nil),                   // 58: imageapi.plugin.v1.SaveChunk
	(*LoadMessage)(nil),                 // 59: imageapi.plugin.v1.LoadMessage
	(*LoadHeader)(nil),                  // 60: imageapi.plugin.v1.LoadHeader
	(*LoadResponse)(nil),                // 61: imageapi.plugin.v1.LoadResponse
	(*LoadedImage)(nil),                 // 62: imageapi.plugin.v1.LoadedImage
	(*CallError)(nil),                   // 63: imageapi.plugin.v1.CallError
	(*PushRequest)(nil),                 // 64: imageapi.plugin.v1.PushRequest
	(*PushEvent)(nil),                   // 65: imageapi.plugin.v1.PushEvent
	(*PushAux)(nil),                     // 66: imageapi.plugin.v1.PushAux
	(*WatchEventsRequest)(nil),          // 67: imageapi.plugin.v1.WatchEventsRequest
	(*Event)(nil),                       // 68: imageapi.plugin.v1.Event
	(*DiskUsageRequest)(nil),            // 69: imageapi.plugin.v1.DiskUsageRequest
	(*DiskUsageResponse)(nil),           // 70: imageapi.plugin.v1.DiskUsageResponse
	(*ResolveRuntimeImageRequest)(nil),  // 71: imageapi.plugin.v1.ResolveRuntimeImageRequest
	(*OCIImageConfig)(nil),              // 72: imageapi.plugin.v1.OCIImageConfig
	(*RuntimeImage)(nil),                // 73: imageapi.plugin.v1.RuntimeImage
	(*PrepareRootFSRequest)(nil),        // 74: imageapi.plugin.v1.PrepareRootFSRequest
	(*Mount)(nil),                       // 75: imageapi.plugin.v1.Mount
	(*MountsResponse)(nil),              // 76: imageapi.plugin.v1.MountsResponse
	(*RootFSMountsRequest)(nil),         // 77: imageapi.plugin.v1.RootFSMountsRequest
	(*RootFSViewsRequest)(nil),          // 78: imageapi.plugin.v1.RootFSViewsRequest
	(*RootFSView)(nil),                  // 79: imageapi.plugin.v1.RootFSView
	(*RootFSViewsResponse)(nil),         // 80: imageapi.plugin.v1.RootFSViewsResponse
	(*RemoveRootFSRequest)(nil),         // 81: imageapi.plugin.v1.RemoveRootFSRequest
	(*RemoveRootFSResponse)(nil),        // 82: imageapi.plugin.v1.RemoveRootFSResponse
	nil,                                 // 83: imageapi.plugin.v1.Descriptor.AnnotationsEntry
	nil,                                 // 84: imageapi.plugin.v1.StringMap.ValuesEntry
	nil,                                 // 85: imageapi.plugin.v1.ImageConfig.LabelsEntry
	nil,                                 // 86: imageapi.plugin.v1.ContainersUsingResponse.ContainersEntry
	nil,                                 // 87: imageapi.plugin.v1.Event.AttributesEntry
}
var file_backend_proto_depIdxs = []int32{
	83,  // 0: imageapi.plugin.v1.Descriptor.annotations:type_name -> imageapi.plugin.v1.Descriptor.AnnotationsEntry
	4,   // 1: imageapi.plugin.v1.Descriptor.platform:type_name -> imageapi.plugin.v1.Platform
	84,  // 2: imageapi.plugin.v1.StringMap.values:type_name -> imageapi.plugin.v1.StringMap.ValuesEntry
	9,   // 3: imageapi.plugin.v1.ListResponse.images:type_name -> imageapi.plugin.v1.Summary
	3,   // 4: imageapi.plugin.v1.Summary.created:type_name -> imageapi.plugin.v1.Time
	6,   // 5: imageapi.plugin.v1.Summary.labels:type_name -> imageapi.plugin.v1.StringMap
	5,   // 6: imageapi.plugin.v1.Summary.descriptor:type_name -> imageapi.plugin.v1.Descriptor
	10,  // 7: imageapi.plugin.v1.Summary.manifests:type_name -> imageapi.plugin.v1.ManifestSummary
	5,   // 8: imageapi.plugin.v1.ManifestSummary.descriptor:type_name -> imageapi.plugin.v1.Descriptor
	11,  // 9: imageapi.plugin.v1.ManifestSummary.image_data:type_name -> imageapi.plugin.v1.ImageData
	12,  // 10: imageapi.plugin.v1.ManifestSummary.attestation_data:type_name -> imageapi.plugin.v1.AttestationData
	4,   // 11: imageapi.plugin.v1.ImageData.platform:type_name -> imageapi.plugin.v1.Platform
	13,  // 12: imageapi.plugin.v1.ImageData.identity:type_name -> imageapi.plugin.v1.Identity
	14,  // 13: imageapi.plugin.v1.Identity.pull:type_name -> imageapi.plugin.v1.PullIdentity
	15,  // 14: imageapi.plugin.v1.Identity.build:type_name -> imageapi.plugin.v1.BuildIdentity
	3,   // 15: imageapi.plugin.v1.BuildIdentity.created_at:type_name -> imageapi.plugin.v1.Time
	4,   // 16: imageapi.plugin.v1.InspectRequest.platform:type_name -> imageapi.plugin.v1.Platform
	20,  // 17: imageapi.plugin.v1.InspectResponse.image:type_name -> imageapi.plugin.v1.Image
	3,   // 18: imageapi.plugin.v1.Image.created:type_name -> imageapi.plugin.v1.Time
	22,  // 19: imageapi.plugin.v1.Image.config:type_name -> imageapi.plugin.v1.ImageConfig
	21,  // 20: imageapi.plugin.v1.Image.root_fs:type_name -> imageapi.plugin.v1.RootFS
	3,   // 21: imageapi.plugin.v1.Image.last_tag_time:type_name -> imageapi.plugin.v1.Time
	5,   // 22: imageapi.plugin.v1.Image.descriptor:type_name -> imageapi.plugin.v1.Descriptor
	10,  // 23: imageapi.plugin.v1.Image.manifests:type_name -> imageapi.plugin.v1.ManifestSummary
	13,  // 24: imageapi.plugin.v1.Image.identity:type_name -> imageapi.plugin.v1.Identity
	85,  // 25: imageapi.plugin.v1.ImageConfig.labels:type_name -> imageapi.plugin.v1.ImageConfig.LabelsEntry
	23,  // 26: imageapi.plugin.v1.ImageConfig.healthcheck:type_name -> imageapi.plugin.v1.HealthConfig
	25,  // 27: imageapi.plugin.v1.Progress.detail:type_name -> imageapi.plugin.v1.ProgressDetail
	66,  // 28: imageapi.plugin.v1.Progress.aux:type_name -> imageapi.plugin.v1.PushAux
	4,   // 29: imageapi.plugin.v1.PullRequest.platform:type_name -> imageapi.plugin.v1.Platform
	26,  // 30: imageapi.plugin.v1.PullRequest.auth:type_name -> imageapi.plugin.v1.AuthConfig
	24,  // 31: imageapi.plugin.v1.PullEvent.progress:type_name -> imageapi.plugin.v1.Progress
	29,  // 32: imageapi.plugin.v1.PullEvent.result:type_name -> imageapi.plugin.v1.PullResult
	30,  // 33: imageapi.plugin.v1.PullResult.images:type_name -> imageapi.plugin.v1.PulledImage
	32,  // 34: imageapi.plugin.v1.ImportMessage.header:type_name -> imageapi.plugin.v1.ImportHeader
	33,  // 35: imageapi.plugin.v1.ImportMessage.chunk:type_name -> imageapi.plugin.v1.ImportChunk
	34,  // 36: imageapi.plugin.v1.ImportMessage.source_error:type_name -> imageapi.plugin.v1.ImportSourceError
	4,   // 37: imageapi.plugin.v1.ImportHeader.platform:type_name -> imageapi.plugin.v1.Platform
	22,  // 38: imageapi.plugin.v1.ImportHeader.changes_config:type_name -> imageapi.plugin.v1.ImageConfig
	24,  // 39: imageapi.plugin.v1.ImportEvent.progress:type_name -> imageapi.plugin.v1.Progress
	36,  // 40: imageapi.plugin.v1.ImportEvent.result:type_name -> imageapi.plugin.v1.ImportResult
	4,   // 41: imageapi.plugin.v1.RemoveRequest.platforms:type_name -> imageapi.plugin.v1.Platform
	39,  // 42: imageapi.plugin.v1.RemoveResponse.deleted:type_name -> imageapi.plugin.v1.DeleteResponse
	39,  // 43: imageapi.plugin.v1.PruneResponse.images_deleted:type_name -> imageapi.plugin.v1.DeleteResponse
	4,   // 44: imageapi.plugin.v1.HistoryRequest.platform:type_name -> imageapi.plugin.v1.Platform
	46,  // 45: imageapi.plugin.v1.HistoryResponse.items:type_name -> imageapi.plugin.v1.HistoryItem
	3,   // 46: imageapi.plugin.v1.HistoryItem.created:type_name -> imageapi.plugin.v1.Time
	26,  // 47: imageapi.plugin.v1.LoginRequest.auth:type_name -> imageapi.plugin.v1.AuthConfig
	26,  // 48: imageapi.plugin.v1.DistributionInspectRequest.auth:type_name -> imageapi.plugin.v1.AuthConfig
	5,   // 49: imageapi.plugin.v1.DistributionInspectResponse.target:type_name -> imageapi.plugin.v1.Descriptor
	4,   // 50: imageapi.plugin.v1.DistributionInspectResponse.platforms:type_name -> imageapi.plugin.v1.Platform
	86,  // 51: imageapi.plugin.v1.ContainersUsingResponse.containers:type_name -> imageapi.plugin.v1.ContainersUsingResponse.ContainersEntry
	56,  // 52: imageapi.plugin.v1.ContainersResponse.containers:type_name -> imageapi.plugin.v1.Container
	4,   // 53: imageapi.plugin.v1.SaveRequest.platforms:type_name -> imageapi.plugin.v1.Platform
	60,  // 54: imageapi.plugin.v1.LoadMessage.header:type_name -> imageapi.plugin.v1.LoadHeader
	33,  // 55: imageapi.plugin.v1.LoadMessage.chunk:type_name -> imageapi.plugin.v1.ImportChunk
	34,  // 56: imageapi.plugin.v1.LoadMessage.source_error:type_name -> imageapi.plugin.v1.ImportSourceError
	4,   // 57: imageapi.plugin.v1.LoadHeader.platforms:type_name -> imageapi.plugin.v1.Platform
	62,  // 58: imageapi.plugin.v1.LoadResponse.images:type_name -> imageapi.plugin.v1.LoadedImage
	63,  // 59: imageapi.plugin.v1.LoadResponse.error:type_name -> imageapi.plugin.v1.CallError
	4,   // 60: imageapi.plugin.v1.PushRequest.platform:type_name -> imageapi.plugin.v1.Platform
	26,  // 61: imageapi.plugin.v1.PushRequest.auth:type_name -> imageapi.plugin.v1.AuthConfig
	24,  // 62: imageapi.plugin.v1.PushEvent.progress:type_name -> imageapi.plugin.v1.Progress
	5,   // 63: imageapi.plugin.v1.PushAux.original_index:type_name -> imageapi.plugin.v1.Descriptor
	5,   // 64: imageapi.plugin.v1.PushAux.selected_manifest:type_name -> imageapi.plugin.v1.Descriptor
	5,   // 65: imageapi.plugin.v1.PushAux.desc:type_name -> imageapi.plugin.v1.Descriptor
	3,   // 66: imageapi.plugin.v1.WatchEventsRequest.since:type_name -> imageapi.plugin.v1.Time
	3,   // 67: imageapi.plugin.v1.WatchEventsRequest.until:type_name -> imageapi.plugin.v1.Time
	87,  // 68: imageapi.plugin.v1.Event.attributes:type_name -> imageapi.plugin.v1.Event.AttributesEntry
	3,   // 69: imageapi.plugin.v1.Event.time:type_name -> imageapi.plugin.v1.Time
	9,   // 70: imageapi.plugin.v1.DiskUsageResponse.images:type_name -> imageapi.plugin.v1.Summary
	4,   // 71: imageapi.plugin.v1.ResolveRuntimeImageRequest.platform:type_name -> imageapi.plugin.v1.Platform
	5,   // 72: imageapi.plugin.v1.RuntimeImage.target:type_name -> imageapi.plugin.v1.Descriptor
	5,   // 73: imageapi.plugin.v1.RuntimeImage.manifest:type_name -> imageapi.plugin.v1.Descriptor
	5,   // 74: imageapi.plugin.v1.RuntimeImage.config_descriptor:type_name -> imageapi.plugin.v1.Descriptor
	72,  // 75: imageapi.plugin.v1.RuntimeImage.config:type_name -> imageapi.plugin.v1.OCIImageConfig
	5,   // 76: imageapi.plugin.v1.RuntimeImage.layers:type_name -> imageapi.plugin.v1.Descriptor
	73,  // 77: imageapi.plugin.v1.PrepareRootFSRequest.image:type_name -> imageapi.plugin.v1.RuntimeImage
	75,  // 78: imageapi.plugin.v1.MountsResponse.mounts:type_name -> imageapi.plugin.v1.Mount
	3,   // 79: imageapi.plugin.v1.RootFSView.created:type_name -> imageapi.plugin.v1.Time
	79,  // 80: imageapi.plugin.v1.RootFSViewsResponse.views:type_name -> imageapi.plugin.v1.RootFSView
	53,  // 81: imageapi.plugin.v1.ContainersUsingResponse.ContainersEntry.value:type_name -> imageapi.plugin.v1.ContainerIDs
	1,   // 82: imageapi.plugin.v1.Backend.Init:input_type -> imageapi.plugin.v1.InitRequest
	7,   // 83: imageapi.plugin.v1.Backend.List:input_type -> imageapi.plugin.v1.ListRequest
	18,  // 84: imageapi.plugin.v1.Backend.Inspect:input_type -> imageapi.plugin.v1.InspectRequest
	16,  // 85: imageapi.plugin.v1.Backend.ListVersion:input_type -> imageapi.plugin.v1.ListVersionRequest
	27,  // 86: imageapi.plugin.v1.Backend.Pull:input_type -> imageapi.plugin.v1.PullRequest
	31,  // 87: imageapi.plugin.v1.Backend.Import:input_type -> imageapi.plugin.v1.ImportMessage
	37,  // 88: imageapi.plugin.v1.Backend.Remove:input_type -> imageapi.plugin.v1.RemoveRequest
	40,  // 89: imageapi.plugin.v1.Backend.Tag:input_type -> imageapi.plugin.v1.TagRequest
	42,  // 90: imageapi.plugin.v1.Backend.Prune:input_type -> imageapi.plugin.v1.PruneRequest
	44,  // 91: imageapi.plugin.v1.Backend.History:input_type -> imageapi.plugin.v1.HistoryRequest
	47,  // 92: imageapi.plugin.v1.Backend.Login:input_type -> imageapi.plugin.v1.LoginRequest
	49,  // 93: imageapi.plugin.v1.Backend.DistributionInspect:input_type -> imageapi.plugin.v1.DistributionInspectRequest
	57,  // 94: imageapi.plugin.v1.Backend.Save:input_type -> imageapi.plugin.v1.SaveRequest
	59,  // 95: imageapi.plugin.v1.Backend.Load:input_type -> imageapi.plugin.v1.LoadMessage
	64,  // 96: imageapi.plugin.v1.Backend.Push:input_type -> imageapi.plugin.v1.PushRequest
	67,  // 97: imageapi.plugin.v1.Backend.WatchEvents:input_type -> imageapi.plugin.v1.WatchEventsRequest
	69,  // 98: imageapi.plugin.v1.Backend.DiskUsage:input_type -> imageapi.plugin.v1.DiskUsageRequest
	71,  // 99: imageapi.plugin.v1.Backend.ResolveRuntimeImage:input_type -> imageapi.plugin.v1.ResolveRuntimeImageRequest
	74,  // 100: imageapi.plugin.v1.Backend.PrepareRootFS:input_type -> imageapi.plugin.v1.PrepareRootFSRequest
	77,  // 101: imageapi.plugin.v1.Backend.RootFSMounts:input_type -> imageapi.plugin.v1.RootFSMountsRequest
	78,  // 102: imageapi.plugin.v1.Backend.RootFSViews:input_type -> imageapi.plugin.v1.RootFSViewsRequest
	81,  // 103: imageapi.plugin.v1.Backend.RemoveRootFS:input_type -> imageapi.plugin.v1.RemoveRootFSRequest
	51,  // 104: imageapi.plugin.v1.Usage.ContainersUsing:input_type -> imageapi.plugin.v1.ContainersUsingRequest
	54,  // 105: imageapi.plugin.v1.Usage.Containers:input_type -> imageapi.plugin.v1.ContainersRequest
	2,   // 106: imageapi.plugin.v1.Backend.Init:output_type -> imageapi.plugin.v1.InitResponse
	8,   // 107: imageapi.plugin.v1.Backend.List:output_type -> imageapi.plugin.v1.ListResponse
	19,  // 108: imageapi.plugin.v1.Backend.Inspect:output_type -> imageapi.plugin.v1.InspectResponse
	17,  // 109: imageapi.plugin.v1.Backend.ListVersion:output_type -> imageapi.plugin.v1.ListVersionResponse
	28,  // 110: imageapi.plugin.v1.Backend.Pull:output_type -> imageapi.plugin.v1.PullEvent
	35,  // 111: imageapi.plugin.v1.Backend.Import:output_type -> imageapi.plugin.v1.ImportEvent
	38,  // 112: imageapi.plugin.v1.Backend.Remove:output_type -> imageapi.plugin.v1.RemoveResponse
	41,  // 113: imageapi.plugin.v1.Backend.Tag:output_type -> imageapi.plugin.v1.TagResponse
	43,  // 114: imageapi.plugin.v1.Backend.Prune:output_type -> imageapi.plugin.v1.PruneResponse
	45,  // 115: imageapi.plugin.v1.Backend.History:output_type -> imageapi.plugin.v1.HistoryResponse
	48,  // 116: imageapi.plugin.v1.Backend.Login:output_type -> imageapi.plugin.v1.LoginResponse
	50,  // 117: imageapi.plugin.v1.Backend.DistributionInspect:output_type -> imageapi.plugin.v1.DistributionInspectResponse
	58,  // 118: imageapi.plugin.v1.Backend.Save:output_type -> imageapi.plugin.v1.SaveChunk
	61,  // 119: imageapi.plugin.v1.Backend.Load:output_type -> imageapi.plugin.v1.LoadResponse
	65,  // 120: imageapi.plugin.v1.Backend.Push:output_type -> imageapi.plugin.v1.PushEvent
	68,  // 121: imageapi.plugin.v1.Backend.WatchEvents:output_type -> imageapi.plugin.v1.Event
	70,  // 122: imageapi.plugin.v1.Backend.DiskUsage:output_type -> imageapi.plugin.v1.DiskUsageResponse
	73,  // 123: imageapi.plugin.v1.Backend.ResolveRuntimeImage:output_type -> imageapi.plugin.v1.RuntimeImage
	76,  // 124: imageapi.plugin.v1.Backend.PrepareRootFS:output_type -> imageapi.plugin.v1.MountsResponse
	76,  // 125: imageapi.plugin.v1.Backend.RootFSMounts:output_type -> imageapi.plugin.v1.MountsResponse
	80,  // 126: imageapi.plugin.v1.Backend.RootFSViews:output_type -> imageapi.plugin.v1.RootFSViewsResponse
	82,  // 127: imageapi.plugin.v1.Backend.RemoveRootFS:output_type -> imageapi.plugin.v1.RemoveRootFSResponse
	52,  // 128: imageapi.plugin.v1.Usage.ContainersUsing:output_type -> imageapi.plugin.v1.ContainersUsingResponse
	55,  // 129: imageapi.plugin.v1.Usage.Containers:output_type -> imageapi.plugin.v1.ContainersResponse
	106, // [106:130] is the sub-list for method output_type
	82,  // [82:106] is the sub-list for method input_type
	82,  // [82:82] is the sub-list for extension type_name
	82,  // [82:82] is the sub-list for extension extendee
	0,   // [0:82] is the sub-list for field type_name
}

func init() { file_backend_proto_init() }
func file_backend_proto_init() {
	if File_backend_proto != nil {
		return
	}
	file_backend_proto_msgTypes[28].OneofWrappers = []any{
		(*PullEvent_Progress)(nil),
		(*PullEvent_Result)(nil),
	}
	file_backend_proto_msgTypes[31].OneofWrappers = []any{
		(*ImportMessage_Header)(nil),
		(*ImportMessage_Chunk)(nil),
		(*ImportMessage_SourceError)(nil),
	}
	file_backend_proto_msgTypes[35].OneofWrappers = []any{
		(*ImportEvent_Progress)(nil),
		(*ImportEvent_Result)(nil),
	}
	file_backend_proto_msgTypes[59].OneofWrappers = []any{
		(*LoadMessage_Header)(nil),
		(*LoadMessage_Chunk)(nil),
		(*LoadMessage_SourceError)(nil),
	}
	file_backend_proto_msgTypes[65].OneofWrappers = []any{
		(*PushEvent_Progress)(nil),
	}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: unsafe.Slice(unsafe.StringData(file_backend_proto_rawDesc), len(file_backend_proto_rawDesc)),
			NumEnums:      0,
			NumMessages:   88,
			NumExtensions: 0,
			NumServices:   2,
		},
		GoTypes:           file_backend_proto_goTypes,
		DependencyIndexes: file_backend_proto_depIdxs,
		MessageInfos:      file_backend_proto_msgTypes,
	}.Build()
	File_backend_proto = out.File
	file_backend_proto_goTypes = nil
	file_backend_proto_depIdxs = nil
}
