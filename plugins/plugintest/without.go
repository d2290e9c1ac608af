package plugintest

import (
	"context"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
)

//go:generate go run ../internal/gencaps -kind plugintest -o without_gen.go

// Without returns svc without the capabilities hide: a service that lacks those optional
// interfaces, for testing partial backends (a plugin serving it announces only the
// others, and imagesvctest skips their groups). The result has the methods of
// [imagesvc.Service], the first nine capabilities of svc not hidden in its method set, an
// As method ([imagesvc.CapabilityProvider]) that hands out every capability of svc not
// hidden (those after the ninth, such as [imagesvc.EventWatcher], are found with
// [imagesvc.As] only) and nothing else, and ListVersion: svc's, or one that fails with
// class NotImplemented when svc has none (the plugin then answers every list in full, as
// without it). Other methods of svc are not kept.
func Without(svc imagesvc.Service, hide plugins.Capabilities) imagesvc.Service {
	caps := plugins.CapabilitiesOf(svc) &^ hide
	return restrict(restricted{Service: svc, caps: caps}, caps, svc)
}

// versionedService is what every result of Without embeds.
type versionedService interface {
	imagesvc.Service
	imagesvc.ListVersioner
	imagesvc.CapabilityProvider
}

// restricted is the base of every result of Without: svc's Service methods, its
// ListVersion, and its capabilities caps through As.
type restricted struct {
	imagesvc.Service
	caps plugins.Capabilities
}

// ListVersion is svc's, or fails with class NotImplemented when svc has none.
func (r restricted) ListVersion(ctx context.Context) (string, error) {
	if v, ok := r.Service.(imagesvc.ListVersioner); ok {
		return v.ListVersion(ctx)
	}
	return "", errdefs.ErrNotImplemented.WithMessage("the service has no list version")
}

// As hands out the capabilities of svc that Without kept, and no other.
func (r restricted) As(target any) bool {
	return provideCapability(target, r.caps, r.Service)
}
