package pull

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"

	"github.com/imageapi/imageapi/imagesvc"
)

// session holds the registry configuration of one Fetch: hosts resolved once per registry
// (so that the resolver, the fetcher and the tag listing share one authorizer and one
// connection pool) and the per-call credentials.
type session struct {
	configure func(host string) ([]docker.RegistryHost, error)

	mu    sync.Mutex // guards hosts
	hosts map[string][]docker.RegistryHost

	clientsMu sync.Mutex
	clients   []*http.Client
}

// newSession configures the registry hosts for one call with the given credentials;
// authOpts are added to the options of the hosts' authorizers.
func (p *Puller) newSession(ctx context.Context, auth *imagesvc.AuthConfig, authOpts ...docker.AuthorizerOpt) *session {
	s := &session{hosts: map[string][]docker.RegistryHost{}}
	creds := credentials(auth)
	token := ""
	if auth != nil {
		token = auth.RegistryToken
	}
	s.configure = func(host string) ([]docker.RegistryHost, error) {
		// The credentials are the registry's: they go to the registry itself (the last of
		// its hosts), never to a mirror before it, as Docker keeps them from mirrors.
		var upstream string // set once the hosts are known, before any request
		// Always a callback, as Docker's resolver has one: without credentials it answers
		// none, and containerd's authorizer then fails a basic-auth challenge with "no
		// basic auth credentials" instead of passing the 401 on.
		hostCreds := func(h string) (string, string, error) {
			if creds == nil || h != upstream {
				return "", "", nil
			}
			return creds(h)
		}
		scheme := "https"
		if p.insecure[host] {
			scheme = "http"
		}
		opts := config.HostOptions{
			DefaultScheme:  scheme,
			UpdateClient:   s.track,
			Credentials:    hostCreds,
			AuthorizerOpts: authOpts,
		}
		if p.opts.HostsDir != "" {
			opts.HostDir = config.HostDirFromRoot(p.opts.HostsDir)
		}
		hosts, err := config.ConfigureHosts(ctx, opts)(host)
		if err != nil {
			return nil, err
		}
		if len(hosts) > 0 {
			last := &hosts[len(hosts)-1]
			upstream = last.Host
			if token != "" {
				last.Authorizer = bearerAuthorizer{host: last.Host, token: token}
			}
		}
		return hosts, nil
	}
	return s
}

// RegistryHosts returns the hosts of registry host, configuring them on first use.
func (s *session) RegistryHosts(host string) ([]docker.RegistryHost, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hs, ok := s.hosts[host]; ok {
		return hs, nil
	}
	hs, err := s.configure(host)
	if err != nil {
		return nil, err
	}
	s.hosts[host] = hs
	return hs, nil
}

// track remembers the HTTP clients the session creates, to close their connections.
func (s *session) track(c *http.Client) error {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	s.clients = append(s.clients, c)
	return nil
}

// close releases the idle connections of the session.
func (s *session) close() {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	for _, c := range s.clients {
		c.CloseIdleConnections()
	}
}

// credentials turns an AuthConfig into the credentials callback of containerd's authorizer:
// username and password (or the decoded auth field), or an identity token as the secret
// with an empty username, which containerd exchanges as an OAuth refresh token. It
// returns nil when there are no such credentials.
func credentials(a *imagesvc.AuthConfig) func(string) (string, string, error) {
	if a.Empty() {
		return nil
	}
	user, secret := a.Username, a.Password
	if a.Auth != "" && user == "" && secret == "" {
		if u, p, err := imagesvc.DecodeBasicAuth(a.Auth); err == nil {
			user, secret = u, p
		}
	}
	if a.IdentityToken != "" {
		user, secret = "", a.IdentityToken
	}
	if user == "" && secret == "" {
		return nil
	}
	return func(string) (string, string, error) { return user, secret, nil }
}

// Credentials returns the user name and secret a pull with auth presents, as containerd's
// authorizer takes them (an identity token is a secret with an empty user name). ok is
// false when auth holds none; a registry token is not such a pair and is not returned.
func Credentials(auth *imagesvc.AuthConfig) (user, secret string, ok bool) {
	f := credentials(auth)
	if f == nil {
		return "", "", false
	}
	user, secret, _ = f("")
	return user, secret, true
}

// Insecure reports whether host ("host" or "host:port") is reached over plain HTTP
// because [Options.Insecure] lists it.
func (p *Puller) Insecure(host string) bool { return p.insecure[host] }

// bearerAuthorizer sends a registry token as is to one host (never to the hosts a
// request is redirected to).
type bearerAuthorizer struct {
	host, token string
}

func (a bearerAuthorizer) Authorize(_ context.Context, req *http.Request) error {
	if req.URL.Host == a.host {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	return nil
}

func (a bearerAuthorizer) AddResponses(context.Context, []*http.Response) error {
	return fmt.Errorf("registry token refused: %w", docker.ErrInvalidAuthorization)
}

// registryError is one entry of a distribution error body.
type registryError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// registryErrors decodes the error entries of a registry response body, if any.
func registryErrors(body []byte) []registryError {
	var e struct {
		Errors []registryError `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return nil
	}
	return e.Errors
}

// get sends GET <host path>/<repository>/<p> to the first host of the repository's
// registry with capability caps that answers, authorizing like containerd's resolver (on
// 401 the authorizer learns the challenge and the request is retried). The caller closes
// the body. A status of 400 or more is returned as remoteerrors.ErrUnexpectedStatus.
func (s *session) get(ctx context.Context, named reference.Named, caps docker.HostCapabilities, p string) (*http.Response, error) {
	domain, repo := reference.Domain(named), reference.Path(named)
	hosts, err := s.RegistryHosts(domain)
	if err != nil {
		return nil, err
	}
	ctx = docker.WithScope(ctx, "repository:"+repo+":pull")
	var firstErr error
	for _, h := range hosts {
		if !h.Capabilities.Has(caps) {
			continue
		}
		pth, rawQuery, _ := strings.Cut(p, "?")
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return nil, err
		}
		if domain != h.Host && (domain != "docker.io" || h.Host != "registry-1.docker.io") {
			q.Set("ns", domain) // a mirror: name the upstream registry, as containerd does
		}
		u := &url.URL{Scheme: h.Scheme, Host: h.Host, Path: strings.TrimSuffix(h.Path, "/") + "/" + repo + "/" + pth,
			RawQuery: q.Encode()}
		resp, err := s.getURL(ctx, h, u.String())
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("no registry host for %s: %w", domain, errdefs.ErrNotFound)
	}
	return nil, firstErr
}

// getURL sends GET u to host h, authorizing the request and retrying it after a 401 once
// the authorizer has learned the challenge.
func (s *session) getURL(ctx context.Context, h docker.RegistryHost, u string) (*http.Response, error) {
	var responses []*http.Response
	for attempt := 0; attempt < 5; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range h.Header {
			req.Header[k] = append([]string(nil), v...)
		}
		req.Header.Set("Accept", "application/json")
		if h.Authorizer != nil {
			if err := h.Authorizer.Authorize(ctx, req); err != nil {
				return nil, fmt.Errorf("failed to authorize: %w", err)
			}
		}
		client := h.Client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("failed to do request: %w", err)
		}
		if resp.StatusCode == http.StatusUnauthorized && h.Authorizer != nil {
			responses = append(responses, resp)
			aerr := h.Authorizer.AddResponses(ctx, responses)
			if aerr == nil {
				drain(resp)
				continue
			}
			if !errdefs.IsNotImplemented(aerr) {
				drain(resp)
				return nil, aerr
			}
		}
		if resp.StatusCode >= 400 {
			defer drain(resp)
			return nil, remoteerrors.NewUnexpectedStatusErr(resp)
		}
		return resp, nil
	}
	last := responses[len(responses)-1]
	return nil, remoteerrors.ErrUnexpectedStatus{Status: last.Status, StatusCode: last.StatusCode,
		RequestURL: u, RequestMethod: http.MethodGet}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// maxTagPages bounds the pages of a tag listing.
const maxTagPages = 1000

// listTags lists the tags of named's repository through the registry's tags/list API,
// following pagination, in the order the registry gives them.
func (s *session) listTags(ctx context.Context, named reference.Named) ([]string, error) {
	var tags []string
	next := "tags/list"
	for page := 0; next != ""; page++ {
		if page == maxTagPages {
			return nil, fmt.Errorf("tag list of %s has more than %d pages", named.Name(), maxTagPages)
		}
		resp, err := s.get(ctx, named, docker.HostCapabilityResolve, next)
		if err != nil {
			return nil, err
		}
		var body struct {
			Tags []string `json:"tags"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body)
		link := resp.Header.Get("Link")
		drain(resp)
		if err != nil {
			return nil, fmt.Errorf("decoding the tag list of %s: %w", named.Name(), err)
		}
		tags = append(tags, body.Tags...)
		next = nextPage(link, resp.Request.URL, reference.Path(named))
	}
	return tags, nil
}

// nextPage returns the path, relative to the repository, of the rel="next" page named by
// a Link header, or "" when there is none.
func nextPage(link string, base *url.URL, repo string) string {
	for _, part := range strings.Split(link, ",") {
		target, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.Contains(params, `rel="next"`) && !strings.Contains(params, "rel=next") {
			continue
		}
		target = strings.Trim(strings.TrimSpace(target), "<>")
		u, err := base.Parse(target)
		if err != nil {
			return ""
		}
		_, rest, ok := strings.Cut(u.Path, "/"+repo+"/")
		if !ok || rest != "tags/list" {
			return ""
		}
		q := u.Query()
		q.Del("ns")
		if len(q) == 0 {
			return rest
		}
		return rest + "?" + q.Encode()
	}
	return ""
}

// UpstreamHost returns the host that serves the registry domain itself (the last of its
// configured hosts, after any mirrors): "registry-1.docker.io" for "docker.io", the
// domain itself unless hosts.toml names another server. A registry's credentials go to
// that host only.
func (p *Puller) UpstreamHost(ctx context.Context, domain string) (string, error) {
	s := p.newSession(ctx, nil)
	defer s.close()
	hosts, err := s.RegistryHosts(domain)
	if err != nil {
		return "", err
	}
	if len(hosts) == 0 {
		return domain, nil
	}
	return hosts[len(hosts)-1].Host, nil
}
