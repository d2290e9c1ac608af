package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// TestPullLayersAlreadyPresent pulls two images that share their base layer: the second
// pull reports it "Already exists" and downloads only the other one.
func TestPullLayersAlreadyPresent(t *testing.T) {
	base := []testimages.File{{Name: "base", Data: []byte("a shared base layer")}}
	var imgs []*testimages.Image
	for _, v := range []string{"one", "two"} {
		img, err := testimages.OCIManifest(testimages.Config{Layers: [][]testimages.File{base, {{Name: "v", Data: []byte(v)}}}})
		require.NoError(t, err)
		imgs = append(imgs, img)
	}
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("shared/base", "one", imgs[0]))
	require.NoError(t, reg.Put("shared/base", "two", imgs[1]))
	// No hosts directory: the registry is reached over plain HTTP because it is listed
	// as insecure.
	s := openTest(t, Options{Insecure: []string{reg.Host()}})

	pull := func(tag string) []imagesvc.ProgressEvent {
		ref, err := imagesvc.ParsePullReference(reg.Host()+"/shared/base", tag, "")
		require.NoError(t, err)
		var evs []imagesvc.ProgressEvent
		_, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, func(ev imagesvc.ProgressEvent) { evs = append(evs, ev) })
		require.NoError(t, err)
		return evs
	}
	pull("one")
	evs := pull("two")
	man, _, err := imgs[1].Manifest(imgs[1].Descriptor.Digest)
	require.NoError(t, err)
	shared, own := man.Layers[0].Digest.Encoded()[:12], man.Layers[1].Digest.Encoded()[:12]
	status := map[string][]string{}
	for _, ev := range evs {
		status[ev.ID] = append(status[ev.ID], ev.Status)
	}
	assert.Equal(t, []string{imagesvc.StatusAlreadyExists}, status[shared], "the shared layer is not downloaded again")
	assert.Contains(t, status[own], imagesvc.StatusPullComplete)

	sums, err := s.List(context.Background(), imagesvc.ListOptions{SharedSize: true})
	require.NoError(t, err)
	require.Len(t, sums, 2)
	for _, sum := range sums {
		assert.Positive(t, sum.SharedSize, "the base layer is shared")
	}
}

// TestPullRecordsPlatformsLater pulls one platform of an index, then another: the second
// pull completes the same image, which then has both platforms available.
func TestPullRecordsPlatformsLater(t *testing.T) {
	amd := ociPlatform("linux", "amd64", "")
	arm := ociPlatform("linux", "arm64", "v8")
	img, err := testimages.OCIIndex([]testimages.Config{{Platform: amd, Seed: 5}, {Platform: arm, Seed: 5}}, true)
	require.NoError(t, err)
	reg := testregistry.New(t, testregistry.Options{})
	require.NoError(t, reg.Put("later/multi", "v1", img))
	hosts := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, reg.WriteHostsDir(hosts))
	s := openTest(t, Options{HostsDir: hosts, Platform: amd})
	ref, err := imagesvc.ParsePullReference(reg.Host()+"/later/multi", "v1", "")
	require.NoError(t, err)

	available := func() map[string]bool {
		sums, err := s.List(context.Background(), imagesvc.ListOptions{Manifests: true})
		require.NoError(t, err)
		require.Len(t, sums, 1)
		out := map[string]bool{}
		for _, m := range sums[0].Manifests {
			if m.Kind == imagesvc.KindImage {
				out[m.ImageData.Platform.Architecture] = m.Available
			}
		}
		return out
	}
	pulled, err := s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref, Platform: &arm}, nil)
	require.NoError(t, err)
	assert.True(t, pulled[0].Updated)
	assert.Equal(t, map[string]bool{"amd64": false, "arm64": true}, available())
	assert.Equal(t, "arm64", bestArch(t, s, reg.Host()+"/later/multi:v1"))

	pulled, err = s.Pull(context.Background(), imagesvc.PullRequest{Ref: ref}, nil)
	require.NoError(t, err)
	assert.False(t, pulled[0].Updated, "the name already pointed at this image")
	assert.Equal(t, map[string]bool{"amd64": true, "arm64": true}, available())
	assert.Equal(t, "amd64", bestArch(t, s, reg.Host()+"/later/multi:v1"), "now the host's platform is the best")
}
