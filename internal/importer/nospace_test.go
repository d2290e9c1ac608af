package importer

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// fullStore is a content store whose disk holds room bytes of new writes (a fault; the
// SQLite backend's test fills a real tmpfs).
type fullStore struct {
	content.Store
	room int64
}

func (s *fullStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	w, err := s.Store.Writer(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &fullWriter{Writer: w, s: s}, nil
}

type fullWriter struct {
	content.Writer
	s *fullStore
}

func (w *fullWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > w.s.room {
		return 0, &os.PathError{Op: "write", Path: "ingest/data", Err: syscall.ENOSPC}
	}
	w.s.room -= int64(len(p))
	return w.Writer.Write(p)
}

// TestImportNoSpace: a store that runs out of disk is the server's failure (Internal, not
// InvalidArgument), whichever write finds the disk full, and leaves no ingest behind.
func TestImportNoSpace(t *testing.T) {
	data := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(data) // incompressible
	raw := testimages.Tar([]testimages.File{{Name: "random", Data: data}})
	for name, room := range map[string]int64{
		"first write": 0,
		"mid-layer":   256 << 10,
	} {
		t.Run(name, func(t *testing.T) {
			cs := &fullStore{Store: testimages.NewContentStore(t), room: room}
			_, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(raw)}, Options{}, nil)
			require.Error(t, err)
			assert.True(t, errdefs.IsInternal(err), "want Internal, got %v", err)
			assert.False(t, errdefs.IsInvalidArgument(err), "%v", err)
			assert.ErrorIs(t, err, syscall.ENOSPC)
			var nse *NoSpaceError
			assert.True(t, errors.As(err, &nse), "%T", err)
			assert.True(t, strings.HasPrefix(err.Error(), "no space left on device while storing the import: "), err.Error())
			assert.True(t, IsNoSpace(err))
			assertNoIngests(t, cs)
		})
	}
}

func TestStoreError(t *testing.T) {
	// Through containerd's gRPC API the type is gone: the text tells.
	err := StoreError("writing", errors.New("rpc error: code = Unknown desc = write /x: no space left on device"))
	assert.True(t, errdefs.IsInternal(err), "%v", err)
	err = StoreError("writing", errors.New("database or disk is full"))
	assert.True(t, errdefs.IsInternal(err), "%v", err)
	// Other failures keep the store's class.
	err = StoreError("committing the layer", errdefs.ErrUnavailable.WithMessage("store closed"))
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)
	assert.Equal(t, "import: committing the layer: store closed", err.Error())
	assert.False(t, IsNoSpace(err))
}
