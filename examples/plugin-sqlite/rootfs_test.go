package main

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/backends/sqlite"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
	"github.com/imageapi/imageapi/plugins/plugintest"
)

// The SQLite store's root filesystems cross the plugin protocol unchanged: the runtime
// image the store resolves (its config as the store parsed it), the mounts of a view and
// the views are those the store gives directly, and a view prepared through the plugin
// is the store's.
func TestRootFSSameAsStore(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(t.TempDir(), sqlite.Options{Usage: plugins.HostUsage()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	c := plugintest.InProcess(t, store, plugins.Options{})
	require.True(t, c.Info().Capabilities.Has(plugins.CapRootFS), "the SQLite store prepares root filesystems: %s", c.Info().Capabilities)
	p, ok := imagesvc.As[imagesvc.RootFSPreparer](c)
	require.True(t, ok)

	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "etc/", Mode: 0o755, Typeflag: tar.TypeDir}))
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "etc/motd", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg}))
	_, err = tw.Write([]byte("hi\n"))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	named, err := reference.ParseNormalizedNamed("rootfs:v1")
	require.NoError(t, err)
	changes, err := imagesvc.ParseChanges([]string{`ENV GREETING="hello world"`, `ENTRYPOINT ["/bin/sh", "-c"]`, `LABEL a=b`, `VOLUME /data`})
	require.NoError(t, err)
	_, err = c.Import(ctx, imagesvc.ImportRequest{Source: &layer, Ref: named.(reference.NamedTagged), Changes: changes}, nil)
	require.NoError(t, err)

	ref, err := imagesvc.ParseImageRef("rootfs:v1")
	require.NoError(t, err)
	want, err := store.ResolveRuntimeImage(ctx, ref, nil)
	require.NoError(t, err)
	got, err := p.ResolveRuntimeImage(ctx, ref, nil)
	require.NoError(t, err)
	// Times cross as instants with their offset from UTC, as everywhere in the protocol:
	// the name of their time.Location does not (the store's is Local here).
	require.NotNil(t, got.Config.Created)
	assert.True(t, want.Config.Created.Equal(*got.Config.Created), "%s, %s", want.Config.Created, got.Config.Created)
	assert.Equal(t, want.Config.Created.Format(time.RFC3339Nano), got.Config.Created.Format(time.RFC3339Nano))
	require.Len(t, got.Config.History, len(want.Config.History))
	for i, h := range want.Config.History {
		if h.Created != nil {
			require.NotNil(t, got.Config.History[i].Created)
			assert.True(t, h.Created.Equal(*got.Config.History[i].Created))
			want.Config.History[i].Created = got.Config.History[i].Created
		}
	}
	want.Config.Created = got.Config.Created
	assert.Equal(t, want, got)
	assert.Equal(t, []string{"/bin/sh", "-c"}, got.Config.Config.Entrypoint)

	mounts, err := p.PrepareRootFS(ctx, imagesvc.PrepareRequest{Key: "c1", Image: got})
	require.NoError(t, err)
	direct, err := store.RootFSMounts(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, direct, mounts, "the store's view, as the store describes it")
	views, err := p.RootFSViews(ctx)
	require.NoError(t, err)
	directViews, err := store.RootFSViews(ctx)
	require.NoError(t, err)
	require.Len(t, views, 1)
	require.Len(t, directViews, 1)
	assert.True(t, directViews[0].Created.Equal(views[0].Created), "%s, %s", directViews[0].Created, views[0].Created)
	directViews[0].Created = views[0].Created
	assert.Equal(t, directViews, views)
	assert.Equal(t, want.ChainIDs[len(want.ChainIDs)-1], views[0].ChainID)

	require.NoError(t, p.RemoveRootFS(ctx, "c1"))
	_, err = store.RootFSMounts(ctx, "c1")
	assert.Error(t, err, "removed in the store")
}
