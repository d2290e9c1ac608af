package sqlite_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"log"
	"os"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
)

// Open a store in a directory, import a root filesystem into it, then list and inspect.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "images-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()

	// A root filesystem with one file.
	var rootfs bytes.Buffer
	tw := tar.NewWriter(&rootfs)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6})
	tw.Write([]byte("hello\n"))
	tw.Close()

	ref, err := imagesvc.ParseImportReference("example/hello", "v1")
	if err != nil {
		log.Fatal(err)
	}
	changes, err := imagesvc.ParseChanges([]string{`CMD ["cat", "/hello.txt"]`})
	if err != nil {
		log.Fatal(err)
	}
	id, err := store.Import(ctx, imagesvc.ImportRequest{
		Source: &rootfs, Ref: ref, Changes: changes, Message: "Imported from -",
	}, nil)
	if err != nil {
		log.Fatal(err)
	}

	images, err := store.List(ctx, imagesvc.ListOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range images {
		fmt.Println(img.ID == id, img.RepoTags)
	}

	name, err := imagesvc.ParseImageRef("example/hello:v1")
	if err != nil {
		log.Fatal(err)
	}
	img, err := store.Inspect(ctx, name, imagesvc.InspectOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Config.Cmd, img.Comment, len(img.RootFS.Layers))
	// Output:
	// true [example/hello:v1]
	// [cat /hello.txt] Imported from - 1
}
