package httpadapter_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// listService serves a fixed list; only List is used by the benchmark.
type listService struct {
	emptyService
	images []imagesvc.Summary
}

func (s listService) List(context.Context, imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	return s.images, nil
}

// benchImages returns n summaries with two tags each, shaped like a real catalog.
func benchImages(n int) []imagesvc.Summary {
	images := make([]imagesvc.Summary, n)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range images {
		id := digest.FromString(fmt.Sprintf("image %d", i))
		repo := fmt.Sprintf("registry.example.com/team%d/app%d", i%50, i)
		images[i] = imagesvc.Summary{
			ID:          id,
			RepoTags:    []string{repo + ":1.0", repo + ":latest"},
			RepoDigests: []string{repo + "@" + id.String()},
			Created:     base.Add(-time.Duration(i) * time.Minute),
			Size:        int64(5_000_000 + i),
			SharedSize:  -1,
			Labels:      map[string]string{"org.opencontainers.image.version": "1.0"},
			Descriptor:  ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: id, Size: 1609},
		}
	}
	return images
}

// BenchmarkListHTTP10k measures GET /images/json over HTTP with 10,000 images (two tags
// each), JSON encoding and transfer included. The target is 50 ms per request or less.
func BenchmarkListHTTP10k(b *testing.B) {
	for _, version := range []string{"v1.56", "v1.41"} {
		b.Run(version, func(b *testing.B) {
			srv := httptest.NewServer(httpadapter.New(listService{images: benchImages(10_000)}, httpadapter.Options{}))
			defer srv.Close()
			c := srv.Client()
			url := srv.URL + "/" + version + "/images/json"
			b.ReportAllocs()
			b.ResetTimer()
			var size int64
			for b.Loop() {
				resp, err := c.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				size, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatal(resp.Status, err)
				}
			}
			b.SetBytes(size)
		})
	}
}
