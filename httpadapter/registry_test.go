package httpadapter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// registryFixture adds the registry capabilities (login, distribution inspect) to the
// fixture. It pins what the adapter passes and how it renders; the registry flows are
// tested on the real backends and end to end through examples/imaged.
type registryFixture struct {
	*fixture

	mu       sync.Mutex
	token    string
	loginErr error
	info     *imagesvc.DistributionInfo
	distErr  error

	logins   int
	auth     imagesvc.AuthConfig
	inspects int
	ref      reference.Named
	distAuth *imagesvc.AuthConfig
}

var (
	_ imagesvc.RegistryAuthenticator = (*registryFixture)(nil)
	_ imagesvc.DistributionInspector = (*registryFixture)(nil)
)

func newRegistryFixture() *registryFixture { return &registryFixture{fixture: newFixture()} }

func (f *registryFixture) Login(_ context.Context, auth imagesvc.AuthConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logins++
	f.auth = auth
	return f.token, f.loginErr
}

func (f *registryFixture) DistributionInspect(_ context.Context, ref reference.Named, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inspects++
	f.ref, f.distAuth = ref, auth
	return f.info, f.distErr
}

func TestRegistryNotImplemented(t *testing.T) {
	for _, tt := range []struct {
		method, target, msg string
	}{
		{"POST", "/auth", "registry login is not implemented by this image service"},
		{"POST", "/v1.41/auth", "registry login is not implemented by this image service"},
		{"GET", "/distribution/alpine:3.20/json", "distribution inspect is not implemented by this image service"},
		{"GET", "/v1.30/distribution/" + digestX + "/json", "distribution inspect is not implemented by this image service"},
	} {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := request(t, httpadapter.New(newFixture(), httpadapter.Options{}), tt.method, tt.target, strings.NewReader(`{"username":"u","password":"p"}`))
			assert.Equal(t, http.StatusNotImplemented, w.Code)
			assert.Equal(t, `{"message":"`+tt.msg+`"}`+"\n", w.Body.String())
			assert.Equal(t, "1.56", w.Header().Get("Api-Version"))
		})
	}
	// The route's version gate comes first, with Docker's route path.
	w := request(t, httpadapter.New(newFixture(), httpadapter.Options{}), "GET", "/v1.29/distribution/alpine/json", nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, `{"message":"GET /distribution/{name:.*}/json requires minimum API version 1.30"}`+"\n", w.Body.String())
}

func TestLogin(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		for _, tt := range []struct {
			token, body string
		}{
			{"", `{"Status":"Login Succeeded"}`},
			{"9cbaf023786cd7", `{"IdentityToken":"9cbaf023786cd7","Status":"Login Succeeded"}`},
		} {
			f := newRegistryFixture()
			f.token = tt.token
			body := `{"username":"u","password":"p<&>","serveraddress":"127.0.0.1:5000","email":"ignored@example.com"}`
			w := request(t, httpadapter.New(f, httpadapter.Options{}), "POST", "/v1.24/auth", strings.NewReader(body))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, tt.body+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, imagesvc.AuthConfig{Username: "u", Password: "p<&>", ServerAddress: "127.0.0.1:5000"}, f.auth)
		}
	})
	t.Run("bad bodies", func(t *testing.T) {
		for _, tt := range []struct {
			body   string
			status int
			msg    string
		}{
			{"", 400, "invalid X-Registry-Auth header: invalid JSON: EOF"},
			{"not json", 400, "invalid X-Registry-Auth header: invalid JSON: invalid character 'o' in literal null (expecting 'u')"},
			{`{"username":"u"}{"username":"v"}`, 400, "invalid X-Registry-Auth header: multiple JSON documents not allowed"},
			{`{"username":1}`, 400, "invalid X-Registry-Auth header: invalid JSON: json: cannot unmarshal number into Go struct field AuthConfig.username of type string"},
			{`{"username":"` + strings.Repeat("u", 2<<20) + `"}`, 413, "request body too large: the limit is 1048576 bytes"},
		} {
			f := newRegistryFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), "POST", "/auth", strings.NewReader(tt.body))
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, `{"message":`+jsonString(tt.msg)+`}`+"\n", w.Body.String())
			assert.Zero(t, f.logins, "the service is not called")
		}
	})
	t.Run("errors by class, secrets not logged", func(t *testing.T) {
		for _, tt := range []struct {
			err    error
			status int
		}{
			{errdefs.ErrUnauthenticated.WithMessage("login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized"), 401},
			{errdefs.ErrInvalidArgument.WithMessage("invalid registry address"), 400},
			{errdefs.ErrUnavailable.WithMessage("dial tcp 127.0.0.1:1: connect: connection refused"), 503},
			{errdefs.ErrUnknown.WithMessage("something else"), 500},
		} {
			f := newRegistryFixture()
			f.loginErr = tt.err
			var logs bytes.Buffer
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			w := request(t, h, "POST", "/auth", strings.NewReader(`{"username":"u","password":"hunter2","auth":"dTpodW50ZXIy"}`))
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, `{"message":`+jsonString(tt.err.Error())+`}`+"\n", w.Body.String())
			assert.NotContains(t, logs.String(), "hunter2")
			assert.NotContains(t, logs.String(), "dTpodW50ZXIy")
		}
	})
}

func TestDistributionInspect(t *testing.T) {
	authHeader := base64.URLEncoding.EncodeToString([]byte(`{"username":"u","password":"p"}`))
	t.Run("names and credentials", func(t *testing.T) {
		for _, tt := range []struct {
			target string
			header string
			want   string // the reference the service got
			auth   *imagesvc.AuthConfig
		}{
			{"/distribution/alpine/json", "", "docker.io/library/alpine", nil},
			{"/v1.30/distribution/alpine:3.20/json", "", "docker.io/library/alpine:3.20", nil},
			{"/distribution/127.0.0.1:5000/private/x:1/json", authHeader, "127.0.0.1:5000/private/x:1", &imagesvc.AuthConfig{Username: "u", Password: "p"}},
			{"/distribution/reg/a/b@" + digestX + "/json", "e30=", "docker.io/reg/a/b@" + digestX, nil},
			{"/distribution/reg:5000/a:1@" + digestX + "/json", "%%%", "reg:5000/a:1@" + digestX, nil},
			{"/distribution/json/json", "", "docker.io/library/json", nil},
		} {
			f := newRegistryFixture()
			f.info = &imagesvc.DistributionInfo{}
			w := request(t, httpadapter.New(f, httpadapter.Options{}), "GET", tt.target, nil, "X-Registry-Auth", tt.header)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.NotNil(t, f.ref)
			assert.Equal(t, tt.want, f.ref.String(), tt.target)
			assert.Equal(t, tt.auth, f.distAuth, tt.target)
		}
	})
	t.Run("bad names", func(t *testing.T) {
		for _, tt := range []struct {
			target string
			status int
			msg    string
		}{
			{"/distribution/" + digestX + "/json", 500, "no manifest found for full image ID"},
			{"/distribution/" + strings.TrimPrefix(digestX, "sha256:") + "/json", 500, "no manifest found for full image ID"},
			{"/distribution/Team/App/json", 400, "invalid reference format: repository name (App) must be lowercase"},
			{"/distribution//json", 400, "invalid reference format"},
			{"/distribution/a:b:c/json", 400, "invalid reference format"},
			{"/distribution/a/json?x=%zz", 400, `invalid URL escape "%zz"`},
		} {
			f := newRegistryFixture()
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
			w := request(t, h, "GET", tt.target, nil)
			assert.Equal(t, tt.status, w.Code, tt.target)
			assert.Equal(t, `{"message":`+jsonString(tt.msg)+`}`+"\n", w.Body.String(), tt.target)
			assert.Zero(t, f.inspects)
		}
	})
	t.Run("errors by class", func(t *testing.T) {
		for _, tt := range []struct {
			err    error
			status int
		}{
			{errdefs.ErrNotFound.WithMessage("127.0.0.1:5000/x:nope: not found"), 404},
			{errdefs.ErrUnauthenticated.WithMessage("pull access denied"), 401},
			{errdefs.ErrInvalidArgument.WithMessage("schema 1 is not supported"), 400},
			{errdefs.ErrUnavailable.WithMessage("connection refused"), 503},
		} {
			f := newRegistryFixture()
			f.distErr = tt.err
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
			w := request(t, h, "GET", "/distribution/127.0.0.1:5000/x:nope/json", nil)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, `{"message":`+jsonString(tt.err.Error())+`}`+"\n", w.Body.String())
		}
	})
	t.Run("rendering", func(t *testing.T) {
		d := digest.Digest(digestX)
		for _, tt := range []struct {
			name string
			info *imagesvc.DistributionInfo
			body string
		}{
			{"index", &imagesvc.DistributionInfo{
				Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: d, Size: 1234,
					Annotations: map[string]string{"a": "b"}, Platform: &ocispec.Platform{OS: "linux"}},
				Platforms: []ocispec.Platform{
					{OS: "linux", Architecture: "amd64"},
					{OS: "linux", Architecture: "arm64", Variant: "v8"},
					{OS: "windows", Architecture: "amd64", OSVersion: "10.0.20348.2227"},
				},
			}, `{"Descriptor":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"` + digestX + `","size":1234},` +
				`"Platforms":[{"architecture":"amd64","os":"linux"},{"architecture":"arm64","os":"linux","variant":"v8"},{"architecture":"amd64","os":"windows","os.version":"10.0.20348.2227"}]}`},
			{"no platforms", &imagesvc.DistributionInfo{
				Descriptor: ocispec.Descriptor{MediaType: "application/vnd.docker.distribution.manifest.v2+json", Digest: d, Size: 527},
				Platforms:  []ocispec.Platform{},
			}, `{"Descriptor":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"` + digestX + `","size":527},"Platforms":null}`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f := newRegistryFixture()
				f.info = tt.info
				w := request(t, httpadapter.New(f, httpadapter.Options{}), "GET", "/distribution/x/json", nil)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Equal(t, tt.body+"\n", w.Body.String())
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			})
		}
		t.Run("nil", func(t *testing.T) {
			f := newRegistryFixture()
			f.info = nil
			w := request(t, httpadapter.New(f, httpadapter.Options{}), "GET", "/distribution/x/json", nil)
			require.Equal(t, http.StatusInternalServerError, w.Code, "a service that answers nothing: %s", w.Body.String())
		})
	})
}
