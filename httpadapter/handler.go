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
	return &handler{svc: svc, cfg: cfg}
}

type handler struct {
	svc imagesvc.Service
	cfg config
}

// route is a resolved request: which endpoint, for which requested version.
type route int

const (
	routeNone route = iota
	routeList
	routeInspect
	routeCreate
	routePing
	routeVersion
	routeOptions
)

// ServeHTTP routes the request, applies the version checks and recovers panics.
func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &responseWriter{ResponseWriter: rw}
	defer h.recoverPanic(w, r)

	requested, rt, name := h.match(r)
	if rt == routeNone {
		_ = writeJSON(w, http.StatusNotFound, &errorResponse{Message: "page not found"})
		return
	}

	hdr := w.Header()
	hdr.Set("Server", h.cfg.server)
	hdr.Set("Api-Version", h.cfg.maxVersion)
	hdr.Set("Ostype", h.cfg.osType)

	version := requested
	if version == "" {
		version = h.cfg.maxVersion
	}
	if versionLess(version, h.cfg.minVersion) {
		h.writeError(w, r, requested, errInvalid(fmt.Sprintf(
			"client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version",
			version, h.cfg.minVersion)))
		return
	}
	if versionLess(h.cfg.maxVersion, version) {
		h.writeError(w, r, requested, errInvalid(fmt.Sprintf(
			"client version %s is too new. Maximum supported API version is %s", version, h.cfg.maxVersion)))
		return
	}
	hdr.Set("Docker-Experimental", "false")

	var err error
	switch rt {
	case routeList:
		err = h.list(w, r, version)
	case routeInspect:
		err = h.inspect(w, r, version, name)
	case routeCreate:
		err = h.create(w, r, version)
	case routePing:
		h.ping(w, r)
	case routeVersion:
		err = h.version(w)
	case routeOptions:
		w.WriteHeader(http.StatusOK)
	}
	if err != nil {
		h.writeError(w, r, requested, err)
	}
}

// match finds the route of r: the requested version ("" without a prefix), the route, and
// for an inspect the image name.
func (h *handler) match(r *http.Request) (version string, rt route, name string) {
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/v"); ok {
		if i := strings.IndexByte(rest, '/'); i > 0 && versionPrefix(rest[:i]) {
			version, path = rest[:i], rest[i:]
		}
	}
	if r.Method == http.MethodOptions {
		return version, routeOptions, ""
	}
	switch path {
	case "/images/json":
		if r.Method == http.MethodGet {
			return version, routeList, ""
		}
		return "", routeNone, ""
	case "/images/create":
		if r.Method == http.MethodPost {
			return version, routeCreate, ""
		}
		return "", routeNone, ""
	case "/_ping":
		if h.cfg.ping && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			return version, routePing, ""
		}
		return "", routeNone, ""
	case "/version":
		if h.cfg.version && r.Method == http.MethodGet {
			return version, routeVersion, ""
		}
		return "", routeNone, ""
	}
	if r.Method == http.MethodGet && len(path) >= len("/images//json") &&
		strings.HasPrefix(path, "/images/") && strings.HasSuffix(path, "/json") {
		return version, routeInspect, path[len("/images/") : len(path)-len("/json")]
	}
	return "", routeNone, ""
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
