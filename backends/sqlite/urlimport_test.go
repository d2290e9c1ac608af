package sqlite

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

func TestImportFromURL(t *testing.T) {
	archive := testimages.Gzip(bigTar())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rootfs.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Write(archive)
	}))
	defer srv.Close()
	s := openTest(t, Options{AllowURLImport: true, HTTPClient: srv.Client()})
	ref, err := imagesvc.ParseImportReference("from/url", "v1")
	require.NoError(t, err)

	u, _ := url.Parse(srv.URL + "/rootfs.tar.gz")
	var events []imagesvc.ProgressEvent
	id, err := s.Import(context.Background(), imagesvc.ImportRequest{URL: u, Ref: ref, Message: "Imported from " + u.String()},
		func(ev imagesvc.ProgressEvent) { events = append(events, ev) })
	require.NoError(t, err)
	require.NotEmpty(t, events)
	assert.Equal(t, "Downloading from "+u.String(), events[0].Status)
	img, err := s.Inspect(context.Background(), mustRef(t, "from/url:v1"), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, img.ID)

	missing, _ := url.Parse(srv.URL + "/nosuch.tar")
	_, err = s.Import(context.Background(), imagesvc.ImportRequest{URL: missing, Ref: ref}, nil)
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Len(t, sums, 1, "the failed import added nothing")
}
