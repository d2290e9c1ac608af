package plugins

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// A host written before Usage.Containers existed serves the Usage service without it: the
// plugin's HostUsage takes its UNIMPLEMENTED as "no containers", and ContainersUsing still
// works.
func TestHostUsageOldHost(t *testing.T) {
	desc := pb.Usage_ServiceDesc
	desc.Methods = nil
	for _, m := range pb.Usage_ServiceDesc.Methods {
		if m.MethodName == "ContainersUsing" {
			desc.Methods = append(desc.Methods, m)
		}
	}
	require.Len(t, desc.Methods, 1)
	used := digest.FromString("used")
	provider := imagesvc.UsageFunc(func(_ context.Context, ds []digest.Digest) (map[digest.Digest][]string, error) {
		return map[digest.Digest][]string{used: {"c1"}}, nil
	})

	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	g := newGRPCServer(nil)
	g.RegisterService(&desc, &usageServer{p: provider})
	go func() { _ = g.Serve(l) }()
	t.Cleanup(g.Stop)
	cc, err := grpc.NewClient("unix://"+sock, append(dialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })

	call := &hostCall{usage: pb.NewUsageClient(cc)}
	ctx := context.WithValue(context.Background(), usageKey{}, call)
	u := HostUsage().(imagesvc.ContainerLister)
	ctrs, err := u.Containers(ctx)
	require.NoError(t, err)
	assert.Equal(t, []imagesvc.Container{}, ctrs)
	assert.True(t, call.asked.Load(), "the answer depends on the host")

	m, err := HostUsage().ContainersUsing(ctx, []digest.Digest{used})
	require.NoError(t, err)
	assert.Equal(t, map[digest.Digest][]string{used: {"c1"}}, m)
}
