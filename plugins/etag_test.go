package plugins_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// ETags through a plugin (listversion.go, backend.proto ListVersion): every Client is an
// imagesvc.ListVersioner, so an HTTP host labels lists and inspects through a plugin, and
// never answers 304 for an answer that changed.

// The conditional property (imagesvctest.CheckConditional) through the plugin protocol,
// with the host's list cache in between: imports, tags, removes and prunes between
// conditional lists and inspects.
func TestETagThroughPluginProperty(t *testing.T) {
	m := plugintest.NewMemService()
	c := plugintest.InProcess(t, m, plugins.Options{})
	newHandler := func() http.Handler { return httpadapter.New(c, httpadapter.Options{}) }
	writes := imagesvctest.LifecycleWrites(c, []string{"a:1", "a:2", "b:latest"}, nil)
	targets := []string{
		"/v1.54/images/json",
		"/v1.54/images/json?all=1",
		"/v1.41/images/json?all=1",
		"/v1.54/images/json?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D",
		"/v1.54/images/a:1/json",
		"/v1.54/images/b/json",
	}
	n := imagesvctest.CheckConditional(t, newHandler, targets, writes, 60, 7)
	t.Logf("%d answers were 304", n)
	require.NotZero(t, n, "no request was answered 304: the property proved nothing")
}

// etagOf returns the ETag of a 200 answer to target.
func etagOf(t *testing.T, h http.Handler, target string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec.Header().Get("ETag")
}

// No ETag through a plugin whose backend has no version, nor with a host usage provider
// that no version covers; an ETag with one the host versions itself (UsageTrackedPerCall).
func TestETagThroughPluginNeedsAVersion(t *testing.T) {
	targets := []string{"/v1.54/images/json", "/v1.54/images/a:1/json"}
	seeded := func() *plugintest.MemService {
		m := plugintest.NewMemService()
		ref, err := imagesvc.ParseImportReference("a", "1")
		require.NoError(t, err)
		_, err = m.Import(context.Background(), imagesvc.ImportRequest{Source: strings.NewReader("x"), Ref: ref}, nil)
		require.NoError(t, err)
		return m
	}

	c := plugintest.InProcess(t, unversioned{seeded()}, plugins.Options{})
	_, err := c.ListVersion(context.Background())
	assert.True(t, errdefs.IsNotImplemented(err), "%v", err)
	h := httpadapter.New(c, httpadapter.Options{})
	for _, target := range targets {
		assert.Empty(t, etagOf(t, h, target), target)
	}

	c = plugintest.InProcess(t, seeded(), plugins.Options{Usage: &imagesvctest.UsageTable{}})
	_, err = c.ListVersion(context.Background())
	assert.True(t, errdefs.IsNotImplemented(err), "%v", err)
	h = httpadapter.New(c, httpadapter.Options{})
	for _, target := range targets {
		assert.Empty(t, etagOf(t, h, target), target)
	}

	c = plugintest.InProcess(t, seeded(), plugins.Options{Usage: &trackedUsage{}})
	h = httpadapter.New(c, httpadapter.Options{UsageVersion: func(context.Context) (string, error) { return "u", nil }})
	for _, target := range targets {
		assert.NotEmpty(t, etagOf(t, h, target), target)
	}
}

// trackedUsage is a host's usage provider that the host versions itself.
type trackedUsage struct{ imagesvctest.UsageTable }

func (*trackedUsage) UsageTrackedPerCall() {}

// The version follows the writes, and a relaunched plugin never gives the versions of
// the one before it, even when the new process's backend reaches the same version.
func TestListVersionAfterRelaunch(t *testing.T) {
	c := plugintest.Open(t, testPlugin(t), plugins.Options{Args: []string{"-seed", "3"}})
	ctx := context.Background()
	version := func() string {
		t.Helper()
		v, err := c.ListVersion(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, v)
		return v
	}
	pull := func(name string) {
		t.Helper()
		ref, err := imagesvc.ParsePullReference(name, "1", "")
		require.NoError(t, err)
		_, err = c.Pull(ctx, imagesvc.PullRequest{Ref: ref}, nil)
		require.NoError(t, err)
	}
	v1 := version()
	assert.Equal(t, v1, version(), "nothing changed")
	pull("example.com/before")
	v2 := version()
	assert.NotEqual(t, v1, v2)

	_, err := c.Inspect(ctx, mustRef(t, "crash"), imagesvc.InspectOptions{})
	require.Error(t, err)
	v3 := version()
	assert.NotEqual(t, v1, v3, "the new process's backend is at the version the old one started at")
	pull("example.com/after")
	assert.NotEqual(t, v2, version(), "the new process's backend is at the version the old one had")
}

// A host usage provider the host does not version: the plugin's versions leave it out
// (imagesvc.UsageOmitter), so without Options.UsageVersion the adapter sends no ETag and
// keeps no answer, rather than a list whose Containers went stale.
func TestETagNeedsTheHostsUsageVersion(t *testing.T) {
	m := plugintest.NewMemService()
	ref, err := imagesvc.ParseImportReference("a", "1")
	require.NoError(t, err)
	_, err = m.Import(context.Background(), imagesvc.ImportRequest{Source: strings.NewReader("x"), Ref: ref}, nil)
	require.NoError(t, err)
	c := plugintest.InProcess(t, m, plugins.Options{Usage: &trackedUsage{}})
	_, err = c.ListVersion(context.Background())
	require.NoError(t, err, "the plugin has a version")
	h := httpadapter.New(c, httpadapter.Options{})
	for _, target := range []string{"/v1.54/images/json", "/v1.54/images/a:1/json"} {
		assert.Empty(t, etagOf(t, h, target), target)
	}
}
