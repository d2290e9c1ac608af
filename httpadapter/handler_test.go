package httpadapter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

func TestRouting(t *testing.T) {
	tests := []struct {
		method, target string
		status         int
		inspected      string // the name the service was asked to inspect
	}{
		{"GET", "/images/json", 200, ""},
		{"GET", "/v1.47/images/json", 200, ""},
		{"GET", "/images/json/json", 200, "json"},
		{"GET", "/v1.47/images/docker.io/library/alpine:3.20/json", 200, "docker.io/library/alpine:3.20"},
		{"GET", "/images/alpine@" + idAlpine.String() + "/json", 200, "alpine@" + idAlpine.String()},
		{"GET", "/images/alpine:3.20@" + idAlpine.String() + "/json", 200, "alpine:3.20@" + idAlpine.String()},
		{"GET", "/images/" + idAlpine.String() + "/json", 200, idAlpine.String()},
		{"GET", "/images/docker.io%2Flibrary%2Falpine:3.20/json", 200, "docker.io/library/alpine:3.20"},
		{"GET", "/v1.47/images/nothere/json", 404, "nothere"},
		{"POST", "/images/json", 404, ""},
		{"HEAD", "/images/json", 404, ""},
		{"PUT", "/images/alpine/json", 404, ""},
		{"DELETE", "/images/alpine/json", 501, ""}, // a remove of the image "alpine/json", as in Docker
		{"GET", "/images/create", 404, ""},
		{"GET", "/images/alpine", 404, ""},
		{"GET", "/containers/json", 404, ""},
		{"GET", "/v1.47/containers/json", 404, ""},
		{"GET", "/vx/images/json", 404, ""},
		{"GET", "/v/images/json", 404, ""},
		{"GET", "/v1.47", 404, ""},
		{"GET", "/_ping", 404, ""},
		{"GET", "/version", 404, ""},
		{"GET", "/", 404, ""},
		{"OPTIONS", "/anything/at/all", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			f := newFixture()
			var logs bytes.Buffer
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			w := request(t, h, tt.method, tt.target, nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			switch {
			case tt.inspected != "":
				assert.Equal(t, tt.inspected, f.last().inspectRef.String())
				assert.NotContains(t, logs.String(), "no route")
			case tt.status == 404:
				assert.Equal(t, `{"message":"page not found"}`+"\n", w.Body.String())
				assert.Contains(t, logs.String(), fmt.Sprintf("level=DEBUG msg=\"httpadapter: no route for request\" method=%s path=%s\n", tt.method, tt.target),
					"an unserved route is logged at debug level")
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				assert.Empty(t, w.Header().Get("Api-Version"), "Docker's 404 handler sets no version headers")
				assert.Empty(t, w.Header().Get("Ostype"))
			case tt.method == "OPTIONS":
				assert.Empty(t, w.Body.String())
				assert.Equal(t, "1.56", w.Header().Get("Api-Version"))
			}
		})
	}
}

func TestVersionRange(t *testing.T) {
	tests := []struct {
		opts        httpadapter.Options
		target      string
		status      int
		body        string
		contentType string
	}{
		{httpadapter.Options{}, "/v1.24/images/json", 200, "", ""},
		{httpadapter.Options{}, "/v1.56/images/json", 200, "", ""},
		{httpadapter.Options{}, "/v1.56.0/images/json", 200, "", ""},
		// "Too old" is Docker's JSON error envelope like "too new", also below 1.24
		// (Docker 29 answers it in plain text there: a deliberate difference).
		{httpadapter.Options{}, "/v1.9/images/json", 400,
			`{"message":"client version 1.9 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}` + "\n", "application/json"},
		{httpadapter.Options{}, "/v1.23/images/json", 400,
			`{"message":"client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}` + "\n", "application/json"},
		{httpadapter.Options{}, "/v1.99/images/json", 400,
			`{"message":"client version 1.99 is too new. Maximum supported API version is 1.56"}` + "\n", "application/json"},
		{httpadapter.Options{}, "/v2/images/json", 400,
			`{"message":"client version 2 is too new. Maximum supported API version is 1.56"}` + "\n", "application/json"},
		{httpadapter.Options{}, "/v1.100/images/json", 400,
			`{"message":"client version 1.100 is too new. Maximum supported API version is 1.56"}` + "\n", "application/json"},
		// Docker's versions.compare reads an overflowing component as 0 (too old, and
		// below 1.24 in plain text); it is too new.
		{httpadapter.Options{}, "/v1.999999999999999999999/images/json", 400,
			`{"message":"client version 1.999999999999999999999 is too new. Maximum supported API version is 1.56"}` + "\n", "application/json"},
		{httpadapter.Options{}, "/v1.0056/images/json", 200, "", ""},
		{httpadapter.Options{MinVersion: "1.40", MaxVersion: "1.47"}, "/v1.39/images/json", 400,
			`{"message":"client version 1.39 is too old. Minimum supported API version is 1.40, please upgrade your client to a newer version"}` + "\n", "application/json"},
		{httpadapter.Options{MinVersion: "1.40", MaxVersion: "1.47"}, "/v1.48/images/alpine/json", 400,
			`{"message":"client version 1.48 is too new. Maximum supported API version is 1.47"}` + "\n", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			h := httpadapter.New(newFixture(), tt.opts)
			w := request(t, h, http.MethodGet, tt.target, nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			wantMax := tt.opts.MaxVersion
			if wantMax == "" {
				wantMax = "1.56"
			}
			assert.Equal(t, wantMax, w.Header().Get("Api-Version"), "on errors too")
			assert.NotEmpty(t, w.Header().Get("Ostype"))
			assert.Regexp(t, `^Docker/29\.7\.0-imageapi \(\w+\)$`, w.Header().Get("Server"))
			if tt.status != 200 {
				assert.Equal(t, tt.body, w.Body.String())
				assert.Equal(t, tt.contentType, w.Header().Get("Content-Type"))
				assert.Empty(t, w.Header().Get("Docker-Experimental"), "set only once the version check passed")
			} else {
				assert.Equal(t, "false", w.Header().Get("Docker-Experimental"))
			}
		})
	}
}

func TestUnversionedIsMax(t *testing.T) {
	f := newFixture()
	h := httpadapter.New(f, httpadapter.Options{MaxVersion: "1.43"})
	w := request(t, h, http.MethodGet, "/images/json", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"VirtualSize"`)
	assert.Equal(t, "1.43", w.Header().Get("Api-Version"))
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, opts := range []httpadapter.Options{
		{MinVersion: "1.50", MaxVersion: "1.40"},
		{MaxVersion: "1.57"},
		{MinVersion: "v1.40"},
		{MaxVersion: "latest"},
	} {
		assert.Panics(t, func() { httpadapter.New(newFixture(), opts) }, "%+v", opts)
	}
	assert.Panics(t, func() { httpadapter.New(nil, httpadapter.Options{}) })
}

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{errdefs.ErrNotFound.WithMessage("No such image: foo:latest"), 404},
		{errdefs.ErrInvalidArgument.WithMessage("bad"), 400},
		{errdefs.ErrFailedPrecondition, 400},
		{errdefs.ErrOutOfRange, 400},
		{errdefs.ErrConflict, 409},
		{errdefs.ErrAlreadyExists, 409},
		{errdefs.ErrAborted, 409},
		{errdefs.ErrUnauthenticated, 401},
		{errdefs.ErrPermissionDenied, 403},
		{errdefs.ErrUnavailable, 503},
		{errdefs.ErrNotModified, 304},
		{errdefs.ErrNotImplemented, 501},
		{errdefs.ErrInternal, 500},
		{errdefs.ErrUnknown, 500},
		{errdefs.ErrDataLoss, 500},
		{errdefs.ErrResourceExhausted, 500},
		{context.DeadlineExceeded, 500},
		{context.Canceled, 500},
		{errors.New("no class"), 500},
		{fmt.Errorf("looking up foo: %w", errdefs.ErrNotFound), 404},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", errdefs.ErrUnavailable)), 503},
		{errors.Join(errors.New("plain"), errdefs.ErrPermissionDenied), 403},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			f := newFixture()
			f.listErr = tt.err
			var logs bytes.Buffer
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			w := request(t, h, http.MethodGet, "/v1.47/images/json", nil)
			assert.Equal(t, tt.status, w.Code)
			if tt.status == http.StatusNotModified {
				return // no body allowed
			}
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, `{"message":`+jsonString(tt.err.Error())+`}`+"\n", w.Body.String())
			if tt.status >= 500 {
				assert.Contains(t, logs.String(), "handler returned error")
			} else {
				assert.Empty(t, logs.String())
			}
		})
	}
}

func TestErrorNotHTMLEscaped(t *testing.T) {
	f := newFixture()
	f.listErr = errdefs.ErrInvalidArgument.WithMessage(`bad <value> & "quotes"`)
	w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodGet, "/images/json", nil)
	assert.Equal(t, `{"message":"bad <value> & \"quotes\""}`+"\n", w.Body.String())
}

func TestClientGoneWritesNoBody(t *testing.T) {
	f := newFixture()
	f.listErr = context.Canceled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httpRequest(t, http.MethodGet, "/images/json").WithContext(ctx)
	w := newRecorder()
	httpadapter.New(f, httpadapter.Options{}).ServeHTTP(w, r)
	assert.Empty(t, w.Body.String())
}

func TestPanicRecovery(t *testing.T) {
	for _, tt := range []struct{ on, target, method string }{
		{"list", "/images/json", http.MethodGet},
		{"inspect", "/images/alpine:3.20/json", http.MethodGet},
	} {
		t.Run(tt.on, func(t *testing.T) {
			f := newFixture()
			f.panicOn = tt.on
			var logs bytes.Buffer
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			w := request(t, h, tt.method, tt.target, nil)
			assert.Equal(t, http.StatusInternalServerError, w.Code)
			assert.Equal(t, `{"message":"internal server error"}`+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Contains(t, logs.String(), "panic serving request")
			assert.Contains(t, logs.String(), "fixture: "+tt.on+" panics")
		})
	}
	t.Run("in a stream", func(t *testing.T) {
		f := newFixture()
		f.panicOn = "pull"
		var logs bytes.Buffer
		h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		w := request(t, h, http.MethodPost, "/images/create?fromImage=alpine&tag=latest", nil)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, `{"status":"Pulling from library/alpine","id":"latest"}`+"\r\n"+
			`{"error":"internal server error","errorDetail":{"message":"internal server error"}}`+"\r\n", w.Body.String())
		assert.Contains(t, logs.String(), "fixture: pull panics")
	})
}

func TestPingAndVersion(t *testing.T) {
	h := httpadapter.New(newFixture(), httpadapter.Options{Ping: true, Version: true, EngineVersion: "1.2.3", OSType: "linux"})
	for _, target := range []string{"/_ping", "/v1.40/_ping"} {
		w := request(t, h, http.MethodGet, target, nil)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "OK", w.Body.String())
		assert.Equal(t, "1.56", w.Header().Get("Api-Version"))
		assert.Equal(t, "linux", w.Header().Get("Ostype"))
		assert.Equal(t, "Docker/1.2.3 (linux)", w.Header().Get("Server"))
		assert.Equal(t, "false", w.Header().Get("Docker-Experimental"))
		assert.Equal(t, "no-cache, no-store, must-revalidate", w.Header().Get("Cache-Control"))
		assert.Equal(t, "no-cache", w.Header().Get("Pragma"))
		assert.Equal(t, "inactive", w.Header().Get("Swarm"))
	}
	w := request(t, h, http.MethodHead, "/_ping", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Equal(t, "0", w.Header().Get("Content-Length"))
	assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))

	w = request(t, h, http.MethodPost, "/_ping", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)

	w = request(t, h, http.MethodGet, "/version", nil)
	require.Equal(t, http.StatusOK, w.Code)
	v := decodeObject(t, w.Body.Bytes())
	assert.Equal(t, "1.2.3", v["Version"])
	assert.Equal(t, "1.56", v["ApiVersion"])
	assert.Equal(t, "1.24", v["MinAPIVersion"])
	assert.Equal(t, "linux", v["Os"])
	assert.True(t, strings.HasPrefix(v["GoVersion"].(string), "go"))
	require.Len(t, v["Components"], 1)
}

var _ imagesvc.Service = (*fixture)(nil)
