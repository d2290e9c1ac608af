package model

import (
	"context"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// RecordReader reads a backend's image records: what resolving a name needs.
type RecordReader interface {
	// Record returns the record named name (canonical form); ok is false when there is
	// none.
	Record(ctx context.Context, name string) (r Record, ok bool, err error)
	// RecordsOf returns every record whose target is d, dangling record included, in
	// name order (bytewise).
	RecordsOf(ctx context.Context, d digest.Digest) ([]Record, error)
	// TargetsWithPrefix returns the distinct targets whose digest starts with
	// "sha256:"+hex. Two are enough to tell that a prefix is ambiguous.
	TargetsWithPrefix(ctx context.Context, hex string) ([]digest.Digest, error)
}

// TargetReader is what save and push read of a backend's records, besides resolving
// names: the target descriptors and the tags of a repository.
type TargetReader interface {
	RecordReader
	// Target returns the descriptor of the target of image d as its records hold it
	// (media type, size, annotations, platform); class NotFound when no record targets
	// d.
	Target(ctx context.Context, d digest.Digest) (ocispec.Descriptor, error)
	// Tags returns the records named repo:<tag>, for every tag of the repository, in name
	// order (bytewise); digest records (repo@sha256:...) are not included.
	Tags(ctx context.Context, repo reference.Named) ([]Record, error)
}

// Resolve resolves ref with Docker's rules (the same as Remove's): a full ID, a short ID
// (with a name of that form checked first), or a name, and a digested name that no
// record has resolves to its digest when some record targets it. It returns the record
// ref matched by name (nil for an ID) and every record of the target, in name order.
//
// Errors: NotFound ([imagesvc.ImageRef.NotFound], or ambiguous short IDs); Aborted when
// the image changed while it was resolved.
func Resolve(ctx context.Context, st RecordReader, ref imagesvc.ImageRef) (matched *Record, all []Record, err error) {
	return resolveAll(ctx, st, ref)
}
