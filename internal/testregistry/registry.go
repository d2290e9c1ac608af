// Package testregistry is an in-process OCI distribution registry for tests.
//
// It implements the part of the OCI distribution specification that clients use — the
// base endpoint, manifests and blobs (GET, HEAD, PUT, DELETE, with Range support), monolithic
// and chunked blob uploads, cross-repository mounts, tag listing and the catalog, all with
// digest verification and distribution-style JSON errors — well enough for containerd's
// docker resolver, fetcher and pusher and for skopeo. It depends only on the standard
// library, go-digest and image-spec (plus package testimages for [Registry.Put]).
//
// Content lives in memory behind a mutex. A [Registry] listens on 127.0.0.1 only; [New]
// starts one for a test and stops it when the test ends:
//
//	reg := testregistry.New(t, testregistry.Options{})
//	img, _ := testimages.DockerSchema2(testimages.Config{})
//	_ = reg.Put("library/alpine", "latest", img)
//	// pull reg.Host() + "/library/alpine:latest" over plain HTTP
//
// Repository names follow the distribution grammar: lowercase path components separated by
// "/", each made of alphanumerics joined by ".", "_", "__" or runs of "-".
package testregistry

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/internal/testimages"
)

// Default limits on request bodies.
const (
	// DefaultMaxBlobSize is the largest blob accepted by an upload when
	// Options.MaxBlobSize is zero.
	DefaultMaxBlobSize = 1 << 30
	// MaxManifestSize is the largest manifest accepted by a manifest PUT.
	MaxManifestSize = 4 << 20
)

// Media types the registry treats as manifests when storing an image with [Registry.Put].
const (
	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// Options configures a [Registry]. The zero value is an open, writable registry.
type Options struct {
	// Users enables HTTP Basic authentication: username to password. Nil disables
	// authentication. Requests carrying wrong credentials are rejected with 401 even where
	// authentication is not required.
	Users map[string]string
	// Private, when Users is set, limits authentication to repositories whose name starts
	// with this prefix, and leaves the base endpoint and the catalog open. "" means every
	// repository (and the base endpoint) requires authentication.
	Private string
	// Token, when Users is set, replaces basic authentication with the token flow of
	// Docker's registries: the registry challenges with Bearer realm="http://<host>/token",
	// and the token endpoint there issues bearer tokens for basic credentials (GET, with an
	// identity token as "refresh_token" when offline_token=true is asked) or for an OAuth
	// form (POST, grant_type password or refresh_token, access_type=offline for a refresh
	// token). Unknown credentials get 401 from the token endpoint; the registry then
	// accepts only the bearer tokens it issued.
	Token bool
	// ReadOnly rejects pushes and deletes with 403 DENIED.
	ReadOnly bool
	// MaxBlobSize bounds the size of one uploaded blob; 0 means DefaultMaxBlobSize.
	MaxBlobSize int64
	// Logger receives one debug record per request; nil discards.
	Logger *slog.Logger
}

// Hook intercepts requests before the registry handles them; see [Registry.SetHook]. It
// calls next to let the registry serve the request, possibly after waiting, possibly with a
// wrapped ResponseWriter, or writes its own response (an error, say) and does not call next.
// A hook that blocks must return once req.Context() is done, or [Registry.Close] will wait
// for it.
type Hook func(w http.ResponseWriter, req *http.Request, next http.Handler)

// Registry is an in-memory OCI distribution registry. Its methods are safe for concurrent
// use.
type Registry struct {
	opts    Options
	log     *slog.Logger
	maxBlob int64
	hook    atomic.Pointer[Hook]
	nreq    atomic.Int64

	// Set by Start.
	srv       *http.Server
	ln        net.Listener
	host      string
	served    chan struct{}
	active    atomic.Int64 // handlers running on srv
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	blobs   map[digest.Digest][]byte
	repos   map[string]*repository
	uploads map[string]*upload
	corrupt map[digest.Digest]bool
	tokens  map[string]string // bearer or refresh token -> user ("" for anonymous bearer tokens)
}

type repository struct {
	manifests map[digest.Digest]manifest
	tags      map[string]digest.Digest
	blobs     map[digest.Digest]struct{}
}

type manifest struct {
	mediaType string
	data      []byte
}

type upload struct {
	repo string
	data []byte
}

// Start starts a registry listening on 127.0.0.1 on a free port, serving in a goroutine
// until [Registry.Close].
func Start(opts Options) (*Registry, error) {
	r := newRegistry(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testregistry: listen: %w", err)
	}
	r.ln = ln
	r.host = ln.Addr().String()
	r.srv = &http.Server{
		Handler:           http.HandlerFunc(r.serveTracked),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelDebug),
	}
	r.served = make(chan struct{})
	go func() {
		defer close(r.served)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// New starts a registry like [Start] and closes it when the test ends. It fails the test if
// the registry cannot start or does not stop cleanly.
func New(t testing.TB, opts Options) *Registry {
	t.Helper()
	r, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("testregistry: close: %v", err)
		}
	})
	return r
}

func newRegistry(opts Options) *Registry {
	r := &Registry{
		opts:    opts,
		log:     opts.Logger,
		maxBlob: opts.MaxBlobSize,
		blobs:   map[digest.Digest][]byte{},
		repos:   map[string]*repository{},
		uploads: map[string]*upload{},
		corrupt: map[digest.Digest]bool{},
		tokens:  map[string]string{},
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.maxBlob <= 0 {
		r.maxBlob = DefaultMaxBlobSize
	}
	return r
}

// Close stops the server: it stops accepting connections, gives running handlers two
// seconds to finish, then closes every connection (which cancels the requests' contexts) and
// waits for the handlers to return. Close is idempotent.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		_ = r.ln.Close()
		r.waitIdle(2 * time.Second)
		_ = r.srv.Close()
		<-r.served
		if !r.waitIdle(10 * time.Second) {
			r.closeErr = errors.New("testregistry: handlers still running 10s after close")
		}
	})
	return r.closeErr
}

// waitIdle waits up to timeout for running handlers to return, reporting whether they did.
func (r *Registry) waitIdle(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for r.active.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Host returns the address the registry listens on, "127.0.0.1:PORT".
func (r *Registry) Host() string { return r.host }

// Handler returns the registry's HTTP handler, to serve it elsewhere (over TLS, say). It
// shares the registry's content, hook and request count.
func (r *Registry) Handler() http.Handler { return http.HandlerFunc(r.serve) }

// Requests returns the number of requests received so far, including rejected ones.
func (r *Registry) Requests() int64 { return r.nreq.Load() }

// SetHook installs h to run in front of every request; nil removes it.
//
// For example, to hold every layer download until release is closed:
//
//	reg.SetHook(func(w http.ResponseWriter, req *http.Request, next http.Handler) {
//		if _, ok := testregistry.BlobRequest(req); ok && req.Method == http.MethodGet {
//			select {
//			case <-release:
//			case <-req.Context().Done():
//				return
//			}
//		}
//		next.ServeHTTP(w, req)
//	})
func (r *Registry) SetHook(h Hook) {
	if h == nil {
		r.hook.Store(nil)
		return
	}
	r.hook.Store(&h)
}

// CorruptBlob makes the registry serve wrong bytes of the same length for the blob (or
// manifest) with digest d from now on, while still advertising d as its digest.
func (r *Registry) CorruptBlob(d digest.Digest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.corrupt[d] = true
}

// Put stores img in repository repo directly, without HTTP: every blob is linked into the
// repository, every manifest and index among them is stored by digest, and the top-level
// descriptor is tagged tag unless tag is "". Missing blobs are not an error (use
// img.Without to model a registry lacking some content), but the top-level manifest must be
// present.
func (r *Registry) Put(repo, tag string, img *testimages.Image) error {
	if !validName(repo) {
		return fmt.Errorf("testregistry: invalid repository name %q", repo)
	}
	if tag != "" && !tagRE.MatchString(tag) {
		return fmt.Errorf("testregistry: invalid tag %q", tag)
	}
	if _, ok := img.Blobs[img.Descriptor.Digest]; !ok {
		return fmt.Errorf("testregistry: image lacks its top-level blob %s", img.Descriptor.Digest)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rp := r.repo(repo, true)
	for d, b := range img.Blobs {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("testregistry: blob %q: %w", d, err)
		}
		r.blobs[d] = b.Data
		rp.blobs[d] = struct{}{}
		if isManifestType(b.Descriptor.MediaType) {
			rp.manifests[d] = manifest{mediaType: b.Descriptor.MediaType, data: b.Data}
		}
	}
	if tag != "" {
		rp.tags[tag] = img.Descriptor.Digest
	}
	return nil
}

// WriteHostsDir writes a containerd hosts directory under dir that points the registry's
// host at it over plain HTTP: dir/<host>/hosts.toml. Use it with
// config.ConfigureHosts(ctx, config.HostOptions{HostDir: config.HostDirFromRoot(dir)}).
func (r *Registry) WriteHostsDir(dir string) error {
	hostDir := filepath.Join(dir, r.host)
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		return err
	}
	// One endpoint: the server entry with its capabilities at the top level. A [host]
	// section for the same URL would make containerd try every failing request twice.
	toml := fmt.Sprintf("server = %q\ncapabilities = [\"pull\", \"resolve\", \"push\"]\n", "http://"+r.host)
	return os.WriteFile(filepath.Join(hostDir, "hosts.toml"), []byte(toml), 0o644)
}

// BlobRequest reports whether req addresses a blob (GET, HEAD or DELETE
// /v2/<name>/blobs/<digest>) and returns the digest. It is meant for hooks.
func BlobRequest(req *http.Request) (digest.Digest, bool) {
	rt, ok := parseRoute(req.URL.Path)
	if !ok || rt.kind != routeBlob {
		return "", false
	}
	d, err := digest.Parse(rt.ref)
	if err != nil {
		return "", false
	}
	return d, true
}

// repo returns the repository name, creating it if create is set; nil if absent. r.mu must
// be held.
func (r *Registry) repo(name string, create bool) *repository {
	rp := r.repos[name]
	if rp == nil && create {
		rp = &repository{
			manifests: map[digest.Digest]manifest{},
			tags:      map[string]digest.Digest{},
			blobs:     map[digest.Digest]struct{}{},
		}
		r.repos[name] = rp
	}
	return rp
}

func isManifestType(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		mediaTypeDockerManifest, mediaTypeDockerManifestList:
		return true
	}
	return false
}

// Name grammar from the OCI distribution specification.
var (
	nameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$`)
	tagRE  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

func validName(name string) bool {
	return len(name) <= 255 && nameRE.MatchString(name)
}

type routeKind int

const (
	routeBase routeKind = iota + 1
	routeCatalog
	routeManifest
	routeBlob
	routeUpload
	routeTags
)

type route struct {
	kind routeKind
	name string
	ref  string // tag or digest, blob digest, or upload ID ("" for a new upload)
}

// parseRoute splits a request path; ok is false for paths outside the API. The name is not
// validated.
func parseRoute(p string) (route, bool) {
	if p == "/v2" || p == "/v2/" {
		return route{kind: routeBase}, true
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return route{}, false
	}
	if rest == "_catalog" {
		return route{kind: routeCatalog}, true
	}
	segs := strings.Split(rest, "/")
	n := len(segs)
	join := func(k int) string { return strings.Join(segs[:n-k], "/") }
	switch {
	case n >= 3 && segs[n-3] == "blobs" && segs[n-2] == "uploads":
		return route{kind: routeUpload, name: join(3), ref: segs[n-1]}, true
	case n >= 3 && segs[n-2] == "blobs" && segs[n-1] == "uploads":
		return route{kind: routeUpload, name: join(2)}, true
	case n >= 3 && segs[n-2] == "tags" && segs[n-1] == "list":
		return route{kind: routeTags, name: join(2)}, true
	case n >= 3 && segs[n-2] == "manifests":
		return route{kind: routeManifest, name: join(2), ref: segs[n-1]}, true
	case n >= 3 && segs[n-2] == "blobs":
		return route{kind: routeBlob, name: join(2), ref: segs[n-1]}, true
	}
	return route{}, false
}

// statusWriter records the status code for logging.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (r *Registry) serveTracked(w http.ResponseWriter, req *http.Request) {
	r.active.Add(1)
	defer r.active.Add(-1)
	r.serve(w, req)
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	r.nreq.Add(1)
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if h := r.hook.Load(); h != nil {
		(*h)(sw, req, http.HandlerFunc(r.route))
	} else {
		r.route(sw, req)
	}
	r.log.Debug("testregistry request", "method", req.Method, "path", req.URL.Path, "status", sw.status)
}

// Error codes from the distribution specification.
const (
	codeBlobUnknown       = "BLOB_UNKNOWN"
	codeBlobUploadInvalid = "BLOB_UPLOAD_INVALID"
	codeBlobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
	codeDigestInvalid     = "DIGEST_INVALID"
	codeManifestInvalid   = "MANIFEST_INVALID"
	codeManifestUnknown   = "MANIFEST_UNKNOWN"
	codeNameInvalid       = "NAME_INVALID"
	codeNameUnknown       = "NAME_UNKNOWN"
	codeSizeInvalid       = "SIZE_INVALID"
	codeTagInvalid        = "TAG_INVALID"
	codeUnauthorized      = "UNAUTHORIZED"
	codeDenied            = "DENIED"
	codeUnsupported       = "UNSUPPORTED"
	codePaginationInvalid = "PAGINATION_NUMBER_INVALID"
)

func writeError(w http.ResponseWriter, status int, code, msg string) {
	type errorBody struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		Errors []errorBody `json:"errors"`
	}{[]errorBody{{Code: code, Message: msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// credentials reports whether the request carries credentials and whether they are valid.
func (r *Registry) credentials(req *http.Request) (present, valid bool) {
	if r.opts.Token {
		tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return false, false
		}
		r.mu.Lock()
		user, known := r.tokens["b:"+tok]
		r.mu.Unlock()
		if known && user == "" {
			return false, false // an anonymous token
		}
		return true, known
	}
	user, pass, ok := req.BasicAuth()
	if !ok {
		return false, false
	}
	want, known := r.opts.Users[user]
	return true, known && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

// token serves the token endpoint of Options.Token.
func (r *Registry) token(w http.ResponseWriter, req *http.Request) {
	var user, pass, refresh string
	offline := false
	switch req.Method {
	case http.MethodGet:
		user, pass, _ = req.BasicAuth()
		offline = req.URL.Query().Get("offline_token") == "true"
	case http.MethodPost:
		if err := req.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, codeUnsupported, "invalid form")
			return
		}
		switch req.PostForm.Get("grant_type") {
		case "password":
			user, pass = req.PostForm.Get("username"), req.PostForm.Get("password")
		case "refresh_token":
			refresh = req.PostForm.Get("refresh_token")
		default:
			writeError(w, http.StatusBadRequest, codeUnsupported, "unsupported grant_type")
			return
		}
		offline = req.PostForm.Get("access_type") == "offline"
	default:
		writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "method not allowed")
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case refresh != "":
		u, ok := r.tokens["r:"+refresh]
		if !ok {
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "invalid refresh token")
			return
		}
		user = u
	case user != "" || pass != "":
		want, known := r.opts.Users[user]
		if !known || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "incorrect username or password")
			return
		}
	}
	body := map[string]any{"token": rand.Text(), "expires_in": 300}
	r.tokens["b:"+body["token"].(string)] = user
	if offline && user != "" {
		rt := rand.Text()
		r.tokens["r:"+rt] = user
		body["refresh_token"] = rt
	}
	if req.Method == http.MethodPost {
		body["access_token"] = body["token"]
	}
	writeJSON(w, body)
}

// needsAuth reports whether repository name (or the base endpoint, for "") is protected.
func (r *Registry) needsAuth(name string, base bool) bool {
	if r.opts.Users == nil {
		return false
	}
	if base {
		return r.opts.Private == ""
	}
	return strings.HasPrefix(name, r.opts.Private)
}

func (r *Registry) route(w http.ResponseWriter, req *http.Request) {
	if r.opts.Token && r.opts.Users != nil && req.URL.Path == "/token" {
		r.token(w, req)
		return
	}
	rt, ok := parseRoute(req.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, codeUnsupported, "unknown endpoint")
		return
	}
	base := rt.kind == routeBase || rt.kind == routeCatalog
	if !base && !validName(rt.name) {
		writeError(w, http.StatusBadRequest, codeNameInvalid, "invalid repository name")
		return
	}
	if r.opts.Users != nil {
		present, valid := r.credentials(req)
		if (present && !valid) || (!present && r.needsAuth(rt.name, base)) {
			if r.opts.Token {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="testregistry"`, req.Host))
			} else {
				w.Header().Set("WWW-Authenticate", `Basic realm="testregistry"`)
			}
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "authentication required")
			return
		}
	}
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if r.opts.ReadOnly {
			writeError(w, http.StatusForbidden, codeDenied, "registry is read-only")
			return
		}
	}
	switch rt.kind {
	case routeBase:
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			break
		}
		writeJSON(w, struct{}{})
		return
	case routeCatalog:
		if req.Method != http.MethodGet {
			break
		}
		r.catalog(w, req)
		return
	case routeTags:
		if req.Method != http.MethodGet {
			break
		}
		r.tags(w, req, rt.name)
		return
	case routeManifest:
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			r.getManifest(w, req, rt)
			return
		case http.MethodPut:
			r.putManifest(w, req, rt)
			return
		case http.MethodDelete:
			r.deleteManifest(w, rt)
			return
		}
	case routeBlob:
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			r.getBlob(w, req, rt)
			return
		case http.MethodDelete:
			r.deleteBlob(w, rt)
			return
		}
	case routeUpload:
		switch {
		case req.Method == http.MethodPost && rt.ref == "":
			r.startUpload(w, req, rt.name)
			return
		case rt.ref == "":
		case req.Method == http.MethodPatch:
			r.patchUpload(w, req, rt)
			return
		case req.Method == http.MethodPut:
			r.finishUpload(w, req, rt)
			return
		case req.Method == http.MethodGet:
			r.uploadStatus(w, rt)
			return
		case req.Method == http.MethodDelete:
			r.cancelUpload(w, rt)
			return
		}
	}
	writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "method not allowed")
}

// paginate applies the n and last query parameters to the sorted list all, setting a Link
// header when more remain. ok is false after an error response.
func paginate(w http.ResponseWriter, req *http.Request, all []string) (page []string, ok bool) {
	q := req.URL.Query()
	if last := q.Get("last"); last != "" {
		i, _ := slices.BinarySearch(all, last)
		for i < len(all) && all[i] <= last {
			i++
		}
		all = all[i:]
	}
	page = all
	if ns := q.Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, codePaginationInvalid, "invalid n")
			return nil, false
		}
		if n < len(all) {
			page = all[:n]
			if n > 0 {
				next := url.Values{"n": {ns}, "last": {page[n-1]}}
				w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", req.URL.Path, next.Encode()))
			}
		}
	}
	if page == nil {
		page = []string{}
	}
	return page, true
}

func (r *Registry) catalog(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	names := make([]string, 0, len(r.repos))
	for name := range r.repos {
		names = append(names, name)
	}
	r.mu.Unlock()
	slices.Sort(names)
	page, ok := paginate(w, req, names)
	if !ok {
		return
	}
	writeJSON(w, struct {
		Repositories []string `json:"repositories"`
	}{page})
}

func (r *Registry) tags(w http.ResponseWriter, req *http.Request, name string) {
	r.mu.Lock()
	rp := r.repo(name, false)
	var tags []string
	if rp != nil {
		for t := range rp.tags {
			tags = append(tags, t)
		}
	}
	r.mu.Unlock()
	if rp == nil {
		writeError(w, http.StatusNotFound, codeNameUnknown, "repository name not known to registry")
		return
	}
	slices.Sort(tags)
	page, ok := paginate(w, req, tags)
	if !ok {
		return
	}
	writeJSON(w, struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{name, page})
}

// corrupted returns data with every byte inverted.
func corrupted(data []byte) []byte {
	out := make([]byte, len(data))
	for i, b := range data {
		out[i] = ^b
	}
	return out
}

func serveContent(w http.ResponseWriter, req *http.Request, mediaType string, d digest.Digest, data []byte) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Docker-Content-Digest", d.String())
	h.Set("ETag", `"`+d.String()+`"`)
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(data))
}

func (r *Registry) getManifest(w http.ResponseWriter, req *http.Request, rt route) {
	r.mu.Lock()
	rp := r.repo(rt.name, false)
	if rp == nil {
		r.mu.Unlock()
		writeError(w, http.StatusNotFound, codeNameUnknown, "repository name not known to registry")
		return
	}
	var d digest.Digest
	if strings.Contains(rt.ref, ":") {
		var err error
		if d, err = digest.Parse(rt.ref); err != nil {
			r.mu.Unlock()
			writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
			return
		}
	} else if !tagRE.MatchString(rt.ref) {
		r.mu.Unlock()
		writeError(w, http.StatusBadRequest, codeTagInvalid, "invalid tag")
		return
	} else {
		d = rp.tags[rt.ref]
	}
	m, ok := rp.manifests[d]
	bad := r.corrupt[d]
	r.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, codeManifestUnknown, "manifest unknown")
		return
	}
	data := m.data
	if bad {
		data = corrupted(data)
	}
	serveContent(w, req, m.mediaType, d, data)
}

// readBody reads req's body up to limit bytes, writing an error response and returning
// ok=false on failure.
func readBody(w http.ResponseWriter, req *http.Request, limit int64, code string) ([]byte, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, code, fmt.Sprintf("body exceeds %d bytes", limit))
		} else {
			writeError(w, http.StatusBadRequest, code, "reading body: "+err.Error())
		}
		return nil, false
	}
	return data, true
}

func (r *Registry) putManifest(w http.ResponseWriter, req *http.Request, rt route) {
	data, ok := readBody(w, req, MaxManifestSize, codeManifestInvalid)
	if !ok {
		return
	}
	var fields struct {
		MediaType string `json:"mediaType"`
	}
	if err := json.Unmarshal(data, &fields); err != nil {
		writeError(w, http.StatusBadRequest, codeManifestInvalid, "manifest is not a JSON object")
		return
	}
	mediaType := fields.MediaType
	if ct := req.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			mediaType = mt
		}
	}
	if mediaType == "" {
		writeError(w, http.StatusBadRequest, codeManifestInvalid, "manifest media type unknown")
		return
	}
	var (
		d   digest.Digest
		tag string
	)
	if strings.Contains(rt.ref, ":") {
		want, err := digest.Parse(rt.ref)
		if err != nil {
			writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
			return
		}
		if d = want.Algorithm().FromBytes(data); d != want {
			writeError(w, http.StatusBadRequest, codeDigestInvalid, "manifest digest does not match "+want.String())
			return
		}
	} else {
		if !tagRE.MatchString(rt.ref) {
			writeError(w, http.StatusBadRequest, codeTagInvalid, "invalid tag")
			return
		}
		tag, d = rt.ref, digest.FromBytes(data)
	}
	r.mu.Lock()
	rp := r.repo(rt.name, true)
	rp.manifests[d] = manifest{mediaType: mediaType, data: data}
	if tag != "" {
		rp.tags[tag] = d
	}
	r.mu.Unlock()
	w.Header().Set("Location", "/v2/"+rt.name+"/manifests/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.WriteHeader(http.StatusCreated)
}

func (r *Registry) deleteManifest(w http.ResponseWriter, rt route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rp := r.repo(rt.name, false)
	if rp == nil {
		writeError(w, http.StatusNotFound, codeNameUnknown, "repository name not known to registry")
		return
	}
	if d, err := digest.Parse(rt.ref); err == nil {
		if _, ok := rp.manifests[d]; !ok {
			writeError(w, http.StatusNotFound, codeManifestUnknown, "manifest unknown")
			return
		}
		delete(rp.manifests, d)
		for t, td := range rp.tags {
			if td == d {
				delete(rp.tags, t)
			}
		}
	} else {
		if _, ok := rp.tags[rt.ref]; !ok {
			writeError(w, http.StatusNotFound, codeManifestUnknown, "manifest unknown")
			return
		}
		delete(rp.tags, rt.ref)
	}
	w.WriteHeader(http.StatusAccepted)
}

func (r *Registry) getBlob(w http.ResponseWriter, req *http.Request, rt route) {
	d, err := digest.Parse(rt.ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
		return
	}
	r.mu.Lock()
	rp := r.repo(rt.name, false)
	var (
		data   []byte
		linked bool
	)
	if rp != nil {
		_, linked = rp.blobs[d]
		data = r.blobs[d]
	}
	bad := r.corrupt[d]
	r.mu.Unlock()
	switch {
	case rp == nil:
		writeError(w, http.StatusNotFound, codeNameUnknown, "repository name not known to registry")
		return
	case !linked:
		writeError(w, http.StatusNotFound, codeBlobUnknown, "blob unknown to registry")
		return
	}
	if bad {
		data = corrupted(data)
	}
	serveContent(w, req, "application/octet-stream", d, data)
}

func (r *Registry) deleteBlob(w http.ResponseWriter, rt route) {
	d, err := digest.Parse(rt.ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rp := r.repo(rt.name, false)
	if rp == nil {
		writeError(w, http.StatusNotFound, codeNameUnknown, "repository name not known to registry")
		return
	}
	if _, ok := rp.blobs[d]; !ok {
		writeError(w, http.StatusNotFound, codeBlobUnknown, "blob unknown to registry")
		return
	}
	delete(rp.blobs, d)
	w.WriteHeader(http.StatusAccepted)
}

// commitBlob verifies data against the digest in the query and links it into repository
// name, writing the response.
func (r *Registry) commitBlob(w http.ResponseWriter, name, want string, data []byte) {
	d, err := digest.Parse(want)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "missing or invalid digest parameter")
		return
	}
	if got := d.Algorithm().FromBytes(data); got != d {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, fmt.Sprintf("content digest %s does not match %s", got, d))
		return
	}
	r.mu.Lock()
	r.blobs[d] = data
	r.repo(name, true).blobs[d] = struct{}{}
	r.mu.Unlock()
	blobCreated(w, name, d)
}

func blobCreated(w http.ResponseWriter, name string, d digest.Digest) {
	w.Header().Set("Location", "/v2/"+name+"/blobs/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

func uploadAccepted(w http.ResponseWriter, status int, name, id string, size int) {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
	h.Set("Docker-Upload-UUID", id)
	h.Set("Range", fmt.Sprintf("0-%d", max(size-1, 0)))
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
}

func (r *Registry) startUpload(w http.ResponseWriter, req *http.Request, name string) {
	q := req.URL.Query()
	if mount, from := q.Get("mount"), q.Get("from"); mount != "" && from != "" && validName(from) {
		if r.mount(req, name, mount, from) {
			d, _ := digest.Parse(mount)
			blobCreated(w, name, d)
			return
		}
	}
	if want := q.Get("digest"); want != "" {
		data, ok := readBody(w, req, r.maxBlob, codeSizeInvalid)
		if !ok {
			return
		}
		r.commitBlob(w, name, want, data)
		return
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	r.mu.Lock()
	r.uploads[id] = &upload{repo: name}
	r.mu.Unlock()
	uploadAccepted(w, http.StatusAccepted, name, id, 0)
}

// mount links blob mount of repository from into name, if the client may read from.
func (r *Registry) mount(req *http.Request, name, mount, from string) bool {
	d, err := digest.Parse(mount)
	if err != nil {
		return false
	}
	if r.needsAuth(from, false) {
		if _, valid := r.credentials(req); !valid {
			return false
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	src := r.repo(from, false)
	if src == nil {
		return false
	}
	if _, ok := src.blobs[d]; !ok {
		return false
	}
	r.repo(name, true).blobs[d] = struct{}{}
	return true
}

// session returns the upload with id for repository name, writing an error response if
// there is none. r.mu must be held.
func (r *Registry) session(w http.ResponseWriter, rt route) *upload {
	u := r.uploads[rt.ref]
	if u == nil || u.repo != rt.name {
		writeError(w, http.StatusNotFound, codeBlobUploadUnknown, "blob upload unknown to registry")
		return nil
	}
	return u
}

func (r *Registry) patchUpload(w http.ResponseWriter, req *http.Request, rt route) {
	data, ok := readBody(w, req, r.maxBlob, codeSizeInvalid)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.session(w, rt)
	if u == nil {
		return
	}
	if cr := req.Header.Get("Content-Range"); cr != "" {
		start, _, _ := strings.Cut(strings.TrimPrefix(cr, "bytes="), "-")
		if off, err := strconv.Atoi(start); err != nil || off != len(u.data) {
			w.Header().Set("Range", fmt.Sprintf("0-%d", max(len(u.data)-1, 0)))
			writeError(w, http.StatusRequestedRangeNotSatisfiable, codeBlobUploadInvalid, "chunk out of order")
			return
		}
	}
	if int64(len(u.data))+int64(len(data)) > r.maxBlob {
		delete(r.uploads, rt.ref)
		writeError(w, http.StatusRequestEntityTooLarge, codeSizeInvalid, "blob too large")
		return
	}
	u.data = append(u.data, data...)
	uploadAccepted(w, http.StatusAccepted, rt.name, rt.ref, len(u.data))
}

func (r *Registry) finishUpload(w http.ResponseWriter, req *http.Request, rt route) {
	data, ok := readBody(w, req, r.maxBlob, codeSizeInvalid)
	if !ok {
		return
	}
	r.mu.Lock()
	u := r.session(w, rt)
	if u == nil {
		r.mu.Unlock()
		return
	}
	delete(r.uploads, rt.ref)
	r.mu.Unlock()
	all := append(u.data, data...)
	if int64(len(all)) > r.maxBlob {
		writeError(w, http.StatusRequestEntityTooLarge, codeSizeInvalid, "blob too large")
		return
	}
	r.commitBlob(w, rt.name, req.URL.Query().Get("digest"), all)
}

func (r *Registry) uploadStatus(w http.ResponseWriter, rt route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.session(w, rt)
	if u == nil {
		return
	}
	uploadAccepted(w, http.StatusNoContent, rt.name, rt.ref, len(u.data))
}

func (r *Registry) cancelUpload(w http.ResponseWriter, rt route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.session(w, rt) == nil {
		return
	}
	delete(r.uploads, rt.ref)
	w.WriteHeader(http.StatusNoContent)
}
