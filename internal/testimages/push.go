package testimages

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/containerd/platforms"
)

// Push uploads img to the registry at host (such as "127.0.0.1:5000") as repo, tagged tag
// (or by digest only when tag is ""), using containerd's docker resolver and
// remotes.PushContent: every blob and manifest is pushed, attestation manifests included.
//
// plainHTTP selects http instead of https. creds, if not nil, supplies the username and
// password for a host and is used when the registry asks for authentication. Push closes
// its idle connections before returning.
func Push(ctx context.Context, host, repo, tag string, img *Image, plainHTTP bool, creds func(host string) (string, string, error)) error {
	var (
		mu      sync.Mutex
		clients []*http.Client
	)
	opts := config.HostOptions{
		Credentials: creds,
		UpdateClient: func(c *http.Client) error {
			mu.Lock()
			defer mu.Unlock()
			clients = append(clients, c)
			return nil
		},
	}
	if plainHTTP {
		opts.DefaultScheme = "http"
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	resolver := docker.NewResolver(docker.ResolverOptions{Hosts: config.ConfigureHosts(ctx, opts)})

	ref := host + "/" + repo
	if tag != "" {
		ref += ":" + tag
	} else {
		ref += "@" + img.Descriptor.Digest.String()
	}
	pusher, err := resolver.Pusher(ctx, ref)
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	if err := remotes.PushContent(ctx, pusher, img.Descriptor, img.Provider(), nil, platforms.All, nil); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return nil
}
