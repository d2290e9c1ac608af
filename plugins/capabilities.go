package plugins

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/containerd/errdefs"
)

// Capabilities is a set of the optional interfaces of imagesvc that a backend implements
// and that cross the plugin boundary ([CapRemove], [CapTag], [CapPrune], [CapHistory],
// [CapLogin], [CapDistribution], [CapSave], [CapLoad], [CapPush], [CapEvents],
// [CapDiskUsage], [CapRootFS]). [Serve] announces those of the backend it serves ([CapabilitiesOf],
// with imagesvc.As); [Open] returns a [Client] that has exactly the ones the plugin
// announced, so that a host finds them with imagesvc.As:
//
//	if w, ok := imagesvc.As[imagesvc.EventWatcher](svc); ok { ... }
//
// The first nine are also in the Client's method set (svc.(imagesvc.Remover) finds them);
// those after the ninth are found with imagesvc.As only.
type Capabilities uint

// Has reports whether c holds every capability of want.
func (c Capabilities) Has(want Capabilities) bool { return c&want == want }

// String lists the capabilities by their names in the protocol, "remove,tag"; "none" for
// the empty set.
func (c Capabilities) String() string {
	names := c.names()
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// names returns the names of c in the protocol (InitResponse.capabilities).
func (c Capabilities) names() []string {
	out := make([]string, 0, bits.OnesCount(uint(c&AllCapabilities)))
	for i, name := range capabilityNames {
		if c&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// parseCapabilities reads InitResponse.capabilities; names this host does not know (of a
// newer plugin) are returned apart, to be ignored.
func parseCapabilities(names []string) (c Capabilities, unknown []string) {
next:
	for _, n := range names {
		for i, known := range capabilityNames {
			if n == known {
				c |= 1 << i
				continue next
			}
		}
		unknown = append(unknown, n)
	}
	return c, unknown
}

// ParseCapabilities reads a list of capabilities in the form String writes: names in the
// protocol separated by commas ("remove,tag"), "none" or "" for the empty set, "all" for
// [AllCapabilities]. An unknown name is an error of class InvalidArgument.
func ParseCapabilities(s string) (Capabilities, error) {
	switch s {
	case "", "none":
		return 0, nil
	case "all":
		return AllCapabilities, nil
	}
	c, unknown := parseCapabilities(strings.Split(s, ","))
	if len(unknown) > 0 {
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown capability %q (want some of %s)", unknown[0], AllCapabilities))
	}
	return c, nil
}
