// Package pluginproto is the Go code generated from plugins/proto/backend.proto, the
// public gRPC protocol between an imageapi host and its backend plugins. Only package
// plugins uses it; plugin authors in Go use plugins.Serve and never see these types.
//
// Regenerate it with `go generate ./plugins` (see the package doc of plugins for the tools
// it needs). The generated files are committed; builds never run protoc.
package pluginproto
