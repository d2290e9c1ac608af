package imagesvctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/reference"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/opencontainers/go-digest"
)

// ConditionalWrite is one write of [CheckConditional]: it changes the service (a pull, an
// import, a tag, a remove, a prune, a container starting to use an image...) and fails the
// test itself when it cannot. A write that finds nothing to do may do nothing.
type ConditionalWrite struct {
	Name string
	Do   func(t *testing.T, rnd *rand.Rand)
}

// CheckConditional is the property of conditional requests (issue 12): between random
// writes, every GET of targets (paths of an HTTP handler newHandler returns, such as
// "/v1.54/images/json?all=1") is sent to one long-lived handler with the If-None-Match of
// its last answer, and every 304 and every 200 is checked against the unconditional answer
// of a new handler, which has kept nothing: a 304 is right only when the answer it stands
// for is still the answer, and an answer the handler kept must be the answer. It returns how many 304s it saw, which the caller
// checks is not 0 when the service sends ETags (a property that never answers 304 proves
// nothing).
//
// Each round performs 0 to 2 writes, so that requests also repeat with nothing changed.
func CheckConditional(t *testing.T, newHandler func() http.Handler, targets []string, writes []ConditionalWrite, rounds int, seed uint64) (notModified int) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type last struct {
		etag string
		body []byte
	}
	kept := map[string]last{}
	h := newHandler()
	get := func(target, inm string) *httptest.ResponseRecorder {
		return serve(h, target, inm)
	}
	fresh := func(target string) *httptest.ResponseRecorder {
		return serve(newHandler(), target, "")
	}
	for round := range rounds {
		for range rnd.IntN(3) {
			w := writes[rnd.IntN(len(writes))]
			w.Do(t, rnd)
			t.Logf("round %d: %s", round, w.Name)
		}
		for _, target := range targets {
			k, had := kept[target]
			rec := get(target, k.etag)
			switch rec.Code {
			case http.StatusNotModified:
				if !had || k.etag == "" {
					t.Fatalf("round %d: %s: 304 to a request without If-None-Match", round, target)
				}
				if rec.Body.Len() != 0 {
					t.Fatalf("round %d: %s: 304 with a body: %q", round, target, rec.Body.String())
				}
				if got := rec.Header().Get("ETag"); got != k.etag {
					t.Fatalf("round %d: %s: 304 with ETag %q, want %q", round, target, got, k.etag)
				}
				fresh := fresh(target)
				if fresh.Code != http.StatusOK {
					t.Fatalf("round %d: %s: 304, but the answer now is %d: %s", round, target, fresh.Code, fresh.Body.String())
				}
				if !sameJSON(t, fresh.Body.Bytes(), k.body) {
					t.Fatalf("round %d: %s: stale 304\nkept:  %s\nfresh: %s", round, target, k.body, fresh.Body.Bytes())
				}
				notModified++
			case http.StatusOK:
				if now := fresh(target); now.Code != http.StatusOK || !sameJSON(t, now.Body.Bytes(), rec.Body.Bytes()) {
					t.Fatalf("round %d: %s: stale answer\nsent:  %s\nfresh: %d %s", round, target, rec.Body.Bytes(), now.Code, now.Body.Bytes())
				}
				kept[target] = last{etag: rec.Header().Get("ETag"), body: bytes.Clone(rec.Body.Bytes())}
			default:
				// An inspect of a name removed meanwhile: no tag, nothing to keep.
				if rec.Header().Get("ETag") != "" {
					t.Fatalf("round %d: %s: %d with an ETag", round, target, rec.Code)
				}
				delete(kept, target)
			}
		}
	}
	return notModified
}

// serve sends GET target to h, with If-None-Match inm when it is not empty.
func serve(h http.Handler, target, inm string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("decoding %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// VersionedUsage is a host's usage provider that the host versions itself, as a host
// whose containers change between lists must do for conditional requests: it is
// [imagesvc.UsageTrackedPerCall], and Version (for httpadapter's Options.UsageVersion)
// changes with every Toggle. The zero value is ready to use.
type VersionedUsage struct {
	mu    sync.Mutex
	gen   int
	using map[digest.Digest][]string
}

var _ imagesvc.UsageTrackedPerCall = (*VersionedUsage)(nil)

// UsageTrackedPerCall implements [imagesvc.UsageTrackedPerCall].
func (u *VersionedUsage) UsageTrackedPerCall() {}

// ContainersUsing implements [imagesvc.UsageProvider].
func (u *VersionedUsage) ContainersUsing(_ context.Context, ds []digest.Digest) (map[digest.Digest][]string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[digest.Digest][]string{}
	for _, d := range ds {
		if ids := u.using[d]; len(ids) > 0 {
			out[d] = slices.Clone(ids)
		}
	}
	return out, nil
}

// Version returns the version of the containers: it changes with every Toggle.
func (u *VersionedUsage) Version(context.Context) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return strconv.Itoa(u.gen), nil
}

// Toggle starts a container on the image or manifest d, or removes the containers using
// it.
func (u *VersionedUsage) Toggle(d digest.Digest) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.gen++
	if len(u.using[d]) > 0 {
		delete(u.using, d)
		return
	}
	if u.using == nil {
		u.using = map[digest.Digest][]string{}
	}
	u.using[d] = []string{fmt.Sprintf("%064x", u.gen)}
}

// LifecycleWrites returns the usual writes of a [CheckConditional] run on svc: imports
// named by one of names (repo:tag) or dangling, tags of a random image as one of names,
// forced removes of one of names, prunes, and, with usage, containers starting on or
// leaving a random image. The writes svc lacks the capability of are left out; a caller
// appends writes of its own (pulls).
func LifecycleWrites(svc imagesvc.Service, names []string, usage *VersionedUsage) []ConditionalWrite {
	ctx := context.Background()
	ids := func(t *testing.T) []digest.Digest {
		sums, err := svc.List(ctx, imagesvc.ListOptions{All: true})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]digest.Digest, len(sums))
		for i := range sums {
			out[i] = sums[i].ID
		}
		return out
	}
	named := func(t *testing.T, name string) reference.NamedTagged {
		repo, tag, _ := strings.Cut(name, ":")
		ref, err := imagesvc.ParseImportReference(repo, tag)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	importAs := func(t *testing.T, ref reference.NamedTagged, content string) {
		archive := testimages.Tar([]testimages.File{{Name: "data", Data: []byte(content)}})
		if _, err := svc.Import(ctx, imagesvc.ImportRequest{Source: bytes.NewReader(archive), Ref: ref}, nil); err != nil {
			t.Fatal(err)
		}
	}
	writes := []ConditionalWrite{
		{Name: "import", Do: func(t *testing.T, rnd *rand.Rand) {
			importAs(t, named(t, names[rnd.IntN(len(names))]), "c"+strconv.Itoa(rnd.IntN(4)))
		}},
		{Name: "import dangling", Do: func(t *testing.T, rnd *rand.Rand) {
			importAs(t, nil, "d"+strconv.Itoa(rnd.IntN(4)))
		}},
	}
	if tg, ok := imagesvc.As[imagesvc.Tagger](svc); ok {
		writes = append(writes, ConditionalWrite{Name: "tag", Do: func(t *testing.T, rnd *rand.Rand) {
			all := ids(t)
			if len(all) == 0 {
				return
			}
			src, err := imagesvc.ParseImageRef(all[rnd.IntN(len(all))].String())
			if err != nil {
				t.Fatal(err)
			}
			_ = tg.Tag(ctx, src, named(t, names[rnd.IntN(len(names))]))
		}})
	}
	if rm, ok := imagesvc.As[imagesvc.Remover](svc); ok {
		writes = append(writes, ConditionalWrite{Name: "remove", Do: func(t *testing.T, rnd *rand.Rand) {
			ref, err := imagesvc.ParseImageRef(names[rnd.IntN(len(names))])
			if err != nil {
				t.Fatal(err)
			}
			_, _ = rm.Remove(ctx, ref, imagesvc.RemoveOptions{Force: true})
		}})
	}
	if pr, ok := imagesvc.As[imagesvc.Pruner](svc); ok {
		writes = append(writes, ConditionalWrite{Name: "prune", Do: func(t *testing.T, rnd *rand.Rand) {
			if _, err := pr.Prune(ctx, imagesvc.PruneOptions{}); err != nil {
				t.Fatal(err)
			}
		}})
	}
	if usage != nil {
		writes = append(writes, ConditionalWrite{Name: "container usage", Do: func(t *testing.T, rnd *rand.Rand) {
			if all := ids(t); len(all) > 0 {
				usage.Toggle(all[rnd.IntN(len(all))])
			}
		}})
	}
	return writes
}
