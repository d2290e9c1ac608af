package httpadapter

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// The endpoints that move images in and out without a pull (spec docker-image-lifecycle.md
// §6–§8): save (GET /images/get, GET /images/{name}/get), load (POST /images/load) and
// push (POST /images/{name}/push). Each needs an optional capability of the service;
// without it the answer is 501 naming the operation.

// saveAll serves GET /images/get: the names parameter lists the images.
func (h *handler) saveAll(w *responseWriter, r *http.Request, c call) error {
	return h.save(w, r, c, false)
}

// saveOne serves GET /images/{name}/get: only the path's name is exported, names is
// ignored.
func (h *handler) saveOne(w *responseWriter, r *http.Request, c call) error {
	return h.save(w, r, c, true)
}

// save streams the archive of the requested images. Everything up to the archive's first
// byte (parameters, names, the backend's resolution) is answered as an HTTP error; an
// error after it is appended to the tar stream as a JSON error line, as Docker does (spec
// §1.6): the client's tar reader then fails on it.
func (h *handler) save(w *responseWriter, r *http.Request, c call, named bool) error {
	saver, ok := imagesvc.As[imagesvc.Saver](h.svc)
	if !ok {
		return notImplemented("image save")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	names := q["names"]
	if named {
		names = []string{c.name}
	}
	platforms, err := platformList(q, c.version)
	if err != nil {
		return err
	}
	req := imagesvc.SaveRequest{Platforms: platforms}
	for _, n := range names {
		ref, err := imagesvc.ParseImageRef(n)
		if err != nil {
			return err
		}
		req.Refs = append(req.Refs, ref)
	}
	tw := &tarWriter{w: w}
	err = saver.Save(r.Context(), req, tw)
	if err == nil {
		tw.start() // an archive the backend wrote nothing of is still an answer
		return nil
	}
	if !tw.started {
		return err
	}
	if r.Context().Err() == nil {
		h.logStreamError(r, err)
		_ = tw.writeError(err)
	}
	return nil
}

// tarWriter is the response writer of a save: the header (200, application/x-tar) goes
// out with the first byte, and every write is flushed, as Docker's WriteFlusher does, so
// nothing of the archive is held here.
type tarWriter struct {
	w       *responseWriter
	started bool
}

func (t *tarWriter) start() {
	if t.started {
		return
	}
	t.started = true
	t.w.Header().Set("Content-Type", "application/x-tar")
	t.w.WriteHeader(http.StatusOK)
}

func (t *tarWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	t.start()
	n, err := t.w.Write(p)
	t.w.Flush()
	return n, err
}

// writeError appends err to the stream as Docker's streamformatter.FormatError does.
func (t *tarWriter) writeError(err error) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if jerr := enc.Encode(errorFor(err)); jerr != nil {
		return jerr
	}
	b := buf.Bytes()
	_, werr := t.Write(append(b[:len(b)-1], '\r', '\n'))
	return werr
}

// load serves POST /images/load. The archive is the request body, read by the backend as
// it comes, within [Options.MaxImportSize]. The answer is a JSON stream with one
// {"stream":"Loaded image: ...\n"} record per loaded record; every error of the backend
// is in-stream under status 200, as in Docker, except an archive over the adapter's or the
// backend's size bound when nothing was loaded, which is 413 as for an import (bounds
// Docker does not have).
func (h *handler) load(w *responseWriter, r *http.Request, c call) error {
	loader, ok := imagesvc.As[imagesvc.Loader](h.svc)
	if !ok {
		return notImplemented("image load")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	platforms, err := platformList(q, c.version)
	if err != nil {
		return err
	}
	// quiet is ignored, as in Docker's containerd store: there are no progress records.
	body := &limitedBody{r: r.Body, remaining: h.cfg.maxImport}
	loaded, err := loader.Load(r.Context(), imagesvc.LoadRequest{Source: body, Platforms: platforms})

	s := newStream(w)
	for _, l := range loaded {
		s.write(&message{Stream: l.Message() + "\n"})
	}
	if err != nil {
		// The backend may have left part of the body unread: the server cannot reuse the
		// connection, so say so rather than let the client read a reset.
		w.Header().Set("Connection", "close")
		switch {
		case body.exceeded:
			err = &bodyTooLargeError{limit: h.cfg.maxImport, err: err}
		case errdefs.IsResourceExhausted(err):
			// The archive is over the backend's bound (as sent or once decompressed).
			err = &archiveTooLargeError{err: err}
		}
		if statusOf(err) == http.StatusRequestEntityTooLarge && !s.isStarted() {
			return h.finishStream(w, r, s, err)
		}
		if r.Context().Err() == nil {
			h.logStreamError(r, err)
			s.write(errorFor(err)) // starts the stream when nothing was loaded
		}
	}
	s.finish(nil, false)
	if !w.wroteHeader && r.Context().Err() == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

// push serves POST /images/{name}/push. The name and tag are parsed as Docker's
// postImagesPush does (spec §8.1); the backend's progress is streamed as a pull's is, and
// its errors come in-stream after its first event.
func (h *handler) push(w *responseWriter, r *http.Request, c call) error {
	pusher, ok := imagesvc.As[imagesvc.Pusher](h.svc)
	if !ok {
		return notImplemented("image push")
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	// Credentials that do not decode are ignored, as Docker does: the push proceeds
	// without them.
	auth, _ := imagesvc.DecodeRegistryAuth(r.Header.Get(registryAuthHeader))
	ref, err := pushReference(c.name, q.Get("tag"))
	if err != nil {
		return err
	}
	req := imagesvc.PushRequest{Ref: ref, Auth: auth}
	if versionAtLeast(c.version, "1.46") {
		if v := q.Get("platform"); v != "" {
			if req.Platform, err = parsePlatformJSON(v); err != nil {
				return err
			}
		}
	}
	s := newStream(w)
	err = pusher.Push(r.Context(), req, s.progress())
	if err != nil && s.isStarted() && r.Context().Err() == nil {
		h.logStreamError(r, err)
	}
	return h.finishStream(w, r, s, err)
}

// pushReference parses the name and tag of a push: a tag replaces any tag of name (and a
// digest in name is refused); without a tag, name is kept as it is, tag or digest
// included.
func pushReference(name, tag string) (reference.Named, error) {
	if tag != "" && name != "" {
		return imagesvc.ParseImportReference(name, tag)
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, invalidParameter(err)
	}
	return ref, nil
}

// platformList reads the repeatable JSON platform parameter of save and load (spec §1.3):
// ignored below 1.48, one value until 1.51, any number from 1.52; an empty value is an
// error.
func platformList(q url.Values, version string) ([]ocispec.Platform, error) {
	if !versionAtLeast(version, "1.48") {
		return nil, nil
	}
	vals := q["platform"]
	if len(vals) > 1 && versionLess(version, "1.52") {
		return nil, errInvalid("multiple platform parameters are not supported in this API version; use API version 1.52 or later")
	}
	var out []ocispec.Platform
	for _, v := range vals {
		p, err := parsePlatformJSON(v)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// logStreamError logs an error that went to the client in-stream: the handler returns no
// error for it, so writeError does not log it. Only server-side classes are logged.
func (h *handler) logStreamError(r *http.Request, err error) {
	if statusOf(err) < http.StatusInternalServerError {
		return
	}
	h.cfg.log.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelError, "httpadapter: stream ended with error",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
}

// aux records of a push, with Docker's JSON field names (api/types/auxprogress).
type manifestPushedInsteadOfIndex struct {
	ManifestPushedInsteadOfIndex bool               `json:"manifestPushedInsteadOfIndex"`
	OriginalIndex                ocispec.Descriptor `json:"originalIndex"`
	SelectedManifest             ocispec.Descriptor `json:"selectedManifest"`
}

type contentMissing struct {
	ContentMissing bool               `json:"contentMissing"`
	Desc           ocispec.Descriptor `json:"desc"`
}

// auxFor renders a push's aux record as Docker does: one of its two shapes.
func auxFor(a *imagesvc.PushAux) any {
	deref := func(d *ocispec.Descriptor) ocispec.Descriptor {
		if d == nil {
			return ocispec.Descriptor{}
		}
		return *d
	}
	if a.ContentMissing {
		return &contentMissing{ContentMissing: true, Desc: deref(a.Desc)}
	}
	return &manifestPushedInsteadOfIndex{
		ManifestPushedInsteadOfIndex: a.ManifestPushedInsteadOfIndex,
		OriginalIndex:                deref(a.OriginalIndex),
		SelectedManifest:             deref(a.SelectedManifest),
	}
}
