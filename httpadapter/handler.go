package httpadapter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/flight"
)

// New returns an http.Handler that serves svc as the image endpoints of the Docker Engine
// API, configured by opts (see the package documentation for the routes and behaviour).
// The handler routes on the request path from its root ("/images/json", "/v1.47/images/...");
// to mount it under a prefix, wrap it in http.StripPrefix.
//
// New panics if opts holds an invalid version range (a version that is not digits and
// dots, MinVersion above MaxVersion, or MaxVersion above [DefaultMaxVersion]): that is a
// programming error, like an invalid http.ServeMux pattern.
func New(svc imagesvc.Service, opts Options) http.Handler {
	if svc == nil {
		panic("httpadapter: New called with a nil Service")
	}
	cfg, err := opts.config()
	if err != nil {
		panic(err)
	}
	h := &handler{svc: svc, cfg: cfg, routes: newRoutes(&cfg)}
	h.nonce, h.usageVersion = newNonce(), opts.UsageVersion // conditional.go
	h.versioner, _ = imagesvc.As[imagesvc.ListVersioner](svc)
	if o, ok := imagesvc.As[imagesvc.UsageOmitter](svc); ok && h.versioner != nil && o.ListVersionOmitsUsage() && h.usageVersion == nil {
		// The versions do not cover the containers the answers count, and the host does
		// not version them: no ETags and no kept answers rather than stale ones.
		cfg.log.Warn("httpadapter: no ETags: the service's list versions leave out its usage provider, and Options.UsageVersion is not set")
		h.versioner = nil
	}
	return h
}

type handler struct {
	svc    imagesvc.Service
	cfg    config
	routes []route

	nonce        [16]byte               // of the ETags (conditional.go)
	usageVersion UsageVersionFunc       // Options.UsageVersion
	versioner    imagesvc.ListVersioner // svc's, or nil: no ETags

	df    flight.Group[imagesvc.DiskUsage] // GET /system/df computations (diskusage.go)
	lists listCache                        // the answers of recent lists (list.go)
}

// route is one entry of the route table: a method and a path pattern, the API version
// the route needs, and the function that serves it.
type route struct {
	method string
	// pattern is the path without a version prefix. It holds at most one "{name}", which
	// matches any text, "/", ":" and "@" included, and the empty string (Docker's
	// {name:.*}): "/images/{name}/history".
	pattern string
	// minVersion, when set, answers a request for an older API version with 400 "<method>
	// <pattern> requires minimum API version <v>", as Docker's WithMinimumAPIVersion does.
	minVersion string
	// muxPath, when set, is the path Docker's router names in that message
	// ("/distribution/{name:.*}/json"); pattern otherwise.
	muxPath string
	serve   func(h *handler, w *responseWriter, r *http.Request, c call) error

	// prefix and suffix surround {name}; named tells whether the pattern has one.
	prefix, suffix string
	named          bool
}

// call is what routing found out about a request.
type call struct {
	// requested is the version of the /vX.Y prefix, "" without one; version is the one
	// the answer is shaped for (requested, or the maximum).
	requested, version string
	// name is the text that matched {name}.
	name string
}

// newRoutes returns the route table of a handler configured by cfg. Routes are tried in
// order and the first that matches serves the request, as in Docker's router; a path
// matches a named pattern when it starts with the prefix and ends with the suffix, so
// /images/a/history/json is the inspect of "a/history".
func newRoutes(cfg *config) []route {
	rs := []route{
		{method: http.MethodGet, pattern: "/images/json", serve: func(h *handler, w *responseWriter, r *http.Request, c call) error {
			return h.list(w, r, c.version)
		}},
		{method: http.MethodGet, pattern: "/images/get", serve: (*handler).saveAll},
		{method: http.MethodGet, pattern: "/images/{name}/get", serve: (*handler).saveOne},
		{method: http.MethodGet, pattern: "/images/{name}/history", serve: (*handler).history},
		{method: http.MethodGet, pattern: "/images/{name}/json", serve: func(h *handler, w *responseWriter, r *http.Request, c call) error {
			return h.inspect(w, r, c.version, c.name)
		}},
		{method: http.MethodPost, pattern: "/images/load", serve: (*handler).load},
		{method: http.MethodPost, pattern: "/images/create", serve: func(h *handler, w *responseWriter, r *http.Request, c call) error {
			return h.create(w, r, c.version)
		}},
		{method: http.MethodPost, pattern: "/images/prune", minVersion: "1.25", serve: (*handler).prune},
		{method: http.MethodPost, pattern: "/images/{name}/push", serve: (*handler).push},
		{method: http.MethodPost, pattern: "/images/{name}/tag", serve: (*handler).tag},
		{method: http.MethodDelete, pattern: "/images/{name}", serve: (*handler).remove},
		{method: http.MethodPost, pattern: "/auth", serve: (*handler).login},
		{method: http.MethodGet, pattern: "/distribution/{name}/json", minVersion: "1.30", muxPath: "/distribution/{name:.*}/json", serve: (*handler).distribution},
		{method: http.MethodGet, pattern: "/system/df", serve: (*handler).diskUsage},
		{method: http.MethodGet, pattern: "/events", serve: (*handler).events},
		{method: http.MethodGet, pattern: "/info", serve: func(h *handler, w *responseWriter, r *http.Request, c call) error {
			return h.info(w, r, c.version)
		}},
	}
	if cfg.ping {
		ping := func(h *handler, w *responseWriter, r *http.Request, _ call) error {
			h.ping(w, r)
			return nil
		}
		rs = append(rs,
			route{method: http.MethodGet, pattern: "/_ping", serve: ping},
			route{method: http.MethodHead, pattern: "/_ping", serve: ping})
	}
	if cfg.version {
		rs = append(rs, route{method: http.MethodGet, pattern: "/version", serve: func(h *handler, w *responseWriter, _ *http.Request, _ call) error {
			return h.version(w)
		}})
	}
	for i := range rs {
		rt := &rs[i]
		if before, after, ok := strings.Cut(rt.pattern, "{name}"); ok {
			rt.prefix, rt.suffix, rt.named = before, after, true
		}
	}
	return rs
}

// match reports whether path matches the route's pattern, and the name it holds.
func (rt *route) match(path string) (name string, ok bool) {
	if !rt.named {
		return "", path == rt.pattern
	}
	if len(path) < len(rt.prefix)+len(rt.suffix) || !strings.HasPrefix(path, rt.prefix) || !strings.HasSuffix(path, rt.suffix) {
		return "", false
	}
	return path[len(rt.prefix) : len(path)-len(rt.suffix)], true
}

// optionsRoute serves OPTIONS on any path, as Docker's CORS-less router does: an empty 200.
var optionsRoute = &route{serve: func(_ *handler, w *responseWriter, _ *http.Request, _ call) error {
	w.WriteHeader(http.StatusOK)
	return nil
}}

// ServeHTTP routes the request, applies the version checks and recovers panics.
func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &responseWriter{ResponseWriter: rw}
	defer h.recoverPanic(w, r)

	rt, c := h.match(r)
	if rt == nil {
		h.cfg.log.LogAttrs(r.Context(), slog.LevelDebug, "httpadapter: no route for request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path))
		_ = writeJSON(w, http.StatusNotFound, &errorResponse{Message: "page not found"})
		return
	}

	hdr := w.Header()
	hdr.Set("Server", h.cfg.server)
	hdr.Set("Api-Version", h.cfg.maxVersion)
	hdr.Set("Ostype", h.cfg.osType)

	c.version = c.requested
	if c.version == "" {
		c.version = h.cfg.maxVersion
	}
	if versionLess(c.version, h.cfg.minVersion) {
		// Docker answers this one in plain text below 1.24, and "too new" in JSON; both
		// are the JSON envelope here, so that a client parses either the same way.
		h.writeError(w, r, "", errInvalid(fmt.Sprintf(
			"client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version",
			c.version, h.cfg.minVersion)))
		return
	}
	if versionLess(h.cfg.maxVersion, c.version) {
		h.writeError(w, r, c.requested, errInvalid(fmt.Sprintf(
			"client version %s is too new. Maximum supported API version is %s", c.version, h.cfg.maxVersion)))
		return
	}
	hdr.Set("Docker-Experimental", "false")

	if rt.minVersion != "" && versionLess(c.version, rt.minVersion) {
		path := rt.pattern
		if rt.muxPath != "" {
			path = rt.muxPath
		}
		h.writeError(w, r, c.requested, errInvalid(rt.method+" "+path+" requires minimum API version "+rt.minVersion))
		return
	}
	if err := rt.serve(h, w, r, c); err != nil {
		h.writeError(w, r, c.requested, err)
	}
}

// match finds the route of r and what it says: the requested version ("" without a
// prefix) and the name. It returns a nil route when none matches.
func (h *handler) match(r *http.Request) (*route, call) {
	var c call
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/v"); ok {
		if i := strings.IndexByte(rest, '/'); i > 0 && versionPrefix(rest[:i]) {
			c.requested, path = rest[:i], rest[i:]
		}
	}
	if r.Method == http.MethodOptions {
		return optionsRoute, c
	}
	for i := range h.routes {
		rt := &h.routes[i]
		if rt.method != r.Method {
			continue
		}
		if name, ok := rt.match(path); ok {
			c.name = name
			return rt, c
		}
	}
	return nil, call{}
}

// versionPrefix reports whether s matches Docker's version pattern [0-9.]+.
func versionPrefix(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return s != ""
}

// recoverPanic turns a panic into a 500 answer (or an in-stream error once a stream has
// started) and logs it with its stack.
func (h *handler) recoverPanic(w *responseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	h.cfg.log.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelError, "httpadapter: panic serving request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
	const msg = "internal server error"
	if r.Context().Err() != nil {
		return
	}
	if s := w.stream; s != nil && s.finish(errors.New(msg), true) {
		return
	}
	if w.wroteHeader {
		// A JSON answer was under way: cut the connection rather than send a truncated
		// body with a success status.
		panic(http.ErrAbortHandler)
	}
	_ = writeJSON(w, http.StatusInternalServerError, &errorResponse{Message: msg})
}

// responseWriter records whether the header was written and which stream, if any, owns
// the body. It passes Flush, Hijack and Unwrap through.
type responseWriter struct {
	http.ResponseWriter
	wroteHeader bool
	stream      *stream
}

func (w *responseWriter) WriteHeader(code int) {
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Flush flushes the underlying writer, if it can.
func (w *responseWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hijacks the underlying connection, if it can.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
