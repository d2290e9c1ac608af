package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/imagesvc/imagesvctest"
	"github.com/imageapi/imageapi/internal/testimages"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// Through this plugin, a repeated list (answered from the host's cache when the host has
// no usage provider) always shows the catalog's latest state and the host's latest
// containers, and the caller owns what it gets.
func TestListThroughPluginSeesEveryChange(t *testing.T) {
	bin := plugintest.Build(t, ".")
	for _, withUsage := range []bool{false, true} {
		t.Run(map[bool]string{false: "without usage", true: "with usage"}[withUsage], func(t *testing.T) {
			usage := &imagesvctest.UsageTable{}
			opts := plugins.Options{Args: []string{"--data-root", t.TempDir()}}
			if withUsage {
				opts.Usage = usage
			}
			c := plugintest.Open(t, bin, opts)
			ctx := context.Background()
			list := func() []imagesvc.Summary {
				t.Helper()
				sums, err := c.List(ctx, imagesvc.ListOptions{})
				require.NoError(t, err)
				return sums
			}
			importImage := func(tag, content string) digest.Digest {
				t.Helper()
				ref, err := imagesvc.ParseImportReference("example.com/cond/app", tag)
				require.NoError(t, err)
				body := testimages.Tar([]testimages.File{{Name: "f", Data: []byte(content)}})
				id, err := c.Import(ctx, imagesvc.ImportRequest{Source: bytes.NewReader(body), Ref: ref}, nil)
				require.NoError(t, err)
				return id
			}

			assert.Empty(t, list())
			assert.Empty(t, list())
			one := importImage("v1", "one")
			first := list()
			require.Len(t, first, 1)
			assert.Equal(t, one, first[0].ID)
			assert.Equal(t, []string{"example.com/cond/app:v1"}, first[0].RepoTags)
			first[0].RepoTags[0] = "spoiled"
			first[0].RepoTags = append(first[0].RepoTags, "appended")
			if first[0].Labels == nil {
				first[0].Labels = map[string]string{}
			}
			first[0].Labels["spoiled"] = "yes"
			again := list()
			require.Len(t, again, 1)
			assert.Equal(t, []string{"example.com/cond/app:v1"}, again[0].RepoTags)
			assert.NotContains(t, again[0].Labels, "spoiled")

			two := importImage("v1", "two") // moves the tag
			sums := list()
			require.Len(t, sums, 2)
			byID := map[digest.Digest]imagesvc.Summary{}
			for _, s := range sums {
				byID[s.ID] = s
			}
			assert.Equal(t, []string{"example.com/cond/app:v1"}, byID[two].RepoTags)
			assert.Empty(t, byID[one].RepoTags, "the tag moved")

			usage.Set(two, "c1")
			want := int64(0)
			if withUsage {
				want = 1
			}
			for range 2 {
				sums = list()
				require.Len(t, sums, 2)
				for _, s := range sums {
					if s.ID == two {
						assert.Equal(t, want, s.Containers)
					}
				}
			}
			usage.Set(two)
			for _, s := range list() {
				assert.Zero(t, s.Containers)
			}
		})
	}
}

// The store this plugin serves, with plugins.HostUsage as its usage provider, keeps its
// list version: the plugin accounts for the host's containers itself, so the host may
// keep its lists (without the version every list would cross in full).
func TestStoreWithHostUsageHasAListVersion(t *testing.T) {
	store, err := sqlite.Open(t.TempDir(), sqlite.Options{Usage: plugins.HostUsage()})
	require.NoError(t, err)
	defer store.Close()
	_, err = store.ListVersion(context.Background())
	require.NoError(t, err)
}
