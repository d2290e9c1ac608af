package containerd

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
)

// badArchives returns archives whose valid blobs come first and whose fault comes last,
// so that a load has written blobs when it fails.
func badArchives(t *testing.T) map[string][]byte {
	t.Helper()
	img, err := testimages.OCIManifest(testimages.Config{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Seed: 4242})
	require.NoError(t, err)
	m, _, err := img.Manifest(img.Descriptor.Digest)
	require.NoError(t, err)
	type member struct {
		name, link string
		flag       byte
		data       []byte
	}
	build := func(skip digest.Digest, tail ...member) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		var ms []member
		for d, b := range img.Blobs {
			if d != skip {
				ms = append(ms, member{name: "blobs/sha256/" + d.Encoded(), data: b.Data})
			}
		}
		d := img.Descriptor
		d.Annotations = map[string]string{"io.containerd.image.name": "docker.io/library/bad:1"}
		idx, _ := json.Marshal(ocispec.Index{Versioned: specsV2, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{d}})
		ms = append(ms, member{name: "index.json", data: idx}, member{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)})
		for _, x := range append(ms, tail...) {
			flag := x.flag
			if flag == 0 {
				flag = tar.TypeReg
			}
			size := int64(len(x.data))
			if flag != tar.TypeReg {
				size = 0
			}
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: x.name, Linkname: x.link, Typeflag: flag, Mode: 0o644, Size: size}))
			if size > 0 {
				_, err := tw.Write(x.data)
				require.NoError(t, err)
			}
		}
		require.NoError(t, tw.Close())
		return buf.Bytes()
	}
	whole := build("")
	return map[string][]byte{
		"dot-dot":          build("", member{name: "x/../../escape", data: []byte("x")}),
		"absolute symlink": build("", member{name: "evil", flag: tar.TypeSymlink, link: "/etc/passwd"}),
		"truncated":        whole[:len(whole)/2],
		"missing config":   build(m.Config.Digest),
		"digest mismatch":  build("", member{name: "blobs/sha256/" + digest.FromString("other").Encoded(), data: []byte("not it")}),
		"too large":        whole,
	}
}

var specsV2 = specs.Versioned{SchemaVersion: 2}

// TestLoadLeavesNothing loads archives that fail after blobs were written: each fails with
// its class, and the namespace has no content, no unfinished write and no record after.
func TestLoadLeavesNothing(t *testing.T) {
	for _, v := range daemons {
		t.Run("containerd-"+v, func(t *testing.T) {
			s, _ := open(t, v, Options{})
			small, _ := open(t, v, Options{MaxImportSize: 4096})
			for name, data := range badArchives(t) {
				t.Run(name, func(t *testing.T) {
					s := s
					if name == "too large" {
						s = small
					}
					out, err := s.Load(context.Background(), imagesvc.LoadRequest{Source: bytes.NewReader(data)})
					require.Error(t, err)
					if name == "too large" {
						assert.ErrorIs(t, err, errdefs.ErrResourceExhausted, "%v", err)
					} else {
						assert.ErrorIs(t, err, errdefs.ErrInvalidArgument, "%v", err)
					}
					assert.Empty(t, out)
					ctx := s.nsContext(context.Background())
					cs := s.client.ContentStore()
					var blobs []digest.Digest
					require.NoError(t, cs.Walk(ctx, func(info content.Info) error {
						blobs = append(blobs, info.Digest)
						return nil
					}))
					assert.Empty(t, blobs, "no blob left behind")
					st, err := cs.ListStatuses(ctx)
					require.NoError(t, err)
					assert.Empty(t, st, "no unfinished write left behind")
					recs, err := s.client.ImageService().List(ctx)
					require.NoError(t, err)
					assert.Empty(t, recs, "no record")
				})
			}
		})
	}
}
