package sqlite

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/importer"
)

// defaultHTTPClient is the client of URL imports when Options.HTTPClient is nil: the
// default transport's settings, with a 30 second bound on connecting.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: t}
}

// fetchURL opens the archive of a URL import, when the store allows them, and reports
// "Downloading from <url>" once the server answered. It returns the body and its size
// (0 when unknown).
func (s *Store) fetchURL(ctx context.Context, u *url.URL, progress imagesvc.ProgressFunc) (io.ReadCloser, int64, error) {
	if !s.opts.AllowURLImport {
		return nil, 0, errdefs.ErrPermissionDenied.WithMessage("importing from a URL is disabled on this server")
	}
	body, size, err := importer.FetchURL(ctx, s.httpClient, u)
	if err != nil {
		return nil, 0, err
	}
	progress.Report(imagesvc.ProgressEvent{Status: "Downloading from " + u.String()})
	return body, max(size, 0), nil
}
