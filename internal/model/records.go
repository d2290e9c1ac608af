package model

import (
	"strings"
	"time"

	"github.com/distribution/reference"
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
