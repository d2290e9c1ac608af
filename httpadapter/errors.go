package httpadapter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/containerd/errdefs"
)

// statusOf maps an error to an HTTP status code by its errdefs class, as Docker's
// httpstatus.FromError does with the spec §1.4 table.
func statusOf(err error) int {
	var tooLarge *bodyTooLargeError
	var archiveTooLarge *archiveTooLargeError
	if errors.As(err, &tooLarge) || errors.As(err, &archiveTooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	err = errdefs.Resolve(err)
	switch {
	case errdefs.IsNotFound(err):
		return http.StatusNotFound
	case errdefs.IsInvalidArgument(err), errdefs.IsFailedPrecondition(err), errdefs.IsOutOfRange(err):
		return http.StatusBadRequest
	case errdefs.IsConflict(err), errdefs.IsAlreadyExists(err), errdefs.IsAborted(err):
		return http.StatusConflict
	case errdefs.IsUnauthorized(err):
		return http.StatusUnauthorized
	case errdefs.IsUnavailable(err):
		return http.StatusServiceUnavailable
	case errdefs.IsPermissionDenied(err):
		return http.StatusForbidden
	case errdefs.IsNotModified(err):
		return http.StatusNotModified
	case errdefs.IsNotImplemented(err):
		return http.StatusNotImplemented
	default:
		// Internal, Unknown, DataLoss, DeadlineExceeded, Canceled, ResourceExhausted and
		// errors without a class.
		return http.StatusInternalServerError
	}
}

// errorResponse is Docker's error body (api/types/common.ErrorResponse).
type errorResponse struct {
	Message string `json:"message"`
}

// bufPool holds buffers for JSON answers.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the capacity above which a buffer is not returned to the pool.
const maxPooledBuffer = 64 << 20

// writeJSON writes v as Docker's httputils.WriteJSON does: Content-Type application/json,
// no HTML escaping, a trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufPool.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// writeError answers err: a JSON error body with the status of its class, or plain text
// for clients that asked for an API version below 1.24, or nothing when the client has
// gone away.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, requested string, err error) {
	if ctxErr := r.Context().Err(); ctxErr != nil {
		h.cfg.log.LogAttrs(r.Context(), slog.LevelDebug, "httpadapter: client went away",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", 499), slog.Any("error", err))
		return
	}
	status := statusOf(err)
	if status >= http.StatusInternalServerError {
		h.cfg.log.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelError, "httpadapter: handler returned error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Any("error", err))
	}
	if requested != "" && versionLess(requested, "1.24") {
		http.Error(w, err.Error(), status)
		return
	}
	_ = writeJSON(w, status, &errorResponse{Message: err.Error()})
}

// invalidParameter gives err the InvalidArgument class, keeping its text.
func invalidParameter(err error) error {
	if errdefs.IsInvalidArgument(err) {
		return err
	}
	return errdefs.ErrInvalidArgument.WithMessage(err.Error())
}

// errInvalid returns an InvalidArgument error with the text msg.
func errInvalid(msg string) error {
	return errdefs.ErrInvalidArgument.WithMessage(msg)
}
