package httpadapter_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// TestImportBombIs413 imports a gzip bomb into a real backend whose bound it passes only
// once decompressed: the client's archive is at fault, so the answer is 413 with the
// backend's message, which names the bound and the option that raises it.
func TestImportBombIs413(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "store"), sqlite.Options{MaxImportSize: 64 << 10})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })

	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 1 << 20}))
	_, err = tw.Write(make([]byte, 1<<20))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, err = zw.Write(raw.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.Less(t, bomb.Len(), 64<<10)

	h := httpadapter.New(s, httpadapter.Options{})
	w := request(t, h, http.MethodPost, "/v1.47/images/create?fromSrc=-&repo=bomb", bytes.NewReader(bomb.Bytes()))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Equal(t, `{"message":`+jsonString("archive exceeds the import size limit of 65536 bytes once decompressed; the host raises the limit with the backend option MaxImportSize")+`}`+"\n", w.Body.String())

	sums, err := s.List(t.Context(), imagesvc.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, sums, "nothing is listed")
}
