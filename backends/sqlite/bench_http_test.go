package sqlite

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// BenchmarkListHTTP10k is GET /images/json over HTTP with 10,000 images (2 tags each) in
// this backend, JSON encoding and the client's read of the whole body included, next to
// a plain net/http handler that sends the same bytes (the floor: what the transport
// costs), in the same run with the same client. Each case reports its ratio to the floor
// (x-plain). "repeat" lists again while nothing changes, as a poller does (the adapter
// writes the answer it kept); "afterWrite" marks the catalog written before every
// request, so that each one lists and encodes anew. Target: ≤ 2× (issue 12).
//
//	go test -run '^$' -bench ListHTTP10k -benchmem ./backends/sqlite/
func BenchmarkListHTTP10k(b *testing.B) {
	st := benchStore(b)
	srv := httptest.NewServer(httpadapter.New(st, httpadapter.Options{}))
	defer srv.Close()
	for _, v := range []string{"v1.56", "v1.41"} {
		url := srv.URL + "/" + v + "/images/json"
		body := httpBody(b, srv.Client(), url)
		plain := httptest.NewServer(plainHandler(body))
		var plainPer time.Duration
		b.Run(v+"/plain", func(b *testing.B) {
			plainPer = benchGet(b, plain.Client(), plain.URL, nil, http.StatusOK, nil)
		})
		plain.Close()
		for _, afterWrite := range []bool{false, true} {
			name, before := v+"/repeat", func() {}
			if afterWrite {
				name, before = v+"/afterWrite", func() { st.gen.Add(1) } // what every committed write does
			}
			b.Run(name, func(b *testing.B) {
				per := benchGet(b, srv.Client(), url, nil, http.StatusOK, before)
				if plainPer > 0 {
					b.ReportMetric(float64(per)/float64(plainPer), "x-plain")
				}
			})
		}
	}
}

// BenchmarkListHTTP304 is a conditional GET /images/json of 10,000 images answered 304
// Not Modified over HTTP (the client sends the ETag of the answer it holds). Target:
// ≤ 0.3 ms.
//
//	go test -run '^$' -bench ListHTTP304 -benchmem ./backends/sqlite/
func BenchmarkListHTTP304(b *testing.B) {
	srv := httptest.NewServer(httpadapter.New(benchStore(b), httpadapter.Options{}))
	defer srv.Close()
	url := srv.URL + "/v1.56/images/json"
	resp, err := srv.Client().Get(url)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	tag := resp.Header.Get("ETag")
	if tag == "" {
		b.Fatal("no ETag")
	}
	benchGet(b, srv.Client(), url, http.Header{"If-None-Match": {tag}}, http.StatusNotModified, nil)
}

// BenchmarkInspectHTTPByTag is GET /images/{name}/json by tag among 10,000 images over
// HTTP, the client's read included. Target: ≤ 0.3 ms.
//
//	go test -run '^$' -bench InspectHTTPByTag -benchmem ./backends/sqlite/
func BenchmarkInspectHTTPByTag(b *testing.B) {
	st := benchStore(b)
	srv := httptest.NewServer(httpadapter.New(st, httpadapter.Options{}))
	defer srv.Close()
	imgs, err := st.List(context.Background(), imagesvc.ListOptions{})
	if err != nil || len(imgs) == 0 || len(imgs[len(imgs)/2].RepoTags) == 0 {
		b.Fatalf("list: %v", err)
	}
	name := imgs[len(imgs)/2].RepoTags[0]
	benchGet(b, srv.Client(), srv.URL+"/v1.56/images/"+name+"/json", nil, http.StatusOK, nil)
}

// benchGet GETs url with hdr until the benchmark ends (calling before, if not nil, before
// each request), checks the status, reads the
// whole body, and returns the time per request.
func benchGet(b *testing.B, c *http.Client, url string, hdr http.Header, want int, before func()) time.Duration {
	b.ReportAllocs()
	var size int64
	n := 0
	for b.Loop() {
		if before != nil {
			before()
		}
		size = getBody(b, c, url, hdr, want)
		n++
	}
	b.ReportMetric(float64(size), "body-bytes")
	return b.Elapsed() / time.Duration(max(n, 1))
}

func getBody(b *testing.B, c *http.Client, url string, hdr http.Header, want int) int64 {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != want {
		b.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	return n
}

// httpBody returns the body of a GET.
func httpBody(b *testing.B, c *http.Client, url string) []byte {
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	return body
}

// plainHandler sends body as a handler that has it ready would: the floor of a list.
func plainHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}
