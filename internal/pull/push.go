package pull

import (
	"context"
	"net/http"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"

	"github.com/imageapi/imageapi/imagesvc"
)

// PushResolver returns containerd's docker resolver configured as the Puller's pulls are
// (hosts.toml from Options.HostsDir, the Options.Insecure registries over plain HTTP), for
// one push with the credentials auth (nil for anonymous). As for pulls, the credentials
// go to the registry itself only (the last of its configured hosts), never to a mirror,
// and are never logged. The resolver's pusher reports the state of each upload to
// tracker (containerd's [docker.StatusTracker]); headers, when not nil, are added to
// every request.
//
// The returned context carries the Puller's logger for containerd's packages; use it for
// the push. release closes the idle connections of the push's HTTP clients.
func (p *Puller) PushResolver(ctx context.Context, auth *imagesvc.AuthConfig, tracker docker.StatusTracker, headers http.Header) (_ context.Context, _ remotes.Resolver, release func()) {
	ctx = withLogger(ctx, p.log)
	var opts []docker.AuthorizerOpt
	if credentials(auth) == nil {
		// Without credentials the authorizer still answers a basic challenge, with
		// containerd's "no basic auth credentials", as Docker's (which always has a
		// credentials callback) does.
		opts = append(opts, docker.WithAuthCreds(func(string) (string, string, error) { return "", "", nil }))
	}
	s := p.newSession(ctx, auth, opts...)
	r := docker.NewResolver(docker.ResolverOptions{Hosts: s.RegistryHosts, Tracker: tracker, Headers: headers})
	return ctx, r, s.close
}
