package model

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// Store is what the rules need of a backend. Every call of one operation sees one
// consistent state of the store, with the operation's own changes (a transaction, or a
// lock held for the whole operation).
type Store interface {
	RecordReader
	// Parent returns the parent of the image d ([LabelParent]), "" when it has none.
	Parent(ctx context.Context, d digest.Digest) (digest.Digest, error)
	// HasChildren reports whether some image names d as its parent.
	HasChildren(ctx context.Context, d digest.Digest) (bool, error)

	// DeleteRecord removes the record r. last is true when r is the last record of its
	// target: the image is then gone, and the content no other image references is
	// released before DeleteRecord returns (containerd's SynchronousDelete).
	DeleteRecord(ctx context.Context, r Record, last bool) error
	// KeepDangling makes sure that the image r targets keeps a dangling record once r
	// is removed (with r's labels but its name labels); nothing when one exists.
	KeepDangling(ctx context.Context, r Record) error
	// DeletePlatform deletes every present blob under the best present manifest of the
	// image d that matches p strictly (platforms.OnlyStrict): the manifest, its config and
	// its layers, even those other images share, as Docker does. It returns the digests
	// of the manifests and indexes it deleted, in walk order, and ok false when no
	// present manifest of the image matches.
	DeletePlatform(ctx context.Context, d digest.Digest, p ocispec.Platform) (deleted []digest.Digest, ok bool, err error)
}

// Remove removes what ref names with Docker's rules (spec §2.2, containerd's
// ImageDelete), calling st's primitives, and returns the response. ctrs are the host's
// containers (nil when it has none or cannot tell). opts must be valid.
func Remove(ctx context.Context, st Store, ctrs []imagesvc.Container, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	img, all, err := resolveAll(ctx, st, ref)
	if err != nil {
		return nil, err
	}
	rm := &remover{st: st, ctrs: ctrs, opts: opts, remaining: len(all)}
	mask := conflictHard
	if !opts.Force {
		mask |= conflictSoft
	}
	input := ref.String()

	var id digest.Digest
	if img == nil {
		id = all[0].Target
		var named reference.Named
		if !isIDPrefix(id, input) {
			named = ref.Named()
		}
		same := sameReferences(named, all)
		if len(same) == 0 && named != nil {
			return nil, ref.NotFound()
		}
		if len(same) == len(all) && !opts.Force {
			mask &^= conflictActiveReference
		}
		if named != nil && len(same) > 0 && len(same) != len(all) {
			if len(opts.Platforms) > 0 {
				return rm.deletePlatforms(ctx, nil, id, all)
			}
			return rm.untag(ctx, same)
		}
	} else {
		id = img.Target
		explicitDangling := strings.HasPrefix(input, DanglingPrefix) && img.Dangling()
		if isIDPrefix(id, input) || explicitDangling {
			if len(opts.Platforms) > 0 {
				return rm.deletePlatforms(ctx, img, id, all)
			}
			return rm.deleteAll(ctx, id, all, mask)
		}
		parsed, err := reference.ParseNormalizedNamed(img.Name)
		if err != nil {
			return nil, fmt.Errorf("image record %q: %w", img.Name, errdefs.ErrDataLoss)
		}
		same := sameReferences(parsed, all)
		if len(same) != len(all) {
			if len(opts.Platforms) > 0 {
				return rm.deletePlatforms(ctx, img, id, all)
			}
			return rm.untag(ctx, same)
		} else if len(all) > 1 && !opts.Force {
			mask &^= conflictActiveReference
		}
		if c := rm.firstUsing(id); c != nil {
			familiar := reference.FamiliarString(parsed)
			if !opts.Force {
				return nil, imagesvc.DeleteConflict(familiar, true,
					"container "+Truncate(c.ID)+" is using its referenced image "+Truncate(id.String()))
			}
			if len(opts.Platforms) > 0 {
				return rm.deletePlatforms(ctx, img, id, all)
			}
			// Untag this name only; the image stays, dangling if it was its last name.
			if len(all) == 1 {
				if err := st.KeepDangling(ctx, *img); err != nil {
					return nil, fmt.Errorf("keeping the image %s as dangling: %w", id, err)
				}
			}
			if err := st.DeleteRecord(ctx, *img, false); err != nil {
				return nil, err
			}
			return []imagesvc.DeleteResponse{{Untagged: familiar}}, nil
		}
	}
	if len(opts.Platforms) > 0 {
		return rm.deletePlatforms(ctx, img, id, all)
	}
	return rm.deleteAll(ctx, id, all, mask)
}

// resolveAll finds the record ref names (nil when it names none exactly) and every
// record with the same target (Docker's resolveAllReferences).
func resolveAll(ctx context.Context, st RecordReader, ref imagesvc.ImageRef) (*Record, []Record, error) {
	var (
		img    *Record
		target digest.Digest
	)
	if hex := ref.ShortID(); hex != "" && ref.Digest() != "" {
		target = ref.Digest() // a full ID: no record is named after a bare digest
	} else if hex != "" {
		targets, err := st.TargetsWithPrefix(ctx, hex)
		if err != nil {
			return nil, nil, err
		}
		if t := ref.Tagged(); t != nil {
			r, ok, err := st.Record(ctx, t.String())
			if err != nil {
				return nil, nil, err
			}
			if ok {
				img = &r
				if !slices.Contains(targets, r.Target) {
					targets = append(targets, r.Target)
				}
			}
		}
		switch len(targets) {
		case 0:
			return nil, nil, ref.NotFound()
		case 1:
			target = targets[0]
		default:
			return nil, nil, imagesvc.ErrAmbiguous()
		}
	} else {
		t := ref.Tagged()
		if t == nil {
			return nil, nil, ref.NotFound()
		}
		r, ok, err := st.Record(ctx, t.String())
		if err != nil {
			return nil, nil, err
		}
		switch {
		case ok:
			img, target = &r, r.Target
		case ref.Digest() != "":
			target = ref.Digest()
		default:
			return nil, nil, ref.NotFound()
		}
	}
	all, err := st.RecordsOf(ctx, target)
	if err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		if img == nil {
			return nil, nil, ref.NotFound()
		}
		return nil, nil, fmt.Errorf("image %s changed during the operation, retry: %w", ref, errdefs.ErrAborted)
	}
	return img, all, nil
}

// isIDPrefix reports whether s is a prefix of the ID id, with or without its algorithm.
func isIDPrefix(id digest.Digest, s string) bool {
	return strings.HasPrefix(id.String(), s) || strings.HasPrefix(id.Encoded(), s)
}

// sameReferences returns the records of all that are "the same reference" as named
// (Docker's getSameReferences): the same repository and tag, every tag of the repository
// when named is a digest reference, the repository's digest records when no other tag of
// it targets the image, and dangling records. With named nil, the first named record
// stands for it.
func sameReferences(named reference.Named, all []Record) []Record {
	var (
		tag        string
		same       []Record
		digestRefs = []Record{}
		allTags    bool
	)
	if named != nil {
		if t, ok := named.(reference.Tagged); ok {
			tag = t.Tag()
		} else if _, ok := named.(reference.Digested); ok {
			allTags = true
		}
	}
	for _, r := range all {
		if !r.Dangling() {
			repoRef, err := reference.ParseNamed(r.Name)
			if err != nil {
				continue // names that do not parse are ignored
			}
			switch {
			case named == nil:
				named = repoRef
				if t, ok := named.(reference.Tagged); ok {
					tag = t.Tag()
				}
			case named.Name() != repoRef.Name():
				continue
			case !allTags:
				if t, ok := repoRef.(reference.Tagged); ok {
					if tag == "" {
						tag = t.Tag()
					} else if tag != t.Tag() {
						digestRefs = nil // another tag of the repository: keep its digest records
						continue
					}
				} else {
					if digestRefs != nil {
						digestRefs = append(digestRefs, r)
					}
					continue
				}
			}
		}
		same = append(same, r)
	}
	return append(same, digestRefs...)
}

// Conflict kinds, as Docker's image delete checks them.
type conflict int

const (
	conflictRunningContainer conflict = 1 << iota
	conflictActiveReference
	conflictStoppedContainer

	conflictHard = conflictRunningContainer
	conflictSoft = conflictActiveReference | conflictStoppedContainer
)

// remover runs one Remove.
type remover struct {
	st        Store
	ctrs      []imagesvc.Container
	opts      imagesvc.RemoveOptions
	remaining int // records of the target not yet removed
}

// firstUsing returns the first container created from the image id or mounting it.
func (rm *remover) firstUsing(id digest.Digest) *imagesvc.Container {
	for i := range rm.ctrs {
		c := &rm.ctrs[i]
		if c.ImageID == id || slices.Contains(c.ImageMounts, id) {
			return c
		}
	}
	return nil
}

// untag removes the records refs, which leave other records of the image.
func (rm *remover) untag(ctx context.Context, refs []Record) ([]imagesvc.DeleteResponse, error) {
	var out []imagesvc.DeleteResponse
	for _, r := range refs {
		rm.remaining--
		if err := rm.st.DeleteRecord(ctx, r, rm.remaining == 0); err != nil {
			return nil, err
		}
		if n, err := reference.ParseNormalizedNamed(r.Name); err == nil {
			out = append(out, imagesvc.DeleteResponse{Untagged: reference.FamiliarString(n)})
		}
	}
	return out, nil
}

// deleteAll deletes every record of the image id, then its dangling parents unless
// NoPrune (Docker's deleteAll).
func (rm *remover) deleteAll(ctx context.Context, id digest.Digest, all []Record, mask conflict) ([]imagesvc.DeleteResponse, error) {
	var parents []digest.Digest
	if !rm.opts.NoPrune {
		for p := id; ; {
			next, err := rm.st.Parent(ctx, p)
			if err != nil || next == "" || slices.Contains(parents, next) || next == id {
				break
			}
			parents = append(parents, next)
			p = next
		}
	}
	var out []imagesvc.DeleteResponse
	for _, r := range all {
		if err := rm.deleteRecord(ctx, r, all, mask, &out); err != nil {
			return nil, err
		}
	}
	out = append(out, imagesvc.DeleteResponse{Deleted: id})

	for _, p := range parents {
		recs, err := rm.st.RecordsOf(ctx, p)
		if err != nil || len(recs) == 0 || !recs[0].Dangling() {
			break
		}
		prm := &remover{st: rm.st, ctrs: rm.ctrs, opts: rm.opts, remaining: len(recs)}
		var pout []imagesvc.DeleteResponse
		// As Docker does, the parent's checks count the records of the child.
		if err := prm.deleteRecord(ctx, recs[0], all, conflictSoft, &pout); err != nil {
			break
		}
		out = append(out, pout...)
		out = append(out, imagesvc.DeleteResponse{Deleted: p})
	}
	return out, nil
}

// deleteRecord deletes one record of an image after the conflict checks of mask (Docker's
// imageDeleteHelper).
func (rm *remover) deleteRecord(ctx context.Context, r Record, all []Record, extra conflict, out *[]imagesvc.DeleteResponse) error {
	id := r.Target
	if err := rm.checkConflict(id, all, conflictHard|extra); err != nil {
		return err
	}
	keep := false
	if !r.Dangling() && len(all) == 1 && extra&conflictActiveReference != 0 {
		children, err := rm.st.HasChildren(ctx, id)
		if err != nil {
			return err
		}
		if children {
			if err := rm.st.KeepDangling(ctx, r); err != nil {
				return fmt.Errorf("keeping the image %s as dangling: %w", id, err)
			}
			keep = true
		}
	}
	rm.remaining--
	if err := rm.st.DeleteRecord(ctx, r, rm.remaining == 0 && !keep); err != nil {
		return err
	}
	if !r.Dangling() {
		*out = append(*out, imagesvc.DeleteResponse{Untagged: r.Familiar()})
	}
	return nil
}

// checkConflict returns the conflict that prevents deleting the image id, among those of
// mask (Docker's checkImageDeleteConflict).
func (rm *remover) checkConflict(id digest.Digest, all []Record, mask conflict) error {
	short := Truncate(id.String())
	if mask&conflictRunningContainer != 0 {
		for _, c := range rm.ctrs {
			if c.ImageID == id && c.Running {
				return imagesvc.DeleteConflict(short, false, "image is being used by running container "+Truncate(c.ID))
			}
		}
	}
	if mask&conflictStoppedContainer != 0 {
		for _, c := range rm.ctrs {
			if c.ImageID == id && !c.Running {
				return imagesvc.DeleteConflict(short, true, "image is being used by stopped container "+Truncate(c.ID))
			}
		}
	}
	if mask&conflictActiveReference != 0 && len(all) > 1 {
		return imagesvc.DeleteConflict(short, true, "image is referenced in multiple repositories")
	}
	return nil
}

// deletePlatforms deletes the content of each requested platform of the image id (Docker's
// deleteImagePlatforms). img is the record the request named, or nil.
func (rm *remover) deletePlatforms(ctx context.Context, img *Record, id digest.Digest, all []Record) ([]imagesvc.DeleteResponse, error) {
	name := id.String()
	if img != nil {
		name = img.Familiar()
	} else if len(all) > 0 {
		name = all[0].Familiar()
	}
	var out []imagesvc.DeleteResponse
	for _, p := range rm.opts.Platforms {
		deleted, ok, err := rm.st.DeletePlatform(ctx, id, p)
		if err == nil && !ok {
			err = imagesvc.PlatformNotFound(name, ocispec.Platform{})
		}
		if err != nil {
			return nil, fmt.Errorf("failed to delete platform %s for image %s: %w", platforms.Format(p), id, err)
		}
		for _, d := range deleted {
			out = append(out, imagesvc.DeleteResponse{Deleted: d})
		}
	}
	return out, nil
}

// HostContainers returns the host's containers when its usage provider u is an
// [imagesvc.ContainerLister], and nil when it is not (or u is nil): every image is then
// unused by Remove and Prune.
func HostContainers(ctx context.Context, u imagesvc.UsageProvider) ([]imagesvc.Container, error) {
	cl, ok := u.(imagesvc.ContainerLister)
	if !ok {
		return nil, nil
	}
	ctrs, err := cl.Containers(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking the host for its containers: %w", err)
	}
	return ctrs, nil
}
