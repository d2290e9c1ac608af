package imagesvctest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
)

// ConditionalWrite is one write of [CheckConditional]: it changes the service (a pull, an
// import, a tag, a remove, a prune, a container starting to use an image...) and fails the
// test itself when it cannot. A write that finds nothing to do may do nothing.
type ConditionalWrite struct {
	Name string
	Do   func(t *testing.T, rnd *rand.Rand)
}

// CheckConditional is the property of conditional requests (issue 12): between random
// writes, every GET of targets (paths of the HTTP handler h, such as
// "/v1.54/images/json?all=1") is sent with the If-None-Match of its last answer, and every
// 304 is checked against a fresh unconditional answer: a 304 is right only when the answer
// it stands for is still the answer. It returns how many 304s it saw, which the caller
// checks is not 0 when the service sends ETags (a property that never answers 304 proves
// nothing).
//
// Each round performs 0 to 2 writes, so that requests also repeat with nothing changed.
func CheckConditional(t *testing.T, h http.Handler, targets []string, writes []ConditionalWrite, rounds int, seed uint64) (notModified int) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type last struct {
		etag string
		body []byte
	}
	kept := map[string]last{}
	get := func(target, inm string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
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
				fresh := get(target, "")
				if fresh.Code != http.StatusOK {
					t.Fatalf("round %d: %s: 304, but the answer now is %d: %s", round, target, fresh.Code, fresh.Body.String())
				}
				if !sameJSON(t, fresh.Body.Bytes(), k.body) {
					t.Fatalf("round %d: %s: stale 304\nkept:  %s\nfresh: %s", round, target, k.body, fresh.Body.Bytes())
				}
				notModified++
			case http.StatusOK:
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
