package plugins_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// A host launches a plugin program and uses it as any other imagesvc.Service.
func ExampleOpen() {
	ctx := context.Background()
	svc, err := plugins.Open(ctx, "/usr/libexec/imageapi/plugin-sqlite", plugins.Options{
		Args:   []string{"--data-root", "/var/lib/imaged"},
		Logger: slog.Default(),
	})
	if err != nil {
		log.Fatal(err) // names the path, and the versions on a protocol mismatch
	}
	defer svc.Close()
	images, err := svc.List(ctx, imagesvc.ListOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(images), "images")
}

// A plugin program hands its backend to Serve from main.
func ExampleServe() {
	if !plugins.Launched() {
		fmt.Fprintln(os.Stderr, plugins.ErrNotLaunched)
		os.Exit(1)
	}
	backend := plugintest.NewMemService() // a real plugin opens its backend here, with plugins.HostUsage()
	if err := plugins.Serve(backend, plugins.ServeOptions{Name: "memory", Version: "1.0.0"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// A backend served through the protocol in this process: progress arrives as the plugin
// reports it, and errors keep their class and Docker's text.
func ExampleOpenInProcess() {
	ctx := context.Background()
	c, err := plugins.OpenInProcess(ctx, plugintest.NewMemService(), plugins.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ref, _ := imagesvc.ParsePullReference("alpine", "3.20", "")
	pulled, err := c.Pull(ctx, imagesvc.PullRequest{Ref: ref}, func(ev imagesvc.ProgressEvent) {
		if !strings.HasPrefix(ev.Status, "Digest:") {
			fmt.Println(strings.TrimSpace(ev.ID + " " + ev.Status))
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pulled[0].Ref, pulled[0].Updated)

	missing, _ := imagesvc.ParseImageRef("nosuch")
	_, err = c.Inspect(ctx, missing, imagesvc.InspectOptions{})
	fmt.Println(err, errdefs.IsNotFound(err))
	// Output:
	// 3.20 Pulling from library/alpine
	// ad2595e96528 Pulling fs layer
	// ad2595e96528 Downloading
	// ad2595e96528 Pull complete
	// Status: Downloaded newer image for alpine:3.20
	// alpine:3.20 true
	// No such image: nosuch:latest true
}
