package plugins

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// TestChangesAcrossTheBoundary: the host sends the typed result of the changes (parsed
// once) and the lines (for older plugins); a plugin uses the typed config when present
// and parses the lines of an older host otherwise. Both give Docker's config.
func TestChangesAcrossTheBoundary(t *testing.T) {
	changes, err := imagesvc.ParseChanges([]string{"ENV A=1", "ENV B=$A", "CMD []", "EXPOSE 80/udp", "HEALTHCHECK NONE", "LABEL a=b \\", " c=d"})
	require.NoError(t, err)
	want := changes.Config()
	require.Equal(t, []string{}, want.Cmd)

	h := &pb.ImportHeader{}
	encodeChanges(h, changes)
	assert.Equal(t, changes.Lines(), h.GetChanges(), "older plugins still get the lines")
	require.NotNil(t, h.GetChangesConfig())

	got, err := decodeChanges(h)
	require.NoError(t, err)
	var cfg imagesvc.ImageConfig
	require.NoError(t, got.Apply(&cfg))
	assert.Equal(t, want, cfg, "typed config, CMD [] kept as empty")

	old := &pb.ImportHeader{Changes: h.GetChanges()} // an older host sends only the lines
	got, err = decodeChanges(old)
	require.NoError(t, err)
	assert.Equal(t, want, got.Config())

	_, err = decodeChanges(&pb.ImportHeader{Changes: []string{"RUN x"}})
	assert.EqualError(t, err, "RUN is not a valid change command")

	h = &pb.ImportHeader{}
	encodeChanges(h, imagesvc.Changes{})
	assert.Nil(t, h.GetChangesConfig())
	assert.Empty(t, h.GetChanges())
}
