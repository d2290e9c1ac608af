package plugintest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	"github.com/imageapi/imageapi/internal/model"
)

// SetContainerLister makes Remove and Prune consult cl for the containers that use
// images (a plugin passes [plugins.HostUsage]); nil, the default, means none.
func (m *MemService) SetContainerLister(cl imagesvc.ContainerLister) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.containers = cl
}

// containerList returns the containers of the lister, nil without one. It is called
// without the lock: the lister may cross a process boundary.
func (m *MemService) containerList(ctx context.Context) ([]imagesvc.Container, error) {
	m.mu.Lock()
	cl := m.containers
	m.mu.Unlock()
	if cl == nil {
		return nil, nil
	}
	return cl.Containers(ctx)
}

// Remove implements [imagesvc.Remover] with Docker's rules (model.Remove).
func (m *MemService) Remove(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.RemoveOptions) ([]imagesvc.DeleteResponse, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ctrs, err := m.containerList(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := model.Remove(ctx, memStore{m}, ctrs, ref, opts)
	for _, r := range out {
		switch {
		case r.Untagged != "":
			m.events.Emit(imagesvc.Event{Action: imagesvc.EventUntag, ID: r.Untagged, Attributes: map[string]string{"name": r.Untagged}})
		case r.Deleted != "":
			m.events.Emit(imagesvc.Event{Action: imagesvc.EventDelete, ID: r.Deleted.String(), Attributes: map[string]string{"name": r.Deleted.String()}})
		}
	}
	return out, err
}

// Tag implements [imagesvc.Tagger]: the name moves to the image source resolves to.
func (m *MemService) Tag(ctx context.Context, source imagesvc.ImageRef, target reference.NamedTagged) error {
	target, err := model.TagTarget(target)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	img, err := m.findLocked(source)
	if err != nil {
		return err
	}
	if !hasPlatform(img) {
		return imagesvc.PlatformNotFound(source.String(), ocispec.Platform{})
	}
	if m.setNameLocked(reference.FamiliarString(target), img.ID) {
		m.version++
	}
	m.events.Emit(imagesvc.Event{Action: imagesvc.EventTag, ID: img.ID.String(), Attributes: map[string]string{"name": reference.FamiliarString(target)}})
	return nil
}

// Prune implements [imagesvc.Pruner] with Docker's rules (model.PruneCandidates): every
// record removed is reported Untagged, and an image whose last record went is reported
// Deleted with its Size reclaimed.
func (m *MemService) Prune(ctx context.Context, opts imagesvc.PruneOptions) (*imagesvc.PruneReport, error) {
	if err := m.prune.Enter(); err != nil {
		return nil, err
	}
	defer m.prune.Exit()
	f, err := model.CompilePruneFilter(ctx, opts, m.now)
	if err != nil {
		return nil, err
	}
	ctrs, err := m.containerList(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	all := m.recordsLocked()
	var candidates []model.Record
	for _, r := range all {
		img := &m.images[m.indexLocked(r.Target)]
		var configs []map[string]string
		if hasPlatform(img) {
			configs = []map[string]string{img.Config.Labels}
		}
		if f.Match(r, configs) {
			candidates = append(candidates, r)
		}
	}
	rep := &imagesvc.PruneReport{}
	st := memStore{m}
	for _, r := range model.PruneCandidates(all, candidates, ctrs) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		i := m.indexLocked(r.Target)
		if i < 0 {
			continue
		}
		size := m.images[i].Size
		last := len(recordsOf(&m.images[i])) == 1
		if err := st.DeleteRecord(ctx, r, last); err != nil {
			return nil, err
		}
		rep.ImagesDeleted = append(rep.ImagesDeleted, imagesvc.DeleteResponse{Untagged: r.Familiar()})
		if last {
			rep.ImagesDeleted = append(rep.ImagesDeleted, imagesvc.DeleteResponse{Deleted: r.Target})
			rep.SpaceReclaimed += uint64(max(size, 0))
		}
	}
	return rep, nil
}

// History implements [imagesvc.Historian] (model.History) with a history made up from
// the image: one entry per layer ("ADD file:<layer> in / "), then one empty entry for its
// Cmd, if any; an image without layers has one entry with its Comment. The sizes share
// the image's Size.
func (m *MemService) History(ctx context.Context, ref imagesvc.ImageRef, opts imagesvc.HistoryOptions) ([]imagesvc.HistoryItem, error) {
	if p := opts.Platform; p != nil {
		if err := imagesvc.ValidatePlatform(*p); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	img, err := m.findLocked(ref)
	if err != nil {
		return nil, err
	}
	if !hasPlatform(img) {
		return nil, imagesvc.PlatformNotFound(ref.String(), ocispec.Platform{})
	}
	if p := opts.Platform; p != nil && !platforms.Only(*p).Match(platformOf(img)) {
		return nil, imagesvc.PlatformNotFound(ref.String(), *p)
	}
	created := img.Created
	var hist []ocispec.History
	for _, l := range img.RootFS.Layers {
		hist = append(hist, ocispec.History{Created: &created, CreatedBy: "ADD file:" + l.Encoded() + " in / "})
	}
	if len(img.Config.Cmd) > 0 {
		hist = append(hist, ocispec.History{Created: &created, CreatedBy: `CMD ["` + strings.Join(img.Config.Cmd, `" "`) + `"]`, EmptyLayer: true})
	}
	if len(hist) == 0 {
		hist = []ocispec.History{{Created: &created, Comment: img.Comment, EmptyLayer: true}}
	}
	var tags []string
	for _, r := range recordsOf(img) {
		if !r.Dangling() {
			tags = append(tags, r.Familiar())
		}
	}
	tags = append(tags, img.RepoDigests...)
	layers := int64(max(len(img.RootFS.Layers), 1))
	return model.History(img.ID, tags, ocispec.RootFS{Type: "layers", DiffIDs: img.RootFS.Layers}, hist,
		func(digest.Digest) int64 { return img.Size / layers })
}

// hasPlatform reports whether the content of the image is still there: DeletePlatform
// removes it, as Docker's delete with platforms does, leaving the record.
func hasPlatform(img *imagesvc.Image) bool { return img.OS != "" || img.Architecture != "" }

func platformOf(img *imagesvc.Image) ocispec.Platform {
	return ocispec.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant}
}

// indexLocked returns the index of the image id, -1 when there is none.
func (m *MemService) indexLocked(id digest.Digest) int {
	for i := range m.images {
		if m.images[i].ID == id {
			return i
		}
	}
	return -1
}

// setNameLocked points the familiar name at the image id, taking it from any other image
// (which is then dangling if it was its last name). It reports whether anything changed.
func (m *MemService) setNameLocked(familiar string, id digest.Digest) bool {
	changed := false
	for i := range m.images {
		img := &m.images[i]
		has := slices.Contains(img.RepoTags, familiar)
		switch {
		case img.ID == id && !has:
			img.RepoTags = append(slices.Clone(img.RepoTags), familiar)
			changed = true
		case img.ID != id && has:
			removeName(img, familiar)
			changed = true
		}
	}
	return changed
}

// removeName removes the tag familiar from img, with the repository's digests when no
// other tag of the repository is left.
func removeName(img *imagesvc.Image, familiar string) {
	img.RepoTags = slices.DeleteFunc(slices.Clone(img.RepoTags), func(t string) bool { return t == familiar })
	repo := repository(familiar)
	for _, t := range img.RepoTags {
		if repository(t) == repo {
			return
		}
	}
	img.RepoDigests = slices.DeleteFunc(slices.Clone(img.RepoDigests), func(d string) bool { return repository(d) == repo })
}

// repository returns the repository of a familiar name, "" when it does not parse.
func repository(familiar string) string {
	n, err := reference.ParseNormalizedNamed(familiar)
	if err != nil {
		return ""
	}
	return n.Name()
}

// recordsOf returns the records of img in name order: one per tag, or its dangling record
// when it has none.
func recordsOf(img *imagesvc.Image) []model.Record {
	if len(img.RepoTags) == 0 {
		return []model.Record{{Name: model.DanglingName(img.ID), Target: img.ID, Created: img.Created}}
	}
	out := make([]model.Record, 0, len(img.RepoTags))
	for _, t := range img.RepoTags {
		if n, err := reference.ParseNormalizedNamed(t); err == nil {
			out = append(out, model.Record{Name: n.String(), Target: img.ID, Created: img.Created})
		}
	}
	slices.SortFunc(out, func(a, b model.Record) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// recordsLocked returns every record in name order.
func (m *MemService) recordsLocked() []model.Record {
	var out []model.Record
	for i := range m.images {
		out = append(out, recordsOf(&m.images[i])...)
	}
	slices.SortFunc(out, func(a, b model.Record) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// memStore is the MemService as model.Store; the caller holds m.mu for the whole
// operation.
type memStore struct{ m *MemService }

func (s memStore) Record(_ context.Context, name string) (model.Record, bool, error) {
	for i := range s.m.images {
		for _, r := range recordsOf(&s.m.images[i]) {
			if r.Name == name {
				return r, true, nil
			}
		}
	}
	return model.Record{}, false, nil
}

func (s memStore) RecordsOf(_ context.Context, d digest.Digest) ([]model.Record, error) {
	if i := s.m.indexLocked(d); i >= 0 {
		return recordsOf(&s.m.images[i]), nil
	}
	return nil, nil
}

func (s memStore) TargetsWithPrefix(_ context.Context, hex string) ([]digest.Digest, error) {
	var out []digest.Digest
	for i := range s.m.images {
		if id := s.m.images[i].ID; strings.HasPrefix(id.String(), "sha256:"+hex) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s memStore) Parent(_ context.Context, d digest.Digest) (digest.Digest, error) {
	if i := s.m.indexLocked(d); i >= 0 {
		return s.m.images[i].Parent, nil
	}
	return "", nil
}

func (s memStore) HasChildren(_ context.Context, d digest.Digest) (bool, error) {
	for i := range s.m.images {
		if s.m.images[i].Parent == d {
			return true, nil
		}
	}
	return false, nil
}

// DeleteRecord removes a tag (a dangling record is no tag); the last record takes the
// image with it.
func (s memStore) DeleteRecord(_ context.Context, r model.Record, last bool) error {
	i := s.m.indexLocked(r.Target)
	if i < 0 {
		return nil
	}
	if last {
		s.m.images = slices.Delete(s.m.images, i, i+1)
	} else if !r.Dangling() {
		removeName(&s.m.images[i], r.Familiar())
	}
	s.m.version++
	return nil
}

// KeepDangling has nothing to do: an image whose last tag is removed is dangling.
func (s memStore) KeepDangling(context.Context, model.Record) error { return nil }

// DeletePlatform removes the content of the image when its platform matches p: it stays
// listed without platform, config or size, as Docker leaves it (spec §2.5).
func (s memStore) DeletePlatform(_ context.Context, d digest.Digest, p ocispec.Platform) ([]digest.Digest, bool, error) {
	i := s.m.indexLocked(d)
	if i < 0 {
		return nil, false, nil
	}
	img := &s.m.images[i]
	if !hasPlatform(img) || !platforms.OnlyStrict(p).Match(platformOf(img)) {
		return nil, false, nil
	}
	img.Architecture, img.OS, img.Variant = "", "", ""
	img.Config = imagesvc.ImageConfig{}
	img.RootFS = imagesvc.RootFS{}
	img.Created = time.Time{}
	img.Size = 0
	s.m.version++
	return []digest.Digest{img.Descriptor.Digest}, true, nil
}
