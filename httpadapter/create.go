package httpadapter

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// create serves POST /images/create: a pull when fromImage is set, else an import.
func (h *handler) create(w *responseWriter, r *http.Request, version string) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	var platform *ocispec.Platform
	if p := q.Get("platform"); p != "" && versionAtLeast(version, "1.32") {
		if platform, err = parsePlatformText(p); err != nil {
			return err
		}
	}
	if from := q.Get("fromImage"); from != "" {
		return h.pull(w, r, q, from, platform)
	}
	return h.importImage(w, r, q, platform)
}

// pull runs a pull with its progress streamed to w.
func (h *handler) pull(w *responseWriter, r *http.Request, q url.Values, fromImage string, platform *ocispec.Platform) error {
	ref, err := imagesvc.ParsePullReference(fromImage, q.Get("tag"), q.Get("registry"))
	if err != nil {
		return err
	}
	// Invalid credentials are ignored for pulls, as Docker does: the pull is anonymous.
	auth, _ := imagesvc.DecodeRegistryAuth(r.Header.Get(registryAuthHeader))
	req := imagesvc.PullRequest{Ref: ref, Platform: platform, Auth: auth}

	s := newStream(w)
	_, err = h.svc.Pull(r.Context(), req, s.progress())
	return h.finishStream(w, r, s, err)
}

// importImage runs an import with its progress streamed to w, and ends the stream with
// the new image's ID.
func (h *handler) importImage(w *responseWriter, r *http.Request, q url.Values, platform *ocispec.Platform) error {
	src := q.Get("fromSrc")
	if src == "" {
		return errInvalid("either fromImage or fromSrc must be set")
	}
	ref, err := imagesvc.ParseImportReference(q.Get("repo"), q.Get("tag"))
	if err != nil {
		return err
	}
	changes, err := imagesvc.ParseChanges(q["changes"])
	if err != nil {
		return err
	}
	req := imagesvc.ImportRequest{
		Ref:      ref,
		Message:  q.Get("message"),
		Changes:  changes,
		Platform: platform,
	}
	if req.Message == "" {
		req.Message = "Imported from " + src
	}
	var body *limitedBody
	if src == "-" {
		body = &limitedBody{r: r.Body, remaining: h.cfg.maxImport}
		req.Source = body
		// The backend may report progress while it still reads the body: an HTTP/1.x
		// server ends the body at the first response write (silently: the rest reads as
		// EOF) unless the handler asks for full duplex.
		_ = http.NewResponseController(w).EnableFullDuplex()
	} else {
		if !strings.Contains(src, "://") {
			src = "http://" + src
		}
		u, err := url.Parse(src)
		if err != nil {
			return invalidParameter(err)
		}
		req.URL = u
	}

	s := newStream(w)
	id, err := h.svc.Import(r.Context(), req, s.progress())
	if err == nil {
		s.status(id.String())
	}
	if body != nil && body.exceeded {
		err = &bodyTooLargeError{limit: h.cfg.maxImport, err: err}
	} else if errdefs.IsResourceExhausted(err) {
		// An import fails with ResourceExhausted when the archive is over the backend's
		// bound (as sent or once decompressed): the client's archive is at fault.
		err = &archiveTooLargeError{err: err}
	}
	if err != nil && body != nil {
		// With full duplex on, the server cannot drain a body the backend left unread: it
		// closes the connection after the answer. Say so, so that the client does not
		// reuse the connection and read a reset instead of the error. (A no-op once the
		// stream has started.)
		w.Header().Set("Connection", "close")
	}
	return h.finishStream(w, r, s, err)
}

// finishStream closes s and reports err: as the answer when nothing was streamed yet,
// else as the final in-stream message (not even that when the client has gone away).
func (h *handler) finishStream(w *responseWriter, r *http.Request, s *stream, err error) error {
	if s.finish(err, r.Context().Err() == nil) {
		return nil
	}
	w.stream = nil
	return err
}

// limitedBody bounds an import body. Reading past the bound fails, and records it so that
// the answer is 413 whatever error the backend makes of it.
type limitedBody struct {
	r         io.Reader
	remaining int64 // negative: no bound
	exceeded  bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.remaining < 0 {
		return b.r.Read(p)
	}
	if b.exceeded {
		return 0, b.err()
	}
	if int64(len(p)) > b.remaining+1 {
		p = p[:b.remaining+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.remaining {
		n = int(b.remaining)
		b.remaining = 0
		b.exceeded = true
		return n, b.err()
	}
	b.remaining -= int64(n)
	return n, err
}

func (b *limitedBody) err() error {
	return &bodyTooLargeError{}
}

// bodyTooLargeError reports an import body above [Options.MaxImportSize] (status 413).
type bodyTooLargeError struct {
	limit int64
	err   error // what the backend made of it, if anything
}

func (e *bodyTooLargeError) Error() string {
	if e.limit > 0 {
		return "request body too large: the limit is " + strconv.FormatInt(e.limit, 10) + " bytes"
	}
	return "request body too large"
}

func (e *bodyTooLargeError) Unwrap() error { return e.err }

// Is makes the error match errdefs.ErrResourceExhausted too.
func (e *bodyTooLargeError) Is(target error) bool {
	return errors.Is(target, errdefs.ErrResourceExhausted)
}

// archiveTooLargeError is an import the backend refused as too large (class
// ResourceExhausted): status 413 with the backend's message.
type archiveTooLargeError struct{ err error }

func (e *archiveTooLargeError) Error() string { return e.err.Error() }

func (e *archiveTooLargeError) Unwrap() error { return e.err }
