package sqlite

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/imageapi/imageapi/httpadapter"
)

// BenchmarkListHTTP10k is GET /images/json over HTTP with 10,000 images (2 tags each) in
// this backend, JSON encoding and the client's read of the whole body included. Target:
// 50 ms per request (httpadapter's issue).
//
//	go test -run '^$' -bench ListHTTP10k -benchmem ./backends/sqlite/
func BenchmarkListHTTP10k(b *testing.B) {
	srv := httptest.NewServer(httpadapter.New(benchStore(b), httpadapter.Options{}))
	defer srv.Close()
	for _, v := range []string{"v1.56", "v1.41"} {
		b.Run(v, func(b *testing.B) {
			url := srv.URL + "/" + v + "/images/json"
			var size int64
			for b.Loop() {
				resp, err := srv.Client().Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d, %v", resp.StatusCode, err)
				}
				size = n
			}
			b.ReportMetric(float64(size), "body-bytes")
		})
	}
}
