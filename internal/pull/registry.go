package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// ConvertToHostname strips a registry address to its host, as Docker's
// registry.ConvertToHostname does: "https://host:port/v2/" and "host:port/path" give
// "host:port".
func ConvertToHostname(addr string) string {
	s := addr
	if scheme, rest, ok := strings.Cut(s, "://"); ok && (scheme == "http" || scheme == "https") {
		s = rest
	}
	s, _, _ = strings.Cut(s, "/")
	return s
}

// anchoredDomain matches a whole registry host: a host name or IP address, with an
// optional port.
var anchoredDomain = regexp.MustCompile(`^(?:` + reference.DomainRegexp.String() + `)$`)

// LoginHost returns the registry host a login to addr (an [imagesvc.AuthConfig]'s
// ServerAddress) talks to: "docker.io" for "" and Docker Hub's addresses
// ("https://index.docker.io/v1/", "registry-1.docker.io"), else the host[:port] of addr.
// It fails with InvalidArgument when addr does not name a registry host.
func LoginHost(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "docker.io", nil
	}
	host := ConvertToHostname(addr)
	// User information in the address ("https://user:secret@host") is dropped, as
	// Docker's URL parsing does, and never echoed.
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "docker.io", nil
	}
	if host == "" || !anchoredDomain.MatchString(host) {
		return "", errdefs.ErrInvalidArgument.WithMessage("unable to parse server address: it does not name a registry host")
	}
	return host, nil
}

// maxLoginAttempts bounds the requests of one login: anonymous, then after the challenge.
const maxLoginAttempts = 2

// loginTimeout bounds a login whose context has no deadline, as Docker bounds its own.
const loginTimeout = 30 * time.Second

// Login checks auth against the registry auth.ServerAddress names (see
// [imagesvc.RegistryAuthenticator]) with the Puller's registry configuration, and
// returns the identity token the registry's token service gave, or "".
//
// Like Docker, it sends GET /v2/ to the registry itself (never to a mirror), answers the
// WWW-Authenticate challenge with the credentials (basic, or a bearer token fetched from
// the token service with an offline token asked for) and succeeds when the registry then
// answers 200. A registry whose /v2/ is open to anonymous requests is logged in to without
// sending the credentials, as Docker does: it has nothing to check them against. Without
// a deadline in ctx, a login takes at most 30 seconds.
//
// Errors: Unauthenticated "login attempt to <endpoint> failed with status: 401
// Unauthorized: <registry's reason>" when the registry refuses the credentials, or
// `Get "<endpoint>": <reason>` when its token service does; InvalidArgument for an
// address that is not a registry host or a server that is not a registry (404 on /v2/);
// Unavailable when the registry cannot be reached or answers 5xx; the context's error
// when ctx ends.
func (p *Puller) Login(ctx context.Context, auth imagesvc.AuthConfig) (string, error) {
	host, err := LoginHost(auth.ServerAddress)
	if err != nil {
		return "", err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, loginTimeout)
		defer cancel()
	}
	ctx = withLogger(ctx, p.log)
	var (
		mu       sync.Mutex
		identity string
	)
	onRefresh := docker.WithFetchRefreshToken(func(_ context.Context, token string, _ *http.Request) {
		mu.Lock()
		identity = token
		mu.Unlock()
	})
	s := p.newSession(ctx, &auth, onRefresh)
	defer s.close()
	hosts, err := s.RegistryHosts(host)
	if err != nil {
		return "", fmt.Errorf("configuring registry %s: %w", host, err)
	}
	if len(hosts) == 0 {
		return "", errdefs.ErrInvalidArgument.WithMessage("no registry host configured for " + host)
	}
	// The registry itself is the last host; the ones before it are mirrors, which must not
	// see the registry's credentials.
	h := hosts[len(hosts)-1]
	endpoint := (&url.URL{Scheme: h.Scheme, Host: h.Host, Path: strings.TrimSuffix(h.Path, "/") + "/"}).String()
	authorized := false // a request carried credentials the authorizer chose
	for attempt := 0; attempt < maxLoginAttempts; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return "", errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		for k, v := range h.Header {
			req.Header[k] = append([]string(nil), v...)
		}
		if h.Authorizer != nil {
			if err := h.Authorizer.Authorize(ctx, req); err != nil {
				return "", loginError(ctx, endpoint, err)
			}
		}
		if req.Header.Get("Authorization") != "" {
			authorized = true
		}
		client := h.Client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", loginError(ctx, endpoint, err)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			drain(resp)
			mu.Lock()
			defer mu.Unlock()
			return identity, nil
		case resp.StatusCode == http.StatusUnauthorized && !authorized && h.Authorizer != nil:
			aerr := h.Authorizer.AddResponses(ctx, []*http.Response{resp})
			if aerr == nil {
				drain(resp)
				continue
			}
			if !errdefs.IsNotImplemented(aerr) {
				drain(resp)
				return "", loginError(ctx, endpoint, aerr)
			}
		}
		defer drain(resp)
		return "", loginError(ctx, endpoint, remoteerrors.NewUnexpectedStatusErr(resp))
	}
	return "", errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("login attempt to %s failed: the registry keeps asking for credentials", endpoint))
}

// loginError classifies a failed login to endpoint.
func loginError(ctx context.Context, endpoint string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var status remoteerrors.ErrUnexpectedStatus
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &status):
		reason := statusReason(status)
		tokenService := status.RequestURL != "" && status.RequestURL != endpoint
		switch {
		case status.StatusCode == http.StatusUnauthorized && tokenService:
			return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("Get %q: %s", endpoint, withDefault(reason, "unauthorized: "+status.Status)))
		case status.StatusCode == http.StatusUnauthorized:
			msg := fmt.Sprintf("login attempt to %s failed with status: %s", endpoint, status.Status)
			if reason != "" {
				msg += ": " + reason
			}
			return errdefs.ErrUnauthenticated.WithMessage(msg)
		}
		msg := fmt.Sprintf("login attempt to %s failed with status: %s", endpoint, status.Status)
		if tokenService {
			msg = fmt.Sprintf("Get %q: token service answered %s", endpoint, status.Status)
		}
		if reason != "" {
			msg += ": " + reason
		}
		switch status.StatusCode {
		case http.StatusNotFound:
			return errdefs.ErrInvalidArgument.WithMessage(msg)
		case http.StatusForbidden:
			return errdefs.ErrUnauthenticated.WithMessage(msg)
		case http.StatusTooManyRequests:
			return errdefs.ErrResourceExhausted.WithMessage(msg)
		case 500, 502, 503, 504:
			return errdefs.ErrUnavailable.WithMessage(msg)
		}
		return errors.New(msg)
	case errors.Is(err, docker.ErrInvalidAuthorization):
		return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("login attempt to %s failed: %s", endpoint, authReason(err)))
	case errdefs.IsNotImplemented(err):
		return errdefs.ErrUnauthenticated.WithMessage(fmt.Sprintf("login attempt to %s failed: %v", endpoint, err))
	case isTransportError(err):
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return errdefs.ErrUnavailable.WithMessage(uerr.Error())
		}
		return errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("Get %q: %v", endpoint, err))
	}
	return fmt.Errorf("login attempt to %s failed: %w", endpoint, err)
}

// statusReason is the reason a registry or token service gave in an error body: the
// distribution errors ("unauthorized: authentication required"), or the "details" of
// Docker Hub's token service.
func statusReason(st remoteerrors.ErrUnexpectedStatus) string {
	var details []string
	for _, e := range registryErrors(st.Body) {
		d := strings.ToLower(strings.ReplaceAll(e.Code, "_", " "))
		if e.Message != "" {
			d += ": " + e.Message
		}
		details = append(details, d)
	}
	if len(details) > 0 {
		return strings.Join(details, "; ")
	}
	var hub struct {
		Details string `json:"details"`
	}
	if json.Unmarshal(st.Body, &hub) == nil && hub.Details != "" {
		return "unauthorized: " + hub.Details
	}
	return ""
}

func withDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// DistributionInspect resolves ref in its registry with the credentials auth (nil for
// anonymous) and returns the descriptor of its manifest or index and the platforms it
// provides, as Docker's GET /distribution/{name}/json does (see
// [imagesvc.DistributionInspector]): a reference without tag or digest gets ":latest";
// the descriptor has the media type, digest and size of what the registry serves; the
// platforms are those of an index's entries in order (an entry without one gives an
// empty platform, as in Docker), or for a manifest the platform in its config when it
// names an OS or an architecture. Nothing is stored; the index or manifest and the config
// are read into memory within the limits of a pull and verified against their digests.
//
// Errors are those of [Puller.Fetch] before "Pulling from": NotFound for an unknown
// repository, tag or digest, Unauthenticated, InvalidArgument for schema 1 and content
// that is not an image, Unavailable, DataLoss for content that does not match its digest.
// A manifest's config that cannot be fetched or decoded only leaves the platforms unknown,
// as in Docker.
func (p *Puller) DistributionInspect(ctx context.Context, ref reference.Named, auth *imagesvc.AuthConfig) (*imagesvc.DistributionInfo, error) {
	if ref == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("no image reference")
	}
	named := reference.TagNameOnly(ref)
	if c, ok := ref.(reference.Canonical); ok {
		n, err := reference.WithDigest(reference.TrimNamed(ref), c.Digest())
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		named = n
	}
	ctx = withLogger(ctx, p.log)
	s := p.newSession(ctx, auth)
	defer s.close()
	j := &job{p: p, session: s, resolver: docker.NewResolver(docker.ResolverOptions{Hosts: s.RegistryHosts})}
	_, top, err := j.resolver.Resolve(ctx, named.String())
	if err != nil {
		return nil, j.resolveError(ctx, err, named)
	}
	if isSchema1(top.MediaType) {
		return nil, schema1Error(named)
	}
	fetcher, err := j.resolver.Fetcher(ctx, named.String())
	if err != nil {
		return nil, classify(err, named, fmt.Sprintf("failed to resolve reference %q", named.String()), false)
	}
	info := &imagesvc.DistributionInfo{Descriptor: ocispec.Descriptor{MediaType: top.MediaType, Digest: top.Digest, Size: top.Size}}
	switch {
	case images.IsIndexType(top.MediaType):
		data, err := readSmallBlob(ctx, fetcher, named, top, maxManifestSize)
		if err != nil {
			return nil, err
		}
		index, err := model.ParseIndex(data, top)
		if err != nil {
			return nil, err
		}
		for _, d := range index.Manifests {
			var pl ocispec.Platform
			if d.Platform != nil {
				pl = *d.Platform
			}
			info.Platforms = append(info.Platforms, pl)
		}
	case images.IsManifestType(top.MediaType):
		data, err := readSmallBlob(ctx, fetcher, named, top, maxManifestSize)
		if err != nil {
			return nil, err
		}
		m, err := model.ParseManifest(data, top)
		if err != nil {
			return nil, err
		}
		if !images.IsConfigType(m.Config.MediaType) {
			break // an artifact: no image config to take a platform from
		}
		// As in Docker, a config that cannot be had or read only leaves the platforms
		// unknown; content that does not match its digest is still an error.
		cdata, err := readSmallBlob(ctx, fetcher, named, m.Config, model.MaxConfigSize)
		if err != nil {
			if errdefs.IsDataLoss(err) || ctx.Err() != nil {
				return nil, err
			}
			p.log.Debug("distribution inspect: no platform from the image config", "config", m.Config.Digest.String(), "error", err)
			break
		}
		var pl ocispec.Platform
		if err := json.Unmarshal(cdata, &pl); err != nil {
			p.log.Debug("distribution inspect: no platform from the image config", "config", m.Config.Digest.String(), "error", err)
			break
		}
		if pl.OS != "" || pl.Architecture != "" {
			info.Platforms = []ocispec.Platform{pl}
		}
	default:
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"%s: unsupported media type %q: not an image index or manifest", reference.FamiliarString(named), top.MediaType))
	}
	return info, nil
}

// readSmallBlob reads desc (an index, manifest or config of at most limit bytes) from the
// registry into memory and verifies it against its digest and size.
func readSmallBlob(ctx context.Context, fetcher remotes.Fetcher, named reference.Named, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid digest %q: %v", desc.Digest, err))
	}
	if desc.Size > limit {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s of %d bytes exceeds the limit of %d bytes", desc.Digest, desc.Size, limit))
	}
	rc, err := fetcher.Fetch(ctx, desc)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classify(err, named, "failed to fetch "+desc.Digest.String(), false)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(rc, limit+1)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classify(err, named, "failed to fetch "+desc.Digest.String(), false)
	}
	data := buf.Bytes()
	if int64(len(data)) != desc.Size || desc.Digest.Algorithm().FromBytes(data) != desc.Digest {
		return nil, errdefs.ErrDataLoss.WithMessage(fmt.Sprintf(
			"failed to verify %s: the content from the registry does not match its digest or size", desc.Digest))
	}
	return data, nil
}
