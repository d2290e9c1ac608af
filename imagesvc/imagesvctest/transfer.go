package imagesvctest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// The groups of save and load (spec docker-image-lifecycle.md §6, §7).

const (
	annName    = "io.containerd.image.name"
	annRefName = ocispec.AnnotationRefName
)

// archiveFile is one member of a tar archive read back.
type archiveFile struct {
	hdr  *tar.Header
	data []byte
}

// readArchive reads a (small) tar archive: members in order and by name.
func readArchive(t *testing.T, data []byte) ([]string, map[string]archiveFile) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var names []string
	files := map[string]archiveFile{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		names = append(names, hdr.Name)
		files[hdr.Name] = archiveFile{hdr: hdr, data: b}
	}
	return names, files
}

type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func save(t *testing.T, sv imagesvc.Saver, platforms []ocispec.Platform, names ...string) ([]byte, error) {
	t.Helper()
	req := imagesvc.SaveRequest{Platforms: platforms}
	for _, n := range names {
		ref, err := imagesvc.ParseImageRef(n)
		require.NoError(t, err, n)
		req.Refs = append(req.Refs, ref)
	}
	var buf bytes.Buffer
	err := sv.Save(context.Background(), req, &buf)
	return buf.Bytes(), err
}

func mustSave(t *testing.T, sv imagesvc.Saver, platforms []ocispec.Platform, names ...string) (map[string]archiveFile, ocispec.Index, []dockerManifest) {
	t.Helper()
	data, err := save(t, sv, platforms, names...)
	require.NoError(t, err, "save %v", names)
	entries, files := readArchive(t, data)
	require.True(t, sort.StringsAreSorted(entries), "entries sorted by name: %v", entries)
	assert.NotContains(t, files, "repositories")
	require.Contains(t, files, "oci-layout")
	assert.JSONEq(t, `{"imageLayoutVersion":"1.0.0"}`, string(files["oci-layout"].data))
	var idx ocispec.Index
	require.NoError(t, json.Unmarshal(files["index.json"].data, &idx))
	var mfst []dockerManifest
	if f, ok := files["manifest.json"]; ok {
		require.NoError(t, json.Unmarshal(f.data, &mfst))
	}
	for name, f := range files {
		if strings.HasPrefix(name, "blobs/sha256/") && f.hdr.Typeflag == tar.TypeReg {
			assert.Equal(t, "sha256:"+strings.TrimPrefix(name, "blobs/sha256/"), digest.FromBytes(f.data).String(), "blob %s", name)
		}
	}
	return files, idx, mfst
}

func blobName(d digest.Digest) string { return "blobs/sha256/" + d.Encoded() }

func (s *suite) testSave(t *testing.T) {
	svc := s.service(t)
	sv := capability[imagesvc.Saver](t, svc, "Saver")
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/single", "latest")
	img := s.w.single
	id := img.Descriptor.Digest
	m, _, err := img.Manifest(id)
	require.NoError(t, err)
	familiar := func(n string) string {
		named, err := reference.ParseNormalizedNamed(n)
		require.NoError(t, err)
		return reference.FamiliarString(named)
	}

	// A tagged name: exported with its name.
	files, idx, mfst := mustSave(t, sv, nil, s.w.ref("library/single:1.0"))
	require.Len(t, idx.Manifests, 1)
	d := idx.Manifests[0]
	assert.Equal(t, id, d.Digest)
	assert.Equal(t, s.w.ref("library/single:1.0"), d.Annotations[annName])
	assert.Equal(t, "1.0", d.Annotations[annRefName])
	for _, b := range append([]ocispec.Descriptor{img.Descriptor, m.Config}, m.Layers...) {
		assert.Contains(t, files, blobName(b.Digest))
	}
	require.Len(t, mfst, 1)
	assert.Equal(t, []string{familiar(s.w.ref("library/single:1.0"))}, mfst[0].RepoTags)
	assert.Equal(t, blobName(m.Config.Digest), mfst[0].Config)
	assert.Len(t, mfst[0].Layers, len(m.Layers))

	// An ID or a short ID: unnamed, RepoTags null.
	for _, ref := range []string{id.String(), short(id)} {
		files, idx, _ := mustSave(t, sv, nil, ref)
		require.Len(t, idx.Manifests, 1, ref)
		assert.NotContains(t, idx.Manifests[0].Annotations, annName, ref)
		assert.NotContains(t, idx.Manifests[0].Annotations, annRefName, ref)
		assert.Contains(t, string(files["manifest.json"].data), `"RepoTags":null`, ref)
	}

	// A bare repository: every tag, in name order.
	_, idx, mfst = mustSave(t, sv, nil, s.w.ref("library/single"))
	require.Len(t, idx.Manifests, 2)
	assert.Equal(t, s.w.ref("library/single:1.0"), idx.Manifests[0].Annotations[annName])
	assert.Equal(t, s.w.ref("library/single:latest"), idx.Manifests[1].Annotations[annName])
	require.Len(t, mfst, 1)
	assert.ElementsMatch(t, []string{familiar(s.w.ref("library/single:1.0")), familiar(s.w.ref("library/single:latest"))}, mfst[0].RepoTags)

	// No names: index.json and oci-layout only, manifests null.
	data, err := save(t, sv, nil)
	require.NoError(t, err)
	entries, files := readArchive(t, data)
	assert.Equal(t, []string{"index.json", "oci-layout"}, entries)
	assert.JSONEq(t, `{"manifests":null,"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}`, string(files["index.json"].data))

	// Errors before the first byte.
	for _, tc := range []struct{ name, text string }{
		{"nope:1", "No such image: nope:1"},
		{"nope", "No such image: nope:latest"},
	} {
		data, err := save(t, sv, nil, s.w.ref("library/single:1.0"), tc.name)
		requireErr(t, err, errdefs.ErrNotFound, tc.text)
		assert.Empty(t, data, "nothing written before a resolution error")
	}
}

func (s *suite) testSaveMultiPlatform(t *testing.T) {
	svc := s.service(t)
	sv := capability[imagesvc.Saver](t, svc, "Saver")
	s.mustPull(t, svc, "library/multi", "1.0") // amd64 (the host's) only
	multi := s.w.ref("library/multi:1.0")
	amd := platformManifest(t, s.w.multi, "amd64")
	arm := platformManifest(t, s.w.multi, "arm64")
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}

	// No platform: the index, with the present platform's content only.
	files, idx, mfst := mustSave(t, sv, nil, multi)
	require.Len(t, idx.Manifests, 1)
	assert.Equal(t, s.w.multi.Descriptor.Digest, idx.Manifests[0].Digest)
	assert.Contains(t, files, blobName(s.w.multi.Descriptor.Digest))
	assert.Equal(t, s.w.multi.Blobs[s.w.multi.Descriptor.Digest].Data, files[blobName(s.w.multi.Descriptor.Digest)].data, "the index blob is unchanged")
	assert.Contains(t, files, blobName(amd.Digest))
	assert.NotContains(t, files, blobName(arm.Digest))
	require.Len(t, mfst, 1)
	m, _, err := s.w.multi.Manifest(amd.Digest)
	require.NoError(t, err)
	assert.Equal(t, blobName(m.Config.Digest), mfst[0].Config)

	// One platform: that platform's manifest, named, then its attestation (pulled with it)
	// as a referrer; no index blob.
	files, idx, _ = mustSave(t, sv, []ocispec.Platform{amd64}, multi)
	require.Len(t, idx.Manifests, 2, "the manifest and its attestation")
	assert.Equal(t, amd.Digest, idx.Manifests[0].Digest)
	assert.Equal(t, multi, idx.Manifests[0].Annotations[annName])
	att := attestationOf(s.w.multi, amd.Digest)
	assert.Equal(t, att.Digest, idx.Manifests[1].Digest)
	assert.Equal(t, amd.Digest.String(), idx.Manifests[1].Annotations["io.containerd.manifest.subject"])
	assert.Contains(t, files, blobName(att.Digest))
	assert.NotContains(t, files, blobName(s.w.multi.Descriptor.Digest))

	// A platform that is not present.
	data, err := save(t, sv, []ocispec.Platform{arm64}, multi)
	requireErr(t, err, errdefs.ErrNotFound, "no suitable export target found: image with reference "+
		reference.FamiliarString(mustNamed(t, multi))+" was found but does not provide the specified platform (linux/arm64/v8)")
	assert.Empty(t, data)

	// Several platforms: the index restricted to them; none matching is a 404.
	// The platform filter drops the attestations from the index's tree; containerd's
	// exporter then appends the present manifest's attestation as its referrer.
	files, idx, _ = mustSave(t, sv, []ocispec.Platform{amd64, arm64}, multi)
	require.Len(t, idx.Manifests, 2)
	assert.Equal(t, s.w.multi.Descriptor.Digest, idx.Manifests[0].Digest)
	assert.Equal(t, att.Digest, idx.Manifests[1].Digest)
	assert.Equal(t, amd.Digest.String(), idx.Manifests[1].Annotations["io.containerd.manifest.subject"])
	assert.Contains(t, files, blobName(amd.Digest))
	data, err = save(t, sv, []ocispec.Platform{{OS: "linux", Architecture: "s390x"}, {OS: "linux", Architecture: "ppc64le"}}, multi)
	requireErr(t, err, errdefs.ErrNotFound, "no manifest found for platform: not found")
	assert.Empty(t, data)
}

// attestationOf returns the attestation manifest of img's index that refers to subject.
func attestationOf(img *testimages.Image, subject digest.Digest) ocispec.Descriptor {
	for _, d := range img.Manifests() {
		if d.Annotations["vnd.docker.reference.digest"] == subject.String() {
			return d
		}
	}
	return ocispec.Descriptor{}
}

func mustNamed(t *testing.T, s string) reference.Named {
	t.Helper()
	n, err := reference.ParseNormalizedNamed(s)
	require.NoError(t, err)
	return n
}

// member is one entry of an archive the tests build.
type member struct {
	name     string
	data     []byte
	typeflag byte
	link     string
}

func buildTar(t *testing.T, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: m.typeflag, Linkname: m.link}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		require.NoError(t, tw.WriteHeader(hdr))
		if hdr.Size > 0 {
			_, err := tw.Write(m.data)
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// withoutTrailer returns the archive data, written by buildTar, without its
// end-of-archive trailer (two zero blocks): the archive ends right after its last member.
func withoutTrailer(data []byte) []byte {
	return data[:len(data)-2*512]
}

// ociArchive returns the members of an OCI layout holding img, with index.json naming
// it by the given annotations; skip leaves blobs out.
func ociArchive(t *testing.T, img *testimages.Image, annotations map[string]string, skip ...digest.Digest) []member {
	t.Helper()
	d := img.Descriptor
	d.Annotations = annotations
	idx, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{d}})
	require.NoError(t, err)
	ms := []member{{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {name: "index.json", data: idx}}
	var ds []digest.Digest
	for dg := range img.Blobs {
		ds = append(ds, dg)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	for _, dg := range ds {
		if containsDigest(skip, dg) {
			continue
		}
		ms = append(ms, member{name: blobName(dg), data: img.Blobs[dg].Data})
	}
	return ms
}

func containsDigest(ds []digest.Digest, d digest.Digest) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

func load(t *testing.T, l imagesvc.Loader, data []byte, platforms ...ocispec.Platform) ([]imagesvc.LoadedImage, error) {
	t.Helper()
	return l.Load(context.Background(), imagesvc.LoadRequest{Source: bytes.NewReader(data), Platforms: platforms})
}

func named(_ *testimages.Image, name string) map[string]string {
	return map[string]string{annName: name, annRefName: name[strings.LastIndexByte(name, ':')+1:]}
}

func (s *suite) testLoad(t *testing.T) {
	svc := s.service(t)
	l := capability[imagesvc.Loader](t, svc, "Loader")
	a, b := s.w.tags["v1"], s.w.tags["v2"]

	// A named OCI layout, gzip-compressed.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(buildTar(t, ociArchive(t, a, named(a, "docker.io/library/loaded:1"))))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	out, err := load(t, l, gz.Bytes())
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.LoadedImage{{Name: "loaded:1", ID: a.Descriptor.Digest}}, out)
	assert.Equal(t, "Loaded image: loaded:1", out[0].Message())
	got, err := inspect(t, svc, "loaded:1", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, a.Descriptor.Digest, got.ID)
	assert.Equal(t, "tags", got.Config.Labels["com.example.kind"])

	// The name moves to another image; the first stays, dangling.
	out, err = load(t, l, buildTar(t, ociArchive(t, b, named(b, "docker.io/library/loaded:1"))))
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.LoadedImage{{Name: "loaded:1", ID: b.Descriptor.Digest}}, out)
	got, err = inspect(t, svc, "loaded:1", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, b.Descriptor.Digest, got.ID)
	old, err := inspect(t, svc, a.Descriptor.Digest.String(), imagesvc.InspectOptions{})
	require.NoError(t, err, "the previous image stays")
	assert.Empty(t, old.RepoTags)

	// No name: a dangling image, reported by ID.
	c := s.w.tags["v3"]
	out, err = load(t, l, buildTar(t, ociArchive(t, c, nil)))
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.LoadedImage{{ID: c.Descriptor.Digest}}, out)
	assert.Equal(t, "Loaded image ID: "+c.Descriptor.Digest.String(), out[0].Message())
	assert.NotNil(t, find(list(t, svc, imagesvc.ListOptions{}), c.Descriptor.Digest))

	// Platforms: a platform the image lacks is reported after it is loaded.
	out, err = load(t, l, buildTar(t, ociArchive(t, s.w.multi, named(s.w.multi, "docker.io/library/mp:1"))), ocispec.Platform{OS: "linux", Architecture: "s390x"})
	require.Error(t, err)
	assert.ErrorIs(t, err, errdefs.ErrNotFound)
	assert.Equal(t, "image mp:1 was loaded, but doesn't provide the requested platform ([linux/s390x])", err.Error())
	assert.Equal(t, []imagesvc.LoadedImage{{Name: "mp:1", ID: s.w.multi.Descriptor.Digest}}, out)
	out, err = load(t, l, buildTar(t, ociArchive(t, s.w.multi, named(s.w.multi, "docker.io/library/mp:1"))), ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	require.NoError(t, err)
	assert.Len(t, out, 1)
}

func (s *suite) testLoadRoundTrip(t *testing.T) {
	svc := s.service(t)
	sv := capability[imagesvc.Saver](t, svc, "Saver")
	l := capability[imagesvc.Loader](t, svc, "Loader")
	r := capability[imagesvc.Remover](t, svc, "Remover")
	s.mustPull(t, svc, "library/single", "1.0")
	s.mustPull(t, svc, "library/single", "latest")
	s.mustPull(t, svc, "library/multi", "1.0")
	names := []string{s.w.ref("library/single:1.0"), s.w.ref("library/single:latest"), s.w.ref("library/multi:1.0")}
	before := list(t, svc, imagesvc.ListOptions{})
	data, err := save(t, sv, nil, names...)
	require.NoError(t, err)
	_, filesBefore := readArchive(t, data)

	for _, n := range names {
		mustRemove(t, r, n, imagesvc.RemoveOptions{})
	}
	require.Empty(t, list(t, svc, imagesvc.ListOptions{}))

	out, err := load(t, l, data)
	require.NoError(t, err)
	var want []imagesvc.LoadedImage
	for _, n := range names {
		id := s.w.single.Descriptor.Digest
		if strings.Contains(n, "multi") {
			id = s.w.multi.Descriptor.Digest
		}
		want = append(want, imagesvc.LoadedImage{Name: reference.FamiliarString(mustNamed(t, n)), ID: id})
	}
	assert.Equal(t, want, out)
	after := list(t, svc, imagesvc.ListOptions{})
	require.Equal(t, len(before), len(after))
	for _, b := range before {
		a := find(after, b.ID)
		require.NotNil(t, a, "image %s is back", b.ID)
		assert.ElementsMatch(t, b.RepoTags, a.RepoTags)
		assert.Equal(t, b.Labels, a.Labels)
	}

	// The same content: a second save has the same blobs and manifest.json.
	data2, err := save(t, sv, nil, names...)
	require.NoError(t, err)
	_, filesAfter := readArchive(t, data2)
	for name, f := range filesBefore {
		if strings.HasPrefix(name, "blobs/") {
			assert.Equal(t, f.data, filesAfter[name].data, name)
		}
	}
	assert.Equal(t, len(filesBefore), len(filesAfter))
	assert.JSONEq(t, string(filesBefore["index.json"].data), string(filesAfter["index.json"].data))
}

// docker2010Archive builds the archive Docker 20.10 (graphdriver) writes: one directory
// per layer (VERSION, json, layer.tar uncompressed), the config at "<config hex>.json",
// manifest.json and repositories.
func docker2010Archive(t *testing.T, img *testimages.Image, repoTag string) ([]byte, ocispec.Image) {
	t.Helper()
	m, cfg, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	var ms []member
	var layers []string
	parent := ""
	for i, ld := range m.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(img.Blobs[ld.Digest].Data))
		require.NoError(t, err)
		plain, err := io.ReadAll(zr)
		require.NoError(t, err)
		id := digest.FromString(parent + cfg.RootFS.DiffIDs[i].String()).Encoded()
		js, _ := json.Marshal(map[string]string{"id": id, "parent": parent})
		ms = append(ms,
			member{name: id + "/", typeflag: tar.TypeDir},
			member{name: id + "/VERSION", data: []byte("1.0")},
			member{name: id + "/json", data: js},
			member{name: id + "/layer.tar", data: plain},
		)
		layers = append(layers, id+"/layer.tar")
		parent = id
	}
	cfgName := m.Config.Digest.Encoded() + ".json"
	ms = append(ms, member{name: cfgName, data: img.Blobs[m.Config.Digest].Data})
	mf, _ := json.Marshal([]dockerManifest{{Config: cfgName, RepoTags: []string{repoTag}, Layers: layers}})
	repo, tag, _ := strings.Cut(repoTag, ":")
	repos, _ := json.Marshal(map[string]map[string]string{repo: {tag: parent}})
	ms = append(ms, member{name: "manifest.json", data: mf}, member{name: "repositories", data: repos})
	return buildTar(t, ms), cfg
}

func (s *suite) testLoadDocker2010Archive(t *testing.T) {
	svc := s.service(t)
	l := capability[imagesvc.Loader](t, svc, "Loader")
	data, cfg := docker2010Archive(t, s.w.single, "single:2010")
	out, err := load(t, l, data)
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, "single:2010", out[0].Name)
	got, err := inspect(t, svc, "single:2010", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, out[0].ID, got.ID)
	assert.Equal(t, cfg.RootFS.DiffIDs, got.RootFS.Layers)
	assert.Equal(t, "single", got.Config.Labels["com.example.kind"])
	assert.Equal(t, "amd64", got.Architecture)
}

func (s *suite) testLoadErrors(t *testing.T) {
	svc := s.service(t)
	l := capability[imagesvc.Loader](t, svc, "Loader")
	img := s.w.tags["v1"]
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	good := ociArchive(t, img, named(img, "docker.io/library/bad:1"))
	whole := buildTar(t, good)
	wrong := append([]member{}, good...)
	for i := range wrong {
		if wrong[i].name == blobName(m.Config.Digest) {
			wrong[i].data = []byte(`{"not":"the config"}`)
		}
	}
	data2010, _ := docker2010Archive(t, s.w.single, "bad:2010")
	_, files2010 := readArchive(t, data2010)
	var missingLayer []member
	for _, n := range sortedKeys(files2010) {
		if !strings.HasSuffix(n, "layer.tar") {
			f := files2010[n]
			missingLayer = append(missingLayer, member{name: n, data: f.data, typeflag: f.hdr.Typeflag})
		}
	}
	for _, tc := range []struct {
		name string
		data []byte
		text string
	}{
		{"empty", nil, "unrecognized image format"},
		{"short text", []byte("this is not an archive\n"), "unexpected EOF"},
		{"garbage", bytes.Repeat([]byte("garbage!"), 300), ""},
		{"truncated", whole[:len(whole)/2], ""},
		{"dot-dot member", buildTar(t, append([]member{{name: "../escape", data: []byte("x")}}, good...)), ""},
		{"absolute symlink", buildTar(t, append([]member{{name: "blobs/sha256/link", typeflag: tar.TypeSymlink, link: "/etc/passwd"}}, good...)), ""},
		{"dot-dot member last", buildTar(t, append(slices.Clone(good), member{name: "../escape", data: []byte("x")})), ""},
		{"dot-dot member last, no trailer", withoutTrailer(buildTar(t, append(slices.Clone(good), member{name: "../escape", data: []byte("x")}))), ""},
		{"absolute symlink last", buildTar(t, append(slices.Clone(good), member{name: "evil", typeflag: tar.TypeSymlink, link: "/etc/passwd"})), ""},
		{"absolute symlink last, no trailer", withoutTrailer(buildTar(t, append(slices.Clone(good), member{name: "evil", typeflag: tar.TypeSymlink, link: "/etc/passwd"}))), ""},
		{"missing blob", buildTar(t, ociArchive(t, img, named(img, "docker.io/library/bad:1"), m.Config.Digest)), ""},
		{"missing layer (manifest.json)", buildTar(t, missingLayer), ""},
		{"digest mismatch", buildTar(t, wrong), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := load(t, l, tc.data)
			require.Error(t, err)
			assert.ErrorIs(t, err, errdefs.ErrInvalidArgument, "error %q", err)
			if tc.text != "" {
				assert.Equal(t, tc.text, err.Error())
			}
			assert.Empty(t, out)
			assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}), "nothing recorded")
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
