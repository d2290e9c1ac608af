package sqlite_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/mount"

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

// Tag an image with a second name, then remove both names: the first remove only untags,
// the second deletes the image and its content.
func ExampleStore_Remove() {
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

	var rootfs bytes.Buffer
	tw := tar.NewWriter(&rootfs)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6})
	tw.Write([]byte("hello\n"))
	tw.Close()
	ref, err := imagesvc.ParseImportReference("example/hello", "v1")
	if err != nil {
		log.Fatal(err)
	}
	id, err := store.Import(ctx, imagesvc.ImportRequest{Source: &rootfs, Ref: ref}, nil)
	if err != nil {
		log.Fatal(err)
	}

	latest, err := imagesvc.ParseTagReference("example/hello", "latest")
	if err != nil {
		log.Fatal(err)
	}
	source, err := imagesvc.ParseImageRef("example/hello:v1")
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Tag(ctx, source, latest); err != nil {
		log.Fatal(err)
	}

	for _, name := range []string{"example/hello:v1", "example/hello"} {
		r, err := imagesvc.ParseImageRef(name)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := store.Remove(ctx, r, imagesvc.RemoveOptions{})
		if err != nil {
			log.Fatal(err)
		}
		for _, op := range resp {
			if op.Deleted != "" {
				fmt.Println("Deleted the image:", op.Deleted == id)
			} else {
				fmt.Println("Untagged:", op.Untagged)
			}
		}
	}
	images, err := store.List(ctx, imagesvc.ListOptions{All: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(images), "images left")
	// Output:
	// Untagged: example/hello:v1
	// Untagged: example/hello:latest
	// Deleted the image: true
	// 0 images left
}

// Save an image to a tar archive (docker save), move it to another store, and load it
// there (docker load): the image keeps its ID and its name.
func ExampleStore_Save() {
	ctx := context.Background()
	open := func() (*sqlite.Store, func()) {
		dir, err := os.MkdirTemp("", "images-")
		if err != nil {
			log.Fatal(err)
		}
		store, err := sqlite.Open(dir, sqlite.Options{})
		if err != nil {
			log.Fatal(err)
		}
		return store, func() { store.Close(); os.RemoveAll(dir) }
	}
	src, closeSrc := open()
	defer closeSrc()
	dst, closeDst := open()
	defer closeDst()

	var rootfs bytes.Buffer
	tw := tar.NewWriter(&rootfs)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6})
	tw.Write([]byte("hello\n"))
	tw.Close()
	ref, err := imagesvc.ParseImportReference("example/hello", "v1")
	if err != nil {
		log.Fatal(err)
	}
	id, err := src.Import(ctx, imagesvc.ImportRequest{Source: &rootfs, Ref: ref}, nil)
	if err != nil {
		log.Fatal(err)
	}

	name, err := imagesvc.ParseImageRef("example/hello:v1")
	if err != nil {
		log.Fatal(err)
	}
	var archive bytes.Buffer // any io.Writer: the archive is streamed, not held
	if err := src.Save(ctx, imagesvc.SaveRequest{Refs: []imagesvc.ImageRef{name}}, &archive); err != nil {
		log.Fatal(err)
	}
	loaded, err := dst.Load(ctx, imagesvc.LoadRequest{Source: &archive})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range loaded {
		fmt.Println(l.Message(), l.ID == id)
	}
	// Output:
	// Loaded image: example/hello:v1 true
}

// A runtime starts a container from an image: resolve the image to its config and layers,
// prepare a writable view of its root filesystem (the layers were unpacked when it was
// imported), mount it with containerd's mount package, and remove the view when the
// container is gone. Mounting needs root, as for any runtime.
func ExampleStore_PrepareRootFS() {
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

	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6})
	tw.Write([]byte("hello\n"))
	tw.Close()
	ref, _ := imagesvc.ParseImportReference("example/app", "v1")
	changes, _ := imagesvc.ParseChanges([]string{`CMD ["cat", "/hello.txt"]`})
	if _, err := store.Import(ctx, imagesvc.ImportRequest{Source: &layer, Ref: ref, Changes: changes}, nil); err != nil {
		log.Fatal(err)
	}

	name, _ := imagesvc.ParseImageRef("example/app:v1")
	img, err := store.ResolveRuntimeImage(ctx, name, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cmd:", img.Config.Config.Cmd, "layers:", len(img.Layers))

	mounts, err := store.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "container-1", Image: img})
	if err != nil {
		log.Fatal(err)
	}
	target, err := os.MkdirTemp("", "rootfs-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(target)
	var ms []mount.Mount
	for _, m := range mounts {
		ms = append(ms, mount.Mount(m))
	}
	if err := mount.All(ms, target); err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(target, "hello.txt"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print("hello.txt: ", string(data))
	if err := mount.UnmountAll(target, 0); err != nil {
		log.Fatal(err)
	}
	if err := store.RemoveRootFS(ctx, "container-1"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// cmd: [cat /hello.txt] layers: 1
	// hello.txt: hello
}
