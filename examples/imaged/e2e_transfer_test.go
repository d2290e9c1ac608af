package main

// docker save and docker load (issue 11) through imaged on every backend, driven by the
// docker CLI and the Go SDK: round trips that give back the same IDs, names and content; a
// multi-platform image; an archive in the format Docker 20.10 (graphdriver) wrote; and bad
// archives that must fail clearly and change nothing.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testimages"
)

// TestCLISaveLoad drives docker save and docker load on every backend, each on a daemon of
// its own.
func TestCLISaveLoad(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture, d *daemon) {
		t.Run("round trip", func(t *testing.T) { cliSaveLoadRoundTrip(t, f, d) })
		t.Run("multi-platform", func(t *testing.T) { cliSaveLoadMulti(t, f, d) })
		t.Run("docker 20.10 archive", func(t *testing.T) { cliLoadLegacy(t, f, d) })
		t.Run("bad input", func(t *testing.T) { loadBadInput(t, f, d) })
	})
}

// inspectAll returns docker image inspect of each name, as decoded JSON objects.
func (d *daemon) inspectAll(t *testing.T, f *fixture, names ...string) []map[string]any {
	t.Helper()
	r := d.mustDocker(t, f, append([]string{"image", "inspect"}, names...)...)
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != len(names) {
		t.Fatalf("docker image inspect %v: %v\n%s", names, err, r.stdout)
	}
	return out
}

// comparable drops what a save and load may change from an inspect answer: Metadata
// (LastTagTime) and the annotations of Descriptor, which a loaded record carries (the
// archive's index.json descriptor, spec §7.3).
func comparableInspect(m map[string]any) map[string]any {
	m = maps.Clone(m)
	delete(m, "Metadata")
	if desc, ok := m["Descriptor"].(map[string]any); ok {
		desc = maps.Clone(desc)
		delete(desc, "annotations")
		m["Descriptor"] = desc
	}
	return m
}

// sameBlobs fails t unless the daemon holds the blobs want after loading archive (a saved
// archive, in memory): on containerd, the importer also writes the archive's index.json to
// the content store (containerd's archive.ImportIndex, as in Docker), unreferenced, and
// containerd's garbage collector removes it when it next runs, so that blob may be there.
func (d *daemon) sameBlobs(t *testing.T, what string, archive []byte, want []digest.Digest) {
	t.Helper()
	got := d.blobSet(t)
	if d.backend == "containerd" {
		_, files := tarEntries(t, archive)
		idx := digest.FromBytes(files["index.json"])
		got = slices.DeleteFunc(got, func(g digest.Digest) bool { return g == idx && !slices.Contains(want, g) })
	}
	if !slices.Equal(got, want) {
		t.Errorf("blobs %s:\n%v\nwant:\n%v", what, got, want)
	}
}

// blobSet is the set of the daemon's content blobs, sorted.
func (d *daemon) blobSet(t *testing.T) []digest.Digest {
	t.Helper()
	b := d.blobs(t)
	slices.Sort(b)
	return slices.Compact(b)
}

// imageList is docker images -a as sorted "repo:tag id" lines: what a failed load must not
// change.
func (d *daemon) imageList(t *testing.T, f *fixture) []string {
	t.Helper()
	r := d.mustDocker(t, f, "images", "-a", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	l := outLines(r.stdout)
	slices.Sort(l)
	return l
}

// tarEntries reads a tar archive into memory (small test archives only): the entries in
// order and the content of each regular file.
func tarEntries(t *testing.T, data []byte) ([]string, map[string][]byte) {
	t.Helper()
	var names []string
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, files
		}
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		names = append(names, h.Name)
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("reading %s of the archive: %v", h.Name, err)
			}
			files[h.Name] = b
		}
	}
}

// manifestEntry is one entry of Docker's manifest.json.
type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// checkSavedArchive checks the OCI layout and Docker manifest of an archive saved by
// imaged: every blob is there under its digest, the io.containerd.image.name annotations of
// index.json are wantNames (unless nil), and it returns the index and manifest.json.
func checkSavedArchive(t *testing.T, data []byte, wantNames []string) (ocispec.Index, []manifestEntry) {
	t.Helper()
	names, files := tarEntries(t, data)
	if !slices.IsSorted(names) {
		t.Errorf("archive entries are not sorted by name (spec §6.3): %q", names)
	}
	if got := string(files["oci-layout"]); got != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout: %q", got)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(files["index.json"], &idx); err != nil {
		t.Fatalf("index.json: %v\n%s", err, files["index.json"])
	}
	var gotNames []string
	for _, m := range idx.Manifests {
		gotNames = append(gotNames, m.Annotations["io.containerd.image.name"])
		if _, ok := files["blobs/sha256/"+m.Digest.Encoded()]; !ok {
			t.Errorf("index.json names %s, which the archive lacks", m.Digest)
		}
	}
	if wantNames != nil && !slices.Equal(gotNames, wantNames) {
		t.Errorf("index.json names %q, want %q", gotNames, wantNames)
	}
	for name, b := range files {
		if hex, ok := strings.CutPrefix(name, "blobs/sha256/"); ok {
			if got := digest.FromBytes(b); got.Encoded() != hex {
				t.Errorf("archive blob %s has digest %s", name, got)
			}
		}
	}
	var mf []manifestEntry
	if err := json.Unmarshal(files["manifest.json"], &mf); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, files["manifest.json"])
	}
	for _, e := range mf {
		for _, p := range append([]string{e.Config}, e.Layers...) {
			if _, ok := files[p]; !ok {
				t.Errorf("manifest.json names %s, which the archive lacks", p)
			}
		}
	}
	return idx, mf
}

// cliSaveLoadRoundTrip: docker save of two images (one with two names), docker rmi of
// them, docker load: the same IDs, names, inspect answers and blobs.
func cliSaveLoadRoundTrip(t *testing.T, f *fixture, d *daemon) {
	dir := t.TempDir()
	cliRef, appRef := f.ref("e2e/cli:1"), f.ref("e2e/app:v1")
	d.mustDocker(t, f, "pull", "-q", cliRef)
	d.mustDocker(t, f, "pull", "-q", appRef)
	d.mustDocker(t, f, "tag", appRef, "rt/app:one")
	names := []string{cliRef, appRef, "rt/app:one"}
	before := d.inspectAll(t, f, names...)
	blobsBefore := d.blobSet(t)

	archive := filepath.Join(dir, "images.tar")
	if r := d.mustDocker(t, f, "save", "-o", archive, cliRef, appRef, "rt/app:one"); r.stdout != "" {
		t.Errorf("docker save -o printed %q", r.stdout)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	idx, mf := checkSavedArchive(t, data, []string{cliRef, appRef, "docker.io/rt/app:one"})
	for i, want := range []digest.Digest{f.cliImg.Descriptor.Digest, f.app.Descriptor.Digest, f.app.Descriptor.Digest} {
		if i < len(idx.Manifests) && idx.Manifests[i].Digest != want {
			t.Errorf("index.json entry %d: %s, want %s", i, idx.Manifests[i].Digest, want)
		}
	}
	var tags []string
	for _, e := range mf {
		tags = append(tags, e.RepoTags...)
	}
	slices.Sort(tags)
	if want := []string{appRef, cliRef, "rt/app:one"}; !slices.Equal(tags, want) {
		t.Errorf("manifest.json RepoTags %q, want %q", tags, want)
	}
	// docker save to stdout writes the same archive, but for the order of manifest.json's
	// entries (map order, as Docker's, spec §6.3).
	r := d.mustDocker(t, f, "save", cliRef, appRef, "rt/app:one")
	names1, files1 := tarEntries(t, data)
	names2, files2 := tarEntries(t, []byte(r.stdout))
	_, mf2 := checkSavedArchive(t, []byte(r.stdout), nil)
	delete(files1, "manifest.json")
	delete(files2, "manifest.json")
	sortEntries := func(m []manifestEntry) {
		slices.SortFunc(m, func(a, b manifestEntry) int { return strings.Compare(a.Config, b.Config) })
	}
	sortEntries(mf)
	sortEntries(mf2)
	if !slices.Equal(names1, names2) || !maps.EqualFunc(files1, files2, bytes.Equal) || !jsonEqual(mf, mf2) {
		t.Errorf("docker save to stdout differs from docker save -o: entries %q and %q", names2, names1)
	}

	d.mustDocker(t, f, "rmi", cliRef, appRef, "rt/app:one")
	if r := d.docker(t, f, "image", "inspect", cliRef); r.code != 1 {
		t.Fatalf("%s still there after docker rmi: %s", cliRef, r)
	}
	d.checkBlobs(t, "after docker rmi", slices.Concat(f.cliImg.Digests(), f.app.Digests()), nil)

	r = d.mustDocker(t, f, "load", "-i", archive)
	want := []string{"Loaded image: " + cliRef, "Loaded image: " + appRef, "Loaded image: rt/app:one"}
	if got := outLines(r.stdout); !slices.Equal(got, want) {
		t.Errorf("docker load: %q, want %q\n%s", got, want, r)
	}
	after := d.inspectAll(t, f, names...)
	for i, name := range names {
		if b, a := comparableInspect(before[i]), comparableInspect(after[i]); !jsonEqual(b, a) {
			bj, _ := json.MarshalIndent(b, "", " ")
			aj, _ := json.MarshalIndent(a, "", " ")
			t.Errorf("docker image inspect %s differs after save, rmi, load:\nbefore %s\nafter %s", name, bj, aj)
		}
	}
	d.sameBlobs(t, "after the load (want: before the save)", data, blobsBefore)

	// Loading the same archive again changes nothing and says the same.
	r = d.mustDocker(t, f, "load", "-q", "-i", archive)
	if got := outLines(r.stdout); !slices.Equal(got, want) {
		t.Errorf("second docker load: %q, want %q", got, want)
	}
	if got := d.inspectAll(t, f, cliRef)[0]["Id"]; got != f.cliImg.Descriptor.Digest.String() {
		t.Errorf("after a second load %s is %v", cliRef, got)
	}

	// A load from stdin, gzip-compressed, of a single image.
	d.mustDocker(t, f, "rmi", cliRef)
	r = docker(t, f, []string{"DOCKER_HOST=" + d.hostURL()}, bytes.NewReader(testimages.Gzip(data)), "load")
	if r.code != 0 || !slices.Contains(outLines(r.stdout), "Loaded image: "+cliRef) {
		t.Errorf("docker load < gzip archive: %s", r)
	}
	if got := d.inspectAll(t, f, cliRef)[0]["Id"]; got != f.cliImg.Descriptor.Digest.String() {
		t.Errorf("after the gzip load %s is %v", cliRef, got)
	}
}

// cliSaveLoadMulti: an OCI index with attestations, both platforms pulled: saved with every
// platform and loaded back whole; saved for one platform, that platform's manifest alone.
func cliSaveLoadMulti(t *testing.T, f *fixture, d *daemon) {
	dir := t.TempDir()
	ref := f.ref("e2e/multi:1.0")
	d.mustDocker(t, f, "pull", "-q", "--platform", f.platformString(f.other), ref)
	d.mustDocker(t, f, "pull", "-q", "--platform", f.platformString(f.host), ref)
	before := d.inspectAll(t, f, ref)[0]
	if before["Id"] != f.multi.Descriptor.Digest.String() {
		t.Fatalf("%s has ID %v, want %s", ref, before["Id"], f.multi.Descriptor.Digest)
	}
	blobsBefore := d.blobSet(t)

	archive := filepath.Join(dir, "multi.tar")
	d.mustDocker(t, f, "save", "-o", archive, ref)
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	idx, mf := checkSavedArchive(t, data, []string{ref})
	if len(idx.Manifests) == 1 && idx.Manifests[0].Digest != f.multi.Descriptor.Digest {
		t.Errorf("index.json names %s, want the index %s", idx.Manifests[0].Digest, f.multi.Descriptor.Digest)
	}
	_, files := tarEntries(t, data)
	// Both platforms' manifests (a pull does not fetch attestations: those are in the
	// archive when the store has them, which the blob comparison below checks).
	for _, m := range f.multi.Manifests() {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue
		}
		if _, ok := files["blobs/sha256/"+m.Digest.Encoded()]; !ok {
			t.Errorf("the archive lacks manifest %s (%v, %v)", m.Digest, m.Platform, m.Annotations)
		}
	}
	if len(mf) != 1 {
		t.Errorf("manifest.json has %d entries, want 1 (the host platform's)", len(mf))
	}

	d.mustDocker(t, f, "rmi", ref)
	d.checkBlobs(t, "after docker rmi", f.multi.Digests(), nil)
	r := d.mustDocker(t, f, "load", "-i", archive)
	if got := outLines(r.stdout); !slices.Equal(got, []string{"Loaded image: " + ref}) {
		t.Errorf("docker load: %s", r)
	}
	after := d.inspectAll(t, f, ref)[0]
	if b, a := comparableInspect(before), comparableInspect(after); !jsonEqual(b, a) {
		bj, _ := json.MarshalIndent(b, "", " ")
		aj, _ := json.MarshalIndent(a, "", " ")
		t.Errorf("docker image inspect %s differs after save, rmi, load:\nbefore %s\nafter %s", ref, bj, aj)
	}
	d.sameBlobs(t, "after the load (want: before the save)", data, blobsBefore)
	// Both platforms are usable after the load.
	for _, p := range []ocispec.Platform{f.host, f.other} {
		r := d.mustDocker(t, f, "image", "inspect", "--platform", f.platformString(p), "--format", "{{.Os}}/{{.Architecture}}", ref)
		if got, want := strings.TrimSpace(r.stdout), p.OS+"/"+p.Architecture; got != want {
			t.Errorf("inspect --platform %s after the load: %q", f.platformString(p), got)
		}
	}

	// One platform: the archive's index.json points at that platform's manifest.
	var hostManifest ocispec.Descriptor
	for _, m := range f.multi.Manifests() {
		if m.Platform != nil && m.Platform.OS == f.host.OS && m.Platform.Architecture == f.host.Architecture && m.Platform.Variant == f.host.Variant {
			hostManifest = m
		}
	}
	one := filepath.Join(dir, "one.tar")
	d.mustDocker(t, f, "save", "--platform", f.platformString(f.host), "-o", one, ref)
	data, err = os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	// The manifest, named, then its attestation (pulled with it) as a referrer.
	idx, _ = checkSavedArchive(t, data, nil)
	if len(idx.Manifests) != 2 || idx.Manifests[0].Digest != hostManifest.Digest || idx.Manifests[0].Annotations["io.containerd.image.name"] != ref ||
		idx.Manifests[1].Annotations["io.containerd.manifest.subject"] != hostManifest.Digest.String() {
		t.Errorf("docker save --platform %s: index.json %+v, want the manifest %s, then its attestation", f.platformString(f.host), idx.Manifests, hostManifest.Digest)
	}
	_, files = tarEntries(t, data)
	if _, ok := files["blobs/sha256/"+f.multi.Descriptor.Digest.Encoded()]; ok {
		t.Errorf("docker save --platform: the archive holds the index blob")
	}

	if r := d.docker(t, f, "save", "--platform", "linux/s390x", "-o", filepath.Join(dir, "none.tar"), ref); r.code != 1 ||
		!strings.Contains(r.stderr, "does not provide the specified platform (linux/s390x)") {
		t.Errorf("docker save --platform linux/s390x: %s", r)
	}

	// An OCI layout archive built here, with every blob of the index (attestations
	// included): loaded whole, under the name of its annotation.
	d.mustDocker(t, f, "rmi", ref)
	r = docker(t, f, []string{"DOCKER_HOST=" + d.hostURL()}, bytes.NewReader(ociArchive(t, f.multi, "docker.io/oci/multi:full")), "load")
	if r.code != 0 || !slices.Equal(outLines(r.stdout), []string{"Loaded image: oci/multi:full"}) {
		t.Errorf("docker load of an OCI layout archive: %s", r)
	}
	if got := d.inspectAll(t, f, "oci/multi:full")[0]["Id"]; got != f.multi.Descriptor.Digest.String() {
		t.Errorf("oci/multi:full is %v, want %s", got, f.multi.Descriptor.Digest)
	}
	d.checkBlobs(t, "after the load of an OCI layout archive", nil, f.multi.Digests())
}

// legacyImage is an archive in the format of docker save of Docker 20.10 (graphdriver):
// <config hex>.json, <layer id>/{VERSION,json,layer.tar}, manifest.json with the config
// file as Config, and a repositories file.
type legacyImage struct {
	archive []byte
	config  digest.Digest
	diffIDs []digest.Digest
	tags    []string
	env     []string
	labels  map[string]string
}

func buildLegacyArchive(t *testing.T, p ocispec.Platform) legacyImage {
	t.Helper()
	created := date("2021-03-04")
	layers := [][]byte{
		testimages.Tar([]testimages.File{{Name: "etc/"}, {Name: "etc/legacy-release", Data: []byte("docker 20.10\n")}}),
		testimages.Tar([]testimages.File{{Name: "srv/"}, {Name: "srv/legacy-app", Data: []byte("app\n"), Mode: 0o755}}),
	}
	img := legacyImage{
		tags:   []string{"legacy/app:20.10", "legacy/app:latest"},
		env:    []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LEGACY=1"},
		labels: map[string]string{"org.example.format": "docker-20.10"},
	}
	for _, l := range layers {
		img.diffIDs = append(img.diffIDs, digest.FromBytes(l))
	}
	cfg := ocispec.Image{
		Created:  &created,
		Author:   "e2e",
		Platform: ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
		Config:   ocispec.ImageConfig{Env: img.env, Cmd: []string{"/srv/legacy-app"}, Labels: img.labels},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: img.diffIDs},
		History: []ocispec.History{
			{Created: &created, CreatedBy: "/bin/sh -c #(nop) ADD file:legacy in / "},
			{Created: &created, CreatedBy: "/bin/sh -c #(nop) COPY file:app in /srv "},
		},
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	img.config = digest.FromBytes(cfgJSON)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := created
	add := func(name string, data []byte, dir bool) {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}
		if dir {
			h.Mode, h.Size, h.Typeflag = 0o755, 0, tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	// graphdriver's v1 layer IDs: chained hashes, one directory per layer.
	var ids []string
	parent := ""
	for i, l := range layers {
		id := digest.FromString(fmt.Sprintf("v1 %s %s %d", parent, img.diffIDs[i], i)).Encoded()
		v1 := map[string]any{"id": id, "created": created.Format(time.RFC3339Nano), "container_config": map[string]any{"Cmd": nil}}
		if parent != "" {
			v1["parent"] = parent
		}
		if i == len(layers)-1 {
			v1["config"] = cfg.Config
			v1["os"], v1["architecture"] = p.OS, p.Architecture
		}
		v1JSON, _ := json.Marshal(v1)
		add(id+"/", nil, true)
		add(id+"/VERSION", []byte("1.0"), false)
		add(id+"/json", v1JSON, false)
		add(id+"/layer.tar", l, false)
		ids = append(ids, id)
		parent = id
	}
	add(img.config.Encoded()+".json", cfgJSON, false)
	var layerPaths []string
	for _, id := range ids {
		layerPaths = append(layerPaths, id+"/layer.tar")
	}
	mf, _ := json.Marshal([]map[string]any{{"Config": img.config.Encoded() + ".json", "RepoTags": img.tags, "Layers": layerPaths}})
	add("manifest.json", mf, false)
	repos, _ := json.Marshal(map[string]map[string]string{"legacy/app": {"20.10": parent, "latest": parent}})
	add("repositories", repos, false)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	img.archive = buf.Bytes()
	return img
}

// cliLoadLegacy: docker load of an archive Docker 20.10 wrote; the image is listed and
// inspected with the archive's config and layers, and saves back with the same config.
func cliLoadLegacy(t *testing.T, f *fixture, d *daemon) {
	dir := t.TempDir()
	img := buildLegacyArchive(t, f.host)
	archive := filepath.Join(dir, "legacy.tar")
	if err := os.WriteFile(archive, img.archive, 0o600); err != nil {
		t.Fatal(err)
	}
	r := d.mustDocker(t, f, "load", "-i", archive)
	if got, want := outLines(r.stdout), []string{"Loaded image: legacy/app:20.10", "Loaded image: legacy/app:latest"}; !slices.Equal(got, want) {
		t.Errorf("docker load of a Docker 20.10 archive: %q, want %q", got, want)
	}

	rows := cliRows(t, d.mustDocker(t, f, "images", "--format", "{{json .}}", "legacy/app").stdout)
	var ids, tags []string
	for _, row := range rows {
		ids = append(ids, row.ID)
		tags = append(tags, row.Tag)
	}
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"20.10", "latest"}) || len(slices.Compact(ids)) != 1 {
		t.Errorf("docker images legacy/app: %+v", rows)
	}

	var insp struct {
		ID       string `json:"Id"`
		RepoTags []string
		Os       string
		Arch     string `json:"Architecture"`
		Author   string
		Created  string
		Config   struct {
			Env    []string
			Cmd    []string
			Labels map[string]string
		}
		RootFS struct{ Layers []digest.Digest }
	}
	raw := d.inspectAll(t, f, "legacy/app:20.10")[0]
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &insp); err != nil {
		t.Fatal(err)
	}
	slices.Sort(insp.RepoTags)
	if _, err := digest.Parse(insp.ID); err != nil || len(ids) == 0 || !strings.HasPrefix(insp.ID, "sha256:"+ids[0]) {
		t.Errorf("inspect Id %q, docker images ID %v", insp.ID, ids)
	}
	if !slices.Equal(insp.RepoTags, img.tags) || insp.Os != f.host.OS || insp.Arch != f.host.Architecture || insp.Author != "e2e" ||
		!strings.HasPrefix(insp.Created, "2021-03-04T00:00:00") || !slices.Equal(insp.Config.Env, img.env) ||
		!maps.Equal(insp.Config.Labels, img.labels) || !slices.Equal(insp.RootFS.Layers, img.diffIDs) {
		t.Errorf("docker image inspect legacy/app:20.10:\n%s\nwant tags %v, env %v, labels %v, layers %v", b, img.tags, img.env, img.labels, img.diffIDs)
	}
	r = d.mustDocker(t, f, "history", "--format", "{{.CreatedBy}}", "--no-trunc", "legacy/app:20.10")
	if got := outLines(r.stdout); len(got) != 2 || !strings.Contains(got[0], "COPY file:app") {
		t.Errorf("docker history legacy/app:20.10: %q", got)
	}

	// Saved again, the archive holds the very config blob and the layers' content.
	r = d.mustDocker(t, f, "save", "legacy/app:20.10")
	_, mf := checkSavedArchive(t, []byte(r.stdout), []string{"docker.io/legacy/app:20.10"})
	if len(mf) != 1 || mf[0].Config != "blobs/sha256/"+img.config.Encoded() {
		t.Errorf("docker save of the loaded image: manifest.json %+v, want the config %s", mf, img.config)
	}
}

// loadBadInput: garbage, an empty body and a truncated archive, through the CLI and the
// SDK: each a clear error, and neither the image list nor the content store changes.
func loadBadInput(t *testing.T, f *fixture, d *daemon) {
	ref := f.ref("e2e/base:1")
	d.mustDocker(t, f, "pull", "-q", ref)
	saved := []byte(d.mustDocker(t, f, "save", ref).stdout)
	d.mustDocker(t, f, "rmi", ref)
	// Something in the store, so that "unchanged" is not trivially empty.
	d.mustDocker(t, f, "pull", "-q", f.ref("e2e/cli:1"))
	listBefore, blobsBefore := d.imageList(t, f), d.blobSet(t)

	garbage := make([]byte, 4096)
	rng := rand.NewChaCha8([32]byte{11})
	_, _ = rng.Read(garbage)
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		data []byte
		want []string // one of these in the error
	}{
		{"garbage", garbage, []string{"invalid tar header"}},
		{"text", []byte("this is not a tar archive\n"), []string{"unexpected EOF"}},
		{"empty", nil, []string{"unrecognized image format"}},
		{"truncated", saved[:len(saved)*2/3], []string{"unexpected EOF", "unrecognized image format"}},
		{"truncated gzip", testimages.Gzip(saved)[:len(testimages.Gzip(saved))/2], []string{"unexpected EOF"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".tar")
			if err := os.WriteFile(file, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			r := d.docker(t, f, "load", "-i", file)
			if r.code != 1 || !slices.ContainsFunc(tt.want, func(w string) bool { return strings.Contains(r.stderr, w) }) {
				t.Errorf("docker load of %s: %s\nwant exit 1 and one of %q", tt.name, r, tt.want)
			}
			if strings.Contains(r.stdout, "Loaded image") {
				t.Errorf("docker load of %s printed %q", tt.name, r.stdout)
			}

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			msg, err := sdkLoad(ctx, sdkFor(t, d), bytes.NewReader(tt.data))
			if err == nil || !slices.ContainsFunc(tt.want, func(w string) bool { return strings.Contains(err.Error(), w) }) {
				t.Errorf("ImageLoad of %s: %v (stream %q), want one of %q", tt.name, err, msg, tt.want)
			}

			if got := d.imageList(t, f); !slices.Equal(got, listBefore) {
				t.Errorf("docker images after the load of %s: %q, want %q", tt.name, got, listBefore)
			}
			if got := d.blobSet(t); !slices.Equal(got, blobsBefore) {
				t.Errorf("blobs after the load of %s: %v, want %v", tt.name, got, blobsBefore)
			}
		})
	}
}

// sdkLoad loads an archive with the Go SDK and returns the stream's messages, and its
// in-stream error as an error.
func sdkLoad(ctx context.Context, c *client.Client, r io.Reader) (string, error) {
	res, err := c.ImageLoad(ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		return "", err
	}
	defer res.Close()
	var out strings.Builder
	dec := json.NewDecoder(res)
	for {
		var m struct {
			Stream string
			Error  string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return out.String(), nil
		} else if err != nil {
			return out.String(), err
		}
		if m.Error != "" {
			return out.String(), fmt.Errorf("in-stream error: %s", m.Error)
		}
		out.WriteString(m.Stream)
	}
}

// ociArchive is an OCI image layout archive of img, with every blob, whose index.json
// names it name (io.containerd.image.name, as docker save writes it).
func ociArchive(t *testing.T, img *testimages.Image, name string) []byte {
	t.Helper()
	desc := img.Descriptor
	desc.Annotations = map[string]string{"io.containerd.image.name": name}
	idx, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{desc}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", idx)
	for _, d := range img.Digests() {
		add("blobs/sha256/"+d.Encoded(), img.Blobs[d].Data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
