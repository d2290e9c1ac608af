package plugintest

import (
	"context"

	"github.com/containerd/errdefs"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/plugins"
)

//go:generate go run ../internal/gencaps -kind plugintest -o without_gen.go

// Without returns svc without the capabilities hide: a service whose type lacks those
// optional interfaces, for testing partial backends (a plugin serving it announces only
// the others, and imagesvctest skips their groups). The result has the methods of
// [imagesvc.Service], the capabilities of svc not hidden, and ListVersion: svc's, or one
// that fails with class NotImplemented when svc has none (the plugin then answers every
// list in full, as without it). Other methods of svc are not kept.
func Without(svc imagesvc.Service, hide plugins.Capabilities) imagesvc.Service {
	base, ok := svc.(versionedService)
	if !ok {
		base = unversioned{svc}
	}
	return restrict(base, plugins.CapabilitiesOf(svc)&^hide, svc)
}

// versionedService is what every result of Without embeds.
type versionedService interface {
	imagesvc.Service
	imagesvc.ListVersioner
}

// unversioned is a service without ListVersion.
type unversioned struct{ imagesvc.Service }

func (unversioned) ListVersion(context.Context) (string, error) {
	return "", errdefs.ErrNotImplemented.WithMessage("the service has no list version")
}
