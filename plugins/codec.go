package plugins

import (
	"strings"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// The gRPC codec of the plugin protocol, on both sides (grpc.ForceServerCodecV2 on the
// plugin's server, grpc.ForceCodecV2 on the host's List call): protobuf, with the two
// exceptions of the fast path of List (fastlist.go).

// listPayload receives a ListResponse in wire format, as one string.
type listPayload struct{ s string }

// codec is the gRPC codec of both sides: protobuf, except that encodedList is sent as is
// and listPayload received as is.
type codec struct{ proto encoding.CodecV2 }

func newCodec() codec { return codec{proto: encoding.GetCodecV2("proto")} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if e, ok := v.(*encodedList); ok {
		return mem.BufferSlice{mem.NewBuffer(e.buf, listPool)}, nil
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	if p, ok := v.(*listPayload); ok {
		var sb strings.Builder
		sb.Grow(data.Len())
		for _, b := range data {
			sb.Write(b.ReadOnlyData())
		}
		p.s = sb.String()
		return nil
	}
	return c.proto.Unmarshal(data, v)
}

// Name is "proto": the content is protobuf, whatever wrote it.
func (codec) Name() string { return "proto" }
