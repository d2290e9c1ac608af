// Package deps pins the third-party packages the project builds on while the packages that
// use them are being written, so that go.mod and go.sum stay complete. It is removed once
// every dependency has a real importer.
package deps

import (
	_ "github.com/containerd/containerd/v2/client"
	_ "github.com/containerd/containerd/v2/core/content"
	_ "github.com/containerd/containerd/v2/core/content/testsuite"
	_ "github.com/containerd/containerd/v2/core/images"
	_ "github.com/containerd/containerd/v2/core/images/archive"
	_ "github.com/containerd/containerd/v2/core/leases"
	_ "github.com/containerd/containerd/v2/core/remotes"
	_ "github.com/containerd/containerd/v2/core/remotes/docker"
	_ "github.com/containerd/containerd/v2/core/remotes/docker/config"
	_ "github.com/containerd/containerd/v2/pkg/archive"
	_ "github.com/containerd/containerd/v2/pkg/archive/compression"
	_ "github.com/containerd/containerd/v2/pkg/labels"
	_ "github.com/containerd/containerd/v2/plugins/content/local"
	_ "github.com/containerd/errdefs"
	_ "github.com/containerd/log"
	_ "github.com/containerd/platforms"
	_ "github.com/distribution/reference"
	_ "github.com/hashicorp/go-hclog"
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/moby/moby/client"
	_ "go.uber.org/goleak"
	_ "github.com/opencontainers/go-digest"
	_ "github.com/opencontainers/image-spec/specs-go/v1"
	_ "github.com/stretchr/testify/require"
	_ "golang.org/x/sync/errgroup"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/proto"
)
