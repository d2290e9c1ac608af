package imagesvctest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

var importCounter atomic.Int64

// rootfs returns a small root filesystem tar, different on every call.
func rootfs() []byte {
	n := importCounter.Add(1)
	return testimages.Tar([]testimages.File{
		{Name: "etc/", Typeflag: '5', Mode: 0o755},
		{Name: "etc/hostname", Data: []byte(fmt.Sprintf("imported-%d\n", n)), Mode: 0o644},
		{Name: "bin/hello", Data: bytes.Repeat([]byte("x"), 4096), Mode: 0o755},
	})
}

func importRequest(t *testing.T, repoTag string, changes []string, body []byte) imagesvc.ImportRequest {
	t.Helper()
	var ref reference.NamedTagged
	if repoTag != "" {
		var err error
		ref, err = imagesvc.ParseImportReference(repoTag, "")
		require.NoError(t, err)
	}
	ch, err := imagesvc.ParseChanges(changes)
	require.NoError(t, err)
	return imagesvc.ImportRequest{Source: bytes.NewReader(body), Ref: ref, Changes: ch, Message: "Imported from -"}
}

// mustImport imports a fresh root filesystem named repoTag ("" for none).
func (s *suite) mustImport(t *testing.T, svc imagesvc.Creator, repoTag string, changes []string) digest.Digest {
	t.Helper()
	id, err := svc.Import(context.Background(), importRequest(t, repoTag, changes, rootfs()), nil)
	require.NoError(t, err, "import %q", repoTag)
	require.NoError(t, id.Validate())
	return id
}

func (s *suite) testImport(t *testing.T) {
	svc := s.service(t)
	before := time.Now().Add(-time.Second)
	req := importRequest(t, "imported:v1", []string{
		"ENV A=1", `CMD ["sh"]`, "LABEL org.example.imported=yes", "EXPOSE 8080", "WORKDIR /srv", "USER nobody",
		"ENV B=$A WHO=${W:-nobody}",
	}, rootfs())
	req.Message = "hello"
	req.Platform = &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	rec := &recorder{}
	id, err := svc.Import(context.Background(), req, rec.report)
	require.NoError(t, err)
	assert.False(t, rec.overlap.Load())

	img, err := inspect(t, svc, "imported:v1", imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, img.ID, "the image ID is the manifest digest")
	assert.Equal(t, ocispec.MediaTypeImageManifest, img.Descriptor.MediaType)
	assert.Equal(t, []string{"docker.io/library/imported:v1"}, canonical(t, img.RepoTags))
	assert.Equal(t, []string{"A=1", "B=1", "WHO=nobody"}, img.Config.Env, "variables expand as Docker expands them")
	assert.Equal(t, []string{"sh"}, img.Config.Cmd)
	assert.Equal(t, "yes", img.Config.Labels["org.example.imported"])
	assert.Contains(t, img.Config.ExposedPorts, "8080/tcp")
	assert.Equal(t, "/srv", img.Config.WorkingDir)
	assert.Equal(t, "nobody", img.Config.User)
	assert.Equal(t, "arm64", img.Architecture)
	assert.Equal(t, "v8", img.Variant)
	assert.Equal(t, "linux", img.OS)
	assert.Equal(t, "hello", img.Comment)
	assert.Equal(t, "layers", img.RootFS.Type)
	assert.Len(t, img.RootFS.Layers, 1)
	assert.Positive(t, img.Size)
	assert.True(t, img.Created.After(before), "Created %v is the import time", img.Created)

	sums := list(t, svc, imagesvc.ListOptions{Manifests: true})
	require.Len(t, sums, 1)
	assert.Equal(t, id, sums[0].ID)
	assert.Equal(t, map[string]string{"org.example.imported": "yes"}, sums[0].Labels)
	require.Len(t, sums[0].Manifests, 1)
	assert.True(t, sums[0].Manifests[0].Available)
	assert.Positive(t, sums[0].Manifests[0].ImageData.Unpacked)

	// Compressed archives import too, and the default platform is the host's.
	req = importRequest(t, "imported:gz", nil, testimages.Gzip(rootfs()))
	id2, err := svc.Import(context.Background(), req, nil)
	require.NoError(t, err)
	img, err = inspect(t, svc, id2.String(), imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, s.h.Platform.Architecture, img.Architecture)
	assert.Equal(t, "Imported from -", img.Comment)
}

// canonical normalizes familiar names so the assertion does not depend on the form.
func canonical(t *testing.T, names []string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		r, err := reference.ParseNormalizedNamed(n)
		require.NoError(t, err)
		out = append(out, r.String())
	}
	return out
}

func (s *suite) testImportDangling(t *testing.T) {
	svc := s.service(t)
	id := s.mustImport(t, svc, "", nil)
	sums := listFiltered(t, svc, "dangling", "true")
	require.Len(t, sums, 1)
	assert.Equal(t, id, sums[0].ID)
	assert.Empty(t, sums[0].RepoTags)
	assert.Empty(t, sums[0].RepoDigests)
	img, err := inspect(t, svc, id.Encoded()[:12], imagesvc.InspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, id, img.ID)
	assert.NotNil(t, img.RepoTags)
	assert.Empty(t, img.RepoTags)
}

func (s *suite) testImportErrors(t *testing.T) {
	svc := s.service(t)
	gz := testimages.Gzip(rootfs())
	for name, body := range map[string][]byte{
		"NotATar":       []byte(strings.Repeat("this is not a tar archive\n", 100)),
		"TruncatedGzip": gz[:len(gz)/2],
		"TruncatedTar":  rootfs()[:700],
		"Empty":         nil,
		"GzipOfGarbage": testimages.Gzip([]byte(strings.Repeat("garbage", 200))),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.Import(context.Background(), importRequest(t, "broken:"+strings.ToLower(name), nil, body), nil)
			require.Error(t, err)
			assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
		})
	}
	_, err := svc.Import(context.Background(), imagesvc.ImportRequest{}, nil)
	assert.True(t, errdefs.IsInvalidArgument(err), "neither source nor URL: %v", err)
	_, err = imagesvc.ParseChanges([]string{"RUN rm -rf /"})
	assert.True(t, errdefs.IsInvalidArgument(err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = svc.Import(ctx, importRequest(t, "broken:canceled", nil, rootfs()), nil)
	assert.True(t, errdefs.IsCanceled(err), "%v", err)

	assert.Empty(t, list(t, svc, imagesvc.ListOptions{All: true}), "failed imports leave nothing listed")
}
