package pull

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
)

// TestPushError checks moby's translation of the pusher's errors (spec §8.4): texts and
// classes.
func TestPushError(t *testing.T) {
	status := func(code int, body string) error {
		return fmt.Errorf("failed to push: %w", remoteerrors.ErrUnexpectedStatus{
			Status: fmt.Sprintf("%d %s", code, "Status"), StatusCode: code, Body: []byte(body),
			RequestURL: "http://reg.example:5000/v2/team/app/blobs/sha256:abc", RequestMethod: "HEAD",
		})
	}
	dial := &url.Error{Op: "Head", URL: "https://reg.example/v2/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}
	for _, tc := range []struct {
		name  string
		err   error
		class error
		text  string
	}{
		{"denied", status(403, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`),
			errdefs.ErrPermissionDenied, "error from registry: requested access to the resource is denied"},
		{"unauthorized with detail", status(401, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":"need a token"}]}`),
			errdefs.ErrUnauthenticated, "error from registry: authentication required - need a token"},
		{"unsupported", status(405, `{"errors":[{"code":"UNSUPPORTED","message":""}]}`),
			errdefs.ErrNotImplemented, "error from registry: The operation is unsupported."},
		{"too many", status(429, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`),
			errdefs.ErrResourceExhausted, "error from registry: slow down"},
		{"unavailable", status(503, `{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}`),
			errdefs.ErrUnavailable, "error from registry: maintenance"},
		{"other code", status(400, `{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid"}]}`),
			errdefs.ErrUnknown, "error from registry: blob upload invalid"},
		{"old token format 401", status(401, `{"details":"incorrect username or password"}`),
			errdefs.ErrUnauthenticated, "error from registry: authentication required - incorrect username or password"},
		{"old token format 403", status(403, `{"details":"no"}`),
			errdefs.ErrPermissionDenied, "error from registry: requested access to the resource is denied - no"},
		{"HEAD 401 without body", status(401, ``),
			errdefs.ErrUnauthenticated, "unknown: failed to push: unexpected status from HEAD request to http://reg.example:5000/v2/team/app/blobs/sha256:abc: 401 Status"},
		{"HEAD 500 without body", status(500, ``),
			errdefs.ErrUnknown, "unknown: failed to push: unexpected status from HEAD request to http://reg.example:5000/v2/team/app/blobs/sha256:abc: 500 Status"},
		{"no credentials", fmt.Errorf("push access denied, repository does not exist or may require authorization: %w",
			fmt.Errorf("%w: no basic auth credentials", docker.ErrInvalidAuthorization)),
			errdefs.ErrUnauthenticated, "push access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials"},
		{"unreachable", fmt.Errorf("failed to do request: %w", dial),
			errdefs.ErrUnavailable, "failed to do request: " + dial.Error()},
		{"classed already", errdefs.ErrNotFound.WithMessage("content missing"), errdefs.ErrNotFound, "content missing"},
		{"cancelled", fmt.Errorf("push: %w", context.Canceled), context.Canceled, "push: context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PushError(tc.err)
			assert.ErrorIs(t, got, tc.class, "%v", got)
			assert.Equal(t, tc.text, got.Error())
		})
	}
	assert.NoError(t, PushError(nil))
}
