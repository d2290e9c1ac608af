package plugins

import (
	"math"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// The handshake between a host and a plugin (see plugins/proto/backend.proto).
const (
	// ProtocolVersion is the version of the plugin protocol (backend.proto) this package
	// speaks, as go-plugin negotiates it: the host offers the versions it speaks, the
	// plugin answers with the one it serves.
	ProtocolVersion = 1
	// MagicCookieKey and MagicCookieValue are the environment variable that a host sets
	// when it launches a plugin. A plugin started without it refuses to run: it is not a
	// program for people to start.
	MagicCookieKey = "IMAGEAPI_PLUGIN"
	// MagicCookieValue goes with MagicCookieKey.
	MagicCookieValue = "a2b1f1c9-imagesvc-backend"
	// LogLevelEnv is the environment variable through which a host tells the plugins it
	// launches the lowest level it logs ("debug", "info", "warn" or "error"), so that they
	// do not send lines the host would drop.
	LogLevelEnv = "IMAGEAPI_PLUGIN_LOG_LEVEL"
)

// pluginName is the name of the one plugin in go-plugin's plugin set.
const pluginName = "imagesvc"

// ImportChunkSize is the largest piece of an archive sent in one message, in either
// direction: the archive of an import or a load (host to plugin) and of a save (plugin to
// host). Its name comes from import, the first call that streamed an archive.
const ImportChunkSize = 1 << 20

// maxMessageSize is the message-size limit of both sides: gRPC's 4 MiB default is far too
// small for a list of thousands of images.
const maxMessageSize = math.MaxInt32

func handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  ProtocolVersion,
		MagicCookieKey:   MagicCookieKey,
		MagicCookieValue: MagicCookieValue,
	}
}

// newGRPCServer creates the gRPC servers of both sides (the plugin's backend server and
// the host's usage server) with raised message-size limits.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize),
		grpc.ForceServerCodecV2(newCodec()),
		grpc.InitialWindowSize(windowSize), grpc.InitialConnWindowSize(windowSize),
		grpc.WriteBufferSize(ioBufferSize), grpc.ReadBufferSize(ioBufferSize))
	return grpc.NewServer(opts...)
}

// Flow control and buffers: both ends are on one machine, so a window of a few megabytes
// lets a list or an import chunk cross without waiting for window updates, and large
// buffers cut the system calls.
const (
	windowSize   = 16 << 20
	ioBufferSize = 256 << 10
)

func dialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)),
		grpc.WithInitialWindowSize(windowSize), grpc.WithInitialConnWindowSize(windowSize),
		grpc.WithWriteBufferSize(ioBufferSize), grpc.WithReadBufferSize(ioBufferSize),
	}
}
