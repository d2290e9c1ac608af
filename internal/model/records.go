package model

import (
	"slices"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/imageapi/imageapi/imagesvc"
	"github.com/opencontainers/go-digest"
)

// DanglingPrefix starts the record name of an image without names, as Docker names it.
const DanglingPrefix = "moby-dangling@"

// LabelParent is the label that names an image's parent (classic builder).
const LabelParent = "org.mobyproject.image.parent"

// Record is one image record: a name pointing at a target (an index or a manifest), as
// containerd's image store holds it. Several records can share a target; the image ID is
// the target digest.
type Record struct {
	// Name is the canonical name ("docker.io/library/foo:latest",
	// "docker.io/library/foo@sha256:...") or [DanglingName] of the target.
	Name string
	// Target is the digest of the record's target: the image ID.
	Target digest.Digest
	// Created is when the record was created (prune's until filter compares it).
	Created time.Time
}

// DanglingName returns the record name of the image without names whose target is d.
func DanglingName(d digest.Digest) string { return DanglingPrefix + d.String() }

// Dangling reports whether r is the dangling record of its own target.
func (r Record) Dangling() bool { return r.Name == DanglingName(r.Target) }

// Familiar returns the name shown to users: the familiar form of the name ("foo:latest"),
// or the target digest for a dangling record (Docker's imageFamiliarName).
func (r Record) Familiar() string {
	if r.Dangling() {
		return r.Target.String()
	}
	if n, err := reference.ParseNormalizedNamed(r.Name); err == nil {
		return reference.FamiliarString(n)
	}
	return r.Name
}

// Truncate returns the first 12 hex digits of an ID or digest, as Docker prints them.
func Truncate(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// DisplayName returns the name Docker's messages give the image that ref resolved to
// (imageFamiliarName of the record it matched): the familiar name ref names when the image
// has it ("foo:latest" for "foo"), else the first of its names in ref's repository, else
// its first name, else its ID. names are the image's familiar names in record order,
// dangling records left out.
func DisplayName(ref imagesvc.ImageRef, names []string, id digest.Digest) string {
	if t := ref.Tagged(); t != nil && ref.Digest() == "" {
		if f := reference.FamiliarString(t); slices.Contains(names, f) {
			return f
		}
	}
	if named := ref.Named(); named != nil {
		for _, n := range names {
			if p, err := reference.ParseNormalizedNamed(n); err == nil && p.Name() == named.Name() {
				return n
			}
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return id.String()
}

// TagTarget checks the name a [imagesvc.Tagger] is given, as [imagesvc.ParseTagReference]
// would have refused it (a caller may build it by other means), and returns it with its
// tag ("latest" when it has none). Errors are InvalidArgument with Docker's texts.
func TagTarget(target reference.NamedTagged) (reference.NamedTagged, error) {
	if target == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("repository name must be given: no target")
	}
	if _, ok := target.(reference.Digested); ok {
		return nil, errdefs.ErrInvalidArgument.WithMessage("cannot import digest reference")
	}
	return imagesvc.ParseTagReference(target.Name(), target.Tag())
}
