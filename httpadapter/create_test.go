package httpadapter_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

func TestPullStreamFraming(t *testing.T) {
	f := newFixture()
	h := httpadapter.New(f, httpadapter.Options{})
	w := request(t, h, http.MethodPost, "/v1.52/images/create?fromImage=docker.io%2Flibrary%2Falpine&tag=3.20", nil,
		"X-Registry-Auth", "e30=")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.True(t, w.Flushed, "flushed as it comes")
	want := `{"status":"Pulling from library/alpine","id":"3.20"}` + "\r\n" +
		`{"status":"Pulling fs layer","progressDetail":{},"id":"43c4264eed91"}` + "\r\n" +
		`{"status":"Downloading","progressDetail":{"current":1048576,"total":3623807},"id":"43c4264eed91"}` + "\r\n" +
		`{"status":"Download complete","progressDetail":{"hidecounts":true},"id":"43c4264eed91"}` + "\r\n" +
		`{"status":"Extracting","progressDetail":{"current":1,"units":"s"},"id":"43c4264eed91"}` + "\r\n" +
		`{"status":"Pull complete","progressDetail":{"hidecounts":true},"id":"43c4264eed91"}` + "\r\n" +
		`{"status":"Digest: ` + idAlpine.String() + `"}` + "\r\n" +
		`{"status":"Status: Downloaded newer image for alpine:3.20"}` + "\r\n"
	assert.Equal(t, want, w.Body.String())

	req := f.last().pullReq
	assert.Equal(t, "docker.io/library/alpine:3.20", req.Ref.String())
	assert.Nil(t, req.Auth, "{} means no credentials")
	assert.Nil(t, req.Platform)
}

func TestPullParameters(t *testing.T) {
	tests := []struct {
		name, target string
		want         string // the reference the service gets
		platform     string
		status       int
		message      string
	}{
		{"tag replaces", "/images/create?fromImage=alpine:3.19&tag=3.20", "docker.io/library/alpine:3.20", "", 200, ""},
		{"tag is a digest", "/images/create?fromImage=alpine:3.19&tag=" + idAlpine.String(), "docker.io/library/alpine@" + idAlpine.String(), "", 200, ""},
		{"all tags", "/images/create?fromImage=alpine", "docker.io/library/alpine", "", 200, ""},
		{"trailing colon", "/images/create?fromImage=alpine:", "docker.io/library/alpine", "", 200, ""},
		{"registry", "/images/create?fromImage=team/app&tag=1&registry=registry.example.com:5000", "registry.example.com:5000/team/app:1", "", 200, ""},
		{"registry ignored with a host", "/images/create?fromImage=localhost:5000/app&tag=1&registry=other.example.com", "localhost:5000/app:1", "", 200, ""},
		{"fromImage wins over fromSrc", "/images/create?fromImage=alpine&tag=1&fromSrc=-", "docker.io/library/alpine:1", "", 200, ""},
		{"platform", "/v1.32/images/create?fromImage=alpine&tag=1&platform=linux/arm64/v8", "docker.io/library/alpine:1", "linux/arm64/v8", 200, ""},
		{"platform ignored below 1.32", "/v1.31/images/create?fromImage=alpine&tag=1&platform=foo", "docker.io/library/alpine:1", "", 200, ""},
		{"platform unknown", "/images/create?fromImage=alpine&platform=foo", "", "", 400, `"foo": unknown operating system or architecture: invalid argument`},
		{"platform too long", "/images/create?fromImage=alpine&platform=a/b/c/d", "", "", 400, `"a/b/c/d": cannot parse platform specifier: invalid argument`},
		{"platform empty part", "/images/create?fromImage=alpine&platform=linux/", "", "", 400,
			`"" is an invalid component of "linux/": platform specifier component must match "^[A-Za-z0-9_.-]+$": invalid argument`},
		{"platform wildcard", "/images/create?fromImage=alpine&platform=linux/*", "", "", 400, `"linux/*": wildcards not yet supported: invalid argument`},
		{"bad name", "/images/create?fromImage=Foo", "", "", 400, "invalid reference format: repository name (library/Foo) must be lowercase"},
		{"bad tag", "/images/create?fromImage=alpine&tag=a:b", "", "", 400, "invalid tag format"},
		{"scratch", "/images/create?fromImage=scratch&tag=latest", "", "", 403, "'scratch' is a reserved name"},
		{"neither", "/images/create", "", "", 400, "either fromImage or fromSrc must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			h := httpadapter.New(f, httpadapter.Options{})
			w := request(t, h, http.MethodPost, tt.target, nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status != 200 {
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				assert.Equal(t, `{"message":`+jsonString(tt.message)+`}`+"\n", w.Body.String())
				return
			}
			req := f.last().pullReq
			require.NotNil(t, req.Ref)
			assert.Equal(t, tt.want, req.Ref.String())
			if tt.platform != "" {
				require.NotNil(t, req.Platform)
				assert.Equal(t, tt.platform, imagesvc.FormatPlatform(*req.Platform))
			} else {
				assert.Nil(t, req.Platform)
			}
		})
	}
}

func TestPullRegistryAuth(t *testing.T) {
	creds := `{"username":"joe","password":"s3cr<t>","serveraddress":"registry.example.com"}`
	tests := []struct {
		name, header string
		want         *imagesvc.AuthConfig
	}{
		{"base64url", base64.URLEncoding.EncodeToString([]byte(creds)), &imagesvc.AuthConfig{Username: "joe", Password: "s3cr<t>", ServerAddress: "registry.example.com"}},
		{"unpadded", base64.RawURLEncoding.EncodeToString([]byte(creds)), &imagesvc.AuthConfig{Username: "joe", Password: "s3cr<t>", ServerAddress: "registry.example.com"}},
		{"token", base64.URLEncoding.EncodeToString([]byte(`{"identitytoken":"tok"}`)), &imagesvc.AuthConfig{IdentityToken: "tok"}},
		{"empty object", "e30=", nil},
		{"empty", "", nil},
		{"not base64", "!!!not base64!!!", nil},
		{"not JSON", base64.URLEncoding.EncodeToString([]byte("user:pass")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			h := httpadapter.New(f, httpadapter.Options{})
			w := request(t, h, http.MethodPost, "/images/create?fromImage=alpine&tag=latest", nil, "X-Registry-Auth", tt.header)
			require.Equal(t, http.StatusOK, w.Code, "invalid credentials are ignored on pulls")
			assert.Equal(t, tt.want, f.last().pullReq.Auth)
		})
	}
}

func TestPullErrors(t *testing.T) {
	t.Run("before the stream: a real status", func(t *testing.T) {
		f := newFixture()
		f.pullFn = func(context.Context, imagesvc.PullRequest, imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
			return nil, errdefs.ErrUnauthenticated.WithMessage("authentication required")
		}
		h := httpadapter.New(f, httpadapter.Options{})
		w := request(t, h, http.MethodPost, "/v1.52/images/create?fromImage=private%2Fapp&tag=1", nil)
		assert.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		assert.Equal(t, `{"message":"authentication required"}`+"\n", w.Body.String())
		assert.Equal(t, "1.56", w.Header().Get("Api-Version"))
	})
	t.Run("not found before the stream", func(t *testing.T) {
		f := newFixture()
		f.pullFn = func(context.Context, imagesvc.PullRequest, imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
			return nil, errdefs.ErrNotFound.WithMessage("pull access denied for nosuchrepo, repository does not exist or may require 'docker login'")
		}
		h := httpadapter.New(f, httpadapter.Options{})
		w := request(t, h, http.MethodPost, "/images/create?fromImage=nosuchrepo&tag=latest", nil)
		assert.Equal(t, http.StatusNotFound, w.Code)
		assert.Equal(t, `{"message":"pull access denied for nosuchrepo, repository does not exist or may require 'docker login'"}`+"\n", w.Body.String())
	})
	t.Run("after the stream: in-stream", func(t *testing.T) {
		f := newFixture()
		f.pullFn = func(_ context.Context, _ imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
			progress.Report(imagesvc.PullingFrom("library/alpine", "latest"))
			return nil, errdefs.ErrDataLoss.WithMessage(`failed commit: unexpected "<digest>"`)
		}
		h := httpadapter.New(f, httpadapter.Options{})
		w := request(t, h, http.MethodPost, "/images/create?fromImage=alpine&tag=latest", nil)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, `{"status":"Pulling from library/alpine","id":"latest"}`+"\r\n"+
			`{"error":"failed commit: unexpected \"<digest>\"","errorDetail":{"message":"failed commit: unexpected \"<digest>\""}}`+"\r\n",
			w.Body.String())
	})
	t.Run("late events are dropped", func(t *testing.T) {
		f := newFixture()
		late := make(chan imagesvc.ProgressFunc, 1)
		f.pullFn = func(_ context.Context, _ imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
			progress.Report(imagesvc.PullingFrom("library/alpine", "latest"))
			late <- progress
			return nil, nil
		}
		h := httpadapter.New(f, httpadapter.Options{})
		w := request(t, h, http.MethodPost, "/images/create?fromImage=alpine&tag=latest", nil)
		(<-late).Report(imagesvc.ProgressEvent{Status: "too late"})
		assert.NotContains(t, w.Body.String(), "too late")
	})
}

// TestPullClientDisconnect checks that a client that goes away cancels the pull's context.
func TestPullClientDisconnect(t *testing.T) {
	f := newFixture()
	cancelled := make(chan error, 1)
	f.pullFn = func(ctx context.Context, _ imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
		progress.Report(imagesvc.PullingFrom("library/alpine", "latest"))
		select {
		case <-ctx.Done():
			cancelled <- ctx.Err()
			return nil, ctx.Err()
		case <-time.After(10 * time.Second):
			cancelled <- nil
			return nil, nil
		}
	}
	srv := httptest.NewServer(httpadapter.New(f, httpadapter.Options{}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1.52/images/create?fromImage=alpine&tag=latest", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, `{"status":"Pulling from library/alpine","id":"latest"}`+"\r\n", line)

	cancel()
	select {
	case err := <-cancelled:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the pull was not cancelled")
	}
}

func TestImport(t *testing.T) {
	tar := "pretend this is a tar archive"
	tests := []struct {
		name, target, contentType string
		body                      string
		ref, message              string
		changes                   int
		status                    int
		errMessage                string
	}{
		{"no content type", "/v1.52/images/create?fromSrc=-&repo=myimg&tag=v1&changes=ENV%20A%3D1&changes=CMD%20%5B%22sh%22%5D", "",
			tar, "docker.io/library/myimg:v1", "Imported from -", 2, 200, ""},
		{"form content type", "/images/create?fromSrc=-&repo=myimg", "application/x-www-form-urlencoded",
			tar, "docker.io/library/myimg:latest", "Imported from -", 0, 200, ""},
		{"octet-stream, message, untagged", "/images/create?fromSrc=-&message=hello", "application/octet-stream",
			tar, "", "hello", 0, 200, ""},
		{"bad change", "/images/create?fromSrc=-&changes=RUN%20rm", "", tar, "", "", 0, 400, "RUN is not a valid change command"},
		{"bad expansion", "/images/create?fromSrc=-&changes=ENV%20A%3D%24%7BB%3A%3Fneeded%7D", "", tar, "", "", 0, 400, `failed to process "${B:?needed}": B: needed`},
		{"variables", "/images/create?fromSrc=-&changes=ENV%20A%3D1&changes=ENV%20B%3D%24A", "",
			tar, "", "Imported from -", 2, 200, ""},
		{"digest repo", "/images/create?fromSrc=-&repo=myimg@" + digest.FromString("x").String(), "", tar, "", "", 0, 400, "cannot import digest reference"},
		{"bad platform", "/images/create?fromSrc=-&platform=linux/*", "", tar, "", "", 0, 400, `"linux/*": wildcards not yet supported: invalid argument`},
		{"too large", "/images/create?fromSrc=-", "", strings.Repeat("x", 2048), "", "", 0, 413, "request body too large: the limit is 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			h := httpadapter.New(f, httpadapter.Options{MaxImportSize: 1024})
			var hdr []string
			if tt.contentType != "" {
				hdr = []string{"Content-Type", tt.contentType}
			}
			w := request(t, h, http.MethodPost, tt.target, strings.NewReader(tt.body), hdr...)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status != 200 {
				assert.Equal(t, `{"message":`+jsonString(tt.errMessage)+`}`+"\n", w.Body.String())
				return
			}
			last := f.last()
			assert.Equal(t, tt.body, string(last.importBody))
			assert.Equal(t, `{"status":"`+digest.FromString(tt.body).String()+`"}`+"\r\n", w.Body.String())
			if tt.ref == "" {
				assert.Nil(t, last.importReq.Ref)
			} else {
				require.NotNil(t, last.importReq.Ref)
				assert.Equal(t, tt.ref, last.importReq.Ref.String())
			}
			assert.Equal(t, tt.message, last.importReq.Message)
			assert.Equal(t, tt.changes, last.importReq.Changes.Len())
			if tt.name == "variables" {
				assert.Equal(t, []string{"A=1", "B=1"}, last.importReq.Changes.Config().Env)
			}
			assert.Nil(t, last.importReq.URL)
		})
	}
}

func TestImportURL(t *testing.T) {
	f := newFixture()
	f.importFn = func(_ context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
		progress.Report(imagesvc.ProgressEvent{Status: "Downloading from " + req.URL.String()})
		return "", errdefs.ErrInvalidArgument.WithMessage("archive/tar: invalid tar header")
	}
	h := httpadapter.New(f, httpadapter.Options{})
	w := request(t, h, http.MethodPost, "/images/create?fromSrc=example.com%2Froot.tar&repo=x", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `{"status":"Downloading from http://example.com/root.tar"}`+"\r\n"+
		`{"error":"archive/tar: invalid tar header","errorDetail":{"message":"archive/tar: invalid tar header"}}`+"\r\n", w.Body.String())
	req := f.last().importReq
	assert.Equal(t, "http://example.com/root.tar", req.URL.String())
	assert.Equal(t, "Imported from example.com/root.tar", req.Message)
	assert.Nil(t, req.Source)

	// A URL import refused before anything is streamed gets its status.
	f.importFn = func(context.Context, imagesvc.ImportRequest, imagesvc.ProgressFunc) (digest.Digest, error) {
		return "", errdefs.ErrPermissionDenied.WithMessage("URL imports are disabled")
	}
	w = request(t, h, http.MethodPost, "/images/create?fromSrc=https%3A%2F%2Fexample.com%2Froot.tar", nil)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Equal(t, "https://example.com/root.tar", f.last().importReq.URL.String())
}

// streamingImport reports progress while it reads the body, as a backend may.
type streamingImport struct {
	emptyService
}

func (streamingImport) Import(_ context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	progress.Report(imagesvc.ProgressEvent{Status: imagesvc.StatusImporting, Detail: &imagesvc.ProgressDetail{}})
	buf := make([]byte, 32<<10)
	var n int64
	for {
		m, err := req.Source.Read(buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		progress.Report(imagesvc.ProgressEvent{Status: imagesvc.StatusImporting, Detail: &imagesvc.ProgressDetail{Current: n}})
	}
	return digest.FromString(strconv.FormatInt(n, 10)), nil
}

func TestImportProgressWhileReadingBody(t *testing.T) {
	srv := httptest.NewServer(httpadapter.New(streamingImport{}, httpadapter.Options{}))
	defer srv.Close()
	const size = 4 << 20
	resp, err := srv.Client().Post(srv.URL+"/v1.52/images/create?fromSrc=-", "", io.LimitReader(zeros{}, size))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
	assert.Equal(t, `{"status":"`+digest.FromString(strconv.Itoa(size)).String()+`"}`, lines[len(lines)-1])
	assert.NotContains(t, string(out), "error")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// refusingImport fails without reading the body, as a backend does for a bad archive.
type refusingImport struct {
	emptyService
}

func (refusingImport) Import(context.Context, imagesvc.ImportRequest, imagesvc.ProgressFunc) (digest.Digest, error) {
	return "", errdefs.ErrInvalidArgument.WithMessage("archive/tar: invalid tar header")
}

// TestImportErrorClosesConnection: an import refused before its body is read is answered
// with its status and "Connection: close", and the next request on a new connection works.
func TestImportErrorClosesConnection(t *testing.T) {
	srv := httptest.NewServer(httpadapter.New(refusingImport{}, httpadapter.Options{}))
	defer srv.Close()
	for range 3 {
		resp, err := srv.Client().Post(srv.URL+"/v1.52/images/create?fromSrc=-", "", io.LimitReader(zeros{}, 1<<20))
		require.NoError(t, err)
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.True(t, resp.Close, "the answer announces that the connection closes")
		assert.Equal(t, `{"message":"archive/tar: invalid tar header"}`+"\n", string(out))
	}
}
