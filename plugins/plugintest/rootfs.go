package plugintest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
)

// The root filesystems of a MemService: a FAKE FOR THE TRANSPORT ONLY. Its images have no
// layers to unpack, so it makes up a RuntimeImage from what it knows of an image (one
// layer per RootFS digest) and its views from their keys: the mounts are bind mounts of
// "/plugintest/rootfs/<key>", a directory that does not exist. It keeps the contract's
// keys, errors and order, so that a transport's tests see every answer; it keeps no view
// from its image's removal.

var _ imagesvc.RootFSPreparer = (*MemService)(nil)

// memView is one view of a MemService.
type memView struct {
	imagesvc.RootFSView
	mounts []imagesvc.Mount
}

// ResolveRuntimeImage implements [imagesvc.RootFSPreparer] with a made-up RuntimeImage:
// the image's descriptor as target and manifest (with the image's platform), its config,
// and one layer per RootFS digest.
func (m *MemService) ResolveRuntimeImage(ctx context.Context, ref imagesvc.ImageRef, platform *ocispec.Platform) (imagesvc.RuntimeImage, error) {
	if err := ctx.Err(); err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	img, err := m.findLocked(ref)
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	p := ocispec.Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant}
	if platform != nil && (platform.OS != p.OS || platform.Architecture != p.Architecture) {
		return imagesvc.RuntimeImage{}, errdefs.ErrNotFound.WithMessage(fmt.Sprintf(
			"image with reference %s was found but does not provide the specified platform (%s/%s)", ref, platform.OS, platform.Architecture))
	}
	created := img.Created
	cfg := ocispec.Image{
		Created:  &created,
		Author:   img.Author,
		Platform: p,
		Config:   img.Config.ImageConfig,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: slices.Clone(img.RootFS.Layers)},
	}
	cfg.Config.Env = slices.Clone(cfg.Config.Env)
	cfg.Config.Cmd = slices.Clone(cfg.Config.Cmd)
	cfg.Config.Entrypoint = slices.Clone(cfg.Config.Entrypoint)
	out := imagesvc.RuntimeImage{
		Target:   img.Descriptor,
		Manifest: img.Descriptor,
		ConfigDescriptor: ocispec.Descriptor{
			MediaType: ocispec.MediaTypeImageConfig,
			Digest:    digest.FromString("config/" + img.ID.String()),
			Size:      1024,
		},
		Config:  cfg,
		DiffIDs: slices.Clone(img.RootFS.Layers),
	}
	out.Manifest.Platform = &p
	var chain digest.Digest
	for _, d := range img.RootFS.Layers {
		out.Layers = append(out.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromString("layer/" + d.String()), Size: 100})
		if chain == "" {
			chain = d
		} else {
			chain = digest.FromString(chain.String() + " " + d.String()) // identity.ChainID
		}
		out.ChainIDs = append(out.ChainIDs, chain)
	}
	return out, nil
}

// PrepareRootFS implements [imagesvc.RootFSPreparer]: it records the view req.Key of the
// image (looked up by req.Image.Target's digest) and returns its made-up mount.
func (m *MemService) PrepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) ([]imagesvc.Mount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.Key == "" || len(req.Key) > 256 || strings.HasPrefix(req.Key, "/") || strings.HasSuffix(req.Key, "/") || strings.ContainsRune(req.Key, 0) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid view key %q", req.Key))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.indexLocked(req.Image.Target.Digest) < 0 {
		return nil, errdefs.ErrNotFound.WithMessage("No such image: " + req.Image.Target.Digest.String())
	}
	if slices.ContainsFunc(m.views, func(v memView) bool { return v.Key == req.Key }) {
		return nil, errdefs.ErrAlreadyExists.WithMessage(fmt.Sprintf("view %q already exists", req.Key))
	}
	mode := "rw"
	if req.ReadOnly {
		mode = "ro"
	}
	v := memView{
		RootFSView: imagesvc.RootFSView{
			Key:      req.Key,
			Image:    req.Image.Target.Digest,
			Manifest: req.Image.Manifest.Digest,
			ReadOnly: req.ReadOnly,
			Created:  m.now().UTC(),
		},
		mounts: []imagesvc.Mount{{Type: "bind", Source: "/plugintest/rootfs/" + req.Key, Options: []string{"rbind", mode}}},
	}
	if n := len(req.Image.ChainIDs); n > 0 {
		v.ChainID = req.Image.ChainIDs[n-1]
	}
	m.views = append(m.views, v)
	return cloneMounts(v.mounts), nil
}

// RootFSMounts implements [imagesvc.RootFSPreparer].
func (m *MemService) RootFSMounts(ctx context.Context, key string) ([]imagesvc.Mount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.views, func(v memView) bool { return v.Key == key })
	if i < 0 {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("view %q not found", key))
	}
	return cloneMounts(m.views[i].mounts), nil
}

// RootFSViews implements [imagesvc.RootFSPreparer]: the views, oldest first.
func (m *MemService) RootFSViews(ctx context.Context) ([]imagesvc.RootFSView, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]imagesvc.RootFSView, len(m.views))
	for i, v := range m.views {
		out[i] = v.RootFSView
	}
	return out, nil
}

// RemoveRootFS implements [imagesvc.RootFSPreparer].
func (m *MemService) RemoveRootFS(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.views, func(v memView) bool { return v.Key == key })
	if i < 0 {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("view %q not found", key))
	}
	m.views = slices.Delete(m.views, i, i+1)
	return nil
}

func cloneMounts(ms []imagesvc.Mount) []imagesvc.Mount {
	out := slices.Clone(ms)
	for i := range out {
		out[i].Options = slices.Clone(out[i].Options)
	}
	return out
}
