// Command embed shows a host program that mounts the imageapi endpoints next to routes of
// its own: the Docker image API is served under /docker/ and the host keeps /healthz and /.
//
//	go run ./examples/embed -addr 127.0.0.1:8080 -data-root /tmp/embed
//	curl http://127.0.0.1:8080/docker/v1.47/images/json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dataRoot := flag.String("data-root", "/tmp/imageapi-embed", "directory of the image store")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	store, err := sqlite.Open(*dataRoot, sqlite.Options{Logger: log})
	if err != nil {
		log.Error("opening the store", "err", err)
		os.Exit(1)
	}
	defer store.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: *addr, Handler: newMux(store, log), ReadHeaderTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("listening", "addr", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serving", "err", err)
	}
}

// newMux builds the host's routes: its own, and the image API under /docker/.
func newMux(svc imagesvc.Service, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "a host program; the Docker image API is under /docker/")
	})
	api := httpadapter.New(svc, httpadapter.Options{Ping: true, Version: true, Logger: log})
	mux.Handle("/docker/", http.StripPrefix("/docker", api))
	return mux
}
