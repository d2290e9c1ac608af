package plugins

import (
	"context"
	"errors"

	"github.com/containerd/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// errorClass is one error class of errdefs, its name on the wire (ErrorInfo.class) and
// the gRPC status code it travels with.
type errorClass struct {
	err  error
	name string
	code codes.Code
}

// classes is the table of backend.proto's ErrorInfo.
var classes = []errorClass{
	{errdefs.ErrNotFound, "not_found", codes.NotFound},
	{errdefs.ErrInvalidArgument, "invalid_argument", codes.InvalidArgument},
	{errdefs.ErrAlreadyExists, "already_exists", codes.AlreadyExists},
	{errdefs.ErrPermissionDenied, "permission_denied", codes.PermissionDenied},
	{errdefs.ErrUnauthenticated, "unauthenticated", codes.Unauthenticated},
	{errdefs.ErrResourceExhausted, "resource_exhausted", codes.ResourceExhausted},
	{errdefs.ErrFailedPrecondition, "failed_precondition", codes.FailedPrecondition},
	{errdefs.ErrConflict, "conflict", codes.FailedPrecondition},
	{errdefs.ErrNotModified, "not_modified", codes.FailedPrecondition},
	{errdefs.ErrAborted, "aborted", codes.Aborted},
	{errdefs.ErrOutOfRange, "out_of_range", codes.OutOfRange},
	{errdefs.ErrNotImplemented, "not_implemented", codes.Unimplemented},
	{errdefs.ErrInternal, "internal", codes.Internal},
	{errdefs.ErrUnavailable, "unavailable", codes.Unavailable},
	{errdefs.ErrDataLoss, "data_loss", codes.DataLoss},
	{context.Canceled, "canceled", codes.Canceled},
	{context.DeadlineExceeded, "deadline_exceeded", codes.DeadlineExceeded},
	{errdefs.ErrUnknown, "unknown", codes.Unknown},
}

func classOf(err error) errorClass {
	cls := errdefs.Resolve(err)
	for _, c := range classes {
		if c.err == cls {
			return c
		}
	}
	return classes[len(classes)-1]
}

func className(name string) (errorClass, bool) {
	for _, c := range classes {
		if c.name == name {
			return c, true
		}
	}
	return errorClass{}, false
}

// toStatus turns an error of a backend (or of the host's usage provider) into the gRPC
// status the protocol prescribes: the class's code, the error text unchanged, and an
// ErrorInfo detail naming the class.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	c := classOf(err)
	st := status.New(c.code, err.Error())
	if withInfo, derr := st.WithDetails(&pb.ErrorInfo{Class: c.name, Reason: reasonOf(err)}); derr == nil {
		st = withInfo
	}
	return st.Err()
}

// reasons are the particular errors that cross the boundary by name (ErrorInfo.reason),
// so that errors.Is finds them on the other side.
var reasons = []struct {
	err  error
	name string
}{
	{imagesvc.ErrEventsDropped, "events_dropped"},
}

// reasonOf returns the name of the reason err wraps, or "".
func reasonOf(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return ""
}

// withReason returns err (received with ErrorInfo.reason name) wrapping the error the
// reason names too; err itself for no reason or one this side does not know.
func withReason(err error, name string) error {
	for _, r := range reasons {
		if r.name == name && name != "" {
			return &reasonError{err: err, reason: r.err}
		}
	}
	return err
}

// reasonError is a received error of a known reason: its text and class are err's.
type reasonError struct {
	err    error
	reason error
}

func (e *reasonError) Error() string   { return e.err.Error() }
func (e *reasonError) Unwrap() []error { return []error{e.err, e.reason} }

// remoteError is an error received from the other side: its text exactly as sent, its
// class as the cause.
type remoteError struct {
	msg string
	cls error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.cls }

// newClassError builds the error of class c with text msg, as errdefs's WithMessage does
// where the class has it.
func newClassError(c errorClass, msg string) error {
	if msg == c.err.Error() {
		return c.err
	}
	if wm, ok := c.err.(interface{ WithMessage(string) error }); ok {
		return wm.WithMessage(msg)
	}
	return &remoteError{msg: msg, cls: c.err}
}

// fromStatus turns a status received from the other side back into a classed error. The
// second result is false when the status carries no ErrorInfo: then the error came from
// the transport (or from a peer that does not follow the protocol), and the class is
// derived from the status code alone.
func fromStatus(err error) (error, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return err, false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*pb.ErrorInfo); ok {
			return withReason(classError(info.GetClass(), st.Message()), info.GetReason()), true
		}
	}
	c := classes[len(classes)-1]
	for _, cand := range classes {
		if cand.code == st.Code() {
			c = cand
			break
		}
	}
	return newClassError(c, st.Message()), false
}

// sourceErrorMessage encodes a failure to read an import archive for the plugin.
func sourceErrorMessage(err error) *pb.ImportSourceError {
	return &pb.ImportSourceError{Class: classOf(err).name, Message: err.Error()}
}

// sourceError decodes an ImportSourceError.
func sourceError(m *pb.ImportSourceError) error {
	msg := m.GetMessage()
	if msg == "" {
		msg = "reading the import archive failed"
	}
	return classError(m.GetClass(), msg)
}

// callErrorMessage encodes an error returned inside an answer.
func callErrorMessage(err error) *pb.CallError {
	return &pb.CallError{Class: classOf(err).name, Message: err.Error()}
}

// callError decodes a CallError.
func callError(m *pb.CallError) error {
	return classError(m.GetClass(), m.GetMessage())
}

// classError builds the error of the class named class (the last class, Unknown, for a
// name this side does not know) with text msg.
func classError(class, msg string) error {
	c, ok := className(class)
	if !ok {
		c = classes[len(classes)-1]
	}
	return newClassError(c, msg)
}
