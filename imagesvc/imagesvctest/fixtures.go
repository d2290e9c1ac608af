package imagesvctest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// The credentials of the suite's private repository.
const (
	privateUser     = "alice"
	privatePassword = "s3cret"
)

// Creation times of the suite's images, oldest first, so that the newest-first order and
// the before/since filters have something to show.
var (
	createdSingle = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	createdMulti  = time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	createdTags   = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
)

// world is the registry the suite pulls from and the images it serves.
type world struct {
	reg      *testregistry.Registry
	hostsDir string
	host     string
	// authHost is a second registry whose base endpoint (/v2/) wants alice's password,
	// for logins: an open /v2/ has nothing to check credentials against.
	authHost string

	single  *testimages.Image // library/single:1.0 and :latest, Docker schema 2, labelled
	multi   *testimages.Image // library/multi:1.0, OCI index amd64 + arm64/v8 + attestations
	tags    map[string]*testimages.Image
	private *testimages.Image // private/secret:1, needs credentials
	twinA   *testimages.Image // library/twin:a and :b, IDs sharing their first 4 hex digits
	twinB   *testimages.Image
}

// mustImage returns a function that passes a built image through, failing t on error.
func mustImage(t testing.TB) func(*testimages.Image, error) *testimages.Image {
	return func(img *testimages.Image, err error) *testimages.Image {
		t.Helper()
		if err != nil {
			t.Fatalf("building a test image: %v", err)
		}
		return img
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	reg := testregistry.New(t, testregistry.Options{
		Users:   map[string]string{privateUser: privatePassword},
		Private: "private/",
	})
	w := &world{reg: reg, host: reg.Host(), hostsDir: filepath.Join(t.TempDir(), "hosts"), tags: map[string]*testimages.Image{}}
	if err := reg.WriteHostsDir(w.hostsDir); err != nil {
		t.Fatal(err)
	}
	authReg := testregistry.New(t, testregistry.Options{Users: map[string]string{privateUser: privatePassword}})
	if err := authReg.WriteHostsDir(w.hostsDir); err != nil {
		t.Fatal(err)
	}
	w.authHost = authReg.Host()
	must := mustImage(t)
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}

	w.single = must(testimages.DockerSchema2(testimages.Config{
		Platform: amd64, Created: createdSingle,
		Labels: map[string]string{"com.example.kind": "single", "com.example.tier": "a"},
		Env:    []string{"PATH=/usr/bin"}, Cmd: []string{"/bin/sh"},
		Layers: [][]testimages.File{
			{{Name: "etc/os-release", Data: []byte("single\n")}},
			{{Name: "bin/tool", Data: []byte("tool-for-single")}},
		},
	}))
	w.multi = must(testimages.OCIIndex([]testimages.Config{
		{Platform: amd64, Created: createdMulti, Labels: map[string]string{"com.example.kind": "multi"}, Seed: 1},
		{Platform: arm64, Created: createdMulti, Labels: map[string]string{"com.example.kind": "multi"}, Seed: 1},
	}, true))
	shared := []testimages.File{{Name: "shared/base", Data: []byte("a base layer that the tag images share")}}
	for i, tag := range []string{"v1", "v2", "v3"} {
		w.tags[tag] = must(testimages.OCIManifest(testimages.Config{
			Platform: amd64, Created: createdTags.Add(time.Duration(i) * time.Hour),
			Labels: map[string]string{"com.example.kind": "tags", "com.example.tag": tag},
			Layers: [][]testimages.File{shared, {{Name: "version", Data: []byte(tag)}}},
		}))
	}
	w.private = must(testimages.OCIManifest(testimages.Config{Platform: amd64, Seed: 99}))
	w.twinA, w.twinB = twins(t, amd64)

	put := func(repo, tag string, img *testimages.Image) {
		if err := reg.Put(repo, tag, img); err != nil {
			t.Fatal(err)
		}
	}
	put("library/single", "1.0", w.single)
	put("library/single", "latest", w.single)
	put("library/multi", "1.0", w.multi)
	for tag, img := range w.tags {
		put("library/tags", tag, img)
	}
	put("private/secret", "1", w.private)
	put("library/twin", "a", w.twinA)
	put("library/twin", "b", w.twinB)
	return w
}

// twins builds two images whose IDs share their first four hex digits, for the ambiguous
// short ID case. The seeds are searched deterministically, so the pair is the same on
// every run.
func twins(t *testing.T, p ocispec.Platform) (*testimages.Image, *testimages.Image) {
	t.Helper()
	must := mustImage(t)
	seen := map[string]*testimages.Image{}
	for seed := uint64(1000); seed < 100000; seed++ {
		img := must(testimages.OCIManifest(testimages.Config{
			Platform: p, NoLayers: true, Labels: map[string]string{"com.example.twin": strconv.FormatUint(seed, 10)},
		}))
		prefix := img.Descriptor.Digest.Encoded()[:4]
		if other, ok := seen[prefix]; ok {
			return other, img
		}
		seen[prefix] = img
	}
	t.Fatal("no two images with a common 4-digit ID prefix")
	return nil, nil
}

// ref returns the canonical name of repo:tag on the suite's registry.
func (w *world) ref(repoTag string) string { return w.host + "/" + repoTag }

// unreachableHost returns a loopback address on which nothing listens.
func unreachableHost(t *testing.T) string {
	t.Helper()
	addr, err := testregistry.UnusedAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// layerIDs returns the short IDs (12 hex digits) that progress events use for the layers of
// the manifest m of img.
func layerIDs(t *testing.T, img *testimages.Image, m digest.Digest) []string {
	t.Helper()
	man, _, err := img.Manifest(m)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range man.Layers {
		ids = append(ids, l.Digest.Encoded()[:12])
	}
	return ids
}

func platformManifest(t *testing.T, img *testimages.Image, arch string) ocispec.Descriptor {
	t.Helper()
	for _, d := range img.Manifests() {
		if d.Platform != nil && d.Platform.Architecture == arch {
			return d
		}
	}
	t.Fatalf("no %s manifest", arch)
	return ocispec.Descriptor{}
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }
