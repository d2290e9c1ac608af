package sqlite

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/internal/testregistry"
)

// TestConditionalProperty: random pulls, imports, tags, removes, prunes and container
// usage changes between conditional requests of lists and inspects; every 304 must be the
// answer a fresh request gets (imagesvctest.CheckConditional).
func TestConditionalProperty(t *testing.T) {
	reg := testregistry.New(t, testregistry.Options{})
	for i := range 3 {
		img, err := testimages.OCIManifest(testimages.Config{Seed: uint64(i + 1), Labels: map[string]string{"n": strconv.Itoa(i)}})
		require.NoError(t, err)
		require.NoError(t, reg.Put("p/img", "v"+strconv.Itoa(i), img))
	}
	usage := &imagesvctest.VersionedUsage{}
	s := openTest(t, Options{Insecure: []string{reg.Host()}, Usage: usage})
	newHandler := func() http.Handler { return httpadapter.New(s, httpadapter.Options{UsageVersion: usage.Version}) }
	ctx := context.Background()

	names := []string{"a:1", "a:2", "b:latest", "p/img:v0"}
	writes := append(imagesvctest.LifecycleWrites(s, names, usage), imagesvctest.ConditionalWrite{
		Name: "pull", Do: func(t *testing.T, rnd *rand.Rand) {
			ref, err := imagesvc.ParsePullReference(reg.Host()+"/p/img", "v"+strconv.Itoa(rnd.IntN(3)), "")
			require.NoError(t, err)
			_, err = s.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil)
			require.NoError(t, err)
		}})
	targets := []string{
		"/v1.54/images/json",
		"/v1.54/images/json?all=1",
		"/v1.54/images/json?all=1&manifests=1",
		"/v1.41/images/json?all=1",
		"/v1.54/images/json?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D",
		"/v1.54/images/json?filters=%7B%22reference%22%3A%7B%22a%22%3Atrue%7D%7D",
		"/v1.54/images/a:1/json",
		"/v1.54/images/a:1/json?manifests=1",
		"/v1.54/images/b/json",
		"/v1.54/images/p/img:v0/json",
	}
	n := imagesvctest.CheckConditional(t, newHandler, targets, writes, 60, 12)
	t.Logf("%d answers were 304", n)
	require.NotZero(t, n, "no request was answered 304: the property proved nothing")

	// An until filter depends on the time: no ETag.
	rec := httptest.NewRecorder()
	newHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1.54/images/json?filters=%7B%22until%22%3A%7B%2210m%22%3Atrue%7D%7D", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, rec.Header().Get("ETag"))
}

// TestConditionalUnversionedUsage: with a usage provider the store cannot version, and no
// usage version from the host, answers carry no ETag.
func TestConditionalUnversionedUsage(t *testing.T) {
	s := openTest(t, Options{Usage: imagesvc.UsageFunc(func(context.Context, []digest.Digest) (map[digest.Digest][]string, error) {
		return nil, nil
	})})
	importAs(t, s, "a:1", "x", "")
	h := httpadapter.New(s, httpadapter.Options{})
	for _, target := range []string{"/v1.54/images/json", "/v1.54/images/a:1/json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, rec.Header().Get("ETag"), target)
	}
}

// TestConditionalTrackedUsageNeedsHostVersion: with a usage provider the caller tracks per
// call (imagesvc.UsageTrackedPerCall) the store's versions leave it out, and says so; a
// host that gives no usage version then gets no ETag, and no answer is kept.
func TestConditionalTrackedUsageNeedsHostVersion(t *testing.T) {
	usage := &imagesvctest.VersionedUsage{}
	s := openTest(t, Options{Usage: usage})
	require.True(t, s.ListVersionOmitsUsage())
	importAs(t, s, "a:1", "x", "")
	h := httpadapter.New(s, httpadapter.Options{})
	for _, target := range []string{"/v1.54/images/json", "/v1.54/images/a:1/json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, rec.Header().Get("ETag"), target)
	}
}
