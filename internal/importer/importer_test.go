package importer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
	"github.com/imageapi/imageapi/internal/pull"
	"github.com/imageapi/imageapi/internal/testimages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var fixed = time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))

func sampleTar() []byte {
	return testimages.Tar([]testimages.File{
		{Name: "etc/"},
		{Name: "etc/os-release", Data: []byte("ID=test\n")},
		{Name: "bin/sh", Data: bytes.Repeat([]byte("#!"), 5000), Mode: 0o755},
		{Name: "../escape", Data: []byte("outside")},
		{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
	})
}

func gzipped(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return buf.Bytes()
}

// viaCommand compresses data with a command-line tool, skipping the test without it.
func viaCommand(t *testing.T, name string, args ...string) func([]byte) []byte {
	return func(data []byte) []byte {
		t.Helper()
		path, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("%s is not installed", name)
		}
		cmd := exec.Command(path, args...)
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		require.NoError(t, err)
		return out
	}
}

// readLayer returns the uncompressed content of a stored gzip layer.
func readLayer(t *testing.T, cs content.Store, desc ocispec.Descriptor) []byte {
	t.Helper()
	data, err := content.ReadBlob(t.Context(), cs, desc)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	return raw
}

func assertNoIngests(t *testing.T, cs content.Store) {
	t.Helper()
	st, err := cs.ListStatuses(t.Context())
	require.NoError(t, err)
	assert.Empty(t, st, "no ingest left behind")
}

func TestImportCompressions(t *testing.T) {
	raw := sampleTar()
	for name, compress := range map[string]func([]byte) []byte{
		"uncompressed": func(b []byte) []byte { return b },
		"gzip":         gzipped,
		"bzip2":        viaCommand(t, "bzip2", "-c"),
		"xz":           viaCommand(t, "xz", "-c"),
		"zstd":         viaCommand(t, "zstd", "-q", "-c"),
	} {
		t.Run(name, func(t *testing.T) {
			cs := testimages.NewContentStore(t)
			body := compress(raw)
			res, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(body), Message: "Imported from -"},
				Options{Now: func() time.Time { return fixed }, Platform: platforms.MustParse("linux/arm64")}, nil)
			require.NoError(t, err)

			assert.Equal(t, ocispec.MediaTypeImageLayerGzip, res.Layer.MediaType)
			assert.Equal(t, raw, readLayer(t, cs, res.Layer))
			assert.Equal(t, digest.FromBytes(raw), res.DiffID)
			assert.Equal(t, int64(len(raw)), res.Unpacked)
			info, err := cs.Info(t.Context(), res.Layer.Digest)
			require.NoError(t, err)
			assert.Equal(t, res.Layer.Size, info.Size)
			assert.Equal(t, res.DiffID.String(), info.Labels[pull.LabelUncompressed])
			assert.Equal(t, fmt.Sprint(len(raw)), info.Labels[pull.LabelUnpackedSize])

			mdata, err := content.ReadBlob(t.Context(), cs, res.Manifest)
			require.NoError(t, err)
			assert.Equal(t, res.Manifest.Digest, digest.FromBytes(mdata))
			var m ocispec.Manifest
			require.NoError(t, json.Unmarshal(mdata, &m))
			assert.Equal(t, ocispec.MediaTypeImageManifest, m.MediaType)
			assert.Equal(t, 2, m.SchemaVersion)
			assert.Equal(t, res.Config, m.Config)
			assert.Equal(t, []ocispec.Descriptor{res.Layer}, m.Layers)
			minfo, err := cs.Info(t.Context(), res.Manifest.Digest)
			require.NoError(t, err)
			assert.Equal(t, res.Config.Digest.String(), minfo.Labels["containerd.io/gc.ref.content.config"])
			assert.Equal(t, res.Layer.Digest.String(), minfo.Labels["containerd.io/gc.ref.content.l.0"])

			cfg, err := model.ReadConfig(t.Context(), cs, res.Config)
			require.NoError(t, err)
			assert.Equal(t, fixed.UTC(), *cfg.Created)
			assert.Equal(t, "linux", cfg.OS)
			assert.Equal(t, "arm64", cfg.Architecture)
			assert.Equal(t, []digest.Digest{res.DiffID}, cfg.RootFS.DiffIDs)
			assert.Equal(t, "layers", cfg.RootFS.Type)
			require.Len(t, cfg.History, 1)
			assert.Equal(t, "Imported from -", cfg.History[0].Comment)
			assert.Equal(t, res.ConfigFile.RootFS, cfg.RootFS)
			assertNoIngests(t, cs)

			// The manifest reads back as an available image.
			ms, err := model.ReadManifests(t.Context(), cs, res.Manifest, model.ReadOptions{})
			require.NoError(t, err)
			require.Len(t, ms, 1)
			assert.True(t, ms[0].Available)
			assert.Equal(t, imagesvc.KindImage, ms[0].Kind)
			assert.Equal(t, res.Unpacked, ms[0].Unpacked)
			assert.Equal(t, "arm64", ms[0].Platform.Architecture)
		})
	}
}

func TestImportChangesMessagePlatform(t *testing.T) {
	cs := testimages.NewContentStore(t)
	changes, err := imagesvc.ParseChanges([]string{
		"ENV A=1 B=two",
		`CMD ["sh", "-c", "echo hi"]`,
		"LABEL org.example=yes",
		"EXPOSE 80/tcp",
		"HEALTHCHECK --interval=5s CMD true",
		"ONBUILD RUN make",
		"WORKDIR /srv",
		"USER nobody",
	})
	require.NoError(t, err)
	arm := ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	arm64v8 := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	res, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(sampleTar()), Platform: &arm64v8}, Options{}, nil)
	require.NoError(t, err)
	assert.Equal(t, "v8", res.ConfigFile.Variant, "the platform is kept as given")
	res, err = Import(t.Context(), cs, imagesvc.ImportRequest{
		Source:   bytes.NewReader(gzipped(sampleTar())),
		Message:  "my import",
		Changes:  changes,
		Platform: &arm,
	}, Options{}, nil)
	require.NoError(t, err)

	data, err := content.ReadBlob(t.Context(), cs, res.Config)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	assert.Equal(t, "arm", doc["architecture"])
	assert.Equal(t, "v7", doc["variant"])
	assert.Equal(t, "my import", doc["comment"])
	rc := doc["config"].(map[string]any)
	assert.Equal(t, []any{"A=1", "B=two"}, rc["Env"])
	assert.Equal(t, []any{"sh", "-c", "echo hi"}, rc["Cmd"])
	assert.Equal(t, map[string]any{"org.example": "yes"}, rc["Labels"])
	assert.Equal(t, map[string]any{"80/tcp": map[string]any{}}, rc["ExposedPorts"])
	assert.Equal(t, []any{"RUN make"}, rc["OnBuild"])
	assert.Equal(t, "/srv", rc["WorkingDir"])
	assert.Equal(t, "nobody", rc["User"])
	hc := rc["Healthcheck"].(map[string]any)
	assert.Equal(t, []any{"CMD-SHELL", "true"}, hc["Test"])
	assert.EqualValues(t, 5*time.Second, hc["Interval"])

	cfg, err := model.ReadConfig(t.Context(), cs, res.Config)
	require.NoError(t, err)
	assert.Equal(t, res.ConfigFile.Config, cfg.Config)
	require.NotNil(t, cfg.Config.Healthcheck)
	assert.Equal(t, "my import", cfg.History[0].Comment)
	assert.WithinDuration(t, time.Now(), *cfg.Created, time.Minute)

	// The default platform is the host's.
	res, err = Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(sampleTar())}, Options{}, nil)
	require.NoError(t, err)
	host := platforms.DefaultSpec()
	assert.Equal(t, host.OS, res.ConfigFile.OS)
	assert.Equal(t, host.Architecture, res.ConfigFile.Architecture)
}

func TestImportRejectsBadArchives(t *testing.T) {
	raw := sampleTar()
	gz := gzipped(raw)
	for name, body := range map[string][]byte{
		"text":            []byte("this is not a tar archive\n"),
		"long text":       bytes.Repeat([]byte("not a tar archive at all "), 100),
		"truncated tar":   raw[:700],
		"truncated gzip":  gz[:len(gz)/2],
		"corrupt gzip":    append(append([]byte{}, gz[:20]...), bytes.Repeat([]byte{0xff}, 200)...),
		"gzip of garbage": gzipped(bytes.Repeat([]byte("garbage!"), 200)),
		"corrupt xz":      append(append([]byte{}, xzMagic...), bytes.Repeat([]byte("garbage!"), 200)...),
		"corrupt bzip2":   append([]byte("BZh9"), bytes.Repeat([]byte("garbage!"), 200)...),
	} {
		t.Run(name, func(t *testing.T) {
			cs := testimages.NewContentStore(t)
			_, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(body)}, Options{}, nil)
			require.Error(t, err)
			assert.True(t, errdefs.IsInvalidArgument(err), "want InvalidArgument, got %v", err)
			assertNoIngests(t, cs)
			var n int
			err = cs.Walk(t.Context(), func(content.Info) error { n++; return nil })
			if !errors.Is(err, fs.ErrNotExist) { // no blobs directory: nothing was ever committed
				require.NoError(t, err)
			}
			assert.Zero(t, n, "nothing committed")
		})
	}
}

func TestImportEmptyArchive(t *testing.T) {
	for name, body := range map[string][]byte{"nothing": nil, "gzip of nothing": gzipped(nil)} {
		t.Run(name, func(t *testing.T) {
			cs := testimages.NewContentStore(t)
			_, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(body)}, Options{}, nil)
			require.Error(t, err)
			assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
			assert.Equal(t, "invalid tar archive: the archive is empty", err.Error())
			assertNoIngests(t, cs)
		})
	}
	// A tar holding no entries is an empty layer.
	cs := testimages.NewContentStore(t)
	empty := testimages.Tar(nil)
	res, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(empty)}, Options{}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(len(empty)), res.Unpacked)
	assert.Equal(t, empty, readLayer(t, cs, res.Layer))
}

func TestImportSizeBound(t *testing.T) {
	raw := testimages.Tar([]testimages.File{{Name: "zeros", Data: make([]byte, 1<<20)}})
	for name, tc := range map[string]struct {
		body []byte
		msg  string
	}{
		"plain": {raw, "archive exceeds the import size limit of 65536 bytes; the host raises the limit with the backend option MaxImportSize"},
		// Small compressed, large uncompressed: the client's archive is at fault.
		"bomb": {gzipped(raw), "archive exceeds the import size limit of 65536 bytes once decompressed; the host raises the limit with the backend option MaxImportSize"},
	} {
		t.Run(name, func(t *testing.T) {
			cs := testimages.NewContentStore(t)
			_, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(tc.body)}, Options{MaxSize: 64 << 10}, nil)
			require.Error(t, err)
			assert.True(t, errdefs.IsResourceExhausted(err), "want ResourceExhausted, got %v", err)
			assert.Equal(t, tc.msg, err.Error())
			assertNoIngests(t, cs)
		})
	}
	_, err := Import(t.Context(), testimages.NewContentStore(t), imagesvc.ImportRequest{Source: bytes.NewReader(raw)}, Options{MaxSize: 2 << 20}, nil)
	require.NoError(t, err)
}

func TestImportProgressAndRequest(t *testing.T) {
	cs := testimages.NewContentStore(t)
	raw := sampleTar()
	var events []imagesvc.ProgressEvent
	_, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: bytes.NewReader(raw)}, Options{SourceSize: int64(len(raw))},
		func(ev imagesvc.ProgressEvent) { events = append(events, ev) })
	require.NoError(t, err)
	require.NotEmpty(t, events)
	for _, ev := range events {
		assert.Equal(t, imagesvc.StatusImporting, ev.Status)
		require.NotNil(t, ev.Detail)
		assert.Equal(t, int64(len(raw)), ev.Detail.Total)
		assert.Positive(t, ev.Detail.Current)
	}

	_, err = Import(t.Context(), cs, imagesvc.ImportRequest{URL: &url.URL{Scheme: "http", Host: "example.com"}}, Options{}, nil)
	assert.True(t, errdefs.IsInvalidArgument(err))
	_, err = Import(t.Context(), cs, imagesvc.ImportRequest{}, Options{}, nil)
	assert.True(t, errdefs.IsInvalidArgument(err))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Import(ctx, cs, imagesvc.ImportRequest{Source: bytes.NewReader(raw)}, Options{}, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// failingReader fails after some data, like a client that goes away.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestImportSourceError(t *testing.T) {
	cs := testimages.NewContentStore(t)
	gone := fmt.Errorf("client went away: %w", errdefs.ErrUnavailable)
	_, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: &failingReader{data: gzipped(sampleTar())[:100], err: gone}}, Options{}, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, gone)
	assertNoIngests(t, cs)
}

func TestFetchURL(t *testing.T) {
	raw := sampleTar()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.tar":
			w.Header().Set("Content-Length", fmt.Sprint(len(raw)))
			_, _ = w.Write(raw)
		case "/missing":
			http.Error(w, "no such file", http.StatusNotFound)
		case "/bad":
			http.Error(w, "bad", http.StatusBadRequest)
		case "/auth":
			http.Error(w, "login first", http.StatusUnauthorized)
		case "/forbidden":
			http.Error(w, "go away", http.StatusForbidden)
		default:
			http.Error(w, "oops", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	defer srv.Client().CloseIdleConnections()
	u := func(p string) *url.URL {
		parsed, err := url.Parse(srv.URL + p)
		require.NoError(t, err)
		return parsed
	}

	body, size, err := FetchURL(t.Context(), srv.Client(), u("/ok.tar"))
	require.NoError(t, err)
	assert.Equal(t, int64(len(raw)), size)
	cs := testimages.NewContentStore(t)
	res, err := Import(t.Context(), cs, imagesvc.ImportRequest{Source: body}, Options{SourceSize: size}, nil)
	require.NoError(t, body.Close())
	require.NoError(t, err)
	assert.Equal(t, digest.FromBytes(raw), res.DiffID)

	for p, is := range map[string]func(error) bool{
		"/missing":   errdefs.IsNotFound,
		"/bad":       errdefs.IsInvalidArgument,
		"/auth":      errdefs.IsUnauthorized,
		"/forbidden": errdefs.IsPermissionDenied,
		"/boom":      func(err error) bool { return errdefs.IsUnknown(err) || !errdefs.IsNotFound(err) },
	} {
		_, _, err := FetchURL(t.Context(), srv.Client(), u(p))
		require.Error(t, err, p)
		assert.True(t, is(err), "%s: %v", p, err)
		assert.True(t, strings.HasPrefix(err.Error(), "failed to GET "+srv.URL+p+" with status "), err.Error())
	}
	_, _, err = FetchURL(t.Context(), srv.Client(), u("/missing"))
	assert.Equal(t, "failed to GET "+srv.URL+"/missing with status 404 Not Found: no such file", err.Error())

	// Nothing listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, _, err = FetchURL(t.Context(), srv.Client(), &url.URL{Scheme: "http", Host: addr, Path: "/x.tar"})
	assert.True(t, errdefs.IsUnavailable(err), "%v", err)

	// A name that does not resolve.
	_, _, err = FetchURL(t.Context(), srv.Client(), &url.URL{Scheme: "http", Host: "no-such-host.invalid", Path: "/x.tar"})
	assert.True(t, errdefs.IsNotFound(err), "%v", err)
}
