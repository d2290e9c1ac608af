package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// The crash tests of removals: a child deletes or prunes many images of a store seeded
// with real blobs, and is killed with SIGKILL in the middle. The store reopens with a sound
// catalog (no image half removed), List and Inspect work, and no blob is left that no
// image references.

// crashImages returns n small images, named crash/img:<i> when named, dangling otherwise.
func crashImages(t testing.TB, n int, named bool) []seedImage {
	t.Helper()
	out := make([]seedImage, n)
	for i := range out {
		out[i].img = plainImage(t, fmt.Sprint("crash image ", i))
		if named {
			out[i].names = []string{fmt.Sprintf("crash/img:%d", i)}
		}
	}
	return out
}

// plainImage returns a linux/amd64 OCI image of one uncompressed layer holding one file
// with data: a cheap image to make by the thousand (gzip is slow under -race).
func plainImage(t testing.TB, data string) *testimages.Image {
	t.Helper()
	img := &testimages.Image{Blobs: map[digest.Digest]testimages.Blob{}}
	add := func(mediaType string, data []byte) ocispec.Descriptor {
		desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
		img.Blobs[desc.Digest] = testimages.Blob{Descriptor: desc, Data: data}
		return desc
	}
	layer := add(ocispec.MediaTypeImageLayer, testimages.Tar([]testimages.File{{Name: "data", Data: []byte(data)}}))
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg, err := json.Marshal(ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}},
		History:  []ocispec.History{{Created: &created, CreatedBy: "plainImage"}},
	})
	require.NoError(t, err)
	mf := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: add(ocispec.MediaTypeImageConfig, cfg), Layers: []ocispec.Descriptor{layer}}
	mf.SchemaVersion = 2
	mfData, err := json.Marshal(mf)
	require.NoError(t, err)
	img.Descriptor = add(ocispec.MediaTypeImageManifest, mfData)
	return img
}

// seedWithBlobs writes the blobs of imgs into the content store's directory, as a pull
// would leave them, and records the images.
func seedWithBlobs(t testing.TB, s *Store, imgs []seedImage) {
	t.Helper()
	for _, si := range imgs {
		for d, b := range si.img.Blobs {
			p := s.blobPath(d)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
			require.NoError(t, os.WriteFile(p, b.Data, 0o600))
		}
	}
	require.NoError(t, s.seed(context.Background(), imgs))
}

// crashDeletes is the child's part of TestCrashDuringDelete: it removes the images by
// name, one by one, printing a line after each.
func crashDeletes(ctx context.Context, s *Store) {
	sums, err := s.List(ctx, imagesvc.ListOptions{})
	if err != nil {
		fmt.Println("list:", err)
		os.Exit(2)
	}
	for i, sum := range sums {
		ref, _ := imagesvc.ParseImageRef(sum.RepoTags[0])
		if _, err := s.Remove(ctx, ref, imagesvc.RemoveOptions{}); err != nil {
			fmt.Println("remove:", err)
			os.Exit(2)
		}
		fmt.Println("deleted", i+1)
	}
}

// seedRoot creates a store at root with imgs, and closes it.
func seedRoot(t *testing.T, root string, imgs []seedImage) {
	t.Helper()
	s, err := Open(root, Options{})
	require.NoError(t, err)
	seedWithBlobs(t, s, imgs)
	require.NoError(t, s.Close())
}

// reopenAfterCrash opens the store a child was killed in, checks it, and returns how many
// images are left.
func reopenAfterCrash(t *testing.T, root string) int {
	t.Helper()
	s, err := Open(root, Options{ResumeGrace: -1})
	require.NoError(t, err, "the store opens after a crash")
	defer func() { require.NoError(t, s.Close()) }()
	checkCatalog(t, s, true)
	var n int
	require.NoError(t, s.rdb.QueryRow("SELECT count(*) FROM images").Scan(&n))
	return n
}

func TestCrashDuringDelete(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const n = 300
	root := filepath.Join(t.TempDir(), "store")
	seedRoot(t, root, crashImages(t, n, true))
	cmd, out := startHelper(t, "delete", root)
	// Kill the child while it deletes: after the 40th delete, during the next ones.
	for {
		l, err := out.ReadString('\n')
		require.NoError(t, err, "the child stopped early: %q", l)
		if strings.HasPrefix(l, "deleted 40") {
			break
		}
	}
	kill(t, cmd)
	left := reopenAfterCrash(t, root)
	require.Less(t, left, n-39)
	require.Positive(t, left, "the child was killed before it deleted everything")
}

func TestCrashDuringPrune(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const n = 3 * pruneBatch
	root := filepath.Join(t.TempDir(), "store")
	seedRoot(t, root, crashImages(t, n, false))
	// Watch the catalog, read-only, and kill the child as soon as the prune's first
	// transaction committed: it is then freeing that batch's blobs or deleting the next.
	db, err := sql.Open("sqlite3", "file:"+escapeURIPath(filepath.Join(root, "catalog.db"))+"?mode=ro&_busy_timeout=10000")
	require.NoError(t, err)
	defer db.Close()
	cmd, out := startHelper(t, "prune", root)
	line, err := out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "pruning\n", line)
	go io.Copy(io.Discard, out)
	deadline := time.Now().Add(time.Minute)
	for {
		var left int
		require.NoError(t, db.QueryRow("SELECT count(*) FROM images").Scan(&left))
		if left < n {
			break
		}
		require.True(t, time.Now().Before(deadline), "the prune never deleted anything")
		time.Sleep(time.Millisecond)
	}
	kill(t, cmd)
	left := reopenAfterCrash(t, root)
	t.Logf("%d of %d images left", left, n)
	require.Positive(t, left, "the child was killed before it pruned everything")
	require.Less(t, left, n)
}
