package plugins

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imageapi/imageapi/imagesvc"
	pb "github.com/imageapi/imageapi/internal/pluginproto"
)

// Root filesystems across the plugin boundary (backend.proto: ResolveRuntimeImage,
// PrepareRootFS, RootFSMounts, RootFSViews, RemoveRootFS): the capability "rootfs",
// [imagesvc.RootFSPreparer], found with imagesvc.As only ([Client.As]). The mounts are
// plain data whose sources are paths on the plugin's machine: the host must reach the
// plugin's snapshot root, as a containerd client reaches containerd's.

var _ imagesvc.RootFSPreparer = (*client)(nil)

// ---- Host side

// ResolveRuntimeImage implements [imagesvc.RootFSPreparer] through the plugin, for the
// Clients whose plugin announced it.
func (c *client) ResolveRuntimeImage(ctx context.Context, ref imagesvc.ImageRef, platform *ocispec.Platform) (imagesvc.RuntimeImage, error) {
	inst, err := c.acquireCap(ctx, CapRootFS, "ResolveRuntimeImage")
	if err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	resp, err := inst.conn.rpc.ResolveRuntimeImage(ctx, &pb.ResolveRuntimeImageRequest{Ref: ref.String(), Platform: encodePlatform(platform)})
	if err != nil {
		return imagesvc.RuntimeImage{}, c.callError(ctx, inst, "ResolveRuntimeImage", err)
	}
	c.succeeded()
	img, err := decodeRuntimeImage(resp)
	if err != nil {
		return imagesvc.RuntimeImage{}, fmt.Errorf("plugin %s: ResolveRuntimeImage: %w", c.name(), err)
	}
	return img, nil
}

// PrepareRootFS implements [imagesvc.RootFSPreparer] through the plugin. Cancelling ctx
// cancels the plugin's prepare (and its unpack); a plugin process that dies during it
// fails the call with class Unavailable.
func (c *client) PrepareRootFS(ctx context.Context, req imagesvc.PrepareRequest) ([]imagesvc.Mount, error) {
	inst, err := c.acquireCap(ctx, CapRootFS, "PrepareRootFS")
	if err != nil {
		return nil, err
	}
	img, err := encodeRuntimeImage(req.Image)
	if err != nil {
		return nil, err
	}
	resp, err := inst.conn.rpc.PrepareRootFS(ctx, &pb.PrepareRootFSRequest{Key: req.Key, Image: img, ReadOnly: req.ReadOnly})
	if err != nil {
		return nil, c.callError(ctx, inst, "PrepareRootFS", err)
	}
	c.succeeded()
	return decodeMounts(resp.GetMounts()), nil
}

// RootFSMounts implements [imagesvc.RootFSPreparer] through the plugin.
func (c *client) RootFSMounts(ctx context.Context, key string) ([]imagesvc.Mount, error) {
	inst, err := c.acquireCap(ctx, CapRootFS, "RootFSMounts")
	if err != nil {
		return nil, err
	}
	resp, err := inst.conn.rpc.RootFSMounts(ctx, &pb.RootFSMountsRequest{Key: key})
	if err != nil {
		return nil, c.callError(ctx, inst, "RootFSMounts", err)
	}
	c.succeeded()
	return decodeMounts(resp.GetMounts()), nil
}

// RootFSViews implements [imagesvc.RootFSPreparer] through the plugin; the list is never
// nil.
func (c *client) RootFSViews(ctx context.Context) ([]imagesvc.RootFSView, error) {
	inst, err := c.acquireCap(ctx, CapRootFS, "RootFSViews")
	if err != nil {
		return nil, err
	}
	resp, err := inst.conn.rpc.RootFSViews(ctx, &pb.RootFSViewsRequest{})
	if err != nil {
		return nil, c.callError(ctx, inst, "RootFSViews", err)
	}
	c.succeeded()
	ms := resp.GetViews()
	out := make([]imagesvc.RootFSView, len(ms))
	for i, m := range ms {
		out[i] = imagesvc.RootFSView{
			Key:      m.GetKey(),
			Image:    digest.Digest(m.GetImage()),
			Manifest: digest.Digest(m.GetManifest()),
			ChainID:  digest.Digest(m.GetChainId()),
			ReadOnly: m.GetReadOnly(),
			Created:  decodeTime(m.GetCreated()),
		}
	}
	return out, nil
}

// RemoveRootFS implements [imagesvc.RootFSPreparer] through the plugin.
func (c *client) RemoveRootFS(ctx context.Context, key string) error {
	inst, err := c.acquireCap(ctx, CapRootFS, "RemoveRootFS")
	if err != nil {
		return err
	}
	if _, err := inst.conn.rpc.RemoveRootFS(ctx, &pb.RemoveRootFSRequest{Key: key}); err != nil {
		return c.callError(ctx, inst, "RemoveRootFS", err)
	}
	c.succeeded()
	return nil
}

// ---- Plugin side

// rootFS returns the backend's RootFSPreparer, or the status of a call it cannot serve.
func (s *server) rootFS(method string) (imagesvc.RootFSPreparer, error) {
	r, ok := imagesvc.As[imagesvc.RootFSPreparer](s.impl)
	if !ok {
		return nil, notImplemented(method, "imagesvc.RootFSPreparer")
	}
	return r, nil
}

// ResolveRuntimeImage serves [imagesvc.RootFSPreparer.ResolveRuntimeImage].
func (s *server) ResolveRuntimeImage(ctx context.Context, req *pb.ResolveRuntimeImageRequest) (*pb.RuntimeImage, error) {
	r, err := s.rootFS("ResolveRuntimeImage")
	if err != nil {
		return nil, err
	}
	ref, err := parseRef(req.GetRef())
	if err != nil {
		return nil, toStatus(err)
	}
	hctx, _ := s.withHost(ctx)
	img, err := r.ResolveRuntimeImage(hctx, ref, decodePlatform(req.GetPlatform()))
	if err != nil {
		return nil, toStatus(err)
	}
	m, err := encodeRuntimeImage(img)
	if err != nil {
		return nil, toStatus(err)
	}
	return m, nil
}

// PrepareRootFS serves [imagesvc.RootFSPreparer.PrepareRootFS] with the call's context:
// the host's cancellation reaches the backend's unpack.
func (s *server) PrepareRootFS(ctx context.Context, req *pb.PrepareRootFSRequest) (*pb.MountsResponse, error) {
	r, err := s.rootFS("PrepareRootFS")
	if err != nil {
		return nil, err
	}
	img, err := decodeRuntimeImage(req.GetImage())
	if err != nil {
		return nil, toStatus(err)
	}
	hctx, _ := s.withHost(ctx)
	mounts, err := r.PrepareRootFS(hctx, imagesvc.PrepareRequest{Key: req.GetKey(), Image: img, ReadOnly: req.GetReadOnly()})
	if err != nil {
		return nil, toStatus(err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The host has gone (cancelled, or the connection dropped) and will never learn
		// of the view: undo it rather than leave a view that blocks its image's removal.
		if rerr := r.RemoveRootFS(context.WithoutCancel(hctx), req.GetKey()); rerr != nil {
			s.logger.Warn("removing a view whose prepare the host abandoned", "key", req.GetKey(), "error", rerr)
		}
		return nil, toStatus(ctxErr)
	}
	return &pb.MountsResponse{Mounts: encodeMounts(mounts)}, nil
}

// RootFSMounts serves [imagesvc.RootFSPreparer.RootFSMounts].
func (s *server) RootFSMounts(ctx context.Context, req *pb.RootFSMountsRequest) (*pb.MountsResponse, error) {
	r, err := s.rootFS("RootFSMounts")
	if err != nil {
		return nil, err
	}
	hctx, _ := s.withHost(ctx)
	mounts, err := r.RootFSMounts(hctx, req.GetKey())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.MountsResponse{Mounts: encodeMounts(mounts)}, nil
}

// RootFSViews serves [imagesvc.RootFSPreparer.RootFSViews].
func (s *server) RootFSViews(ctx context.Context, _ *pb.RootFSViewsRequest) (*pb.RootFSViewsResponse, error) {
	r, err := s.rootFS("RootFSViews")
	if err != nil {
		return nil, err
	}
	hctx, _ := s.withHost(ctx)
	views, err := r.RootFSViews(hctx)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &pb.RootFSViewsResponse{Views: make([]*pb.RootFSView, len(views))}
	for i, v := range views {
		resp.Views[i] = &pb.RootFSView{
			Key:      v.Key,
			Image:    string(v.Image),
			Manifest: string(v.Manifest),
			ChainId:  string(v.ChainID),
			ReadOnly: v.ReadOnly,
			Created:  encodeTime(v.Created),
		}
	}
	return resp, nil
}

// RemoveRootFS serves [imagesvc.RootFSPreparer.RemoveRootFS].
func (s *server) RemoveRootFS(ctx context.Context, req *pb.RemoveRootFSRequest) (*pb.RemoveRootFSResponse, error) {
	r, err := s.rootFS("RemoveRootFS")
	if err != nil {
		return nil, err
	}
	hctx, _ := s.withHost(ctx)
	if err := r.RemoveRootFS(hctx, req.GetKey()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.RemoveRootFSResponse{}, nil
}

// ---- Conversions

func encodeRuntimeImage(img imagesvc.RuntimeImage) (*pb.RuntimeImage, error) {
	cfg, err := encodeOCIConfig(&img.Config)
	if err != nil {
		return nil, err
	}
	m := &pb.RuntimeImage{
		Target:           encodeDescriptor(img.Target),
		Manifest:         encodeDescriptor(img.Manifest),
		ConfigDescriptor: encodeDescriptor(img.ConfigDescriptor),
		Config:           cfg,
		DiffIds:          encodeDigests(img.DiffIDs),
		ChainIds:         encodeDigests(img.ChainIDs),
	}
	if img.Layers != nil {
		m.Layers = make([]*pb.Descriptor, len(img.Layers))
		for i, l := range img.Layers {
			m.Layers[i] = encodeDescriptor(l)
		}
	}
	return m, nil
}

// decodeRuntimeImage decodes a RuntimeImage; it fails, with class InvalidArgument, only
// when the config is not JSON.
func decodeRuntimeImage(m *pb.RuntimeImage) (imagesvc.RuntimeImage, error) {
	img := imagesvc.RuntimeImage{
		Target:           decodeDescriptor(m.GetTarget()),
		Manifest:         decodeDescriptor(m.GetManifest()),
		ConfigDescriptor: decodeDescriptor(m.GetConfigDescriptor()),
		DiffIDs:          decodeDigests(m.GetDiffIds()),
		ChainIDs:         decodeDigests(m.GetChainIds()),
	}
	if err := decodeOCIConfig(m.GetConfig(), &img.Config); err != nil {
		return imagesvc.RuntimeImage{}, err
	}
	if ls := m.GetLayers(); len(ls) > 0 {
		img.Layers = make([]ocispec.Descriptor, len(ls))
		for i, l := range ls {
			img.Layers[i] = decodeDescriptor(l)
		}
	}
	return img, nil
}

// The members of an image config that image-spec's JSON omits when empty: an empty but
// present one is named in OCIImageConfig.empty, so that it does not come back absent.
const (
	emptyOSFeatures   = "os.features"
	emptyExposedPorts = "config.ExposedPorts"
	emptyEnv          = "config.Env"
	emptyEntrypoint   = "config.Entrypoint"
	emptyCmd          = "config.Cmd"
	emptyVolumes      = "config.Volumes"
	emptyLabels       = "config.Labels"
	emptyHistory      = "history"
)

// encodeOCIConfig encodes an image config as its JSON, with the members that were empty
// rather than absent.
func encodeOCIConfig(cfg *ocispec.Image) (*pb.OCIImageConfig, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("encoding the image config: " + err.Error())
	}
	m := &pb.OCIImageConfig{Json: b}
	empty := func(isEmpty bool, name string) {
		if isEmpty {
			m.Empty = append(m.Empty, name)
		}
	}
	empty(cfg.OSFeatures != nil && len(cfg.OSFeatures) == 0, emptyOSFeatures)
	empty(cfg.Config.ExposedPorts != nil && len(cfg.Config.ExposedPorts) == 0, emptyExposedPorts)
	empty(cfg.Config.Env != nil && len(cfg.Config.Env) == 0, emptyEnv)
	empty(cfg.Config.Entrypoint != nil && len(cfg.Config.Entrypoint) == 0, emptyEntrypoint)
	empty(cfg.Config.Cmd != nil && len(cfg.Config.Cmd) == 0, emptyCmd)
	empty(cfg.Config.Volumes != nil && len(cfg.Config.Volumes) == 0, emptyVolumes)
	empty(cfg.Config.Labels != nil && len(cfg.Config.Labels) == 0, emptyLabels)
	empty(cfg.History != nil && len(cfg.History) == 0, emptyHistory)
	return m, nil
}

// decodeOCIConfig decodes an image config into cfg: the JSON, then the members named
// empty that it left absent. An absent config is the zero config.
func decodeOCIConfig(m *pb.OCIImageConfig, cfg *ocispec.Image) error {
	if b := m.GetJson(); len(b) > 0 {
		if err := json.Unmarshal(b, cfg); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage("decoding the image config: " + err.Error())
		}
	}
	for _, name := range m.GetEmpty() {
		switch name {
		case emptyOSFeatures:
			cfg.OSFeatures = emptyIfNil(cfg.OSFeatures)
		case emptyExposedPorts:
			cfg.Config.ExposedPorts = emptyMapIfNil(cfg.Config.ExposedPorts)
		case emptyEnv:
			cfg.Config.Env = emptyIfNil(cfg.Config.Env)
		case emptyEntrypoint:
			cfg.Config.Entrypoint = emptyIfNil(cfg.Config.Entrypoint)
		case emptyCmd:
			cfg.Config.Cmd = emptyIfNil(cfg.Config.Cmd)
		case emptyVolumes:
			cfg.Config.Volumes = emptyMapIfNil(cfg.Config.Volumes)
		case emptyLabels:
			cfg.Config.Labels = emptyMapIfNil(cfg.Config.Labels)
		case emptyHistory:
			cfg.History = emptyIfNil(cfg.History)
		}
	}
	return nil
}

func emptyIfNil[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}

func emptyMapIfNil[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

func encodeMounts(ms []imagesvc.Mount) []*pb.Mount {
	out := make([]*pb.Mount, len(ms))
	for i, m := range ms {
		out[i] = &pb.Mount{Type: m.Type, Source: m.Source, Target: m.Target, Options: m.Options}
	}
	return out
}

// decodeMounts decodes mounts; a mount without options has nil Options.
func decodeMounts(ms []*pb.Mount) []imagesvc.Mount {
	out := make([]imagesvc.Mount, len(ms))
	for i, m := range ms {
		out[i] = imagesvc.Mount{Type: m.GetType(), Source: m.GetSource(), Target: m.GetTarget(), Options: nilIfEmpty(m.GetOptions())}
	}
	return out
}
