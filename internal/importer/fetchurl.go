package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/containerd/errdefs"
)

// maxErrorBody bounds the part of an error response quoted in the error.
const maxErrorBody = 4 << 10

// FetchURL starts downloading the archive at u for an import (fromSrc=<URL>) with client
// (nil means http.DefaultClient) and returns its body, which the caller closes, and its
// size (-1 when unknown, else the Content-Length, for [Options.SourceSize]).
//
// Failures map as Docker maps them: a DNS failure is NotFound; an answer of 400 or more
// fails with "failed to GET <url> with status <status>: <body>", NotFound for 404,
// InvalidArgument for 400, Unauthenticated for 401, PermissionDenied for 403 and no class
// (an internal error) for the others; other transport failures (connection refused,
// timeouts) are Unavailable; the context's error when ctx ends.
//
// FetchURL fetches whatever URL it is given: enabling URL sources at all, and restricting
// where they may point, is the host's decision (they make the server fetch arbitrary
// URLs).
func FetchURL(ctx context.Context, client *http.Client, u *url.URL) (io.ReadCloser, int64, error) {
	if u == nil {
		return nil, 0, errdefs.ErrInvalidArgument.WithMessage("import: no URL to fetch")
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, 0, errdefs.ErrNotFound.WithMessage(err.Error())
		}
		return nil, 0, errdefs.ErrUnavailable.WithMessage(err.Error())
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		msg := fmt.Sprintf("failed to GET %s with status %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
		switch resp.StatusCode {
		case http.StatusNotFound:
			return nil, 0, errdefs.ErrNotFound.WithMessage(msg)
		case http.StatusBadRequest:
			return nil, 0, errdefs.ErrInvalidArgument.WithMessage(msg)
		case http.StatusUnauthorized:
			return nil, 0, errdefs.ErrUnauthenticated.WithMessage(msg)
		case http.StatusForbidden:
			return nil, 0, errdefs.ErrPermissionDenied.WithMessage(msg)
		}
		return nil, 0, errors.New(msg)
	}
	return resp.Body, resp.ContentLength, nil
}
