package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// ETags through this plugin (plugins.Client.ListVersion, the store's version): random
// imports, tags, removes, prunes and container usage changes between conditional lists
// and inspects; every 304 must be the answer a fresh request gets.
func TestETagThroughPluginProperty(t *testing.T) {
	bin := plugintest.Build(t, ".")
	usage := &imagesvctest.VersionedUsage{}
	c := plugintest.Open(t, bin, plugins.Options{Args: []string{"--data-root", t.TempDir()}, Usage: usage})
	newHandler := func() http.Handler { return httpadapter.New(c, httpadapter.Options{UsageVersion: usage.Version}) }
	writes := imagesvctest.LifecycleWrites(c, []string{"a:1", "a:2", "b:latest"}, usage)
	targets := []string{
		"/v1.54/images/json",
		"/v1.54/images/json?all=1",
		"/v1.41/images/json?all=1",
		"/v1.54/images/json?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D",
		"/v1.54/images/a:1/json",
		"/v1.54/images/b/json",
	}
	n := imagesvctest.CheckConditional(t, newHandler, targets, writes, 40, 5)
	t.Logf("%d answers were 304", n)
	require.NotZero(t, n, "no request was answered 304: the property proved nothing")
}
