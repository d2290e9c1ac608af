// Package plugins runs imageapi backends out of process, over HashiCorp's go-plugin: a
// plugin author ships a backend as its own program, and a host loads it without linking
// it. Neither side sees the process boundary, except that a plugin crash does not take
// the host down.
//
// # Plugin authors
//
// A plugin program builds its backend and hands it to [Serve] from main; a backend that
// needs to know which containers use which images is given [HostUsage], which asks the
// host (and, as an imagesvc.ContainerLister, lists the host's containers with their
// state). examples/plugin-sqlite serves the SQLite backend that way. Serve announces the
// optional capabilities of imagesvc that the backend implements ([CapabilitiesOf]) and
// serves them. A backend that can tell cheaply when its lists change implements
// [ListVersioner]: the host then keeps the answers of its last few lists, and a list
// repeated while nothing changed crosses the boundary as a short "not modified" instead
// of the whole list.
//
// # Hosts
//
// [Open] launches a plugin program and returns a [Client], an [imagesvc.Service] with Info
// and Close methods and exactly the optional capabilities ([Capabilities]) that the plugin
// announced. A host finds them with [imagesvc.As], which works for every capability:
//
//	svc, err := plugins.Open(ctx, "/usr/libexec/imageapi/plugin-sqlite", plugins.Options{
//		Args:   []string{"--data-root", "/var/lib/imaged"}, // the plugin's own flags
//		Usage:  myRuntime,      // optional: which containers use which images
//		Logger: slog.Default(), // go-plugin's and the plugin's logs
//	})
//	if err != nil {
//		return err
//	}
//	defer svc.Close()
//	handler := httpadapter.New(svc, httpadapter.Options{})
//
//	if w, ok := imagesvc.As[imagesvc.EventWatcher](svc); ok { ... } // the plugin announced "events"
//
// The rule: the first nine capabilities (imagesvc.Remover, Tagger, Pruner, Historian,
// RegistryAuthenticator, DistributionInspector, Saver, Loader, Pusher) are also in the
// Client's method set, so that a type assertion (svc.(imagesvc.Remover)) finds them, as
// it did before imagesvc.As existed; every capability after the ninth
// (imagesvc.EventWatcher, DiskUsager, RootFSPreparer, and those to come) is found with
// imagesvc.As only: the Client hands it out through its As method
// ([imagesvc.CapabilityProvider]).
//
// # Root filesystems
//
// A plugin whose backend is an [imagesvc.RootFSPreparer] announces "rootfs": a runtime
// linked to the host resolves an image, prepares a view of it and mounts it through the
// plugin. The mounts are plain data (containerd's mount.Mount, as the backend returned
// them), and their sources and options name paths on the plugin's machine: the plugin's
// snapshot root (under the SQLite backend's data root) must be reachable by the host at
// the same paths, which it is when the plugin runs on the host's machine and in its
// mount namespace, as it is for a containerd client and containerd's snapshotters. A
// plugin in a container or on another machine can still resolve images, but the mounts
// it returns are of no use to the host unless its snapshot root is shared at the same
// path. Cancelling a prepare (an unpack can take seconds) cancels the backend's; a
// plugin process that dies during one fails it with class Unavailable, and the backend
// leaves no half-applied layer behind (its contract).
//
// Every method and option of imagesvc crosses the boundary intact: progress is streamed
// as it happens, import, save and load archives are streamed in chunks of at most
// [ImportChunkSize] in both directions, cancellation (and deadlines) reach the plugin,
// the errdefs class and the exact text of every error come back, and credentials are
// sent with the one call that needs them and never logged. When the plugin process dies,
// the calls in progress fail with class Unavailable and the next call launches it again
// (immediately the first time, then with exponential backoff while it keeps failing).
// Close stops the process and waits for it.
//
// [OpenInProcess] serves a backend in the host's own process through the same gRPC stack,
// for tests; package plugintest wraps both for tests and runs the conformance suite
// through them.
//
// # Protocol
//
// The protocol is gRPC, described for plugin authors in other languages by
// plugins/proto/backend.proto (version [ProtocolVersion]; go-plugin's handshake uses
// [MagicCookieKey] and [MagicCookieValue], and the host enables go-plugin's automatic
// mutual TLS). The Go code generated from it lives in internal/pluginproto and is
// committed. To regenerate it after changing the .proto, install protoc (Debian:
// protobuf-compiler) and the two Go plugins, then run go generate:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
//	go generate ./plugins
//
// List is a server-streaming call (the images in messages of a few hundred kilobytes,
// which the host decodes while the plugin encodes the next), conditional when the plugin
// labels its answers with etags (backend.proto, "Conditional lists"); Pull is a
// server-streaming call (progress events, then the result); Import is a bidirectional
// stream (a header and the archive's chunks go one way, progress and the result the
// other); Remove, Tag, Prune, History, Login, DistributionInspect, DiskUsage and the five
// root filesystem calls (ResolveRuntimeImage, PrepareRootFS, RootFSMounts, RootFSViews,
// RemoveRootFS) are unary calls, made only when the plugin announced them (backend.proto, "Capabilities"), and so
// are the streaming calls Save (the archive's chunks from the plugin), Load (a header and
// the archive's chunks to the plugin, the loaded images back), Push (progress events, aux
// records included) and WatchEvents (one message per event, until the host cancels, until
// passes, or the backend drops a watcher that fell behind); the host's usage provider is a gRPC
// service the host serves to the plugin through go-plugin's GRPCBroker. Errors carry
// their errdefs class in an ErrorInfo detail, so that classes gRPC codes cannot tell
// apart (Conflict and FailedPrecondition) survive, and a reason for the few errors a host
// tells apart by identity (imagesvc.ErrEventsDropped), so that errors.Is finds them.
//
// go generate also runs internal/gencaps, which writes capabilities_gen.go: the
// [Capabilities] constants, their names in the protocol, [CapabilitiesOf], the As of a
// [Client], and one type per combination of the first nine, which give a Client exactly
// the interfaces of those its plugin announced. The first nine are frozen (512 types are
// as many as the compiler bears); a new capability is one line in gencaps's second table,
// found with imagesvc.As only, and costs no type.
package plugins

//go:generate go run ./internal/gencaps -kind plugins -o capabilities_gen.go
//go:generate protoc -I proto --go_out=../internal/pluginproto --go_opt=paths=source_relative --go-grpc_out=../internal/pluginproto --go-grpc_opt=paths=source_relative backend.proto
