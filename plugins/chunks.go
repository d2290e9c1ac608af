package plugins

import (
	"context"
	"errors"
	"io"

	"github.com/containerd/errdefs"

	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// Archives cross the plugin boundary in chunks of at most [ImportChunkSize], in both
// directions, so that neither side ever holds an archive, or a large part of one, in
// memory.
//
// The archive that the host streams to the plugin after a header (Import, Load): chunks of
// at most [ImportChunkSize], and a source error if reading it fails. Both calls send it the
// same way, with the same ImportChunk and ImportSourceError messages in their oneof.

// chunkSender is the host's side of a call that streams an archive: Import's
// [grpc.BidiStreamingClient] or Load's [grpc.ClientStreamingClient].
type chunkSender[M any] interface {
	Send(M) error
	CloseSend() error
}

// sendChunks streams src over stream in chunks of at most [ImportChunkSize], each wrapped
// by chunk; a read error is sent wrapped by srcErr. It then ends the host's side of the
// stream. It stops when a send fails: the call is over, and the receiver tells why.
func sendChunks[M any](stream chunkSender[M], src io.Reader, chunk func(*pb.ImportChunk) M, srcErr func(*pb.ImportSourceError) M) {
	buf := make([]byte, ImportChunkSize)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			// SendMsg encodes the message before it returns, so buf can be reused.
			if err := stream.Send(chunk(&pb.ImportChunk{Data: buf[:n]})); err != nil {
				return
			}
		}
		if rerr == io.EOF {
			_ = stream.CloseSend()
			return
		}
		if rerr != nil {
			if stream.Send(srcErr(sourceErrorMessage(rerr))) == nil {
				_ = stream.CloseSend()
			}
			return
		}
	}
}

// chunkMessage is a message that the host sends after the header: the generated getters
// of the chunk and source_error cases of its oneof.
type chunkMessage interface {
	GetChunk() *pb.ImportChunk
	GetSourceError() *pb.ImportSourceError
}

// chunkReceiver is the plugin's side of a call that streams an archive.
type chunkReceiver[M chunkMessage] interface {
	Recv() (M, error)
	Context() context.Context
}

// headerMessage is a message of a call that streams an archive: its first one must be
// the header H.
type headerMessage[H any] interface {
	chunkMessage
	GetHeader() *H
}

// receiveHeader receives the first message of a call that streams an archive, which must
// be its header. call names the call in the error of another message.
func receiveHeader[H any, M headerMessage[H]](stream chunkReceiver[M], call string) (*H, error) {
	first, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	h := first.GetHeader()
	if h == nil {
		return nil, toStatus(errdefs.ErrInvalidArgument.WithMessage(call + ": the first message must be the header"))
	}
	return h, nil
}

// errSourceDone ends the reading of an archive's stream once the backend is done with it.
var errSourceDone = errors.New("the backend is done with the archive")

// receiveChunks returns the archive that the host streams after the header, read from
// stream by a goroutine until the host ends its side, reports a source error, or the call
// ends. call names the call in the error of an unexpected message. The caller closes the
// reader when the backend is done with it, which ends the goroutine.
func receiveChunks[M chunkMessage](stream chunkReceiver[M], call string) *io.PipeReader {
	pr, pw := io.Pipe()
	go copyChunks(stream, pw, call)
	return pr
}

func copyChunks[M chunkMessage](stream chunkReceiver[M], pw *io.PipeWriter, call string) {
	for {
		m, err := stream.Recv()
		switch {
		case err == io.EOF:
			_ = pw.Close()
			return
		case err != nil:
			if ctxErr := stream.Context().Err(); ctxErr != nil {
				err = ctxErr
			}
			_ = pw.CloseWithError(err)
			return
		}
		if c := m.GetChunk(); c != nil {
			if _, err := pw.Write(c.GetData()); err != nil {
				return // the backend stopped reading
			}
			continue
		}
		if e := m.GetSourceError(); e != nil {
			_ = pw.CloseWithError(sourceError(e))
			return
		}
		_ = pw.CloseWithError(errdefs.ErrInvalidArgument.WithMessage(call + ": unexpected message after the header"))
		return
	}
}

// The archive that the plugin streams to the host (Save): the backend writes it, so the
// plugin sends it through a writer.

// chunkWriter gathers the small writes of an archive into chunks of at most
// [ImportChunkSize] and sends each when it is full. Write may return before the data is
// sent; flush sends the rest.
type chunkWriter struct {
	send    func([]byte) error
	buf     []byte
	sendErr error
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	if w.sendErr != nil {
		return 0, w.sendErr
	}
	n := 0
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, ImportChunkSize)
		}
		k := min(len(p), ImportChunkSize-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		n += k
		if len(w.buf) == ImportChunkSize {
			if err := w.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if w.sendErr != nil {
		return w.sendErr
	}
	if len(w.buf) == 0 {
		return nil
	}
	// SendMsg encodes the message before it returns, so the buffer can be reused.
	if err := w.send(w.buf); err != nil {
		w.sendErr = err
		return err
	}
	w.buf = w.buf[:0]
	return nil
}
