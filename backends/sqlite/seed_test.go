package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/pull"
	"github.com/imageapi/imageapi/internal/testimages"
)

// The seed fast path.
//
// Benchmarks and some tests need catalogs of thousands of images. Pulling or importing
// them through the public API would spend minutes writing blobs that List and Inspect never
// read. seed writes the same catalog rows as a pull does, through the same code (the
// record builder and Store.put), but reads the content from the in-memory images instead
// of the content store, and does not copy the blobs into the content store. The resulting
// rows are identical to those a pull of the same images would write, except that they are
// written in one transaction.

// seedImage is one image to seed: its content, its names (references in any form), and
// the repository it is recorded as pulled from ("" for none).
type seedImage struct {
	img    *testimages.Image
	names  []string
	source string
}

// memSource serves an in-memory image as a record builder source.
type memSource struct {
	content.Provider
	img *testimages.Image
}

func (m memSource) Info(_ context.Context, d digest.Digest) (content.Info, error) {
	b, ok := m.img.Blob(d)
	if !ok {
		return content.Info{}, fmt.Errorf("blob %s: %w", d, errdefs.ErrNotFound)
	}
	return content.Info{Digest: d, Size: int64(len(b.Data))}, nil
}

// seed records imgs in one transaction.
func (s *Store) seed(ctx context.Context, imgs []seedImage) error {
	items := make([]entryToWrite, 0, len(imgs))
	for _, si := range imgs {
		src := memSource{Provider: si.img.Provider(), img: si.img}
		b := &builder{src: src, platform: s.platform, unpacked: func(ctx context.Context, desc ocispec.Descriptor) (int64, error) {
			l, err := pull.ComputeLayer(ctx, si.img.Provider(), desc)
			return l.Unpacked, err
		}}
		rec, det, err := b.build(ctx, si.img.Descriptor)
		if err != nil {
			return err
		}
		it := entryToWrite{rec: rec, det: det, source: si.source}
		for _, n := range si.names {
			named, err := reference.ParseNormalizedNamed(n)
			if err != nil {
				return err
			}
			it.names = append(it.names, named)
		}
		items = append(items, it)
	}
	_, err := s.put(ctx, items, nil)
	return err
}

// benchCatalog describes the synthetic catalog of the benchmarks: n images, two tags
// each; image i is in repository example.com/r<i/3>/app (so a repository holds three
// images), carries the labels com.example.index=<i> and com.example.quarter=<i%4>, and
// was created i minutes after a fixed time.
func benchImages(t testing.TB, n int) []seedImage {
	t.Helper()
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	out := make([]seedImage, 0, n)
	for i := range n {
		img, err := testimages.OCIManifest(testimages.Config{
			Created: base.Add(time.Duration(i) * time.Minute),
			Labels: map[string]string{
				"com.example.index":   fmt.Sprint(i),
				"com.example.quarter": fmt.Sprint(i % 4),
			},
			Env:    []string{"PATH=/usr/local/bin:/usr/bin:/bin", fmt.Sprintf("INDEX=%d", i)},
			Cmd:    []string{"/bin/app", "--serve"},
			Layers: [][]testimages.File{{{Name: "app/id", Data: []byte(fmt.Sprint(i))}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		repo := fmt.Sprintf("example.com/r%04d/app", i/3)
		out = append(out, seedImage{
			img:    img,
			names:  []string{fmt.Sprintf("%s:t%da", repo, i%3), fmt.Sprintf("%s:t%db", repo, i%3)},
			source: repo,
		})
	}
	return out
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func ocispecDesc(d digest.Digest, n int) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d, Size: int64(n)}
}

type ociPlatformT = ocispec.Platform

func ociPlatform(os, arch, variant string) ocispec.Platform {
	return ocispec.Platform{OS: os, Architecture: arch, Variant: variant}
}
