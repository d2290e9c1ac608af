package imagesvc

// As returns svc's implementation of the optional capability T (an interface of this
// package such as [Remover] or [EventWatcher]): svc itself when its method set has T,
// otherwise what svc hands out through [CapabilityProvider]. Transports and the
// conformance suite look capabilities up with As, so that a service whose capabilities
// are known only at run time (a plugin client) or a wrapper needs no type per
// combination of them:
//
//	if w, ok := imagesvc.As[imagesvc.EventWatcher](svc); ok { ... }
func As[T any](svc any) (T, bool) {
	if t, ok := svc.(T); ok {
		return t, true
	}
	var t T
	if p, ok := svc.(CapabilityProvider); ok && p.As(&t) {
		return t, true
	}
	return t, false
}

// CapabilityProvider is implemented by services that hand out optional capabilities other
// than through their own method set, in the manner of errors.As and
// http.ResponseController's Unwrap: clients of a remote service, whose capabilities are
// negotiated at run time, and wrappers.
type CapabilityProvider interface {
	// As sets *target, a pointer to the interface type of an optional capability, to the
	// service's implementation of it and reports true; it reports false, leaving *target
	// alone, when the service lacks the capability or does not know the type.
	As(target any) bool
}
