package httpadapter_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// lifecycleFixture adds the optional lifecycle capabilities to the fixture. It pins only
// what the adapter does: the parameters it passes, the statuses and the rendering. Docker's
// rules for each operation are tested on the real backends (imagesvctest, internal/model)
// and end to end through examples/imaged.
type lifecycleFixture struct {
	*fixture

	mu sync.Mutex
	// What each operation answers.
	removeOut  []imagesvc.DeleteResponse
	removeErr  error
	tagErr     error
	pruneOut   *imagesvc.PruneReport
	pruneErr   error
	historyOut []imagesvc.HistoryItem
	historyErr error
	panicOn    string // "remove"

	// What the adapter asked for, and how often.
	calls       map[string]int
	removeRef   imagesvc.ImageRef
	removeOpts  imagesvc.RemoveOptions
	tagSource   imagesvc.ImageRef
	tagTarget   reference.NamedTagged
	pruneOpts   imagesvc.PruneOptions
	historyRef  imagesvc.ImageRef
	historyOpts imagesvc.HistoryOptions
}

var (
	_ imagesvc.Remover   = (*lifecycleFixture)(nil)
	_ imagesvc.Tagger    = (*lifecycleFixture)(nil)
	_ imagesvc.Pruner    = (*lifecycleFixture)(nil)
	_ imagesvc.Historian = (*lifecycleFixture)(nil)
)

func newLifecycleFixture() *lifecycleFixture {
	return &lifecycleFixture{fixture: newFixture(), calls: map[string]int{}}
}

func (f *lifecycleFixture) Remove(_ context.Context, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["remove"]++
	f.removeRef, f.removeOpts = ref, opts
	if f.panicOn == "remove" {
		panic("fixture: remove panics")
	}
	return f.removeOut, f.removeErr
}

func (f *lifecycleFixture) Tag(_ context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["tag"]++
	f.tagSource, f.tagTarget = source, target
	return f.tagErr
}

// Prune validates the options as a backend must (the adapter passes the filters on
// unvalidated, so that a running prune is reported first).
func (f *lifecycleFixture) Prune(_ context.Context, opts imagesvc.PruneOptions) (*imagesvc.PruneReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["prune"]++
	f.pruneOpts = opts
	if f.pruneErr != nil {
		return nil, f.pruneErr
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return f.pruneOut, nil
}

func (f *lifecycleFixture) History(_ context.Context, ref imagesvc.ImageRef, opts imagesvc.HistoryOptions) ([]imagesvc.HistoryItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["history"]++
	f.historyRef, f.historyOpts = ref, opts
	return f.historyOut, f.historyErr
}

func (f *lifecycleFixture) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

const digestX = "sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"

// TestLifecycleRouting pins the route table: which operation a path reaches and the name
// it carries, "/", ":" and "@" included, with and without a version prefix.
func TestLifecycleRouting(t *testing.T) {
	tests := []struct {
		method, target string
		status         int
		op, name       string // the operation reached and the name it was given
	}{
		{"DELETE", "/v1.47/images/localhost:5000/a/b@" + digestX, 200, "remove", "localhost:5000/a/b@" + digestX},
		{"DELETE", "/images/alpine", 200, "remove", "alpine"},
		{"DELETE", "/images/" + digestX, 200, "remove", digestX},
		{"DELETE", "/images/9f8e7d6c5b4a", 200, "remove", "9f8e7d6c5b4a"},
		{"DELETE", "/images/alpine/json", 200, "remove", "alpine/json"},
		{"DELETE", "/images/json", 200, "remove", "json"},
		{"DELETE", "/images/prune", 200, "remove", "prune"},
		{"DELETE", "/images/reg%2Fx:1", 200, "remove", "reg/x:1"},
		{"GET", "/images/reg/x:1/history", 200, "history", "reg/x:1"},
		{"GET", "/v1.41/images/localhost:5000/a/b@" + digestX + "/history", 200, "history", "localhost:5000/a/b@" + digestX},
		{"GET", "/images/a/json/history", 200, "history", "a/json"},
		{"GET", "/images/history/history", 200, "history", "history"},
		{"GET", "/images/a/history/json", 404, "inspect", "a/history"},
		{"POST", "/images/reg:5000/x/y:1/tag?repo=z", 201, "tag", "reg:5000/x/y:1"},
		{"POST", "/v1.50/images/x@" + digestX + "/tag?repo=z", 201, "tag", "x@" + digestX},
		{"POST", "/images/prune/tag?repo=z", 201, "tag", "prune"},
		{"POST", "/images/prune", 200, "prune", ""},
		{"POST", "/v1.25/images/prune", 200, "prune", ""},
		{"GET", "/images/prune", 404, "", ""},
		{"GET", "/images/x/tag", 404, "", ""},
		{"POST", "/images/x/history", 404, "", ""},
		{"PUT", "/images/x", 404, "", ""},
		{"DELETE", "/containers/x", 404, "", ""},
		{"POST", "/images/x/tag/extra", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			f := newLifecycleFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), tt.method, tt.target, nil)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			var got string
			switch tt.op {
			case "remove":
				got = f.removeRef.String()
			case "history":
				got = f.historyRef.String()
			case "tag":
				got = f.tagSource.String()
			case "inspect":
				got = f.last().inspectRef.String()
			case "prune":
				assert.Equal(t, 1, f.count("prune"))
			case "":
				assert.Equal(t, `{"message":"page not found"}`+"\n", w.Body.String())
				assert.Zero(t, f.count("remove")+f.count("tag")+f.count("prune")+f.count("history"))
			}
			assert.Equal(t, tt.name, got)
		})
	}
}

// TestLifecycleNotImplemented: a service without the capability answers 501 naming the
// operation, after the version checks.
func TestLifecycleNotImplemented(t *testing.T) {
	tests := []struct {
		method, target, msg string
	}{
		{"DELETE", "/images/alpine:3.20", "image remove is not implemented by this image service"},
		{"DELETE", "/v1.50/images/alpine?platforms=bad", "image remove is not implemented by this image service"},
		{"POST", "/images/alpine:3.20/tag?repo=x", "image tag is not implemented by this image service"},
		{"POST", "/images/alpine:3.20/tag", "image tag is not implemented by this image service"},
		{"POST", "/images/prune", "image prune is not implemented by this image service"},
		{"GET", "/v1.41/images/alpine:3.20/history", "image history is not implemented by this image service"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			var logs bytes.Buffer
			h := httpadapter.New(newFixture(), httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			w := request(t, h, tt.method, tt.target, nil)
			assert.Equal(t, http.StatusNotImplemented, w.Code)
			assert.Equal(t, `{"message":"`+tt.msg+`"}`+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, "1.56", w.Header().Get("Api-Version"))
		})
	}
	// The route's version gate comes first.
	w := request(t, httpadapter.New(newFixture(), httpadapter.Options{}), "POST", "/v1.24/images/prune", nil)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, `{"message":"POST /images/prune requires minimum API version 1.25"}`+"\n", w.Body.String())
}

func TestRemoveParameters(t *testing.T) {
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	amd64JSON := url.QueryEscape(`{"os":"linux","architecture":"amd64"}`)
	armJSON := url.QueryEscape(`{"os":"linux","architecture":"arm64","variant":"v8"}`)
	tests := []struct {
		target string
		want   imagesvc.RemoveOptions
	}{
		{"/images/foo", imagesvc.RemoveOptions{}},
		{"/images/foo?force=1&noprune=1", imagesvc.RemoveOptions{Force: true, NoPrune: true}},
		{"/images/foo?force=true&noprune=0", imagesvc.RemoveOptions{Force: true}},
		{"/images/foo?force=%20No%20&noprune=yes", imagesvc.RemoveOptions{NoPrune: true}},
		{"/images/foo?force=none&noprune=FALSE", imagesvc.RemoveOptions{}},
		{"/images/foo?force=anything", imagesvc.RemoveOptions{Force: true}},
		{"/v1.50/images/foo?force=1&platforms=" + amd64JSON, imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{amd64}}},
		{"/images/foo?force=1&platforms=" + amd64JSON + "&platforms=" + armJSON, imagesvc.RemoveOptions{Force: true, Platforms: []ocispec.Platform{amd64, arm}}},
		// Below 1.50 platforms is not read at all: not parsed, no force needed.
		{"/v1.49/images/foo?platforms=" + amd64JSON, imagesvc.RemoveOptions{}},
		{"/v1.49/images/foo?platforms=not-json&platforms=", imagesvc.RemoveOptions{}},
		{"/v1.24/images/foo?force=1&platforms=", imagesvc.RemoveOptions{Force: true}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newLifecycleFixture()
			f.removeOut = []imagesvc.DeleteResponse{{Untagged: "foo:latest"}}
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodDelete, tt.target, nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, tt.want, f.removeOpts)
			assert.Equal(t, "foo", f.removeRef.String())
		})
	}
}

func TestRemoveErrors(t *testing.T) {
	tests := []struct {
		target string
		status int
		msg    string
	}{
		{"/images/%20", 400, "image name cannot be blank"},
		{"/images/", 400, "image name cannot be blank"},
		{"/v1.50/images/%09?platforms=bad", 400, "image name cannot be blank"},
		{"/images/Team/App", 400, "invalid reference format: repository name (App) must be lowercase"},
		{"/images/foo:bad@tag", 400, "invalid reference format"},
		{"/v1.50/images/foo?force=1&platforms=", 400, "failed to parse platform: unexpected end of JSON input"},
		{"/v1.50/images/foo?force=1&platforms=no", 400, "failed to parse platform: invalid character 'o' in literal null (expecting 'u')"},
		{"/v1.50/images/foo?force=1&platforms=" + url.QueryEscape(`{"os":"linux","architecture":"amd64"}`) + "&platforms=", 400,
			"failed to parse platform: unexpected end of JSON input"},
		{"/v1.50/images/foo?force=1&platforms=" + url.QueryEscape(`{"os":"linux"}`), 400, "both OS and Architecture must be provided"},
		{"/v1.50/images/foo?force=1&platforms=" + url.QueryEscape(`{"variant":"v8"}`), 400, "optional platform fields provided, but OS and Architecture are missing"},
		// Without force, before the name is resolved (even a malformed one).
		{"/v1.50/images/Bad:Name?platforms=" + url.QueryEscape(`{"os":"linux","architecture":"amd64"}`), 400,
			"Content will be removed from all images referencing this variant. Use \u2014-force to force delete."},
		{"/images/foo?force=1&x=%zz", 400, `invalid URL escape "%zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newLifecycleFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodDelete, tt.target, nil)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, `{"message":`+jsonString(tt.msg)+`}`+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Zero(t, f.count("remove"), "the service is not called")
		})
	}

	// The service's errors, by class.
	for _, tt := range []struct {
		err    error
		status int
	}{
		{errdefs.ErrNotFound.WithMessage("No such image: nope:latest"), 404},
		{errdefs.ErrNotFound.WithMessage("ambiguous reference"), 404},
		{imagesvc.DeleteConflict("foo:latest", true, "container 3f1c2b0a9d8e is using its referenced image 9f8e7d6c5b4a"), 409},
		{imagesvc.DeleteConflict("9f8e7d6c5b4a", false, "image is being used by running container 3f1c2b0a9d8e"), 409},
		{errdefs.ErrInternal.WithMessage("consistency error: data changed during operation, retry"), 500},
	} {
		t.Run(tt.err.Error(), func(t *testing.T) {
			f := newLifecycleFixture()
			f.removeErr = tt.err
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
			w := request(t, h, http.MethodDelete, "/images/foo?force=1", nil)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, `{"message":`+jsonString(tt.err.Error())+`}`+"\n", w.Body.String())
		})
	}
}

func TestRemoveRendering(t *testing.T) {
	tests := []struct {
		name string
		out  []imagesvc.DeleteResponse
		body string
	}{
		{"untag and delete", []imagesvc.DeleteResponse{{Untagged: "foo:latest"}, {Untagged: "foo@" + digestX}, {Deleted: digestX}},
			`[{"Untagged":"foo:latest"},{"Untagged":"foo@` + digestX + `"},{"Deleted":"` + digestX + `"}]`},
		{"untag only", []imagesvc.DeleteResponse{{Untagged: "a/x:1"}}, `[{"Untagged":"a/x:1"}]`},
		{"a platform delete that deleted nothing", nil, `null`},
		{"empty is null too", []imagesvc.DeleteResponse{}, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLifecycleFixture()
			f.removeOut = tt.out
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodDelete, "/images/foo", nil)
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tt.body+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		})
	}
}

func TestTag(t *testing.T) {
	tests := []struct {
		target string
		source string // as given to the service
		want   string // the target, as given to the service
	}{
		{"/images/alpine:3.20/tag?repo=myrepo", "alpine:3.20", "docker.io/library/myrepo:latest"},
		{"/images/alpine:3.20/tag?repo=myrepo&tag=v1", "alpine:3.20", "docker.io/library/myrepo:v1"},
		{"/images/alpine/tag?repo=reg:5000/team/app:1&tag=2", "alpine", "reg:5000/team/app:2"},
		{"/images/alpine/tag?repo=reg:5000/team/app:1", "alpine", "reg:5000/team/app:1"},
		{"/images/alpine/tag?repo=app&tag=UPPER", "alpine", "docker.io/library/app:UPPER"},
		{"/images/9f8e7d6c5b4a/tag?repo=a", "9f8e7d6c5b4a", "docker.io/library/a:latest"},
		{"/v1.24/images/reg/x@" + digestX + "/tag?repo=a", "reg/x@" + digestX, "docker.io/library/a:latest"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newLifecycleFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, tt.target, nil)
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			assert.Empty(t, w.Body.String())
			assert.Empty(t, w.Header().Get("Content-Type"), "Docker's 201 has no Content-Type")
			assert.Equal(t, "1.56", w.Header().Get("Api-Version"))
			assert.Equal(t, tt.source, f.tagSource.String())
			require.NotNil(t, f.tagTarget)
			assert.Equal(t, tt.want, f.tagTarget.String())
		})
	}
}

func TestTagErrors(t *testing.T) {
	tests := []struct {
		target string
		status int
		msg    string
	}{
		// Our deliberate change: Docker answers 200 and does nothing.
		{"/images/alpine/tag", 400, "repository name must be given: the repo parameter is empty"},
		{"/images/alpine/tag?tag=x", 400, "repository name must be given: the repo parameter is empty"},
		{"/images/alpine/tag?repo=Team/App", 400, "invalid reference format: repository name (App) must be lowercase"},
		{"/images/alpine/tag?repo=app@" + digestX, 400, "cannot import digest reference"},
		{"/images/alpine/tag?repo=app&tag=a%20b", 400, "invalid tag format"},
		{"/images/alpine/tag?repo=sha256", 400, "refusing to create an ambiguous tag using digest algorithm as name"},
		// The target is checked before the source, and every source failure is a 404,
		// a malformed name included.
		{"/images/Bad:Name/tag?repo=Team/App", 400, "invalid reference format: repository name (App) must be lowercase"},
		{"/images/Bad:Name/tag?repo=a", 404, "invalid reference format: repository name (library/Bad) must be lowercase"},
		{"/images//tag?repo=a", 404, "invalid reference format"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newLifecycleFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, tt.target, nil)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, `{"message":`+jsonString(tt.msg)+`}`+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Zero(t, f.count("tag"), "the service is not called")
		})
	}
	for _, err := range []error{
		errdefs.ErrNotFound.WithMessage("No such image: nope:latest"),
		errdefs.ErrNotFound.WithMessage("image with reference nope:latest was found but does not provide any platform"),
	} {
		f := newLifecycleFixture()
		f.tagErr = err
		w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/nope/tag?repo=a", nil)
		assert.Equal(t, http.StatusNotFound, w.Code)
		assert.Equal(t, `{"message":`+jsonString(err.Error())+`}`+"\n", w.Body.String())
	}
}

func TestPrune(t *testing.T) {
	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			filters string
			want    map[string][]string
		}{
			{"", map[string][]string{}},
			{`{"dangling":["false"],"label":["a=b","c"]}`, map[string][]string{"dangling": {"false"}, "label": {"a=b", "c"}}},
			{`{"until":{"24h":true},"label!":{"x":true}}`, map[string][]string{"until": {"24h"}, "label!": {"x"}}},
		} {
			f := newLifecycleFixture()
			f.pruneOut = &imagesvc.PruneReport{}
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, "/images/prune?filters="+url.QueryEscape(tt.filters), nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			got := map[string][]string{}
			for _, k := range f.pruneOpts.Filters.Keys() {
				got[k] = f.pruneOpts.Filters.Get(k)
			}
			assert.Equal(t, tt.want, got, tt.filters)
		}
	})
	t.Run("rendering", func(t *testing.T) {
		for _, tt := range []struct {
			out  *imagesvc.PruneReport
			body string
		}{
			{&imagesvc.PruneReport{}, `{"ImagesDeleted":null,"SpaceReclaimed":0}`},
			{&imagesvc.PruneReport{ImagesDeleted: []imagesvc.DeleteResponse{}}, `{"ImagesDeleted":null,"SpaceReclaimed":0}`},
			{nil, `{"ImagesDeleted":null,"SpaceReclaimed":0}`},
			{&imagesvc.PruneReport{
				ImagesDeleted: []imagesvc.DeleteResponse{
					{Untagged: digestX}, {Deleted: digestX}, {Untagged: "reg/app:1"},
				},
				SpaceReclaimed: 1 << 63,
			}, `{"ImagesDeleted":[{"Untagged":"` + digestX + `"},{"Deleted":"` + digestX + `"},{"Untagged":"reg/app:1"}],"SpaceReclaimed":9223372036854775808}`},
		} {
			f := newLifecycleFixture()
			f.pruneOut = tt.out
			for _, v := range []string{"", "/v1.25", "/v1.41"} {
				w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, v+"/images/prune", nil)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Equal(t, tt.body+"\n", w.Body.String())
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			target  string
			err     error
			status  int
			msg     string
			reached bool // whether the service was called
		}{
			{"/v1.24/images/prune", nil, 400, "POST /images/prune requires minimum API version 1.25", false},
			{"/images/prune?filters=" + url.QueryEscape(`{"dangling":true}`), nil, 400, "invalid filter", false},
			{"/images/prune?filters=notjson", nil, 400, "invalid filter", false},
			{"/images/prune?filters=" + url.QueryEscape(`{"color":["x"]}`), nil, 400, "invalid filter 'color'", true},
			{"/images/prune?filters=" + url.QueryEscape(`{"dangling":["x"]}`), nil, 400, "invalid filter 'dangling=[x]'", true},
			{"/images/prune?filters=" + url.QueryEscape(`{"color":["x"]}`), errdefs.ErrConflict.WithMessage("a prune operation is already running"),
				409, "a prune operation is already running", true},
			{"/images/prune", errdefs.ErrNotFound.WithMessage("content digest sha256:x: not found"), 404, "content digest sha256:x: not found", true},
		} {
			f := newLifecycleFixture()
			f.pruneErr = tt.err
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodPost, tt.target, nil)
			assert.Equal(t, tt.status, w.Code, tt.target)
			assert.Equal(t, `{"message":`+jsonString(tt.msg)+`}`+"\n", w.Body.String())
			assert.Equal(t, tt.reached, f.count("prune") == 1, tt.target)
		}
		// With a lowered minimum, the gate answers for 1.24 and below.
		h := httpadapter.New(newLifecycleFixture(), httpadapter.Options{MinVersion: "1.12"})
		w := request(t, h, http.MethodPost, "/v1.12/images/prune", nil)
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Equal(t, "POST /images/prune requires minimum API version 1.25\n", w.Body.String(), "below 1.24 errors are plain text")
	})
}

func TestHistory(t *testing.T) {
	amd64 := &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	amd64JSON := url.QueryEscape(`{"os":"linux","architecture":"amd64"}`)
	t.Run("parameters", func(t *testing.T) {
		for _, tt := range []struct {
			target   string
			platform *ocispec.Platform
		}{
			{"/images/foo/history", nil},
			{"/v1.48/images/foo/history?platform=" + amd64JSON, amd64},
			{"/images/foo/history?platform=" + amd64JSON + "&platform=bad", amd64},
			{"/images/foo/history?platform=", nil},
			// Below 1.48 platform is not parsed at all.
			{"/v1.47/images/foo/history?platform=" + amd64JSON, nil},
			{"/v1.41/images/foo/history?platform=not-json", nil},
		} {
			f := newLifecycleFixture()
			w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodGet, tt.target, nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, tt.platform, f.historyOpts.Platform, tt.target)
			assert.Equal(t, "foo", f.historyRef.String())
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			target string
			err    error
			status int
			msg    string
		}{
			{"/images/foo/history?platform=no", nil, 400, "failed to parse platform: invalid character 'o' in literal null (expecting 'u')"},
			{"/v1.48/images/foo/history?platform=" + url.QueryEscape(`{"architecture":"amd64"}`), nil, 400, "both OS and Architecture must be provided"},
			{"/images/Team/App/history", nil, 400, "invalid reference format: repository name (App) must be lowercase"},
			{"/images/nope/history", errdefs.ErrNotFound.WithMessage("No such image: nope:latest"), 404, "No such image: nope:latest"},
			{"/images/reg/multi:1/history?platform=" + url.QueryEscape(`{"os":"linux","architecture":"arm64","variant":"v8"}`),
				imagesvc.PlatformNotFound("reg/multi:1", ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}), 404, ""},
			{"/images/foo/history", errdefs.ErrInternal.WithMessage("unable to find the size of the layer"), 500, "unable to find the size of the layer"},
		} {
			f := newLifecycleFixture()
			f.historyErr = tt.err
			h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.DiscardHandler)})
			w := request(t, h, http.MethodGet, tt.target, nil)
			assert.Equal(t, tt.status, w.Code, tt.target)
			msg := tt.msg
			if msg == "" {
				msg = tt.err.Error()
			}
			assert.Equal(t, `{"message":`+jsonString(msg)+`}`+"\n", w.Body.String())
			assert.Equal(t, tt.err != nil, f.count("history") == 1)
		}
	})
	t.Run("rendering", func(t *testing.T) {
		created := time.Date(2025, 3, 1, 10, 0, 0, 999, time.UTC)
		for _, tt := range []struct {
			name string
			out  []imagesvc.HistoryItem
			body string
		}{
			{"newest first, as given", []imagesvc.HistoryItem{
				{ID: digestX, Created: created, CreatedBy: "CMD [\"sh\"]", Tags: []string{"reg/x:1", "reg/x@" + digestX}, Comment: "buildkit.dockerfile.v0"},
				{ID: imagesvc.MissingID, Created: created.Add(-time.Hour), CreatedBy: "ADD file:abc in / ", Size: 8848464},
				{ID: imagesvc.MissingID},
			}, `[{"Comment":"buildkit.dockerfile.v0","Created":1740823200,"CreatedBy":"CMD [\"sh\"]","Id":"` + digestX + `","Size":0,"Tags":["reg/x:1","reg/x@` + digestX + `"]},` +
				`{"Comment":"","Created":1740819600,"CreatedBy":"ADD file:abc in / ","Id":"<missing>","Size":8848464,"Tags":null},` +
				`{"Comment":"","Created":0,"CreatedBy":"","Id":"<missing>","Size":0,"Tags":null}]`},
			{"a dangling image's first row", []imagesvc.HistoryItem{{ID: digestX, Tags: []string{}, Comment: "Imported from -"}},
				`[{"Comment":"Imported from -","Created":0,"CreatedBy":"","Id":"` + digestX + `","Size":0,"Tags":null}]`},
			{"no history", nil, `null`},
			{"empty history", []imagesvc.HistoryItem{}, `null`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f := newLifecycleFixture()
				f.historyOut = tt.out
				for _, v := range []string{"", "/v1.41"} {
					w := request(t, httpadapter.New(f, httpadapter.Options{}), http.MethodGet, v+"/images/foo/history", nil)
					require.Equal(t, http.StatusOK, w.Code, w.Body.String())
					assert.Equal(t, tt.body+"\n", w.Body.String(), "no HTML escaping, Docker's key order")
					assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				}
			})
		}
	})
}

func TestLifecyclePanic(t *testing.T) {
	f := newLifecycleFixture()
	f.panicOn = "remove"
	var logs bytes.Buffer
	h := httpadapter.New(f, httpadapter.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	w := request(t, h, http.MethodDelete, "/images/foo", nil)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, `{"message":"internal server error"}`+"\n", w.Body.String())
	assert.True(t, strings.Contains(logs.String(), "fixture: remove panics"))
}
