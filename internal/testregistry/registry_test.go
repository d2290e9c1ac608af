package testregistry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/internal/testenv"
	"github.com/imageapi/imageapi/internal/testimages"
)

var (
	linuxAMD64 = testimages.Config{Labels: map[string]string{"test": "registry"}}
	linuxARM64 = testimages.Config{
		Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"},
		Labels:   map[string]string{"test": "registry"},
	}
)

func TestMain(m *testing.M) {
	// containerd logs every retry and a warning per content store; keep test output quiet.
	_ = log.SetLevel("error")
	os.Exit(m.Run())
}

func indexImage(t *testing.T) *testimages.Image {
	t.Helper()
	img, err := testimages.OCIIndex([]testimages.Config{linuxAMD64, linuxARM64}, true)
	require.NoError(t, err)
	return img
}

func schema2Image(t *testing.T, seed uint64) *testimages.Image {
	t.Helper()
	img, err := testimages.DockerSchema2(testimages.Config{Seed: seed, Layers: [][]testimages.File{
		{{Name: "etc/"}, {Name: "etc/os-release", Data: []byte("ID=test\n")}},
		{{Name: "data", Data: bytes.Repeat([]byte("0123456789"), 5000)}},
	}})
	require.NoError(t, err)
	return img
}

// hosts returns containerd registry hosts configured from a hosts directory written by reg.
func hosts(t *testing.T, reg *Registry, creds func(string) (string, string, error)) docker.RegistryHosts {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(dir))
	return config.ConfigureHosts(context.Background(), config.HostOptions{
		HostDir:     config.HostDirFromRoot(dir),
		Credentials: creds,
	})
}

// pull resolves ref and fetches everything reachable from it into a fresh local content
// store, the way containerd pulls: every blob is verified against its digest on commit.
func pull(t *testing.T, h docker.RegistryHosts, ref string) (ocispec.Descriptor, content.Store, error) {
	t.Helper()
	ctx := context.Background()
	resolver := docker.NewResolver(docker.ResolverOptions{Hosts: h})
	name, desc, err := resolver.Resolve(ctx, ref)
	if err != nil {
		return desc, nil, err
	}
	fetcher, err := resolver.Fetcher(ctx, name)
	if err != nil {
		return desc, nil, err
	}
	store, err := local.NewStore(t.TempDir())
	require.NoError(t, err)
	handler := images.Handlers(remotes.FetchHandler(store, fetcher), images.ChildrenHandler(store))
	return desc, store, images.Dispatch(ctx, handler, nil, desc)
}

// requireSameContent checks that store holds exactly the blobs of img.
func requireSameContent(t *testing.T, img *testimages.Image, store content.Store) {
	t.Helper()
	ctx := context.Background()
	for d, b := range img.Blobs {
		data, err := content.ReadBlob(ctx, store, b.Descriptor)
		require.NoError(t, err, "blob %s", d)
		require.Equal(t, d, digest.FromBytes(data))
	}
	n := 0
	require.NoError(t, store.Walk(ctx, func(content.Info) error { n++; return nil }))
	require.Equal(t, len(img.Blobs), n)
}

func TestPushAndPullWithContainerd(t *testing.T) {
	reg := New(t, Options{})
	ctx := context.Background()
	idx := indexImage(t)
	s2 := schema2Image(t, 0)

	require.NoError(t, testimages.Push(ctx, reg.Host(), "library/multi", "v1", idx, true, nil))
	require.NoError(t, testimages.Push(ctx, reg.Host(), "a/b/c", "latest", s2, true, nil))
	// By digest only, into another repository: blobs may be mounted or uploaded again.
	require.NoError(t, testimages.Push(ctx, reg.Host(), "by-digest", "", s2, true, nil))

	h := hosts(t, reg, nil)
	for _, tc := range []struct {
		ref string
		img *testimages.Image
	}{
		{reg.Host() + "/library/multi:v1", idx},
		{reg.Host() + "/library/multi@" + idx.Descriptor.Digest.String(), idx},
		{reg.Host() + "/a/b/c:latest", s2},
		{reg.Host() + "/by-digest@" + s2.Descriptor.Digest.String(), s2},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			desc, store, err := pull(t, h, tc.ref)
			require.NoError(t, err)
			require.Equal(t, tc.img.Descriptor.Digest, desc.Digest)
			require.Equal(t, tc.img.Descriptor.Size, desc.Size)
			require.Equal(t, tc.img.Descriptor.MediaType, desc.MediaType)
			requireSameContent(t, tc.img, store)
		})
	}

	// A registry filled with Put serves the same thing.
	other := New(t, Options{})
	require.NoError(t, other.Put("library/multi", "v1", idx))
	_, store, err := pull(t, hosts(t, other, nil), other.Host()+"/library/multi:v1")
	require.NoError(t, err)
	requireSameContent(t, idx, store)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) code() string {
	var body struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(r.body, &body) != nil || len(body.Errors) == 0 {
		return ""
	}
	return body.Errors[0].Code
}

type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, reg *Registry) *client {
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return &client{t: t, base: "http://" + reg.Host(), c: c}
}

func (c *client) do(method, path string, body []byte, header ...string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	require.NoError(c.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.c.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func TestBase(t *testing.T) {
	reg := New(t, Options{})
	c := newClient(t, reg)
	r := c.do("GET", "/v2/", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "{}", string(r.body))
	require.Equal(t, "registry/2.0", r.header.Get("Docker-Distribution-API-Version"))
	require.True(t, strings.HasPrefix(reg.Host(), "127.0.0.1:"))
}

func TestManifests(t *testing.T) {
	reg := New(t, Options{})
	c := newClient(t, reg)
	img := schema2Image(t, 0)
	require.NoError(t, reg.Put("library/alpine", "latest", img))
	raw := img.Blobs[img.Descriptor.Digest].Data

	for _, ref := range []string{"latest", img.Descriptor.Digest.String()} {
		r := c.do("GET", "/v2/library/alpine/manifests/"+ref, nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, raw, r.body)
		require.Equal(t, img.Descriptor.MediaType, r.header.Get("Content-Type"))
		require.Equal(t, img.Descriptor.Digest.String(), r.header.Get("Docker-Content-Digest"))
		require.Equal(t, strconv.Itoa(len(raw)), r.header.Get("Content-Length"))

		r = c.do("HEAD", "/v2/library/alpine/manifests/"+ref, nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Empty(t, r.body)
		require.Equal(t, strconv.Itoa(len(raw)), r.header.Get("Content-Length"))
		require.Equal(t, img.Descriptor.Digest.String(), r.header.Get("Docker-Content-Digest"))
	}

	// PUT by tag and by digest; the content type is kept.
	r := c.do("PUT", "/v2/copy/manifests/v1", raw, "Content-Type", img.Descriptor.MediaType)
	require.Equal(t, http.StatusCreated, r.status)
	require.Equal(t, img.Descriptor.Digest.String(), r.header.Get("Docker-Content-Digest"))
	require.Equal(t, "/v2/copy/manifests/"+img.Descriptor.Digest.String(), r.header.Get("Location"))
	r = c.do("PUT", "/v2/copy/manifests/"+img.Descriptor.Digest.String(), raw, "Content-Type", img.Descriptor.MediaType)
	require.Equal(t, http.StatusCreated, r.status)
	r = c.do("GET", "/v2/copy/manifests/v1", nil)
	require.Equal(t, img.Descriptor.MediaType, r.header.Get("Content-Type"))
	require.Equal(t, raw, r.body)

	// Without a Content-Type the mediaType field is used.
	r = c.do("PUT", "/v2/copy/manifests/v2", raw)
	require.Equal(t, http.StatusCreated, r.status)
	r = c.do("HEAD", "/v2/copy/manifests/v2", nil)
	require.Equal(t, img.Descriptor.MediaType, r.header.Get("Content-Type"))

	// Delete by tag, then by digest.
	require.Equal(t, http.StatusAccepted, c.do("DELETE", "/v2/copy/manifests/v2", nil).status)
	require.Equal(t, "MANIFEST_UNKNOWN", c.do("GET", "/v2/copy/manifests/v2", nil).code())
	require.Equal(t, http.StatusAccepted, c.do("DELETE", "/v2/copy/manifests/"+img.Descriptor.Digest.String(), nil).status)
	require.Equal(t, "MANIFEST_UNKNOWN", c.do("GET", "/v2/copy/manifests/v1", nil).code())
}

func TestErrors(t *testing.T) {
	reg := New(t, Options{})
	c := newClient(t, reg)
	img := schema2Image(t, 0)
	require.NoError(t, reg.Put("library/alpine", "latest", img))
	raw := img.Blobs[img.Descriptor.Digest].Data
	unknown := digest.FromString("unknown")

	for _, tc := range []struct {
		method, path string
		body         []byte
		status       int
		code         string
	}{
		{"GET", "/v2/nope/manifests/latest", nil, 404, "NAME_UNKNOWN"},
		{"GET", "/v2/library/alpine/manifests/nope", nil, 404, "MANIFEST_UNKNOWN"},
		{"GET", "/v2/library/alpine/manifests/" + unknown.String(), nil, 404, "MANIFEST_UNKNOWN"},
		{"GET", "/v2/library/alpine/manifests/sha256:xyz", nil, 400, "DIGEST_INVALID"},
		{"GET", "/v2/library/alpine/blobs/" + unknown.String(), nil, 404, "BLOB_UNKNOWN"},
		{"GET", "/v2/nope/blobs/" + unknown.String(), nil, 404, "NAME_UNKNOWN"},
		{"GET", "/v2/library/alpine/blobs/nodigest", nil, 400, "DIGEST_INVALID"},
		{"GET", "/v2/nope/tags/list", nil, 404, "NAME_UNKNOWN"},
		{"GET", "/v2/Upper/manifests/latest", nil, 400, "NAME_INVALID"},
		{"GET", "/v2/a//b/manifests/latest", nil, 400, "NAME_INVALID"},
		{"GET", "/v2/a-/manifests/latest", nil, 400, "NAME_INVALID"},
		{"PUT", "/v2/x/manifests/" + unknown.String(), raw, 400, "DIGEST_INVALID"},
		{"PUT", "/v2/x/manifests/latest", []byte("not json"), 400, "MANIFEST_INVALID"},
		{"POST", "/v2/x/blobs/uploads/?digest=" + unknown.String(), []byte("data"), 400, "DIGEST_INVALID"},
		{"PATCH", "/v2/x/blobs/uploads/nosuchupload", []byte("data"), 404, "BLOB_UPLOAD_UNKNOWN"},
		{"PUT", "/v2/x/blobs/uploads/nosuchupload?digest=" + unknown.String(), nil, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"GET", "/v2/x/unknown/endpoint", nil, 404, "UNSUPPORTED"},
		{"POST", "/v2/library/alpine/manifests/latest", nil, 405, "UNSUPPORTED"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body)
			require.Equal(t, tc.status, r.status, string(r.body))
			require.Equal(t, tc.code, r.code(), string(r.body))
			require.Equal(t, "application/json", r.header.Get("Content-Type"))
		})
	}

	// A failed manifest PUT stores nothing.
	require.Equal(t, "NAME_UNKNOWN", c.do("GET", "/v2/x/tags/list", nil).code())

	// Through containerd: unknown repositories and tags are not-found errors.
	h := hosts(t, reg, nil)
	for _, ref := range []string{"/nope:latest", "/library/alpine:nope"} {
		_, _, err := pull(t, h, reg.Host()+ref)
		require.ErrorIs(t, err, errdefs.ErrNotFound, ref)
	}
}

func TestReadOnly(t *testing.T) {
	reg := New(t, Options{ReadOnly: true})
	img := schema2Image(t, 0)
	require.NoError(t, reg.Put("ro", "latest", img))
	c := newClient(t, reg)
	r := c.do("POST", "/v2/ro/blobs/uploads/", nil)
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, "DENIED", r.code())
	require.Equal(t, "DENIED", c.do("DELETE", "/v2/ro/manifests/latest", nil).code())
	require.Equal(t, http.StatusOK, c.do("GET", "/v2/ro/manifests/latest", nil).status)

	err := testimages.Push(context.Background(), reg.Host(), "ro", "other", schema2Image(t, 1), true, nil)
	require.Error(t, err)
}

func TestTagsList(t *testing.T) {
	reg := New(t, Options{})
	c := newClient(t, reg)
	img := schema2Image(t, 0)
	tags := []string{"b", "a", "v1.0", "latest", "c"}
	for _, tag := range tags {
		require.NoError(t, reg.Put("library/alpine", tag, img))
	}
	require.NoError(t, reg.Put("digest-only", "", img))

	type tagList struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	list := func(query string) (tagList, string) {
		r := c.do("GET", "/v2/library/alpine/tags/list"+query, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var l tagList
		require.NoError(t, json.Unmarshal(r.body, &l))
		return l, r.header.Get("Link")
	}
	l, link := list("")
	require.Equal(t, tagList{"library/alpine", []string{"a", "b", "c", "latest", "v1.0"}}, l)
	require.Empty(t, link)

	// Pagination: follow the Link headers.
	var got []string
	query := "?n=2"
	for pages := 0; query != ""; pages++ {
		require.Less(t, pages, 5)
		l, link := list(query)
		got = append(got, l.Tags...)
		query = ""
		if link != "" {
			require.True(t, strings.HasPrefix(link, "</v2/library/alpine/tags/list?"), link)
			query = link[strings.Index(link, "?"):strings.Index(link, ">")]
		}
	}
	require.Equal(t, []string{"a", "b", "c", "latest", "v1.0"}, got)
	l, _ = list("?last=c")
	require.Equal(t, []string{"latest", "v1.0"}, l.Tags)
	l, _ = list("?n=0")
	require.Equal(t, []string{}, l.Tags)
	require.Equal(t, "PAGINATION_NUMBER_INVALID", c.do("GET", "/v2/library/alpine/tags/list?n=x", nil).code())

	r := c.do("GET", "/v2/digest-only/tags/list", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `{"name":"digest-only","tags":[]}`, string(r.body))

	r = c.do("GET", "/v2/_catalog", nil)
	require.JSONEq(t, `{"repositories":["digest-only","library/alpine"]}`, string(r.body))
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	reg := New(t, Options{Users: map[string]string{"alice": "secret"}})
	img := indexImage(t)
	right := func(string) (string, string, error) { return "alice", "secret", nil }
	wrong := func(string) (string, string, error) { return "alice", "wrong", nil }

	c := newClient(t, reg)
	r := c.do("GET", "/v2/", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, `Basic realm="testregistry"`, r.header.Get("WWW-Authenticate"))
	require.Equal(t, "UNAUTHORIZED", r.code())
	require.Equal(t, http.StatusUnauthorized, c.do("GET", "/v2/x/tags/list", nil).status)

	require.Error(t, testimages.Push(ctx, reg.Host(), "secure/img", "v1", img, true, nil))
	require.Error(t, testimages.Push(ctx, reg.Host(), "secure/img", "v1", img, true, wrong))
	require.NoError(t, testimages.Push(ctx, reg.Host(), "secure/img", "v1", img, true, right))

	ref := reg.Host() + "/secure/img:v1"
	_, store, err := pull(t, hosts(t, reg, right), ref)
	require.NoError(t, err)
	requireSameContent(t, img, store)

	for name, creds := range map[string]func(string) (string, string, error){"none": nil, "wrong": wrong} {
		_, _, err := pull(t, hosts(t, reg, creds), ref)
		require.Error(t, err, name)
		require.True(t, errdefs.IsUnauthorized(err) || strings.Contains(err.Error(), "401"), "%s: %v", name, err)
	}
}

func TestAuthPrivatePrefix(t *testing.T) {
	reg := New(t, Options{Users: map[string]string{"bob": "pw"}, Private: "private/"})
	img := schema2Image(t, 0)
	require.NoError(t, reg.Put("private/img", "v1", img))
	require.NoError(t, reg.Put("public/img", "v1", img))
	c := newClient(t, reg)

	require.Equal(t, http.StatusOK, c.do("GET", "/v2/", nil).status)
	require.Equal(t, http.StatusOK, c.do("GET", "/v2/public/img/manifests/v1", nil).status)
	require.Equal(t, http.StatusUnauthorized, c.do("GET", "/v2/private/img/manifests/v1", nil).status)
	c.base = "http://bob:pw@" + reg.Host()
	require.Equal(t, http.StatusOK, c.do("GET", "/v2/private/img/manifests/v1", nil).status)
	c.base = "http://bob:bad@" + reg.Host()
	require.Equal(t, http.StatusUnauthorized, c.do("GET", "/v2/public/img/manifests/v1", nil).status)

	// Mounting from a private repository needs credentials for it.
	layer := img.Manifests()[0]
	c.base = "http://" + reg.Host()
	r := c.do("POST", "/v2/public/other/blobs/uploads/?mount="+layer.Digest.String()+"&from=private/img", nil)
	require.Equal(t, http.StatusAccepted, r.status, "falls back to an upload")
	c.base = "http://bob:pw@" + reg.Host()
	r = c.do("POST", "/v2/public/other/blobs/uploads/?mount="+layer.Digest.String()+"&from=private/img", nil)
	require.Equal(t, http.StatusCreated, r.status)
}

func TestBlobUploads(t *testing.T) {
	reg := New(t, Options{})
	c := newClient(t, reg)
	data := bytes.Repeat([]byte("abcdefghij"), 1000)
	d := digest.FromBytes(data)

	// Chunked: POST, PATCH, PATCH, PUT.
	r := c.do("POST", "/v2/up/chunked/blobs/uploads/", nil)
	require.Equal(t, http.StatusAccepted, r.status)
	loc := r.header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/v2/up/chunked/blobs/uploads/"), loc)
	require.NotEmpty(t, r.header.Get("Docker-Upload-UUID"))
	require.Equal(t, "0-0", r.header.Get("Range"))

	r = c.do("PATCH", loc, data[:4000], "Content-Range", "0-3999", "Content-Type", "application/octet-stream")
	require.Equal(t, http.StatusAccepted, r.status)
	require.Equal(t, "0-3999", r.header.Get("Range"))
	loc = r.header.Get("Location")
	// An out-of-order chunk is refused.
	r = c.do("PATCH", loc, data[5000:6000], "Content-Range", "5000-5999")
	require.Equal(t, http.StatusRequestedRangeNotSatisfiable, r.status)
	r = c.do("GET", loc, nil)
	require.Equal(t, http.StatusNoContent, r.status)
	require.Equal(t, "0-3999", r.header.Get("Range"))
	r = c.do("PATCH", loc, data[4000:9000])
	require.Equal(t, http.StatusAccepted, r.status)
	r = c.do("PUT", loc+"?digest="+d.String(), data[9000:])
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, d.String(), r.header.Get("Docker-Content-Digest"))
	require.Equal(t, "/v2/up/chunked/blobs/"+d.String(), r.header.Get("Location"))
	require.Equal(t, "BLOB_UPLOAD_UNKNOWN", c.do("PUT", loc+"?digest="+d.String(), nil).code(), "session is gone")

	r = c.do("GET", "/v2/up/chunked/blobs/"+d.String(), nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, data, r.body)

	// Monolithic POST.
	small := []byte("small blob")
	r = c.do("POST", "/v2/up/mono/blobs/uploads/?digest="+digest.FromBytes(small).String(), small)
	require.Equal(t, http.StatusCreated, r.status)
	require.Equal(t, small, c.do("GET", "/v2/up/mono/blobs/"+digest.FromBytes(small).String(), nil).body)

	// A wrong digest on completion is refused and nothing is stored.
	r = c.do("POST", "/v2/up/bad/blobs/uploads/", nil)
	r = c.do("PUT", r.header.Get("Location")+"?digest="+digest.FromString("other").String(), small)
	require.Equal(t, "DIGEST_INVALID", r.code())
	require.Equal(t, "NAME_UNKNOWN", c.do("GET", "/v2/up/bad/blobs/"+digest.FromBytes(small).String(), nil).code())

	// Cancelling.
	r = c.do("POST", "/v2/up/cancel/blobs/uploads/", nil)
	loc = r.header.Get("Location")
	require.Equal(t, http.StatusNoContent, c.do("DELETE", loc, nil).status)
	require.Equal(t, "BLOB_UPLOAD_UNKNOWN", c.do("PATCH", loc, small).code())

	// Cross-repository mount, and a mount of an unknown blob falls back to an upload.
	r = c.do("POST", "/v2/up/mounted/blobs/uploads/?mount="+d.String()+"&from=up/chunked", nil)
	require.Equal(t, http.StatusCreated, r.status)
	require.Equal(t, data, c.do("GET", "/v2/up/mounted/blobs/"+d.String(), nil).body)
	r = c.do("POST", "/v2/up/mounted/blobs/uploads/?mount="+digest.FromString("x").String()+"&from=up/chunked", nil)
	require.Equal(t, http.StatusAccepted, r.status)

	// Blobs are per repository.
	require.Equal(t, "BLOB_UNKNOWN", c.do("GET", "/v2/up/mono/blobs/"+d.String(), nil).code())
	require.Equal(t, http.StatusAccepted, c.do("DELETE", "/v2/up/mounted/blobs/"+d.String(), nil).status)
	require.Equal(t, "BLOB_UNKNOWN", c.do("GET", "/v2/up/mounted/blobs/"+d.String(), nil).code())
	require.Equal(t, http.StatusOK, c.do("GET", "/v2/up/chunked/blobs/"+d.String(), nil).status)
}

func TestBodyLimit(t *testing.T) {
	reg := New(t, Options{MaxBlobSize: 100})
	c := newClient(t, reg)
	big := bytes.Repeat([]byte("x"), 101)
	r := c.do("POST", "/v2/x/blobs/uploads/?digest="+digest.FromBytes(big).String(), big)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status)
	require.Equal(t, "SIZE_INVALID", r.code())

	r = c.do("POST", "/v2/x/blobs/uploads/", nil)
	loc := r.header.Get("Location")
	require.Equal(t, http.StatusAccepted, c.do("PATCH", loc, big[:60]).status)
	require.Equal(t, http.StatusRequestEntityTooLarge, c.do("PATCH", loc, big[:60]).status)
}

func TestRange(t *testing.T) {
	reg := New(t, Options{})
	c := newClient(t, reg)
	img := schema2Image(t, 0)
	require.NoError(t, reg.Put("r", "latest", img))
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	layer := img.Blobs[m.Layers[1].Digest]
	path := "/v2/r/blobs/" + layer.Descriptor.Digest.String()

	r := c.do("GET", path, nil, "Range", "bytes=10-19")
	require.Equal(t, http.StatusPartialContent, r.status)
	require.Equal(t, layer.Data[10:20], r.body)
	require.Equal(t, fmt.Sprintf("bytes 10-19/%d", len(layer.Data)), r.header.Get("Content-Range"))

	r = c.do("GET", path, nil, "Range", "bytes=100-")
	require.Equal(t, http.StatusPartialContent, r.status)
	require.Equal(t, layer.Data[100:], r.body)

	r = c.do("GET", path, nil, "Range", fmt.Sprintf("bytes=%d-", len(layer.Data)+10))
	require.Equal(t, http.StatusRequestedRangeNotSatisfiable, r.status)

	r = c.do("HEAD", path, nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, strconv.Itoa(len(layer.Data)), r.header.Get("Content-Length"))
	require.Equal(t, "bytes", r.header.Get("Accept-Ranges"))
	require.Equal(t, layer.Descriptor.Digest.String(), r.header.Get("Docker-Content-Digest"))

	// containerd's fetcher resumes at an offset with a Range request when its reader seeks.
	ctx := context.Background()
	resolver := docker.NewResolver(docker.ResolverOptions{Hosts: hosts(t, reg, nil)})
	fetcher, err := resolver.Fetcher(ctx, reg.Host()+"/r:latest")
	require.NoError(t, err)
	rc, err := fetcher.Fetch(ctx, layer.Descriptor)
	require.NoError(t, err)
	defer rc.Close()
	seeker, ok := rc.(io.Seeker)
	require.True(t, ok, "containerd's fetcher returns a seeker")
	var ranged atomic.Int32
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if req.Header.Get("Range") != "" {
			ranged.Add(1)
		}
		next.ServeHTTP(w, req)
	})
	_, err = seeker.Seek(100, io.SeekStart)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, layer.Data[100:], got)
	require.Equal(t, int32(1), ranged.Load())
}

func TestCorruptBlob(t *testing.T) {
	reg := New(t, Options{})
	img := indexImage(t)
	require.NoError(t, reg.Put("c", "v1", img))
	target := img.Manifests()[1]
	m, _, err := img.Manifest(target.Digest)
	require.NoError(t, err)
	layer := m.Layers[0]
	reg.CorruptBlob(layer.Digest)

	c := newClient(t, reg)
	r := c.do("GET", "/v2/c/blobs/"+layer.Digest.String(), nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Len(t, r.body, int(layer.Size))
	require.NotEqual(t, img.Blobs[layer.Digest].Data, r.body)
	require.Equal(t, layer.Digest.String(), r.header.Get("Docker-Content-Digest"))

	_, _, err = pull(t, hosts(t, reg, nil), reg.Host()+"/c:v1")
	require.Error(t, err)
	require.ErrorIs(t, err, errdefs.ErrFailedPrecondition, "containerd rejects content that does not match its digest")
	require.Contains(t, err.Error(), layer.Digest.String())
}

func TestHookAndRequests(t *testing.T) {
	reg := New(t, Options{})
	img := schema2Image(t, 0)
	require.NoError(t, reg.Put("h", "v1", img))
	require.Zero(t, reg.Requests())

	// Fail every blob download until failing is cleared.
	var failing atomic.Bool
	var seen atomic.Int32
	failing.Store(true)
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		if d, ok := BlobRequest(req); ok && req.Method == http.MethodGet {
			if _, known := img.Blob(d); !known {
				t.Errorf("unexpected blob %s", d)
			}
			seen.Add(1)
			if failing.Load() {
				http.Error(w, "injected", http.StatusInternalServerError)
				return
			}
		}
		next.ServeHTTP(w, req)
	})
	h := hosts(t, reg, nil)
	_, _, err := pull(t, h, reg.Host()+"/h:v1")
	require.Error(t, err)
	failing.Store(false)
	_, store, err := pull(t, h, reg.Host()+"/h:v1")
	require.NoError(t, err)
	requireSameContent(t, img, store)
	require.Greater(t, seen.Load(), int32(len(img.Blobs)-1))
	n := reg.Requests()
	require.Greater(t, n, int64(5))

	reg.SetHook(nil)
	c := newClient(t, reg)
	c.do("GET", "/v2/", nil)
	require.Equal(t, n+1, reg.Requests())
}

func TestHandler(t *testing.T) {
	reg := New(t, Options{})
	img := schema2Image(t, 0)
	require.NoError(t, reg.Put("mounted", "v1", img))
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v2/mounted/manifests/v1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, img.Descriptor.Digest.String(), resp.Header.Get("Docker-Content-Digest"))
	require.Equal(t, int64(1), reg.Requests())
}

func TestWriteHostsDir(t *testing.T) {
	reg := New(t, Options{})
	dir := t.TempDir()
	require.NoError(t, reg.WriteHostsDir(dir))
	data, err := os.ReadFile(filepath.Join(dir, reg.Host(), "hosts.toml"))
	require.NoError(t, err)
	require.Contains(t, string(data), `server = "http://`+reg.Host()+`"`)
	require.Contains(t, string(data), `capabilities = ["pull", "resolve", "push"]`)

	hs, err := config.ConfigureHosts(context.Background(), config.HostOptions{HostDir: config.HostDirFromRoot(dir)})(reg.Host())
	require.NoError(t, err)
	require.NotEmpty(t, hs)
	for _, h := range hs {
		require.Equal(t, "http", h.Scheme)
		require.Equal(t, reg.Host(), h.Host)
		require.NotZero(t, h.Capabilities&docker.HostCapabilityPull)
		require.NotZero(t, h.Capabilities&docker.HostCapabilityPush)
	}
}

func TestPutValidation(t *testing.T) {
	reg := New(t, Options{})
	img := schema2Image(t, 0)
	require.Error(t, reg.Put("UPPER", "", img))
	require.Error(t, reg.Put("ok", "bad tag", img))
	require.Error(t, reg.Put("ok", "", img.Without(img.Descriptor.Digest)))
	// A registry missing a layer serves everything else.
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	require.NoError(t, reg.Put("partial", "v1", img.Without(m.Layers[0].Digest)))
	_, _, err = pull(t, hosts(t, reg, nil), reg.Host()+"/partial:v1")
	require.ErrorIs(t, err, errdefs.ErrNotFound)
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()

	reg, err := Start(Options{})
	require.NoError(t, err)
	require.NoError(t, reg.Put("g", "v1", schema2Image(t, 0)))
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	for range 3 {
		resp, err := hc.Get("http://" + reg.Host() + "/v2/g/manifests/v1")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	// A request held by a hook until its context ends does not stop Close.
	entered := make(chan struct{})
	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
		close(entered)
		<-req.Context().Done()
	})
	errc := make(chan error, 1)
	go func() {
		resp, err := hc.Get("http://" + reg.Host() + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-entered
	start := time.Now()
	require.NoError(t, reg.Close())
	require.Less(t, time.Since(start), 8*time.Second)
	<-errc
	require.NoError(t, reg.Close(), "idempotent")
	tr.CloseIdleConnections()

	_, err = hc.Get("http://" + reg.Host() + "/v2/")
	require.Error(t, err, "closed registry still serving")

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestSkopeo(t *testing.T) {
	skopeo := testenv.Binary(t, "skopeo", "skopeo")
	reg := New(t, Options{})
	idx := indexImage(t)
	s2 := schema2Image(t, 0)
	require.NoError(t, reg.Put("x", "tag", s2))
	require.NoError(t, reg.Put("multi/arch", "v1", idx))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := func(args ...string) {
		t.Helper()
		args = append([]string{"--insecure-policy", "copy", "--retry-times", "0"}, args...)
		out, err := exec.CommandContext(ctx, skopeo, args...).CombinedOutput()
		require.NoError(t, err, "skopeo %s:\n%s", strings.Join(args, " "), out)
	}
	blobExists := func(dir string, d digest.Digest) bool {
		_, err := os.Stat(filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded()))
		return err == nil
	}

	// Single schema 2 image (converted to OCI on the way, so check the layers).
	dir := filepath.Join(t.TempDir(), "single")
	run("--src-tls-verify=false", "docker://"+reg.Host()+"/x:tag", "oci:"+dir)
	m, _, err := s2.Manifest(s2.Descriptor.Digest)
	require.NoError(t, err)
	for _, l := range m.Layers {
		require.True(t, blobExists(dir, l.Digest), "layer %s", l.Digest)
	}

	// Every platform of an index, digests preserved.
	multi := filepath.Join(t.TempDir(), "multi")
	run("--all", "--src-tls-verify=false", "docker://"+reg.Host()+"/multi/arch:v1", "oci:"+multi)
	for d := range idx.Blobs {
		require.True(t, blobExists(multi, d), "blob %s", d)
	}

	// And back: skopeo pushes with chunked uploads (and mounts within the registry).
	run("--all", "--dest-tls-verify=false", "oci:"+multi, "docker://"+reg.Host()+"/copied:v2")
	_, store, err := pull(t, hosts(t, reg, nil), reg.Host()+"/copied:v2")
	require.NoError(t, err)
	requireSameContent(t, idx, store)
}

// TestDependencies pins the package's imports: the registry stays free of third-party
// dependencies beyond go-digest and image-spec.
func TestDependencies(t *testing.T) {
	allowed := map[string]bool{
		"github.com/opencontainers/go-digest":              true,
		"github.com/opencontainers/image-spec/specs-go/v1": true,
		"github.com/imageapi/imageapi/internal/testimages": true,
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if !strings.Contains(first, ".") {
				continue // standard library
			}
			assert.True(t, allowed[path], "%s imports %s", f, path)
		}
	}
}

func TestTokenAuth(t *testing.T) {
	reg := New(t, Options{Users: map[string]string{"alice": "s3cret"}, Token: true})
	base := "http://" + reg.Host()
	get := func(u, user, pass, bearer string) (*http.Response, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, u, nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}
	resp, _ := get(base+"/v2/", "", "", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer realm="`+base+`/token",service="testregistry"`, resp.Header.Get("WWW-Authenticate"))
	resp, _ = get(base+"/v2/", "alice", "s3cret", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "basic credentials are not accepted in token mode")

	resp, _ = get(base+"/token?service=testregistry", "alice", "wrong", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, body := get(base+"/token?service=testregistry&offline_token=true", "alice", "s3cret", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tok, _ := body["token"].(string)
	require.NotEmpty(t, tok)
	assert.NotEmpty(t, body["refresh_token"])
	resp, _ = get(base+"/v2/", "", "", tok)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = get(base+"/v2/", "", "", "forged")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// An anonymous token does not open protected repositories.
	resp, body = get(base+"/token?service=testregistry", "", "", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Nil(t, body["refresh_token"])
	resp, _ = get(base+"/v2/", "", "", body["token"].(string))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
