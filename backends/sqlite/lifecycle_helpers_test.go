package sqlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	return &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// importAs imports a one-file root filesystem holding data, named name ("repo:tag"; ""
// for none), with message as its history comment, and returns the image ID.
func importAs(t testing.TB, s *Store, name, data, message string) digest.Digest {
	t.Helper()
	var ref reference.NamedTagged
	if name != "" {
		repo, tag := name, ""
		if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
			repo, tag = name[:i], name[i+1:]
		}
		var err error
		ref, err = imagesvc.ParseImportReference(repo, tag)
		require.NoError(t, err)
	}
	archive := testimages.Tar([]testimages.File{{Name: "data", Data: []byte(data)}})
	id, err := s.Import(context.Background(), imagesvc.ImportRequest{Source: bytes.NewReader(archive), Ref: ref, Message: message}, nil)
	require.NoError(t, err)
	return id
}

// testRegistry is an in-process registry with a hosts directory for it.
type testRegistry struct {
	*testregistry.Registry
	hosts string
}

func newTestRegistry(t testing.TB) *testRegistry {
	t.Helper()
	r := &testRegistry{Registry: testregistry.New(t, testregistry.Options{}), hosts: filepath.Join(t.TempDir(), "hosts")}
	require.NoError(t, r.WriteHostsDir(r.hosts))
	return r
}

// pullImage pulls repo:tag (the registry's host is added) for platform p (nil: the
// store's).
func (r *testRegistry) pull(t testing.TB, s *Store, repoTag string, p *ocispec.Platform) []imagesvc.PulledImage {
	t.Helper()
	ref, err := imagesvc.ParsePullReference(r.Host()+"/"+repoTag, "", "")
	require.NoError(t, err)
	pulled, err := s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref, Platform: p}, nil)
	require.NoError(t, err)
	return pulled
}

// blobsOnDisk returns the blobs in the content store's directory.
func blobsOnDisk(t testing.TB, s *Store) map[digest.Digest]bool {
	t.Helper()
	out := map[digest.Digest]bool{}
	dir := filepath.Join(s.root, "content", "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		out[digest.NewDigestFromEncoded(digest.SHA256, e.Name())] = true
	}
	return out
}

// blobsOf returns the blobs the catalog says the image id references.
func blobsOf(t testing.TB, s *Store, id digest.Digest) []digest.Digest {
	t.Helper()
	rows, err := s.rdb.Query("SELECT b.digest FROM image_blobs b JOIN images i ON i.rowid = b.image WHERE i.id = ?", id.String())
	require.NoError(t, err)
	defer rows.Close()
	var out []digest.Digest
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		out = append(out, digest.Digest(d))
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, out, "the image %s references blobs", id)
	return out
}

// ingests counts the unfinished writes of the content store.
func ingests(t testing.TB, s *Store) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.root, "content", "ingest"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(entries)
}

// checkCatalog checks that the catalog is sound: no row without the rows it needs, the
// dangling flags right, every blob an image references on disk and, with noOrphans,
// every blob on disk referenced by an image.
func checkCatalog(t testing.TB, s *Store, noOrphans bool) {
	t.Helper()
	count := func(q string) int {
		var n int
		require.NoError(t, s.rdb.QueryRow(q).Scan(&n), q)
		return n
	}
	var check string
	require.NoError(t, s.rdb.QueryRow("PRAGMA integrity_check").Scan(&check))
	assert.Equal(t, "ok", check)
	for what, q := range map[string]string{
		"images without data":         "SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM image_data d WHERE d.image = i.rowid)",
		"data of no image":            "SELECT count(*) FROM image_data d WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.rowid = d.image)",
		"names of no image":           "SELECT count(*) FROM names n WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.rowid = n.image)",
		"blob references of no image": "SELECT count(*) FROM image_blobs b WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.rowid = b.image)",
		"labels of no image":          "SELECT count(*) FROM image_labels l WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.rowid = l.image)",
		"chains of no image":          "SELECT count(*) FROM image_chains c WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.rowid = c.image)",
		"wrong dangling flags":        "SELECT count(*) FROM images i WHERE i.dangling <> NOT EXISTS (SELECT 1 FROM names n WHERE n.image = i.rowid)",
		"revisions above the counter": "SELECT count(*) FROM images WHERE rev > (SELECT rev FROM catalog_rev)",
	} {
		assert.Zero(t, count(q), what)
	}

	referenced := map[digest.Digest]bool{}
	rows, err := s.rdb.Query("SELECT DISTINCT digest FROM image_blobs")
	require.NoError(t, err)
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		referenced[digest.Digest(d)] = true
	}
	rows.Close()
	onDisk := blobsOnDisk(t, s)
	for d := range referenced {
		assert.True(t, onDisk[d], "a blob an image references is on disk: %s", d)
	}
	if noOrphans {
		for d := range onDisk {
			assert.True(t, referenced[d], "a blob on disk is referenced by an image: %s", d)
		}
	}

	// List answers for every image, Inspect for every one of a few dozen.
	sums, err := s.List(context.Background(), imagesvc.ListOptions{All: true})
	require.NoError(t, err)
	assert.Equal(t, count("SELECT count(*) FROM images"), len(sums))
	step := max(1, len(sums)/32)
	for i := 0; i < len(sums); i += step {
		sum := sums[i]
		img, err := s.Inspect(context.Background(), mustRef(t, sum.ID.String()), imagesvc.InspectOptions{})
		if assert.NoError(t, err) {
			assert.Equal(t, sum.ID, img.ID)
			assert.Equal(t, sum.RepoTags, img.RepoTags)
		}
	}
}

// listIDs returns the IDs List answers (All), sorted.
func listIDs(t testing.TB, s *Store, opts imagesvc.ListOptions) []digest.Digest {
	t.Helper()
	opts.All = true
	sums, err := s.List(context.Background(), opts)
	require.NoError(t, err)
	out := []digest.Digest{}
	for _, sum := range sums {
		out = append(out, sum.ID)
	}
	slices.Sort(out)
	return out
}

func sortedIDs(ids ...digest.Digest) []digest.Digest {
	out := append([]digest.Digest{}, ids...)
	slices.Sort(out)
	return out
}

// tagRef parses a tag target.
func tagRef(t testing.TB, repo, tag string) reference.NamedTagged {
	t.Helper()
	r, err := imagesvc.ParseTagReference(repo, tag)
	require.NoError(t, err)
	return r
}
