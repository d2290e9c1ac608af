package httpadapter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/filters"
	"github.com/imageapi/imageapi/imagesvc"
)

// fixture is a small in-memory imagesvc.Service that records what the adapter asks of it.
// It pins the adapter's wire shaping; the backends have their own conformance suite.
type fixture struct {
	mu sync.Mutex

	images  []imagesvc.Summary
	details map[string]*imagesvc.Image // by familiar tagged name and by ID

	listErr error
	panicOn string // "list", "inspect", "pull"

	pullFn   func(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error)
	importFn func(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error)

	// What the adapter asked for last.
	listOpts    imagesvc.ListOptions
	inspectRef  imagesvc.ImageRef
	inspectOpts imagesvc.InspectOptions
	pullReq     imagesvc.PullRequest
	importReq   imagesvc.ImportRequest
	importBody  []byte
}

var _ imagesvc.Service = (*fixture)(nil)

func (f *fixture) List(ctx context.Context, opts imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	f.mu.Lock()
	f.listOpts = opts
	images, listErr, panicOn := f.images, f.listErr, f.panicOn
	f.mu.Unlock()
	if panicOn == "list" {
		panic("fixture: list panics")
	}
	if listErr != nil {
		return nil, listErr
	}
	m, err := filters.Compile(ctx, opts.Filters, filters.CompileOptions{})
	if err != nil {
		return nil, err
	}
	out := []imagesvc.Summary{}
	for _, img := range images {
		fi := &filters.Image{
			ID:       img.ID,
			Names:    img.RepoTags,
			Dangling: len(img.RepoTags) == 0,
			Labels:   []map[string]string{img.Labels},
			Created:  img.Created,
		}
		if !m.Match(fi) {
			continue
		}
		img.RepoTags = m.MatchNames(img.RepoTags)
		if !opts.Manifests {
			img.Manifests = nil
		}
		if !opts.SharedSize {
			img.SharedSize = -1
		}
		out = append(out, img)
	}
	return out, nil
}

func (f *fixture) Inspect(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.InspectOptions) (*imagesvc.Image, error) {
	f.mu.Lock()
	f.inspectRef, f.inspectOpts = ref, opts
	panicOn := f.panicOn
	f.mu.Unlock()
	if panicOn == "inspect" {
		panic("fixture: inspect panics")
	}
	var img *imagesvc.Image
	if n := ref.Tagged(); n != nil {
		img = f.details[reference.FamiliarString(n)]
	}
	if img == nil && ref.Digest() != "" {
		img = f.details[ref.Digest().String()]
	}
	if img == nil {
		return nil, ref.NotFound()
	}
	c := *img
	if !opts.Manifests {
		c.Manifests = nil
	}
	if p := opts.Platform; p != nil {
		if p.Architecture != "amd64" {
			return nil, imagesvc.PlatformNotFound(ref.String(), *p)
		}
		if c.ID == idAlpine {
			c.ID = idAmd64
		}
	}
	return &c, nil
}

func (f *fixture) Pull(ctx context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	f.mu.Lock()
	f.pullReq = req
	fn, panicOn := f.pullFn, f.panicOn
	f.mu.Unlock()
	if panicOn == "pull" {
		progress.Report(imagesvc.PullingFrom("library/alpine", "latest"))
		panic("fixture: pull panics")
	}
	if fn != nil {
		return fn(ctx, req, progress)
	}
	return defaultPull(ctx, req, progress)
}

// defaultPull reports the progress of a one-layer pull.
func defaultPull(_ context.Context, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	tag := "latest"
	if t, ok := req.Ref.(reference.Tagged); ok {
		tag = t.Tag()
	}
	progress.Report(imagesvc.PullingFrom(reference.Path(req.Ref), tag))
	progress.Report(imagesvc.ProgressEvent{ID: "43c4264eed91", Status: imagesvc.StatusPullingFSLayer, Detail: &imagesvc.ProgressDetail{}})
	progress.Report(imagesvc.ProgressEvent{ID: "43c4264eed91", Status: imagesvc.StatusDownloading, Detail: &imagesvc.ProgressDetail{Current: 1048576, Total: 3623807}})
	progress.Report(imagesvc.ProgressEvent{ID: "43c4264eed91", Status: imagesvc.StatusDownloadComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}})
	progress.Report(imagesvc.ProgressEvent{ID: "43c4264eed91", Status: imagesvc.StatusExtracting, Detail: &imagesvc.ProgressDetail{Current: 1, Units: "s"}})
	progress.Report(imagesvc.ProgressEvent{ID: "43c4264eed91", Status: imagesvc.StatusPullComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}})
	progress.Report(imagesvc.DigestStatus(idAlpine.String()))
	familiar := reference.FamiliarString(reference.TagNameOnly(req.Ref))
	progress.Report(imagesvc.PullStatus(familiar, true))
	return []imagesvc.PulledImage{{Ref: familiar, ID: idAlpine, Updated: true}}, nil
}

func (f *fixture) Import(ctx context.Context, req imagesvc.ImportRequest, progress imagesvc.ProgressFunc) (digest.Digest, error) {
	var body []byte
	if req.Source != nil {
		var err error
		body, err = io.ReadAll(req.Source)
		if err != nil {
			return "", err
		}
	}
	f.mu.Lock()
	f.importReq, f.importBody = req, body
	fn := f.importFn
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, req, progress)
	}
	return digest.FromBytes(body), nil
}

// last returns a copy of the fixture's records, under its lock.
func (f *fixture) last() fixture {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fixture{
		listOpts: f.listOpts, inspectRef: f.inspectRef, inspectOpts: f.inspectOpts,
		pullReq: f.pullReq, importReq: f.importReq, importBody: f.importBody,
	}
}

var (
	idAlpine    = digest.FromString("alpine index")
	idAmd64     = digest.FromString("alpine amd64 manifest")
	idArm64     = digest.FromString("alpine arm64 manifest")
	idAttest    = digest.FromString("alpine attestation")
	idDangling  = digest.FromString("dangling")
	idBusybox   = digest.FromString("busybox")
	idLegacy    = digest.FromString("legacy")
	idJSON      = digest.FromString("json")
	idEmpty     = digest.FromString("empty")
	createdTime = time.Date(2025, 2, 14, 0, 0, 0, 0, time.UTC)
	tagTime     = time.Date(2025, 3, 1, 12, 30, 0, 123456789, time.UTC)
)

func alpineManifests() []imagesvc.ManifestSummary {
	return []imagesvc.ManifestSummary{
		{
			ID: idAmd64,
			Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: idAmd64, Size: 1022,
				Platform: &ocispec.Platform{Architecture: "amd64", OS: "linux"}},
			Available: true,
			Size:      imagesvc.ManifestSize{Content: 3642412, Total: 12490876},
			Kind:      imagesvc.KindImage,
			ImageData: &imagesvc.ImageData{
				Platform:   ocispec.Platform{Architecture: "amd64", OS: "linux"},
				Unpacked:   8848464,
				Containers: []string{"e3b0c442"},
				Identity:   &imagesvc.Identity{Pull: []imagesvc.PullIdentity{{Repository: "docker.io/library/alpine"}}},
			},
		},
		{
			ID: idArm64,
			Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: idArm64, Size: 1022,
				Platform: &ocispec.Platform{Architecture: "arm64", OS: "linux", Variant: "v8"}},
			Kind:      imagesvc.KindImage,
			ImageData: &imagesvc.ImageData{Platform: ocispec.Platform{Architecture: "arm64", OS: "linux", Variant: "v8"}},
		},
		{
			ID: idAttest,
			Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: idAttest, Size: 839,
				Annotations: map[string]string{"vnd.docker.reference.digest": idAmd64.String(), "vnd.docker.reference.type": "attestation-manifest"},
				Platform:    &ocispec.Platform{Architecture: "unknown", OS: "unknown"}},
			Available:       true,
			Size:            imagesvc.ManifestSize{Content: 12345, Total: 12345},
			Kind:            imagesvc.KindAttestation,
			AttestationData: &imagesvc.AttestationData{For: idAmd64},
		},
	}
}

func newFixture() *fixture {
	alpineDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: idAlpine, Size: 9218}
	f := &fixture{
		images: []imagesvc.Summary{
			{
				ID:          idAlpine,
				RepoTags:    []string{"alpine:3.20", "alpine:latest"},
				RepoDigests: []string{"alpine@" + idAlpine.String()},
				Created:     createdTime,
				Size:        12503221,
				SharedSize:  4096,
				Labels:      map[string]string{},
				Containers:  1,
				Descriptor:  alpineDesc,
				Manifests:   alpineManifests(),
			},
			{
				ID:          idBusybox,
				RepoTags:    []string{"busybox:1.36"},
				RepoDigests: []string{"busybox@" + idBusybox.String()},
				Created:     createdTime.Add(-time.Hour),
				Size:        4000000,
				Labels:      map[string]string{"maintainer": "<someone@example.com>"},
				Descriptor:  ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: idBusybox, Size: 500},
			},
			{
				ID:          idDangling,
				RepoTags:    []string{},
				RepoDigests: []string{},
				Size:        1000,
				Labels:      map[string]string{},
				Descriptor:  ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: idDangling, Size: 400},
			},
		},
		details: map[string]*imagesvc.Image{},
	}
	alpine := &imagesvc.Image{
		ID:          idAlpine,
		RepoTags:    []string{"alpine:3.20", "alpine:latest"},
		RepoDigests: []string{"alpine@" + idAlpine.String()},
		Comment:     "buildkit.dockerfile.v0",
		Created:     createdTime,
		Config: imagesvc.ImageConfig{ImageConfig: ocispec.ImageConfig{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"/bin/sh"},
		}},
		Architecture: "amd64",
		OS:           "linux",
		Size:         12490876,
		Driver:       "overlayfs",
		RootFS:       imagesvc.RootFS{Type: "layers", Layers: []digest.Digest{digest.FromString("layer")}},
		LastTagTime:  tagTime,
		Descriptor:   alpineDesc,
		Manifests:    alpineManifests(),
		Identity:     &imagesvc.Identity{Pull: []imagesvc.PullIdentity{{Repository: "docker.io/library/alpine"}}},
	}
	f.details["alpine:3.20"] = alpine
	f.details[idAlpine.String()] = alpine
	f.details["json:latest"] = &imagesvc.Image{ID: idJSON, RepoTags: []string{"json:latest"}, Created: createdTime, OS: "linux", Architecture: "amd64"}
	f.details["legacy:1"] = &imagesvc.Image{
		ID: idLegacy, RepoTags: []string{"legacy:1"}, Parent: digest.FromString("parent"), DockerVersion: "18.09.7",
		Created: createdTime, OS: "linux", Architecture: "amd64", LastTagTime: tagTime,
		Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: idLegacy, Size: 10},
	}
	f.details["empty:latest"] = &imagesvc.Image{ID: idEmpty, OS: "linux", Architecture: "amd64"}
	return f
}

// request sends one request to h and returns the recorded answer.
func request(t *testing.T, h http.Handler, method, target string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// topKeys returns the keys of a JSON object, in the order they appear.
func topKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %q (%v)", raw, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// elements returns the raw elements of a JSON array.
func elements(t *testing.T, raw []byte) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("not a JSON array: %q: %v", raw, err)
	}
	return out
}

func decodeObject(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %q: %v", raw, err)
	}
	return m
}

func isSorted(keys []string) bool {
	for i := 1; i < len(keys); i++ {
		if strings.Compare(keys[i-1], keys[i]) > 0 {
			return false
		}
	}
	return true
}

func jsonMarshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

func httpRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, target, nil)
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
