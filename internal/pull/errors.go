package pull

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
)

// pullAccessDenied is Docker's text for a repository that does not exist or that refuses
// access.
func pullAccessDenied(named reference.Named) string {
	return "pull access denied for " + reference.FamiliarName(named) +
		", repository does not exist or may require 'docker login'"
}

// manifestUnknown is the text for a tag or digest the repository does not have.
func manifestUnknown(named reference.Named) string {
	return "manifest for " + reference.FamiliarString(named) + " not found: manifest unknown"
}

// schema1Error is Docker's error for Docker Image Format v1 and schema 1 manifests.
func schema1Error(named reference.Named) error {
	return errdefs.ErrInvalidArgument.WithMessage("Docker Image Format v1 and Docker Image manifest version 2, " +
		"schema 1 support has been removed. Suggest the author of " + named.String() +
		" to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. " +
		"More information at https://docs.docker.com/go/deprecated-image-specs/")
}

// classify gives err, a failure talking to the registry about named while doing what
// ("failed to resolve reference ..."), an errdefs class, with Docker's texts where Docker
// has one:
//
//   - a refused or missing authorization (HTTP 401, or containerd's
//     ErrInvalidAuthorization): Unauthenticated, "pull access denied for <name>, ...";
//   - HTTP 403: NotFound with the same text, as Docker reports DENIED;
//   - HTTP 404 (with manifest set, the error is about the reference itself): NotFound,
//     "pull access denied ..." for NAME_UNKNOWN and "manifest for <ref> not found: manifest
//     unknown" otherwise;
//   - HTTP 429: ResourceExhausted; 501: NotImplemented; 500, 502, 503, 504: Unavailable,
//     each "error from registry: <code>: <message>";
//   - a transport failure (connection refused or reset, DNS, timeout, TLS, a body cut
//     short): Unavailable.
//
// Context errors are returned as they are; other errors keep the class they carry.
func classify(err error, named reference.Named, what string, manifest bool) error {
	var status remoteerrors.ErrUnexpectedStatus
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, docker.ErrInvalidAuthorization):
		return errdefs.ErrUnauthenticated.WithMessage(pullAccessDenied(named) + ": " + authReason(err))
	case errors.As(err, &status):
		return statusError(status, named, what, manifest)
	case isTransportError(err):
		return errdefs.ErrUnavailable.WithMessage(what + ": " + err.Error())
	}
	return fmt.Errorf("%s: %w", what, err)
}

// authReason extracts the reason from an authorization error of containerd's resolver,
// whose text repeats a generic prefix.
func authReason(err error) string {
	s := err.Error()
	if _, after, ok := strings.Cut(s, "may require authorization: "); ok {
		s = after
	}
	return s
}

// statusError classifies an unexpected HTTP status from the registry.
func statusError(st remoteerrors.ErrUnexpectedStatus, named reference.Named, what string, manifest bool) error {
	codes := registryErrors(st.Body)
	var details []string
	for _, e := range codes {
		d := strings.ToLower(strings.ReplaceAll(e.Code, "_", " "))
		if e.Message != "" {
			d += ": " + e.Message
		}
		details = append(details, d)
	}
	detail := strings.Join(details, "; ")
	withDetail := func(s, fallback string) string {
		if detail != "" {
			return s + ": " + detail
		}
		if fallback != "" {
			return s + ": " + fallback
		}
		return s
	}
	has := func(code string) bool {
		for _, e := range codes {
			if e.Code == code {
				return true
			}
		}
		return false
	}
	switch st.StatusCode {
	case 401:
		return errdefs.ErrUnauthenticated.WithMessage(withDetail(pullAccessDenied(named), "unauthorized: authentication required"))
	case 403:
		return errdefs.ErrNotFound.WithMessage(withDetail(pullAccessDenied(named), "denied"))
	case 404:
		if manifest {
			if has("NAME_UNKNOWN") {
				return errdefs.ErrNotFound.WithMessage(pullAccessDenied(named))
			}
			return errdefs.ErrNotFound.WithMessage(manifestUnknown(named))
		}
		return errdefs.ErrNotFound.WithMessage(withDetail(what, "not found"))
	case 429:
		return errdefs.ErrResourceExhausted.WithMessage(withDetail("error from registry", "toomanyrequests: "+st.Status))
	case 501:
		return errdefs.ErrNotImplemented.WithMessage(withDetail("error from registry", st.Status))
	case 500, 502, 503, 504:
		return errdefs.ErrUnavailable.WithMessage(withDetail("error from registry", st.Status))
	}
	return fmt.Errorf("%s: %s", what, withDetail("error from registry", st.Status))
}

// isTransportError reports whether err is a failure to reach the registry.
func isTransportError(err error) bool {
	var (
		urlErr *url.Error
		opErr  *net.OpError
		dnsErr *net.DNSError
		netErr net.Error
	)
	return errors.As(err, &urlErr) || errors.As(err, &opErr) || errors.As(err, &dnsErr) ||
		(errors.As(err, &netErr) && netErr.Timeout()) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

// PushError gives err, a failure of containerd's pusher, Docker's text and an errdefs
// class (moby's translateRegistryError, spec §8.4):
//
//   - a registry error body ({"errors":[...]}) becomes "error from registry: <message>[ -
//     <detail>]", classed by its code: UNAUTHORIZED Unauthenticated, DENIED
//     PermissionDenied, UNAVAILABLE Unavailable, UNSUPPORTED NotImplemented,
//     TOOMANYREQUESTS ResourceExhausted, any other Unknown;
//   - a 401 or 403 in the token servers' old format ({"details":...}) becomes "error from
//     registry: authentication required - <details>" (Unauthenticated) or "error from
//     registry: requested access to the resource is denied - <details>"
//     (PermissionDenied);
//   - an unexpected status without such a body (a HEAD has none) keeps containerd's text
//     with Docker's "unknown: " prefix; its class is Unauthenticated for 401,
//     PermissionDenied for 403, Unknown otherwise (Docker: Unknown for all);
//   - a refused authorization ("push access denied, repository does not exist or may
//     require authorization: ...") keeps its text, class Unauthenticated;
//   - a transport failure (connection refused, DNS, timeout) keeps its text, class
//     Unavailable;
//   - errors that carry a class already, and the context's errors, are returned as they
//     are.
func PushError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var derrs docker.Errors
	if !errors.As(err, &derrs) {
		var status remoteerrors.ErrUnexpectedStatus
		var derr docker.Error
		switch {
		case errors.As(err, &status):
			if json.Unmarshal(status.Body, &derrs) != nil {
				return unexpectedStatus(status, err)
			}
			if len(derrs) == 0 && (status.StatusCode == http.StatusUnauthorized || status.StatusCode == http.StatusForbidden) {
				var tokenErr struct {
					Details string `json:"details"`
				}
				if json.Unmarshal(status.Body, &tokenErr) == nil && tokenErr.Details != "" {
					if status.StatusCode == http.StatusUnauthorized {
						return errdefs.ErrUnauthenticated.WithMessage("error from registry: " + docker.ErrorCodeUnauthorized.Message() + " - " + tokenErr.Details)
					}
					return errdefs.ErrPermissionDenied.WithMessage("error from registry: " + docker.ErrorCodeDenied.Message() + " - " + tokenErr.Details)
				}
			}
			if len(derrs) == 0 {
				return unexpectedStatus(status, err)
			}
		case errors.As(err, &derr):
			derrs = docker.Errors{derr}
		case errors.Is(err, docker.ErrInvalidAuthorization):
			return errdefs.ErrUnauthenticated.WithMessage(err.Error())
		case isTransportError(err):
			return errdefs.ErrUnavailable.WithMessage(err.Error())
		default:
			return err
		}
	}
	var errs []error
	for _, e := range derrs {
		var (
			derr docker.Error
			code docker.ErrorCode
		)
		switch {
		case errors.As(e, &derr):
		case errors.As(e, &code):
			// containerd decodes an entry whose message is its code's own as the bare
			// code; its text is that message.
			derr = docker.Error{Code: code}
		default:
			errs = append(errs, errdefs.ErrUnknown.WithMessage(e.Error()))
			continue
		}
		msg := derr.Message
		if msg == "" {
			msg = derr.Code.Message()
		}
		if detail, ok := derr.Detail.(string); ok {
			msg += " - " + detail
		}
		switch derr.Code {
		case docker.ErrorCodeUnsupported:
			errs = append(errs, errdefs.ErrNotImplemented.WithMessage(msg))
		case docker.ErrorCodeUnauthorized:
			errs = append(errs, errdefs.ErrUnauthenticated.WithMessage(msg))
		case docker.ErrorCodeDenied:
			errs = append(errs, errdefs.ErrPermissionDenied.WithMessage(msg))
		case docker.ErrorCodeUnavailable:
			errs = append(errs, errdefs.ErrUnavailable.WithMessage(msg))
		case docker.ErrorCodeTooManyRequests:
			errs = append(errs, errdefs.ErrResourceExhausted.WithMessage(msg))
		default:
			errs = append(errs, errdefs.ErrUnknown.WithMessage(msg))
		}
	}
	switch len(errs) {
	case 0:
		err = errdefs.ErrUnknown.WithMessage(err.Error())
	case 1:
		err = errs[0]
	default:
		err = errors.Join(errs...)
	}
	return fmt.Errorf("error from registry: %w", err)
}

// unexpectedStatus classes an unexpected status without a registry error body, with
// Docker's text ("unknown: " and containerd's).
func unexpectedStatus(status remoteerrors.ErrUnexpectedStatus, err error) error {
	msg := "unknown: " + err.Error()
	switch status.StatusCode {
	case http.StatusUnauthorized:
		return errdefs.ErrUnauthenticated.WithMessage(msg)
	case http.StatusForbidden:
		return errdefs.ErrPermissionDenied.WithMessage(msg)
	}
	return fmt.Errorf("%w: %w", errdefs.ErrUnknown, err)
}
