// Package pull is the pull engine shared by the backends: it resolves an image reference
// against its registry and fetches the image's content into a containerd content store,
// reporting progress in Docker's stream format.
//
// It is built on containerd's libraries: the docker resolver and fetcher (registry
// protocol, authentication, mirrors), hosts.toml configuration, platform matching and the
// content store's writers, which verify every blob against its digest on commit.
//
// # What is fetched
//
// For a tag or a digest, [Puller.Fetch] fetches the top-level index or manifest; from an
// index (nested indexes included) it selects the one manifest that best matches the
// requested platform with containerd's platforms.Only matcher, as Docker does, and fetches
// that manifest, its config and its layers. The other platforms' manifests are not fetched:
// a backend lists them as not available. Attestation manifests (platform unknown/unknown)
// never match a platform and are not fetched either, like Docker's containerd store with
// platforms.Only. A single-manifest image is fetched whatever its platform.
//
// For a reference with neither tag nor digest, every tag of the repository is fetched, in
// the order of the registry's tag list.
//
// # Labels
//
// After fetching, Fetch records on the content store (when it supports labels, as
// containerd's metadata store and local.NewLabeledStore do):
//
//   - on each image layer, [LabelUncompressed] ("containerd.io/uncompressed", containerd's
//     diff ID label) and [LabelUnpackedSize] ("imageapi.io/unpacked-size", the size of the
//     uncompressed tar in decimal bytes), computed by decompressing the layer once;
//   - on the index(es) and the manifest fetched, containerd's garbage collection labels
//     ("containerd.io/gc.ref.content.m.<i>", ".config", ".l.<i>") for the children fetched;
//   - on every blob fetched, containerd's distribution source label
//     ([LabelDistributionSource]<host without port> = the repository paths), which lets a
//     push to another repository of the registry mount the blobs instead of uploading them.
//
// Stores without label support (local.NewStore) still work; [Target.Layers] carries the
// same values for the backend to record itself. With a [LayerFetcher] the layers' labels
// are whatever the fetcher records.
//
// # Delegated layers
//
// [WithLayerFetcher] leaves the layers to the backend (containerd's transfer service
// fetches them inside the daemon): the Puller still resolves, selects the platform,
// fetches the index, manifest and config, and reports the progress around the layers.
//
// # Progress
//
// Progress follows Docker's stream (see [Puller.Fetch]). The final "Status: Downloaded
// newer image for ..." or "Status: Image is up to date for ..." line of each tag is not
// emitted here: the backend emits it with [imagesvc.PullStatus] once it has recorded the
// name, because only it knows whether the name changed ([Puller.FetchEach] lets it do so
// right after each tag's "Digest:" line).
package pull

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/containerd/v2/pkg/archive/compression"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// Labels Fetch sets on the layers it fetches (see the package documentation).
const (
	// LabelUncompressed holds a layer's diff ID, the digest of its uncompressed tar
	// (containerd's own label).
	LabelUncompressed = model.LabelUncompressed
	// LabelUnpackedSize holds the size in bytes of a layer's uncompressed tar, in decimal.
	LabelUnpackedSize = model.LabelUnpackedSize
)

// maxManifestSize bounds the indexes and manifests read into memory, as for loads.
const maxManifestSize = model.MaxManifestSize

// DefaultConcurrency is the number of layers fetched in parallel when
// [Options.Concurrency] is zero.
const DefaultConcurrency = 3

// progressInterval is the shortest time between two "Downloading" events of one layer.
const progressInterval = 100 * time.Millisecond

// Options configures a [Puller]. The zero value reaches every registry over HTTPS with
// containerd's defaults and fetches the host's platform.
type Options struct {
	// HostsDir is the root of a containerd hosts directory: HostsDir/<host>/hosts.toml,
	// where <host> is "registry.example.com", "host:port" or "host_port_", with
	// HostsDir/_default/hosts.toml for every other host. It configures mirrors, TLS,
	// plain HTTP and headers per registry. "" uses the defaults: HTTPS, and
	// registry-1.docker.io for docker.io.
	HostsDir string
	// Insecure lists registries ("host" or "host:port") reached over plain HTTP, like
	// dockerd's --insecure-registry. Loopback addresses are not insecure unless listed
	// here or configured in HostsDir. A hosts.toml for the host takes precedence.
	Insecure []string
	// Concurrency is the number of layers fetched in parallel per Fetch; 0 means
	// [DefaultConcurrency].
	Concurrency int
	// Platform is the platform fetched when a request names none; the zero value means
	// the host's (platforms.DefaultSpec).
	Platform ocispec.Platform
	// Logger receives debug and warning records; nil discards them. Credentials are
	// never logged.
	Logger *slog.Logger
}

// Puller fetches images from registries into content stores. It holds no connections
// between calls; its methods are safe for concurrent use.
type Puller struct {
	opts        Options
	insecure    map[string]bool
	platform    ocispec.Platform
	concurrency int
	log         *slog.Logger
	interval    time.Duration
}

// New returns a Puller. It fails with InvalidArgument for a negative concurrency or an
// Insecure entry that is not "host" or "host:port".
func New(opts Options) (*Puller, error) {
	p := &Puller{
		opts:        opts,
		insecure:    map[string]bool{},
		platform:    opts.Platform,
		concurrency: opts.Concurrency,
		log:         opts.Logger,
		interval:    progressInterval,
	}
	if p.concurrency < 0 {
		return nil, fmt.Errorf("pull: negative concurrency %d: %w", opts.Concurrency, errdefs.ErrInvalidArgument)
	}
	if p.concurrency == 0 {
		p.concurrency = DefaultConcurrency
	}
	for _, h := range opts.Insecure {
		if h == "" || strings.ContainsAny(h, "/ ") {
			return nil, fmt.Errorf("pull: insecure registry %q: want host or host:port: %w", h, errdefs.ErrInvalidArgument)
		}
		if _, _, err := net.SplitHostPort(h); err != nil && strings.Count(h, ":") == 1 {
			return nil, fmt.Errorf("pull: insecure registry %q: %v: %w", h, err, errdefs.ErrInvalidArgument)
		}
		p.insecure[h] = true
	}
	if p.platform.OS == "" && p.platform.Architecture == "" {
		p.platform = platforms.DefaultSpec()
	}
	p.platform = platforms.Normalize(p.platform)
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Target is one image Fetch brought into the store: a tag (or the digest) pulled.
type Target struct {
	// Name is the reference pulled, canonical ("docker.io/library/alpine:3.20"); for a
	// digest pull "repository@digest" (a tag given with the digest is dropped, as the
	// digest wins).
	Name reference.Named
	// Target is the top-level descriptor: the index, manifest list or manifest, with the
	// media type, digest and size the registry gave. Its digest is the image ID.
	Target ocispec.Descriptor
	// Manifest is the platform manifest fetched (Target itself for a single manifest).
	Manifest ocispec.Descriptor
	// Platform is the platform fetched: the index entry's, or for a single manifest the
	// platform in its config.
	Platform ocispec.Platform
	// Config is the descriptor of the manifest's config.
	Config ocispec.Descriptor
	// Layers are the manifest's layers, in order.
	Layers []Layer
}

// LayerFetcher fetches the layers of one image manifest on behalf of the [Puller], for a
// backend that can move the bytes better than this process can (containerd's transfer
// service fetches them inside the daemon). The Puller has already resolved the reference,
// fetched the index, manifest and config into the store, checked which layers are present
// and reported "Pulling fs layer", "Waiting" or "Already exists" for each. The fetcher
// reports the rest of each missing layer's progress with req.Report ("Downloading",
// "Download complete", "Extracting", "Pull complete"; the Puller adds any "Pull complete"
// left out). It is called even when no layer is missing, for the layers' diff IDs. It
// returns one [Layer] per entry of req.Layers, with its DiffID (verified here against the
// config) and, when known, its unpacked size. Its errors are returned as they are, so
// they should carry errdefs classes.
type LayerFetcher func(ctx context.Context, req LayerRequest) ([]Layer, error)

// LayerRequest is what a [LayerFetcher] fetches.
type LayerRequest struct {
	// Name is the reference being pulled.
	Name reference.Named
	// Manifest is the platform manifest, already in the store.
	Manifest ocispec.Descriptor
	// Layers are the manifest's layers, in order.
	Layers []ocispec.Descriptor
	// DiffIDs are the config's diff IDs, one per layer; nil when the config has none.
	DiffIDs []digest.Digest
	// Missing are the distinct layers that were not in the store when the pull started:
	// the ones whose progress the fetcher reports.
	Missing []ocispec.Descriptor
	// Auth is the pull's credentials, or nil.
	Auth *imagesvc.AuthConfig
	// Report reports progress; it is safe for concurrent use.
	Report func(imagesvc.ProgressEvent)
}

// FetchOption changes one call of [Puller.FetchEach].
type FetchOption func(*job)

// WithLayerFetcher has f fetch the layers of each image instead of the Puller.
func WithLayerFetcher(f LayerFetcher) FetchOption {
	return func(j *job) { j.layers = f }
}

// Layer is one layer of a fetched manifest.
type Layer struct {
	// Descriptor is the layer as the manifest lists it.
	Descriptor ocispec.Descriptor
	// DiffID is the digest of the uncompressed layer; "" for blobs that are not image
	// layers (artifacts).
	DiffID digest.Digest
	// Unpacked is the size of the uncompressed layer; 0 for blobs that are not image
	// layers.
	Unpacked int64
}

// Fetch resolves req.Ref and fetches its content into store (see the package
// documentation for what is fetched), returning one Target per tag pulled. Every blob is
// verified against its digest before it is committed; a blob that fails verification is
// not committed and its partial ingest is aborted. An interrupted download (ctx ended, a
// connection lost) leaves its ingest in the store, and the next Fetch of the blob resumes
// it. Content already committed stays: it is content-addressed and correct, and becomes
// an image only when the backend records a name for it.
//
// Progress is reported to progress (which may be nil), never concurrently, as Docker
// does for each tag:
//
//   - "Pulling from <repository path>" with ID the tag, or the full reference for a
//     digest pull;
//   - per distinct layer, in manifest order, "Already exists" (Detail {}) if the store
//     has it, else "Pulling fs layer" (Detail {}); then "Waiting" (Detail {}) for each
//     layer queued behind the first Options.Concurrency; then, as layers download,
//     "Downloading" with Detail{Current, Total} (at most every 100ms per layer),
//     "Download complete" and "Pull complete" (both Detail{HideCounts: true}). The ID
//     of layer events is the first 12 hex digits of the layer digest;
//   - "Digest: <top-level digest>".
//
// Errors, returned before any progress for the tag where the registry is involved in
// resolving it (the index, manifest and config are fetched before "Pulling from"):
//
//   - NotFound "pull access denied for <name>, repository does not exist or may require
//     'docker login'" for an unknown repository (registry NAME_UNKNOWN) or a refused
//     one (403 DENIED);
//   - NotFound "manifest for <ref> not found: manifest unknown" for an unknown tag or
//     digest;
//   - NotFound "no matching manifest for <os/arch[/variant]> in the manifest list
//     entries" when the index has no manifest for the platform;
//   - Unauthenticated "pull access denied for <name>, ...: <reason>" when the registry
//     asks for credentials or refuses those given (HTTP 401);
//   - Unavailable when the registry cannot be reached (connection refused, DNS, timeout,
//     TLS) or answers 5xx; ResourceExhausted for 429;
//   - InvalidArgument for schema 1 images (Docker's text) and content that is not an
//     image (unsupported media types, malformed manifests);
//   - DataLoss when a blob does not match its digest, or a layer's uncompressed digest
//     does not match the config's diff ID;
//   - the context's error when ctx ends.
//
// For an all-tags pull Fetch stops at the first tag that fails and returns the Targets
// completed before it together with the error.
func (p *Puller) Fetch(ctx context.Context, store content.Store, req imagesvc.PullRequest, progress imagesvc.ProgressFunc) ([]Target, error) {
	var out []Target
	err := p.FetchEach(ctx, store, req, progress, func(t Target) error {
		out = append(out, t)
		return nil
	})
	return out, err
}

// FetchEach is [Puller.Fetch] calling fn with each Target as soon as its content is
// complete (after its "Digest:" line), before the next tag starts. fn runs on the calling
// goroutine while no other progress is reported, so it may report progress itself (the
// backend's "Status:" line) with the same progress function. An error from fn stops the
// pull and is returned as is.
func (p *Puller) FetchEach(ctx context.Context, store content.Store, req imagesvc.PullRequest, progress imagesvc.ProgressFunc, fn func(Target) error, opts ...FetchOption) error {
	if req.Ref == nil {
		return errdefs.ErrInvalidArgument.WithMessage("no image reference to pull")
	}
	if store == nil {
		return fmt.Errorf("pull: no content store: %w", errdefs.ErrInvalidArgument)
	}
	platform := p.platform
	if req.Platform != nil {
		platform = platforms.Normalize(*req.Platform)
	}
	ctx = withLogger(ctx, p.log)
	s := p.newSession(ctx, req.Auth)
	defer s.close()
	j := &job{
		p:        p,
		store:    store,
		session:  s,
		resolver: docker.NewResolver(docker.ResolverOptions{Hosts: s.RegistryHosts}),
		platform: platform,
		progress: &syncProgress{fn: progress},
		auth:     req.Auth,
	}
	for _, o := range opts {
		o(j)
	}

	var refs []reference.Named
	_, tagged := req.Ref.(reference.Tagged)
	canonical, digested := req.Ref.(reference.Canonical)
	switch {
	case digested:
		named, err := reference.WithDigest(reference.TrimNamed(req.Ref), canonical.Digest())
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(err.Error())
		}
		refs = append(refs, named)
	case tagged:
		refs = append(refs, req.Ref)
	default:
		repo := reference.TrimNamed(req.Ref)
		tags, err := s.listTags(ctx, repo)
		if err != nil {
			err = classify(err, repo, "failed to list the tags of "+repo.Name(), true)
			if errdefs.IsNotFound(err) {
				err = errdefs.ErrNotFound.WithMessage(pullAccessDenied(repo))
			}
			return err
		}
		if len(tags) == 0 {
			return errdefs.ErrNotFound.WithMessage("no tags available for " + reference.FamiliarName(repo))
		}
		for _, tag := range tags {
			named, err := reference.WithTag(repo, tag)
			if err != nil {
				return fmt.Errorf("registry listed an invalid tag %q: %w", tag, errdefs.ErrInvalidArgument)
			}
			refs = append(refs, named)
		}
	}
	for _, named := range refs {
		t, err := j.fetchOne(ctx, named)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if fn != nil {
			if err := fn(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncProgress serializes progress reports from several goroutines.
type syncProgress struct {
	mu sync.Mutex
	fn imagesvc.ProgressFunc
}

func (s *syncProgress) report(ev imagesvc.ProgressEvent) {
	if s.fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fn(ev)
}

// job is one Fetch.
type job struct {
	p        *Puller
	store    content.Store
	session  *session
	resolver remotes.Resolver
	platform ocispec.Platform
	progress *syncProgress
	auth     *imagesvc.AuthConfig
	layers   LayerFetcher // nil: the layers are fetched here
}

// fetchOne fetches one tag or digest.
func (j *job) fetchOne(ctx context.Context, named reference.Named) (Target, error) {
	ref := named.String()
	what := fmt.Sprintf("failed to resolve reference %q", ref)
	_, top, err := j.resolver.Resolve(ctx, ref)
	if err != nil {
		return Target{}, j.resolveError(ctx, err, named)
	}
	if isSchema1(top.MediaType) {
		return Target{}, schema1Error(named)
	}
	fetcher, err := j.resolver.Fetcher(ctx, ref)
	if err != nil {
		return Target{}, classify(err, named, what, false)
	}
	log := j.p.log.With("ref", ref, "digest", top.Digest.String())
	log.Debug("resolved")

	t := Target{Name: named, Target: top}
	// parents records, for GC labels, the index each fetched descriptor was listed in.
	parents := map[digest.Digest]parentRef{}
	var attestations []ocispec.Descriptor
	switch {
	case images.IsIndexType(top.MediaType):
		t.Manifest, attestations, err = j.selectManifest(ctx, fetcher, named, top, parents)
		if err != nil {
			return Target{}, err
		}
	case images.IsManifestType(top.MediaType):
		t.Manifest = top
	default:
		return Target{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"%s: unsupported media type %q: not an image index or manifest", reference.FamiliarString(named), top.MediaType))
	}

	data, err := j.fetchMetadata(ctx, fetcher, named, t.Manifest, maxManifestSize)
	if err != nil {
		return Target{}, err
	}
	m, err := model.ParseManifest(data, t.Manifest)
	if err != nil {
		return Target{}, err
	}
	t.Config = m.Config
	if m.Config.Size > model.MaxConfigSize {
		return Target{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(
			"config %s of %d bytes exceeds the limit of %d bytes", m.Config.Digest, m.Config.Size, model.MaxConfigSize))
	}
	cdata, err := j.fetchMetadata(ctx, fetcher, named, m.Config, model.MaxConfigSize)
	if err != nil {
		return Target{}, err
	}
	var cfg *model.ConfigFile
	if images.IsConfigType(m.Config.MediaType) {
		var c model.ConfigFile
		if err := json.Unmarshal(cdata, &c); err != nil {
			return Target{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid image config %s: %v", m.Config.Digest, err))
		}
		cfg = &c
	}
	switch {
	case t.Manifest.Platform != nil:
		t.Platform = *t.Manifest.Platform
	case cfg != nil:
		t.Platform = model.ConfigPlatform(cfg)
	}

	id := ref
	if tagged, ok := named.(reference.Tagged); ok {
		id = tagged.Tag()
	}
	j.progress.report(imagesvc.PullingFrom(reference.Path(named), id))

	var diffIDs []digest.Digest
	if cfg != nil && len(cfg.RootFS.DiffIDs) == len(m.Layers) {
		diffIDs = cfg.RootFS.DiffIDs
	}
	if t.Layers, err = j.fetchLayers(ctx, fetcher, named, t.Manifest, m.Layers, diffIDs); err != nil {
		return Target{}, err
	}

	// GC labels: the manifest references its config and layers, each index the child
	// fetched through it, keyed by the child's position so that pulls of other platforms
	// of the same index add labels instead of replacing them.
	j.setChildrenLabels(ctx, log, t.Manifest, append([]ocispec.Descriptor{m.Config}, m.Layers...))
	j.labelParents(ctx, log, t.Manifest.Digest, parents)

	// The attestation manifests of the selected manifest come with it, as Docker 29 pulls
	// them (referrersForPull).
	for _, att := range attestations {
		if err := j.fetchAttestation(ctx, fetcher, named, att); err != nil {
			return Target{}, err
		}
		j.labelParents(ctx, log, att.Digest, parents)
		// The subject refers to its attestation as containerd's referrers handler
		// records it, so that a save of the platform alone exports it too (spec §6.4).
		key := model.ReferrerLabel(att.Digest)
		upd := content.Info{Digest: t.Manifest.Digest, Labels: map[string]string{key: att.Digest.String()}}
		if _, err := j.store.Update(ctx, upd, "labels."+key); err != nil {
			log.Debug("not recording the referrer label", "attestation", att.Digest.String(), "error", err)
		}
	}

	// Distribution source labels, as containerd's pull writes them: a later push to
	// another repository of this registry mounts these blobs instead of uploading them.
	sourced := []digest.Digest{top.Digest, t.Manifest.Digest, m.Config.Digest}
	for _, pr := range parents {
		sourced = append(sourced, pr.desc.Digest)
	}
	for _, l := range m.Layers {
		sourced = append(sourced, l.Digest)
	}
	if err := AddSource(ctx, j.store, named, sourced...); err != nil {
		log.Debug("not recording the distribution source", "error", err)
	}

	j.progress.report(imagesvc.DigestStatus(top.Digest.String()))
	return t, nil
}

// labelParents records the GC labels that make the indexes child was fetched through
// (parents) reference it, up to the top.
func (j *job) labelParents(ctx context.Context, log *slog.Logger, child digest.Digest, parents map[digest.Digest]parentRef) {
	for seen := map[digest.Digest]bool{}; ; {
		pr, ok := parents[child]
		if !ok || seen[pr.desc.Digest] {
			return
		}
		seen[pr.desc.Digest] = true
		key := images.ChildGCLabels(pr.child)[0]
		if strings.HasSuffix(key, ".") {
			key += strconv.Itoa(pr.pos)
		}
		upd := content.Info{Digest: pr.desc.Digest, Labels: map[string]string{key: child.String()}}
		if _, err := j.store.Update(ctx, upd, "labels."+key); err != nil {
			log.Debug("not recording GC labels", "parent", pr.desc.Digest.String(), "error", err)
		}
		child = pr.desc.Digest
	}
}

// fetchAttestation fetches the attestation manifest att with its config and layers (in-toto
// statements), without progress: Docker's stream does not show them.
func (j *job) fetchAttestation(ctx context.Context, fetcher remotes.Fetcher, named reference.Named, att ocispec.Descriptor) error {
	data, err := j.fetchMetadata(ctx, fetcher, named, att, maxManifestSize)
	if err != nil {
		return err
	}
	m, err := model.ParseManifest(data, att)
	if err != nil {
		return err
	}
	blobs := append([]ocispec.Descriptor{m.Config}, m.Layers...)
	for _, b := range blobs {
		if err := b.Digest.Validate(); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("attestation %s: invalid digest %q: %v", att.Digest, b.Digest, err))
		}
		if err := j.fetchBlob(ctx, fetcher, b, nil); err != nil {
			return classify(err, named, "failed to fetch "+b.Digest.String(), false)
		}
	}
	j.setChildrenLabels(ctx, j.p.log, att, blobs)
	return nil
}

// parentRef is where a fetched descriptor was listed: the index and the position in it.
type parentRef struct {
	desc  ocispec.Descriptor // the index
	child ocispec.Descriptor // the entry
	pos   int
}

// resolveError classifies a failure to resolve named. A plain "not found" from
// containerd's resolver (a HEAD request has no body) is told apart as an unknown
// repository or an unknown tag by asking the registry again with a GET.
func (j *job) resolveError(ctx context.Context, err error, named reference.Named) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var status remoteerrors.ErrUnexpectedStatus
	if errdefs.IsNotFound(err) && !errors.As(err, &status) {
		object, caps := "", docker.HostCapabilityResolve
		if c, ok := named.(reference.Canonical); ok {
			object, caps = c.Digest().String(), docker.HostCapabilityPull
		} else if t, ok := named.(reference.Tagged); ok {
			object = t.Tag()
		}
		resp, gerr := j.session.get(ctx, named, caps, "manifests/"+object)
		if gerr == nil {
			drain(resp)
		} else if ctx.Err() != nil {
			return ctx.Err()
		} else if cerr := classify(gerr, named, "", true); errdefs.IsNotFound(cerr) || errdefs.IsUnauthorized(cerr) {
			return cerr
		}
		return errdefs.ErrNotFound.WithMessage(manifestUnknown(named))
	}
	return classify(err, named, fmt.Sprintf("failed to resolve reference %q", named.String()), true)
}

// isSchema1 reports whether mt is a Docker schema 1 manifest media type.
func isSchema1(mt string) bool {
	return mt == images.MediaTypeDockerSchema1Manifest ||
		mt == "application/vnd.docker.distribution.manifest.v1+json"
}

// selectManifest walks the index top (and nested indexes matching the platform) and
// returns the manifest that best matches j.platform and the attestation manifests that
// refer to it (vnd.docker.reference.digest), recording in parents the index each fetched
// descriptor came from.
func (j *job) selectManifest(ctx context.Context, fetcher remotes.Fetcher, named reference.Named, top ocispec.Descriptor,
	parents map[digest.Digest]parentRef) (ocispec.Descriptor, []ocispec.Descriptor, error) {
	matcher := platforms.Only(j.platform)
	var candidates []ocispec.Descriptor
	type listed struct {
		desc ocispec.Descriptor
		ref  parentRef
	}
	var attestations []listed
	var walk func(idx ocispec.Descriptor, depth int) error
	walk = func(idx ocispec.Descriptor, depth int) error {
		if depth > model.MaxIndexDepth {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: indexes nested more than %d deep", reference.FamiliarString(named), model.MaxIndexDepth))
		}
		data, err := j.fetchMetadata(ctx, fetcher, named, idx, maxManifestSize)
		if err != nil {
			return err
		}
		index, err := model.ParseIndex(data, idx)
		if err != nil {
			return err
		}
		for pos, d := range index.Manifests {
			if d.Annotations[model.AnnotationReferenceType] == model.AttestationManifestType {
				if images.IsManifestType(d.MediaType) {
					attestations = append(attestations, listed{d, parentRef{desc: idx, child: d, pos: pos}})
				}
				continue
			}
			if d.Platform != nil && !matcher.Match(*d.Platform) {
				continue
			}
			switch {
			case images.IsManifestType(d.MediaType):
				if _, seen := parents[d.Digest]; !seen {
					parents[d.Digest] = parentRef{desc: idx, child: d, pos: pos}
				}
				candidates = append(candidates, d)
			case images.IsIndexType(d.MediaType):
				if _, seen := parents[d.Digest]; seen || d.Digest == top.Digest {
					continue
				}
				parents[d.Digest] = parentRef{desc: idx, child: d, pos: pos}
				if err := walk(d, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(top, 0); err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	// As containerd's images.LimitManifests: best platform first, entries without a
	// platform last, index order among equals.
	sort.SliceStable(candidates, func(a, b int) bool {
		if candidates[a].Platform == nil {
			return false
		}
		if candidates[b].Platform == nil {
			return true
		}
		return matcher.Less(*candidates[a].Platform, *candidates[b].Platform)
	})
	if len(candidates) == 0 {
		return ocispec.Descriptor{}, nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
			"no matching manifest for %s in the manifest list entries", platforms.FormatAll(j.platform)))
	}
	chosen := candidates[0]
	var atts []ocispec.Descriptor
	for _, a := range attestations {
		if a.desc.Annotations[model.AnnotationReferenceDigest] != chosen.Digest.String() {
			continue
		}
		if _, seen := parents[a.desc.Digest]; !seen {
			parents[a.desc.Digest] = a.ref
		}
		atts = append(atts, a.desc)
	}
	return chosen, atts, nil
}

// fetchMetadata fetches a small blob (index, manifest, config) into the store, without
// progress, and returns its content.
func (j *job) fetchMetadata(ctx context.Context, fetcher remotes.Fetcher, named reference.Named, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid digest %q: %v", desc.Digest, err))
	}
	if desc.Size > limit {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s of %d bytes exceeds the limit of %d bytes", desc.Digest, desc.Size, limit))
	}
	if err := j.fetchBlob(ctx, fetcher, desc, nil); err != nil {
		return nil, classify(err, named, "failed to fetch "+desc.Digest.String(), false)
	}
	data, err := content.ReadBlob(ctx, j.store, desc)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", desc.Digest, err)
	}
	return data, nil
}

// ShortID is the ID Docker's progress stream gives a layer: the first 12 hex digits of
// its digest.
func ShortID(d digest.Digest) string {
	enc := d.Encoded()
	if len(enc) > 12 {
		enc = enc[:12]
	}
	return enc
}

// fetchLayers fetches the layers with progress, at most j.p.concurrency at a time, and
// returns their diff IDs and unpacked sizes. diffIDs, when not nil, are the config's diff
// IDs to verify, one per layer.
func (j *job) fetchLayers(ctx context.Context, fetcher remotes.Fetcher, named reference.Named, manifest ocispec.Descriptor, layers []ocispec.Descriptor, diffIDs []digest.Digest) ([]Layer, error) {
	byDigest := map[digest.Digest]*layerItem{}
	var order []*layerItem
	for i, l := range layers {
		if _, dup := byDigest[l.Digest]; dup {
			continue
		}
		it := &layerItem{desc: l}
		if diffIDs != nil {
			it.diffID = diffIDs[i]
		}
		_, err := j.store.Info(ctx, l.Digest)
		switch {
		case err == nil:
			it.exists = true
		case !errdefs.IsNotFound(err):
			return nil, fmt.Errorf("checking layer %s: %w", l.Digest, err)
		}
		byDigest[l.Digest] = it
		order = append(order, it)
	}
	var queued []*layerItem
	for _, it := range order {
		if it.exists {
			j.progress.report(imagesvc.ProgressEvent{ID: ShortID(it.desc.Digest), Status: imagesvc.StatusAlreadyExists, Detail: &imagesvc.ProgressDetail{}})
		} else {
			j.progress.report(imagesvc.ProgressEvent{ID: ShortID(it.desc.Digest), Status: imagesvc.StatusPullingFSLayer, Detail: &imagesvc.ProgressDetail{}})
			queued = append(queued, it)
		}
	}
	for i, it := range queued {
		if i >= j.p.concurrency {
			j.progress.report(imagesvc.ProgressEvent{ID: ShortID(it.desc.Digest), Status: imagesvc.StatusWaiting, Detail: &imagesvc.ProgressDetail{}})
		}
	}

	if j.layers != nil {
		return j.delegateLayers(ctx, named, manifest, layers, diffIDs, queued)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(j.p.concurrency)
	for _, it := range queued {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			res, err := j.fetchLayer(gctx, fetcher, named, it.desc, it.diffID)
			it.result = res
			return err
		})
	}
	for _, it := range order {
		if !it.exists {
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			res, err := j.layerInfo(gctx, it.desc, it.diffID)
			it.result = res
			return err
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	out := make([]Layer, len(layers))
	for i, l := range layers {
		out[i] = byDigest[l.Digest].result
		out[i].Descriptor = l
	}
	return out, nil
}

// layerItem is one distinct layer of a manifest being fetched.
type layerItem struct {
	desc   ocispec.Descriptor
	diffID digest.Digest // expected, or ""
	exists bool
	result Layer
}

// delegateLayers has the job's LayerFetcher fetch the layers of manifest, then checks the
// diff IDs it returns against the config's. Progress before the call ("Pulling fs layer",
// "Waiting", "Already exists") is reported already; every layer of queued gets its
// "Pull complete" here if the fetcher did not report it.
func (j *job) delegateLayers(ctx context.Context, named reference.Named, manifest ocispec.Descriptor, layers []ocispec.Descriptor, diffIDs []digest.Digest, queued []*layerItem) ([]Layer, error) {
	missing := make([]ocispec.Descriptor, len(queued))
	complete := make(map[string]bool, len(queued))
	for i, it := range queued {
		missing[i] = it.desc
		complete[ShortID(it.desc.Digest)] = false
	}
	var mu sync.Mutex
	report := func(ev imagesvc.ProgressEvent) {
		mu.Lock()
		if done, ok := complete[ev.ID]; ok {
			if done {
				mu.Unlock()
				return // nothing after "Pull complete"
			}
			complete[ev.ID] = ev.Status == imagesvc.StatusPullComplete
		}
		mu.Unlock()
		j.progress.report(ev)
	}
	out, err := j.layers(ctx, LayerRequest{
		Name:     named,
		Manifest: manifest,
		Layers:   layers,
		DiffIDs:  diffIDs,
		Missing:  missing,
		Auth:     j.auth,
		Report:   report,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if len(out) != len(layers) {
		return nil, fmt.Errorf("layer fetcher returned %d layers for %d: %w", len(out), len(layers), errdefs.ErrInternal)
	}
	for i, l := range layers {
		if !images.IsLayerType(l.MediaType) {
			out[i] = Layer{}
		} else if diffIDs != nil && out[i].DiffID != diffIDs[i] {
			return nil, errdefs.ErrDataLoss.WithMessage(fmt.Sprintf(
				"layer %s: its uncompressed digest %s does not match the diff ID %s in the image config", l.Digest, out[i].DiffID, diffIDs[i]))
		}
		out[i].Descriptor = l
	}
	for _, it := range queued {
		report(imagesvc.ProgressEvent{ID: ShortID(it.desc.Digest), Status: imagesvc.StatusPullComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}})
	}
	return out, nil
}

// fetchLayer downloads one layer with progress and computes its unpacked size.
func (j *job) fetchLayer(ctx context.Context, fetcher remotes.Fetcher, named reference.Named, desc ocispec.Descriptor, diffID digest.Digest) (Layer, error) {
	id := ShortID(desc.Digest)
	var last time.Time
	onRead := func(pos int64) {
		if now := time.Now(); now.Sub(last) >= j.p.interval {
			last = now
			j.progress.report(imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusDownloading,
				Detail: &imagesvc.ProgressDetail{Current: pos, Total: desc.Size}})
		}
	}
	if err := j.fetchBlob(ctx, fetcher, desc, onRead); err != nil {
		return Layer{}, classify(err, named, "failed to fetch layer "+desc.Digest.String(), false)
	}
	j.progress.report(imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusDownloadComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}})
	l, err := j.layerInfo(ctx, desc, diffID)
	if err != nil {
		return Layer{}, err
	}
	j.progress.report(imagesvc.ProgressEvent{ID: id, Status: imagesvc.StatusPullComplete, Detail: &imagesvc.ProgressDetail{HideCounts: true}})
	return l, nil
}

// fetchBlob fetches desc into the store unless it is there already, with containerd's
// remotes.Fetch: it resumes a partial ingest (a range request from where it stopped) and
// verifies the digest on commit. onRead, if not nil, is called with the position in the
// blob after each read. A blob that does not match its digest or size is not committed,
// its ingest is aborted, and the error has class DataLoss.
func (j *job) fetchBlob(ctx context.Context, fetcher remotes.Fetcher, desc ocispec.Descriptor, onRead func(int64)) error {
	if onRead != nil {
		fetcher = progressFetcher{Fetcher: fetcher, onRead: onRead}
	}
	err := remotes.Fetch(ctx, j.store, fetcher, desc)
	if err == nil || errdefs.IsAlreadyExists(err) {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errdefs.IsFailedPrecondition(err) {
		// The content is wrong: drop it rather than resume from it.
		ref := remotes.MakeRefKey(ctx, desc)
		if aerr := j.store.Abort(context.WithoutCancel(ctx), ref); aerr != nil && !errdefs.IsNotFound(aerr) {
			j.p.log.Warn("aborting a failed ingest", "ref", ref, "error", aerr)
		}
		return errdefs.ErrDataLoss.WithMessage(fmt.Sprintf(
			"failed to verify %s: the content from the registry does not match its digest or size: %v", desc.Digest, err))
	}
	return err
}

// progressFetcher reports the position in each blob it fetches; a seekable body stays
// seekable, so that content.Copy can resume a partial ingest with a range request.
type progressFetcher struct {
	remotes.Fetcher
	onRead func(int64)
}

// Fetch implements remotes.Fetcher.
func (f progressFetcher) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := f.Fetcher.Fetch(ctx, desc)
	if err != nil {
		return nil, err
	}
	pr := &progressReader{r: rc, onRead: f.onRead}
	if s, ok := rc.(io.Seeker); ok {
		return &progressReadSeeker{progressReader: pr, s: s, c: rc}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{pr, rc}, nil
}

// progressReader reports the position after each read.
type progressReader struct {
	r      io.Reader
	pos    int64
	onRead func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.pos += int64(n)
		p.onRead(p.pos)
	}
	return n, err
}

// progressReadSeeker is a progressReader over a seekable body, so that content.Copy can
// resume a partial ingest with a range request.
type progressReadSeeker struct {
	*progressReader
	s io.Seeker
	c io.Closer
}

// Close closes the body.
func (p *progressReadSeeker) Close() error { return p.c.Close() }

func (p *progressReadSeeker) Seek(offset int64, whence int) (int64, error) {
	n, err := p.s.Seek(offset, whence)
	if err == nil {
		p.pos = n
	}
	return n, err
}

// layerInfo returns the diff ID and unpacked size of a committed layer, from its labels
// or by decompressing it once (then recording the labels when the store supports them).
// Blobs that are not image layers get a zero Layer.
func (j *job) layerInfo(ctx context.Context, desc ocispec.Descriptor, expected digest.Digest) (Layer, error) {
	if !images.IsLayerType(desc.MediaType) {
		return Layer{}, nil
	}
	info, err := j.store.Info(ctx, desc.Digest)
	if err != nil {
		return Layer{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	l, ok := layerFromLabels(info.Labels)
	if !ok {
		if l, err = computeLayer(ctx, j.store, desc); err != nil {
			return Layer{}, err
		}
		upd := content.Info{Digest: desc.Digest, Labels: map[string]string{
			LabelUncompressed: l.DiffID.String(),
			LabelUnpackedSize: strconv.FormatInt(l.Unpacked, 10),
		}}
		if _, err := j.store.Update(ctx, upd, "labels."+LabelUncompressed, "labels."+LabelUnpackedSize); err != nil {
			j.p.log.Debug("not recording layer labels", "digest", desc.Digest.String(), "error", err)
		}
	}
	if expected != "" && expected != l.DiffID {
		return Layer{}, errdefs.ErrDataLoss.WithMessage(fmt.Sprintf(
			"layer %s: its uncompressed digest %s does not match the diff ID %s in the image config", desc.Digest, l.DiffID, expected))
	}
	return l, nil
}

// layerFromLabels reads the labels Fetch records on layers.
func layerFromLabels(lbls map[string]string) (Layer, bool) {
	d, err := digest.Parse(lbls[LabelUncompressed])
	if err != nil {
		return Layer{}, false
	}
	n, err := strconv.ParseInt(lbls[LabelUnpackedSize], 10, 64)
	if err != nil || n < 0 {
		return Layer{}, false
	}
	return Layer{DiffID: d, Unpacked: n}, true
}

// computeLayer decompresses a layer to find its diff ID and unpacked size.
func computeLayer(ctx context.Context, p content.Provider, desc ocispec.Descriptor) (Layer, error) {
	return ComputeLayer(ctx, p, desc)
}

// ComputeLayer decompresses the layer desc of p (gzip, zstd or uncompressed) to find its
// diff ID and unpacked size, for layers stored without the labels a pull records. Errors:
// InvalidArgument when it does not decompress; the context's error when ctx ends.
func ComputeLayer(ctx context.Context, p content.Provider, desc ocispec.Descriptor) (Layer, error) {
	ra, err := p.ReaderAt(ctx, desc)
	if err != nil {
		return Layer{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	defer ra.Close()
	ds, err := compression.DecompressStream(ctxReader{ctx, content.NewReader(ra)})
	if err != nil {
		return Layer{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("layer %s cannot be decompressed: %v", desc.Digest, err))
	}
	defer ds.Close()
	dg := digest.Canonical.Digester()
	n, err := io.Copy(dg.Hash(), ctxReader{ctx, ds})
	if err != nil {
		if ctx.Err() != nil {
			return Layer{}, ctx.Err()
		}
		return Layer{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("layer %s cannot be decompressed: %v", desc.Digest, err))
	}
	return Layer{DiffID: dg.Digest(), Unpacked: n}, nil
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// setChildrenLabels records containerd's GC labels on parent for children, when the
// store supports labels.
func (j *job) setChildrenLabels(ctx context.Context, log *slog.Logger, parent ocispec.Descriptor, children []ocispec.Descriptor) {
	h := images.SetChildrenLabels(j.store, func(context.Context, ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		return children, nil
	})
	if _, err := h(ctx, parent); err != nil {
		log.Debug("not recording GC labels", "parent", parent.Digest.String(), "error", err)
	}
}
