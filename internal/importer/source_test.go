package importer

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

func TestOpenSource(t *testing.T) {
	ctx := context.Background()
	var events []imagesvc.ProgressEvent
	progress := imagesvc.ProgressFunc(func(ev imagesvc.ProgressEvent) { events = append(events, ev) })

	body := bytes.NewReader([]byte("archive"))
	src, err := OpenSource(ctx, imagesvc.ImportRequest{Source: body}, SourceOptions{}, progress)
	require.NoError(t, err)
	assert.Same(t, body, src.Request.Source)
	assert.Nil(t, src.Progress, "no progress for an archive sent with the request, as Docker")
	assert.NoError(t, src.Close())

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("remote archive"))
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/rootfs.tar")
	require.NoError(t, err)

	_, err = OpenSource(ctx, imagesvc.ImportRequest{URL: u}, SourceOptions{}, progress)
	assert.True(t, errdefs.IsPermissionDenied(err), "URL sources are off unless allowed: %v", err)
	assert.EqualError(t, err, URLDisabled)
	assert.Contains(t, err.Error(), "--allow-url-import", "says how to enable it")

	src, err = OpenSource(ctx, imagesvc.ImportRequest{URL: u}, SourceOptions{AllowURL: true}, progress)
	require.NoError(t, err)
	assert.Nil(t, src.Request.URL)
	got, err := io.ReadAll(src.Request.Source)
	require.NoError(t, err)
	assert.Equal(t, "remote archive", string(got))
	assert.Equal(t, int64(len("remote archive")), src.Size)
	assert.NotNil(t, src.Progress)
	assert.Equal(t, []imagesvc.ProgressEvent{{Status: "Downloading from " + u.String()}}, events)
	assert.NoError(t, src.Close())

	_, err = OpenSource(ctx, imagesvc.ImportRequest{}, SourceOptions{}, progress)
	assert.True(t, errdefs.IsInvalidArgument(err))
	_, err = OpenSource(ctx, imagesvc.ImportRequest{Source: body, URL: u}, SourceOptions{AllowURL: true}, progress)
	assert.True(t, errdefs.IsInvalidArgument(err))
}

func TestMaxSize(t *testing.T) {
	assert.Equal(t, DefaultMaxSize, MaxSize(0))
	assert.Equal(t, int64(math.MaxInt64), MaxSize(-1))
	assert.Equal(t, int64(42), MaxSize(42))
}
