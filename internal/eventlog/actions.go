package eventlog

import (
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"maps"

	"github.com/imageapi/imageapi/imagesvc"
)

// The constructors below are Docker's rules for the image events of its containerd store
// (spec docker-image-lifecycle.md §9.4, §2.4, §4.4). "labels" are the config labels of the
// image at the time of the event (nil when it has none or cannot be resolved); they are
// copied first, so a label called "name" is overwritten by the name attribute, as in Docker.

// Pull is the event of a pull, one per pulled reference: the ID is the familiar reference
// ("alpine:latest", "alpine@sha256:…"; a name with neither gets "latest") and "name" the
// familiar repository ("alpine").
func Pull(ref reference.Named, labels map[string]string) imagesvc.Event {
	return refEvent(imagesvc.EventPull, ref, labels)
}

// Push is the event of a successful push, one per pushed tag, shaped as [Pull].
func Push(ref reference.Named, labels map[string]string) imagesvc.Event {
	return refEvent(imagesvc.EventPush, ref, labels)
}

func refEvent(action imagesvc.EventAction, ref reference.Named, labels map[string]string) imagesvc.Event {
	return event(action, reference.FamiliarString(reference.TagNameOnly(ref)), labels, reference.FamiliarName(ref))
}

// Tag is the event of a name given to the image target (also a re-tag that changes
// nothing, and the name an import with a repository gives, before [Import]): "name" is
// the familiar reference ("foo:v1").
func Tag(target digest.Digest, ref reference.Named, labels map[string]string) imagesvc.Event {
	return event(imagesvc.EventTag, target.String(), labels, reference.FamiliarString(ref))
}

// Untag is the event of a name removed from the image target by a delete or a prune:
// "name" only, no labels. name is the familiar reference, or for a pruned dangling record
// the digest.
func Untag(target digest.Digest, name string) imagesvc.Event {
	return event(imagesvc.EventUntag, target.String(), nil, name)
}

// Delete is the event of the image target deleted by DELETE /images: "name" is the
// digest, after the labels when the image could still be resolved.
func Delete(target digest.Digest, labels map[string]string) imagesvc.Event {
	return event(imagesvc.EventDelete, target.String(), labels, target.String())
}

// PruneDelete is the event of a record whose content a prune freed: "name" is the
// record's familiar reference, or the digest for a dangling one; no labels.
func PruneDelete(target digest.Digest, name string) imagesvc.Event {
	return event(imagesvc.EventDelete, target.String(), nil, name)
}

// Import is the event of a successful import: the ID and "name" are the manifest digest.
func Import(manifest digest.Digest, labels map[string]string) imagesvc.Event {
	return event(imagesvc.EventImport, manifest.String(), labels, manifest.String())
}

// Load is the event of one image record a load created or updated (also when nothing
// changed): the ID and "name" are the target digest.
func Load(target digest.Digest, labels map[string]string) imagesvc.Event {
	return event(imagesvc.EventLoad, target.String(), labels, target.String())
}

// Save is the event of one exported name: the ID and "name" are the exported descriptor's
// digest. labels are given only when that digest is the target of an image record (a
// single-platform save of a multi-platform image exports a platform manifest, whose event
// has "name" only).
func Save(exported digest.Digest, labels map[string]string) imagesvc.Event {
	return event(imagesvc.EventSave, exported.String(), labels, exported.String())
}

func event(action imagesvc.EventAction, id string, labels map[string]string, name string) imagesvc.Event {
	attrs := make(map[string]string, len(labels)+1)
	maps.Copy(attrs, labels)
	attrs["name"] = name
	return imagesvc.Event{Action: action, ID: id, Attributes: attrs}
}
