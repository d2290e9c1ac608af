package containerd_test

import (
	"context"
	"fmt"
	"log"

	"github.com/imageapi/imageapi/backends/containerd"
	"github.com/imageapi/imageapi/imagesvc"
)

// Serve the images that Docker Engine 29 keeps in containerd: its namespace is "moby".
// (This example needs a running containerd, so it is compiled but not run.)
func Example() {
	ctx := context.Background()
	store, err := containerd.New(ctx, containerd.Options{
		Address:   "/run/containerd/containerd.sock",
		Namespace: "moby",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	images, err := store.List(ctx, imagesvc.ListOptions{Manifests: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range images {
		fmt.Println(img.ID, img.RepoTags, img.Size)
	}

	ref, err := imagesvc.ParsePullReference("docker.io/library/alpine", "3.20", "")
	if err != nil {
		log.Fatal(err)
	}
	pulled, err := store.Pull(ctx, imagesvc.PullRequest{Ref: ref}, func(ev imagesvc.ProgressEvent) {
		fmt.Println(ev.ID, ev.Status)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pulled[0].Ref, pulled[0].ID)
}
