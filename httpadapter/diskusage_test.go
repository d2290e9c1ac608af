package httpadapter_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/swaggercheck"
)

// dfFixture adds DiskUsager to the fixture: it answers the fixture's images (SharedSize
// as set there) and a fixed TotalSize, and counts the calls.
type dfFixture struct {
	*fixture
	total int64
	calls atomic.Int32
	gate  chan struct{} // when not nil, DiskUsage waits for it
}

var _ imagesvc.DiskUsager = (*dfFixture)(nil)

func (f *dfFixture) DiskUsage(ctx context.Context) (imagesvc.DiskUsage, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return imagesvc.DiskUsage{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	imgs := make([]imagesvc.Summary, len(f.images))
	for i, img := range f.images {
		img.Manifests = nil
		imgs[i] = img
	}
	return imagesvc.DiskUsage{Images: imgs, TotalSize: f.total}, nil
}

func newDFFixture() *dfFixture {
	f := &dfFixture{fixture: newFixture(), total: 20 << 20}
	// alpine: 1 container, busybox: unused (Size 4000000, shares 4096), dangling: unused.
	f.images[1].SharedSize = 4096
	f.images[1].Containers = 0
	return f
}

func dfGet(t *testing.T, h http.Handler, target string) (int, map[string]any, []string) {
	t.Helper()
	w := request(t, h, http.MethodGet, target, nil)
	if w.Code != http.StatusOK {
		return w.Code, decodeObject(t, w.Body.Bytes()), nil
	}
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	return w.Code, decodeObject(t, w.Body.Bytes()), topKeys(t, w.Body.Bytes())
}

// TestDiskUsageShapes pins the answer of each API version range (spec §10.3).
func TestDiskUsageShapes(t *testing.T) {
	f := newDFFixture()
	h := httpadapter.New(f, httpadapter.Options{})
	wantReclaimable := float64(4000000 - 4096 + 1000)

	t.Run("1.56", func(t *testing.T) {
		_, m, keys := dfGet(t, h, "/v1.56/system/df")
		assert.Equal(t, []string{"LayersSize", "Images", "Containers", "Volumes", "BuildCache",
			"ImageUsage", "ContainerUsage", "VolumeUsage", "BuildCacheUsage"}, keys)
		assert.Equal(t, float64(20<<20), m["LayersSize"])
		assert.Len(t, m["Images"], 3)
		for _, k := range []string{"Containers", "Volumes", "BuildCache"} {
			assert.Equal(t, []any{}, m[k], k)
		}
		for _, k := range []string{"ContainerUsage", "VolumeUsage", "BuildCacheUsage"} {
			assert.Equal(t, map[string]any{}, m[k], k)
		}
		iu := m["ImageUsage"].(map[string]any)
		assert.Equal(t, float64(1), iu["ActiveCount"])
		assert.Equal(t, float64(3), iu["TotalCount"])
		assert.Equal(t, float64(20<<20), iu["TotalSize"])
		assert.Equal(t, wantReclaimable, iu["Reclaimable"])
		assert.Equal(t, m["Images"], iu["Items"], "the image list is sent twice")
		items := iu["Items"].([]any)
		alpine := items[0].(map[string]any)
		assert.Equal(t, float64(1), alpine["Containers"])
		assert.NotContains(t, alpine, "Manifests")
		assert.NotContains(t, alpine, "VirtualSize")
		dangling := items[2].(map[string]any)
		assert.Nil(t, dangling["RepoTags"], "null for a dangling image, as Docker sends it")
		assert.Contains(t, dangling, "RepoTags")
		assert.Nil(t, dangling["RepoDigests"])
		assert.Equal(t, float64(0), dangling["Containers"], "the real count, never -1")
		assert.Equal(t, float64(0), dangling["SharedSize"])
		assert.NotNil(t, dangling["Descriptor"])
	})
	t.Run("1.52Verbose", func(t *testing.T) {
		w := request(t, h, http.MethodGet, "/v1.52/system/df?verbose=1", nil)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, []string{"ImageUsage", "ContainerUsage", "VolumeUsage", "BuildCacheUsage"}, topKeys(t, w.Body.Bytes()))
		iu := mustField(t, w.Body.Bytes(), "ImageUsage")
		assert.Equal(t, []string{"ActiveCount", "Items", "Reclaimable", "TotalCount", "TotalSize"}, topKeys(t, iu))
		assert.Len(t, elements(t, mustField(t, iu, "Items")), 3)
	})
	t.Run("1.51Legacy", func(t *testing.T) {
		_, m, keys := dfGet(t, h, "/v1.51/system/df?verbose=1")
		assert.Equal(t, []string{"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}, keys, "verbose is ignored before 1.52")
		img := m["Images"].([]any)[0].(map[string]any)
		assert.NotContains(t, img, "VirtualSize")
		assert.Contains(t, img, "Descriptor", "Descriptor even below 1.48 (spec §10.2)")
		assert.Equal(t, float64(1), img["Containers"])
	})
	t.Run("1.41", func(t *testing.T) {
		w := request(t, h, http.MethodGet, "/v1.41/system/df?type=image", nil)
		require.Equal(t, http.StatusOK, w.Code)
		keys := topKeys(t, w.Body.Bytes())
		assert.Equal(t, []string{"BuildCache", "Containers", "Images", "LayersSize", "Volumes"}, keys, "type ignored before 1.42; keys sorted")
		for _, raw := range elements(t, mustField(t, w.Body.Bytes(), "Images")) {
			ks := topKeys(t, raw)
			assert.True(t, isSorted(ks), "%v", ks)
			assert.Contains(t, ks, "VirtualSize")
			assert.Contains(t, ks, "Descriptor")
			desc := topKeys(t, mustField(t, raw, "Descriptor"))
			assert.True(t, isSorted(desc), "nested keys sorted too: %v", desc)
			img := decodeObject(t, raw)
			assert.Equal(t, img["Size"], img["VirtualSize"])
		}
		m := decodeObject(t, w.Body.Bytes())
		assert.Nil(t, m["Images"].([]any)[2].(map[string]any)["RepoTags"], "no <none>:<none> here")
	})
	t.Run("1.43", func(t *testing.T) {
		_, m, keys := dfGet(t, h, "/v1.43/system/df?type=image")
		assert.Equal(t, []string{"Images", "LayersSize"}, keys)
		assert.Contains(t, m["Images"].([]any)[0], "VirtualSize")
	})
	t.Run("TypeImage", func(t *testing.T) {
		_, _, keys := dfGet(t, h, "/v1.55/system/df?type=image")
		assert.Equal(t, []string{"LayersSize", "Images", "ImageUsage"}, keys)
		_, _, keys = dfGet(t, h, "/system/df?type=image&type=volume&verbose=1")
		assert.Equal(t, []string{"ImageUsage", "VolumeUsage"}, keys)
	})
	t.Run("UnknownType", func(t *testing.T) {
		code, m, _ := dfGet(t, h, "/system/df?type=image&type=network")
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "unknown object type: network", m["message"])
		code, _, _ = dfGet(t, h, "/v1.41/system/df?type=network")
		assert.Equal(t, http.StatusOK, code, "type is not read before 1.42")
	})
	t.Run("NoImages", func(t *testing.T) {
		before := f.calls.Load()
		_, m, keys := dfGet(t, h, "/system/df?type=container&type=build-cache")
		assert.Equal(t, []string{"Containers", "BuildCache", "ContainerUsage", "BuildCacheUsage"}, keys)
		assert.Equal(t, []any{}, m["Containers"])
		assert.Equal(t, before, f.calls.Load(), "images not asked for, not computed")
	})
}

// TestDiskUsageEmptyStore: Docker's answers for a store without images (spec §10.3).
func TestDiskUsageEmptyStore(t *testing.T) {
	f := &dfFixture{fixture: newFixture()}
	f.images = nil
	h := httpadapter.New(f, httpadapter.Options{})
	w := request(t, h, http.MethodGet, "/v1.41/system/df", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"BuildCache":[],"Containers":[],"Images":[],"Volumes":[]}`, w.Body.String())
	assert.Equal(t, []string{"BuildCache", "Containers", "Images", "Volumes"}, topKeys(t, w.Body.Bytes()))
	w = request(t, h, http.MethodGet, "/v1.55/system/df", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `{"Images":[],"Containers":[],"Volumes":[],"BuildCache":[],"ImageUsage":{},"ContainerUsage":{},"VolumeUsage":{},"BuildCacheUsage":{}}`+"\n", w.Body.String())
}

// TestDiskUsageFigures: ActiveCount and Reclaimable as Docker's imageDiskUsage computes
// them; an image with an unknown container count (-1) is neither.
func TestDiskUsageFigures(t *testing.T) {
	f := newDFFixture()
	f.images[2].Containers = -1
	f.images[1].Containers = 3
	h := httpadapter.New(f, httpadapter.Options{})
	_, m, _ := dfGet(t, h, "/system/df?verbose=1")
	iu := m["ImageUsage"].(map[string]any)
	assert.Equal(t, float64(2), iu["ActiveCount"])
	assert.NotContains(t, iu, "Reclaimable", "0 is left out")
	assert.Equal(t, float64(-1), iu["Items"].([]any)[2].(map[string]any)["Containers"])
}

// TestDiskUsageNotImplemented: a service without DiskUsager answers 501 naming the
// operation, unless images are not asked for.
func TestDiskUsageNotImplemented(t *testing.T) {
	h := httpadapter.New(newFixture(), httpadapter.Options{})
	code, m, _ := dfGet(t, h, "/system/df")
	assert.Equal(t, http.StatusNotImplemented, code)
	assert.Equal(t, "image disk usage is not implemented by this image service", m["message"])
	code, _, _ = dfGet(t, h, "/system/df?type=volume")
	assert.Equal(t, http.StatusOK, code)
}

// TestDiskUsageShared: requests that arrive while one is computed share its computation.
func TestDiskUsageShared(t *testing.T) {
	f := newDFFixture()
	f.gate = make(chan struct{})
	h := httpadapter.New(f, httpadapter.Options{})
	const n = 8
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		target := "/system/df"
		if i%2 == 1 {
			target += "?verbose=1"
		}
		wg.Go(func() {
			codes[i] = request(t, h, http.MethodGet, target, nil).Code
		})
	}
	require.Eventually(t, func() bool { return f.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let the others join
	close(f.gate)
	wg.Wait()
	for _, c := range codes {
		assert.Equal(t, http.StatusOK, c)
	}
	assert.Equal(t, int32(1), f.calls.Load(), "one computation for every concurrent request")
	request(t, h, http.MethodGet, "/system/df", nil)
	assert.Equal(t, int32(2), f.calls.Load(), "a later request computes again")
}

// TestDiskUsageSwagger holds the answers to moby's swagger.yaml, strictly: the verbose
// answer at 1.56 entirely; the default one except for the legacy fields, which Docker still
// sends and the document no longer declares; and for an older version, its own document.
func TestDiskUsageSwagger(t *testing.T) {
	h := httpadapter.New(newDFFixture(), httpadapter.Options{})
	for _, tc := range []struct {
		doc, target string
		excused     map[string]bool
	}{
		{"", "/v1.56/system/df?verbose=1", nil},
		{"", "/v1.56/system/df", map[string]bool{"$.LayersSize": true, "$.Images": true, "$.Containers": true, "$.Volumes": true, "$.BuildCache": true}},
		{"1.44", "/v1.44/system/df", nil},
	} {
		p, err := swaggercheck.MobySwaggerPath(tc.doc)
		require.NoError(t, err)
		doc, err := swaggercheck.Load(p)
		require.NoError(t, err)
		schema, err := doc.Response(http.MethodGet, "/system/df", http.StatusOK)
		require.NoError(t, err)
		w := request(t, h, http.MethodGet, tc.target, nil)
		require.Equal(t, http.StatusOK, w.Code)
		violations, err := schema.ValidateJSON(w.Body.Bytes(), swaggercheck.Options{DisallowUnknown: true})
		require.NoError(t, err)
		for _, v := range violations {
			if tc.excused[v.Path] && v.Rule == swaggercheck.RuleUnknown {
				continue
			}
			// Docker sends the Descriptor on every version (spec §10.2).
			if tc.doc != "" && strings.HasSuffix(v.Path, ".Descriptor") && v.Rule == swaggercheck.RuleUnknown {
				continue
			}
			// Docker sends null for the names of a dangling image (spec §10.2).
			if (v.Path == "$.ImageUsage.Items[2].RepoTags" || v.Path == "$.ImageUsage.Items[2].RepoDigests" ||
				v.Path == "$.Images[2].RepoTags" || v.Path == "$.Images[2].RepoDigests") && v.Rule == swaggercheck.RuleNull {
				continue
			}
			t.Errorf("%s: %v", tc.target, v)
		}
	}
}

func mustField(t *testing.T, raw []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	v, ok := m[key]
	require.True(t, ok, "no %s in %s", key, raw)
	return v
}
