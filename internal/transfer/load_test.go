package transfer

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnsafeMember(t *testing.T) {
	for _, tc := range []struct {
		hdr    tar.Header
		unsafe bool
	}{
		{tar.Header{Name: "blobs/sha256/abc", Typeflag: tar.TypeReg}, false},
		{tar.Header{Name: "./manifest.json", Typeflag: tar.TypeReg}, false},
		{tar.Header{Name: "a/../b", Typeflag: tar.TypeReg}, false},
		{tar.Header{Name: "../evil", Typeflag: tar.TypeReg}, true},
		{tar.Header{Name: "a/../../evil", Typeflag: tar.TypeReg}, true},
		{tar.Header{Name: "/etc/passwd", Typeflag: tar.TypeReg}, true},
		{tar.Header{Name: "b/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../a/layer.tar"}, false},
		{tar.Header{Name: "b/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, true},
		{tar.Header{Name: "b/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../../etc/passwd"}, true},
		{tar.Header{Name: "b", Typeflag: tar.TypeLink, Linkname: "../x"}, true},
	} {
		assert.Equal(t, tc.unsafe, unsafeMember(&tc.hdr) != "", "%s -> %s", tc.hdr.Name, tc.hdr.Linkname)
	}
}

func TestBlobDigest(t *testing.T) {
	hex := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	assert.Equal(t, "sha256:"+hex, blobDigest("blobs/sha256/"+hex).String())
	assert.Empty(t, blobDigest("blobs/sha256/nothex"))
	assert.Empty(t, blobDigest("abc/layer.tar"))
	assert.Empty(t, blobDigest("blobs/sha256/"+hex+"/x"))
}

func TestCtxWriterStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var buf bytes.Buffer
	w := ctxWriter{ctx: ctx, w: &buf}
	_, err := w.Write([]byte("a"))
	require.NoError(t, err)
	cancel()
	_, err = w.Write([]byte("b"))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "a", buf.String())
}
