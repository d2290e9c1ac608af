package httpadapter_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// transferFixture adds save, load and push to the fixture. Each operation runs the
// function the test sets (a default that succeeds otherwise) and records what the adapter
// passed. It pins the adapter's parameters, statuses and streams; the archives and pushes
// themselves are tested on the real backends.
type transferFixture struct {
	*fixture

	saveFn func(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error
	loadFn func(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error)
	pushFn func(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error

	mu       sync.Mutex
	calls    map[string]int
	saveReq  imagesvc.SaveRequest
	loadReq  imagesvc.LoadRequest
	loadBody []byte
	pushReq  imagesvc.PushRequest
}

var (
	_ imagesvc.Saver  = (*transferFixture)(nil)
	_ imagesvc.Loader = (*transferFixture)(nil)
	_ imagesvc.Pusher = (*transferFixture)(nil)
)

func newTransferFixture() *transferFixture {
	return &transferFixture{fixture: newFixture(), calls: map[string]int{}}
}

func (f *transferFixture) Save(ctx context.Context, req imagesvc.SaveRequest, w io.Writer) error {
	f.mu.Lock()
	f.calls["save"]++
	f.saveReq = req
	fn := f.saveFn
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, req, w)
	}
	_, err := w.Write(tarOf(map[string]string{"index.json": `{"schemaVersion":2}`}))
	return err
}

func (f *transferFixture) Load(ctx context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
	f.mu.Lock()
	f.calls["load"]++
	f.loadReq = req
	fn := f.loadFn
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, req)
	}
	body, err := io.ReadAll(req.Source)
	f.mu.Lock()
	f.loadBody = body
	f.mu.Unlock()
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return []imagesvc.LoadedImage{{Name: "foo:latest", ID: digestX}}, nil
}

func (f *transferFixture) Push(ctx context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
	f.mu.Lock()
	f.calls["push"]++
	f.pushReq = req
	fn := f.pushFn
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, req, progress)
	}
	progress.Report(imagesvc.PushRefersTo(req.Ref))
	return nil
}

func (f *transferFixture) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// tarOf returns a tar archive of the given files.
func tarOf(files map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"index.json", "manifest.json", "oci-layout"} {
		if data, ok := files[name]; ok {
			_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
			_, _ = tw.Write([]byte(data))
		}
	}
	_ = tw.Close()
	return buf.Bytes()
}

func refStrings(refs []imagesvc.ImageRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.String())
	}
	return out
}

var (
	amd64JSON = url.QueryEscape(`{"os":"linux","architecture":"amd64"}`)
	armJSON   = url.QueryEscape(`{"os":"linux","architecture":"arm64","variant":"v8"}`)
	amd64     = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64v8   = ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

// TestTransferRouting pins the new routes: which operation a path reaches and the names it
// carries, next to the routes that share their prefixes.
func TestTransferRouting(t *testing.T) {
	tests := []struct {
		method, target string
		status         int
		op             string
		names          []string
	}{
		{"GET", "/images/get?names=alpine&names=reg:5000/x/y:1&names=" + digestX, 200, "save", []string{"alpine", "reg:5000/x/y:1", digestX}},
		{"GET", "/v1.41/images/get", 200, "save", nil},
		{"GET", "/images/reg:5000/x/y:1/get?names=other", 200, "save", []string{"reg:5000/x/y:1"}},
		{"GET", "/images/a@" + digestX + "/get", 200, "save", []string{"a@" + digestX}},
		{"GET", "/images/get/get", 200, "save", []string{"get"}},
		{"GET", "/images/a/get/json", 404, "inspect", []string{"a/get"}},
		{"GET", "/images/a/get/history", 501, "", nil}, // history of "a/get", which the fixture lacks
		{"POST", "/images/load", 200, "load", nil},
		{"POST", "/v1.24/images/load?quiet=0", 200, "load", nil},
		{"POST", "/images/reg:5000/x/y/push?tag=1", 200, "push", []string{"reg:5000/x/y:1"}},
		{"POST", "/v1.41/images/load/push", 200, "push", []string{"docker.io/library/load"}},
		{"POST", "/images/a/push/tag?repo=b", 501, "", nil},
		{"GET", "/images/load", 404, "", nil},
		{"POST", "/images/get", 404, "", nil},
		{"GET", "/images/x/push", 404, "", nil},
		{"DELETE", "/images/x/get", 501, "", nil}, // remove of "x/get", which the fixture lacks
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			f := newTransferFixture()
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
			w := request(t, h, tt.method, tt.target, strings.NewReader(""))
			require.Equal(t, tt.status, w.Code, w.Body.String())
			switch tt.op {
			case "save":
				assert.Equal(t, tt.names, refStrings(f.saveReq.Refs))
			case "inspect":
				assert.Equal(t, tt.names[0], f.last().inspectRef.String())
			case "push":
				assert.Equal(t, tt.names[0], f.pushReq.Ref.String())
			}
			for _, op := range []string{"save", "load", "push"} {
				want := 0
				if op == tt.op {
					want = 1
				}
				assert.Equal(t, want, f.count(op), op)
			}
		})
	}
}

// TestTransferNotImplemented: without the capability, 501 naming the operation, before
// any parameter is looked at.
func TestTransferNotImplemented(t *testing.T) {
	tests := []struct {
		method, target, msg string
	}{
		{"GET", "/images/get?names=alpine", "image save is not implemented by this image service"},
		{"GET", "/v1.48/images/alpine/get?platform=", "image save is not implemented by this image service"},
		{"POST", "/images/load?platform=bad", "image load is not implemented by this image service"},
		{"POST", "/images/Bad/push?tag=1", "image push is not implemented by this image service"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := request(t, httpadapter.New(newFixture(), httpadapter.Options{Logger: slog.New(slog.DiscardHandler)}), tt.method, tt.target, strings.NewReader("x"))
			assert.Equal(t, http.StatusNotImplemented, w.Code)
			assert.Equal(t, `{"message":"`+tt.msg+`"}`+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		})
	}
}

// TestSavePlatforms pins the platform parameter of save and load (spec §1.3): ignored
// below 1.48, one value from 1.48, several from 1.52, an empty value an error.
func TestSaveLoadPlatforms(t *testing.T) {
	tests := []struct {
		version, query string
		want           []ocispec.Platform
		msg            string // the 400 text, or "" for success
	}{
		{"1.47", "platform=" + amd64JSON, nil, ""},
		{"1.47", "platform=bad&platform=&platform=x", nil, ""},
		{"1.48", "platform=" + amd64JSON, []ocispec.Platform{amd64}, ""},
		{"1.48", "", nil, ""},
		{"1.48", "platform=" + amd64JSON + "&platform=" + armJSON, nil,
			"multiple platform parameters are not supported in this API version; use API version 1.52 or later"},
		{"1.51", "platform=&platform=", nil,
			"multiple platform parameters are not supported in this API version; use API version 1.52 or later"},
		{"1.52", "platform=" + amd64JSON + "&platform=" + armJSON, []ocispec.Platform{amd64, arm64v8}, ""},
		{"1.56", "platform=", nil, "failed to parse platform: unexpected end of JSON input"},
		{"1.48", "platform=no", nil, "failed to parse platform: invalid character 'o' in literal null (expecting 'u')"},
		{"1.52", "platform=" + amd64JSON + "&platform=", nil, "failed to parse platform: unexpected end of JSON input"},
		{"1.52", "platform=" + url.QueryEscape(`{"os":"linux"}`), nil, "both OS and Architecture must be provided"},
		{"1.52", "platform=" + url.QueryEscape(`{"variant":"v8"}`), nil, "optional platform fields provided, but OS and Architecture are missing"},
	}
	for _, tt := range tests {
		for _, op := range []string{"save", "load"} {
			t.Run(op+" "+tt.version+" "+tt.query, func(t *testing.T) {
				f := newTransferFixture()
				h := httpadapter.New(f, httpadapter.Options{})
				var w *httptest.ResponseRecorder
				if op == "save" {
					w = request(t, h, http.MethodGet, "/v"+tt.version+"/images/get?names=foo&"+tt.query, nil)
				} else {
					w = request(t, h, http.MethodPost, "/v"+tt.version+"/images/load?"+tt.query, bytes.NewReader(tarOf(nil)))
				}
				if tt.msg != "" {
					assert.Equal(t, http.StatusBadRequest, w.Code)
					assert.Equal(t, `{"message":`+jsonString(tt.msg)+`}`+"\n", w.Body.String())
					assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
					assert.Zero(t, f.count(op), "the service is not called")
					return
				}
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				got := f.saveReq.Platforms
				if op == "load" {
					got = f.loadReq.Platforms
				}
				assert.Equal(t, tt.want, got)
			})
		}
	}
}

func TestSaveParameters(t *testing.T) {
	// No names: the service is asked for an empty archive.
	f := newTransferFixture()
	w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodGet, "/images/get", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/x-tar", w.Header().Get("Content-Type"))
	assert.Empty(t, f.saveReq.Refs)
	assert.Equal(t, tarOf(map[string]string{"index.json": `{"schemaVersion":2}`}), w.Body.Bytes())

	// Names are parsed as image references: IDs, short IDs, digests, names.
	f = newTransferFixture()
	w = request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodGet,
		"/images/get?names=9f8e7d6c5b4a&names=sha256:9f8e&names=alpine&names=a/b@"+digestX, nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, f.saveReq.Refs, 4)
	assert.Equal(t, "9f8e7d6c5b4a", f.saveReq.Refs[0].ShortID())
	assert.Equal(t, "9f8e", f.saveReq.Refs[1].ShortID())
	assert.Equal(t, "docker.io/library/alpine:latest", f.saveReq.Refs[2].Tagged().String())
	assert.Equal(t, digest.Digest(digestX), f.saveReq.Refs[3].Digest())

	// A malformed name is a 400 with the reference parser's text, as Docker's resolveImage
	// gives; nothing is asked of the service.
	for _, target := range []string{
		"/images/get?names=alpine&names=Team/App",
		"/images/Team/App/get",
		"/images//get",
		"/images/get?names=",
	} {
		f := newTransferFixture()
		w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodGet, target, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, target)
		assert.Contains(t, w.Body.String(), `"invalid reference format`, target)
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		assert.Zero(t, f.count("save"), target)
	}
}

// TestSaveErrors: an error before the archive's first byte is an HTTP error; one after it
// is a JSON line appended inside the tar stream, status 200 (spec §1.6).
func TestSaveErrors(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
	}{
		{errdefs.ErrNotFound.WithMessage("No such image: foo:1"), 404},
		{errdefs.ErrNotFound.WithMessage("no suitable export target found: image with reference foo:1 was found but does not provide the specified platform (linux/arm64/v8)"), 404},
		{errdefs.ErrConflict.WithMessage("no suitable export target found: multiple manifests found for platform linux/amd64"), 409},
		{errors.New("unable to create manifests file: content digest sha256:1: not found"), 500},
	} {
		t.Run(tt.err.Error(), func(t *testing.T) {
			f := newTransferFixture()
			f.saveFn = func(context.Context, imagesvc.SaveRequest, io.Writer) error { return tt.err }
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
			w := request(t, h, http.MethodGet, "/images/get?names=foo:1", nil)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, `{"message":`+jsonString(tt.err.Error())+`}`+"\n", w.Body.String())
		})
	}

	// A failure while the blobs are written: the archive so far, then the error line.
	part := tarOf(map[string]string{"index.json": `{"schemaVersion":2}`})
	part = part[:len(part)-1024] // no end-of-archive blocks: the archive is cut
	f := newTransferFixture()
	f.saveFn = func(_ context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
		if _, err := w.Write(part); err != nil {
			return err
		}
		return errdefs.ErrInternal.WithMessage("failed to copy blob sha256:1: read: input/output error")
	}
	var logs bytes.Buffer
	h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	w := request(t, h, http.MethodGet, "/images/foo/get", nil)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/x-tar", w.Header().Get("Content-Type"))
	want := string(part) + `{"error":"failed to copy blob sha256:1: read: input/output error","errorDetail":{"message":"failed to copy blob sha256:1: read: input/output error"}}` + "\r\n"
	assert.Equal(t, want, w.Body.String())
	assert.Contains(t, logs.String(), "input/output error", "a server-side failure in the stream is logged")

	// The client's tar reader reads the entries written, then fails on the error line.
	tr := tar.NewReader(bytes.NewReader(w.Body.Bytes()))
	hdr, err := tr.Next()
	require.NoError(t, err)
	assert.Equal(t, "index.json", hdr.Name)
	_, err = io.Copy(io.Discard, tr)
	require.NoError(t, err)
	_, err = tr.Next()
	assert.Error(t, err)
}

// TestSaveStreams: the archive reaches the client while the backend still writes it;
// nothing of it is held by the adapter.
func TestSaveStreams(t *testing.T) {
	f := newTransferFixture()
	first := bytes.Repeat([]byte("a"), 100)
	proceed := make(chan struct{})
	f.saveFn = func(ctx context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
		if _, err := w.Write(first); err != nil {
			return err
		}
		select {
		case <-proceed:
		case <-ctx.Done():
			return ctx.Err()
		}
		_, err := w.Write([]byte("rest"))
		return err
	}
	srv := httptest.NewServer(httpadapter.New(f, httpadapter.Options{}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/images/get?names=foo")
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "application/x-tar", res.Header.Get("Content-Type"))
	got := make([]byte, len(first))
	_, err = io.ReadFull(res.Body, got) // before the backend is let go on
	require.NoError(t, err)
	assert.Equal(t, first, got)
	close(proceed)
	rest, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, "rest", string(rest))
}

// TestSaveClientGone: a client that goes away cancels the save's context.
func TestSaveClientGone(t *testing.T) {
	f := newTransferFixture()
	ended := make(chan error, 1)
	f.saveFn = func(ctx context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
		chunk := make([]byte, 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				ended <- err
				return err
			}
			if ctx.Err() != nil {
				ended <- ctx.Err()
				return ctx.Err()
			}
		}
	}
	srv := httptest.NewServer(httpadapter.New(f, httpadapter.Options{}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/images/get?names=foo", nil)
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	_, err = io.ReadFull(res.Body, make([]byte, 64<<10))
	require.NoError(t, err)
	cancel()
	_ = res.Body.Close()
	select {
	case err := <-ended:
		assert.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the save did not end when its client went away")
	}
}

func TestLoad(t *testing.T) {
	archive := tarOf(map[string]string{"manifest.json": "[]"})
	f := newTransferFixture()
	f.loadFn = func(_ context.Context, req imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
		body, err := io.ReadAll(req.Source)
		f.mu.Lock()
		f.loadBody = body
		f.mu.Unlock()
		return []imagesvc.LoadedImage{
			{Name: "reg.example:5000/team/app:1.0", ID: digestX},
			{Name: "ocidir://oci/x@" + digestX, ID: digestX},
			{ID: digestX},
		}, err
	}
	w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/load?quiet=1", bytes.NewReader(archive))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, archive, f.loadBody)
	assert.Equal(t, `{"stream":"Loaded image: reg.example:5000/team/app:1.0\n"}`+"\r\n"+
		`{"stream":"Loaded image: ocidir://oci/x@`+digestX+`\n"}`+"\r\n"+
		`{"stream":"Loaded image ID: `+digestX+`\n"}`+"\r\n", w.Body.String())

	// Nothing loaded and no error: an empty JSON answer.
	f = newTransferFixture()
	f.loadFn = func(context.Context, imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) { return nil, nil }
	w = request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/load", bytes.NewReader(archive))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Empty(t, w.Body.String())
}

// TestLoadErrors: every backend error is in-stream under status 200, after the records
// loaded with it (spec §7.4, §7.5); parameter errors are 400.
func TestLoadErrors(t *testing.T) {
	loaded := []imagesvc.LoadedImage{{Name: "foo:latest", ID: digestX}}
	for _, tt := range []struct {
		name   string
		loaded []imagesvc.LoadedImage
		err    error
		want   string
	}{
		{"empty body", nil, errdefs.ErrInvalidArgument.WithMessage("unrecognized image format"),
			`{"error":"unrecognized image format","errorDetail":{"message":"unrecognized image format"}}` + "\r\n"},
		{"store", nil, errdefs.ErrInternal.WithMessage("write /var/lib: no space left on device"),
			`{"error":"write /var/lib: no space left on device","errorDetail":{"message":"write /var/lib: no space left on device"}}` + "\r\n"},
		{"platform after the import", loaded, errdefs.ErrNotFound.WithMessage("image foo:latest was loaded, but doesn't provide the requested platform ([linux/arm/v5])"),
			`{"stream":"Loaded image: foo:latest\n"}` + "\r\n" +
				`{"error":"image foo:latest was loaded, but doesn't provide the requested platform ([linux/arm/v5])","errorDetail":{"message":"image foo:latest was loaded, but doesn't provide the requested platform ([linux/arm/v5])"}}` + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newTransferFixture()
			f.loadFn = func(context.Context, imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) { return tt.loaded, tt.err }
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
			w := request(t, h, http.MethodPost, "/images/load", strings.NewReader(""))
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, tt.want, w.Body.String())
		})
	}

	// Parameter errors are HTTP errors, the body unread.
	f := newTransferFixture()
	w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/load?x=%zz", strings.NewReader("x"))
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, `{"message":"invalid URL escape \"%zz\""}`+"\n", w.Body.String())
	assert.Zero(t, f.count("load"))
}

// TestLoadBound: a body over MaxImportSize is 413, as for an import, whatever the backend
// made of the failed read; so is the backend's own bound (ResourceExhausted).
func TestLoadBound(t *testing.T) {
	f := newTransferFixture() // the default Load reads everything and reports read errors
	h := httpadapter.New(f, httpadapter.Options{MaxImportSize: 1000})
	w := request(t, h, http.MethodPost, "/images/load", bytes.NewReader(make([]byte, 1001)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Equal(t, `{"message":"request body too large: the limit is 1000 bytes"}`+"\n", w.Body.String())
	assert.Len(t, f.loadBody, 1000, "the backend read up to the bound")

	w = request(t, h, http.MethodPost, "/images/load", bytes.NewReader(make([]byte, 1000)))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `{"stream":"Loaded image: foo:latest\n"}`+"\r\n", w.Body.String())

	f = newTransferFixture()
	f.loadFn = func(context.Context, imagesvc.LoadRequest) ([]imagesvc.LoadedImage, error) {
		return nil, errdefs.ErrResourceExhausted.WithMessage("archive too large: more than 10 bytes once decompressed")
	}
	w = request(t, httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)}), http.MethodPost, "/images/load", strings.NewReader("x"))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Equal(t, `{"message":"archive too large: more than 10 bytes once decompressed"}`+"\n", w.Body.String())
}

func TestPushParameters(t *testing.T) {
	tests := []struct {
		target   string
		ref      string
		platform *ocispec.Platform
	}{
		{"/images/foo/push", "docker.io/library/foo", nil},
		{"/images/foo/push?tag=1", "docker.io/library/foo:1", nil},
		{"/images/foo:2/push?tag=1", "docker.io/library/foo:1", nil}, // the tag replaces
		{"/images/foo:2/push", "docker.io/library/foo:2", nil},
		{"/images/foo@" + digestX + "/push", "docker.io/library/foo@" + digestX, nil},
		{"/images/reg:5000/team/app/push?tag=v1", "reg:5000/team/app:v1", nil},
		{"/v1.46/images/foo/push?tag=1&platform=" + amd64JSON, "docker.io/library/foo:1", &amd64},
		{"/v1.46/images/foo/push?tag=1&platform=" + armJSON + "&platform=" + amd64JSON, "docker.io/library/foo:1", &arm64v8},
		{"/images/foo/push?tag=1&platform=", "docker.io/library/foo:1", nil},
		{"/v1.45/images/foo/push?tag=1&platform=bad", "docker.io/library/foo:1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newTransferFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, tt.target, nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, tt.ref, f.pushReq.Ref.String())
			assert.Equal(t, tt.platform, f.pushReq.Platform)
			assert.Nil(t, f.pushReq.Auth)
		})
	}
}

func TestPushAuth(t *testing.T) {
	enc := func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }
	f := newTransferFixture()
	h := httpadapter.New(f, httpadapter.Options{})
	w := request(t, h, http.MethodPost, "/images/foo/push?tag=1", nil,
		"X-Registry-Auth", enc(`{"username":"u","password":"p","serveraddress":"reg:5000"}`))
	require.Equal(t, http.StatusOK, w.Code)
	require.NotNil(t, f.pushReq.Auth)
	assert.Equal(t, "u", f.pushReq.Auth.Username)
	assert.Equal(t, "p", f.pushReq.Auth.Password)

	// Credentials that do not decode are ignored: the push goes on without them.
	for _, bad := range []string{"%%%", enc("not json"), enc(`{"username":1}`)} {
		f := newTransferFixture()
		w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/foo/push?tag=1", nil, "X-Registry-Auth", bad)
		require.Equal(t, http.StatusOK, w.Code, bad)
		assert.Equal(t, 1, f.count("push"))
		assert.Nil(t, f.pushReq.Auth, bad)
	}
}

func TestPushErrors(t *testing.T) {
	tests := []struct {
		target, msg string
	}{
		{"/images/Team/App/push?tag=1", "invalid reference format: repository name (App) must be lowercase"},
		{"/images/Team/App/push", "invalid reference format: repository name (App) must be lowercase"},
		{"/images/foo@" + digestX + "/push?tag=1", "cannot import digest reference"},
		{"/images/foo/push?tag=Bad:tag", "invalid tag format"},
		{"/images//push?tag=1", "invalid reference format"},
		{"/images//push", "invalid reference format"},
		{"/v1.46/images/foo/push?platform=no", "failed to parse platform: invalid character 'o' in literal null (expecting 'u')"},
		{"/v1.46/images/foo/push?platform=" + url.QueryEscape(`{"os":"linux"}`), "both OS and Architecture must be provided"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newTransferFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, tt.target, nil)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Equal(t, `{"message":`+jsonString(tt.msg)+`}`+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Zero(t, f.count("push"))
		})
	}
}

// TestPushStream pins the push stream: progress records as a pull's, aux records with
// Docker's field names, the final digest record, errors in-stream after the first record
// and an HTTP error before it.
func TestPushStream(t *testing.T) {
	index := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digestX, Size: 500,
		Annotations: map[string]string{"io.containerd.image.name": "reg.example:5000/team/multi:1"}}
	manifest := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digestX, Size: 400, Platform: &amd64}
	f := newTransferFixture()
	f.pushFn = func(_ context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
		progress.Report(imagesvc.PushRefersTo(req.Ref))
		progress.Report(imagesvc.ProgressEvent{Aux: &imagesvc.PushAux{ManifestPushedInsteadOfIndex: true, OriginalIndex: &index, SelectedManifest: &manifest}})
		progress.Report(imagesvc.ProgressEvent{ID: "0123456789ab", Status: imagesvc.StatusWaiting, Detail: &imagesvc.ProgressDetail{}})
		progress.Report(imagesvc.ProgressEvent{ID: "0123456789ab", Status: imagesvc.StatusPushing, Detail: &imagesvc.ProgressDetail{Current: 10, Total: 20}})
		progress.Report(imagesvc.ProgressEvent{ID: "0123456789ab", Status: imagesvc.StatusPushed, Detail: &imagesvc.ProgressDetail{}})
		progress.Report(imagesvc.ProgressEvent{ID: "ba9876543210", Status: imagesvc.MountedFrom("library/alpine"), Detail: &imagesvc.ProgressDetail{}})
		progress.Report(imagesvc.PushDigest("1", manifest))
		return nil
	}
	w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/reg.example:5000/team/multi/push?tag=1", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, strings.Join([]string{
		`{"status":"The push refers to repository [reg.example:5000/team/multi]"}`,
		`{"progressDetail":{},"aux":{"manifestPushedInsteadOfIndex":true,"originalIndex":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"` + digestX + `","size":500,"annotations":{"io.containerd.image.name":"reg.example:5000/team/multi:1"}},"selectedManifest":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + digestX + `","size":400,"platform":{"architecture":"amd64","os":"linux"}}}}`,
		`{"status":"Waiting","progressDetail":{},"id":"0123456789ab"}`,
		`{"status":"Pushing","progressDetail":{"current":10,"total":20},"id":"0123456789ab"}`,
		`{"status":"Pushed","progressDetail":{},"id":"0123456789ab"}`,
		`{"status":"Mounted from library/alpine","progressDetail":{},"id":"ba9876543210"}`,
		`{"status":"1: digest: ` + digestX + ` size: 400"}`,
		``}, "\r\n"), w.Body.String())

	// Content missing: its aux, then the NotFound error, in-stream under 200.
	f = newTransferFixture()
	f.pushFn = func(_ context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
		progress.Report(imagesvc.PushRefersTo(req.Ref))
		progress.Report(imagesvc.ProgressEvent{Aux: &imagesvc.PushAux{ContentMissing: true, Desc: &manifest}})
		return errdefs.ErrNotFound.WithMessage("missing content: " + digestX)
	}
	w = request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/foo/push?tag=1", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, strings.Join([]string{
		`{"status":"The push refers to repository [docker.io/library/foo]"}`,
		`{"progressDetail":{},"aux":{"contentMissing":true,"desc":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + digestX + `","size":400,"platform":{"architecture":"amd64","os":"linux"}}}}`,
		`{"error":"missing content: ` + digestX + `","errorDetail":{"message":"missing content: ` + digestX + `"}}`,
		``}, "\r\n"), w.Body.String())

	// Registry refusals are in-stream too: a 401 from the registry is not an HTTP 401.
	f = newTransferFixture()
	const denied = "push access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials"
	f.pushFn = func(_ context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
		progress.Report(imagesvc.PushRefersTo(req.Ref))
		return errdefs.ErrUnauthenticated.WithMessage(denied)
	}
	w = request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/foo/push?tag=1", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.True(t, strings.HasSuffix(w.Body.String(), `{"error":"`+denied+`","errorDetail":{"message":"`+denied+`"}}`+"\r\n"), w.Body.String())

	// A backend that fails before its first event: an ordinary HTTP error.
	f = newTransferFixture()
	f.pushFn = func(context.Context, imagesvc.PushRequest, imagesvc.ProgressFunc) error {
		return errdefs.ErrNotFound.WithMessage("tag does not exist: foo:1")
	}
	w = request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/foo/push?tag=1", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, `{"message":"tag does not exist: foo:1"}`+"\n", w.Body.String())
}

// TestSDKTransfer drives the three endpoints with the official Go SDK.
func TestSDKTransfer(t *testing.T) {
	ctx := context.Background()
	f := newTransferFixture()
	archive := tarOf(map[string]string{"index.json": `{"schemaVersion":2}`, "oci-layout": `{"imageLayoutVersion":"1.0.0"}`})
	f.saveFn = func(_ context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
		_, err := w.Write(archive)
		return err
	}
	c := sdkClient(t, f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})

	rc, err := sdkSave(ctx, c, []string{"foo:1", "bar"}, amd64, arm64v8)
	require.NoError(t, err)
	assert.Equal(t, archive, rc)
	assert.Equal(t, []string{"foo:1", "bar"}, refStrings(f.saveReq.Refs))
	assert.Equal(t, []ocispec.Platform{amd64, arm64v8}, f.saveReq.Platforms)

	// The in-tar error makes the SDK's reader of the archive fail.
	f.saveFn = func(_ context.Context, _ imagesvc.SaveRequest, w io.Writer) error {
		if _, err := w.Write(archive[:1024]); err != nil {
			return err
		}
		return errors.New("failed to copy blob")
	}
	rc, err = sdkSave(ctx, c, []string{"foo:1"})
	require.NoError(t, err, "the error comes after the first byte")
	tr := tar.NewReader(bytes.NewReader(rc))
	for err == nil {
		_, err = tr.Next()
	}
	assert.NotEqual(t, io.EOF, err, "the archive does not end cleanly")
	assert.Contains(t, string(rc), `"error":"failed to copy blob"`)

	// Before the first byte: the SDK returns the HTTP error with its class.
	f.saveFn = func(context.Context, imagesvc.SaveRequest, io.Writer) error {
		return errdefs.ErrNotFound.WithMessage("No such image: foo:1")
	}
	_, err = sdkSave(ctx, c, []string{"foo:1"})
	require.Error(t, err)
	assert.True(t, errdefs.IsNotFound(err), err)
	assert.Contains(t, err.Error(), "No such image: foo:1")

	// Load: the body arrives, the records come back.
	res, err := c.ImageLoad(ctx, bytes.NewReader(archive), sdkLoadPlatforms(amd64))
	require.NoError(t, err)
	out, err := io.ReadAll(res)
	require.NoError(t, err)
	_ = res.Close()
	assert.Equal(t, `{"stream":"Loaded image: foo:latest\n"}`+"\r\n", string(out))
	assert.Equal(t, archive, f.loadBody)
	assert.Equal(t, []ocispec.Platform{amd64}, f.loadReq.Platforms)

	// Push: the SDK sends the repository and the tag; its message iterator sees the aux
	// and the in-stream error.
	manifest := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digestX, Size: 400}
	f.pushFn = func(_ context.Context, req imagesvc.PushRequest, progress imagesvc.ProgressFunc) error {
		progress.Report(imagesvc.PushRefersTo(req.Ref))
		progress.Report(imagesvc.ProgressEvent{Aux: &imagesvc.PushAux{ContentMissing: true, Desc: &manifest}})
		return errdefs.ErrNotFound.WithMessage("content missing")
	}
	auth := base64.URLEncoding.EncodeToString([]byte(`{"username":"u","password":"p"}`))
	push, err := sdkPush(ctx, c, "reg.example:5000/team/app:v1", auth, &amd64)
	require.NoError(t, err)
	var msgs []string
	var auxes []json.RawMessage
	var streamErr error
	for m, err := range push.JSONMessages(ctx) {
		if err != nil {
			streamErr = err
			break
		}
		if m.Error != nil {
			streamErr = m.Error
			break
		}
		if m.Aux != nil {
			auxes = append(auxes, *m.Aux)
			continue
		}
		msgs = append(msgs, m.Status)
	}
	_ = push.Close()
	assert.Equal(t, []string{"The push refers to repository [reg.example:5000/team/app]"}, msgs)
	require.Len(t, auxes, 1)
	var cm struct {
		ContentMissing bool               `json:"contentMissing"`
		Desc           ocispec.Descriptor `json:"desc"`
	}
	require.NoError(t, json.Unmarshal(auxes[0], &cm))
	assert.True(t, cm.ContentMissing)
	assert.Equal(t, manifest, cm.Desc)
	require.Error(t, streamErr)
	assert.Contains(t, streamErr.Error(), "content missing")
	assert.Equal(t, "reg.example:5000/team/app:v1", f.pushReq.Ref.String())
	assert.Equal(t, &amd64, f.pushReq.Platform)
	require.NotNil(t, f.pushReq.Auth)
	assert.Equal(t, "u", f.pushReq.Auth.Username)
	_, ok := f.pushReq.Ref.(reference.Tagged)
	assert.True(t, ok)
}

// sdkSave saves names with the SDK and returns the whole archive.
func sdkSave(ctx context.Context, c *client.Client, names []string, platforms ...ocispec.Platform) ([]byte, error) {
	var opts []client.ImageSaveOption
	if len(platforms) > 0 {
		opts = append(opts, client.ImageSaveWithPlatforms(platforms...))
	}
	rc, err := c.ImageSave(ctx, names, opts...)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func sdkLoadPlatforms(platforms ...ocispec.Platform) client.ImageLoadOption {
	return client.ImageLoadWithPlatforms(platforms...)
}

func sdkPush(ctx context.Context, c *client.Client, ref, auth string, platform *ocispec.Platform) (client.ImagePushResponse, error) {
	return c.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: auth, Platform: platform})
}
