package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/httpadapter"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/internal/testimages"
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
	h := httpadapter.New(c, httpadapter.Options{UsageVersion: usage.Version})
	ctx := context.Background()
	svc := c.(interface {
		imagesvc.Service
		imagesvc.Tagger
		imagesvc.Remover
		imagesvc.Pruner
	})
	ids := func() []digest.Digest {
		sums, err := c.List(ctx, imagesvc.ListOptions{All: true})
		require.NoError(t, err)
		out := make([]digest.Digest, len(sums))
		for i := range sums {
			out[i] = sums[i].ID
		}
		return out
	}
	importAs := func(t *testing.T, repo, tag, content string) {
		req := imagesvc.ImportRequest{Source: bytes.NewReader(testimages.Tar([]testimages.File{{Name: "f", Data: []byte(content)}}))}
		if repo != "" {
			ref, err := imagesvc.ParseImportReference(repo, tag)
			require.NoError(t, err)
			req.Ref = ref
		}
		_, err := c.Import(ctx, req, nil)
		require.NoError(t, err)
	}
	names := []string{"a:1", "a:2", "b:latest"}
	writes := []imagesvctest.ConditionalWrite{
		{Name: "import", Do: func(t *testing.T, rnd *rand.Rand) {
			importAs(t, []string{"a", "b"}[rnd.IntN(2)], strconv.Itoa(1+rnd.IntN(2)), strconv.Itoa(rnd.IntN(4)))
		}},
		{Name: "import dangling", Do: func(t *testing.T, rnd *rand.Rand) {
			importAs(t, "", "", strconv.Itoa(rnd.IntN(4)))
		}},
		{Name: "tag", Do: func(t *testing.T, rnd *rand.Rand) {
			all := ids()
			if len(all) == 0 {
				return
			}
			src, err := imagesvc.ParseImageRef(all[rnd.IntN(len(all))].String())
			require.NoError(t, err)
			target, err := reference.ParseNormalizedNamed("a:" + strconv.Itoa(1+rnd.IntN(2)))
			require.NoError(t, err)
			_ = svc.Tag(ctx, src, target.(reference.NamedTagged))
		}},
		{Name: "remove", Do: func(t *testing.T, rnd *rand.Rand) {
			ref, err := imagesvc.ParseImageRef(names[rnd.IntN(len(names))])
			require.NoError(t, err)
			_, _ = svc.Remove(ctx, ref, imagesvc.RemoveOptions{Force: true})
		}},
		{Name: "prune", Do: func(t *testing.T, rnd *rand.Rand) {
			_, err := svc.Prune(ctx, imagesvc.PruneOptions{})
			require.NoError(t, err)
		}},
		{Name: "container usage", Do: func(t *testing.T, rnd *rand.Rand) {
			all := ids()
			if len(all) == 0 {
				return
			}
			usage.Toggle(all[rnd.IntN(len(all))])
		}},
	}
	targets := []string{
		"/v1.54/images/json",
		"/v1.54/images/json?all=1",
		"/v1.41/images/json?all=1",
		"/v1.54/images/json?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D",
		"/v1.54/images/a:1/json",
		"/v1.54/images/b/json",
	}
	n := imagesvctest.CheckConditional(t, h, targets, writes, 40, 5)
	t.Logf("%d answers were 304", n)
	require.NotZero(t, n, "no request was answered 304: the property proved nothing")
}
