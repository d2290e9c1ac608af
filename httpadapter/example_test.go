package httpadapter_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/opencontainers/go-digest"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

// emptyService is a Service with no images, for the example.
type emptyService struct{}

func (emptyService) List(context.Context, imagesvc.ListOptions) ([]imagesvc.Summary, error) {
	return []imagesvc.Summary{}, nil
}

func (emptyService) Inspect(_ context.Context, ref imagesvc.ImageRef, _ imagesvc.InspectOptions) (*imagesvc.Image, error) {
	return nil, ref.NotFound()
}

func (emptyService) Pull(context.Context, imagesvc.PullRequest, imagesvc.ProgressFunc) ([]imagesvc.PulledImage, error) {
	return nil, imagesvc.ErrAmbiguous() // any error with a class
}

func (emptyService) Import(context.Context, imagesvc.ImportRequest, imagesvc.ProgressFunc) (digest.Digest, error) {
	return "", imagesvc.ErrAmbiguous()
}

// Mount the image endpoints under /docker/ in a host's ServeMux, next to the host's own
// routes. Docker clients then use http://host/docker as their daemon address.
func Example_mount() {
	images := httpadapter.New(emptyService{}, httpadapter.Options{Ping: true})

	mux := http.NewServeMux()
	mux.Handle("/docker/", http.StripPrefix("/docker", images))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })

	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, path := range []string{"/docker/_ping", "/docker/v1.47/images/json", "/docker/images/alpine/json", "/healthz"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %d %s %q\n", path, resp.StatusCode, resp.Header.Get("Api-Version"), body)
	}
	// Output:
	// /docker/_ping 200 1.56 "OK"
	// /docker/v1.47/images/json 200 1.56 "[]\n"
	// /docker/images/alpine/json 404 1.56 "{\"message\":\"No such image: alpine:latest\"}\n"
	// /healthz 200  "ok\n"
}
