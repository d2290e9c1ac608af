package plugins

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// chunkServer records the chunks of an import as they arrive.
type chunkServer struct {
	pb.UnimplementedBackendServer
	mu     sync.Mutex
	header *pb.ImportHeader
	sizes  []int
	total  int
}

func (s *chunkServer) Import(stream grpc.BidiStreamingServer[pb.ImportMessage, pb.ImportEvent]) error {
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		s.mu.Lock()
		switch msg := m.GetMessage().(type) {
		case *pb.ImportMessage_Header:
			s.header = msg.Header
		case *pb.ImportMessage_Chunk:
			s.sizes = append(s.sizes, len(msg.Chunk.GetData()))
			s.total += len(msg.Chunk.GetData())
		}
		s.mu.Unlock()
	}
	return stream.Send(&pb.ImportEvent{Event: &pb.ImportEvent_Result{Result: &pb.ImportResult{Id: "sha256:x"}}})
}

// An archive crosses as a header and chunks of at most ImportChunkSize, never one large
// message, however large the reads of the source.
func TestImportChunks(t *testing.T) {
	srv := &chunkServer{}
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	g := newGRPCServer(nil)
	pb.RegisterBackendServer(g, srv)
	go func() { _ = g.Serve(l) }()
	defer g.Stop()
	cc, err := grpc.NewClient("unix://"+sock, append(dialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	defer cc.Close()
	c := &conn{cc: cc, rpc: pb.NewBackendClient(cc)}

	body := bytes.Repeat([]byte{7}, 5*ImportChunkSize+123)
	id, err := c.importImage(context.Background(), imagesvc.ImportRequest{Source: bigReads{bytes.NewReader(body)}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "sha256:x", string(id))
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.True(t, srv.header.GetHasSource())
	assert.Equal(t, len(body), srv.total)
	assert.GreaterOrEqual(t, len(srv.sizes), 6)
	for _, n := range srv.sizes {
		assert.LessOrEqual(t, n, ImportChunkSize)
	}
}

// bigReads hides the reader's WriterTo, so that reads come in the caller's buffer size.
type bigReads struct{ r io.Reader }

func (b bigReads) Read(p []byte) (int, error) { return b.r.Read(p) }
